/**
 * The synchronous face's engine (QEMU's co_wrapper pattern): run a
 * coroutine_fn in a fresh coroutine and, while it has not finished, poll the
 * event loop in blocking mode. Until the AioContext layer provides a blocking
 * poll, a request that does not finish inside its first entry is reported as
 * needing the asynchronous faces.
 */
import { coroutineCreate, coroutineEnter, type Co } from '@qco/core';
import { BlockError } from './errors.js';
import { Errno } from './errno.js';

/** Blocks until some completion made progress; installed by whoever owns the event loop. */
export type BlockingPoll = () => boolean;

let blockingPoll: BlockingPoll | undefined;

/** Install the blocking poll the synchronous face waits with. */
export function setBlockingPoll(poll: BlockingPoll | undefined): void {
  blockingPoll = poll;
}

/** Run `fn` to completion synchronously and return its result (or throw its error). */
export function runSync<T>(fn: () => Co<T>): T {
  let finished = false;
  let failed = false;
  let value: T | undefined;
  let error: unknown;
  const co = coroutineCreate(function* () {
    try {
      value = yield* fn();
    } catch (err) {
      failed = true;
      error = err;
    }
    finished = true;
  });
  coroutineEnter(co);
  while (!finished) {
    if (blockingPoll === undefined) {
      throw new BlockError('This request did not complete at once and no blocking event loop poll is installed; use the Promise face', Errno.ENOTSUP);
    }
    blockingPoll();
  }
  if (failed) throw error;
  return value as T;
}
