/**
 * The coroutine core: every policy of QEMU's util/qemu-coroutine.c, once, over
 * whichever backend is selected — create with a pool of free contexts, enter with
 * the depth-first wake-up queue, yield, self / inCoroutine / entered, and QEMU's
 * abort conditions as thrown errors. Bodies are generator functions (our
 * coroutine_fn): they call other coroutine_fns with `yield*` and give up control
 * with `yield coroutineYield()`. On backends that run plain functions (threads),
 * a plain body calls `coroutineYield()` as an ordinary blocking call.
 *
 * Most backends step generator bodies on the caller's stack (`stepsOnCallerStack`);
 * for those, enter runs the body's `next()` itself — one state check, one step —
 * and takes the general path (wake-up queue, termination, errors) only when the
 * step woke someone, ended or threw.
 */
import { CoroutineAction, type BackendContext, type BodyKind, type CoroutineBackend, type CoroutineEntry, type NativeRuntime } from './backend.js';
import {
  CoroutineAlreadyScheduledError,
  CoroutineLocksHeldError,
  CoroutineReenteredError,
  CoroutineTerminatedError,
  CoroutineYieldToNoOneError,
  UnsupportedBodyError,
  CoroutineError,
} from './errors.js';
import type { AioContext } from './aio/aio-context.js';
import { checkBackend, createNamedBackend, describeChoice, requestedBackend, type BackendChoice, type BackendInfo } from './selection.js';

declare const yieldBrand: unique symbol;
/**
 * What a coroutine body yields to give up control; only `coroutineYield()` makes
 * one. `yield coroutineYield()` is the fast form; the token is also iterable, so
 * `yield* coroutineYield()` does the same.
 */
export interface CoroutineYield extends Iterable<CoroutineYield, void, unknown> {
  readonly [yieldBrand]: true;
}
/** A running coroutine_fn returning T: call it with `yield*` from another coroutine_fn. */
export type Co<T = void> = Generator<CoroutineYield, T, unknown>;
/** A generator coroutine body (QEMU's CoroutineEntry with its opaque argument). */
export type CoroutineBody<A = void> = (opaque: A) => Co<unknown>;
/** A plain coroutine body, for backends whose bodyKinds include 'plain'. */
export type PlainCoroutineBody<A = void> = (opaque: A) => unknown;

/**
 * The `yield*` form: yields the token once, then finishes. One instance serves
 * every coroutine, because nothing runs between arming it and the body's `yield*`
 * consuming it.
 */
class YieldOnce implements Iterator<CoroutineYield, void, unknown> {
  armed = false;
  private readonly yielded: IteratorYieldResult<CoroutineYield>;
  private readonly finished: IteratorReturnResult<void> = Object.freeze({ value: undefined, done: true });
  constructor(token: CoroutineYield) {
    this.yielded = Object.freeze({ value: token, done: false });
  }
  next(): IteratorResult<CoroutineYield, void> {
    if (this.armed) {
      this.armed = false;
      return this.yielded;
    }
    return this.finished;
  }
}

/** The one yield token. */
const YIELD = {
  [Symbol.iterator](): Iterator<CoroutineYield, void, unknown> {
    yieldOnce.armed = true;
    return yieldOnce;
  },
} as unknown as CoroutineYield;
const yieldOnce = new YieldOnce(YIELD);

/** What a suspended coroutineCall frame yields: "keep my callees as frames of your own". */
const CALL: unique symbol = Symbol('coroutineCall');

const FOREIGN_YIELD = 'A coroutine body yielded a value of its own; give up control with `yield coroutineYield()` and call coroutine_fns with `yield*`';

/**
 * A call made with coroutineCall: its own iterator and its own iterator result.
 * coroutineCall runs the callee's first step at once, on the caller's stack. If
 * the callee returned, the frame is done with its value and the caller's `yield*`
 * ends there. If it yielded, the frame's first result (value CALL, carrying the
 * suspended callees, outermost first) passes up unchanged through the caller's
 * `yield*` to the core, which keeps them as frames of the coroutine and resumes
 * the innermost alone; the callee's return value comes back as the second
 * `next(value)`, which ends the caller's `yield*` with it.
 */
class CoroutineCallFrame {
  done: boolean;
  value: unknown;
  /** The callees suspended in this call, outermost first (null once done). */
  pending: Co<unknown>[] | null;
  private handed = false;
  constructor(done: boolean, value: unknown, pending: Co<unknown>[] | null) {
    this.done = done;
    this.value = value;
    this.pending = pending;
  }
  [Symbol.iterator](): this {
    return this;
  }
  next(sent: unknown): this {
    if (this.handed) {
      this.done = true;
      this.value = sent;
      this.pending = null;
    } else {
      this.handed = true;
    }
    return this;
  }
  throw(err: unknown): never {
    throw err;
  }
  return(value: unknown): this {
    this.done = true;
    this.value = value;
    this.pending = null;
    return this;
  }
}

/**
 * Call a coroutine_fn as a frame of the coroutine's own stack:
 * `const n = yield* coroutineCall(sub(a))` is `yield* sub(a)` with the same typed
 * result and exceptions, but once `sub` has yielded, a resume goes to `sub`'s
 * frame alone instead of through every `yield*` frame above it. Use it for a
 * coroutine_fn that yields many times before it returns (a loop serving
 * requests); a call costs a little more than a plain `yield*` (one small object
 * and two calls more), whether or not it yields.
 */
export function coroutineCall<T>(co: Co<T>): Iterable<CoroutineYield, T, unknown> {
  const r = co.next();
  let frame: CoroutineCallFrame;
  if (r.done === true) frame = new CoroutineCallFrame(true, r.value, null);
  else if (r.value === YIELD) frame = new CoroutineCallFrame(false, CALL, [co]);
  else if ((r.value as unknown) === CALL) frame = new CoroutineCallFrame(false, CALL, [co, ...((r as unknown as CoroutineCallFrame).pending as Co<unknown>[])]);
  else throw new CoroutineError(FOREIGN_YIELD);
  return frame as unknown as Iterable<CoroutineYield, T, unknown>;
}

// Module-local copies: read in paths that must not fail near the stack limit.
const YIELDED = CoroutineAction.Yield;
const ENDED = CoroutineAction.Terminate;

const GeneratorFunction = Object.getPrototypeOf(function* () {}) as object;

/** Held by the abandoned-coroutine registry for a slot: what to release if its coroutine is dropped. */
interface SlotResources {
  /** Native calls suspended inside the coroutine (nativeCall), cancelled if it is dropped. */
  natives: NativeHold[] | null;
}

/**
 * A coroutine that is dropped without finishing (entered, yielded, then lost; or
 * created and never entered) is reclaimed here, as the generator object itself is
 * by the collector: its native calls are cancelled and it stops counting as live.
 * Registration is per pooled slot, not per coroutine, so the common
 * create-from-pool path pays nothing.
 */
const abandoned = new FinalizationRegistry<SlotResources>((res) => {
  live--;
  cancelNatives(res);
});

/** A pooled backend context and the body it runs now: the CoroutineEntry a backend steps. */
class Slot implements CoroutineEntry {
  bodyKind: BodyKind = 'generator';
  co: CoroutineState | null = null;
  readonly ctx: BackendContext;
  /** Steps generator bodies on the caller's stack: the core runs them without `switch`. */
  readonly direct: boolean;
  readonly res: SlotResources = { natives: null };
  constructor(readonly backend: CoroutineBackend) {
    this.ctx = backend.new(this);
    this.direct = backend.stepsOnCallerStack === true;
    abandoned.register(this, this.res, this);
  }

  step(): CoroutineAction {
    const co = this.co as CoroutineState;
    if (this.bodyKind === 'plain') {
      (co.body as PlainCoroutineBody<unknown>)(co.opaque);
      return CoroutineAction.Terminate;
    }
    // A throw leaves `gen` set; release() clears it when the core retires the slot.
    const top = co.gen ?? start(co);
    return walk(co, resume(co, top, undefined)).done === true ? ENDED : YIELDED;
  }
}

/** The body's generator, made on the first step. */
function start(co: CoroutineState): Co<unknown> {
  return (co.gen = (co.body as CoroutineBody<unknown>)(co.opaque));
}

/** A coroutine's frame stack: the frame to resume next and the callers below it. */
interface FrameStack {
  gen: Co<unknown> | null;
  frames: Co<unknown>[] | null;
}

/**
 * Run the frame stack on from a step's result `r` until a frame yields (returned)
 * or the bottom frame returns (its done result is returned): the callees a
 * coroutineCall left suspended become the top frames, and a callee's return
 * resumes its caller with the value. A body that yields anything else ends with a
 * CoroutineError.
 */
function walk(st: FrameStack, r: IteratorResult<unknown, unknown>): IteratorResult<unknown, unknown> {
  for (;;) {
    if (r.done !== true) {
      if (r.value === YIELD) return r;
      if (r.value !== CALL) {
        st.frames = null;
        throw new CoroutineError(FOREIGN_YIELD);
      }
      const pending = (r as unknown as CoroutineCallFrame).pending as Co<unknown>[];
      const frames = (st.frames ??= []);
      frames.push(st.gen as Co<unknown>);
      const top = pending.length - 1;
      for (let i = 0; i < top; i++) frames.push(pending[i]);
      st.gen = pending[top];
      return r;
    }
    const frames = st.frames;
    if (frames === null || frames.length === 0) {
      st.gen = null;
      return r;
    }
    const caller = frames.pop() as Co<unknown>;
    st.gen = caller;
    r = resume(st, caller, r.value);
  }
}

/** `gen.next(sent)`; what it throws goes to the frames below it, innermost first. */
function resume(st: FrameStack, gen: Co<unknown>, sent: unknown): IteratorResult<unknown, unknown> {
  try {
    return gen.next(sent);
  } catch (err) {
    return unwind(st, err);
  }
}

/** Throw `err` into the frame below the one that threw it, and on down until one catches it; rethrow it when none does. */
function unwind(st: FrameStack, err: unknown): IteratorResult<unknown, unknown> {
  for (;;) {
    const frames = st.frames;
    if (frames === null || frames.length === 0) throw err;
    const caller = frames.pop() as Co<unknown>;
    st.gen = caller;
    try {
      return caller.throw(err);
    } catch (e) {
      err = e;
    }
  }
}

/** Something a coroutine holds that must learn it terminated holding it (CoMutex). */
export interface HeldLock {
  /** Called by the core when `holder` terminates (or throws) while holding it. */
  holderTerminated(holder: Coroutine): void;
}

declare const coroutineBrand: unique symbol;
/**
 * A coroutine (QEMU's Coroutine). Create with `coroutineCreate`, run with
 * `coroutineEnter`; ask about it with `coroutineIsTerminated`, `coroutineEntered`,
 * `coroutineScheduler`. Its bookkeeping is the core's own.
 */
export interface Coroutine {
  readonly [coroutineBrand]: true;
}

/**
 * Bits of CoroutineState.gate. A const enum, so the values are literals in the
 * built code (a module-level const is bundled as a `var`, which the optimizer
 * must load and cannot treat as a Smi).
 */
const enum Gate {
  /** Entered and not yielded since (QEMU's co->caller set). */
  Entered = 1,
  /** A scheduler owns its next wake-up. */
  Scheduled = 2,
  /** Entered through the general path only: a plain body, a backend that switches contexts, the leader, or terminated. */
  General = 4,
  /** A plain body (threads backend): its yield is a blocking switch. */
  Plain = 8,
}

/** @internal The core's view of a coroutine: its bookkeeping, for the core's own modules. */
export class CoroutineState {
  /**
   * Why enter's fast path cannot step it now, as Gate bits; 0 when it can (a
   * generator body stepped here, not entered, not scheduled). One Smi field, so
   * the fast path's test is one load and its writes need no write barrier.
   * Initialised here, not only in the constructor: a class field without one
   * starts as undefined, and the field would then not be kept as a Smi.
   */
  gate: number = Gate.General;
  /** Who entered it (null: the thread's leader), while entered through the general path: a plain body's yield switches there. */
  caller: CoroutineState | null = null;
  /** Name of the scheduler that owns its next wake-up, or null: `scheduled` reads and writes it, keeping the gate. */
  private schedName: string | null = null;
  /** CoMutex / CoRwlock locks it holds. */
  locksHeld = 0;
  /** Locks that want to hear if it terminates holding them (CoMutex). */
  held: HeldLock[] | null = null;
  /** The AioContext it last ran in (set by the event loop layer). */
  ctx: AioContext | null = null;
  /** Link for the pending list and wake-up queues (QEMU's co_queue_next). */
  queueNext: CoroutineState | null = null;
  /** Head and tail of the coroutines it woke, entered after it yields or ends. */
  wakeHead: CoroutineState | null = null;
  wakeTail: CoroutineState | null = null;
  /** The pooled context; null for the leader and once terminated. */
  slot: Slot | null;
  /** The frame to resume next: the body's generator (null before the first step), or a coroutine_fn it called with coroutineCall. */
  gen: Co<unknown> | null = null;
  /** The frames suspended below `gen` by coroutineCall, innermost last. */
  frames: Co<unknown>[] | null = null;

  constructor(
    readonly body: CoroutineBody<never> | PlainCoroutineBody<never> | null,
    readonly opaque: unknown,
    slot: Slot | null,
    plain: boolean,
  ) {
    this.slot = slot;
    this.gate = plain ? Gate.General | Gate.Plain : slot !== null && slot.direct ? 0 : Gate.General;
  }

  /** Name of the scheduler that owns its next wake-up (aio_co_schedule, qemu_co_sleep_ns), or null. */
  get scheduled(): string | null {
    return this.schedName;
  }
  set scheduled(name: string | null) {
    this.schedName = name;
    this.gate = name === null ? this.gate & ~Gate.Scheduled : this.gate | Gate.Scheduled;
  }
}

/** @internal The core's view of a coroutine. */
export function coState(co: Coroutine): CoroutineState {
  return co as unknown as CoroutineState;
}

function pub(co: CoroutineState): Coroutine {
  return co as unknown as Coroutine;
}

// ---------------------------------------------------------------------------
// Backend and per-thread state

let backend: CoroutineBackend | undefined;
let choice: BackendInfo | undefined;
let leader: CoroutineState = new CoroutineState(null, undefined, null, false);
let leaderCtx: BackendContext | undefined;
/**
 * The running coroutine; null while the leader runs (outside any coroutine).
 * It is written twice per enter, so the leader is null rather than `leader`:
 * restoring it is then a constant store, which needs no write barrier.
 */
let current: CoroutineState | null = null;
let pool: Slot[] = [];
let poolMax = 256;
let live = 0;

function activeBackend(): CoroutineBackend {
  if (backend === undefined) {
    const wanted = requestedBackend();
    install(createNamedBackend(wanted.name), wanted);
  }
  return backend as CoroutineBackend;
}

function install(b: CoroutineBackend, why: BackendInfo): void {
  if (current !== null) throw new CoroutineError('The backend cannot be changed from inside a coroutine');
  for (const slot of pool) retire(slot);
  pool = [];
  backend = b;
  choice = why;
  leader = new CoroutineState(null, undefined, null, false);
  current = null;
  leaderCtx = b.leader();
}

/**
 * Use this backend (or the one of this name) from now on, instead of the
 * configured one. Coroutines already alive keep running on their own backend.
 */
export function useBackend(b: CoroutineBackend | string): CoroutineBackend {
  if (typeof b === 'string') install(createNamedBackend(b), describeChoice({ name: b, source: 'useBackend' }));
  else install(checkBackend(b), describeChoice({ name: b.name, source: 'useBackend' }));
  return backend as CoroutineBackend;
}

/** The backend in use, resolving the configured one on first call. */
export function currentBackend(): CoroutineBackend {
  return activeBackend();
}

/** The backend in use and where its choice came from. */
export function backendChoice(): BackendChoice {
  const { name, source, packageJson } = coroutineBackendInfo();
  return packageJson === undefined ? { name, source } : { name, source, packageJson };
}

/** The backend in use, the consuming package it was chosen for, and why (one sentence in `reason`). */
export function coroutineBackendInfo(): BackendInfo {
  activeBackend();
  return choice as BackendInfo;
}

/** Set how many terminated contexts are kept for reuse (QEMU's pool size). */
export function setCoroutinePoolMax(max: number): void {
  poolMax = Math.max(0, max | 0);
  while (pool.length > poolMax) retire(pool.pop() as Slot);
}

/** Pool and liveness counters, for tests and benchmarks. */
export function coroutineStats(): { pooled: number; live: number; poolMax: number } {
  return { pooled: pool.length, live, poolMax };
}

// ---------------------------------------------------------------------------
// The public operations

/** Whether `fn` is a plain function rather than a generator function. */
function isPlain(fn: (...args: never[]) => unknown): boolean {
  return Object.getPrototypeOf(fn) !== GeneratorFunction;
}

/**
 * qemu_coroutine_create: a coroutine that will run `body(opaque)` when entered.
 * A generator function is a coroutine_fn body on every backend; a plain function
 * only where the backend runs plain bodies.
 */
export function coroutineCreate<A>(body: CoroutineBody<A> | PlainCoroutineBody<A>, opaque: A): Coroutine;
export function coroutineCreate(body: CoroutineBody | PlainCoroutineBody): Coroutine;
export function coroutineCreate<A>(body: CoroutineBody<A> | PlainCoroutineBody<A>, opaque?: A): Coroutine {
  const b = backend ?? activeBackend();
  const kind: BodyKind = isPlain(body) ? 'plain' : 'generator';
  if (kind === 'plain' && !b.bodyKinds.includes('plain')) {
    throw new UnsupportedBodyError(
      `The "${b.name}" backend runs only generator bodies (function*); plain function bodies need a backend with bodyKinds 'plain' (threads)`,
    );
  }
  const slot = pool.pop() ?? new Slot(b);
  const co = new CoroutineState(body, opaque, slot, kind === 'plain');
  slot.co = co;
  slot.bodyKind = kind;
  live++;
  return pub(co);
}

/** Free a context for good (it leaves the abandoned-coroutine registry). */
function retire(slot: Slot): void {
  abandoned.unregister(slot);
  slot.backend.delete(slot.ctx);
}

/** Take a coroutine's context away from it (it reads as terminated from now on). */
function detach(co: CoroutineState): Slot {
  const slot = co.slot as Slot;
  co.slot = null;
  co.caller = null;
  co.scheduled = null;
  co.gate = Gate.General;
  co.gen = null;
  co.frames = null;
  slot.co = null;
  cancelNatives(slot.res);
  live--;
  return slot;
}

/** Put a terminated coroutine's context back in the pool (or free it). */
function release(co: CoroutineState): void {
  const slot = detach(co);
  if (pool.length < poolMax && slot.backend === backend) pool.push(slot);
  else retire(slot);
}

/** The end of a body: its context goes back, and a lock still held is an error for good. */
function terminated(co: CoroutineState): CoroutineLocksHeldError | null {
  const held = co.locksHeld;
  release(co);
  if (held === 0) return null;
  const locks = co.held;
  co.held = null;
  if (locks !== null) for (const l of locks) l.holderTerminated(pub(co));
  return new CoroutineLocksHeldError(held);
}

/**
 * qemu_aio_coroutine_enter: run `co` until it yields or ends, then run the
 * coroutines it woke, depth first. `ctx` (an AioContext) is recorded as the
 * coroutine's home when given. Errors thrown by a body reach the caller after the
 * woken coroutines have run.
 */
export function coroutineEnterIn(ctx: AioContext | null, co: Coroutine): void {
  const to = co as unknown as CoroutineState;
  if (to.gate === 0) {
    // The fast path: step the body here; the general loop only if the step woke
    // someone, ended, threw or called a coroutine_fn with coroutineCall. Its
    // writes are Smis and constants, which need no write barrier, but one:
    // `current = to`. coroutineYield clears Gate.Entered.
    const from = current;
    to.gate = Gate.Entered;
    if (ctx !== null) to.ctx = ctx;
    current = to;
    let r: IteratorResult<unknown, unknown>;
    try {
      // `gen` is never undefined: one compare with null, where `??` makes two.
      r = (to.gen !== null ? to.gen : start(to)).next();
      if (r.value !== YIELD || r.done === true) r = walk(to, r);
    } catch (err) {
      current = from;
      threw(ctx, from, to, err);
      return;
    }
    // `current = from`, written so that the leader's null is a constant store.
    if (from === null) current = null;
    else current = from;
    if (r.done !== true) {
      if (to.wakeHead === null) return;
      settle(ctx, from, to, YIELDED, false, undefined);
      return;
    }
    settle(ctx, from, to, ENDED, false, undefined);
    return;
  }
  to.queueNext = null;
  runPending(ctx, current, null, YIELDED, to, false, undefined);
}

/** The fast path's step threw: a frame below the thrower may still catch it, else the body ended with it. */
function threw(ctx: AioContext | null, from: CoroutineState | null, to: CoroutineState, err: unknown): void {
  if (to.frames === null || to.frames.length === 0) {
    settle(ctx, from, to, ENDED, true, err);
    return;
  }
  current = to;
  let r: IteratorResult<unknown, unknown>;
  try {
    r = walk(to, unwind(to, err));
  } catch (e) {
    current = from;
    settle(ctx, from, to, ENDED, true, e);
    return;
  }
  current = from;
  settle(ctx, from, to, r.done === true ? ENDED : YIELDED, false, undefined);
}

/** A step of `to` returned `ret`: retire it if it ended (the error of a lock it still held), else it is no longer entered. */
function stepped(to: CoroutineState, ret: CoroutineAction): CoroutineLocksHeldError | null {
  if (ret === ENDED) return terminated(to);
  to.gate &= ~Gate.Entered;
  return null;
}

/**
 * After `to` was stepped with outcome `ret` (or threw `failure`): queue what it
 * woke, retire it if it ended, and run the rest of the pending list.
 */
function settle(ctx: AioContext | null, from: CoroutineState | null, to: CoroutineState, ret: CoroutineAction, failed: boolean, failure: unknown): void {
  runPending(ctx, from, to, ret, null, failed, failure);
}

/**
 * The general enter loop: `done` (when not null) was just stepped with outcome
 * `ret`; then each pending coroutine in turn, what it wakes first. After every
 * step, one place queues the wakes, retires an ended coroutine and keeps the
 * first failure.
 */
function runPending(
  ctx: AioContext | null,
  from: CoroutineState | null,
  done: CoroutineState | null,
  ret: CoroutineAction,
  pending: CoroutineState | null,
  failed: boolean,
  failure: unknown,
): void {
  const fromCtx = from === null || from.slot === null ? (leaderCtx as BackendContext) : from.slot.ctx;
  let to = done;
  for (;;) {
    if (to !== null) {
      if (to.wakeHead !== null) {
        (to.wakeTail as CoroutineState).queueNext = pending;
        pending = to.wakeHead;
        to.wakeHead = to.wakeTail = null;
      }
      const err = stepped(to, ret);
      if (err !== null && !failed) {
        failed = true;
        failure = err;
      }
    }
    if (pending === null) break;
    to = pending;
    pending = to.queueNext;
    to.queueNext = null;
    if (to.scheduled !== null) throw new CoroutineAlreadyScheduledError(to.scheduled);
    if ((to.gate & Gate.Entered) !== 0) throw new CoroutineReenteredError();
    const slot = to.slot;
    if (slot === null) throw new CoroutineTerminatedError();
    if ((to.gate & Gate.Plain) !== 0) to.caller = from;
    to.gate |= Gate.Entered;
    if (ctx !== null) to.ctx = ctx;
    current = to;
    try {
      ret = slot.direct ? slot.step() : slot.backend.switch(fromCtx, slot.ctx, CoroutineAction.Enter);
    } catch (err) {
      current = from;
      ret = ENDED;
      if (!failed) {
        failed = true;
        failure = err;
      }
    }
    current = from;
  }
  if (failed) throw failure;
}

/**
 * Delete a coroutine that will not be finished (it yielded for good): its context
 * is released without running more of its body, and is not pooled, since the
 * backend may hold it mid-way. Deleting a terminated coroutine does nothing.
 */
export function coroutineDelete(co: Coroutine): void {
  const st = coState(co);
  if (st.slot === null) return;
  if ((st.gate & Gate.Entered) !== 0) throw new CoroutineReenteredError();
  retire(detach(st));
}

/** qemu_coroutine_enter: enter `co` in no particular AioContext. */
export function coroutineEnter(co: Coroutine): void {
  coroutineEnterIn(null, co);
}

/**
 * qemu_coroutine_yield: give control back to whoever entered this coroutine.
 * In a generator body write `yield coroutineYield()` (or `yield* coroutineYield()`);
 * in a plain body (threads backend) call `coroutineYield()`, which blocks until the
 * coroutine is re-entered.
 */
export function coroutineYield(): CoroutineYield {
  const self = current;
  // The fast path's coroutine (gate exactly Entered): one compare, one Smi store.
  if (self !== null && self.gate === Gate.Entered) {
    self.gate = 0;
    return YIELD;
  }
  if (self === null) throw new CoroutineYieldToNoOneError();
  const gate = self.gate;
  if ((gate & Gate.Entered) === 0) throw new CoroutineYieldToNoOneError();
  self.gate = gate ^ Gate.Entered;
  if ((gate & Gate.Plain) !== 0) {
    const slot = self.slot as Slot;
    const to = self.caller;
    self.caller = null;
    slot.backend.switch(slot.ctx, to === null || to.slot === null ? (leaderCtx as BackendContext) : to.slot.ctx, CoroutineAction.Yield);
  }
  return YIELD;
}

/** qemu_coroutine_self: the running coroutine, or this thread's leader outside any. */
export function coroutineSelf(): Coroutine {
  return pub(current ?? leader);
}

/** qemu_in_coroutine: whether a coroutine is running. */
export function inCoroutine(): boolean {
  return current !== null;
}

/** qemu_coroutine_entered: whether `co` is entered and has not yielded since. */
export function coroutineEntered(co: Coroutine): boolean {
  return (coState(co).gate & Gate.Entered) !== 0;
}

/** Whether `co` has returned (or thrown, or was deleted): it cannot be entered again. */
export function coroutineIsTerminated(co: Coroutine): boolean {
  const st = coState(co);
  return st.slot === null && st.body !== null;
}

/** How errors name `co`: its body function's name ('coroutine running worker'), or 'a coroutine' for an anonymous body. */
export function coroutineDescription(co: Coroutine): string {
  const name = coState(co).body?.name;
  return name ? `the coroutine running ${name}` : 'a coroutine with an anonymous body';
}

/** The scheduler that owns `co`'s next wake-up ('aio_co_schedule', 'qemu_co_sleep_ns'), or null. */
export function coroutineScheduler(co: Coroutine): string | null {
  return coState(co).scheduled;
}

/** Decides whether a wake-up must go through another AioContext; true when it took the coroutine (set by the event loop layer). */
export type CoroutineWakeRouter = (co: Coroutine) => boolean;
let wakeRouter: CoroutineWakeRouter | null = null;

/**
 * @internal Install the event loop layer's aio_co_wake rule (done when the first
 * AioContext is made, the only way a coroutine gets a home): a wake-up made while
 * another AioContext is polled schedules the coroutine into its home context instead.
 */
export function setCoroutineWakeRouter(router: CoroutineWakeRouter | null): void {
  wakeRouter = router;
}

/**
 * Wake `co` (QEMU's aio_co_wake for the same context): from inside a coroutine it
 * joins the running coroutine's wake-up queue and runs when that one yields or
 * ends; outside a coroutine it is entered at once.
 */
export function coroutineWake(co: Coroutine): void {
  const st = coState(co);
  if (st.ctx !== null && wakeRouter !== null && wakeRouter(co)) return;
  if (current !== null) {
    const self = current;
    if (self === st) throw new CoroutineReenteredError();
    st.queueNext = null;
    if (self.wakeTail === null) self.wakeHead = st;
    else self.wakeTail.queueNext = st;
    self.wakeTail = st;
    return;
  }
  coroutineEnterIn(st.ctx, co);
}

/** A native call suspended inside a coroutine (nativeCall), cancelled at most once. */
export interface NativeHold {
  readonly rt: NativeRuntime;
  readonly handle: number;
  /** Set once it is finished or cancelled. */
  done: boolean;
}

function cancelNatives(res: SlotResources): void {
  const natives = res.natives;
  res.natives = null;
  if (natives === null) return;
  for (const n of natives) {
    if (n.done) continue;
    n.done = true;
    n.rt.cancel(n.handle);
  }
}

/**
 * @internal Record a native call suspended inside the running coroutine, so it is
 * cancelled if the coroutine is dropped or deleted. Returns the record, and a way
 * to forget it when the call finishes.
 */
export function holdNative(rt: NativeRuntime, handle: number): { readonly hold: NativeHold; readonly forget: () => void } {
  const hold: NativeHold = { rt, handle, done: false };
  const slot = current === null ? null : current.slot;
  if (slot === null) return { hold, forget: () => {} };
  const res = slot.res;
  (res.natives ??= []).push(hold);
  return {
    hold,
    forget: () => {
      hold.done = true;
      const i = res.natives?.indexOf(hold) ?? -1;
      if (i >= 0) res.natives?.splice(i, 1);
    },
  };
}

/**
 * Run a coroutine_fn from a plain coroutine body (threads backend): each of its
 * yields is a blocking yield of the plain body. Returns its result.
 */
export function runCoroutineFn<T>(fn: Co<T>): T {
  const slot = current === null ? null : current.slot;
  if (slot === null || slot.bodyKind !== 'plain') {
    throw new CoroutineError('runCoroutineFn is for plain coroutine bodies; in a coroutine_fn use yield*');
  }
  // Its yields block inside coroutineYield(), so each token just means "go on".
  const st: FrameStack = { gen: fn, frames: null };
  let r = walk(st, resume(st, fn, undefined));
  while (r.done !== true) r = walk(st, resume(st, st.gen as Co<unknown>, undefined));
  return r.value as T;
}

/** Whether the selected backend runs plain function bodies. */
export function supportsPlainBodies(): boolean {
  return activeBackend().bodyKinds.includes('plain');
}
