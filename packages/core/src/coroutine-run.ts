/**
 * From ordinary async code into a coroutine: coroutineRun creates a coroutine
 * for a coroutine_fn, enters it now, and settles a Promise when it returns or
 * throws — whatever wakes it in between (a completion, a BH, a lock hand-off)
 * does so through the usual wake-up rules.
 */
import { coroutineCreate, coroutineEnter, type Co } from './coroutine.js';

/** Run `body(...args)` in a new coroutine, entered at once; resolves with its result: `await coroutineRun(readAll, blk)`. */
export function coroutineRun<A extends unknown[], T>(body: (...args: A) => Co<T>, ...args: A): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    coroutineEnter(
      coroutineCreate(function* coroutineRunBody() {
        try {
          resolve(yield* body(...args));
        } catch (err) {
          // What the body threw, unchanged, as an await of the coroutine_fn would see it.
          reject(err);
        }
      }),
    );
  });
}
