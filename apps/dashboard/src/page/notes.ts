/** Sentences the page shows under particular charts: why a figure looks as it does, and figures from outside the run. */

/** Case-name pattern → note. */
export const CASE_NOTES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^c-body\/round-trip$/, "For scale, not measured in this run: QEMU's own C coroutines do an enter + yield round trip in ≈ 76–78 ns (ucontext) and 80–89 ns (sigaltstack) on this kind of 2-core machine, which includes QEMU's core bookkeeping; a plain C call ≈ 2 ns."],
  [/^\/perf\/yield$/, 'A JavaScript body always runs on Node’s own stack: on the stackful backends each step crosses the native switch and back, so their JavaScript round trip costs more than the generator backend’s; their strength is C bodies (c-body/*).'],
  [/^randread-4k depth=1 batched$/, 'At queue depth 1 a defer-call section holds one request, so batching saves no doorbell write and only adds the section’s bookkeeping: expect about 1×, or slightly slower.'],
  [/^sq-doorbells\/request/, 'SQ tail doorbell writes per request: each is an MMIO write a real device pays for. Lower is better; batching at depth 64 writes one per section.'],
  [/^plain-body\//, 'Each hand-off between the caller and a plain-body coroutine moves the isolate between two OS threads (v8::Locker): microseconds, against nanoseconds for the other backends, in exchange for yielding from any call depth.'],
];

/** The note for a case, if any. */
export function noteFor(name: string): string | undefined {
  return CASE_NOTES.find(([re]) => re.test(name))?.[1];
}
