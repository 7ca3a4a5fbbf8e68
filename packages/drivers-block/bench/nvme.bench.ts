/**
 * nvme driver benchmarks: 4 KiB random reads against the emulated controller at
 * queue depth 1 and 64, each with and without defer-call batching, plus the SQ
 * tail doorbell writes and interrupts per request — all in the same run, each
 * batched case beside its unbatched twin as baseline. Requests are issued the
 * way a virtio-blk device handles its virtqueue: a batch handler (a BH after
 * completions) submits every request that is due, inside one defer-call section
 * when batching, one by one without. Like `qemu-img bench`, the loop is driven
 * by blocking aio_poll rather than by libuv turns.
 */
import type { BenchCaseSpec, BenchFn, BenchModule } from '@qco/bench';
import { aioBhScheduleOneshot, aioWaitWhile, coroutineCreate, coroutineEnter, deferCallBegin, deferCallEnd, getMainAioContext, useBackend, type Co } from '@qco/core';
import { BlockBackend } from '../src/index.js';
import { IoVector } from '../src/index.js';
import type { NvmeBlockDriverState } from '../src/drivers/nvme/nvme-node.js';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { interleavedRatio } from './interleave.js';

/** Requests per timed call. */
const OPS = 1024;
/** Namespace size: random offsets over 64 MiB. */
const SIZE = 64 << 20;
const BLOCK = 4096;

interface Loop {
  blk: BlockBackend;
  bs: NvmeBlockDriverState;
  /** Run `ops` random reads at `depth`; returns when all completed. */
  run(ops: number): void;
}

/** `shared`: an open nvme disk to drive (the interleaved cases give both loops one device); else a fresh one is opened. */
function makeLoop(depth: number, batched: boolean, shared?: BlockBackend): Loop {
  const blk = shared ?? BlockBackend.openSync('nvme://mem:64M/1', { format: 'raw' });
  // The nvme node itself (a raw format node may sit on top since format probing).
  const bs = [blk.bs, ...(blk.bs.children ?? []).map((c) => c.bs)].find((n) => 'ctrl' in n) as NvmeBlockDriverState;
  const ctx = getMainAioContext();
  const buffers = Array.from({ length: depth }, () => new IoVector(new Uint8Array(BLOCK)));
  const free: IoVector[] = [...buffers];
  let x = 0x9e3779b9;
  let issued = 0;
  let completed = 0;
  let target = 0;
  let failure: Error | null = null;
  let bhPending = false;

  function* request(qiov: IoVector): Co {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const offset = ((x >>> 0) % (SIZE / BLOCK)) * BLOCK;
    try {
      yield* blk.coPreadv(offset, BLOCK, qiov);
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
    }
    completed++;
    free.push(qiov);
    if (!bhPending) {
      bhPending = true;
      aioBhScheduleOneshot(ctx, batch, null);
    }
  }

  /** The request batch handler: submit everything that is due, in one section when batching. */
  function batch(): void {
    bhPending = false;
    if (batched) deferCallBegin();
    try {
      while (issued < target && free.length > 0) {
        issued++;
        coroutineEnter(coroutineCreate(request, free.pop() as IoVector));
      }
    } finally {
      if (batched) deferCallEnd();
    }
  }

  return {
    blk,
    bs,
    run(ops: number): void {
      target += ops;
      batch();
      aioWaitWhile(ctx, () => completed < target);
      if (failure !== null) throw failure;
    },
  };
}

const DEPTHS = [1, 64] as const;
const name = (depth: number, batched: boolean): string => `randread-4k depth=${depth} ${batched ? 'batched' : 'unbatched'}`;
const perRequest = (what: string, depth: number, batched: boolean): string => `${what}/request depth=${depth} ${batched ? 'batched' : 'unbatched'}`;

/** Seconds one `run(ops)` takes. */
function timeRun(loop: Loop, ops: number): number {
  const t = process.hrtime.bigint();
  loop.run(ops);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** Requests per timed call of the loaded comparison: several scheduler slices of the busy threads, so each run sees the load alike. */
const LOADED_OPS = 4096;

/**
 * One busy thread per core for the loaded comparison (the "loaded
 * machine"): host and emulated device then compete with them for every core.
 * Threads of this process, so they end with it whatever happens.
 */
async function startLoad(): Promise<() => Promise<void>> {
  const spinners = Array.from({ length: availableParallelism() }, () => new Worker('for (;;) {}', { eval: true }));
  await Promise.all(spinners.map((w) => once(w, 'online')));
  return async () => {
    await Promise.all(spinners.map((w) => w.terminate()));
  };
}

/**
 * IOPS(batched) / IOPS(unbatched), from alternating rounds of both loops in
 * this process, on one emulated controller: with a device each, the two
 * workers' placement on the cores differs from process to process, and at
 * depth 1 (where batching changes nothing) the ratio of two such loops ranged
 * 0.3–2.7 between runs. `loaded`: with every core kept busy meanwhile.
 */
function interleaved(depth: number, loaded: boolean): BenchFn {
  const a = makeLoop(depth, true);
  const b = makeLoop(depth, false, a.blk);
  a.run(256);
  b.run(256);
  const ops = loaded ? LOADED_OPS : OPS;
  return {
    kind: 'measured',
    async run() {
      const stopLoad = loaded ? await startLoad() : null;
      try {
        return await interleavedRatio(loaded ? 40 : 30, () => timeRun(a, ops), () => timeRun(b, ops), undefined, ['batched', 'unbatched']);
      } finally {
        await stopLoad?.();
        a.blk.closeSync();
      }
    },
  };
}

const nvmeBench: BenchModule = {
  suite: 'block/nvme',
  cases(): BenchCaseSpec[] {
    const out: BenchCaseSpec[] = [];
    for (const depth of DEPTHS) {
      out.push({ name: name(depth, false), opsPerCall: OPS, unit: 'request', params: { depth, bs: BLOCK, batching: false } });
      out.push({ name: name(depth, true), opsPerCall: OPS, unit: 'request', baseline: name(depth, false), params: { depth, bs: BLOCK, batching: true } });
    }
    for (const depth of DEPTHS) {
      for (const what of ['sq-doorbells', 'interrupts']) {
        // Counts per request, not rates: fewer is better.
        const count = { measure: 'count', better: 'lower', unit: `${what}/request` } as const;
        out.push({ name: perRequest(what, depth, false), ...count, params: { depth, batching: false } });
        out.push({
          name: perRequest(what, depth, true),
          ...count,
          baseline: perRequest(what, depth, false),
          params: { depth, batching: true },
        });
      }
    }
    // The machine is shared and noisy: the same comparison with both loops in one
    // process, alternating, so load changes hit both sides alike.
    for (const depth of DEPTHS) {
      out.push({ name: `randread-4k depth=${depth} batched÷unbatched (interleaved)`, measure: 'ratio', better: 'higher', unit: '×', params: { depth, interleaved: true, ...(depth === 64 ? { goal: '≥ 1.1×' } : {}) } });
    }
    // The goal on a loaded machine, with the load made by the case itself: one busy thread per core.
    out.push({
      name: 'randread-4k depth=64 batched÷unbatched (interleaved, every core busy)',
      measure: 'ratio',
      better: 'higher',
      unit: '×',
      params: { depth: 64, interleaved: true, loaded: true, busyThreads: availableParallelism(), opsPerRound: LOADED_OPS, goal: '≥ 1.3×' },
    });
    return out;
  },
  prepare(spec: BenchCaseSpec): BenchFn {
    if (spec.backend) useBackend(spec.backend);
    const depth = Number(spec.params?.['depth'] ?? 1);
    const batched = spec.params?.['batching'] === true;
    if (spec.params?.['interleaved'] === true) return interleaved(depth, spec.params['loaded'] === true);
    const loop = makeLoop(depth, batched);
    loop.run(256); // warm up: JIT, pages of the DMA region and namespace
    const teardown = (): void => loop.blk.closeSync();
    if (spec.name.startsWith('randread-4k')) return { kind: 'sync', fn: () => loop.run(OPS), teardown };
    // A counter per request, measured over a fixed run: reported as the case's rate.
    return {
      kind: 'measured',
      run() {
        const samples: number[] = [];
        for (let s = 0; s < 10; s++) {
          const before = loop.bs.ctrl.counters();
          loop.run(OPS);
          const after = loop.bs.ctrl.counters();
          const count = spec.name.startsWith('sq-doorbells') ? after.ioSqDoorbells - before.ioSqDoorbells : after.interrupts - before.interrupts;
          samples.push(count / OPS);
        }
        teardown();
        const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
        const sd = Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, samples.length - 1));
        return { hz: mean, rme: mean === 0 ? 0 : (100 * 1.96 * sd) / Math.sqrt(samples.length) / mean, samples: samples.length };
      },
    };
  },
};

export default nvmeBench;
