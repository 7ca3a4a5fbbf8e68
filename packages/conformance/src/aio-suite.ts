/**
 * Port of QEMU's tests/unit/test-aio.c, case for case under QEMU's names, on the
 * main-loop context as QEMU's test does, plus the orderings and abort conditions
 * of util/async.c that the C test does not cover, and the seed documents'
 * patterns (aio-seeds.ts). With `bodies: 'plain'` the cases that run coroutine
 * bodies run again with plain-function bodies. Threads are worker_threads created
 * from inline code, so the suite needs no files.
 */
import {
  AioWaitDeadlockError,
  AioWaitInCoroutineError,
  BhLeakedError,
  CoSleep,
  CoroutineAlreadyScheduledError,
  EventNotifier,
  QEMU_CLOCK_HOST,
  QEMU_CLOCK_REALTIME,
  QEMU_CLOCK_VIRTUAL,
  SCALE_MS,
  SCALE_NS,
  aioBhNew,
  aioBhScheduleOneshot,
  aioCoEnter,
  aioCoRescheduleSelf,
  aioCoSchedule,
  aioCoWake,
  aioContextNew,
  aioNotify,
  aioPoll,
  aioSetEventNotifier,
  aioSetFdHandler,
  aioTimerNew,
  aioWaitWhile,
  coSleepNs,
  coSleepNsWakeable,
  coroutineCreate,
  coroutineEnter,
  coroutineIsTerminated,
  coroutineScheduler,
  coroutineYield,
  getCurrentAioContext,
  getMainAioContext,
  qemuClockGetNs,
  remoteCoEnter,
  type AioContext,
  type Co,
  type Coroutine,
  type QEMUBH,
  type QEMUTimer,
} from '@qco/core';
import { Socket, createServer, type Server } from 'node:net';
import { Worker, isMainThread } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aioPlainSeedCases, aioSeedCases } from './aio-seeds.js';
import { bodyOf, itWithoutBodies as casesWithoutBodies, suiteTitle, useSuiteBackend, type SuiteBackend, type SuiteOptions } from './suite-options.js';

/** Options of the aio conformance suite. */
export type AioSuiteOptions = SuiteOptions;

interface BHTestData {
  bh: QEMUBH<BHTestData> | null;
  n: number;
  max: number;
}

interface EventNotifierTestData {
  e: EventNotifier;
  n: number;
  active: number;
  autoSet: boolean;
}

/** Block this thread for `ms` (g_usleep). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Start a worker from inline code (script or module: it uses getBuiltinModule); it gets `workerData`. */
function inlineWorker(code: string, workerData: unknown, transferList: readonly unknown[] = []): Worker {
  return new Worker(code, { eval: true, workerData, transferList: transferList as never });
}

/** Wait (blocking this thread) until `flag[0]` is non-zero: a synchronous thread join. */
function joinFlag(flag: Int32Array, ms = 10_000): void {
  const until = Date.now() + ms;
  while (Atomics.load(flag, 0) === 0) {
    const left = until - Date.now();
    if (left <= 0) throw new Error('worker thread did not finish');
    Atomics.wait(flag, 0, 0, left);
  }
}

/** Register the test-aio.c cases (and the seeds' patterns) for `backend` with vitest. */
export function aioConformance(backend: SuiteBackend, options: AioSuiteOptions = {}): void {
  const stress = options.stress ?? (() => {});
  const asBody = bodyOf(options.bodies);
  const itWithoutBodies = casesWithoutBodies(options);
  describe(suiteTitle('test-aio', backend, options), () => {
    let ctx: AioContext;
    beforeAll(() => {
      useSuiteBackend(backend, options);
      ctx = getMainAioContext();
      while (aioPoll(ctx, false));
    });

    const bhTestCb = (data: BHTestData): void => {
      if (++data.n < data.max) (data.bh as QEMUBH<BHTestData>).schedule();
    };
    const bhDeleteCb = (data: BHTestData): void => {
      if (++data.n < data.max) (data.bh as QEMUBH<BHTestData>).schedule();
      else {
        (data.bh as QEMUBH<BHTestData>).delete();
        data.bh = null;
      }
    };
    const newBh = (data: BHTestData, cb = bhTestCb): QEMUBH<BHTestData> => (data.bh = aioBhNew(ctx, cb, data));
    const eventReadyCb = (data: EventNotifierTestData) => (e: EventNotifier) => {
      expect(e.testAndClear()).toBe(true);
      data.n++;
      if (data.active > 0) data.active--;
      if (data.autoSet && data.active) e.set();
    };
    const newEvent = (init: Partial<EventNotifierTestData>): EventNotifierTestData => ({ e: new EventNotifier(), n: 0, active: 0, autoSet: false, ...init });
    /** One BH, scheduled once: a blocking poll runs it, a second poll has nothing to do. */
    const runOneScheduledBh = (): void => {
      const data: BHTestData = { bh: null, n: 0, max: 0 };
      newBh(data).schedule();
      expect(data.n).toBe(0);
      expect(aioPoll(ctx, true)).toBe(true);
      expect(data.n).toBe(1);
      expect(aioPoll(ctx, false)).toBe(false);
      expect(data.n).toBe(1);
      data.bh?.delete();
    };
    const waitUntilInactive = (data: EventNotifierTestData): void => {
      while (data.active > 0) aioPoll(ctx, true);
    };

    itWithoutBodies('/aio/notify', () => {
      expect(aioPoll(ctx, false)).toBe(false);
      aioNotify(ctx);
      expect(aioPoll(ctx, true)).toBe(false);
      expect(aioPoll(ctx, false)).toBe(false);
    });

    itWithoutBodies('/aio/acquire', () => {
      const notifier = new EventNotifier();
      aioSetEventNotifier(ctx, notifier, (e) => e.testAndClear());
      expect(aioPoll(ctx, false)).toBe(false);
      const shared = notifier.share();
      const acquired = new Int32Array(new SharedArrayBuffer(4));
      const w = inlineWorker(
        `const { workerData: d } = process.getBuiltinModule('node:worker_threads');
         Atomics.store(d.shared.flag, 0, 1); d.shared.port.postMessage(0);
         Atomics.add(d.shared.wake, 0, 1); Atomics.notify(d.shared.wake, 0);
         Atomics.store(d.acquired, 0, 1); Atomics.notify(d.acquired, 0);`,
        { shared, acquired },
        [shared.port],
      );
      ctx.acquire();
      expect(aioPoll(ctx, true)).toBe(true);
      ctx.release();
      joinFlag(acquired);
      void w.terminate();
      aioSetEventNotifier(ctx, notifier, null);
      notifier.cleanup();
      expect(Atomics.load(acquired, 0)).toBe(1);
    });

    itWithoutBodies('/aio/bh/schedule', runOneScheduledBh);

    itWithoutBodies('/aio/bh/schedule10', () => {
      const data: BHTestData = { bh: null, n: 0, max: 10 };
      newBh(data).schedule();
      expect(data.n).toBe(0);
      expect(aioPoll(ctx, false)).toBe(true);
      expect(data.n).toBe(1);
      expect(aioPoll(ctx, true)).toBe(true);
      expect(data.n).toBe(2);
      while (data.n < 10) aioPoll(ctx, true);
      expect(data.n).toBe(10);
      expect(aioPoll(ctx, false)).toBe(false);
      expect(data.n).toBe(10);
      data.bh?.delete();
    });

    itWithoutBodies('/aio/bh/cancel', () => {
      const data: BHTestData = { bh: null, n: 0, max: 0 };
      const bh = newBh(data);
      bh.schedule();
      expect(data.n).toBe(0);
      bh.cancel();
      expect(data.n).toBe(0);
      expect(aioPoll(ctx, false)).toBe(false);
      expect(data.n).toBe(0);
      bh.delete();
    });

    itWithoutBodies('/aio/bh/delete', () => {
      const data: BHTestData = { bh: null, n: 0, max: 0 };
      const bh = newBh(data);
      bh.schedule();
      expect(data.n).toBe(0);
      bh.delete();
      expect(data.n).toBe(0);
      expect(aioPoll(ctx, false)).toBe(false);
      expect(data.n).toBe(0);
    });

    itWithoutBodies('/aio/bh/callback-delete/one', () => {
      const data1: BHTestData = { bh: null, n: 0, max: 1 };
      newBh(data1, bhDeleteCb).schedule();
      expect(data1.n).toBe(0);
      while (data1.n < data1.max) aioPoll(ctx, true);
      expect(data1.n).toBe(data1.max);
      expect(data1.bh).toBe(null);
      expect(aioPoll(ctx, false)).toBe(false);
    });

    itWithoutBodies('/aio/bh/callback-delete/many', () => {
      const data = [1, 3, 2, 4].map((max): BHTestData => ({ bh: null, n: 0, max }));
      for (const d of data) newBh(d, bhDeleteCb);
      for (const d of data) d.bh?.schedule();
      for (const d of data) expect(d.n).toBe(0);
      expect(aioPoll(ctx, false)).toBe(true);
      for (const d of data) expect(d.n).toBe(1);
      expect(data[0]?.bh).toBe(null);
      while (data.some((d) => d.n < d.max)) aioPoll(ctx, true);
      for (const d of data) {
        expect(d.n).toBe(d.max);
        expect(d.bh).toBe(null);
      }
    });

    // test_bh_flush takes the same steps as test_bh_schedule: one scheduled BH, run by one blocking poll.
    itWithoutBodies('/aio/bh/flush', runOneScheduledBh);

    itWithoutBodies('/aio/event/add-remove', () => {
      const data = newEvent({});
      aioSetEventNotifier(ctx, data.e, eventReadyCb(data));
      expect(aioPoll(ctx, false)).toBe(false);
      expect(data.n).toBe(0);
      aioSetEventNotifier(ctx, data.e, null);
      expect(aioPoll(ctx, false)).toBe(false);
      expect(data.n).toBe(0);
      data.e.cleanup();
    });

    itWithoutBodies('/aio/event/wait', () => {
      const data = newEvent({ active: 1 });
      aioSetEventNotifier(ctx, data.e, eventReadyCb(data));
      while (aioPoll(ctx, false));
      expect(data.n).toBe(0);
      expect(data.active).toBe(1);
      data.e.set();
      expect(aioPoll(ctx, false)).toBe(true);
      expect(data.n).toBe(1);
      expect(data.active).toBe(0);
      expect(aioPoll(ctx, false)).toBe(false);
      expect(data.n).toBe(1);
      expect(data.active).toBe(0);
      aioSetEventNotifier(ctx, data.e, null);
      expect(aioPoll(ctx, false)).toBe(false);
      expect(data.n).toBe(1);
      data.e.cleanup();
    });

    itWithoutBodies('/aio/event/flush', () => {
      const data = newEvent({ active: 10, autoSet: true });
      aioSetEventNotifier(ctx, data.e, eventReadyCb(data));
      while (aioPoll(ctx, false));
      expect(data.n).toBe(0);
      expect(data.active).toBe(10);
      data.e.set();
      expect(aioPoll(ctx, false)).toBe(true);
      expect(data.n).toBe(1);
      expect(data.active).toBe(9);
      expect(aioPoll(ctx, false)).toBe(true);
      waitUntilInactive(data);
      expect(data.n).toBe(10);
      expect(data.active).toBe(0);
      expect(aioPoll(ctx, false)).toBe(false);
      aioSetEventNotifier(ctx, data.e, null);
      expect(aioPoll(ctx, false)).toBe(false);
      data.e.cleanup();
    });

    // aio_set_event_notifier's io_poll: work the handler can find without the notifier being set.
    itWithoutBodies('/aio/event/io-poll', () => {
      const e = new EventNotifier();
      let posted = 0;
      let runs = 0;
      aioSetEventNotifier(
        ctx,
        e,
        () => {
          runs++;
          e.testAndClear();
          posted = 0;
        },
        () => posted > 0,
      );
      expect(aioPoll(ctx, false)).toBe(false);
      expect(runs).toBe(0);
      posted = 3;
      // Not set, but io_poll finds the work, and a blocking poll does not sleep on it.
      expect(aioPoll(ctx, true)).toBe(true);
      expect(runs).toBe(1);
      expect(aioPoll(ctx, false)).toBe(false);
      expect(runs).toBe(1);
      // Set without io_poll work: the handler still runs for the notifier.
      e.set();
      expect(aioPoll(ctx, false)).toBe(true);
      expect(runs).toBe(2);
      // Removing the handler removes its io_poll too.
      aioSetEventNotifier(ctx, e, null);
      posted = 1;
      expect(aioPoll(ctx, false)).toBe(false);
      expect(runs).toBe(2);
      e.cleanup();
    });

    itWithoutBodies('/aio/event/wait/no-flush-cb', () => {
      const data = newEvent({});
      const dummy = newEvent({ active: 1 });
      aioSetEventNotifier(ctx, data.e, eventReadyCb(data));
      expect(aioPoll(ctx, false)).toBe(false);
      expect(data.n).toBe(0);
      // It may or may not call the handler yet, but it must not block.
      data.e.set();
      expect(aioPoll(ctx, true)).toBe(true);
      data.n = 0;
      aioSetEventNotifier(ctx, dummy.e, eventReadyCb(dummy));
      data.e.set();
      expect(aioPoll(ctx, false)).toBe(true);
      expect(data.n).toBe(1);
      expect(aioPoll(ctx, false)).toBe(false);
      expect(data.n).toBe(1);
      data.e.set();
      expect(aioPoll(ctx, false)).toBe(true);
      expect(data.n).toBe(2);
      expect(aioPoll(ctx, false)).toBe(false);
      expect(data.n).toBe(2);
      dummy.e.set();
      waitUntilInactive(dummy);
      expect(data.n).toBe(2);
      expect(dummy.n).toBe(1);
      expect(dummy.active).toBe(0);
      aioSetEventNotifier(ctx, dummy.e, null);
      dummy.e.cleanup();
      aioSetEventNotifier(ctx, data.e, null);
      expect(aioPoll(ctx, false)).toBe(false);
      expect(data.n).toBe(2);
      data.e.cleanup();
    });

    itWithoutBodies('/aio/timer/schedule', () => {
      const data = { n: 0, max: 2, ns: 750 * SCALE_MS, firedAt: [] as number[], timer: null as QEMUTimer | null };
      const e = new EventNotifier();
      aioSetEventNotifier(ctx, e, () => {});
      aioPoll(ctx, false);
      const timer = aioTimerNew(
        ctx,
        QEMU_CLOCK_REALTIME,
        SCALE_NS,
        () => {
          data.firedAt.push(qemuClockGetNs(QEMU_CLOCK_REALTIME));
          if (++data.n < data.max) timer.mod(qemuClockGetNs(QEMU_CLOCK_REALTIME) + data.ns);
        },
        null,
      );
      let expiry = qemuClockGetNs(QEMU_CLOCK_REALTIME) + data.ns;
      timer.mod(expiry);
      expect(data.n).toBe(0);
      while (aioPoll(ctx, false));
      expect(aioPoll(ctx, false)).toBe(false);
      expect(data.n).toBe(0);
      sleepSync(1000);
      expect(data.n).toBe(0);
      expect(aioPoll(ctx, false)).toBe(true);
      expect(data.n).toBe(1);
      expect(data.firedAt[0]).toBeGreaterThanOrEqual(expiry);
      expiry = timer.expireTimeNs;
      while (aioPoll(ctx, false));
      expect(aioPoll(ctx, false)).toBe(false);
      expect(data.n).toBe(1);
      // The blocking poll waits for the re-armed 750 ms timer and must not return it early.
      expect(aioPoll(ctx, true)).toBe(true);
      expect(data.n).toBe(2);
      expect(data.firedAt[1]).toBeGreaterThanOrEqual(expiry);
      expect(qemuClockGetNs(QEMU_CLOCK_REALTIME)).toBeGreaterThanOrEqual(expiry);
      expect(aioPoll(ctx, false)).toBe(false);
      expect(data.n).toBe(2);
      aioSetEventNotifier(ctx, e, null);
      e.cleanup();
      timer.del();
    });

    it('/aio/coroutine/queue-chaining', () => {
      interface ChainData {
        other: Coroutine | null;
        i: number;
        max: number;
      }
      const chain = function* (data: ChainData): Co {
        for (data.i = 0; data.i < data.max; data.i++) {
          aioCoEnter(ctx, data.other as Coroutine);
          yield* coroutineYield();
        }
      };
      const dataA: ChainData = { other: null, i: 0, max: 25_000 };
      const dataB: ChainData = { other: null, i: 0, max: 25_000 };
      dataB.other = coroutineCreate(asBody(chain), dataA);
      dataA.other = coroutineCreate(asBody(chain), dataB);
      coroutineEnter(dataB.other);
      expect(dataA.i).toBe(dataA.max);
      expect(dataB.i).toBe(dataB.max - 1);
      coroutineEnter(dataA.other);
      expect(dataB.i).toBe(dataB.max);
    });

    it('/aio/coroutine/worker-thread-co-enter', () => {
      let ranOnMain = false;
      const co = coroutineCreate(asBody(function* (): Co {
        ranOnMain = isMainThread && getCurrentAioContext() === getMainAioContext();
      }));
      // A worker thread asks for aio_co_enter(main context, co): it goes through a
      // BH of the main context, so the coroutine runs on this thread at its next poll.
      const remote = remoteCoEnter(getMainAioContext(), co);
      const done = new Int32Array(new SharedArrayBuffer(4));
      const w = inlineWorker(
        `const { workerData: d } = process.getBuiltinModule('node:worker_threads');
         d.h.port.postMessage(0); Atomics.add(d.h.wake, 0, 1); Atomics.notify(d.h.wake, 0);
         Atomics.store(d.done, 0, 1); Atomics.notify(d.done, 0);`,
        { h: remote.handle, done },
        [remote.handle.port],
      );
      joinFlag(done);
      void w.terminate();
      expect(aioPoll(ctx, true)).toBe(true);
      expect(ranOnMain).toBe(true);
      expect(coroutineIsTerminated(co)).toBe(true);
      expect(aioPoll(ctx, false)).toBe(false);
    });

    // -------------------------------------------------------------------------
    // util/async.c behaviour the C test does not pin down

    itWithoutBodies('/aio/bh/order (newest first; scheduled from a BH: next poll)', () => {
      const order: string[] = [];
      let late: QEMUBH<string> | null = null;
      const rec = (s: string): void => {
        order.push(s);
        if (s === 'a') late?.schedule();
      };
      const a = aioBhNew(ctx, rec, 'a');
      const b = aioBhNew(ctx, rec, 'b');
      const c = aioBhNew(ctx, rec, 'c');
      const lateBh = aioBhNew<string>(ctx, rec, 'late');
      late = lateBh;
      a.schedule();
      b.schedule();
      c.schedule();
      expect(aioPoll(ctx, false)).toBe(true);
      expect(order).toEqual(['c', 'b', 'a']);
      expect(aioPoll(ctx, false)).toBe(true);
      expect(order).toEqual(['c', 'b', 'a', 'late']);
      for (const bh of [a, b, c, lateBh]) bh.delete();
    });

    itWithoutBodies('/aio/bh/oneshot and idle', () => {
      let n = 0;
      aioBhScheduleOneshot(ctx, () => n++, null);
      expect(aioPoll(ctx, false)).toBe(true);
      expect(n).toBe(1);
      expect(aioPoll(ctx, false)).toBe(false);
      const idle = aioBhNew(ctx, () => n++, null);
      idle.scheduleIdle();
      // An idle BH runs but is not progress; a blocking poll waits at most ~10 ms for it.
      expect(aioPoll(ctx, true)).toBe(false);
      expect(n).toBe(2);
      idle.delete();
    });

    itWithoutBodies('/aio/bh/leaked', () => {
      const c = aioContextNew({ attach: false, name: 'leaky' });
      const bh = aioBhNew(c, () => {}, null, 'leaky_bh');
      bh.schedule();
      expect(() => c.destroy()).toThrow(BhLeakedError);
      expect(() => c.destroy()).toThrow(/BH 'leaky_bh' leaked/);
      bh.delete();
      c.destroy();
      expect(c.isDestroyed).toBe(true);
      const c2 = aioContextNew({ attach: false });
      const bh2 = aioBhNew(c2, () => {}, null);
      bh2.schedule();
      bh2.delete();
      expect(() => c2.destroy()).not.toThrow();
    });

    itWithoutBodies('/aio/timer/clocks', () => {
      const c = aioContextNew({ attach: false });
      const fired: number[] = [];
      for (const clock of [QEMU_CLOCK_REALTIME, QEMU_CLOCK_VIRTUAL, QEMU_CLOCK_HOST]) {
        const t = aioTimerNew(c, clock, SCALE_MS, () => fired.push(clock), null);
        t.mod(Math.floor(qemuClockGetNs(clock) / SCALE_MS) + 20);
        expect(t.pending).toBe(true);
      }
      const cancelled = aioTimerNew(c, QEMU_CLOCK_REALTIME, SCALE_NS, () => fired.push(-1), null);
      cancelled.mod(qemuClockGetNs(QEMU_CLOCK_REALTIME) + 1e6);
      cancelled.del();
      expect(cancelled.pending).toBe(false);
      aioWaitWhile(c, () => fired.length < 3);
      expect(fired.sort()).toEqual([0, 1, 2]);
      c.destroy();
    });

    it('/aio/co-schedule/already-scheduled', () => {
      const co = coroutineCreate(asBody(function* (): Co {}));
      aioCoSchedule(ctx, co);
      expect(coroutineScheduler(co)).toBe('aio_co_schedule');
      expect(() => coroutineEnter(co)).toThrow(CoroutineAlreadyScheduledError);
      expect(() => coroutineEnter(co)).toThrow("Co-routine was already scheduled in 'aio_co_schedule'");
      expect(() => aioCoSchedule(ctx, co)).toThrow("Co-routine was already scheduled in 'aio_co_schedule'");
      expect(aioPoll(ctx, false)).toBe(true);
      expect(coroutineIsTerminated(co)).toBe(true);
    });

    it('/aio/co-schedule/fifo and reschedule-self', () => {
      const order: string[] = [];
      const other = aioContextNew({ attach: false, name: 'iothread' });
      const mk = (s: string) =>
        coroutineCreate(asBody(function* (): Co {
          order.push(`${s}@${getCurrentAioContext() === other ? 'io' : 'main'}`);
          yield* aioCoRescheduleSelf(other);
          order.push(`${s}@${getCurrentAioContext() === other ? 'io' : 'main'}`);
        }));
      const cos = ['x', 'y', 'z'].map(mk);
      for (const co of cos) aioCoSchedule(ctx, co);
      expect(aioPoll(ctx, false)).toBe(true);
      expect(order).toEqual(['x@main', 'y@main', 'z@main']);
      expect(aioPoll(other, false)).toBe(true);
      expect(order).toEqual(['x@main', 'y@main', 'z@main', 'x@io', 'y@io', 'z@io']);
      expect(cos.every((c) => coroutineIsTerminated(c))).toBe(true);
      other.destroy();
    });

    it('/aio/co-enter/rules', () => {
      const other = aioContextNew({ attach: false, name: 'iothread' });
      const log: string[] = [];
      // Outside a coroutine, in its own (current) context: entered at once.
      const direct = coroutineCreate(asBody(function* (): Co {
        log.push('direct');
      }));
      aioCoEnter(ctx, direct);
      expect(log).toEqual(['direct']);
      // Into another context: scheduled there.
      const far = coroutineCreate(asBody(function* (): Co {
        log.push('far');
        yield* coroutineYield();
        log.push('far-woken');
      }));
      aioCoEnter(other, far);
      expect(coroutineScheduler(far)).toBe('aio_co_schedule');
      expect(log).toEqual(['direct']);
      aioPoll(other, true);
      expect(log).toEqual(['direct', 'far']);
      // aio_co_wake goes back to the context it last ran in.
      aioCoWake(far);
      expect(coroutineScheduler(far)).toBe('aio_co_schedule');
      aioPoll(other, true);
      expect(log).toEqual(['direct', 'far', 'far-woken']);
      // From inside a coroutine of the same context: runs when the current one yields.
      const inner = coroutineCreate(asBody(function* (): Co {
        log.push('inner');
      }));
      coroutineEnter(
        coroutineCreate(asBody(function* (): Co {
          aioCoEnter(ctx, inner);
          log.push('outer-continues');
        })),
      );
      expect(log.slice(-2)).toEqual(['outer-continues', 'inner']);
      other.destroy();
    });

    it('/aio/co-sleep/ns and wakeable', () => {
      const c = aioContextNew({ attach: false });
      const w = new CoSleep();
      const log: string[] = [];
      const start = qemuClockGetNs(QEMU_CLOCK_REALTIME);
      const sleeper = coroutineCreate(asBody(function* (): Co {
        yield* coSleepNs(QEMU_CLOCK_REALTIME, 20 * SCALE_MS);
        stress();
        log.push(qemuClockGetNs(QEMU_CLOCK_REALTIME) - start >= 20 * SCALE_MS ? 'slept' : 'early');
        yield* coSleepNsWakeable(w, QEMU_CLOCK_REALTIME, 3600e9);
        log.push('woken');
      }));
      aioCoSchedule(c, sleeper);
      aioWaitWhile(c, () => log.length < 1);
      expect(log).toEqual(['slept']);
      expect(coroutineScheduler(sleeper)).toBe('qemu_co_sleep_ns');
      w.wake();
      expect(log).toEqual(['slept', 'woken']);
      expect(c.timerDeadlineNs()).toBe(-1);
      // Woken from a BH of another context: aio_co_wake schedules it back into its own.
      const other = aioContextNew({ attach: false });
      const w2 = new CoSleep();
      const sleeper2 = coroutineCreate(asBody(function* (): Co {
        yield* coSleepNsWakeable(w2, QEMU_CLOCK_REALTIME, 3600e9);
        log.push(getCurrentAioContext() === c ? 'woken-in-home' : 'woken-elsewhere');
      }));
      aioCoSchedule(c, sleeper2);
      aioPoll(c, false);
      aioBhScheduleOneshot(other, () => w2.wake(), null);
      expect(aioPoll(other, false)).toBe(true);
      expect(coroutineScheduler(sleeper2)).toBe('aio_co_schedule');
      expect(aioPoll(c, false)).toBe(true);
      expect(log).toEqual(['slept', 'woken', 'woken-in-home']);
      other.destroy();
      expect(c.timerDeadlineNs()).toBe(-1);
      c.destroy();
    });

    it('/aio/wait-while/deadlock and coroutine misuse', () => {
      const c = aioContextNew({ attach: false });
      expect(() => aioWaitWhile(c, () => true)).toThrow(AioWaitDeadlockError);
      let err: unknown;
      coroutineEnter(
        coroutineCreate(asBody(function* (): Co {
          try {
            aioWaitWhile(c, () => true);
          } catch (e) {
            err = e;
          }
        })),
      );
      expect(err).toBeInstanceOf(AioWaitInCoroutineError);
      c.destroy();
    });

    itWithoutBodies('/aio/fd-handler/socket readable and writable', async () => {
      const server: Server = createServer((s) => {
        s.on('data', (d) => s.write(d));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      const sock = new Socket();
      await new Promise<void>((r) => sock.connect(port, '127.0.0.1', r));
      const got: string[] = [];
      let wrote = false;
      const done = new Promise<void>((resolve) => {
        aioSetFdHandler(
          ctx,
          sock,
          (s: Socket) => {
            for (let chunk = s.read() as Buffer | null; chunk !== null; chunk = s.read() as Buffer | null) got.push(chunk.toString());
            if (got.join('') === 'ping') resolve();
          },
          (s: Socket) => {
            // Writable: send once, then drop the write handler as QEMU handlers do.
            wrote = true;
            s.write('ping');
            aioSetFdHandler(ctx, s, (x: Socket) => {
              for (let chunk = x.read() as Buffer | null; chunk !== null; chunk = x.read() as Buffer | null) got.push(chunk.toString());
              if (got.join('') === 'ping') resolve();
            }, null, s);
          },
          sock,
        );
      });
      await done;
      expect(wrote).toBe(true);
      expect(got.join('')).toBe('ping');
      aioSetFdHandler(ctx, sock, null, null, null);
      sock.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    });

    itWithoutBodies('/aio/main-loop runs on the Node event loop', async () => {
      const main = getMainAioContext();
      const log: string[] = [];
      await new Promise<void>((resolve) => {
        aioBhScheduleOneshot(main, () => log.push('bh'), null);
        const t = aioTimerNew(main, QEMU_CLOCK_REALTIME, SCALE_MS, () => {
          log.push('timer');
          resolve();
        }, null);
        t.mod(Math.floor(qemuClockGetNs(QEMU_CLOCK_REALTIME) / SCALE_MS) + 5);
      });
      expect(log).toEqual(['bh', 'timer']);
    });

    aioSeedCases(asBody, itWithoutBodies);
    if (options.bodies === 'plain') aioPlainSeedCases();

    afterAll(() => {
      while (aioPoll(getMainAioContext(), false));
    });
  });
}
