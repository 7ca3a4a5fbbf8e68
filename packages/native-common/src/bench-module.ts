/**
 * The benchmark module of a native backend, for the shared harness
 * (`@qco/conformance/bench`). C-body figures come from loops timed inside the
 * addon (as QEMU's perf_yield / perf_lifecycle / perf_cost do), beside a plain C
 * function call as their same-run baseline; the JavaScript-body round trip is
 * timed through @qco/core beside the same loop on the generator backend (the
 * backend's bench file supplies that loop, so this package never imports the core).
 */
import type { CoroutineBackend } from '@qco/backend-api';
import type { NativeBackendModule } from './backend-module.js';

/** Sets up a JavaScript-body round trip (enter + yield of a coroutine) on a backend and returns one round trip. */
export type JsRoundTrip = (backend: CoroutineBackend | 'generator') => () => void;

/** A bench case (the harness's BenchCaseSpec). */
export interface Spec {
  readonly name: string;
  readonly backend?: string;
  readonly baseline?: string;
  readonly compareWith?: readonly string[];
  readonly opsPerCall?: number;
  readonly unit?: string;
  readonly params?: Readonly<Record<string, string | number | boolean>>;
}
/** What prepare returns (the harness's BenchFn). */
export type Fn =
  | { readonly kind: 'sync'; readonly fn: () => void }
  | { readonly kind: 'measured'; readonly run: () => Promise<{ hz: number; rme: number; samples: number }> };

/** C loops: bench case name → [addon perf loop, iterations per sample]. */
const C_CASES: Record<string, readonly [string, number]> = {
  'c-body/function-call': ['function-call', 20_000_000],
  'c-body/enter-yield': ['yield', 5_000_000],
  'c-body/enter-yield-depth-16': ['yield-depth-16', 5_000_000],
  'c-body/lifecycle': ['lifecycle', 2_000_000],
  'c-body/cost': ['cost', 1_000_000],
  'c-body/create-fresh-stack': ['create-fresh', 5_000],
};

const SAMPLES = 12;

function measuredLoop(mod: NativeBackendModule, loop: string, iterations: number): Fn {
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
export function createNativeBenchModule(
  name: string,
  mod: NativeBackendModule,
  jsRoundTrip: JsRoundTrip,
  peer?: NativeBackendModule,
): {
  suite: string;
  cases(env: { backends: readonly string[] }): Spec[];
  prepare(spec: Spec): Promise<Fn>;
} {
  const suite = `native/${name}`;
  return {
    suite,
    cases(env: { backends: readonly string[] }): Spec[] {
      if (!env.backends.includes(name)) return [];
      const cases: Spec[] = [];
      const withPeer = peer !== undefined && env.backends.includes(peer.backendName);
      for (const c of Object.keys(C_CASES)) {
        if (c === 'c-body/function-call') {
          cases.push({ name: c, backend: name });
          continue;
        }
        // The same loop on the other native backend, in this run: only the start method differs.
        if (withPeer) cases.push({ name: `${peer.backendName}/${c}` });
        cases.push({ name: c, backend: name, baseline: 'c-body/function-call', ...(withPeer ? { compareWith: [`${peer.backendName}/${c}`] } : {}) });
      }
      cases.push({ name: 'js-body/round-trip/generator-backend' });
      cases.push({ name: 'js-body/round-trip', backend: name, baseline: 'js-body/round-trip/generator-backend' });
      return cases;
    },
    async prepare(spec: Spec): Promise<Fn> {
      const c = C_CASES[spec.name];
      if (c !== undefined) return measuredLoop(mod, c[0], c[1]);
      if (peer !== undefined && spec.name.startsWith(`${peer.backendName}/`)) {
        const pc = C_CASES[spec.name.slice(peer.backendName.length + 1)];
        if (pc !== undefined) return measuredLoop(peer, pc[0], pc[1]);
      }
      if (spec.name.startsWith('js-body/round-trip')) {
        return { kind: 'sync', fn: jsRoundTrip(spec.backend === undefined ? 'generator' : mod.createBackend()) };
      }
      throw new Error(`${suite}: unknown case ${spec.name}`);
    },
  };
}
