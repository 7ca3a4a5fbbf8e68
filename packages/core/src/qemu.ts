/**
 * QEMU's names for the qco API, as thin aliases, for people porting C code:
 * `qemu_coroutine_create(fn, opaque)`, `yield* qemu_coroutine_yield()`, … Each
 * is the camelCase function or method it names; nothing here has logic of its own.
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
} from './coroutine.js';
import { CoMutex } from './locks/co-mutex.js';
import { CoQueue } from './locks/co-queue.js';
import { CoRwlock } from './locks/co-rwlock.js';
import { CoSleep } from './locks/co-sleep.js';
import { makeLockable, type Lockable } from './locks/lockable.js';

/** qemu_coroutine_create */
export const qemu_coroutine_create = coroutineCreate;
/** qemu_coroutine_enter */
export const qemu_coroutine_enter = coroutineEnter;
/** qemu_coroutine_yield (use as `yield* qemu_coroutine_yield()`) */
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
