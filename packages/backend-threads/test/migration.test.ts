// The seeds' migration pattern with a plain-function body: a long loop that, every
// 32768 iterations, schedules itself back into its AioContext with
// aio_co_schedule and yields — a blocking call made from a helper two calls
// deep — while a BH and a self-rearming timer keep running in the same context
// between its slices. Then the rest of the library from plain code: a CoMutex
// and qemu_co_sleep_ns run through runCoroutineFn.
import {
  CoMutex,
  QEMU_CLOCK_REALTIME,
  SCALE_NS,
  aioBhNew,
  aioCoEnter,
  aioCoSchedule,
  aioTimerNew,
  coSleepNs,
  coroutineCreate,
  coroutineSelf,
  coroutineYield,
  getCurrentAioContext,
  getMainAioContext,
  qemuClockGetNs,
  runCoroutineFn,
  useBackend,
} from '@qco/core';
import { describe, expect, it } from 'vitest';
import { createBackend } from '../src/index.js';

describe('seeds with plain-function bodies [threads]', () => {
  useBackend(createBackend());

  it('/seeds/migration/plain: yields every 32768 iterations via aio_co_schedule while timers and BHs run', async () => {
    const main = getMainAioContext();
    const events: string[] = [];
    let bhRuns = 0;
    let timerRuns = 0;
    const bh = aioBhNew(main, () => {
      bhRuns++;
      events.push('bh');
    }, null);
    const timer = aioTimerNew(main, QEMU_CLOCK_REALTIME, SCALE_NS, () => {
      timerRuns++;
      events.push('timer');
      if (timerRuns < 1000) timer.modNs(qemuClockGetNs(QEMU_CLOCK_REALTIME));
    }, null);
    timer.modNs(qemuClockGetNs(QEMU_CLOCK_REALTIME));

    // Two plain calls deep, as migration's ram_save_iterate is below its loop.
    const pauseForOthers = (): void => {
      events.push('yield');
      bh.schedule();
      aioCoSchedule(getCurrentAioContext(), coroutineSelf());
      coroutineYield();
    };
    const maybePause = (i: number): void => {
      if ((i & 32767) === 0) pauseForOthers();
    };

    const total = 8 * 32768;
    let sum = 0;
    const finished = new Promise<void>((resolve, reject) => {
      const co = coroutineCreate(() => {
        try {
          for (let i = 1; i <= total; i++) {
            sum += i & 7;
            maybePause(i);
          }
          resolve();
        } catch (err) {
          reject(err);
        }
      });
      aioCoEnter(main, co);
    });
    await finished;
    timer.del();
    bh.delete();
    expect(sum).toBe((total / 8) * 28);
    const yields = events.reduce<number[]>((at, e, i) => (e === 'yield' ? [...at, i] : at), []);
    expect(yields).toHaveLength(8);
    // Between consecutive slices the context ran other work (a BH or the timer).
    // The first two slices may touch: the first poll runs the co_schedule BH
    // before the older BH of ours (QEMU runs BHs scheduled in one poll newest
    // first), and our BH then runs right after the second slice.
    for (let k = 2; k < yields.length; k++) {
      const between = events.slice((yields[k - 1]) + 1, yields[k]);
      expect(between.some((e) => e === 'bh' || e === 'timer'), `slice ${k}: ${between.join(',')}`).toBe(true);
    }
    expect(bhRuns).toBeGreaterThanOrEqual(4);
    expect(timerRuns).toBeGreaterThanOrEqual(2);
  });

  it('/seeds/plain-code-uses-the-library: CoMutex and qemu_co_sleep_ns through runCoroutineFn', async () => {
    const main = getMainAioContext();
    const m = new CoMutex();
    const order: string[] = [];
    const worker = (name: string) =>
      new Promise<void>((resolve, reject) => {
        aioCoEnter(
          main,
          coroutineCreate(() => {
            try {
              for (let round = 0; round < 2; round++) {
                runCoroutineFn(m.lock());
                order.push(`${name}:in`);
                runCoroutineFn(coSleepNs(QEMU_CLOCK_REALTIME, 2_000_000));
                order.push(`${name}:out`);
                m.unlock();
              }
              resolve();
            } catch (err) {
              reject(err);
            }
          }),
        );
      });
    await Promise.all([worker('a'), worker('b')]);
    // The mutex is held across each sleep: every 'in' is followed by its own 'out'.
    for (let k = 0; k < order.length; k += 2) {
      const who = (order[k]).split(':')[0];
      expect(order[k + 1]).toBe(`${who}:out`);
    }
    expect(order).toHaveLength(8);
  });
});
