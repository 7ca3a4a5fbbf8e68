/**
 * CoSleep (QEMU's QemuCoSleep): a coroutine sleeps until another party wakes it.
 * While asleep the coroutine is marked scheduled by 'qemu_co_sleep_ns', so a
 * stray direct enter is caught. Unlike QEMU, a wake that comes before the sleep
 * is remembered (sticky) and the next sleep returns at once, so a wake-up racing
 * ahead of its sleeper is never lost.
 */
import { coState, coroutineSelf, coroutineWake, coroutineYield, inCoroutine, type Co, type Coroutine } from '../coroutine.js';
import { CoroutineAlreadyScheduledError, CoroutineError } from '../errors.js';

/** The scheduler name a sleeping coroutine carries. */
export const CO_SLEEP_SCHEDULER = 'qemu_co_sleep_ns';

/** A wake-up point for one sleeping coroutine at a time. */
export class CoSleep {
  private toWake: Coroutine | null = null;
  private wokenEarly = false;

  /** qemu_co_sleep: sleep until `wake()`; returns at once if a wake came first. */
  *sleep(): Co {
    if (!inCoroutine()) throw new CoroutineError('CoSleep.sleep must be called from a coroutine');
    if (this.wokenEarly) {
      this.wokenEarly = false;
      return;
    }
    const self = coState(coroutineSelf());
    if (self.scheduled !== null) throw new CoroutineAlreadyScheduledError(self.scheduled);
    self.scheduled = CO_SLEEP_SCHEDULER;
    this.toWake = coroutineSelf();
    yield coroutineYield();
  }

  /** qemu_co_sleep_wake: wake the sleeper, or remember the wake for the next sleep. */
  wake(): void {
    const co = this.toWake;
    if (co === null) {
      this.wokenEarly = true;
      return;
    }
    this.toWake = null;
    coState(co).scheduled = null;
    coroutineWake(co);
  }

  /** Whether a coroutine is asleep here. */
  get sleeping(): boolean {
    return this.toWake !== null;
  }
}
