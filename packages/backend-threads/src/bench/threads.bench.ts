/**
 * Benchmarks of the threads backend: an enter + yield round trip and a
 * create + enter lifecycle, with generator bodies and with plain bodies (whose
 * yield is a blocking call, here from call depth 0 and 50), beside the same
 * cases on the generator backend and a Promise round trip between two async
 * functions (the async/await way to hand control to another routine and get it
 * back) and the floor under any thread switch — a futex round trip between two
 * plain threads, no isolate — all measured in the same run.
 */
import { coroutineCreate, coroutineEnter, coroutineYield, useBackend, type Co } from '@qco/core';
import { promiseRoundTrip, type BenchCaseSpec, type BenchFn, type BenchModule } from '@qco/conformance/bench';
import { futexRoundTrips } from '../index.js';

const AWAITS_PER_CALL = 1000;
const GEN_BASE = 'baseline/generator-backend/round-trip';
const GEN_LIFE = 'baseline/generator-backend/lifecycle';
const PROMISE = 'baseline/promise-round-trip';
const FUTEX = 'baseline/futex-round-trip';
const FUTEX_PER_CALL = 1000;

function* yieldForever(): Co {
  for (;;) yield* coroutineYield();
}

function* empty(): Co {}

function yieldForeverPlain(): void {
  for (;;) coroutineYield();
}

function yieldAtDepth(depth: number): void {
  if (depth > 0) return yieldAtDepth(depth - 1);
  for (;;) coroutineYield();
}

function emptyPlain(): void {}

const module: BenchModule = {
  suite: 'threads',
  cases({ backends }) {
    const cases: BenchCaseSpec[] = [
      { name: PROMISE, opsPerCall: AWAITS_PER_CALL },
      { name: GEN_BASE },
      { name: GEN_LIFE },
    ];
    if (backends.includes('threads')) {
      const cmp = [PROMISE, FUTEX];
      cases.push(
        { name: FUTEX, opsPerCall: FUTEX_PER_CALL, params: { note: 'two plain threads, same mailboxes, no isolate' } },
        { name: 'round-trip', backend: 'threads', baseline: GEN_BASE, compareWith: cmp, params: { body: 'generator' } },
        { name: 'round-trip/plain', backend: 'threads', baseline: GEN_BASE, compareWith: cmp, params: { body: 'plain', depth: 0 } },
        { name: 'round-trip/plain/depth-50', backend: 'threads', baseline: GEN_BASE, compareWith: cmp, params: { body: 'plain', depth: 50 } },
        { name: 'lifecycle', backend: 'threads', baseline: GEN_LIFE, params: { body: 'generator' } },
        { name: 'lifecycle/plain', backend: 'threads', baseline: GEN_LIFE, params: { body: 'plain' } },
      );
    }
    return cases;
  },
  async prepare(spec): Promise<BenchFn> {
    switch (spec.name) {
      case PROMISE:
        return promiseRoundTrip(AWAITS_PER_CALL);
      case FUTEX:
        return { kind: 'sync', fn: () => futexRoundTrips(FUTEX_PER_CALL) };
      case GEN_BASE: {
        useBackend('generator');
        const co = coroutineCreate(yieldForever);
        return { kind: 'sync', fn: () => coroutineEnter(co) };
      }
      case GEN_LIFE:
        useBackend('generator');
        return { kind: 'sync', fn: () => coroutineEnter(coroutineCreate(empty)) };
    }
    useBackend(spec.backend ?? 'threads');
    switch (spec.name) {
      case 'round-trip': {
        const co = coroutineCreate(yieldForever);
        return { kind: 'sync', fn: () => coroutineEnter(co) };
      }
      case 'round-trip/plain': {
        const co = coroutineCreate(yieldForeverPlain);
        return { kind: 'sync', fn: () => coroutineEnter(co) };
      }
      case 'round-trip/plain/depth-50': {
        const co = coroutineCreate(yieldAtDepth, 50);
        return { kind: 'sync', fn: () => coroutineEnter(co) };
      }
      case 'lifecycle':
        return { kind: 'sync', fn: () => coroutineEnter(coroutineCreate(empty)) };
      case 'lifecycle/plain':
        return { kind: 'sync', fn: () => coroutineEnter(coroutineCreate(emptyPlain)) };
      default:
        throw new Error(`unknown threads bench case ${spec.name}`);
    }
  },
};

export default module;
