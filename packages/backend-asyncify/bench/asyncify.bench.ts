/**
 * Benchmarks of the asyncify backend's C bodies, under the case names the other
 * stackful backends use (`c-body/round-trip`, `c-body/lifecycle`, `c-body/cost`):
 * timed by loops inside the wasm module (like QEMU's perf_yield) so no
 * JavaScript runs between switches, each beside the run's one
 * `baseline/generator-next` and a plain C call loop in the same module; and a
 * JavaScript coroutine running a C body that yields to it from 16 calls deep
 * (`yield* nativeCall(...)`), one native yield per round trip. JavaScript-body
 * figures are the coroutine suite's /perf/* cases, which run on every backend.
 */
import { coroutineCreate, coroutineEnter, currentBackend, nativeCall, useBackend } from '@qco/core';
import type { BenchCaseSpec, BenchFn, BenchModule } from '@qco/bench';

/** Iterations per timed call of the in-module C loops. */
const C_LOOP = 100_000;
const GEN_NEXT = 'baseline/generator-next';
const C_CALL = 'c-body/function-call';

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

/** C cases: name → loop function of the module. */
const C_CASES: Partial<Record<string, string>> = {
  [C_CALL]: 'perf_function_call',
  'c-body/round-trip': 'perf_yield',
  'c-body/lifecycle': 'perf_lifecycle',
  'c-body/cost': 'perf_cost',
};

const module: BenchModule = {
  suite: 'asyncify',
  cases({ backends }) {
    if (!backends.includes('asyncify')) return [];
    const cases: BenchCaseSpec[] = Object.keys(C_CASES).map((name) =>
      name === C_CALL
        ? { name, backend: 'asyncify', opsPerCall: C_LOOP, params: { body: 'C', loop: 'in module' } }
        : { name, backend: 'asyncify', opsPerCall: C_LOOP, baseline: GEN_NEXT, compareWith: [C_CALL], params: { body: 'C', loop: 'in module' } },
    );
    cases.push({ name: 'native-call/round-trip/depth-16', backend: 'asyncify', baseline: GEN_NEXT, params: { body: 'generator + C', depth: 16 } });
    return cases;
  },
  // eslint-disable-next-line @typescript-eslint/require-await -- the BenchModule contract is a Promise; a throw here must reject it
  async prepare(spec): Promise<BenchFn> {
    useBackend(spec.backend ?? 'asyncify');
    const loop = C_CASES[spec.name];
    if (loop !== undefined) return cLoop(loop);
    if (spec.name === 'native-call/round-trip/depth-16') {
      const co = coroutineCreate(function* () {
        for (;;) yield* nativeCall('deep_yield', [16, 0x7fffffff]);
      });
      return { kind: 'sync', fn: () => coroutineEnter(co) };
    }
    throw new Error(`unknown asyncify bench case ${spec.name}`);
  },
};

export default module;
