/**
 * Waiting for the outside world from a coroutine_fn, the one way every driver
 * does it: hand a request to something that completes later (a Node callback, a
 * Promise, a worker) and yield; the completion wakes the coroutine with
 * aio_co_wake (entered at once from a callback in its own AioContext, queued
 * behind the running coroutine from inside one, scheduled as a BH into its home
 * context from another). A completion that comes before the coroutine yielded is
 * not lost, and a completion callback is never thrown into: a failure of the
 * woken coroutine is rethrown on the next tick, where it reaches the process
 * like any uncaught error, instead of unwinding through a library's internals.
 */
import { coroutineSelf, coroutineYield, inCoroutine, type Co, type Coroutine } from '../coroutine.js';
import { CoroutineError } from '../errors.js';
import { aioCoWake } from './aio-co.js';

/** A completion callback in Node's style. */
export type NodeCallback<T> = (err: Error | null | undefined, value?: T) => void;

/**
 * Start something that completes through `done` and yield until it does; returns
 * its value or throws its error (T defaults to void, for a completion without a value): `const n = yield* coWaitFor<number>((done) => fs.read(fd, buf, 0, len, pos, done))`.
 */
export function* coWaitFor<T = void>(start: (done: NodeCallback<T>) => void): Co<T> {
  if (!inCoroutine()) throw new CoroutineError('coWaitFor must be called from a coroutine');
  const self = coroutineSelf();
  // An object, not locals: the callback sets it while the loop below is suspended.
  const st: { finished: boolean; waiting: boolean; error: Error | null | undefined; value: T | undefined } = {
    finished: false,
    waiting: false,
    error: undefined,
    value: undefined,
  };
  start((err, v) => {
    if (st.finished) return;
    st.finished = true;
    st.error = err;
    st.value = v;
    if (!st.waiting) return;
    st.waiting = false;
    aioCoWakeFromCallback(self);
  });
  while (!st.finished) {
    st.waiting = true;
    yield coroutineYield();
  }
  if (st.error) throw st.error;
  return st.value as T;
}

/**
 * aio_co_wake from a completion callback: the woken coroutine runs (or is
 * queued) as with aioCoWake, but its failure is rethrown on the next tick
 * instead of into the callback's caller, a library's internals.
 */
export function aioCoWakeFromCallback(co: Coroutine): void {
  try {
    aioCoWake(co);
  } catch (failure) {
    process.nextTick(() => {
      throw failure;
    });
  }
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
