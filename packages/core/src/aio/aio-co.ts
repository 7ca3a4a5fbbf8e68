/**
 * Coroutines and AioContexts (QEMU's aio_co_schedule / aio_co_enter / aio_co_wake
 * / aio_co_reschedule_self in util/async.c, qemu_co_sleep_ns in
 * util/qemu-co-sleep.c). A coroutine scheduled into a context is marked
 * `scheduled = 'aio_co_schedule'` until that context's schedule BH enters it, so
 * an early direct enter is caught with QEMU's message; the BH enters the
 * scheduled coroutines in the order they were scheduled. The first AioContext made
 * installs the wake router, which sends the core's plain wake-ups (CoQueue, CoMutex,
 * CoSleep) made while another context is being polled through aio_co_wake's rule:
 * the coroutine is scheduled back into its home context rather than entered on the spot.
 */
import {
  coState,
  coroutineEnterIn,
  coroutineSelf,
  coroutineWake,
  coroutineYield,
  inCoroutine,
  setCoroutineWakeRouter,
  type Co,
  type Coroutine,
} from '../coroutine.js';
import { CoroutineAlreadyScheduledError, CoroutineError } from '../errors.js';
import { CoSleep } from '../locks/co-sleep.js';
import { AioAttachmentKey, getCurrentAioContext, getMainAioContext, pollingAioContext, type AioContext } from './aio-context.js';
import type { QEMUBH } from './bh.js';
import { qemuClockGetNs, type QEMUClockType } from './clock.js';

/** The scheduler name aio_co_schedule leaves on a coroutine until it runs. */
export const AIO_CO_SCHEDULER = 'aio_co_schedule';

interface ScheduleState {
  readonly bh: QEMUBH<AioContext>;
  list: Coroutine[];
}

const SCHEDULE = new AioAttachmentKey<ScheduleState>('aio_co_schedule', (ctx) => ({ bh: ctx.bhNew(coScheduleBh, ctx, 'co_schedule_bh_cb'), list: [] }));

function scheduleState(ctx: AioContext): ScheduleState {
  return ctx.attachment(SCHEDULE);
}

function coScheduleBh(ctx: AioContext): void {
  const st = scheduleState(ctx);
  const list = st.list;
  st.list = [];
  for (let i = 0; i < list.length; i++) {
    const co = list[i];
    coState(co).scheduled = null;
    try {
      coroutineEnterIn(ctx, co);
    } catch (err) {
      // Keep the rest for the next poll before reporting the failure.
      const rest = list.slice(i + 1);
      if (rest.length > 0) {
        st.list = rest.concat(st.list);
        st.bh.schedule();
      }
      throw err;
    }
  }
}

/** aio_co_schedule: enter `co` from a BH of `ctx` at its next poll. */
export function aioCoSchedule(ctx: AioContext, co: Coroutine): void {
  const st0 = coState(co);
  if (st0.scheduled !== null) throw new CoroutineAlreadyScheduledError(st0.scheduled);
  st0.scheduled = AIO_CO_SCHEDULER;
  const st = scheduleState(ctx);
  st.list.push(co);
  st.bh.schedule();
}

/**
 * aio_co_enter: in `ctx` itself and outside a coroutine, enter `co` now; from
 * inside a coroutine of `ctx`, queue it to run when the current one yields;
 * from any other context, schedule it into `ctx`.
 */
export function aioCoEnter(ctx: AioContext, co: Coroutine): void {
  if (ctx !== getCurrentAioContext()) {
    aioCoSchedule(ctx, co);
    return;
  }
  if (inCoroutine()) {
    coroutineWake(co);
    return;
  }
  coroutineEnterIn(ctx, co);
}

/** aio_co_wake: aio_co_enter into the context `co` last ran in (the main one if none). */
export function aioCoWake(co: Coroutine): void {
  const ctx = coState(co).ctx ?? getMainAioContext();
  aioCoEnter(ctx, co);
}

/** aio_co_reschedule_self: move the running coroutine to `newCtx` (it continues from newCtx's next poll). */
export function* aioCoRescheduleSelf(newCtx: AioContext): Co {
  if (!inCoroutine()) throw new CoroutineError('aio_co_reschedule_self must be called from a coroutine');
  if (newCtx === getCurrentAioContext()) return;
  aioCoSchedule(newCtx, coroutineSelf());
  yield coroutineYield();
}

/**
 * qemu_co_sleep_ns_wakeable: sleep `ns` on `clock` in the current context, or
 * until `w.wake()` comes first. While asleep the coroutine is marked scheduled by
 * 'qemu_co_sleep_ns'.
 */
export function* coSleepNsWakeable(w: CoSleep, clock: QEMUClockType, ns: number): Co {
  const ctx = getCurrentAioContext();
  const timer = ctx.timerNew(clock, 1, (s: CoSleep) => s.wake(), w);
  timer.modNs(qemuClockGetNs(clock) + ns);
  try {
    yield* w.sleep();
  } finally {
    timer.del();
  }
}

/** qemu_co_sleep_ns: sleep `ns` on `clock` (a coroutine_fn). */
export function coSleepNs(clock: QEMUClockType, ns: number): Co {
  return coSleepNsWakeable(new CoSleep(), clock, ns);
}

/**
 * @internal Give the core aio_co_wake's context rule for the wake-ups it does
 * (locks, co-sleep): inside a poll of another context, schedule the coroutine back
 * into its own; outside any poll nothing else runs on this thread, so it is woken
 * there. Called by the AioContext constructor: a coroutine has a home context only
 * once one exists.
 */
export function installCoroutineWakeRouter(): void {
  setCoroutineWakeRouter(routeWake);
}

function routeWake(co: Coroutine): boolean {
  const st = coState(co);
  const ctx = st.ctx as AioContext;
  const polling = pollingAioContext();
  if (polling === null || polling === ctx || ctx.isDestroyed || st.scheduled !== null) return false;
  aioCoSchedule(ctx, co);
  return true;
}
