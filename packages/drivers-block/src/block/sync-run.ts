/**
 * The synchronous face's engine (QEMU's co_wrapper pattern): run a
 * coroutine_fn in a fresh coroutine and, while it has not finished, run a
 * blocking aio_poll of the current AioContext. A blocking poll sleeps on the
 * thread's wake word, so it sees BHs, timers and thread-pool / SharedArrayBuffer
 * completions, but never libuv callbacks: drivers whose completions arrive
 * through sockets are refused before this is reached (SyncUnsupportedError).
 */
import { aioPoll, coroutineCreate, coroutineEnter, getCurrentAioContext, type Co } from '@qco/core';
import { BlockError } from './errors.js';
import { Errno } from './errno.js';

/** Blocks until some completion made progress; installed by whoever owns the event loop. */
export type BlockingPoll = () => boolean;

let blockingPoll: BlockingPoll | undefined = () => aioPoll(getCurrentAioContext(), true);

/** Replace the blocking poll the synchronous face waits with (undefined: refuse to wait). */
export function setBlockingPoll(poll: BlockingPoll | undefined): void {
  blockingPoll = poll;
}

let syncDepth = 0;

/**
 * Whether a synchronous-face call is waiting right now: drivers with a faster
 * libuv completion path use their blocking-poll-visible path instead.
 */
export function inSyncWait(): boolean {
  return syncDepth > 0;
}

/** Run `fn` to completion synchronously and return its result (or throw its error). */
export function runSync<T>(fn: () => Co<T>): T {
  syncDepth++;
  try {
    return runSyncInner(fn);
  } finally {
    syncDepth--;
  }
}

function runSyncInner<T>(fn: () => Co<T>): T {
  // An object, not locals: the coroutine sets it while the loop below polls.
  const st: { finished: boolean; failed: boolean; value: T | undefined; error: unknown } = { finished: false, failed: false, value: undefined, error: undefined };
  const co = coroutineCreate(function* () {
    try {
      st.value = yield* fn();
    } catch (err) {
      st.failed = true;
      st.error = err;
    }
    st.finished = true;
  });
  coroutineEnter(co);
  let idle = 0;
  while (!st.finished) {
    if (blockingPoll === undefined) {
      throw new BlockError('This request did not complete at once and no blocking event loop poll is installed; use the Promise face', Errno.ENOTSUP);
    }
    if (blockingPoll()) idle = 0;
    else if (++idle >= 3) {
      // Nothing could ever wake us: the request waits for something a blocking poll cannot see.
      throw new BlockError('A synchronous request is waiting for an event a blocking aio_poll cannot see; use the Promise face', Errno.EDEADLK);
    }
  }
  if (st.failed) throw st.error;
  return st.value as T;
}
