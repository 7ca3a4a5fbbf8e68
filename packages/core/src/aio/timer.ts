/**
 * Timers (QEMU's QEMUTimer, util/qemu-timer.c): one sorted list per clock in each
 * AioContext (QEMU's timer list group). Deadlines are kept in ns of the timer's
 * clock; the context turns the earliest one into a libuv timer (ms granularity)
 * or an Atomics.wait bound, and runs a timer only once its clock has reached the
 * deadline, so a timer never fires early even when the wait wakes early.
 */
import { QEMUClockType, qemuClockGetNs } from './clock.js';

/** A timer callback (QEMUTimerCB). */
export type QEMUTimerCB<T = unknown> = (opaque: T) => void;

/** What a timer must reach of its context. */
export interface TimerOwner {
  /** @internal A timer's deadline moved earlier (or it was armed): re-arm the loop's wait. */
  timersChanged(): void;
}

/** The timers of one context and one clock, earliest first. */
export class TimerList {
  /** @internal */
  readonly timers: QEMUTimer[] = [];
  constructor(
    readonly owner: TimerOwner,
    readonly clock: QEMUClockType,
  ) {}

  /** ns until the earliest deadline (0 when due), or -1 when no timer is armed. */
  deadlineNs(): number {
    const first = this.timers.at(0);
    if (first === undefined) return -1;
    return Math.max(0, first.expireNs - qemuClockGetNs(this.clock));
  }

  /** timerlist_run_timers: run the expired timers; true when any ran. */
  run(): boolean {
    const t = this.timers;
    if (t.length === 0) return false;
    let progress = false;
    const now = qemuClockGetNs(this.clock);
    while (t.length > 0 && (t[0]).expireNs <= now) {
      const ts = t.shift() as QEMUTimer;
      ts.expireNs = -1;
      progress = true;
      ts.cb(ts.opaque);
    }
    return progress;
  }

  /** @internal */
  insert(ts: QEMUTimer): void {
    const t = this.timers;
    let lo = 0;
    let hi = t.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((t[mid]).expireNs <= ts.expireNs) lo = mid + 1;
      else hi = mid;
    }
    t.splice(lo, 0, ts);
    if (lo === 0) this.owner.timersChanged();
  }

  /** @internal */
  remove(ts: QEMUTimer): void {
    const i = this.timers.indexOf(ts);
    if (i >= 0) this.timers.splice(i, 1);
  }
}

/** Every clock, in the enum's order: a group is indexed by clock. */
const CLOCKS: readonly QEMUClockType[] = [
  QEMUClockType.QEMU_CLOCK_REALTIME,
  QEMUClockType.QEMU_CLOCK_VIRTUAL,
  QEMUClockType.QEMU_CLOCK_HOST,
  QEMUClockType.QEMU_CLOCK_VIRTUAL_RT,
];

/** A set of timer lists, one per clock (QEMUTimerListGroup). */
export function newTimerListGroup(owner: TimerOwner): TimerList[] {
  return CLOCKS.map((clock) => new TimerList(owner, clock));
}

/** A timer. Create with `aioTimerNew(ctx, clock, scale, cb, opaque)` or `timerNewNs`. */
export class QEMUTimer<T = unknown> {
  /** @internal Deadline in ns of its clock, or -1 when not pending. */
  expireNs = -1;

  /** @internal */
  constructor(
    readonly timerList: TimerList,
    readonly scale: number,
    readonly cb: QEMUTimerCB<T>,
    readonly opaque: T,
  ) {}

  /** timer_mod_ns: fire when the clock reaches `expireNs` (ns); re-arms a pending timer. */
  modNs(expireNs: number): void {
    const list = this.timerList;
    if (this.expireNs >= 0) list.remove(this as QEMUTimer);
    this.expireNs = Math.max(0, expireNs);
    list.insert(this as QEMUTimer);
  }

  /** timer_mod: fire when the clock reaches `expireTime` in units of the timer's scale. */
  mod(expireTime: number): void {
    this.modNs(expireTime * this.scale);
  }

  /** timer_mod_anticipate_ns: like modNs, but only ever moves the deadline earlier. */
  modAnticipateNs(expireNs: number): void {
    if (this.expireNs < 0 || expireNs < this.expireNs) this.modNs(expireNs);
  }

  /** timer_del: disarm (no-op when not pending). */
  del(): void {
    if (this.expireNs >= 0) {
      this.timerList.remove(this as QEMUTimer);
      this.expireNs = -1;
    }
  }

  /** timer_pending: whether it is armed. */
  get pending(): boolean {
    return this.expireNs >= 0;
  }

  /** timer_expire_time_ns: the deadline in ns, or -1 when not pending. */
  get expireTimeNs(): number {
    return this.expireNs;
  }

  /** timer_expired: whether it is armed with a deadline at or before `currentTimeNs`. */
  expired(currentTimeNs: number): boolean {
    return this.expireNs >= 0 && this.expireNs <= currentTimeNs;
  }

  /** timer_free: disarm; the object may be dropped afterwards. */
  free(): void {
    this.del();
  }
}
