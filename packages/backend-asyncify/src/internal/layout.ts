/**
 * Byte offsets of the context header (csrc/runtime.c, struct QcoCtx) that
 * JavaScript reads; the C side asserts the same offsets at compile time.
 */

/** Context state values (ST_* in runtime.c). */
export const enum CtxState {
  Free = 0,
  Fresh = 1,
  Suspended = 2,
  Running = 3,
  Done = 4,
}

/** Request kinds (REQ_* in runtime.c). */
export const enum RequestKind {
  None = 0,
  Yield = 1,
  Fd = 2,
  Sleep = 3,
  Lock = 4,
  Unlock = 5,
}

/** Offsets into a context header. */
export const enum Off {
  DataUsed = 0,
  DataEnd = 4,
  Sp = 8,
  StackLo = 12,
  StackHi = 16,
  State = 20,
  Kind = 44,
  Args = 64,
  Ret = 88,
  ReqKind = 92,
  ReqA = 96,
  ReqB = 100,
  ReqNs = 104,
  Size = 112,
}

/** Size of the context header, in bytes. */
export const HEADER = 160;

/** Most arguments a native function takes. */
export const MAX_ARGS = 6;
