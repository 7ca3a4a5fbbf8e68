/**
 * The asyncify backend: QEMU's wasm backend idea (and Emscripten's fibers) for
 * Node. JavaScript never runs inside the module, so a generator body gets no wasm
 * context: it is stepped on the caller's stack as on the generator backend. A
 * context of a C body compiled into the module is a block of wasm linear memory
 * — Binaryen asyncify's data region plus a bounded C shadow stack — and a switch
 * is an asyncify unwind of one context and a rewind of the other, done inside the
 * module (csrc/runtime.c); the core drives C bodies through `native`
 * (`yield* nativeCall(...)`). A trap inside the module (an overflow, a C bug)
 * kills only the context that trapped; the backend recovers its bookkeeping and
 * reports the error to the caller.
 */
import {
  BACKEND_SPECIFICATION_VERSION,
  callerStackContexts,
  type CoroutineBackend,
  type NativeRequest,
  type NativeRuntime,
  type NativeStep,
} from '@qco/backend-api';
import { AsyncifyBackendError, AsyncifyDataOverflowError, AsyncifyOutOfMemoryError, AsyncifyStackOverflowError, AsyncifyTrapError } from './errors.js';
import { CtxState, HEADER, MAX_ARGS, Off, RequestKind } from './internal/layout.js';
import { instantiate, wasm, type QcoWasmExports } from './internal/wasm-module.js';

/** Sizes of the blocks native contexts live in. */
export interface AsyncifyBackendOptions {
  /** Asyncify data bytes of a native call's context. Default 16 KiB. */
  readonly nativeDataSize?: number;
  /** Shadow stack bytes of a native call's context. Default 48 KiB less the header. */
  readonly nativeStackSize?: number;
}

const TOO_DEEP = 'asyncify backend: native calls nested too deeply (8192 nested runs from JavaScript)';
const NOT_RUNNABLE = 'asyncify backend: the context cannot be run now (it is running, or its call died)';

/** Where a native handle's memory and step state live, for tests and benchmarks. */
export interface AsyncifyInternals {
  /** The module's exports (qco_scratch, memory, …). */
  readonly exports: QcoWasmExports;
  /** Live native contexts (C calls started and not finished or cancelled). */
  liveContexts(): number;
  /** Current byte length of linear memory. */
  memoryBytes(): number;
}

/** The asyncify backend as created: the contract plus its internals. */
export interface AsyncifyBackend extends CoroutineBackend {
  readonly native: NativeRuntime;
  /** Internals for tests and benchmarks (not part of the contract). */
  readonly internals: AsyncifyInternals;
}

/** Create an asyncify backend with its own wasm instance (its own memory and contexts). */
export function createAsyncifyBackend(options: AsyncifyBackendOptions = {}): AsyncifyBackend {
  const nativeData = options.nativeDataSize ?? 16384;
  const nativeStack = options.nativeStackSize ?? 65536 - HEADER - nativeData;

  // qco_run calls active now (set back before anything that could throw), and the
  // level of one that died without its recovery (-1: none).
  let level = 0;
  let stale = -1;

  const ex = instantiate({
    step(): number {
      // Only the trampoline of a JavaScript-body context calls this, and none is ever made.
      throw new AsyncifyBackendError('asyncify backend: no JavaScript body runs inside the module');
    },
  });

  let i32 = new Int32Array(ex.memory.buffer);
  let f64 = new Float64Array(ex.memory.buffer);
  /** Views follow memory.grow (which detaches the old buffer). */
  function views(): Int32Array {
    if (i32.buffer !== ex.memory.buffer) {
      i32 = new Int32Array(ex.memory.buffer);
      f64 = new Float64Array(ex.memory.buffer);
    }
    return i32;
  }

  function cString(ptr: number): string {
    const bytes = new Uint8Array(ex.memory.buffer);
    let end = ptr;
    while (bytes[end] !== 0) end++;
    return Buffer.from(bytes.subarray(ptr, end)).toString('latin1');
  }

  /** Undo what a trap (or an exception crossing the module) left behind, and describe it. */
  function fault(err: unknown, level: number): Error {
    // If this runs out of stack itself, `stale` stays set and the recovery is done on
    // the way back into wasm (an outer step returning, or the next qco_run).
    const state = ex.asyncify_get_state();
    const dead = ex.qco_recover(level);
    stale = -1;
    if (!(err instanceof wasm.RuntimeError)) return err as Error;
    const mem = views();
    const where = dead === 0 ? 'outside any context' : `in the context at 0x${dead.toString(16)}`;
    if (dead !== 0) {
      const dataBytes = mem[(dead + Off.DataEnd) >> 2] - dead - HEADER;
      const stackBytes = mem[(dead + Off.StackHi) >> 2] - mem[(dead + Off.StackLo) >> 2];
      // While unwinding, asyncify writes only into the window that ends at the end of
      // memory, so running out of it is an out-of-bounds trap (or its own bound check).
      if (state === 1) {
        return new AsyncifyDataOverflowError(
          `Coroutine asyncify data overflow ${where}: the suspended call stack does not fit in its ${dataBytes}-byte data region (raise nativeDataSize)`,
          { cause: err },
        );
      }
      // Binaryen's stack-check traps with unreachable before the stack pointer leaves the bounds.
      if (state === 0 && err.message.includes('unreachable')) {
        return new AsyncifyStackOverflowError(
          `Coroutine stack overflow ${where}: its ${stackBytes}-byte shadow stack is exhausted (raise nativeStackSize)`,
          { cause: err },
        );
      }
    }
    return new AsyncifyTrapError(`Coroutine trapped ${where}: ${err.message}`, { cause: err });
  }

  function recoverStale(): void {
    ex.qco_recover(stale);
    stale = -1;
  }

  function run(ptr: number, value: number): number {
    if (stale >= 0) recoverStale();
    const l = level;
    level = l + 1;
    let ret: number;
    try {
      ret = ex.qco_run(ptr, value, l);
    } catch (err) {
      level = l;
      stale = l; // in case fault() cannot even start for lack of stack
      throw fault(err, l);
    }
    level = l;
    if (ret < 0) throw new AsyncifyBackendError(ret === -1 ? TOO_DEEP : NOT_RUNNABLE);
    return ret;
  }

  // ---- native side -------------------------------------------------------
  const functions: string[] = [];
  for (let i = 0, n = ex.qco_fn_count(); i < n; i++) functions.push(cString(ex.qco_fn_name(i)));
  const handles = new Set<number>();

  function request(root: number): NativeRequest {
    const mem = views();
    const a = mem[(root + Off.ReqA) >> 2];
    switch (mem[(root + Off.ReqKind) >> 2]) {
      case RequestKind.Fd:
        return { kind: 'fd', fd: a, events: mem[(root + Off.ReqB) >> 2] ? 'write' : 'read' };
      case RequestKind.Sleep:
        return { kind: 'sleep', ns: f64[(root + Off.ReqNs) >> 3] };
      case RequestKind.Lock:
        return { kind: 'lock', mutex: a };
      case RequestKind.Unlock:
        return { kind: 'unlock', mutex: a };
      default:
        return YIELD_REQUEST;
    }
  }

  const native: NativeRuntime = {
    functions,
    start(fn: string, args: readonly number[]): number {
      const index = functions.indexOf(fn);
      if (index < 0) throw new AsyncifyBackendError(`asyncify backend: no native function "${fn}"; it has: ${functions.join(', ')}`);
      if (args.length > MAX_ARGS) throw new AsyncifyBackendError(`asyncify backend: native functions take at most ${MAX_ARGS} arguments`);
      const root = ex.qco_native_start(index, nativeData, nativeStack);
      if (root === 0) throw new AsyncifyOutOfMemoryError('asyncify backend: linear memory cannot grow for a new native context');
      const mem = views();
      for (let i = 0; i < args.length; i++) mem[((root + Off.Args) >> 2) + i] = args[i] | 0;
      handles.add(root);
      return root;
    },
    resume(handle: number, input: number): NativeStep {
      if (!handles.has(handle)) throw new AsyncifyBackendError(`asyncify backend: native handle ${handle} is not live`);
      // After a trap the call is dead; its handle stays until cancel (nativeCall's finally).
      if (views()[(handle + Off.State) >> 2] === CtxState.Done) throw new AsyncifyBackendError(`asyncify backend: native call ${handle} has died`);
      run(ex.qco_native_leaf(handle), input | 0);
      const mem = views();
      if (mem[(handle + Off.State) >> 2] === CtxState.Done) {
        const value = mem[(handle + Off.Ret) >> 2];
        handles.delete(handle);
        ex.qco_ctx_free(handle);
        return { done: true, value };
      }
      return { done: false, request: request(handle) };
    },
    cancel(handle: number): void {
      if (handles.delete(handle)) ex.qco_ctx_free(handle);
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
      exports: ex,
      liveContexts: () => handles.size,
      memoryBytes: () => ex.memory.buffer.byteLength,
    },
  };
}

const YIELD_REQUEST: NativeRequest = Object.freeze({ kind: 'yield' });
