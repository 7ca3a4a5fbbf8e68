/**
 * The benchmark module of a native stackful backend (native-ucontext,
 * sigaltstack). C-body figures come from loops timed inside the addon (as QEMU's
 * perf_yield / perf_lifecycle / perf_cost do), under the case names every
 * stackful backend shares (`c-body/round-trip`, `c-body/lifecycle`,
 * `c-body/cost`), each beside the run's one `baseline/generator-next` and the
 * backend's own plain C call. JavaScript-body figures are the coroutine suite's
 * /perf/* cases, which run on every backend.
 */
import type { BenchCaseSpec, BenchFn, BenchModule } from './types.js';

/** What the module needs of a native backend package (its NativeBackendModule). */
export interface NativePerfSource {
  /** The loaded addon (its perf loops), or null when it did not build or load. */
  addon(): { perf(loop: string, iterations: number): number } | null;
  /** Why the addon did not load. */
  unavailableReason(): string;
}

/** C loops: case name → [addon perf loop, iterations per sample]. */
const C_CASES: Partial<Record<string, readonly [string, number]>> = {
  'c-body/function-call': ['function-call', 20_000_000],
  'c-body/round-trip': ['yield', 5_000_000],
  'c-body/round-trip/depth-16': ['yield-depth-16', 5_000_000],
  'c-body/lifecycle': ['lifecycle', 2_000_000],
  'c-body/cost': ['cost', 1_000_000],
  'c-body/create-fresh-stack': ['create-fresh', 5_000],
};

const SAMPLES = 12;

function measuredLoop(mod: NativePerfSource, loop: string, iterations: number): BenchFn {
  return {
    kind: 'measured',
    async run() {
      const addon = mod.addon();
      if (addon === null) throw new Error(mod.unavailableReason());
      addon.perf(loop, Math.ceil(iterations / 10)); // warm up
      const rates: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const ns = addon.perf(loop, iterations);
        if (ns < 0) throw new Error(`perf loop ${loop} failed`);
        rates.push(iterations / (ns / 1e9));
        await new Promise((r) => setImmediate(r));
      }
      const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
      const sd = Math.sqrt(rates.reduce((a, b) => a + (b - mean) ** 2, 0) / (rates.length - 1));
      // 95 % margin with Student's t for 11 degrees of freedom.
      const rme = ((2.201 * sd) / Math.sqrt(rates.length) / mean) * 100;
      return { hz: mean, rme, samples: rates.length };
    },
  };
}

/** The bench module of the native backend `name`. */
export function createNativeBenchModule(name: string, mod: NativePerfSource): BenchModule {
  // The C perf loops are benchmark code, compiled only into the test build: load that one.
  process.env['QCO_ADDON_VARIANT'] ??= 'test';
  const suite = `native/${name}`;
  return {
    suite,
    cases({ backends }): BenchCaseSpec[] {
      if (!backends.includes(name)) return [];
      return Object.keys(C_CASES).map((c) =>
        c === 'c-body/function-call'
          ? { name: c, backend: name, params: { body: 'C' } }
          : { name: c, backend: name, baseline: 'baseline/generator-next', compareWith: ['c-body/function-call'], params: { body: 'C' } },
      );
    },
    prepare(spec): BenchFn {
      const c = C_CASES[spec.name];
      if (c === undefined) throw new Error(`${suite}: unknown case ${spec.name}`);
      return measuredLoop(mod, c[0], c[1]);
    },
  };
}
