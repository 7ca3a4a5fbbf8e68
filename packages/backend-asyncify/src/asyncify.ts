/**
 * The asyncify backend: QEMU's wasm backend idea (and Emscripten's fibers) for
 * Node. JavaScript never runs inside the module, so a generator body gets no wasm
 * context: it is stepped on the caller's stack as on the generator backend. A
 * context of a C body compiled into the module is a block of wasm linear memory
 * — Binaryen asyncify's data region plus a bounded C shadow stack — and a switch
 * is an asyncify unwind of one context and a rewind of the other, done inside the
 * module (csrc/runtime.c); the core drives C bodies through `native`
 * (`yield* nativeCall(...)`). A consumer's own C, built with qco-asyncify-build
 * into a module of its own, is loaded with useNativeFunctions({ wasm }) and runs
 * in its own instance beside the backend's. A trap inside a module (an overflow,
 * a C bug) kills only the context that trapped; the backend recovers its
 * bookkeeping and reports the error to the caller.
 */
import { resolve } from 'node:path';
import {
  BACKEND_SPECIFICATION_VERSION,
  callerStackContexts,
  type CoroutineBackend,
  type NativeArg,
  type NativeFunctionSource,
  type NativeRuntime,
  type NativeStep,
} from '@qco/backend-api';
import { AsyncifyBackendError } from './errors.js';
import { HEADER } from './internal/layout.js';
import { openInstance, type WasmInstance } from './internal/wasm-instance.js';
import { consumerModule, type QcoWasmExports } from './internal/wasm-module.js';

/** Sizes of the blocks native contexts live in. */
export interface AsyncifyBackendOptions {
  /** Asyncify data bytes of a native call's context. Default 16 KiB. */
  readonly nativeDataSize?: number;
  /** Shadow stack bytes of a native call's context. Default 48 KiB less the header. */
  readonly nativeStackSize?: number;
}

/** Where a native handle's memory and step state live, for tests and benchmarks. */
export interface AsyncifyInternals {
  /** The backend's own module's exports (qco_scratch, memory, …). */
  readonly exports: QcoWasmExports;
  /** Live native contexts (C calls started and not finished or cancelled). */
  liveContexts(): number;
  /** Current byte length of the backend's own module's linear memory. */
  memoryBytes(): number;
  /** Names of @qco/conformance's C suite cases compiled into the backend's module. */
  suiteCases(): string[];
  /** Run one C suite case in the leader's place; '' when it passed, else what went wrong. */
  runSuiteCase(name: string): string;
}

/** The asyncify backend as created: the contract plus its internals. */
export interface AsyncifyBackend extends CoroutineBackend {
  readonly native: NativeRuntime;
  /** Internals for tests and benchmarks (not part of the contract). */
  readonly internals: AsyncifyInternals;
}

/** A handle is instance index * 2^32 + the root context's address (addresses are 32-bit). */
const SLOT = 2 ** 32;

/** Create an asyncify backend with its own wasm instance (its own memory and contexts). */
export function createAsyncifyBackend(options: AsyncifyBackendOptions = {}): AsyncifyBackend {
  const data = options.nativeDataSize ?? 16384;
  const sizes = { data, stack: options.nativeStackSize ?? 65536 - HEADER - data };
  const own = openInstance(null, sizes);
  const instances: WasmInstance[] = [own];
  const loaded = new Map<string, number>();
  // Function name -> instance index and function index in it.
  const where = new Map<string, { inst: number; index: number }>();
  const functions: string[] = [];
  // A consumer's function takes the name of one of the backend's own (its test and benchmark bodies,
  // which the native backends only have in test builds); two consumer modules may not share a name.
  function add(inst: number, file: string): void {
    const fns = instances[inst].functions;
    for (const name of fns) {
      const had = where.get(name);
      if (had !== undefined && had.inst !== 0) {
        const other = [...loaded].find(([, i]) => i === had.inst)?.[0] ?? '?';
        throw new AsyncifyBackendError(`asyncify backend: native function "${name}" of ${file} is already defined by ${other}`);
      }
    }
    fns.forEach((name, index) => {
      if (!where.has(name)) functions.push(name);
      where.set(name, { inst, index });
    });
  }
  add(0, "the backend's own module");
  const handles = new Set<number>();

  function owner(handle: number): WasmInstance {
    if (!handles.has(handle)) throw new AsyncifyBackendError(`asyncify backend: native handle ${handle} is not live`);
    return instances[Math.floor(handle / SLOT)];
  }

  const native: NativeRuntime = {
    functions,
    start(fn: string, args: readonly NativeArg[]): number {
      const at = where.get(fn);
      if (at === undefined) throw new AsyncifyBackendError(`asyncify backend: no native function "${fn}"; it has: ${functions.join(', ')}`);
      const handle = at.inst * SLOT + (instances[at.inst]).start(at.index, args);
      handles.add(handle);
      return handle;
    },
    loadFunctions(source: NativeFunctionSource): void {
      if (source.wasm === undefined) throw new TypeError('the asyncify backend runs C functions from a module built with qco-asyncify-build: give useNativeFunctions({ wasm: <path of the .wasm> })');
      const file = resolve(source.wasm);
      if (loaded.has(file)) return;
      const inst = instances.length;
      instances.push(openInstance(consumerModule(file), sizes));
      loaded.set(file, inst);
      try {
        add(inst, file);
      } catch (err) {
        instances.pop();
        loaded.delete(file);
        throw err;
      }
    },
    resume(handle: number, input: number): NativeStep {
      const step = owner(handle).resume(handle % SLOT, input);
      if (step.done) handles.delete(handle);
      return step;
    },
    cancel(handle: number): void {
      if (!handles.delete(handle)) return;
      (instances[Math.floor(handle / SLOT)]).cancel(handle % SLOT);
    },
  };

  // ---- the contract --------------------------------------------------------
  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    name: 'asyncify',
    bodyKinds: ['generator'],
    ...callerStackContexts('asyncify'),
    native,
    internals: {
      exports: own.ex,
      liveContexts: () => handles.size,
      memoryBytes: () => own.ex.memory.buffer.byteLength,
      suiteCases: () => own.suiteCases(),
      runSuiteCase: (name) => own.runSuiteCase(name),
    },
  };
}
