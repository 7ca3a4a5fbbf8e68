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
  CoMutexHolderTerminatedError,
  CoRwlock,
  CoSleep,
  CoroutineAlreadyScheduledError,
  CoroutineLocksHeldError,
  CoroutineReenteredError,
  CoroutineTerminatedError,
  CoroutineYieldToNoOneError,
  coroutineCall,
  coroutineCreate,
  coroutineDelete,
  coroutineEnter,
  coroutineEntered,
  coroutineIsTerminated,
  coroutineSelf,
  coroutineStats,
  coroutineWake,
  coroutineYield,
  currentBackend,
  inCoroutine,
  makeLockable,
  type Co,
  type Coroutine,
  type Lockable,
} from '@qco/core';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { plainOnlyCases } from './plain-only-cases.js';
import { bodyOf, itWithoutBodies, suiteTitle, useSuiteBackend, type SuiteBackend, type SuiteOptions } from './suite-options.js';

/** Options of the coroutine conformance suite. */
export interface CoroutineSuiteOptions extends SuiteOptions {
  /**
   * How many coroutines the backend holds live at once (default 100,000). Only a
   * backend with a documented lower limit (threads: one OS thread per coroutine)
   * passes less.
   */
  readonly liveCoroutines?: number;
}

/** A full collection, through --expose-gc or V8's flag set at run time. */
function fullGc(): void {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/**
 * Create `n` coroutines and drop them: every other one entered and yielded for
 * good, the rest never entered. (A function of its own, so no suspended async
 * frame of the test keeps the last one in a register.)
 */
function abandon(n: number): void {
  for (let i = 0; i < n; i++) {
    const co = coroutineCreate(function* () {
      const held: number[] = new Array<number>(8).fill(i);
      yield coroutineYield();
      return held;
    });
    if (i % 2 === 0) coroutineEnter(co);
  }
}

/** The live count once nothing more is reclaimed (coroutines dropped by earlier cases are). */
async function settledLive(): Promise<number> {
  let last = -1;
  for (let i = 0; i < 20 && coroutineStats().live !== last; i++) {
    last = coroutineStats().live;
    fullGc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return coroutineStats().live;
}

/**
 * Collect until the live count is back to `target` (finalizers run between tasks), for at
 * most ~10 s: on a loaded machine finalizers for 20,000 stacks can take more than 2 s.
 */
async function collectUntilLive(target: number): Promise<number> {
  for (let i = 0; i < 500 && coroutineStats().live > target; i++) {
    fullGc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return coroutineStats().live;
}


/** Register the test-coroutine.c cases for `backend` with vitest. */
export function coroutineConformance(backend: SuiteBackend, options: CoroutineSuiteOptions = {}): void {
  const stress = options.stress ?? (() => {});
  const asBody = bodyOf(options.bodies);
  // Cases whose bodies are generators whatever the run's body kind: once per backend.
  const itGen = itWithoutBodies(options);
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
      expect(coroutineIsTerminated(c1)).toBe(true);
      // c1's context is back in the pool: reusing it must not disturb c2, and the
      // stale handle must refuse to run.
      const reuse = coroutineCreate(asBody(function* () {}));
      expect(() => coroutineEnter(c1)).toThrow(CoroutineTerminatedError);
      coroutineEnter(c2);
      expect(coroutineIsTerminated(c2)).toBe(true);
      coroutineEnter(reuse);
      expect(coroutineIsTerminated(reuse)).toBe(true);
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
      expect(coroutineIsTerminated(co)).toBe(true);
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
      expect(coroutineIsTerminated(co)).toBe(true);
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
      expect(coroutineIsTerminated(co)).toBe(true);
    });

    it('/errors/terminate-holding-comutex', () => {
      const m = new CoMutex();
      const co = coroutineCreate(asBody(function* () {
        yield* m.lock();
      }));
      expect(() => coroutineEnter(co)).toThrow(CoroutineLocksHeldError);
      expect(coroutineIsTerminated(co)).toBe(true);
      const rw = new CoRwlock();
      expect(() =>
        coroutineEnter(
          coroutineCreate(asBody(function* () {
            yield* rw.rdlock();
          })),
        ),
      ).toThrow('Co-routine terminated while holding 1 lock (CoMutex / CoRwlock)');
    });

    itGen('/errors/terminate-holding-comutex/is-final', () => {
      const m = new CoMutex();
      const failures: unknown[] = [];
      const holder = coroutineCreate(function* lockAndDie() {
        yield* m.lock();
        yield coroutineYield();
      });
      coroutineEnter(holder);
      const waiter = coroutineCreate(function* () {
        try {
          yield* m.lock();
        } catch (err) {
          failures.push(err);
        }
      });
      coroutineEnter(waiter); // queued behind the holder
      expect(coroutineIsTerminated(waiter)).toBe(false);
      expect(() => coroutineEnter(holder)).toThrow(CoroutineLocksHeldError);
      // The waiter is failed, not left waiting forever, and so is every later locker.
      expect(coroutineIsTerminated(waiter)).toBe(true);
      coroutineEnter(
        coroutineCreate(function* () {
          try {
            yield* m.lock();
          } catch (err) {
            failures.push(err);
          }
        }),
      );
      expect(failures).toHaveLength(2);
      for (const f of failures) {
        expect(f).toBeInstanceOf(CoMutexHolderTerminatedError);
        expect((f as Error).message).toBe('CoMutex is held by the coroutine running lockAndDie, which terminated holding it; it can never be unlocked');
      }
      expect(m.locked).toBe(true);
    });

    it('/errors/exception-propagates-to-enterer', () => {
      const co = coroutineCreate(asBody(function* () {
        yield* coroutineYield();
        throw new RangeError('boom from the body');
      }));
      coroutineEnter(co);
      expect(() => coroutineEnter(co)).toThrow('boom from the body');
      expect(coroutineIsTerminated(co)).toBe(true);
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

    itGen('/policy/yield-token-and-yield-star-are-the-same-yield', () => {
      const out: string[] = [];
      function* leaf(tag: string): Co {
        out.push(`${tag}1`);
        yield coroutineYield();
        out.push(`${tag}2`);
        yield* coroutineYield();
        out.push(`${tag}3`);
      }
      const co = coroutineCreate(function* () {
        yield* leaf('a');
        yield* (function* () {
          yield* leaf('b');
        })();
      });
      let enters = 0;
      while (!coroutineIsTerminated(co)) {
        coroutineEnter(co);
        enters++;
        stress();
      }
      expect(enters).toBe(5);
      expect(out).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
    });

    itGen('/limits/live-coroutines', () => {
      const n = options.liveCoroutines ?? 100_000;
      const before = coroutineStats().live;
      const cos: Coroutine[] = [];
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const co = coroutineCreate(function* (k: number) {
          yield coroutineYield();
          sum += k;
        }, i);
        coroutineEnter(co);
        cos.push(co);
      }
      expect(coroutineStats().live).toBe(before + n);
      for (const co of cos) coroutineEnter(co);
      expect(sum).toBe((n * (n - 1)) / 2);
      expect(coroutineStats().live).toBe(before);
    });

    itGen('/leaks/abandoned-coroutines-are-reclaimed', async () => {
      // Dropped without coroutineDelete: yielded for good, or never entered. Two rounds,
      // so a backend that kept anything per abandoned coroutine would run out in the second.
      const before = await settledLive();
      const n = Math.min(options.liveCoroutines ?? 20_000, 20_000);
      for (let round = 0; round < 2; round++) {
        abandon(n);
        expect(coroutineStats().live).toBe(before + n);
        expect(await collectUntilLive(before)).toBe(before);
      }
    });

    itGen('/leaks/nested-enter-overflow-leaves-nothing-live', async () => {
      const before = await settledLive();
      // Nest until the stack runs out (a RangeError, where bodies step on the caller's
      // stack); a backend with a documented lower limit fails at that depth instead.
      const limit = options.liveCoroutines ?? Infinity;
      let depth = 0;
      function* nest(): Co {
        if (++depth >= limit) throw new Error('nesting limit');
        coroutineEnter(coroutineCreate(nest));
      }
      const steppedHere = currentBackend().stepsOnCallerStack === true;
      expect(() => coroutineEnter(coroutineCreate(nest))).toThrow(steppedHere ? RangeError : Error);
      expect(depth).toBeGreaterThan(10);
      expect(inCoroutine()).toBe(false);
      expect(await collectUntilLive(before)).toBe(before);
      // The core is still consistent: a fresh coroutine runs and yields normally.
      const co = coroutineCreate(function* () {
        yield coroutineYield();
      });
      coroutineEnter(co);
      coroutineEnter(co);
      expect(coroutineIsTerminated(co)).toBe(true);
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
      expect(coroutineIsTerminated(co)).toBe(true);
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
        expect(coroutineIsTerminated(h.co)).toBe(true);
      });
    });

    // --- coroutineCall: coroutine_fns run as frames of the coroutine's own stack ---

    it('/call/typed-result-and-yields-from-depth', () => {
      const trace: string[] = [];
      let self: Coroutine | null = null;
      function* leaf(n: number): Co<number> {
        for (let i = 0; i < n; i++) {
          trace.push(`leaf ${i}`);
          self = coroutineSelf();
          yield coroutineYield();
        }
        return n * 10;
      }
      // Mixed: a plain yield* call between two coroutineCall frames.
      function* middle(n: number): Co<string> {
        const got: number = yield* coroutineCall(leaf(n));
        return `middle ${got}`;
      }
      function* outer(n: number): Co<string> {
        return yield* middle(n);
      }
      const co = coroutineCreate(asBody(function* () {
        const a: string = yield* coroutineCall(outer(2));
        trace.push(a);
        const b = yield* coroutineCall(leaf(0));
        trace.push(`b ${b}`);
      }));
      coroutineEnter(co);
      expect(trace).toEqual(['leaf 0']);
      expect(self).toBe(co);
      expect(coroutineEntered(co)).toBe(false);
      stress();
      coroutineEnter(co);
      expect(trace).toEqual(['leaf 0', 'leaf 1']);
      coroutineEnter(co);
      expect(trace).toEqual(['leaf 0', 'leaf 1', 'middle 20', 'b 0']);
      expect(coroutineIsTerminated(co)).toBe(true);
    });

    it('/call/exception-unwinds-to-the-calling-frame', () => {
      const trace: string[] = [];
      function* failing(what: string): Co<number> {
        try {
          yield coroutineYield();
          throw new RangeError(what);
        } finally {
          trace.push(`finally ${what}`);
        }
      }
      function* caller(): Co<number> {
        return yield* coroutineCall(failing('inner'));
      }
      function* throwsAtOnce(): Co<number> {
        throw new TypeError('at once');
      }
      const co = coroutineCreate(asBody(function* () {
        try {
          yield* coroutineCall(throwsAtOnce());
        } catch (err) {
          trace.push(`caught ${(err as Error).message}`);
        }
        try {
          yield* coroutineCall(caller());
        } catch (err) {
          trace.push(`caught ${(err as Error).message}`);
        }
        // After the catch the frames still work; an uncaught throw ends the body.
        yield* coroutineCall(failing('outer'));
        trace.push('not reached');
      }));
      coroutineEnter(co);
      expect(trace).toEqual(['caught at once']);
      coroutineEnter(co);
      expect(trace).toEqual(['caught at once', 'finally inner', 'caught inner']);
      expect(coroutineIsTerminated(co)).toBe(false);
      expect(() => coroutineEnter(co)).toThrow('outer');
      expect(trace).toEqual(['caught at once', 'finally inner', 'caught inner', 'finally outer']);
      expect(coroutineIsTerminated(co)).toBe(true);
      expect(inCoroutine()).toBe(false);
    });

    it('/call/delete-while-in-a-frame', () => {
      const before = coroutineStats().live;
      let cleanedUp = false;
      function* waiting(): Co {
        try {
          yield coroutineYield();
        } finally {
          cleanedUp = true;
        }
      }
      const co = coroutineCreate(asBody(function* () {
        yield* coroutineCall(waiting());
      }));
      coroutineEnter(co);
      expect(coroutineStats().live).toBe(before + 1);
      coroutineDelete(co);
      expect(cleanedUp).toBe(false);
      expect(coroutineIsTerminated(co)).toBe(true);
      expect(coroutineStats().live).toBe(before);
      // A pooled context that held frames starts the next body clean.
      let ran = 0;
      const next = coroutineCreate(asBody(function* () {
        ran = yield* coroutineCall((function* (): Co<number> { return 7; })());
      }));
      coroutineEnter(next);
      expect(ran).toBe(7);
    });

    if (options.bodies === 'plain') plainOnlyCases(stress);
  });
}
