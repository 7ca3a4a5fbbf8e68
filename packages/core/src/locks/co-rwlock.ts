/**
 * CoRwlock: readers/writer lock for coroutines with QEMU's fairness rules — a
 * reader waits behind a queued writer, waiters are served FIFO as tickets, the
 * owner count is taken for a waiter before it is woken so nobody sneaks in, and
 * upgrade / downgrade move between the two sides. One thread runs coroutines,
 * so the internal mutex QEMU needs for threads is not needed here.
 */
import { coState, coroutineSelf, coroutineWake, coroutineYield, inCoroutine, type Co, type Coroutine } from '../coroutine.js';
import { CoroutineError } from '../errors.js';
import type { Lockable } from './lockable.js';

interface Ticket {
  readonly read: boolean;
  readonly co: Coroutine;
}

/** A readers/writer lock (qemu_co_rwlock_*). */
export class CoRwlock {
  /** Readers holding it (> 0), a writer (-1), or free (0). */
  private owners = 0;
  private readonly tickets: Ticket[] = [];

  private need(cond: boolean, what: string): void {
    if (!cond) throw new CoroutineError(`CoRwlock: ${what}`);
  }

  /** Wake the first ticket if the lock can be given to it now. */
  private maybeWakeOne(): void {
    const t = this.tickets.at(0);
    if (t === undefined) return;
    if (t.read) {
      if (this.owners < 0) return;
      this.owners++;
    } else {
      if (this.owners !== 0) return;
      this.owners = -1;
    }
    this.tickets.shift();
    coroutineWake(t.co);
  }

  /** qemu_co_rwlock_rdlock */
  *rdlock(): Co {
    this.need(inCoroutine(), 'rdlock must be called from a coroutine');
    const self = coroutineSelf();
    if (this.owners === 0 || (this.owners > 0 && this.tickets.length === 0)) {
      this.owners++;
    } else {
      this.tickets.push({ read: true, co: self });
      yield coroutineYield();
      this.need(this.owners >= 1, 'reader woken without the lock');
      // Let the next reader in line in too; it wakes the one after it.
      this.maybeWakeOne();
    }
    coState(self).locksHeld++;
  }

  /** qemu_co_rwlock_wrlock */
  *wrlock(): Co {
    this.need(inCoroutine(), 'wrlock must be called from a coroutine');
    const self = coroutineSelf();
    if (this.owners === 0) {
      this.owners = -1;
    } else {
      this.tickets.push({ read: false, co: self });
      yield coroutineYield();
      this.need(this.owners === -1, 'writer woken without the lock');
    }
    coState(self).locksHeld++;
  }

  /** qemu_co_rwlock_upgrade: from reader to writer; waits behind writers already in line. */
  *upgrade(): Co {
    this.need(this.owners > 0, 'upgrade without a read lock');
    if (this.owners === 1 && this.tickets.length === 0) {
      this.owners = -1;
      return;
    }
    this.owners--;
    this.tickets.push({ read: false, co: coroutineSelf() });
    this.maybeWakeOne();
    yield coroutineYield();
    this.need(this.owners === -1, 'upgraded writer woken without the lock');
  }

  /** qemu_co_rwlock_downgrade: from writer to reader, letting waiting readers in. */
  downgrade(): void {
    this.need(this.owners === -1, 'downgrade without the write lock');
    this.owners = 1;
    this.maybeWakeOne();
  }

  /** qemu_co_rwlock_unlock: release either side. */
  unlock(): void {
    const self = coroutineSelf();
    this.need(inCoroutine(), 'unlock must be called from a coroutine');
    coState(self).locksHeld--;
    if (this.owners > 0) this.owners--;
    else {
      this.need(this.owners === -1, 'unlock of a lock not held');
      this.owners = 0;
    }
    this.maybeWakeOne();
  }

  /** The read side as a Lockable. */
  get reader(): Lockable {
    return { lock: () => this.rdlock(), unlock: () => this.unlock() };
  }

  /** The write side as a Lockable. */
  get writer(): Lockable {
    return { lock: () => this.wrlock(), unlock: () => this.unlock() };
  }
}
