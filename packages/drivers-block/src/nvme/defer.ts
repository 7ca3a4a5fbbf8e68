/**
 * Temporary stand-in for @qco/core's defer-call (util/defer-call.c semantics:
 * nested sections, calls deduplicated by (fn, opaque), run at the outermost end
 * in insertion order, at once outside a section) until the core module lands;
 * the driver imports defer-call only from here so the switch is one line.
 */
type DeferFn = (opaque: never) => void;

let depth = 0;
const pending: Array<[DeferFn, unknown]> = [];

/** defer_call_begin */
export function deferCallBegin(): void {
  depth++;
}

/** defer_call_end: at the outermost end, run the recorded calls. */
export function deferCallEnd(): void {
  if (depth === 0) throw new Error('deferCallEnd without deferCallBegin');
  if (--depth > 0) return;
  const calls = pending.splice(0);
  for (const [fn, opaque] of calls) (fn as (o: unknown) => void)(opaque);
}

/** defer_call: run `fn(opaque)` now, or once at the end of the current section. */
export function deferCall<T>(fn: (opaque: T) => void, opaque: T): void {
  if (depth === 0) {
    fn(opaque);
    return;
  }
  for (const [f, o] of pending) if (f === (fn as unknown) && o === opaque) return;
  pending.push([fn as DeferFn, opaque]);
}
