/**
 * AioContext (QEMU's util/async.c + util/aio-posix.c): bottom halves, timers,
 * event notifiers and fd handlers, dispatched by aio_poll. Every context lives on
 * the JavaScript thread that made it and is attached to Node's event loop: when
 * something becomes ready it asks libuv for one non-blocking aio_poll
 * (setImmediate for BHs and notifiers, a libuv timer for the earliest deadline,
 * a 10 ms timer for idle BHs), so nothing spins and a process with nothing
 * pending exits. A blocking aio_poll (for synchronous callers and tests) cannot
 * run libuv callbacks, so it sleeps with Atomics.wait on the thread's wake word
 * (see wake.ts), bounded by the next timer deadline, and observes what other
 * threads signal there: event notifiers set through shared handles, thread-pool
 * completions, remote BHs. It cannot wait for stream readiness (fd-handler.ts).
 */
import { installCoroutineWakeRouter } from './aio-co.js';
import { QEMUBH, type BhOwner, type QEMUBHFunc } from './bh.js';
import { QEMU_CLOCK_REALTIME, qemuClockGetNs, type QEMUClockType } from './clock.js';
import { AioContextDestroyedError, BhLeakedError } from './errors.js';
import { EventNotifier, type EventNotifierHandler, type EventNotifierPoll, type NotifierOwner } from './event-notifier.js';
import { AioFdHandler, type AioFd, type IOHandler } from './fd-handler.js';
import { QEMUTimer, newTimerListGroup, type QEMUTimerCB, type TimerList, type TimerOwner } from './timer.js';
import { drainRemoteSources, threadWakeWord } from './wake.js';

/** Idle BHs run within this many ms (QEMU: 10 ms). */
/** The longest delay setTimeout takes (TIMEOUT_MAX in Node's timers). */
const NODE_TIMEOUT_MAX_MS = 2 ** 31 - 1;
const IDLE_BH_MS = 10;

/** A run of BHs taken off the list by one aio_bh_poll (QEMU's BHListSlice). */
interface BhSlice {
  head: QEMUBH | null;
}

/** Options of `aioContextNew`. */
export interface AioContextOptions {
  /** Dispatch through Node's event loop when something is ready (default true). False: only explicit aio_poll runs it. */
  readonly attach?: boolean;
  /** A name, for messages. */
  readonly name?: string;
}

/** An event loop context (QEMU's AioContext). */
/** A typed attachment point on AioContexts: one per layer, with how to make (and destroy) its state. */
export class AioAttachmentKey<T extends object> {
  constructor(
    /** What the state is, for debugging. */
    readonly name: string,
    /** Makes the state for a context on first use. */
    readonly create: (ctx: AioContext) => T,
    /** Called when the context is destroyed. */
    readonly destroy?: (state: T) => void,
  ) {}
}

export class AioContext implements BhOwner, TimerOwner, NotifierOwner {
  /** Name, for messages. */
  readonly name: string;
  /** Whether Node's event loop dispatches it. */
  readonly attached: boolean;
  /** @internal Newest-first list of queued BHs. */
  private bhHead: QEMUBH | null = null;
  /** @internal Slices being run by (possibly nested) aio_bh_poll calls, outermost first. */
  private readonly slices: BhSlice[] = [];
  /** @internal Timer lists, one per clock. */
  readonly tlg: TimerList[];
  private readonly notifiers = new Map<EventNotifier, EventNotifierHandler>();
  /** io_poll checks of notifiers registered with one: work is ready though the notifier is not set. */
  private readonly pollers = new Map<EventNotifier, EventNotifierPoll>();
  private readonly fdHandlers = new Map<AioFd, AioFdHandler>();
  /** Set by aio_notify, consumed by the next poll. */
  private notified = false;
  /** Requests from elsewhere (thread-pool work, remote handles) that will wake this context. */
  private external = 0;
  private immediate: ReturnType<typeof setImmediate> | null = null;
  private nodeTimer: ReturnType<typeof setTimeout> | null = null;
  private nodeTimerAt = Infinity;
  private destroyed = false;
  private acquireDepth = 0;
  /** Per-context state of other layers (thread pool, coroutine schedule list), by key. */
  private readonly attachments = new Map<object, { readonly key: AioAttachmentKey<object>; readonly state: object }>();
  /** @internal The wake word value at the last drain of remote sources. */
  private lastWake = -1;

  constructor(options: AioContextOptions = {}) {
    this.name = options.name ?? 'aio-context';
    this.attached = options.attach ?? true;
    this.tlg = newTimerListGroup(this);
    installCoroutineWakeRouter();
  }

  /** The state `key`'s layer keeps on this context, made on first use. */
  attachment<T extends object>(key: AioAttachmentKey<T>): T {
    const found = this.attachments.get(key);
    if (found !== undefined) return found.state as T;
    const state = key.create(this);
    this.attachments.set(key, { key: key as unknown as AioAttachmentKey<object>, state });
    return state;
  }

  // -------------------------------------------------------------------------
  // Bottom halves

  /** @internal */
  bhEnqueue(bh: QEMUBH): void {
    if (this.destroyed) throw new AioContextDestroyedError();
    if (!bh.pending) {
      bh.pending = true;
      bh.next = this.bhHead;
      this.bhHead = bh;
    }
    this.kick();
  }

  /** aio_bh_poll: run the scheduled BHs, newest first; true when a non-idle one ran. */
  bhPoll(): boolean {
    let progress = false;
    if (this.bhHead !== null) {
      this.slices.push({ head: this.bhHead });
      this.bhHead = null;
    }
    while (this.slices.length > 0) {
      const s = this.slices[0];
      const bh = s.head;
      if (bh === null) {
        this.slices.shift();
        continue;
      }
      s.head = bh.next;
      bh.next = null;
      bh.pending = false;
      const run = bh.scheduled && !bh.deleted;
      const idle = bh.idle;
      bh.scheduled = false;
      bh.idle = false;
      if (bh.oneshot) bh.deleted = true;
      if (run) {
        if (!idle) progress = true;
        bh.cb(bh.opaque);
      }
    }
    return progress;
  }

  /** Whether a BH will run at the next poll: `which` picks non-idle ones, idle ones, or both. */
  private hasScheduledBh(which: 'busy' | 'idle' | 'any'): boolean {
    const want = (bh: QEMUBH): boolean => bh.scheduled && !bh.deleted && (which === 'any' || (which === 'idle') === bh.idle);
    for (let bh = this.bhHead; bh !== null; bh = bh.next) if (want(bh)) return true;
    for (const s of this.slices) for (let bh = s.head; bh !== null; bh = bh.next) if (want(bh)) return true;
    return false;
  }

  // -------------------------------------------------------------------------
  // Timers

  /** @internal */
  timersChanged(): void {
    if (this.destroyed) throw new AioContextDestroyedError();
    this.armNodeTimer();
  }

  /** aio_compute_timeout's timer part: ns until the earliest timer (0 when due), or -1 when none. */
  timerDeadlineNs(): number {
    let min = -1;
    for (const tl of this.tlg) {
      const d = tl.deadlineNs();
      if (d >= 0 && (min < 0 || d < min)) min = d;
    }
    return min;
  }

  /** timerlistgroup_run_timers: run the expired timers of every clock. */
  runTimers(): boolean {
    let progress = false;
    for (const tl of this.tlg) if (tl.run()) progress = true;
    return progress;
  }

  // -------------------------------------------------------------------------
  // Event notifiers and fd handlers

  /** @internal */
  notifierSet(): void {
    this.kick();
  }

  /**
   * aio_set_event_notifier: run `handler` when `e` is set, or when `ioPoll`
   * (QEMU's io_poll: a cheap look at the device, such as a completion queue's
   * phase bit) says work is ready before the notifier is; null removes both.
   */
  setEventNotifier(e: EventNotifier, handler: EventNotifierHandler | null, ioPoll: EventNotifierPoll | null = null): void {
    this.pollers.delete(e);
    if (handler === null) {
      if (this.notifiers.delete(e) && e.owner === this) e.owner = null;
      return;
    }
    this.notifiers.set(e, handler);
    if (ioPoll !== null) this.pollers.set(e, ioPoll);
    e.owner = this;
    if (e.isSet) this.kick();
  }

  /** Whether `e` is set or its io_poll finds work. */
  private notifierReady(e: EventNotifier): boolean {
    if (e.isSet) return true;
    const ioPoll = this.pollers.get(e);
    return ioPoll !== undefined && ioPoll();
  }

  /**
   * aio_set_fd_handler over a stream: `ioRead` runs while it is readable, `ioWrite`
   * while it is writable; both null removes the handler.
   */
  setFdHandler<T>(fd: AioFd, ioRead: IOHandler<T> | null, ioWrite: IOHandler<T> | null, opaque: T): void {
    let h = this.fdHandlers.get(fd);
    if (ioRead === null && ioWrite === null) {
      if (h) {
        h.detach();
        this.fdHandlers.delete(fd);
      }
      return;
    }
    if (h === undefined) {
      h = new AioFdHandler(fd, ioRead as IOHandler | null, ioWrite as IOHandler | null, opaque, () => this.kick());
      this.fdHandlers.set(fd, h);
    } else {
      h.ioRead = ioRead as IOHandler | null;
      h.ioWrite = ioWrite as IOHandler | null;
      h.opaque = opaque;
    }
    h.attach();
    if (h.readable() || h.writable()) this.kick();
  }

  private dispatchHandlers(): boolean {
    let progress = false;
    if (this.notifiers.size > 0) {
      for (const [e, handler] of [...this.notifiers]) {
        if (this.notifiers.get(e) === handler && this.notifierReady(e)) {
          progress = true;
          handler(e);
        }
      }
    }
    if (this.fdHandlers.size > 0) {
      for (const h of [...this.fdHandlers.values()]) if (this.fdHandlers.get(h.stream) === h && h.dispatch()) progress = true;
    }
    return progress;
  }

  private handlersReady(): boolean {
    for (const e of this.notifiers.keys()) if (this.notifierReady(e)) return true;
    for (const h of this.fdHandlers.values()) if (h.readable() || h.writable()) return true;
    return false;
  }

  // -------------------------------------------------------------------------
  // Notification and external work

  /** aio_notify: make a blocking aio_poll return (without progress if nothing else happened). */
  notify(): void {
    this.notified = true;
    Atomics.add(threadWakeWord, 0, 1);
    Atomics.notify(threadWakeWord, 0);
    this.kick();
  }

  /** @internal Something outside this thread's JavaScript will wake this context later (thread-pool work, remote handles). */
  externalRef(): void {
    this.external++;
  }

  /** @internal That external waker is gone. */
  externalUnref(): void {
    this.external--;
  }

  /** Whether a blocking aio_poll could ever be woken: a timer, an event notifier, or outstanding external work. */
  canMakeProgress(): boolean {
    return this.external > 0 || this.notifiers.size > 0 || this.timerDeadlineNs() >= 0 || this.hasScheduledBh('any') || this.handlersReady();
  }

  // -------------------------------------------------------------------------
  // Polling

  /**
   * One non-blocking pass: BHs, ready handlers, expired timers. Returns progress;
   * `consumedNotify` tells whether an aio_notify was consumed.
   */
  private pass(): { progress: boolean; consumedNotify: boolean } {
    const w = Atomics.load(threadWakeWord, 0);
    if (w !== this.lastWake) {
      this.lastWake = w;
      drainRemoteSources();
    }
    const consumedNotify = this.notified;
    this.notified = false;
    let progress = this.bhPoll();
    if (this.dispatchHandlers()) progress = true;
    if (this.runTimers()) progress = true;
    return { progress, consumedNotify };
  }

  /** aio_poll: dispatch what is ready; when `blocking`, first wait until something is. Returns progress. */
  poll(blocking: boolean): boolean {
    if (this.destroyed) throw new AioContextDestroyedError();
    const prev = currentContext;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the thread's current context (QEMU's per-thread state), not a closure alias
    currentContext = this;
    try {
      let r = this.pass();
      if (r.progress || !blocking || r.consumedNotify) return r.progress;
      for (;;) {
        let timeoutMs: number;
        if (this.hasScheduledBh('busy')) timeoutMs = 0;
        else {
          const d = this.timerDeadlineNs();
          timeoutMs = d < 0 ? Infinity : d / 1e6;
          if (this.hasScheduledBh('idle')) timeoutMs = Math.min(timeoutMs, IDLE_BH_MS);
        }
        if (timeoutMs === Infinity && this.external === 0 && this.notifiers.size === 0) return false;
        if (timeoutMs > 0) {
          const seen = Atomics.load(threadWakeWord, 0);
          if (seen === this.lastWake && !this.notified && !this.handlersReady()) Atomics.wait(threadWakeWord, 0, seen, timeoutMs);
        }
        r = this.pass();
        if (r.progress) return true;
        if (r.consumedNotify) return false;
      }
    } finally {
      currentContext = prev;
      if (this.attached) this.rearm();
    }
  }

  // -------------------------------------------------------------------------
  // Node event loop integration

  /** Ask libuv for a non-blocking poll soon. */
  private kick(): void {
    if (!this.attached || this.immediate !== null || this.destroyed) return;
    this.immediate = setImmediate(this.runFromLoop);
  }

  private readonly runFromLoop = (): void => {
    this.immediate = null;
    if (this.destroyed) return;
    this.poll(false);
  };

  /** After a poll: ask again if work is ready, and keep libuv's timer at the earliest deadline. */
  private rearm(): void {
    if (this.destroyed) return;
    if (this.hasScheduledBh('busy') || this.handlersReady() || this.notified) this.kick();
    this.armNodeTimer();
  }

  private armNodeTimer(): void {
    if (!this.attached) return;
    let d = this.timerDeadlineNs();
    if (this.hasScheduledBh('idle')) d = d < 0 ? IDLE_BH_MS * 1e6 : Math.min(d, IDLE_BH_MS * 1e6);
    if (d < 0) {
      if (this.nodeTimer !== null) {
        clearTimeout(this.nodeTimer);
        this.nodeTimer = null;
        this.nodeTimerAt = Infinity;
      }
      return;
    }
    const at = qemuClockGetNs(QEMU_CLOCK_REALTIME) + d;
    if (this.nodeTimer !== null && this.nodeTimerAt <= at) return;
    if (this.nodeTimer !== null) clearTimeout(this.nodeTimer);
    this.nodeTimerAt = at;
    // libuv takes at most 2^31-1 ms (Node warns and fires at once beyond it): a later
    // deadline is reached in steps, the poll on each early wake-up arming the next one.
    this.nodeTimer = setTimeout(this.timerFromLoop, Math.min(Math.ceil(d / 1e6), NODE_TIMEOUT_MAX_MS));
  }

  private readonly timerFromLoop = (): void => {
    this.nodeTimer = null;
    this.nodeTimerAt = Infinity;
    if (this.destroyed) return;
    this.poll(false);
  };

  // -------------------------------------------------------------------------
  // Lifetime

  /** aio_context_acquire: kept for ported code; one JavaScript thread owns the context, so it only counts. */
  acquire(): void {
    this.acquireDepth++;
  }

  /** aio_context_release */
  release(): void {
    this.acquireDepth--;
  }

  /**
   * aio_context_unref (finalize): throws BhLeakedError when a BH is still queued
   * without having been deleted; stops its libuv handles and its thread pool.
   */
  destroy(): void {
    if (this.destroyed) return;
    const check = (head: QEMUBH | null): void => {
      for (let bh = head; bh !== null; bh = bh.next) if (!bh.deleted) throw new BhLeakedError(bh.name);
    };
    check(this.bhHead);
    for (const s of this.slices) check(s.head);
    this.destroyed = true;
    // Other layers' per-context state (a thread pool) goes with the context.
    for (const { key, state } of this.attachments.values()) key.destroy?.(state);
    this.attachments.clear();
    if (this.immediate !== null) clearImmediate(this.immediate);
    if (this.nodeTimer !== null) clearTimeout(this.nodeTimer);
    this.immediate = this.nodeTimer = null;
    for (const h of this.fdHandlers.values()) h.detach();
    this.fdHandlers.clear();
    for (const e of this.notifiers.keys()) if (e.owner === this) e.owner = null;
    this.notifiers.clear();
    this.pollers.clear();
    for (const tl of this.tlg) for (const t of tl.timers.splice(0)) t.expireNs = -1;
    if (mainContext === this) mainContext = null;
  }

  /** Whether `destroy()` ran. */
  get isDestroyed(): boolean {
    return this.destroyed;
  }

  // -------------------------------------------------------------------------
  // Factories (QEMU's aio_bh_new, aio_timer_new)

  /** aio_bh_new: a BH running `cb(opaque)` in this context. */
  bhNew<T>(cb: QEMUBHFunc<T>, opaque: T, name?: string): QEMUBH<T> {
    return new QEMUBH<T>(this, cb, opaque, name ?? (cb.name || 'anonymous'));
  }

  /** aio_bh_schedule_oneshot: run `cb(opaque)` once at the next poll. */
  bhScheduleOneshot<T>(cb: QEMUBHFunc<T>, opaque: T, name?: string): void {
    const bh = this.bhNew(cb, opaque, name);
    bh.oneshot = true;
    bh.schedule();
  }

  /** aio_timer_new: a timer on `clock` whose `mod` unit is `scale` ns. */
  timerNew<T>(clock: QEMUClockType, scale: number, cb: QEMUTimerCB<T>, opaque: T): QEMUTimer<T> {
    return new QEMUTimer<T>(this.tlg[clock], scale, cb, opaque);
  }
}

let mainContext: AioContext | null = null;
let currentContext: AioContext | null = null;

/** aio_context_new: a new context (attached to Node's event loop unless `attach: false`). */
export function aioContextNew(options?: AioContextOptions): AioContext {
  return new AioContext(options);
}

/** qemu_get_aio_context: the main loop's context, created on first use. */
export function getMainAioContext(): AioContext {
  if (mainContext === null || mainContext.isDestroyed) mainContext = new AioContext({ name: 'main-loop' });
  return mainContext;
}

/** qemu_get_current_aio_context: the context being polled, or the main one outside any poll. */
export function getCurrentAioContext(): AioContext {
  return currentContext ?? getMainAioContext();
}

/** The context whose aio_poll is running, or null outside any poll. */
export function pollingAioContext(): AioContext | null {
  return currentContext;
}

/** Whether `ctx` is the main loop's context. */
export function isMainAioContext(ctx: AioContext): boolean {
  return ctx === mainContext;
}

/** @internal Run `fn` with `ctx` as the current context (for dispatch outside aio_poll). */
export function withCurrentAioContext<T>(ctx: AioContext, fn: () => T): T {
  const prev = currentContext;
  currentContext = ctx;
  try {
    return fn();
  } finally {
    currentContext = prev;
  }
}

/** aio_poll */
export function aioPoll(ctx: AioContext, blocking: boolean): boolean {
  return ctx.poll(blocking);
}

/** aio_notify */
export function aioNotify(ctx: AioContext): void {
  ctx.notify();
}

/** aio_bh_new */
export function aioBhNew<T>(ctx: AioContext, cb: QEMUBHFunc<T>, opaque: T, name?: string): QEMUBH<T> {
  return ctx.bhNew(cb, opaque, name);
}

/** aio_bh_schedule_oneshot */
export function aioBhScheduleOneshot<T>(ctx: AioContext, cb: QEMUBHFunc<T>, opaque: T, name?: string): void {
  ctx.bhScheduleOneshot(cb, opaque, name);
}

/** qemu_bh_new: a BH in the main loop's context. */
export function qemuBhNew<T>(cb: QEMUBHFunc<T>, opaque: T, name?: string): QEMUBH<T> {
  return getMainAioContext().bhNew(cb, opaque, name);
}

/** aio_timer_new */
export function aioTimerNew<T>(ctx: AioContext, clock: QEMUClockType, scale: number, cb: QEMUTimerCB<T>, opaque: T): QEMUTimer<T> {
  return ctx.timerNew(clock, scale, cb, opaque);
}

/** timer_new_ns: a ns-scale timer in the main loop's context. */
export function timerNewNs<T>(clock: QEMUClockType, cb: QEMUTimerCB<T>, opaque: T): QEMUTimer<T> {
  return getMainAioContext().timerNew(clock, 1, cb, opaque);
}

/** timer_new_ms: a ms-scale timer in the main loop's context. */
export function timerNewMs<T>(clock: QEMUClockType, cb: QEMUTimerCB<T>, opaque: T): QEMUTimer<T> {
  return getMainAioContext().timerNew(clock, 1_000_000, cb, opaque);
}

/** aio_set_event_notifier (with QEMU's io_poll as the optional `ioPoll`). */
export function aioSetEventNotifier(ctx: AioContext, e: EventNotifier, handler: EventNotifierHandler | null, ioPoll: EventNotifierPoll | null = null): void {
  ctx.setEventNotifier(e, handler, ioPoll);
}

/** aio_set_fd_handler over a stream. */
export function aioSetFdHandler<T>(ctx: AioContext, fd: AioFd, ioRead: IOHandler<T> | null, ioWrite: IOHandler<T> | null, opaque: T): void {
  ctx.setFdHandler(fd, ioRead, ioWrite, opaque);
}
