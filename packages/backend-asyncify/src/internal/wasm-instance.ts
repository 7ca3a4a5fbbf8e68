/**
 * One instance of an asyncify module (the backend's own, or a consumer's built
 * with qco-asyncify-build): its linear memory, the qco_run levels active in it,
 * the recovery after a trap, and its C functions started, resumed and cancelled
 * by root context address. A native call runs entirely inside one instance.
 */
import type { NativeArg, NativeRequest, NativeStep } from '@qco/backend-api';
import { AsyncifyBackendError, AsyncifyDataOverflowError, AsyncifyOutOfMemoryError, AsyncifyStackOverflowError, AsyncifyTrapError } from '../errors.js';
import { ARG_SIZE, CtxState, FD_WRITE, HEADER, MAX_ARGS, Off, RequestKind } from './layout.js';
import { instantiate, wasm, type QcoWasmExports, type WasmModule } from './wasm-module.js';

const TOO_DEEP = 'asyncify backend: native calls nested too deeply (8192 nested runs from JavaScript)';
const NOT_RUNNABLE = 'asyncify backend: the context cannot be run now (it is running, or its call died)';
const YIELD_REQUEST: NativeRequest = Object.freeze({ kind: 'yield' });

/** Bytes of a Uint8Array argument, copied into linear memory for the call. */
interface Lent {
  readonly ptr: number;
  readonly array: Uint8Array;
}

/** An instantiated module. */
export interface WasmInstance {
  readonly ex: QcoWasmExports;
  /** Its C functions, in registration order. */
  readonly functions: readonly string[];
  /** Start function `index` with `args`; returns the root context's address. Nothing runs yet. */
  start(index: number, args: readonly NativeArg[]): number;
  /** Resume the call at `root` with `input`. */
  resume(root: number, input: number): NativeStep;
  /** Free the call at `root` (its lent bytes are dropped). */
  cancel(root: number): void;
  /** The C conformance suite's case names (the backend's own module only). */
  suiteCases(): string[];
  /** Run case `name` to its end; '' when it passed, else what went wrong. */
  runSuiteCase(name: string): string;
}

/** Sizes of a native call's context. */
export interface ContextSizes {
  readonly data: number;
  readonly stack: number;
}

/** Instantiate `mod` (null: the backend's own module). */
export function openInstance(mod: WasmModule | null, sizes: ContextSizes): WasmInstance {
  // qco_run calls active now (set back before anything that could throw), and the
  // level of one that died without its recovery (-1: none).
  let level = 0;
  let stale = -1;

  const ex = instantiate(
    {
      step(): number {
        // Only qco_run calls this, for a JavaScript-body context, and none is ever made.
        throw new AsyncifyBackendError('asyncify backend: no JavaScript body runs inside the module');
      },
    },
    mod ?? undefined,
  );

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
  function fault(err: unknown, at: number): Error {
    // If this runs out of stack itself, `stale` stays set and the recovery is done on
    // the way back into wasm (an outer step returning, or the next qco_run).
    const state = ex.asyncify_get_state();
    const dead = ex.qco_recover(at);
    stale = -1;
    if (!(err instanceof wasm.RuntimeError)) return err as Error;
    const mem = views();
    const where = dead === 0 ? 'outside any context' : `in the context at 0x${dead.toString(16)}`;
    if (dead !== 0) {
      const dataBytes = (mem[(dead + Off.DataEnd) >> 2] ?? 0) - dead - HEADER;
      const stackBytes = (mem[(dead + Off.StackHi) >> 2] ?? 0) - (mem[(dead + Off.StackLo) >> 2] ?? 0);
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
        return new AsyncifyStackOverflowError(`Coroutine stack overflow ${where}: its ${stackBytes}-byte shadow stack is exhausted (raise nativeStackSize)`, {
          cause: err,
        });
      }
    }
    return new AsyncifyTrapError(`Coroutine trapped ${where}: ${err.message}`, { cause: err });
  }

  function run(ptr: number, value: number): number {
    if (stale >= 0) {
      ex.qco_recover(stale);
      stale = -1;
    }
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

  const functions: string[] = [];
  for (let i = 0, n = ex.qco_fn_count(); i < n; i++) functions.push(cString(ex.qco_fn_name(i)));
  // Only calls given byte buffers have an entry.
  const lent = new Map<number, Lent[]>();

  function request(root: number): NativeRequest {
    const mem = views();
    const a = mem[(root + Off.ReqA) >> 2] ?? 0;
    switch (mem[(root + Off.ReqKind) >> 2]) {
      case RequestKind.Fd:
        return { kind: 'fd', fd: a, events: ((mem[(root + Off.ReqB) >> 2] ?? 0) & FD_WRITE) !== 0 ? 'write' : 'read' };
      case RequestKind.Sleep:
        return { kind: 'sleep', ns: f64[(root + Off.ReqNs) >> 3] ?? 0 };
      case RequestKind.Lock:
        return { kind: 'lock', mutex: a };
      case RequestKind.Unlock:
        return { kind: 'unlock', mutex: a };
      default:
        return YIELD_REQUEST;
    }
  }

  function release(root: number, copyBack: boolean): void {
    const bytes = lent.get(root);
    if (bytes !== undefined) {
      lent.delete(root);
      const mem = new Uint8Array(ex.memory.buffer);
      for (const b of bytes) {
        if (copyBack) b.array.set(mem.subarray(b.ptr, b.ptr + b.array.length));
        ex.qco_bytes_free(b.ptr);
      }
    }
    ex.qco_ctx_free(root);
  }

  return {
    ex,
    functions,
    start(index: number, args: readonly NativeArg[]): number {
      if (args.length > MAX_ARGS) throw new AsyncifyBackendError(`asyncify backend: native functions take at most ${MAX_ARGS} arguments`);
      const root = ex.qco_native_start(index, sizes.data, sizes.stack);
      if (root === 0) throw new AsyncifyOutOfMemoryError('asyncify backend: linear memory cannot grow for a new native context');
      let bytes: Lent[] | undefined;
      for (let i = 0; i < args.length; i++) {
        const arg = args[i];
        const at = root + Off.Args + i * ARG_SIZE;
        if (typeof arg === 'number') {
          views();
          f64[at >> 3] = arg;
          continue;
        }
        const ptr = ex.qco_bytes_alloc(arg.length);
        if (ptr === 0) {
          lent.set(root, bytes ?? []);
          release(root, false);
          throw new AsyncifyOutOfMemoryError(`asyncify backend: linear memory cannot grow for a ${arg.length}-byte argument`);
        }
        (bytes ??= []).push({ ptr, array: arg });
        new Uint8Array(ex.memory.buffer).set(arg, ptr);
        const mem = views();
        f64[at >> 3] = 0;
        mem[(at + 8) >> 2] = ptr;
        mem[(at + 12) >> 2] = arg.length;
      }
      views()[(root + Off.NArgs) >> 2] = args.length;
      if (bytes !== undefined) lent.set(root, bytes);
      return root;
    },
    resume(root: number, input: number): NativeStep {
      // After a trap the call is dead; its handle stays until cancel (nativeCall's finally).
      if (views()[(root + Off.State) >> 2] === CtxState.Done) throw new AsyncifyBackendError(`asyncify backend: native call ${root} has died`);
      run(ex.qco_native_leaf(root), input | 0);
      const mem = views();
      if (mem[(root + Off.State) >> 2] === CtxState.Done) {
        const value = f64[(root + Off.Ret) >> 3] ?? 0;
        release(root, true);
        return { done: true, value };
      }
      return { done: false, request: request(root) };
    },
    cancel(root: number): void {
      release(root, false);
    },
    suiteCases(): string[] {
      const names: string[] = [];
      for (let i = 0, n = ex.qco_suite_count?.() ?? 0; i < n; i++) names.push(cString(ex.qco_suite_name?.(i) ?? 0));
      return names;
    },
    runSuiteCase(name: string): string {
      const index = this.suiteCases().indexOf(name);
      if (index < 0 || ex.qco_suite_start === undefined || ex.qco_suite_result === undefined) return `no C suite case "${name}"`;
      const ctx = ex.qco_suite_start(index, sizes.data, sizes.stack);
      if (ctx === 0) throw new AsyncifyOutOfMemoryError('asyncify backend: linear memory cannot grow for a suite case');
      try {
        run(ctx, 0);
        if (views()[(ctx + Off.State) >> 2] !== CtxState.Done) return 'the case yielded to no one and did not end';
        const msg = ex.qco_suite_result(ctx);
        return msg === 0 ? '' : cString(msg);
      } finally {
        ex.qco_ctx_free(ctx);
      }
    },
  };
}
