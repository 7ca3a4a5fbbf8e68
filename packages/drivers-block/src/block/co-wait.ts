/**
 * Waiting for the outside world from a coroutine_fn. A driver hands a request
 * to something that completes later (a Promise, a Node callback, a worker) and
 * the coroutine yields; the completion re-enters it. The wake goes through
 * coroutineWake, so a completion that arrives inside another coroutine runs
 * the waiter when that one yields (QEMU's aio_co_wake), and one that arrives
 * before the coroutine yielded is not lost.
 */
import { coroutineSelf, coroutineWake, coroutineYield, inCoroutine, type Co } from '@qco/core';
import { BlockError } from './errors.js';

/** A completion callback in Node's style. */
export type NodeCallback<T> = (err: Error | null | undefined, value?: T) => void;

/**
 * Start something that completes through `done` and yield until it does;
 * returns its value or throws its error: `const n = yield* coWaitFor<number>((done) => fs.read(..., done))`.
 */
export function* coWaitFor<T>(start: (done: NodeCallback<T>) => void): Co<T> {
  if (!inCoroutine()) throw new BlockError('coWaitFor must be called from a coroutine');
  const self = coroutineSelf();
  let finished = false;
  let waiting = false;
  let error: Error | null | undefined;
  let value: T | undefined;
  start((err, v) => {
    if (finished) return;
    finished = true;
    error = err;
    value = v;
    if (waiting) {
      waiting = false;
      coroutineWake(self);
    }
  });
  while (!finished) {
    waiting = true;
    yield* coroutineYield();
  }
  if (error) throw error;
  return value as T;
}

/** Yield until `promise` settles: `const v = yield* coAwait(p)`. */
export function coAwait<T>(promise: PromiseLike<T>): Co<T> {
  return coWaitFor<T>((done) => {
    promise.then(
      (v) => done(null, v),
      (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
    );
  });
}
