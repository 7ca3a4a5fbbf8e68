/**
 * Completion plumbing shared by drivers, on the AioContext layer: a oneshot
 * bottom half in the current context (so a blocking aio_poll of the
 * synchronous face sees it too) and qemu_co_sleep_ns on the realtime clock.
 */
import { QEMU_CLOCK_REALTIME, aioBhScheduleOneshot, coSleepNs as coreCoSleepNs, getCurrentAioContext, type Co } from '@qco/core';

/** aio_bh_schedule_oneshot in the current AioContext. */
export function scheduleSoon(fn: () => void): void {
  aioBhScheduleOneshot(getCurrentAioContext(), fn, undefined);
}

/** qemu_co_sleep_ns on the realtime clock: yield for at least `ns` nanoseconds. */
export function* coSleepNs(ns: number): Co {
  if (ns <= 0) return;
  yield* coreCoSleepNs(QEMU_CLOCK_REALTIME, ns);
}
