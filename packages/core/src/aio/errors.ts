/**
 * Errors of the event loop layer. QEMU aborts on these conditions; we throw
 * classes carrying QEMU's wording where it has one, so callers can match them.
 */
import { CoroutineError } from '../errors.js';

/** Base class of the AioContext layer's errors. */
export class AioError extends CoroutineError {
  override name = 'AioError';
}

/** An AioContext was destroyed while a BH was still queued and not deleted (aio_ctx_finalize). */
export class BhLeakedError extends AioError {
  override name = 'BhLeakedError';
  constructor(readonly bhName: string) {
    super(`aio_ctx_finalize: BH '${bhName}' leaked (BH leaked: it is still scheduled in the AioContext being destroyed)`);
  }
}

/** AIO_WAIT_WHILE whose condition can never become false: nothing registered can make progress. */
export class AioWaitDeadlockError extends AioError {
  override name = 'AioWaitDeadlockError';
  constructor() {
    super('AIO_WAIT_WHILE would wait forever: the condition is still true and nothing in the AioContext (BH, timer, event notifier, thread-pool request, remote handle) can make progress');
  }
}

/** A synchronous wait (AIO_WAIT_WHILE) from inside a coroutine, which must yield instead. */
export class AioWaitInCoroutineError extends AioError {
  override name = 'AioWaitInCoroutineError';
  constructor() {
    super('AIO_WAIT_WHILE called from a coroutine: a coroutine must yield (e.g. aio_co_schedule + qemu_coroutine_yield) instead of polling the event loop that resumes it');
  }
}

/** A destroyed AioContext was used. */
export class AioContextDestroyedError extends AioError {
  override name = 'AioContextDestroyedError';
  constructor() {
    super('AioContext used after it was destroyed');
  }
}
