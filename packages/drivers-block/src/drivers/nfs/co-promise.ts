/**
 * Run a coroutine_fn to completion from ordinary async code: create a
 * coroutine, enter it, and settle a Promise when it returns or throws. The nfs
 * driver's completions arrive from the Node event loop, so awaiting this is how
 * tests and the benchmark drive it without the block layer's BlockBackend.
 */
import { coroutineCreate, coroutineEnter, type Co } from '@qco/core';

/** Run `fn()` in a new coroutine; resolves with its result. */
export function runCoroutine<T>(fn: () => Co<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const co = coroutineCreate(function* () {
      try {
        resolve(yield* fn());
      } catch (err) {
        reject(err);
      }
    });
    coroutineEnter(co);
  });
}
