/**
 * Driving a coroutine from a test without an event loop: enter it, and enter it
 * again each time it yields, until it ends. A body whose waits each yield once
 * (a native wait server that yields, a C body's qco_yield) then shows one yield
 * per wait in the count.
 */
import { coroutineCreate, coroutineEnter, coroutineIsTerminated, type Co, type Coroutine } from '@qco/core';

/** Enter `co` until it terminates; returns how many enters it took (its yields + 1). */
export function enterUntilDone(co: Coroutine): number {
  let enters = 0;
  while (!coroutineIsTerminated(co)) {
    coroutineEnter(co);
    enters++;
  }
  return enters;
}

/** Run `fn` as a new coroutine to its end by entering it again after each yield; returns its result and how many times it yielded. */
export function runToEnd<T>(fn: () => Co<T>): { value: T; yields: number } {
  let value: { v: T } | undefined;
  const co = coroutineCreate(function* () {
    value = { v: yield* fn() };
  });
  const yields = enterUntilDone(co) - 1;
  if (value === undefined) throw new Error('runToEnd: the coroutine ended without returning');
  return { value: value.v, yields };
}
