/**
 * CoMutex: a mutex for coroutines. Waiters queue FIFO and the lock is handed
 * straight to the first waiter on unlock (it never goes free in between), so a
 * late-coming coroutine cannot barge ahead. Held locks are counted on the
 * coroutine; terminating while holding one is an error (QEMU's locks_held, where
 * QEMU aborts) and it is final: the mutex stays owned by the dead coroutine, and
 * every waiter and every later locker gets CoMutexHolderTerminatedError naming it
 * instead of waiting forever.
 */
import { coState, coroutineDescription, coroutineSelf, coroutineWake, coroutineYield, inCoroutine, type Co, type Coroutine, type HeldLock } from '../coroutine.js';
import { CoMutexHolderTerminatedError, CoroutineError } from '../errors.js';
import type { Lockable } from './lockable.js';

/** A coroutine mutex (qemu_co_mutex_*). */
export class CoMutex implements Lockable, HeldLock {
  private holder: Coroutine | null = null;
  private readonly waiters: Coroutine[] = [];
  /** Set for good when the holder terminated holding it. */
  private deadHolder: string | null = null;

  /** qemu_co_mutex_lock */
  *lock(): Co {
    if (!inCoroutine()) throw new CoroutineError('CoMutex.lock must be called from a coroutine');
    this.refuseIfDead();
    const self = coroutineSelf();
    if (this.holder === null) {
      this.holder = self;
    } else {
      if (this.holder === self) throw new CoroutineError('CoMutex is already held by this coroutine (it is not recursive)');
      this.waiters.push(self);
      // Woken only by unlock, which has already made us the holder, or by the holder's death.
      while (this.holder !== self) {
        yield coroutineYield();
        this.refuseIfDead();
      }
    }
    const st = coState(self);
    st.locksHeld++;
    (st.held ??= []).push(this);
  }

  /** qemu_co_mutex_unlock: release, handing the lock to the first waiter if any. */
  unlock(): void {
    const self = coroutineSelf();
    if (this.holder !== self) throw new CoroutineError('CoMutex unlocked by a coroutine that does not hold it');
    const st = coState(self);
    st.locksHeld--;
    const i = st.held?.lastIndexOf(this) ?? -1;
    if (i >= 0) st.held?.splice(i, 1);
    const next = this.waiters.shift();
    if (next === undefined) {
      this.holder = null;
      return;
    }
    this.holder = next;
    coroutineWake(next);
  }

  private refuseIfDead(): void {
    if (this.deadHolder !== null) throw new CoMutexHolderTerminatedError(this.deadHolder);
  }

  /** @internal The holder terminated holding it: fail every waiter now and every locker from now on. */
  holderTerminated(holder: Coroutine): void {
    if (this.holder !== holder) return;
    this.deadHolder = coroutineDescription(holder);
    for (const w of this.waiters.splice(0)) coroutineWake(w);
  }

  /** qemu_co_mutex_assert_locked: throws unless the running coroutine holds it. */
  assertLocked(): void {
    if (this.holder !== coroutineSelf()) throw new CoroutineError('CoMutex is not held by the running coroutine');
  }

  /** Whether any coroutine holds it (a holder that terminated holding it still does). */
  get locked(): boolean {
    return this.holder !== null;
  }
}
