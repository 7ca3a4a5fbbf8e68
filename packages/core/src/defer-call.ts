/**
 * defer-call (QEMU's util/defer-call.c): batch work that several requests would
 * each trigger, such as an NVMe doorbell write, an io_uring submission or a
 * virtqueue notification. Between deferCallBegin() and the outermost
 * deferCallEnd(), deferCall(fn, opaque) records each (fn, opaque) pair once; the
 * outermost end runs them in the order they were first recorded. Outside a
 * section a deferred call runs at once. One JavaScript thread means one state,
 * where QEMU keeps one per thread.
 */
import { CoroutineError } from './errors.js';

/** A deferred function (QEMU: void fn(void *opaque)). */
export type DeferCallFn<T = unknown> = (opaque: T) => void;

/**
 * The recorded calls as two parallel arrays reused from section to section, so
 * a section allocates nothing: `fns[i]` / `opaques[i]` for i < `count`.
 */
interface Pending {
  readonly fns: DeferCallFn<never>[];
  readonly opaques: unknown[];
  count: number;
}

/** Beyond this many recorded calls, duplicates are found through `index` rather than a scan. */
const SCAN_MAX = 16;

let nesting = 0;
let pending: Pending = { fns: [], opaques: [], count: 0 };
/** A second list, taken while the first runs (deferred calls may open sections of their own). */
let spare: Pending | null = { fns: [], opaques: [], count: 0 };
/** fn → the opaques recorded for it, built only once a section holds more than SCAN_MAX calls. */
let index: Map<DeferCallFn<never>, Set<unknown>> | null = null;

/** defer_call_begin: open a (possibly nested) section. */
export function deferCallBegin(): void {
  nesting++;
}

/**
 * defer_call_end: close a section; the outermost end runs the recorded calls in
 * insertion order. If some throw, all still run and the first error is rethrown.
 */
export function deferCallEnd(): void {
  if (nesting === 0) throw new CoroutineError('defer_call_end without a matching defer_call_begin');
  if (--nesting > 0) return;
  const run = pending;
  const n = run.count;
  if (n === 0) return;
  // Only a section ended by one of the calls below finds no spare list.
  pending = spare ?? { fns: [], opaques: [], count: 0 };
  spare = null;
  index = null;
  let failed = false;
  let failure: unknown;
  for (let i = 0; i < n; i++) {
    const fn = run.fns[i] as DeferCallFn;
    const opaque = run.opaques[i];
    // Dropped as it runs, so the list holds on to nothing afterwards.
    run.opaques[i] = undefined;
    try {
      fn(opaque);
    } catch (err) {
      if (!failed) {
        failed = true;
        failure = err;
      }
    }
  }
  run.count = 0;
  spare = run;
  if (failed) throw failure;
}

/** defer_call: run `fn(opaque)` at the outermost deferCallEnd (once per pair), or now outside a section. */
export function deferCall<T>(fn: DeferCallFn<T>, opaque: T): void {
  if (nesting === 0) {
    fn(opaque);
    return;
  }
  const f = fn as DeferCallFn<never>;
  const p = pending;
  const n = p.count;
  if (n <= SCAN_MAX) {
    // Sections usually record a few calls: a scan beats a hash lookup and allocates nothing.
    for (let i = 0; i < n; i++) if (p.fns[i] === f && p.opaques[i] === opaque) return;
    if (n === SCAN_MAX) {
      index = new Map();
      for (let i = 0; i < n; i++) indexAdd(index, p.fns[i], p.opaques[i]);
    }
  }
  if (index !== null && !indexAdd(index, f, opaque)) return;
  p.fns[n] = f;
  p.opaques[n] = opaque;
  p.count = n + 1;
}

/** Record (fn, opaque) in the index; false when it was there already. */
function indexAdd(ix: Map<DeferCallFn<never>, Set<unknown>>, fn: DeferCallFn<never>, opaque: unknown): boolean {
  let s = ix.get(fn);
  if (s === undefined) ix.set(fn, (s = new Set()));
  if (s.has(opaque)) return false;
  s.add(opaque);
  return true;
}

/** Run `body` inside a defer-call section (begin, body, end even if it throws). */
export function withDeferCall<R>(body: () => R): R {
  deferCallBegin();
  try {
    return body();
  } finally {
    deferCallEnd();
  }
}

/** Current nesting depth and pending calls, for tests. */
export function deferCallState(): { nesting: number; pending: number } {
  return { nesting, pending: pending.count };
}
