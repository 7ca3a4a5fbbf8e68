/**
 * Port of QEMU's tests/unit/test-thread-pool.c under QEMU's names, on the main
 * loop context's pool. The work functions live in a data: URL module, so the
 * workers import them without any file on disk; their shared counters are an
 * Int32Array over a SharedArrayBuffer, as the C test's atomics are plain memory.
 * With `bodies: 'plain'` the coroutine case runs again with a plain body.
 */
import {
  ECANCELED,
  EINPROGRESS,
  ThreadPool,
  aioContextNew,
  aioGetThreadPool,
  aioNotify,
  aioPoll,
  aioWaitWhile,
  coroutineCreate,
  coroutineEnter,
  getMainAioContext,
  type AioContext,
  type Co,
  type ThreadPoolFunc,
  type ThreadPoolRequest,
} from '@qco/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, itWithoutBodies as casesWithoutBodies, suiteTitle, useSuiteBackend, type SuiteBackend, type SuiteOptions } from './suite-options.js';

/** Options of the thread-pool conformance suite. */
export type ThreadPoolSuiteOptions = SuiteOptions;

const WORK_MODULE =
  'data:text/javascript,' +
  encodeURIComponent(`
export function worker_cb(a) { return Atomics.add(a.n, a.i, 1); }
export function long_cb(a) {
  if (Atomics.compareExchange(a.n, a.i, 0, 1) === 0) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
    Atomics.or(a.n, a.i, 2);
  }
  return 0;
}
export function fail_cb() { const e = new Error('no such file'); e.errno = -2; throw e; }
export function value_cb(a) { return { doubled: a * 2 }; }
`);

const workerCb: ThreadPoolFunc = { module: WORK_MODULE, name: 'worker_cb' };
const longCb: ThreadPoolFunc = { module: WORK_MODULE, name: 'long_cb' };

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** One WorkerTestData of the C test: n lives in shared memory. */
interface WorkerTestData {
  readonly arg: { n: Int32Array; i: number };
  aiocb: ThreadPoolRequest | null;
  ret: number;
}

function newData(count: number): WorkerTestData[] {
  const n = new Int32Array(new SharedArrayBuffer(4 * count));
  return Array.from({ length: count }, (_, i) => ({ arg: { n, i }, aiocb: null, ret: -EINPROGRESS }));
}
const nOf = (d: WorkerTestData): number => Atomics.load(d.arg.n, d.arg.i);

/** Register the test-thread-pool.c cases for `backend` with vitest. */
export function threadPoolConformance(backend: SuiteBackend, options: ThreadPoolSuiteOptions = {}): void {
  const asBody = bodyOf(options.bodies);
  const itWithoutBodies = casesWithoutBodies(options);
  describe(suiteTitle('test-thread-pool', backend, options), () => {
    let ctx: AioContext;
    let pool: ThreadPool;
    let active = 0;
    beforeAll(() => {
      useSuiteBackend(backend, options);
      ctx = getMainAioContext();
      pool = aioGetThreadPool(ctx);
    });

    const doneCb = (data: WorkerTestData, ret: number): void => {
      expect([-EINPROGRESS, -ECANCELED]).toContain(data.ret);
      data.ret = ret;
      data.aiocb = null;
      active--;
    };

    const testSubmitMany = (): void => {
      const data = newData(100);
      for (const d of data) pool.submitAio(workerCb, d.arg, doneCb, d);
      active = 100;
      while (active > 0) aioPoll(ctx, true);
      for (const d of data) {
        expect(nOf(d)).toBe(1);
        expect(d.ret).toBe(0);
      }
    };

    const doTestCancel = (sync: boolean): void => {
      testSubmitMany();
      const data = newData(100);
      for (const d of data) d.aiocb = pool.submitAio(longCb, d.arg, doneCb, d);
      active = 100;
      aioNotify(ctx);
      aioPoll(ctx, false);
      expect(active).toBe(100);
      sleepSync(1000);
      expect(active).toBeGreaterThan(50);
      let numCanceled = 0;
      for (const d of data) {
        if (Atomics.compareExchange(d.arg.n, d.arg.i, 0, 4) === 0) {
          d.ret = -ECANCELED;
          const req = d.aiocb as ThreadPoolRequest;
          if (sync) req.cancel();
          else req.cancelAsync();
          numCanceled++;
        }
      }
      expect(active).toBeGreaterThan(0);
      expect(numCanceled).toBeLessThan(100);
      for (const d of data) {
        if (d.aiocb && nOf(d) < 4) {
          if (sync) d.aiocb.cancel();
          else d.aiocb.cancelAsync();
        }
      }
      while (active > 0) aioPoll(ctx, true);
      expect(active).toBe(0);
      for (const d of data) {
        expect(d.aiocb).toBe(null);
        const n = nOf(d);
        // 0: never started yet not cancelled; 1 or 2: aborted while running.
        expect([3, 4]).toContain(n);
        if (n === 3) expect(d.ret).toBe(0);
        else expect(d.ret).toBe(-ECANCELED);
      }
    };

    itWithoutBodies('/thread-pool/submit', () => {
      const [data] = newData(1) as [WorkerTestData];
      pool.submit(workerCb, data.arg);
      while (nOf(data) === 0) aioPoll(ctx, true);
      expect(nOf(data)).toBe(1);
    });

    itWithoutBodies('/thread-pool/submit-aio', () => {
      const [data] = newData(1) as [WorkerTestData];
      data.aiocb = pool.submitAio(workerCb, data.arg, doneCb, data);
      // The callbacks are not called until after the first wait.
      active = 1;
      expect(data.ret).toBe(-EINPROGRESS);
      while (data.ret === -EINPROGRESS) aioPoll(ctx, true);
      expect(active).toBe(0);
      expect(nOf(data)).toBe(1);
      expect(data.ret).toBe(0);
    });

    it('/thread-pool/submit-co', () => {
      const [data] = newData(1) as [WorkerTestData];
      const co = coroutineCreate(asBody(function* (d: WorkerTestData): Co {
        active = 1;
        Atomics.store(d.arg.n, d.arg.i, 0);
        d.ret = -EINPROGRESS;
        yield* pool.submitCo(workerCb, d.arg);
        expect(nOf(d)).toBe(1);
        d.ret = 0;
        active--;
      }), data);
      coroutineEnter(co);
      // Back here once the worker has started.
      expect(active).toBe(1);
      expect(data.ret).toBe(-EINPROGRESS);
      // aio_poll runs the rest of the coroutine.
      while (data.ret === -EINPROGRESS) aioPoll(ctx, true);
      expect(active).toBe(0);
      expect(data.ret).toBe(0);
    });

    itWithoutBodies('/thread-pool/submit-many', () => {
      testSubmitMany();
    });

    itWithoutBodies('/thread-pool/cancel', () => {
      doTestCancel(true);
    });

    itWithoutBodies('/thread-pool/cancel-async', () => {
      doTestCancel(false);
    });

    // -------------------------------------------------------------------------
    // Behaviour of util/thread-pool.c the C test does not pin down

    itWithoutBodies('/thread-pool/limits: at most 64 workers, errors as -errno, values returned', () => {
      expect(pool.stats().workers).toBeLessThanOrEqual(64);
      let ret = 0;
      const r = pool.submitAio({ module: WORK_MODULE, name: 'fail_cb' }, null, (_o: null, v: number) => (ret = v), null);
      aioWaitWhile(ctx, () => !r.completed);
      expect(ret).toBe(-2);
      expect(r.error).toMatch(/no such file/);
      const v = pool.submitAio({ module: WORK_MODULE, name: 'value_cb' }, 21, null);
      aioWaitWhile(ctx, () => !v.completed);
      expect(v.ret).toBe(0);
      expect(v.value).toEqual({ doubled: 42 });
      const missing = pool.submit({ module: WORK_MODULE, name: 'nope' }, null);
      aioWaitWhile(ctx, () => !missing.completed);
      expect(missing.ret).toBe(-5);
      expect(missing.error).toMatch(/no exported function "nope"/);
    });

    itWithoutBodies('/thread-pool/idle-exit and completion in the submitting context', async () => {
      const other = aioContextNew({ name: 'iothread' });
      const p = new ThreadPool(other, { idleMs: 50, maxThreads: 2 });
      const [data] = newData(1) as [WorkerTestData];
      let ranIn: AioContext | null = null;
      await new Promise<void>((resolve) => {
        p.submitAio(workerCb, data.arg, () => {
          ranIn = other;
          resolve();
        }, null);
      });
      expect(ranIn).toBe(other);
      expect(p.stats().workers).toBe(1);
      await new Promise((r) => setTimeout(r, 300));
      expect(p.stats().workers).toBe(0);
      p.destroy();
      other.destroy();
    });
  });
}
