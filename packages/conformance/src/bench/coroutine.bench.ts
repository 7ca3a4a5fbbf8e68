/**
 * The perf cases of QEMU's test-coroutine.c (/perf/lifecycle, /perf/nesting,
 * /perf/yield, /perf/function-call, /perf/cost) on every backend, beside the
 * JavaScript baselines that bound what a coroutine switch can cost here: a raw
 * generator.next() round trip, an `await` of a resolved promise, and a Promise
 * round trip between two async functions (the closest Promise analogue of
 * enter + yield: control goes to another routine and comes back). One call of a
 * timed function is one QEMU iteration (nesting: one 1000-deep tree).
 */
import { coroutineCreate, coroutineEnter, coroutineYield, useBackend, type Co } from '@qco/core';
import { promiseRoundTrip } from './baselines.js';
import type { BenchCaseSpec, BenchFn, BenchModule } from './types.js';

const NEST_DEPTH = 1000;
const AWAITS_PER_CALL = 1000;

function* empty(): Co {}

function* yieldForever(): Co {
  for (;;) yield* coroutineYield();
}

function* nest(d: { n: number; max: number }): Co {
  d.n++;
  if (d.n < d.max) coroutineEnter(coroutineCreate(nest, d));
}

function* yieldOnce(): Co {
  yield* coroutineYield();
}

let sink = 0;
function dummy(i: number): number {
  return i - 1;
}

const module: BenchModule = {
  suite: 'coroutine',
  cases({ backends }) {
    const cases: BenchCaseSpec[] = [
      { name: 'baseline/generator-next' },
      { name: 'baseline/await', opsPerCall: AWAITS_PER_CALL },
      { name: 'baseline/promise-round-trip', opsPerCall: AWAITS_PER_CALL },
      { name: '/perf/function-call' },
    ];
    for (const backend of backends) {
      cases.push(
        { name: '/perf/yield', backend, baseline: 'baseline/generator-next', compareWith: ['baseline/await', 'baseline/promise-round-trip'] },
        { name: '/perf/lifecycle', backend, baseline: 'baseline/generator-next' },
        { name: '/perf/cost', backend, baseline: 'baseline/generator-next' },
        { name: '/perf/nesting', backend, opsPerCall: NEST_DEPTH, baseline: 'baseline/generator-next', params: { depth: NEST_DEPTH } },
      );
    }
    return cases;
  },
  async prepare(spec): Promise<BenchFn> {
    if (spec.backend) useBackend(spec.backend);
    switch (spec.name) {
      case 'baseline/generator-next': {
        const g = (function* () {
          for (;;) yield 0;
        })();
        return { kind: 'sync', fn: () => void g.next() };
      }
      case 'baseline/await': {
        const resolved = Promise.resolve(1);
        return {
          kind: 'async',
          fn: async () => {
            for (let i = 0; i < AWAITS_PER_CALL; i++) sink += await resolved;
          },
        };
      }
      case 'baseline/promise-round-trip':
        return promiseRoundTrip(AWAITS_PER_CALL);
      case '/perf/function-call':
        return { kind: 'sync', fn: () => void (sink = dummy(sink)) };
      case '/perf/yield': {
        const co = coroutineCreate(yieldForever);
        return { kind: 'sync', fn: () => coroutineEnter(co) };
      }
      case '/perf/lifecycle':
        return { kind: 'sync', fn: () => coroutineEnter(coroutineCreate(empty)) };
      case '/perf/cost':
        return {
          kind: 'sync',
          fn: () => {
            const co = coroutineCreate(yieldOnce);
            coroutineEnter(co);
            coroutineEnter(co);
          },
        };
      case '/perf/nesting':
        return { kind: 'sync', fn: () => coroutineEnter(coroutineCreate(nest, { n: 0, max: NEST_DEPTH })) };
      default:
        throw new Error(`unknown coroutine bench case ${spec.name}`);
    }
  },
};

export default module;
