/**
 * Benchmarks of the threads backend's plain-function bodies (whose yield is a
 * blocking call, here from call depth 0 and 50): an enter + yield round trip and
 * a create + enter lifecycle, beside the run's one `baseline/generator-next`, a
 * Promise round trip between two async functions (the async/await way to hand
 * control to another routine and get it back) and the floor under any thread
 * switch — a futex round trip between two plain threads, no isolate — all
 * measured in the same run. Generator bodies on this backend: the coroutine
 * suite's /perf/* cases, which run on every backend.
 */
import { coroutineCreate, coroutineEnter, coroutineYield, useBackend } from '@qco/core';
import { promiseRoundTrip, type BenchCaseSpec, type BenchFn, type BenchModule } from '@qco/bench';
import { futexRoundTrips } from '@qco/backend-threads';

// The futex floor is benchmark code, compiled only into the test build: load that one
// (the addon loads lazily, on first use, after this line ran).
process.env['QCO_ADDON_VARIANT'] ??= 'test';

const AWAITS_PER_CALL = 1000;
const GEN_NEXT = 'baseline/generator-next';
const PROMISE = 'baseline/promise-round-trip';
const FUTEX = 'baseline/futex-round-trip';
const FUTEX_PER_CALL = 1000;

function yieldForeverPlain(): void {
  for (;;) coroutineYield();
}

function yieldAtDepth(depth: number): void {
  if (depth > 0) {
    yieldAtDepth(depth - 1);
    return;
  }
  for (;;) coroutineYield();
}

function emptyPlain(): void {}

const module: BenchModule = {
  suite: 'threads',
  cases({ backends }) {
    if (!backends.includes('threads')) return [];
    const cmp = [PROMISE, FUTEX];
    const cases: BenchCaseSpec[] = [
      { name: PROMISE, opsPerCall: AWAITS_PER_CALL },
      { name: FUTEX, opsPerCall: FUTEX_PER_CALL, params: { note: 'two plain threads, same mailboxes, no isolate' } },
      { name: 'plain-body/round-trip', backend: 'threads', baseline: GEN_NEXT, compareWith: cmp, params: { body: 'plain', depth: 0 } },
      { name: 'plain-body/round-trip/depth-50', backend: 'threads', baseline: GEN_NEXT, compareWith: cmp, params: { body: 'plain', depth: 50 } },
      { name: 'plain-body/lifecycle', backend: 'threads', baseline: GEN_NEXT, params: { body: 'plain' } },
    ];
    return cases;
  },
  async prepare(spec): Promise<BenchFn> {
    switch (spec.name) {
      case PROMISE:
        return promiseRoundTrip(AWAITS_PER_CALL);
      case FUTEX:
        return { kind: 'sync', fn: () => futexRoundTrips(FUTEX_PER_CALL) };
    }
    useBackend(spec.backend ?? 'threads');
    switch (spec.name) {
      case 'plain-body/round-trip': {
        const co = coroutineCreate(yieldForeverPlain);
        return { kind: 'sync', fn: () => coroutineEnter(co) };
      }
      case 'plain-body/round-trip/depth-50': {
        const co = coroutineCreate(yieldAtDepth, 50);
        return { kind: 'sync', fn: () => coroutineEnter(co) };
      }
      case 'plain-body/lifecycle':
        return { kind: 'sync', fn: () => coroutineEnter(coroutineCreate(emptyPlain)) };
      default:
        throw new Error(`unknown threads bench case ${spec.name}`);
    }
  },
};

export default module;
