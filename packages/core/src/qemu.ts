/**
 * QEMU's names for the qco API, as thin aliases, for people porting C code:
 * `qemu_coroutine_create(fn, opaque)`, `yield qemu_coroutine_yield()`, … Each
 * is the camelCase function or method it names; nothing here has logic of its own.
 * It imports the core by its package name (kept external in the build), so
 * `@qco/core/qemu` and `@qco/core` share one core instance.
 */
import {
  coroutineCreate,
  coroutineEnter,
  coroutineEntered,
  coroutineSelf,
  coroutineYield,
  inCoroutine,
  type Co,
  type Coroutine,
} from '@qco/core';
import { CoMutex } from '@qco/core';
import { CoQueue } from '@qco/core';
import { CoRwlock } from '@qco/core';
import { CoSleep } from '@qco/core';
import { makeLockable, type Lockable } from '@qco/core';

/** qemu_coroutine_create */
export const qemu_coroutine_create = coroutineCreate;
/** qemu_coroutine_enter */
export const qemu_coroutine_enter = coroutineEnter;
/** qemu_coroutine_yield (use as `yield qemu_coroutine_yield()`) */
export const qemu_coroutine_yield = coroutineYield;
/** qemu_coroutine_self */
export const qemu_coroutine_self = coroutineSelf;
/** qemu_in_coroutine */
export const qemu_in_coroutine = inCoroutine;
/** qemu_coroutine_entered */
export const qemu_coroutine_entered = coroutineEntered;

/** qemu_co_mutex_init */
export const qemu_co_mutex_init = (): CoMutex => new CoMutex();
/** qemu_co_mutex_lock */
export const qemu_co_mutex_lock = (m: CoMutex): Co => m.lock();
/** qemu_co_mutex_unlock */
export const qemu_co_mutex_unlock = (m: CoMutex): void => m.unlock();

/** qemu_co_queue_init */
export const qemu_co_queue_init = (): CoQueue => new CoQueue();
/** qemu_co_queue_wait */
export const qemu_co_queue_wait = (q: CoQueue, lock?: Lockable | null): Co => q.wait(lock ?? undefined);
/** qemu_co_queue_next */
export const qemu_co_queue_next = (q: CoQueue): boolean => q.next();
/** qemu_co_queue_restart_all */
export const qemu_co_queue_restart_all = (q: CoQueue): void => q.restartAll();
/** qemu_co_enter_next */
export const qemu_co_enter_next = (q: CoQueue, lock?: Lockable | null): boolean => q.enterNext(lock ?? undefined);
/** qemu_co_queue_empty */
export const qemu_co_queue_empty = (q: CoQueue): boolean => q.isEmpty();

/** qemu_co_rwlock_init */
export const qemu_co_rwlock_init = (): CoRwlock => new CoRwlock();
/** qemu_co_rwlock_rdlock */
export const qemu_co_rwlock_rdlock = (l: CoRwlock): Co => l.rdlock();
/** qemu_co_rwlock_wrlock */
export const qemu_co_rwlock_wrlock = (l: CoRwlock): Co => l.wrlock();
/** qemu_co_rwlock_upgrade */
export const qemu_co_rwlock_upgrade = (l: CoRwlock): Co => l.upgrade();
/** qemu_co_rwlock_downgrade */
export const qemu_co_rwlock_downgrade = (l: CoRwlock): void => l.downgrade();
/** qemu_co_rwlock_unlock */
export const qemu_co_rwlock_unlock = (l: CoRwlock): void => l.unlock();

/** qemu_co_sleep (until woken) */
export const qemu_co_sleep = (w: CoSleep): Co => w.sleep();
/** qemu_co_sleep_wake */
export const qemu_co_sleep_wake = (w: CoSleep): void => w.wake();

/** QEMU_MAKE_LOCKABLE */
export const QEMU_MAKE_LOCKABLE = makeLockable;
/** qemu_lockable_lock */
export const qemu_lockable_lock = (l: Lockable): Co => l.lock();
/** qemu_lockable_unlock */
export const qemu_lockable_unlock = (l: Lockable): void => l.unlock();

export type { Co, Coroutine, CoMutex, CoQueue, CoRwlock, CoSleep, Lockable };

// ---------------------------------------------------------------------------
// Event loop (util/async.c, util/aio-posix.c, util/qemu-timer.c, util/qemu-co-sleep.c)

import {
  aioBhNew,
  aioBhScheduleOneshot,
  aioCoEnter,
  aioCoRescheduleSelf,
  aioCoSchedule,
  aioCoWake,
  aioContextNew,
  aioNotify,
  aioPoll,
  aioSetEventNotifier,
  aioSetFdHandler,
  aioTimerNew,
  aioWaitWhile,
  aioWaitWhileUnlocked,
  coSleepNs,
  coSleepNsWakeable,
  getCurrentAioContext,
  getMainAioContext,
  qemuBhNew,
  qemuClockGetMs,
  qemuClockGetNs,
  qemuClockGetUs,
  timerNewMs,
  timerNewNs,
  type AioContext,
  type EventNotifier,
  type QEMUBH,
  type QEMUClockType,
  type QEMUTimer,
} from '@qco/core';
import { EventNotifier as EventNotifierClass } from '@qco/core';

export {
  QEMU_CLOCK_HOST,
  QEMU_CLOCK_REALTIME,
  QEMU_CLOCK_VIRTUAL,
  QEMU_CLOCK_VIRTUAL_RT,
  SCALE_MS,
  SCALE_NS,
  SCALE_US,
} from '@qco/core';

/** aio_context_new */
export const aio_context_new = aioContextNew;
/** aio_context_unref (finalize; throws BhLeakedError for a leaked BH) */
export const aio_context_unref = (ctx: AioContext): void => ctx.destroy();
/** aio_context_acquire */
export const aio_context_acquire = (ctx: AioContext): void => ctx.acquire();
/** aio_context_release */
export const aio_context_release = (ctx: AioContext): void => ctx.release();
/** qemu_get_aio_context */
export const qemu_get_aio_context = getMainAioContext;
/** qemu_get_current_aio_context */
export const qemu_get_current_aio_context = getCurrentAioContext;
/** aio_poll */
export const aio_poll = aioPoll;
/** aio_notify */
export const aio_notify = aioNotify;
/** AIO_WAIT_WHILE */
export const AIO_WAIT_WHILE = aioWaitWhile;
/** AIO_WAIT_WHILE_UNLOCKED */
export const AIO_WAIT_WHILE_UNLOCKED = aioWaitWhileUnlocked;

/** aio_bh_new */
export const aio_bh_new = aioBhNew;
/** qemu_bh_new (main loop context) */
export const qemu_bh_new = qemuBhNew;
/** aio_bh_schedule_oneshot */
export const aio_bh_schedule_oneshot = aioBhScheduleOneshot;
/** qemu_bh_schedule */
export const qemu_bh_schedule = (bh: QEMUBH<never>): void => bh.schedule();
/** qemu_bh_schedule_idle */
export const qemu_bh_schedule_idle = (bh: QEMUBH<never>): void => bh.scheduleIdle();
/** qemu_bh_cancel */
export const qemu_bh_cancel = (bh: QEMUBH<never>): void => bh.cancel();
/** qemu_bh_delete */
export const qemu_bh_delete = (bh: QEMUBH<never>): void => bh.delete();

/** qemu_clock_get_ns */
export const qemu_clock_get_ns = qemuClockGetNs;
/** qemu_clock_get_us */
export const qemu_clock_get_us = qemuClockGetUs;
/** qemu_clock_get_ms */
export const qemu_clock_get_ms = qemuClockGetMs;
/** aio_timer_new */
export const aio_timer_new = aioTimerNew;
/** timer_new_ns (main loop context) */
export const timer_new_ns = timerNewNs;
/** timer_new_ms (main loop context) */
export const timer_new_ms = timerNewMs;
/** timer_mod (in the timer's scale) */
export const timer_mod = (ts: QEMUTimer<never>, expireTime: number): void => ts.mod(expireTime);
/** timer_mod_ns */
export const timer_mod_ns = (ts: QEMUTimer<never>, expireNs: number): void => ts.modNs(expireNs);
/** timer_mod_anticipate_ns */
export const timer_mod_anticipate_ns = (ts: QEMUTimer<never>, expireNs: number): void => ts.modAnticipateNs(expireNs);
/** timer_del */
export const timer_del = (ts: QEMUTimer<never>): void => ts.del();
/** timer_free */
export const timer_free = (ts: QEMUTimer<never>): void => ts.free();
/** timer_pending */
export const timer_pending = (ts: QEMUTimer<never>): boolean => ts.pending;
/** timer_expire_time_ns */
export const timer_expire_time_ns = (ts: QEMUTimer<never>): number => ts.expireTimeNs;

/** event_notifier_init */
export const event_notifier_init = (active = false): EventNotifier => new EventNotifierClass(active);
/** event_notifier_set */
export const event_notifier_set = (e: EventNotifier): void => e.set();
/** event_notifier_test_and_clear */
export const event_notifier_test_and_clear = (e: EventNotifier): boolean => e.testAndClear();
/** event_notifier_cleanup */
export const event_notifier_cleanup = (e: EventNotifier): void => e.cleanup();
/** aio_set_event_notifier */
export const aio_set_event_notifier = aioSetEventNotifier;
/** aio_set_fd_handler (over a stream) */
export const aio_set_fd_handler = aioSetFdHandler;

/** aio_co_schedule */
export const aio_co_schedule = aioCoSchedule;
/** aio_co_enter */
export const aio_co_enter = aioCoEnter;
/** aio_co_wake */
export const aio_co_wake = aioCoWake;
/** aio_co_reschedule_self (use as `yield* aio_co_reschedule_self(ctx)`) */
export const aio_co_reschedule_self = aioCoRescheduleSelf;
/** qemu_co_sleep_ns (use as `yield* qemu_co_sleep_ns(clock, ns)`) */
export const qemu_co_sleep_ns = coSleepNs;
/** qemu_co_sleep_ns_wakeable */
export const qemu_co_sleep_ns_wakeable = (w: CoSleep, type: QEMUClockType, ns: number): Co => coSleepNsWakeable(w, type, ns);

export type { AioContext, EventNotifier, QEMUBH, QEMUClockType, QEMUTimer };

// ---------------------------------------------------------------------------
// Thread pool (util/thread-pool.c) and defer-call (util/defer-call.c)

import { deferCall, deferCallBegin, deferCallEnd } from '@qco/core';
import { aioGetThreadPool, threadPoolSubmit, threadPoolSubmitAio, threadPoolSubmitCo, type ThreadPool, type ThreadPoolRequest } from '@qco/core';

/** aio_get_thread_pool */
export const aio_get_thread_pool = aioGetThreadPool;
/** thread_pool_submit_aio (current context's pool) */
export const thread_pool_submit_aio = threadPoolSubmitAio;
/** thread_pool_submit (current context's pool) */
export const thread_pool_submit = threadPoolSubmit;
/** thread_pool_submit_co (use as `yield* thread_pool_submit_co(fn, arg)`) */
export const thread_pool_submit_co = threadPoolSubmitCo;
/** bdrv_aio_cancel on a thread-pool request (waits for its completion) */
export const bdrv_aio_cancel = (req: ThreadPoolRequest): void => req.cancel();
/** bdrv_aio_cancel_async on a thread-pool request */
export const bdrv_aio_cancel_async = (req: ThreadPoolRequest): void => req.cancelAsync();
/** defer_call_begin */
export const defer_call_begin = deferCallBegin;
/** defer_call_end */
export const defer_call_end = deferCallEnd;
/** defer_call */
export const defer_call = deferCall;

export type { ThreadPool, ThreadPoolRequest };
