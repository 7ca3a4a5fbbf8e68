/**
 * AIO_WAIT_WHILE (include/block/aio-wait.h): a synchronous caller polls a
 * context until a condition turns false. It refuses to run inside a coroutine
 * (the coroutine must yield to the loop that resumes it, not poll that loop) and
 * throws instead of hanging when the condition is still true and nothing in the
 * context can ever make progress.
 */
import { inCoroutine } from '../coroutine.js';
import { getMainAioContext, type AioContext } from './aio-context.js';
import { AioWaitDeadlockError, AioWaitInCoroutineError } from './errors.js';

/** AIO_WAIT_WHILE(ctx, cond): poll `ctx` (the main context when null) while `cond()` is true. */
export function aioWaitWhile(ctx: AioContext | null, cond: () => boolean): void {
  if (inCoroutine()) throw new AioWaitInCoroutineError();
  const c = ctx ?? getMainAioContext();
  while (cond()) {
    if (!c.poll(true) && cond() && !c.canMakeProgress()) throw new AioWaitDeadlockError();
  }
}

/** AIO_WAIT_WHILE_UNLOCKED: the same (no context lock exists in a single-threaded runtime). */
export const aioWaitWhileUnlocked = aioWaitWhile;
