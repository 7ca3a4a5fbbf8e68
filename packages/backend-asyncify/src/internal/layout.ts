/**
 * Byte offsets of the context header (csrc/runtime.c, struct QcoCoroutine) that
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
  NArgs = 64,
  ReqKind = 68,
  ReqA = 72,
  ReqB = 76,
  ReqNs = 80,
  Ret = 88,
  Size = 96,
  Args = 128,
}

/** Size of one QcoArg (double number; uint8_t *bytes; size_t length). */
export const ARG_SIZE = 16;

/** Size of the context header, in bytes. */
export const HEADER = 272;

/** Most arguments a native function takes (qco.h's QCO_MAX_ARGS). */
export const MAX_ARGS = 8;

/** qco.h's QCO_FD_WRITE. */
export const FD_WRITE = 2;
