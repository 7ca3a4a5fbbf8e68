/**
 * Errors of the coroutine core. QEMU aborts the process on these conditions; we
 * throw instead, with QEMU's message text, so callers can match on class or text.
 */

import { CoroutineError } from '@qco/backend-api';

// Defined in @qco/backend-api, which backends share with the core, so one class serves both.
export { BackendNotAvailableError, CoroutineError } from '@qco/backend-api';

/** A coroutine was entered while running or already entered. */
export class CoroutineReenteredError extends CoroutineError {
  override name = 'CoroutineReenteredError';
  constructor() {
    super('Co-routine re-entered recursively');
  }
}

/** A coroutine was entered while a scheduler (aio_co_schedule, co-sleep) still owns its wake-up. */
export class CoroutineAlreadyScheduledError extends CoroutineError {
  override name = 'CoroutineAlreadyScheduledError';
  constructor(readonly scheduler: string) {
    super(`Co-routine was already scheduled in '${scheduler}'`);
  }
}

/** A yield with nobody to return to: outside a coroutine, or after its caller is gone. */
export class CoroutineYieldToNoOneError extends CoroutineError {
  override name = 'CoroutineYieldToNoOneError';
  constructor() {
    super('Co-routine is yielding to no one');
  }
}

/** A coroutine ended while still holding CoMutex locks (QEMU asserts locks_held == 0). */
export class CoroutineLocksHeldError extends CoroutineError {
  override name = 'CoroutineLocksHeldError';
  constructor(readonly locksHeld: number) {
    super(`Co-routine terminated while holding ${locksHeld} lock${locksHeld === 1 ? '' : 's'} (CoMutex / CoRwlock)`);
  }
}

/** A CoMutex whose holder terminated holding it: it can never be unlocked, so lockers fail instead of waiting forever. */
export class CoMutexHolderTerminatedError extends CoroutineError {
  override name = 'CoMutexHolderTerminatedError';
  constructor(readonly holder: string) {
    super(`CoMutex is held by ${holder}, which terminated holding it; it can never be unlocked`);
  }
}

/** A coroutine that already terminated was entered again. */
export class CoroutineTerminatedError extends CoroutineError {
  override name = 'CoroutineTerminatedError';
  constructor() {
    super('Co-routine entered after it terminated');
  }
}

/** A backend implements another version of the backend contract. */
export class BackendSpecificationError extends CoroutineError {
  override name = 'BackendSpecificationError';
}

/** A body of a kind the selected backend cannot run (plain functions need the threads backend). */
export class UnsupportedBodyError extends CoroutineError {
  override name = 'UnsupportedBodyError';
}

/** A second copy of @qco/core was loaded into a process that already runs one. */
export class CoreDuplicatedError extends CoroutineError {
  override name = 'CoreDuplicatedError';
  constructor(
    readonly first: string,
    readonly second: string,
  ) {
    super(
      `Two copies of @qco/core in one process: ${first} was loaded first, then ${second}; each copy would keep its own coroutines and backend. Install one @qco/core (packages that use it take it as a peer dependency)`,
    );
  }
}
