/**
 * The seed documents' event-loop patterns, part of the test-aio suite: migration's
 * periodic aio_co_schedule, the snapshot job's BH + coroutine hand-off, HMP's
 * AIO_WAIT_WHILE on a coroutine, and the nested aio_poll deadlock that linux-aio's
 * resumable completion BH prevents; with plain bodies also migration's yield from
 * plain calls and plain code using the library (aioPlainSeedCases).
 */
import {
  CoMutex,
  EventNotifier,
  QEMU_CLOCK_REALTIME,
  SCALE_MS,
  SCALE_NS,
  aioBhNew,
  aioBhScheduleOneshot,
  aioCoEnter,
  aioCoSchedule,
  aioCoWake,
  aioContextNew,
  aioPoll,
  aioSetEventNotifier,
  aioTimerNew,
  aioWaitWhile,
  coSleepNs,
  coroutineCreate,
  coroutineIsTerminated,
  coroutineSelf,
  coroutineYield,
  getCurrentAioContext,
  getMainAioContext,
  inCoroutine,
  qemuClockGetNs,
  runCoroutineFn,
  type Co,
  type Coroutine,
  type QEMUBH,
} from '@qco/core';
import { expect, it } from 'vitest';
import type { AsBody, CaseRegistrar, SuiteBody } from './suite-options.js';

/**
 * Register the seeds' cases in the current describe block, with bodies made by
 * `asBody`; `itWithoutBodies` registers the case that runs no coroutine body.
 */
export function aioSeedCases(asBody: AsBody, itWithoutBodies: CaseRegistrar): void {
  it('/seeds/migration: a long coroutine yields every 32768 iterations through aio_co_schedule', async () => {
    const run = await migrationScenario('armed-at-half', (m) =>
      asBody(function* (): Co {
        for (let i = 1; i <= MIGRATION_ITERATIONS; i++) {
          m.sum += i & 7;
          if ((i & 32767) === 0 && inCoroutine()) {
            m.pause(i);
            yield* coroutineYield();
          }
        }
        m.finish();
      }),
    );
    // The BH scheduled before each yield ran while the coroutine was parked (at
    // least every other yield: it shares a poll with the newer co_schedule BH).
    expect(run.timerRuns).toBe(1);
    expect(run.events.indexOf('bh')).toBeLessThan(run.events.lastIndexOf('yield'));
  });

  it('/seeds/snapshot: a BH enters a coroutine that yields until a timer wakes it', async () => {
    const main = getMainAioContext();
    const log: string[] = [];
    const job = { ret: -1, co: null as Coroutine | null };
    const done = new Promise<void>((resolve) => {
      const run = coroutineCreate(asBody(function* (): Co {
        job.co = coroutineSelf();
        log.push('job-run');
        aioBhScheduleOneshot(main, () => {
          log.push('save-bh');
          aioCoEnter(main, coroutineCreate(asBody(function* (): Co {
            log.push('save-co');
            yield* coSleepNs(QEMU_CLOCK_REALTIME, 5 * SCALE_MS);
            log.push('save-co-woken');
            job.ret = 0;
            aioCoWake(job.co as Coroutine);
          })));
        }, null);
        yield* coroutineYield();
        log.push(`job-done ret=${job.ret}`);
        resolve();
      }));
      aioCoEnter(main, run);
    });
    await done;
    expect(log).toEqual(['job-run', 'save-bh', 'save-co', 'save-co-woken', 'job-done ret=0']);
  });

  it('/seeds/hmp: a synchronous caller waits with AIO_WAIT_WHILE on a coroutine', () => {
    const data = { done: false, steps: 0 };
    const co = coroutineCreate(asBody(function* (d: typeof data): Co {
      for (let i = 0; i < 3; i++) {
        yield* coSleepNs(QEMU_CLOCK_REALTIME, 2 * SCALE_MS);
        d.steps++;
      }
      d.done = true;
    }), data);
    aioCoEnter(getMainAioContext(), co);
    aioWaitWhile(null, () => !data.done);
    expect(data.steps).toBe(3);
    expect(coroutineIsTerminated(co)).toBe(true);
  });

  itWithoutBodies('/seeds/nested-aio-poll: a completion callback waiting with aio_poll for a sibling completion', () => {
    // Two requests complete in one batch (one eventfd read, one io_getevents).
    // Request A's callback waits with AIO_WAIT_WHILE for request B.
    const c = aioContextNew({ attach: false });
    const mkBatch = () => {
      const reqs = [
        { name: 'A', done: false },
        { name: 'B', done: false },
      ];
      return reqs;
    };

    // Before the fix: completions are processed in a plain loop in the handler;
    // the nested poll cannot reach B, which sits in the outer loop's local batch.
    {
      const e = new EventNotifier();
      const batch = mkBatch();
      let stuck = false;
      aioSetEventNotifier(c, e, (n) => {
        n.testAndClear();
        for (const r of batch) {
          r.done = true;
          if (r.name === 'A') {
            for (let i = 0; i < 100 && !(batch[1] as { done: boolean }).done; i++) aioPoll(c, false);
            stuck = !(batch[1] as { done: boolean }).done;
          }
        }
      });
      e.set();
      aioPoll(c, false);
      expect(stuck).toBe(true);
      aioSetEventNotifier(c, e, null);
      e.cleanup();
    }

    // The fix (linux-aio, 2014): completion processing is a BH that resumes from
    // a shared index, so the nested poll completes B and the wait ends.
    {
      const e = new EventNotifier();
      const batch = mkBatch();
      const st = { next: 0 };
      const completions: QEMUBH<null> = aioBhNew(c, () => {
        // Reschedule first so a nested poll continues where this one stopped.
        completions.schedule();
        while (st.next < batch.length) {
          const r = batch[st.next++];
          r.done = true;
          if (r.name === 'A') aioWaitWhile(c, () => !(batch[1] as { done: boolean }).done);
        }
        completions.cancel();
      }, null);
      aioSetEventNotifier(c, e, (n) => {
        n.testAndClear();
        completions.schedule();
      });
      e.set();
      aioWaitWhile(c, () => !batch.every((r) => r.done));
      expect(batch.map((r) => r.done)).toEqual([true, true]);
      aioSetEventNotifier(c, e, null);
      e.cleanup();
      completions.delete();
    }
    c.destroy();
  });
}

/** Iterations of the migration seed's loop: eight slices of 32768. */
const MIGRATION_ITERATIONS = 8 * 32768;

/** What the migration seed's body sees: its running sum, the pause before each yield, and how to end. */
interface MigrationBody {
  sum: number;
  /** Log the yield, schedule the BH, and reschedule the coroutine itself (aio_co_schedule) before it yields. */
  pause(i: number): void;
  finish(): void;
  fail(err: unknown): void;
}

/** What the migration seed's run left: the event order and how often the BH and the timer ran. */
interface MigrationRun {
  readonly events: readonly string[];
  readonly bhRuns: number;
  readonly timerRuns: number;
}

/**
 * The migration seed's event loop, shared by its generator-body and plain-call
 * cases: a BH and a realtime timer in the main context beside a coroutine whose
 * body `makeBody` writes; the timer is armed once at the half-way yield, or at
 * the start and re-armed by itself (up to 1000 runs). Checks what both cases
 * require (the loop's sum, eight yields, the BH run at least every other yield).
 */
async function migrationScenario(timer: 'armed-at-half' | 'rearming', makeBody: (m: MigrationBody) => SuiteBody<void>): Promise<MigrationRun> {
  const main = getMainAioContext();
  const events: string[] = [];
  let bhRuns = 0;
  let timerRuns = 0;
  const bh = aioBhNew(main, () => {
    bhRuns++;
    events.push('bh');
  }, null);
  const t = aioTimerNew(main, QEMU_CLOCK_REALTIME, SCALE_NS, () => {
    timerRuns++;
    events.push('timer');
    if (timer === 'rearming' && timerRuns < 1000) t.modNs(qemuClockGetNs(QEMU_CLOCK_REALTIME));
  }, null);
  if (timer === 'rearming') t.modNs(qemuClockGetNs(QEMU_CLOCK_REALTIME));
  let sum = 0;
  await new Promise<void>((resolve, reject) => {
    const m: MigrationBody = {
      sum: 0,
      pause(i) {
        events.push('yield');
        bh.schedule();
        if (timer === 'armed-at-half' && i === MIGRATION_ITERATIONS / 2) t.mod(qemuClockGetNs(QEMU_CLOCK_REALTIME));
        aioCoSchedule(getCurrentAioContext(), coroutineSelf());
      },
      finish() {
        sum = m.sum;
        resolve();
      },
      fail: reject,
    };
    aioCoEnter(main, coroutineCreate(makeBody(m)));
  });
  t.del();
  bh.delete();
  expect(sum).toBe((MIGRATION_ITERATIONS / 8) * 28);
  expect(events.filter((e) => e === 'yield')).toHaveLength(8);
  expect(bhRuns).toBeGreaterThanOrEqual(4);
  return { events, bhRuns, timerRuns };
}

/**
 * The seeds' cases only plain bodies can express (registered with `bodies: 'plain'`):
 * migration's yield made by a blocking call two plain calls below the loop, and
 * plain code using the library's coroutine_fns through runCoroutineFn.
 */
export function aioPlainSeedCases(): void {
  it('/seeds/migration/plain: yields every 32768 iterations via aio_co_schedule while timers and BHs run', async () => {
    const run = await migrationScenario('rearming', (m) => {
      // Two plain calls deep, as migration's ram_save_iterate is below its loop.
      const pauseForOthers = (i: number): void => {
        m.pause(i);
        coroutineYield();
      };
      const maybePause = (i: number): void => {
        if ((i & 32767) === 0) pauseForOthers(i);
      };
      return () => {
        try {
          for (let i = 1; i <= MIGRATION_ITERATIONS; i++) {
            m.sum += i & 7;
            maybePause(i);
          }
          m.finish();
        } catch (err) {
          m.fail(err);
        }
      };
    });
    const yields = run.events.reduce<number[]>((at, e, i) => (e === 'yield' ? [...at, i] : at), []);
    expect(yields).toHaveLength(8);
    // Between consecutive slices the context ran other work (a BH or the timer).
    // The first two slices may touch: the first poll runs the co_schedule BH
    // before the older BH of ours (QEMU runs BHs scheduled in one poll newest
    // first), and our BH then runs right after the second slice.
    for (let k = 2; k < yields.length; k++) {
      const between = run.events.slice(yields[k - 1] + 1, yields[k]);
      expect(between.some((e) => e === 'bh' || e === 'timer'), `slice ${k}: ${between.join(',')}`).toBe(true);
    }
    expect(run.timerRuns).toBeGreaterThanOrEqual(2);
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
      const who = order[k].split(':')[0];
      expect(order[k + 1]).toBe(`${who}:out`);
    }
    expect(order).toHaveLength(8);
  });
}
