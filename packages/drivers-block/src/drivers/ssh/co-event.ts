/**
 * How the ssh driver's coroutines wait for ssh2. ssh2 runs on the Node event
 * loop and reports each SFTP reply through a callback from the channel's
 * readable handler; the seeds' restart pattern maps onto that directly: a
 * request that would block yields, and the callback re-enters it through
 * aio_co_wake (entered at once from a callback in the coroutine's own
 * AioContext, queued behind the running coroutine from inside one, scheduled
 * as a bottom half in another context). ssh2 owns the socket and reads it in
 * flowing mode, so the callbacks it makes from its 'data' handler are the
 * channel's readable handler; registering the socket again with
 * aio_set_fd_handler would fight ssh2 for the stream. A waiter re-checks its condition after
 * every wake-up, so a callback that fires before the coroutine got to yield, or
 * a stray wake, costs nothing. A coroutine woken from inside ssh2's packet
 * parser must not throw into ssh2, so a failure there is rethrown on the next tick.
 */
import { CoroutineError, aioCoWake, coroutineSelf, coroutineYield, inCoroutine, type Co, type Coroutine } from '@qco/core';

/** aio_co_wake from a completion callback: re-enter `co`. */
export function wakeFromCallback(co: Coroutine): void {
  try {
    aioCoWake(co);
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
  }
}

/** A single-waiter event: `wait()` yields until `notify()`; the caller re-checks its condition in a loop. */
export class CoEvent {
  private waiter: Coroutine | null = null;

  /** Yield until the next notify (call it in a `while (!condition)` loop). */
  *wait(): Co {
    if (!inCoroutine()) throw new CoroutineError('CoEvent.wait must be called from a coroutine');
    this.waiter = coroutineSelf();
    try {
      yield* coroutineYield();
    } finally {
      this.waiter = null;
    }
  }

  /** Wake the waiter if one is yielded here; otherwise nothing (its loop will see the new state). */
  notify(): void {
    const w = this.waiter;
    if (w === null) return;
    this.waiter = null;
    wakeFromCallback(w);
  }
}
