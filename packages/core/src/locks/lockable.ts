/**
 * QemuLockable: one interface over the locks a coroutine can hold, so code can
 * take "a lock" without knowing which kind (CoMutex, a CoRwlock side, …).
 */
import type { Co } from '../coroutine.js';

/** Something a coroutine can lock and unlock. */
export interface Lockable {
  /** Take the lock, waiting as a coroutine if needed. */
  lock(): Co;
  /** Release the lock. */
  unlock(): void;
}

/** QEMU_MAKE_LOCKABLE: the lockable view of a lock; null stays null. */
export function makeLockable(lock: Lockable): Lockable;
export function makeLockable(lock: null | undefined): null;
export function makeLockable(lock: Lockable | null | undefined): Lockable | null {
  if (lock == null) return null;
  return { lock: () => lock.lock(), unlock: () => lock.unlock() };
}

/** WITH_QEMU_LOCK_GUARD: run `fn` holding `lock`, releasing it however `fn` ends. */
export function* withLock<T>(lock: Lockable, fn: () => Co<T>): Co<T> {
  yield* lock.lock();
  try {
    return yield* fn();
  } finally {
    lock.unlock();
  }
}
