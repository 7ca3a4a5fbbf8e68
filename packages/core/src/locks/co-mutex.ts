/**
 * CoMutex: a mutex for coroutines. Waiters queue FIFO and the lock is handed
 * straight to the first waiter on unlock (it never goes free in between), so a
 * late-coming coroutine cannot barge ahead. Held locks are counted on the
 * coroutine; terminating while holding one is an error (QEMU's locks_held).
 */
import { coroutineSelf, coroutineWake, coroutineYield, inCoroutine, type Co, type Coroutine } from '../coroutine.js';
import { CoroutineError } from '../errors.js';
import type { Lockable } from './lockable.js';

/** A coroutine mutex (qemu_co_mutex_*). */
export class CoMutex implements Lockable {
  private holder: Coroutine | null = null;
  private readonly waiters: Coroutine[] = [];

  /** qemu_co_mutex_lock */
  *lock(): Co {
    if (!inCoroutine()) throw new CoroutineError('CoMutex.lock must be called from a coroutine');
    const self = coroutineSelf();
    if (this.holder === null) {
      this.holder = self;
    } else {
      if (this.holder === self) throw new CoroutineError('CoMutex is already held by this coroutine (it is not recursive)');
      this.waiters.push(self);
      // Woken only by unlock, which has already made us the holder.
      while (this.holder !== self) yield* coroutineYield();
    }
    self.locksHeld++;
  }

  /** qemu_co_mutex_unlock: release, handing the lock to the first waiter if any. */
  unlock(): void {
    const self = coroutineSelf();
    if (this.holder !== self) throw new CoroutineError('CoMutex unlocked by a coroutine that does not hold it');
    self.locksHeld--;
    const next = this.waiters.shift();
    if (next === undefined) {
      this.holder = null;
      return;
    }
    this.holder = next;
    coroutineWake(next);
  }

  /** qemu_co_mutex_assert_locked: throws unless the running coroutine holds it. */
  assertLocked(): void {
    if (this.holder !== coroutineSelf()) throw new CoroutineError('CoMutex is not held by the running coroutine');
  }

  /** Whether any coroutine holds it. */
  get locked(): boolean {
    return this.holder !== null;
  }
}
