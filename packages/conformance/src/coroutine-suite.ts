/**
 * Port of QEMU's tests/unit/test-coroutine.c, case for case under QEMU's names,
 * plus the abort conditions QEMU has no test for (each provoked and its message
 * checked) and the core policies they rely on (wake-up order, pool reuse,
 * exceptions). Written once against @qco/core; a backend package runs it with
 * one line: `coroutineConformance(createBackend())`. With `bodies: 'plain'`
 * (backends whose bodyKinds include 'plain') every case runs with plain-function
 * bodies, followed by the cases only plain bodies can express.
 */
import {
  CoMutex,
  CoRwlock,
  CoSleep,
  Coroutine,
  CoroutineAlreadyScheduledError,
  CoroutineLocksHeldError,
  CoroutineReenteredError,
  CoroutineTerminatedError,
  CoroutineYieldToNoOneError,
  coroutineCreate,
  coroutineDelete,
  coroutineEnter,
  coroutineEntered,
  coroutineSelf,
  coroutineStats,
  coroutineWake,
  coroutineYield,
  inCoroutine,
  makeLockable,
  type Co,
  type Lockable,
} from '@qco/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { plainOnlyCases } from './plain-only-cases.js';
import { bodyOf, suiteTitle, useSuiteBackend, type SuiteBackend, type SuiteOptions } from './suite-options.js';

/** Options of the coroutine conformance suite. */
export type CoroutineSuiteOptions = SuiteOptions;

/** Register the test-coroutine.c cases for `backend` with vitest. */
export function coroutineConformance(backend: SuiteBackend, options: CoroutineSuiteOptions = {}): void {
  const stress = options.stress ?? (() => {});
  const asBody = bodyOf(options.bodies);
  describe(suiteTitle('test-coroutine', backend, options), () => {
    beforeAll(() => {
      useSuiteBackend(backend, options);
    });

    it('/basic/no-dangling-access', () => {
      const c2 = coroutineCreate(asBody(function* () {
        yield* coroutineYield();
      }));
      const c1 = coroutineCreate(asBody(function* (other: Coroutine) {
        coroutineEnter(other);
      }), c2);
      coroutineEnter(c1);
      expect(c1.terminated).toBe(true);
      // c1's context is back in the pool: reusing it must not disturb c2, and the
      // stale handle must refuse to run.
      const reuse = coroutineCreate(asBody(function* () {}));
      expect(() => coroutineEnter(c1)).toThrow(CoroutineTerminatedError);
      coroutineEnter(c2);
      expect(c2.terminated).toBe(true);
      coroutineEnter(reuse);
      expect(reuse.terminated).toBe(true);
    });

    it('/basic/lifecycle', () => {
      const state = { done: false };
      const setAndExit = function* (s: { done: boolean }): Co {
        s.done = true;
      };
      coroutineEnter(coroutineCreate(asBody(setAndExit), state));
      expect(state.done).toBe(true);
      state.done = false;
      coroutineEnter(coroutineCreate(asBody(setAndExit), state));
      expect(state.done).toBe(true);
    });

    it('/basic/yield', () => {
      const state = { done: false };
      const co = coroutineCreate(asBody(function* (s: { done: boolean }) {
        for (let i = 0; i < 5; i++) {
          yield* coroutineYield();
          stress();
        }
        s.done = true;
      }), state);
      let i = -1;
      while (!state.done) {
        coroutineEnter(co);
        i++;
        stress();
      }
      expect(i).toBe(5);
    });

    it('/basic/nesting', () => {
      const nd = { nEnter: 0, nReturn: 0, max: 128 };
      function* nest(d: typeof nd): Co {
        d.nEnter++;
        if (d.nEnter < d.max) coroutineEnter(coroutineCreate(asBody(nest), d));
        d.nReturn++;
      }
      coroutineEnter(coroutineCreate(asBody(nest), nd));
      expect(nd.nEnter).toBe(128);
      expect(nd.nReturn).toBe(128);
    });

    it('/basic/self', () => {
      const box: { co: Coroutine | null; seen: Coroutine | null } = { co: null, seen: null };
      box.co = coroutineCreate(asBody(function* (b: typeof box) {
        b.seen = coroutineSelf();
      }), box);
      coroutineEnter(box.co);
      expect(box.seen).toBe(box.co);
      expect(coroutineSelf()).not.toBe(box.co);
    });

    it('/basic/entered', () => {
      const checks: boolean[] = [];
      function* step2(caller: Coroutine): Co {
        checks.push(coroutineEntered(caller), coroutineEntered(coroutineSelf()));
        yield* coroutineYield();
        checks.push(coroutineEntered(caller), coroutineEntered(coroutineSelf()));
      }
      function* step1(): Co {
        const self = coroutineSelf();
        checks.push(coroutineEntered(self));
        const co = coroutineCreate(asBody(step2), self);
        checks.push(!coroutineEntered(co));
        coroutineEnter(co);
        checks.push(!coroutineEntered(co));
        coroutineEnter(co);
      }
      const co = coroutineCreate(asBody(step1));
      expect(coroutineEntered(co)).toBe(false);
      coroutineEnter(co);
      expect(checks).toEqual([true, true, true, true, true, true, true]);
      expect(co.terminated).toBe(true);
    });

    it('/basic/in_coroutine', () => {
      expect(inCoroutine()).toBe(false);
      let inside = false;
      coroutineEnter(
        coroutineCreate(asBody(function* () {
          inside = inCoroutine();
        })),
      );
      expect(inside).toBe(true);
      expect(inCoroutine()).toBe(false);
    });

    it('/basic/order', () => {
      const records: Array<[number, number]> = [];
      const co = coroutineCreate(asBody(function* () {
        records.push([2, 1]);
        expect(inCoroutine()).toBe(true);
        yield* coroutineYield();
        records.push([2, 2]);
        expect(inCoroutine()).toBe(true);
      }));
      records.push([1, 1]);
      coroutineEnter(co);
      records.push([1, 2]);
      expect(inCoroutine()).toBe(false);
      coroutineEnter(co);
      records.push([1, 3]);
      expect(inCoroutine()).toBe(false);
      expect(records).toEqual([
        [1, 1],
        [2, 1],
        [1, 2],
        [2, 2],
        [1, 3],
      ]);
    });

    /** do_test_co_mutex: two coroutines take turns on one lock; unlock hands it over. */
    function doTestCoMutex(lockable: Lockable): void {
      const st = { locked: false, done: 0 };
      function* body(l: Lockable): Co {
        yield* l.lock();
        expect(st.locked).toBe(false);
        st.locked = true;
        yield* coroutineYield();
        st.locked = false;
        l.unlock();
        st.done++;
      }
      const c1 = coroutineCreate(asBody(body), lockable);
      const c2 = coroutineCreate(asBody(body), lockable);
      coroutineEnter(c1);
      expect(st.locked).toBe(true);
      coroutineEnter(c2);
      // Unlock queues c2; it starts as soon as c1 terminates.
      coroutineEnter(c1);
      expect(st.done).toBe(1);
      expect(st.locked).toBe(true);
      coroutineEnter(c2);
      expect(st.done).toBe(2);
      expect(st.locked).toBe(false);
    }

    it('/locking/co-mutex', () => {
      doTestCoMutex(new CoMutex());
    });

    it('/locking/co-mutex/lockable', () => {
      doTestCoMutex(makeLockable(new CoMutex()));
      expect(makeLockable(null)).toBeNull();
    });

    it('/locking/co-rwlock/upgrade', () => {
      const lock = new CoRwlock();
      const done = { c1: false, c2: false };
      const c1 = coroutineCreate(asBody(function* () {
        yield* lock.rdlock();
        yield* coroutineYield();
        yield* lock.upgrade();
        lock.unlock();
        done.c1 = true;
      }));
      const c2 = coroutineCreate(asBody(function* () {
        yield* lock.wrlock();
        yield* coroutineYield();
        lock.unlock();
        done.c2 = true;
      }));
      coroutineEnter(c1);
      coroutineEnter(c2);
      // c1 must now queue behind the writer.
      coroutineEnter(c1);
      expect(done.c1).toBe(false);
      coroutineEnter(c2);
      expect(done.c1).toBe(true);
      expect(done.c2).toBe(true);
    });

    it('/locking/co-rwlock/downgrade', () => {
      const lock = new CoRwlock();
      const done = { c1: false, c2: false, c3: false, c4: false };
      const c1 = coroutineCreate(asBody(function* () {
        yield* lock.rdlock();
        yield* coroutineYield();
        lock.unlock();
        yield* coroutineYield();
        done.c1 = true;
      }));
      const c2 = coroutineCreate(asBody(function* () {
        yield* lock.wrlock();
        lock.downgrade();
        lock.unlock();
        done.c2 = true;
      }));
      const c3 = coroutineCreate(asBody(function* () {
        yield* lock.rdlock();
        lock.unlock();
        done.c3 = true;
      }));
      const c4 = coroutineCreate(asBody(function* () {
        yield* lock.wrlock();
        lock.unlock();
        done.c4 = true;
      }));
      coroutineEnter(c1);
      coroutineEnter(c2);
      coroutineEnter(c3);
      coroutineEnter(c4);
      coroutineEnter(c1);
      expect(done.c2).toBe(true);
      expect(done.c3).toBe(true);
      expect(done.c4).toBe(true);
      coroutineEnter(c1);
      expect(done.c1).toBe(true);
    });

    it('/locking/co-sleep/wake-before-sleep', () => {
      const w = new CoSleep();
      let slept = false;
      w.wake(); // nobody asleep yet: remembered
      const co = coroutineCreate(asBody(function* () {
        yield* w.sleep();
        slept = true;
      }));
      coroutineEnter(co);
      expect(slept).toBe(true);
      expect(co.terminated).toBe(true);
      // Without an early wake, the sleep waits for wake().
      let second = false;
      const co2 = coroutineCreate(asBody(function* () {
        yield* w.sleep();
        second = true;
      }));
      coroutineEnter(co2);
      expect(second).toBe(false);
      expect(w.sleeping).toBe(true);
      w.wake();
      expect(second).toBe(true);
    });

    // --- QEMU's abort conditions, as errors with QEMU's messages -----------------

    it('/errors/re-entered-recursively', () => {
      let caught: unknown;
      const co: Coroutine = coroutineCreate(asBody(function* () {
        try {
          coroutineEnter(co);
        } catch (err) {
          caught = err;
        }
      }));
      coroutineEnter(co);
      expect(caught).toBeInstanceOf(CoroutineReenteredError);
      expect((caught as Error).message).toBe('Co-routine re-entered recursively');
      // A coroutine that entered another is itself entered: entering it from the child fails too.
      let inner: unknown;
      const parent: Coroutine = coroutineCreate(asBody(function* () {
        coroutineEnter(
          coroutineCreate(asBody(function* () {
            try {
              coroutineEnter(parent);
            } catch (err) {
              inner = err;
            }
          })),
        );
      }));
      coroutineEnter(parent);
      expect((inner as Error).message).toBe('Co-routine re-entered recursively');
    });

    it('/errors/yielding-to-no-one', () => {
      expect(() => coroutineYield()).toThrow(CoroutineYieldToNoOneError);
      expect(() => coroutineYield()).toThrow('Co-routine is yielding to no one');
      expect(inCoroutine()).toBe(false);
    });

    it('/errors/already-scheduled', () => {
      const w = new CoSleep();
      const co = coroutineCreate(asBody(function* () {
        yield* w.sleep();
      }));
      coroutineEnter(co);
      expect(() => coroutineEnter(co)).toThrow(CoroutineAlreadyScheduledError);
      expect(() => coroutineEnter(co)).toThrow("Co-routine was already scheduled in 'qemu_co_sleep_ns'");
      w.wake();
      expect(co.terminated).toBe(true);
    });

    it('/errors/terminate-holding-comutex', () => {
      const m = new CoMutex();
      const co = coroutineCreate(asBody(function* () {
        yield* m.lock();
      }));
      expect(() => coroutineEnter(co)).toThrow(CoroutineLocksHeldError);
      expect(co.terminated).toBe(true);
      const rw = new CoRwlock();
      expect(() =>
        coroutineEnter(
          coroutineCreate(asBody(function* () {
            yield* rw.rdlock();
          })),
        ),
      ).toThrow('Co-routine terminated while holding 1 lock (CoMutex / CoRwlock)');
    });

    it('/errors/exception-propagates-to-enterer', () => {
      const co = coroutineCreate(asBody(function* () {
        yield* coroutineYield();
        throw new RangeError('boom from the body');
      }));
      coroutineEnter(co);
      expect(() => coroutineEnter(co)).toThrow('boom from the body');
      expect(co.terminated).toBe(true);
      // The backend is still usable, and a nested throw crosses both levels.
      expect(() =>
        coroutineEnter(
          coroutineCreate(asBody(function* () {
            coroutineEnter(
              coroutineCreate(asBody(function* () {
                throw new TypeError('deep');
              })),
            );
          })),
        ),
      ).toThrow('deep');
      let ran = false;
      coroutineEnter(
        coroutineCreate(asBody(function* () {
          ran = true;
        })),
      );
      expect(ran).toBe(true);
      expect(inCoroutine()).toBe(false);
    });

    // --- Core policies the cases above rely on -----------------------------------

    it('/policy/wake-up-queue-is-depth-first', () => {
      const trace: string[] = [];
      const mk = (name: string, wakes: Coroutine[] = []) =>
        coroutineCreate(asBody(function* () {
          trace.push(`${name}:start`);
          for (const w of wakes) coroutineWake(w);
          yield* coroutineYield();
          trace.push(`${name}:end`);
        }));
      const b1 = mk('b1');
      const b2 = mk('b2');
      const a1 = mk('a1', [b1]);
      const a2 = mk('a2', [b2]);
      const root = mk('root', [a1, a2]);
      coroutineEnter(root);
      // root wakes a1 and a2; a1's own wake (b1) runs before a2 (depth first).
      expect(trace).toEqual(['root:start', 'a1:start', 'b1:start', 'a2:start', 'b2:start']);
    });

    it('/policy/pool-reuses-contexts', () => {
      const before = coroutineStats();
      for (let i = 0; i < 1000; i++) coroutineEnter(coroutineCreate(asBody(function* () {})));
      const after = coroutineStats();
      expect(after.live).toBe(before.live);
      expect(after.pooled).toBeGreaterThan(0);
      expect(after.pooled).toBeLessThanOrEqual(after.poolMax);
    });

    it('/policy/delete-unfinished', () => {
      const before = coroutineStats().live;
      let resumed = false;
      let cleanedUp = false;
      const co = coroutineCreate(asBody(function* () {
        try {
          yield* coroutineYield();
          resumed = true;
        } finally {
          cleanedUp = true;
        }
      }));
      coroutineEnter(co);
      expect(coroutineStats().live).toBe(before + 1);
      coroutineDelete(co);
      // Like QEMU's coroutine_delete: the body never runs again, not even its finally.
      expect(resumed).toBe(false);
      expect(cleanedUp).toBe(false);
      expect(co.terminated).toBe(true);
      expect(coroutineStats().live).toBe(before);
      expect(() => coroutineEnter(co)).toThrow(CoroutineTerminatedError);
      coroutineDelete(co); // a second delete is a no-op
      // The backend still works afterwards.
      let ran = false;
      coroutineEnter(
        coroutineCreate(asBody(function* () {
          ran = true;
        })),
      );
      expect(ran).toBe(true);
    });

    it('/policy/values-cross-yields', () => {
      const holders: Array<{ co: Coroutine; out: number[] }> = [];
      for (let i = 0; i < 2000; i++) {
        const out: number[] = [];
        const co = coroutineCreate(asBody(function* (n: number) {
          const mine = { n, list: Array.from({ length: 8 }, (_, k) => n * 8 + k) };
          for (let k = 0; k < 3; k++) {
            yield* coroutineYield();
            out.push(mine.list.reduce((a, b) => a + b, 0) + mine.n);
          }
        }), i);
        holders.push({ co, out });
      }
      for (let round = 0; round < 4; round++) {
        for (const h of holders) coroutineEnter(h.co);
        stress();
      }
      holders.forEach((h, n) => {
        const expected = 64 * n + 28 + n;
        expect(h.out).toEqual([expected, expected, expected]);
        expect(h.co.terminated).toBe(true);
      });
    });

    if (options.bodies === 'plain') plainOnlyCases(stress);
  });
}
