/**
 * Completion plumbing shared by drivers until they are wired to an AioContext:
 * a bottom-half-like "run soon, after the current call returns" (setImmediate,
 * which libuv runs in its check phase like QEMU's BHs after poll) and a
 * nanosecond sleep for coroutines (a timer, as QEMU's qemu_co_sleep_ns).
 */
import { type Co } from '@qco/core';
import { coWaitFor } from '../co-wait.js';

/** Run `fn` after the current call stack and pending I/O callbacks, like a oneshot BH. */
export function scheduleSoon(fn: () => void): void {
  setImmediate(fn);
}

/** qemu_co_sleep_ns on the realtime clock: yield for at least `ns` nanoseconds. */
export function* coSleepNs(ns: number): Co<void> {
  if (ns <= 0) return;
  yield* coWaitFor<void>((done) => {
    setTimeout(() => done(null), Math.max(1, Math.ceil(ns / 1e6)));
  });
}
