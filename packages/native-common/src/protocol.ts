/**
 * The numbers that cross the addon boundary, mirroring the enums of
 * csrc/qco-internal.h (kept as plain constants so a hot switch compares small
 * integers and allocates nothing).
 */

/** Switch actions (CoroutineAction values, plus the JS hand-off). */
export const YIELD = 1;
/** The body ended. */
export const TERMINATE = 2;
/** The trampoline asks its enterer to run one JavaScript step. */
export const RUN_STEP = 4;
/** The step threw; the body is over. */
export const STEP_THREW = 5;

/** Why a native function yielded (NativeRequest kinds); DONE when it returned. */
export const REQ_DONE = 0;
/** A plain yield. */
export const REQ_YIELD = 1;
/** Wait for an fd (a = fd, b = 1 read / 2 write). */
export const REQ_FD = 2;
/** Sleep (a = ns). */
export const REQ_SLEEP = 3;
/** Take a CoMutex (a = id). */
export const REQ_LOCK = 4;
/** Release a CoMutex (a = id). */
export const REQ_UNLOCK = 5;
