/**
 * CoQueue (QEMU's qemu-coroutine-lock.c): a FIFO of coroutines waiting for
 * something. Waiters are woken with coroutineWake, so a coroutine that wakes
 * another keeps running until it yields, as in QEMU.
 */
import { coroutineEnter, coroutineSelf, coroutineWake, coroutineYield, inCoroutine, type Co, type Coroutine } from '../coroutine.js';
import { CoroutineError } from '../errors.js';
import type { Lockable } from './lockable.js';

/** A queue of waiting coroutines. */
export class CoQueue {
  private readonly waiters: Coroutine[] = [];
  private head = 0;

  /** qemu_co_queue_wait: wait until woken; `lock` (if given) is released while waiting and taken again after. */
  *wait(lock?: Lockable): Co {
    if (!inCoroutine()) throw new CoroutineError('CoQueue.wait must be called from a coroutine');
    this.waiters.push(coroutineSelf());
    if (lock) lock.unlock();
    yield coroutineYield();
    if (lock) yield* lock.lock();
  }

  private shift(): Coroutine | undefined {
    if (this.head >= this.waiters.length) return undefined;
    const co = this.waiters[this.head++];
    if (this.head > 64 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
    return co;
  }

  /** qemu_co_queue_next: wake the first waiter; false when none. */
  next(): boolean {
    const co = this.shift();
    if (co === undefined) return false;
    coroutineWake(co);
    return true;
  }

  /** qemu_co_queue_restart_all: wake every waiter. */
  restartAll(): void {
    while (this.next());
  }

  /**
   * qemu_co_enter_next: outside a coroutine, enter the first waiter now (with
   * `lock` released around it); false when none.
   */
  enterNext(lock?: Lockable): boolean {
    const co = this.shift();
    if (co === undefined) return false;
    if (lock) lock.unlock();
    coroutineEnter(co);
    return true;
  }

  /** qemu_co_queue_empty */
  isEmpty(): boolean {
    return this.head >= this.waiters.length;
  }

  /** Number of waiters. */
  get length(): number {
    return this.waiters.length - this.head;
  }
}
