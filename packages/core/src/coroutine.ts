/**
 * The coroutine core: every policy of QEMU's util/qemu-coroutine.c, once, over
 * whichever backend is selected — create with a pool of free contexts, enter with
 * the depth-first wake-up queue, yield, self / inCoroutine / entered, and QEMU's
 * abort conditions as thrown errors. Bodies are generator functions (our
 * coroutine_fn): they call other coroutine_fns with `yield*` and give up control
 * with `yield* coroutineYield()`. On backends that run plain functions (threads),
 * a plain body calls `coroutineYield()` as an ordinary blocking call.
 */
import { CoroutineAction, type BackendContext, type BodyKind, type CoroutineBackend, type CoroutineEntry } from './backend.js';
import {
  CoroutineAlreadyScheduledError,
  CoroutineLocksHeldError,
  CoroutineReenteredError,
  CoroutineTerminatedError,
  CoroutineYieldToNoOneError,
  UnsupportedBodyError,
  CoroutineError,
} from './errors.js';
import { checkBackend, createNamedBackend, describeChoice, requestedBackend, type BackendChoice, type BackendInfo } from './selection.js';

declare const yieldBrand: unique symbol;
/** The value a coroutine body yields to give up control; only `coroutineYield()` makes one. */
export type CoroutineYield = { readonly [yieldBrand]: true };
/** A running coroutine_fn returning T: call it with `yield*` from another coroutine_fn. */
export type Co<T = void> = Generator<CoroutineYield, T, unknown>;
/** A generator coroutine body (QEMU's CoroutineEntry with its opaque argument). */
export type CoroutineBody<A = void> = (opaque: A) => Co<unknown>;
/** A plain coroutine body, for backends whose bodyKinds include 'plain'. */
export type PlainCoroutineBody<A = void> = (opaque: A) => unknown;

const YIELD = Symbol('qco.yield') as unknown as CoroutineYield;
const YIELD_RESULT: IteratorYieldResult<CoroutineYield> = Object.freeze({ value: YIELD, done: false });
const DONE_RESULT: IteratorReturnResult<void> = Object.freeze({ value: undefined, done: true });

/**
 * What `coroutineYield()` returns for `yield*`: yields once, then finishes. One
 * instance serves every coroutine, because nothing runs between arming it and the
 * body's `yield*` consuming it.
 */
class YieldOnce implements Iterator<CoroutineYield, void, unknown>, Iterable<CoroutineYield, void, unknown> {
  armed = false;
  next(): IteratorResult<CoroutineYield, void> {
    if (this.armed) {
      this.armed = false;
      return YIELD_RESULT;
    }
    return DONE_RESULT;
  }
  [Symbol.iterator](): this {
    return this;
  }
}
const yieldOnce = new YieldOnce();

const GeneratorFunction = Object.getPrototypeOf(function* () {}) as object;

/** A pooled backend context and the body it runs now: the CoroutineEntry a backend steps. */
class Slot implements CoroutineEntry {
  bodyKind: BodyKind = 'generator';
  co: Coroutine | null = null;
  gen: Co<unknown> | null = null;
  readonly ctx: BackendContext;
  constructor(readonly backend: CoroutineBackend) {
    this.ctx = backend.new(this);
  }

  step(): CoroutineAction {
    const co = this.co as Coroutine;
    if (this.bodyKind === 'plain') {
      (co.body as PlainCoroutineBody<unknown>)(co.opaque);
      return CoroutineAction.Terminate;
    }
    let gen = this.gen;
    if (gen === null) gen = this.gen = (co.body as CoroutineBody<unknown>)(co.opaque);
    // A throw leaves `gen` set; release() clears it when the core retires the slot.
    const r = gen.next();
    if (r === YIELD_RESULT) return CoroutineAction.Yield;
    this.gen = null;
    if (r.done) return CoroutineAction.Terminate;
    throw new CoroutineError('A coroutine body yielded a value of its own; give up control with `yield* coroutineYield()` and call coroutine_fns with `yield*`');
  }
}

/** A coroutine (QEMU's Coroutine). Create with `coroutineCreate`, run with `coroutineEnter`. */
export class Coroutine {
  /** Who entered it and gets control back at its next yield; null when not entered. */
  caller: Coroutine | null = null;
  /** Name of the scheduler that owns its next wake-up (aio_co_schedule, qemu_co_sleep_ns), or null. */
  scheduled: string | null = null;
  /** CoMutex / CoRwlock locks it holds. */
  locksHeld = 0;
  /** The AioContext it last ran in (set by the event loop layer). */
  ctx: unknown = null;
  /** Link for the pending list and wake-up queues (QEMU's co_queue_next). */
  queueNext: Coroutine | null = null;
  /** Head and tail of the coroutines it woke, entered after it yields or ends. */
  wakeHead: Coroutine | null = null;
  wakeTail: Coroutine | null = null;
  /** @internal The pooled context; null for the leader and once terminated. */
  slot: Slot | null;

  /** @internal */
  constructor(
    readonly body: CoroutineBody<never> | PlainCoroutineBody<never> | null,
    readonly opaque: unknown,
    slot: Slot | null,
  ) {
    this.slot = slot;
  }

  /** True once it has returned (or thrown); it cannot be entered again. */
  get terminated(): boolean {
    return this.slot === null && this.body !== null;
  }
}

// ---------------------------------------------------------------------------
// Backend and per-thread state

let backend: CoroutineBackend | undefined;
let choice: BackendInfo | undefined;
let leader: Coroutine = new Coroutine(null, undefined, null);
let leaderCtx: BackendContext | undefined;
let current: Coroutine = leader;
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
  if (current !== leader) throw new CoroutineError('The backend cannot be changed from inside a coroutine');
  for (const slot of pool) slot.backend.delete(slot.ctx);
  pool = [];
  backend = b;
  choice = why;
  leader = new Coroutine(null, undefined, null);
  current = leader;
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
  while (pool.length > poolMax) {
    const slot = pool.pop() as Slot;
    slot.backend.delete(slot.ctx);
  }
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
  const co = new Coroutine(body, opaque, slot);
  slot.co = co;
  slot.bodyKind = kind;
  live++;
  return co;
}

/** Take a coroutine's context away from it (it reads as terminated from now on). */
function detach(co: Coroutine): Slot {
  const slot = co.slot as Slot;
  co.slot = null;
  co.caller = null;
  co.scheduled = null;
  slot.co = null;
  slot.gen = null;
  live--;
  return slot;
}

/** Put a terminated coroutine's context back in the pool (or free it). */
function release(co: Coroutine): void {
  const slot = detach(co);
  if (pool.length < poolMax && slot.backend === backend) pool.push(slot);
  else slot.backend.delete(slot.ctx);
}

/**
 * qemu_aio_coroutine_enter: run `co` until it yields or ends, then run the
 * coroutines it woke, depth first. `ctx` (an AioContext) is recorded as the
 * coroutine's home when given. Errors thrown by a body reach the caller after the
 * woken coroutines have run.
 */
export function coroutineEnterIn(ctx: unknown, co: Coroutine): void {
  const from = current;
  const fromCtx = from.slot === null ? (leaderCtx as BackendContext) : from.slot.ctx;
  let pending: Coroutine | null = co;
  let failure: unknown = undefined;
  let failed = false;
  co.queueNext = null;
  while (pending !== null) {
    const to: Coroutine = pending;
    pending = to.queueNext;
    to.queueNext = null;
    if (to.scheduled !== null) throw new CoroutineAlreadyScheduledError(to.scheduled);
    if (to.caller !== null) throw new CoroutineReenteredError();
    const slot = to.slot;
    if (slot === null) throw new CoroutineTerminatedError();
    to.caller = from;
    if (ctx !== null) to.ctx = ctx;
    current = to;
    let ret: CoroutineAction;
    try {
      ret = slot.backend.switch(fromCtx, slot.ctx, CoroutineAction.Enter);
    } catch (err) {
      ret = CoroutineAction.Terminate;
      if (!failed) {
        failed = true;
        failure = err;
      }
    }
    current = from;
    if (to.wakeHead !== null) {
      (to.wakeTail as Coroutine).queueNext = pending;
      pending = to.wakeHead;
      to.wakeHead = to.wakeTail = null;
    }
    if (ret === CoroutineAction.Terminate) {
      const held = to.locksHeld;
      release(to);
      if (held !== 0 && !failed) {
        failed = true;
        failure = new CoroutineLocksHeldError(held);
      }
    }
  }
  if (failed) throw failure;
}

/**
 * Delete a coroutine that will not be finished (it yielded for good): its context
 * is released without running more of its body, and is not pooled, since the
 * backend may hold it mid-way. Deleting a terminated coroutine does nothing.
 */
export function coroutineDelete(co: Coroutine): void {
  if (co.slot === null) return;
  if (co.caller !== null) throw new CoroutineReenteredError();
  const slot = detach(co);
  slot.backend.delete(slot.ctx);
}

/** qemu_coroutine_enter: enter `co` in no particular AioContext. */
export function coroutineEnter(co: Coroutine): void {
  coroutineEnterIn(null, co);
}

/**
 * qemu_coroutine_yield: give control back to whoever entered this coroutine.
 * In a generator body write `yield* coroutineYield()`; in a plain body (threads
 * backend) call `coroutineYield()`, which blocks until the coroutine is re-entered.
 */
export function coroutineYield(): Iterable<CoroutineYield, void, unknown> {
  const self = current;
  const to = self.caller;
  if (to === null) throw new CoroutineYieldToNoOneError();
  self.caller = null;
  const slot = self.slot as Slot;
  if (slot.bodyKind === 'plain') {
    slot.backend.switch(slot.ctx, to.slot === null ? (leaderCtx as BackendContext) : to.slot.ctx, CoroutineAction.Yield);
    return yieldOnce;
  }
  yieldOnce.armed = true;
  return yieldOnce;
}

/** qemu_coroutine_self: the running coroutine, or this thread's leader outside any. */
export function coroutineSelf(): Coroutine {
  return current;
}

/** qemu_in_coroutine: whether a coroutine is running. */
export function inCoroutine(): boolean {
  return current !== leader;
}

/** qemu_coroutine_entered: whether `co` is entered and has not yielded since. */
export function coroutineEntered(co: Coroutine): boolean {
  return co.caller !== null;
}

/** Decides whether a wake-up must go through another AioContext; true when it took the coroutine (set by the event loop layer). */
export type CoroutineWakeRouter = (co: Coroutine) => boolean;
let wakeRouter: CoroutineWakeRouter | null = null;

/**
 * Install the event loop layer's aio_co_wake rule: a wake-up made while another
 * AioContext is polled schedules the coroutine into its home context instead.
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
  if (co.ctx !== null && wakeRouter !== null && wakeRouter(co)) return;
  if (current !== leader) {
    const self = current;
    if (self === co) throw new CoroutineReenteredError();
    co.queueNext = null;
    if (self.wakeTail === null) self.wakeHead = co;
    else self.wakeTail.queueNext = co;
    self.wakeTail = co;
    return;
  }
  coroutineEnterIn(co.ctx, co);
}

/**
 * Run a coroutine_fn from a plain coroutine body (threads backend): each of its
 * yields is a blocking yield of the plain body. Returns its result.
 */
export function runCoroutineFn<T>(fn: Co<T>): T {
  const slot = current.slot;
  if (slot === null || slot.bodyKind !== 'plain') {
    throw new CoroutineError('runCoroutineFn is for plain coroutine bodies; in a coroutine_fn use yield*');
  }
  for (;;) {
    const r = fn.next();
    if (r.done) return r.value;
  }
}

/** Whether the selected backend runs plain function bodies. */
export function supportsPlainBodies(): boolean {
  return activeBackend().bodyKinds.includes('plain');
}
