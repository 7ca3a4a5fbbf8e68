/**
 * The perf cases of QEMU's test-coroutine.c (/perf/lifecycle, /perf/nesting,
 * /perf/yield, /perf/function-call, /perf/cost) on every backend, beside the
 * JavaScript baselines that bound what a coroutine switch can cost here: a raw
 * generator.next() round trip (and the same through three `yield*` frames), an
 * `await` of a resolved promise, and a Promise
 * round trip between two async functions (the closest Promise analogue of
 * enter + yield: control goes to another routine and comes back). One call of a
 * timed function is one QEMU iteration (nesting: one 1000-deep tree).
 * `baseline/generator-next` is the run's one baseline for every cross-backend
 * figure (other suites name it too). Two same-process ratios stand beside the
 * per-process figures, which a loaded machine moves apart: /perf/yield's rate ÷
 * a raw generator's (issue 21: ≥ 1/1.3 on the generator backend), and on every
 * other backend its rate ÷ the generator backend's (≥ 1/1.05), short samples of
 * the two loops alternated in one process. Beside the timings, what each backend can
 * do, as counts: the deepest nesting and the most live coroutines reached (up to
 * a bound), and whether it runs inside a worker thread.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { coroutineCall, coroutineCreate, coroutineEnter, coroutineYield, useBackend, type Co } from '@qco/core';
import { interleavedRatio, promiseRoundTrip, type BenchCaseSpec, type BenchFn, type BenchModule } from '@qco/bench';

const NEST_DEPTH = 1000;
const AWAITS_PER_CALL = 1000;

function* empty(): Co {}

function* yieldForever(): Co {
  for (;;) yield coroutineYield();
}

function* nest(d: { n: number; max: number }): Co {
  d.n++;
  if (d.n < d.max) coroutineEnter(coroutineCreate(nest, d));
}

/**
 * A yield from three coroutine_fn frames deep (issue 21: ≤ 3× a raw generator
 * step). The frames stay: every round trip is one yield and one resume, the same
 * work as the baseline's, with no call or return in between. Through plain
 * `yield*` each resume passes every frame above the leaf (compare
 * `baseline/generator-next/depth-3`, the same chain without the core); through
 * coroutineCall frames it resumes the leaf alone.
 */
function* depth1(): Co {
  for (;;) yield coroutineYield();
}
function* depth2(): Co {
  yield* depth1();
}
function* depth3(): Co {
  yield* depth2();
}
function* callDepth2(): Co {
  yield* coroutineCall(depth1());
}
function* callDepth3(): Co {
  yield* coroutineCall(callDepth2());
}

const VS_RAW = '/perf/yield÷generator-next (interleaved)';
const VS_GENERATOR = '/perf/yield÷generator backend (interleaved)';
/** Interleaved samples of about 2 ms, 200 rounds (under a second per case): enough for a steady 10th percentile at load 10+. */
const SAMPLE_NS = 2e6;
const ROUNDS = 200;

/**
 * A raw generator resumed by a loop, and enter + yield on `backend` by the same
 * loop, in one process. Each loop is its own function, so neither shares the
 * other's type feedback.
 */
function yieldVsRaw(backend: string): BenchFn {
  const g = (function* () {
    for (;;) yield 0;
  })();
  const raw = (n: number): void => {
    for (let i = 0; i < n; i++) g.next();
  };
  useBackend(backend);
  const co = coroutineCreate(yieldForever);
  const ours = (n: number): void => {
    for (let i = 0; i < n; i++) coroutineEnter(co);
  };
  return { kind: 'measured', run: () => Promise.resolve(interleavedRatio(raw, ours, SAMPLE_NS, ROUNDS)) };
}

/** Enter + yield of the same body on the generator backend and on `backend`, in one process. */
function yieldVsGenerator(backend: string): BenchFn {
  useBackend('generator');
  const onGenerator = coroutineCreate(yieldForever);
  const base = (n: number): void => {
    for (let i = 0; i < n; i++) coroutineEnter(onGenerator);
  };
  useBackend(backend);
  const onBackend = coroutineCreate(yieldForever);
  const ours = (n: number): void => {
    for (let i = 0; i < n; i++) coroutineEnter(onBackend);
  };
  return { kind: 'measured', run: () => Promise.resolve(interleavedRatio(base, ours, SAMPLE_NS, ROUNDS)) };
}

function* yieldOnce(): Co {
  yield coroutineYield();
}

/** Capability probes stop at these bounds (the machine is shared). */
const DEPTH_STEPS = [128, 1000, 2000, 5000, 10_000];
const LIVE_STEPS = [100, 1000, 10_000];
/** A probe step slower than this ends the probe at the step before. */
const STEP_LIMIT_MS = 10_000;

let sink = 0;

/** The largest step `attempt` passes (each within the time limit), 0 when none. */
function largestPassing(steps: readonly number[], attempt: (n: number) => void): number {
  let reached = 0;
  for (const n of steps) {
    const t = Date.now();
    try {
      attempt(n);
    } catch {
      break;
    }
    reached = n;
    if (Date.now() - t > STEP_LIMIT_MS) break;
  }
  return reached;
}

function count(value: number): BenchFn {
  return { kind: 'measured', run: () => Promise.resolve({ hz: value, rme: 0, samples: 1 }) };
}

/** 1 when a worker thread can load the backend and run 100 enter + yield round trips on it. */
function inWorker(backendDir: string): Promise<number> {
  const code = `
    import { workerData, parentPort } from 'node:worker_threads';
    const core = await import(workerData.core);
    const mod = await import(workerData.backend);
    core.registerBackend({ backendName: mod.backendName, isAvailable: mod.isAvailable, createBackend: mod.createBackend });
    core.useBackend(mod.backendName);
    let n = 0;
    const co = core.coroutineCreate(function* () { for (;;) { n++; yield* core.coroutineYield(); } });
    for (let i = 0; i < 100; i++) core.coroutineEnter(co);
    parentPort.postMessage(n);`;
  const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), {
    workerData: { core: import.meta.resolve('@qco/core'), backend: pathToFileURL(join(backendDir, 'dist', 'index.js')).href },
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => void w.terminate().then(() => resolve(0)), 20_000);
    w.once('message', (n: number) => {
      clearTimeout(timer);
      void w.terminate().then(() => resolve(n === 100 ? 1 : 0));
    });
    w.once('error', () => {
      clearTimeout(timer);
      resolve(0);
    });
  });
}

function dummy(i: number): number {
  return i - 1;
}

const module: BenchModule = {
  suite: 'coroutine',
  cases({ backends, backendDirs }) {
    const cases: BenchCaseSpec[] = [
      { name: 'baseline/generator-next' },
      { name: 'baseline/generator-next/depth-3', params: { depth: 3 } },
      { name: 'baseline/await', opsPerCall: AWAITS_PER_CALL },
      { name: 'baseline/promise-round-trip', opsPerCall: AWAITS_PER_CALL },
      { name: '/perf/function-call' },
    ];
    for (const backend of backends) {
      cases.push(
        { name: '/perf/yield', backend, baseline: 'baseline/generator-next', compareWith: ['baseline/await', 'baseline/promise-round-trip'] },
        { name: VS_RAW, backend, measure: 'ratio', better: 'higher', unit: '×', params: { interleaved: true } },
        { name: '/perf/yield/depth-3', backend, baseline: 'baseline/generator-next', compareWith: ['baseline/generator-next/depth-3'], params: { depth: 3 } },
        { name: '/perf/yield/depth-3/call', backend, baseline: 'baseline/generator-next', compareWith: ['baseline/generator-next/depth-3'], params: { depth: 3 } },
        { name: '/perf/lifecycle', backend, baseline: 'baseline/generator-next' },
        { name: '/perf/cost', backend, baseline: 'baseline/generator-next' },
        { name: '/perf/nesting', backend, opsPerCall: NEST_DEPTH, baseline: 'baseline/generator-next', params: { depth: NEST_DEPTH } },
        { name: 'capability/nesting-depth', backend, measure: 'count', unit: 'levels', better: 'higher', params: { bound: DEPTH_STEPS[DEPTH_STEPS.length - 1] } },
        { name: 'capability/live-coroutines', backend, measure: 'count', unit: 'coroutines', better: 'higher', params: { bound: LIVE_STEPS[LIVE_STEPS.length - 1] } },
      );
      if (backend !== 'generator') cases.push({ name: VS_GENERATOR, backend, measure: 'ratio', better: 'higher', unit: '×', params: { interleaved: true } });
      const dir = backendDirs?.[backend];
      if (dir !== undefined) cases.push({ name: 'capability/worker-threads', backend, measure: 'count', unit: 'yes', better: 'higher', params: { dir } });
    }
    return cases;
  },
  async prepare(spec): Promise<BenchFn> {
    if (spec.name === VS_RAW) return yieldVsRaw(spec.backend ?? 'generator');
    if (spec.name === VS_GENERATOR) return yieldVsGenerator(spec.backend ?? 'generator');
    if (spec.backend) useBackend(spec.backend);
    switch (spec.name) {
      case 'baseline/generator-next': {
        const g = (function* () {
          for (;;) yield 0;
        })();
        return { kind: 'sync', fn: () => void g.next() };
      }
      case 'baseline/generator-next/depth-3': {
        const leaf = function* () {
          for (;;) yield 0;
        };
        const middle = function* () {
          yield* leaf();
        };
        const g = (function* () {
          yield* middle();
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
      case '/perf/yield/depth-3': {
        const co = coroutineCreate(depth3);
        return { kind: 'sync', fn: () => coroutineEnter(co) };
      }
      case '/perf/yield/depth-3/call': {
        const co = coroutineCreate(callDepth3);
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
      case 'capability/nesting-depth':
        return count(
          largestPassing(DEPTH_STEPS, (max) => {
            const d = { n: 0, max };
            coroutineEnter(coroutineCreate(nest, d));
            if (d.n !== max) throw new Error(`nesting stopped at ${d.n}`);
          }),
        );
      case 'capability/live-coroutines':
        return count(
          largestPassing(LIVE_STEPS, (n) => {
            const live = Array.from({ length: n }, () => coroutineCreate(yieldForever));
            for (const co of live) coroutineEnter(co);
          }),
        );
      case 'capability/worker-threads':
        return count(await inWorker(String(spec.params?.['dir'])));
      case '/perf/nesting':
        return { kind: 'sync', fn: () => coroutineEnter(coroutineCreate(nest, { n: 0, max: NEST_DEPTH })) };
      default:
        throw new Error(`unknown coroutine bench case ${spec.name}`);
    }
  },
};

export default module;
