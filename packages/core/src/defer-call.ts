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

interface Entry {
  readonly fn: DeferCallFn<never>;
  readonly opaque: unknown;
}

let nesting = 0;
let entries: Entry[] = [];
/** fn → the opaques already recorded for it in this section. */
let seen = new Map<DeferCallFn<never>, Set<unknown>>();

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
  const run = entries;
  entries = [];
  seen = new Map();
  let failed = false;
  let failure: unknown;
  for (const e of run) {
    try {
      (e.fn as DeferCallFn)(e.opaque);
    } catch (err) {
      if (!failed) {
        failed = true;
        failure = err;
      }
    }
  }
  if (failed) throw failure;
}

/** defer_call: run `fn(opaque)` at the outermost deferCallEnd (once per pair), or now outside a section. */
export function deferCall<T>(fn: DeferCallFn<T>, opaque: T): void {
  if (nesting === 0) {
    fn(opaque);
    return;
  }
  const f = fn as DeferCallFn<never>;
  let s = seen.get(f);
  if (s === undefined) seen.set(f, (s = new Set()));
  if (s.has(opaque)) return;
  s.add(opaque);
  entries.push({ fn: f, opaque });
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
  return { nesting, pending: entries.length };
}
