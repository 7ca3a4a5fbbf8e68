/**
 * Benchmarks of the asyncify backend, beside the generator backend in the same
 * run: an enter + yield round trip, a create + enter lifecycle and QEMU's
 * /perf/cost cycle with JavaScript bodies; the same three with C bodies, timed by
 * loops inside the wasm module (like QEMU's perf_yield) so no JavaScript runs
 * between switches, beside a plain C call loop in the same module; and a
 * JavaScript coroutine running a C body that yields to it from 16 calls deep
 * (`yield* nativeCall(...)`), one native yield per round trip.
 */
import { coroutineCreate, coroutineEnter, coroutineYield, currentBackend, nativeCall, useBackend, type Co } from '@qco/core';
import type { BenchCaseSpec, BenchFn, BenchModule } from '@qco/conformance/bench';

/** Iterations per timed call of the in-module C loops. */
const C_LOOP = 100_000;
const GEN_TRIP = 'baseline/generator-backend/round-trip';
const GEN_LIFE = 'baseline/generator-backend/lifecycle';
const GEN_COST = 'baseline/generator-backend/cost';
const C_CALL = 'baseline/c-function-call';

function* yieldForever(): Co {
  for (;;) yield* coroutineYield();
}

function* empty(): Co {}

function* yieldOnce(): Co {
  yield* coroutineYield();
}

/** Timed calls of the JavaScript round trip, lifecycle and cost cases (the same code on both backends). */
function jsCase(kind: 'round-trip' | 'lifecycle' | 'cost'): BenchFn {
  switch (kind) {
    case 'round-trip': {
      const co = coroutineCreate(yieldForever);
      return { kind: 'sync', fn: () => coroutineEnter(co) };
    }
    case 'lifecycle':
      return { kind: 'sync', fn: () => coroutineEnter(coroutineCreate(empty)) };
    case 'cost':
      return {
        kind: 'sync',
        fn: () => {
          const co = coroutineCreate(yieldOnce);
          coroutineEnter(co);
          coroutineEnter(co);
        },
      };
  }
}

/** Run a C loop of the module to its end (it does not yield to JavaScript). */
function cLoop(fn: string): BenchFn {
  const native = currentBackend().native;
  if (native === undefined) throw new Error('the asyncify backend has no native side');
  return {
    kind: 'sync',
    fn: () => {
      const h = native.start(fn, [C_LOOP]);
      const step = native.resume(h, 0);
      if (!step.done) throw new Error(`${fn} yielded to JavaScript`);
    },
  };
}

const module: BenchModule = {
  suite: 'asyncify',
  cases({ backends }) {
    const cases: BenchCaseSpec[] = [
      // Backend-less, so every asyncify case can name them; they run on the generator backend.
      { name: GEN_TRIP, params: { backend: 'generator' } },
      { name: GEN_LIFE, params: { backend: 'generator' } },
      { name: GEN_COST, params: { backend: 'generator' } },
    ];
    if (!backends.includes('asyncify')) return cases;
    cases.push(
      { name: C_CALL, backend: 'asyncify', opsPerCall: C_LOOP, params: { body: 'C', loop: 'in module' } },
      { name: 'round-trip', backend: 'asyncify', baseline: GEN_TRIP, params: { body: 'generator' } },
      { name: 'lifecycle', backend: 'asyncify', baseline: GEN_LIFE, params: { body: 'generator' } },
      { name: 'cost', backend: 'asyncify', baseline: GEN_COST, params: { body: 'generator' } },
      { name: 'c/round-trip', backend: 'asyncify', opsPerCall: C_LOOP, baseline: GEN_TRIP, compareWith: [C_CALL], params: { body: 'C', loop: 'in module' } },
      { name: 'c/lifecycle', backend: 'asyncify', opsPerCall: C_LOOP, baseline: GEN_LIFE, params: { body: 'C', loop: 'in module' } },
      { name: 'c/cost', backend: 'asyncify', opsPerCall: C_LOOP, baseline: GEN_COST, params: { body: 'C', loop: 'in module' } },
      { name: 'native-call/round-trip/depth-16', backend: 'asyncify', baseline: GEN_TRIP, params: { body: 'generator + C', depth: 16 } },
    );
    return cases;
  },
  async prepare(spec): Promise<BenchFn> {
    useBackend(spec.backend ?? 'generator');
    switch (spec.name) {
      case GEN_TRIP:
      case 'round-trip':
        return jsCase('round-trip');
      case GEN_LIFE:
      case 'lifecycle':
        return jsCase('lifecycle');
      case GEN_COST:
      case 'cost':
        return jsCase('cost');
      case C_CALL:
        return cLoop('perf_function_call');
      case 'c/round-trip':
        return cLoop('perf_yield');
      case 'c/lifecycle':
        return cLoop('perf_lifecycle');
      case 'c/cost':
        return cLoop('perf_cost');
      case 'native-call/round-trip/depth-16': {
        const co = coroutineCreate(function* () {
          for (;;) yield* nativeCall('deep_yield', [16, 0x7fffffff]);
        });
        return { kind: 'sync', fn: () => coroutineEnter(co) };
      }
      default:
        throw new Error(`unknown asyncify bench case ${spec.name}`);
    }
  },
};

export default module;
