/**
 * The seed documents' event-loop patterns, part of the test-aio suite: migration's
 * periodic aio_co_schedule, the snapshot job's BH + coroutine hand-off, HMP's
 * AIO_WAIT_WHILE on a coroutine, and the nested aio_poll deadlock that linux-aio's
 * resumable completion BH prevents.
 */
import {
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
  type Co,
  type Coroutine,
  type QEMUBH,
} from '@qco/core';
import { expect, it } from 'vitest';
import type { AsBody, CaseRegistrar } from './suite-options.js';

/**
 * Register the seeds' cases in the current describe block, with bodies made by
 * `asBody`; `itWithoutBodies` registers the case that runs no coroutine body.
 */
export function aioSeedCases(asBody: AsBody, itWithoutBodies: CaseRegistrar): void {
  it('/seeds/migration: a long coroutine yields every 32768 iterations through aio_co_schedule', async () => {
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
    }, null);
    const total = 8 * 32768;
    let sum = 0;
    const finished = new Promise<void>((resolve) => {
      const co = coroutineCreate(asBody(function* (): Co {
        for (let i = 1; i <= total; i++) {
          sum += i & 7;
          if ((i & 32767) === 0 && inCoroutine()) {
            events.push('yield');
            bh.schedule();
            if (i === 4 * 32768) timer.mod(qemuClockGetNs(QEMU_CLOCK_REALTIME));
            aioCoSchedule(getCurrentAioContext(), coroutineSelf());
            yield* coroutineYield();
          }
        }
        resolve();
      }));
      aioCoEnter(main, co);
    });
    await finished;
    expect(sum).toBe((total / 8) * 28);
    expect(events.filter((e) => e === 'yield')).toHaveLength(8);
    // The BH scheduled before each yield ran while the coroutine was parked (at
    // least every other yield: it shares a poll with the newer co_schedule BH).
    expect(bhRuns).toBeGreaterThanOrEqual(4);
    expect(timerRuns).toBe(1);
    expect(events.indexOf('bh')).toBeLessThan(events.lastIndexOf('yield'));
    bh.delete();
    timer.del();
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
