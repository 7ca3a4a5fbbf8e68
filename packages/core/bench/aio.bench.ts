/**
 * Benchmarks of the event loop layer, each beside the plain Node mechanism it is
 * built on, measured in the same run: BH schedule+run against a setImmediate
 * chain, timer arm+fire against setTimeout, and a thread-pool submit round trip
 * against a Promise + worker postMessage echo. Cases come in two forms where it
 * matters: driven by Node's event loop (what a program sees) and by explicit
 * aio_poll (the synchronous path: no libuv turn per operation). This module
 * follows @qco/bench's BenchModule shape structurally, because the core cannot
 * depend on the harness package (it depends on the core). It imports the core
 * by its package name, kept external when qco-perf bundles it, so it shares the
 * core instance (and registered backends) of the harness that loads it.
 */
import { Worker } from 'node:worker_threads';
import {
  QEMU_CLOCK_REALTIME,
  SCALE_MS,
  ThreadPool,
  aioBhNew,
  aioCoSchedule,
  aioContextNew,
  aioPoll,
  aioWaitWhile,
  coroutineCreate,
  coroutineEnter,
  coroutineSelf,
  coroutineYield,
  getMainAioContext,
  qemuClockGetNs,
  useBackend,
  type AioContext,
  type Co,
  type ThreadPoolFunc,
} from '@qco/core';

/** A case (structurally @qco/bench's BenchCaseSpec). */
interface BenchCaseSpec {
  readonly name: string;
  readonly backend?: string;
  readonly baseline?: string;
  readonly compareWith?: readonly string[];
  readonly opsPerCall?: number;
  readonly unit?: string;
  readonly params?: Readonly<Record<string, string | number | boolean>>;
}

/** What prepare returns (structurally BenchFn). */
type BenchFn =
  | { readonly kind: 'sync'; readonly fn: () => void; readonly teardown?: () => void | Promise<void> }
  | { readonly kind: 'async'; readonly fn: () => Promise<void>; readonly teardown?: () => void | Promise<void> };

/** BH and setImmediate hops per timed call. */
const HOPS = 1000;
/** 1 ms timers per timed call. */
const TIMER_HOPS = 5;
const NOP_MODULE = 'data:text/javascript,' + encodeURIComponent('export function nop() { return 0; }');
const nop: ThreadPoolFunc = { module: NOP_MODULE, name: 'nop' };
const ECHO_WORKER = `const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m));`;

function chainBhs(ctx: AioContext): () => Promise<void> {
  let left = 0;
  let done: () => void = () => {};
  const bh = aioBhNew(
    ctx,
    () => {
      if (--left > 0) bh.schedule();
      else done();
    },
    null,
  );
  return () =>
    new Promise<void>((resolve) => {
      left = HOPS;
      done = resolve;
      bh.schedule();
    });
}

const module = {
  suite: 'aio',
  cases({ backends }: { backends: readonly string[] }): BenchCaseSpec[] {
    const cases: BenchCaseSpec[] = [
      { name: 'baseline/setImmediate', opsPerCall: HOPS },
      { name: 'baseline/setTimeout-1ms', opsPerCall: TIMER_HOPS },
      { name: 'baseline/worker-postMessage', unit: 'round trip' },
      { name: 'bh/schedule+run (main loop)', opsPerCall: HOPS, baseline: 'baseline/setImmediate' },
      { name: 'bh/schedule+run (aio_poll)', opsPerCall: HOPS, baseline: 'baseline/setImmediate' },
      { name: 'timer/arm+fire 1ms (main loop)', opsPerCall: TIMER_HOPS, baseline: 'baseline/setTimeout-1ms' },
      { name: 'timer/arm+fire expired (aio_poll)', opsPerCall: HOPS, baseline: 'baseline/setImmediate' },
      { name: 'thread-pool/submit round trip (main loop)', unit: 'round trip', baseline: 'baseline/worker-postMessage' },
      { name: 'thread-pool/submit round trip (aio_poll)', unit: 'round trip', baseline: 'baseline/worker-postMessage' },
    ];
    for (const backend of backends) {
      cases.push({ name: 'aio_co_schedule+yield (aio_poll)', backend, opsPerCall: HOPS, baseline: 'baseline/setImmediate' });
    }
    return cases;
  },
  async prepare(spec: BenchCaseSpec): Promise<BenchFn> {
    if (spec.backend) useBackend(spec.backend);
    switch (spec.name) {
      case 'baseline/setImmediate':
        return {
          kind: 'async',
          fn: () =>
            new Promise<void>((resolve) => {
              let left = HOPS;
              const hop = (): void => {
                if (--left > 0) setImmediate(hop);
                else resolve();
              };
              setImmediate(hop);
            }),
        };
      case 'baseline/setTimeout-1ms':
        return {
          kind: 'async',
          fn: () =>
            new Promise<void>((resolve) => {
              let left = TIMER_HOPS;
              const hop = (): void => {
                if (--left > 0) setTimeout(hop, 1);
                else resolve();
              };
              setTimeout(hop, 1);
            }),
        };
      case 'baseline/worker-postMessage': {
        const w = new Worker(ECHO_WORKER, { eval: true });
        let wake: () => void = () => {};
        w.on('message', () => wake());
        await new Promise<void>((resolve) => {
          wake = resolve;
          w.postMessage(0);
        });
        return {
          kind: 'async',
          fn: () =>
            new Promise<void>((resolve) => {
              wake = resolve;
              w.postMessage(0);
            }),
          teardown: async () => {
            await w.terminate();
          },
        };
      }
      case 'bh/schedule+run (main loop)':
        return { kind: 'async', fn: chainBhs(getMainAioContext()) };
      case 'bh/schedule+run (aio_poll)': {
        const ctx = aioContextNew({ attach: false });
        let n = 0;
        const bh = aioBhNew(ctx, () => n++, null);
        return {
          kind: 'sync',
          fn: () => {
            for (let i = 0; i < HOPS; i++) {
              bh.schedule();
              aioPoll(ctx, false);
            }
          },
        };
      }
      case 'timer/arm+fire 1ms (main loop)': {
        const ctx = getMainAioContext();
        let left = 0;
        let done: () => void = () => {};
        const t = ctx.timerNew(QEMU_CLOCK_REALTIME, 1, () => {
          if (--left > 0) t.modNs(qemuClockGetNs(QEMU_CLOCK_REALTIME) + SCALE_MS);
          else done();
        }, null);
        return {
          kind: 'async',
          fn: () =>
            new Promise<void>((resolve) => {
              left = TIMER_HOPS;
              done = resolve;
              t.modNs(qemuClockGetNs(QEMU_CLOCK_REALTIME) + SCALE_MS);
            }),
        };
      }
      case 'timer/arm+fire expired (aio_poll)': {
        const ctx = aioContextNew({ attach: false });
        let n = 0;
        const t = ctx.timerNew(QEMU_CLOCK_REALTIME, 1, () => n++, null);
        return {
          kind: 'sync',
          fn: () => {
            for (let i = 0; i < HOPS; i++) {
              t.modNs(0);
              aioPoll(ctx, false);
            }
          },
        };
      }
      case 'thread-pool/submit round trip (main loop)': {
        const pool = new ThreadPool(getMainAioContext(), { maxThreads: 1 });
        const once = (): Promise<void> => new Promise<void>((resolve) => void pool.submitAio(nop, null, () => resolve(), null));
        await once();
        return { kind: 'async', fn: once, teardown: () => pool.destroy() };
      }
      case 'thread-pool/submit round trip (aio_poll)': {
        const ctx = aioContextNew({ attach: false });
        const pool = new ThreadPool(ctx, { maxThreads: 1 });
        const once = (): void => {
          const req = pool.submit(nop, null);
          aioWaitWhile(ctx, () => !req.completed);
        };
        once();
        return { kind: 'sync', fn: once, teardown: () => pool.destroy() };
      }
      case 'aio_co_schedule+yield (aio_poll)': {
        const ctx = aioContextNew({ attach: false });
        const co = coroutineCreate(function* (): Co {
          for (;;) {
            aioCoSchedule(ctx, coroutineSelf());
            yield coroutineYield();
          }
        });
        coroutineEnter(co);
        return {
          kind: 'sync',
          fn: () => {
            for (let i = 0; i < HOPS; i++) aioPoll(ctx, false);
          },
        };
      }
      default:
        throw new Error(`unknown aio bench case ${spec.name}`);
    }
  },
};

export default module;
