/**
 * test-coroutine.c again, with plain-function bodies: the same cases as
 * coroutine-suite.ts, rewritten so that each body is an ordinary function that
 * calls `coroutineYield()` as a blocking call and runs coroutine_fns (locks,
 * sleeps) with `runCoroutineFn`. Only backends whose bodyKinds include 'plain'
 * (threads) run it. Added cases cover what only plain bodies can do: yielding
 * from inside nested plain calls and from deep recursion, mixing plain and
 * generator coroutines, and garbage collection while bodies are suspended.
 * The coroutine cases of test-aio.c and the seeds' patterns follow, with plain
 * bodies waiting through aio_co_schedule, qemu_co_sleep_ns and AIO_WAIT_WHILE.
 */
import {
  AioWaitInCoroutineError,
  QEMU_CLOCK_REALTIME,
  SCALE_MS,
  aioBhScheduleOneshot,
  aioCoEnter,
  aioCoRescheduleSelf,
  aioCoSchedule,
  aioCoWake,
  aioContextNew,
  aioPoll,
  aioWaitWhile,
  coSleepNs,
  coSleepNsWakeable,
  getCurrentAioContext,
  getMainAioContext,
  qemuClockGetNs,
  remoteCoEnter,
  CoMutex,
  CoRwlock,
  CoSleep,
  Coroutine,
  CoroutineAlreadyScheduledError,
  CoroutineLocksHeldError,
  CoroutineReenteredError,
  CoroutineTerminatedError,
  CoroutineYieldToNoOneError,
  UnsupportedBodyError,
  coroutineCreate,
  coroutineEnter,
  coroutineEntered,
  coroutineSelf,
  coroutineStats,
  coroutineWake,
  coroutineYield,
  inCoroutine,
  makeLockable,
  runCoroutineFn,
  supportsPlainBodies,
  useBackend,
  type Co,
  type CoroutineBackend,
  type Lockable,
} from '@qco/core';
import { Worker, isMainThread } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';

/** Options of the plain-body suite. */
export interface PlainSuiteOptions {
  /** Extra label in the describe block (e.g. 'gc-stress'). */
  readonly label?: string;
  /** Called between steps and inside suspended bodies (e.g. `globalThis.gc`) to stress the backend. */
  readonly stress?: () => void;
}

/** Blocking yield for plain bodies (coroutineYield's return value is only for `yield*`). */
function block(): void {
  coroutineYield();
}

/** Register the test-coroutine.c cases, with plain-function bodies, for `backend`. */
export function plainBodyConformance(backend: CoroutineBackend | (() => CoroutineBackend), options: PlainSuiteOptions = {}): void {
  const stress = options.stress ?? (() => {});
  describe(`test-coroutine plain bodies [${typeof backend === 'function' ? 'backend' : backend.name}${options.label ? `, ${options.label}` : ''}]`, () => {
    beforeAll(() => {
      useBackend(typeof backend === 'function' ? backend() : backend);
      expect(supportsPlainBodies()).toBe(true);
    });

    it('/basic/no-dangling-access', () => {
      const c2 = coroutineCreate(() => {
        block();
      });
      const c1 = coroutineCreate((other: Coroutine) => {
        coroutineEnter(other);
      }, c2);
      coroutineEnter(c1);
      expect(c1.terminated).toBe(true);
      const reuse = coroutineCreate(() => {});
      expect(() => coroutineEnter(c1)).toThrow(CoroutineTerminatedError);
      coroutineEnter(c2);
      expect(c2.terminated).toBe(true);
      coroutineEnter(reuse);
      expect(reuse.terminated).toBe(true);
    });

    it('/basic/lifecycle', () => {
      const state = { done: false };
      const setAndExit = (s: { done: boolean }): void => {
        s.done = true;
      };
      coroutineEnter(coroutineCreate(setAndExit, state));
      expect(state.done).toBe(true);
      state.done = false;
      coroutineEnter(coroutineCreate(setAndExit, state));
      expect(state.done).toBe(true);
    });

    it('/basic/yield', () => {
      const state = { done: false };
      const co = coroutineCreate((s: { done: boolean }) => {
        for (let i = 0; i < 5; i++) {
          block();
          stress();
        }
        s.done = true;
      }, state);
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
      function nest(d: typeof nd): void {
        d.nEnter++;
        if (d.nEnter < d.max) coroutineEnter(coroutineCreate(nest, d));
        d.nReturn++;
      }
      coroutineEnter(coroutineCreate(nest, nd));
      expect(nd.nEnter).toBe(128);
      expect(nd.nReturn).toBe(128);
    });

    it('/basic/self', () => {
      const box: { co: Coroutine | null; seen: Coroutine | null } = { co: null, seen: null };
      box.co = coroutineCreate((b: typeof box) => {
        b.seen = coroutineSelf();
      }, box);
      coroutineEnter(box.co);
      expect(box.seen).toBe(box.co);
      expect(coroutineSelf()).not.toBe(box.co);
    });

    it('/basic/entered', () => {
      const checks: boolean[] = [];
      function step2(caller: Coroutine): void {
        checks.push(coroutineEntered(caller), coroutineEntered(coroutineSelf()));
        block();
        checks.push(coroutineEntered(caller), coroutineEntered(coroutineSelf()));
      }
      function step1(): void {
        const self = coroutineSelf();
        checks.push(coroutineEntered(self));
        const co = coroutineCreate(step2, self);
        checks.push(!coroutineEntered(co));
        coroutineEnter(co);
        checks.push(!coroutineEntered(co));
        coroutineEnter(co);
      }
      const co = coroutineCreate(step1);
      expect(coroutineEntered(co)).toBe(false);
      coroutineEnter(co);
      expect(checks).toEqual([true, true, true, true, true, true, true]);
      expect(co.terminated).toBe(true);
    });

    it('/basic/in_coroutine', () => {
      expect(inCoroutine()).toBe(false);
      let inside = false;
      coroutineEnter(
        coroutineCreate(() => {
          inside = inCoroutine();
        }),
      );
      expect(inside).toBe(true);
      expect(inCoroutine()).toBe(false);
    });

    it('/basic/order', () => {
      const records: Array<[number, number]> = [];
      const co = coroutineCreate(() => {
        records.push([2, 1]);
        expect(inCoroutine()).toBe(true);
        block();
        records.push([2, 2]);
        expect(inCoroutine()).toBe(true);
      });
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

    function doTestCoMutex(lockable: Lockable): void {
      const st = { locked: false, done: 0 };
      function body(l: Lockable): void {
        runCoroutineFn(l.lock());
        expect(st.locked).toBe(false);
        st.locked = true;
        block();
        st.locked = false;
        l.unlock();
        st.done++;
      }
      const c1 = coroutineCreate(body, lockable);
      const c2 = coroutineCreate(body, lockable);
      coroutineEnter(c1);
      expect(st.locked).toBe(true);
      coroutineEnter(c2);
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
      const c1 = coroutineCreate(() => {
        runCoroutineFn(lock.rdlock());
        block();
        runCoroutineFn(lock.upgrade());
        lock.unlock();
        done.c1 = true;
      });
      const c2 = coroutineCreate(() => {
        runCoroutineFn(lock.wrlock());
        block();
        lock.unlock();
        done.c2 = true;
      });
      coroutineEnter(c1);
      coroutineEnter(c2);
      coroutineEnter(c1);
      expect(done.c1).toBe(false);
      coroutineEnter(c2);
      expect(done.c1).toBe(true);
      expect(done.c2).toBe(true);
    });

    it('/locking/co-rwlock/downgrade', () => {
      const lock = new CoRwlock();
      const done = { c1: false, c2: false, c3: false, c4: false };
      const c1 = coroutineCreate(() => {
        runCoroutineFn(lock.rdlock());
        block();
        lock.unlock();
        block();
        done.c1 = true;
      });
      const c2 = coroutineCreate(() => {
        runCoroutineFn(lock.wrlock());
        lock.downgrade();
        lock.unlock();
        done.c2 = true;
      });
      const c3 = coroutineCreate(() => {
        runCoroutineFn(lock.rdlock());
        lock.unlock();
        done.c3 = true;
      });
      const c4 = coroutineCreate(() => {
        runCoroutineFn(lock.wrlock());
        lock.unlock();
        done.c4 = true;
      });
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
      w.wake();
      const co = coroutineCreate(() => {
        runCoroutineFn(w.sleep());
        slept = true;
      });
      coroutineEnter(co);
      expect(slept).toBe(true);
      expect(co.terminated).toBe(true);
      let second = false;
      const co2 = coroutineCreate(() => {
        runCoroutineFn(w.sleep());
        second = true;
      });
      coroutineEnter(co2);
      expect(second).toBe(false);
      expect(w.sleeping).toBe(true);
      w.wake();
      expect(second).toBe(true);
    });

    it('/errors/re-entered-recursively', () => {
      let caught: unknown;
      const co: Coroutine = coroutineCreate(() => {
        try {
          coroutineEnter(co);
        } catch (err) {
          caught = err;
        }
      });
      coroutineEnter(co);
      expect(caught).toBeInstanceOf(CoroutineReenteredError);
      expect((caught as Error).message).toBe('Co-routine re-entered recursively');
      let inner: unknown;
      const parent: Coroutine = coroutineCreate(() => {
        coroutineEnter(
          coroutineCreate(() => {
            try {
              coroutineEnter(parent);
            } catch (err) {
              inner = err;
            }
          }),
        );
      });
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
      const co = coroutineCreate(() => {
        runCoroutineFn(w.sleep());
      });
      coroutineEnter(co);
      expect(() => coroutineEnter(co)).toThrow(CoroutineAlreadyScheduledError);
      expect(() => coroutineEnter(co)).toThrow("Co-routine was already scheduled in 'qemu_co_sleep_ns'");
      w.wake();
      expect(co.terminated).toBe(true);
    });

    it('/errors/terminate-holding-comutex', () => {
      const m = new CoMutex();
      const co = coroutineCreate(() => {
        runCoroutineFn(m.lock());
      });
      expect(() => coroutineEnter(co)).toThrow(CoroutineLocksHeldError);
      expect(co.terminated).toBe(true);
      const rw = new CoRwlock();
      expect(() =>
        coroutineEnter(
          coroutineCreate(() => {
            runCoroutineFn(rw.rdlock());
          }),
        ),
      ).toThrow('Co-routine terminated while holding 1 lock (CoMutex / CoRwlock)');
    });

    it('/errors/exception-propagates-to-enterer', () => {
      const co = coroutineCreate(() => {
        block();
        throw new RangeError('boom from the body');
      });
      coroutineEnter(co);
      expect(() => coroutineEnter(co)).toThrow('boom from the body');
      expect(co.terminated).toBe(true);
      expect(() =>
        coroutineEnter(
          coroutineCreate(() => {
            coroutineEnter(
              coroutineCreate(() => {
                throw new TypeError('deep');
              }),
            );
          }),
        ),
      ).toThrow('deep');
      let ran = false;
      coroutineEnter(
        coroutineCreate(() => {
          ran = true;
        }),
      );
      expect(ran).toBe(true);
      expect(inCoroutine()).toBe(false);
    });

    it('/policy/wake-up-queue-is-depth-first', () => {
      const trace: string[] = [];
      const mk = (name: string, wakes: Coroutine[] = []) =>
        coroutineCreate(() => {
          trace.push(`${name}:start`);
          for (const w of wakes) coroutineWake(w);
          block();
          trace.push(`${name}:end`);
        });
      const b1 = mk('b1');
      const b2 = mk('b2');
      const a1 = mk('a1', [b1]);
      const a2 = mk('a2', [b2]);
      const root = mk('root', [a1, a2]);
      coroutineEnter(root);
      expect(trace).toEqual(['root:start', 'a1:start', 'b1:start', 'a2:start', 'b2:start']);
    });

    it('/policy/pool-reuses-contexts', () => {
      const before = coroutineStats();
      for (let i = 0; i < 1000; i++) coroutineEnter(coroutineCreate(() => {}));
      const after = coroutineStats();
      expect(after.live).toBe(before.live);
      expect(after.pooled).toBeGreaterThan(0);
      expect(after.pooled).toBeLessThanOrEqual(after.poolMax);
    });

    it('/policy/values-cross-yields', () => {
      const holders: Array<{ co: Coroutine; out: number[] }> = [];
      for (let i = 0; i < 2000; i++) {
        const out: number[] = [];
        const co = coroutineCreate((n: number) => {
          const mine = { n, list: Array.from({ length: 8 }, (_, k) => n * 8 + k) };
          for (let k = 0; k < 3; k++) {
            block();
            out.push(mine.list.reduce((a, b) => a + b, 0) + mine.n);
          }
        }, i);
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

    // --- What only plain bodies can do ----------------------------------------

    it('/plain/yield-from-nested-calls', () => {
      const trace: string[] = [];
      const leaf = (tag: string): number => {
        trace.push(`${tag}:before`);
        block();
        stress();
        trace.push(`${tag}:after`);
        return tag.length;
      };
      const middle = (tag: string): number => leaf(`${tag}.m`) + leaf(`${tag}.n`);
      const outer = (): number => [middle('a'), middle('b')].reduce((x, y) => x + y, 0);
      let result = 0;
      const co = coroutineCreate(() => {
        result = outer();
      });
      let entries = 0;
      while (!co.terminated) {
        coroutineEnter(co);
        entries++;
      }
      expect(entries).toBe(5);
      expect(result).toBe(12);
      expect(trace).toEqual([
        'a.m:before',
        'a.m:after',
        'a.n:before',
        'a.n:after',
        'b.m:before',
        'b.m:after',
        'b.n:before',
        'b.n:after',
      ]);
    });

    it('/plain/yield-from-recursion', () => {
      // Every level keeps locals live across the yield at the bottom.
      const descend = (depth: number, acc: number[]): number => {
        const here = { depth, tag: `level-${depth}` };
        if (depth === 0) {
          block();
          stress();
          block();
          return 0;
        }
        acc.push(depth);
        const below = descend(depth - 1, acc);
        return below + here.depth + (here.tag === `level-${depth}` ? 0 : 1e9);
      };
      let sum = -1;
      const co = coroutineCreate(() => {
        sum = descend(200, []);
      });
      coroutineEnter(co);
      coroutineEnter(co);
      expect(sum).toBe(-1);
      coroutineEnter(co);
      expect(sum).toBe((200 * 201) / 2);
      expect(co.terminated).toBe(true);
    });

    it('/plain/run-coroutine-fn', () => {
      function* waitTwice(tag: string): Co<string> {
        yield* coroutineYield();
        yield* coroutineYield();
        return `${tag}!`;
      }
      let got = '';
      const co = coroutineCreate(() => {
        got = runCoroutineFn(waitTwice('fn'));
      });
      coroutineEnter(co);
      coroutineEnter(co);
      expect(got).toBe('');
      coroutineEnter(co);
      expect(got).toBe('fn!');
      expect(() => runCoroutineFn(waitTwice('outside'))).toThrow(/plain coroutine bodies/);
    });

    it('/plain/mixed-with-generator-bodies', () => {
      const trace: string[] = [];
      const gen = coroutineCreate(function* () {
        trace.push('gen:1');
        yield* coroutineYield();
        trace.push('gen:2');
      });
      const plain = coroutineCreate(() => {
        trace.push('plain:1');
        coroutineEnter(gen);
        block();
        trace.push('plain:2');
        coroutineEnter(gen);
      });
      const outerGen = coroutineCreate(function* () {
        coroutineEnter(plain);
        yield* coroutineYield();
        coroutineEnter(plain);
      });
      coroutineEnter(outerGen);
      coroutineEnter(outerGen);
      expect(trace).toEqual(['plain:1', 'gen:1', 'plain:2', 'gen:2']);
      expect(gen.terminated && plain.terminated && outerGen.terminated).toBe(true);
    });

    it('/plain/generator-body-still-needs-yield-star', () => {
      // A plain body is detected at create; a generator function is not mistaken for one.
      let ran = false;
      const co = coroutineCreate(function* () {
        ran = true;
        yield* coroutineYield();
      });
      coroutineEnter(co);
      expect(ran).toBe(true);
      expect(co.terminated).toBe(false);
      coroutineEnter(co);
      expect(co.terminated).toBe(true);
      expect(UnsupportedBodyError).toBeTypeOf('function');
    });
  });

  describe(`test-aio plain bodies [${typeof backend === 'function' ? 'backend' : backend.name}${options.label ? `, ${options.label}` : ''}]`, () => {
    beforeAll(() => {
      useBackend(typeof backend === 'function' ? backend() : backend);
      while (aioPoll(getMainAioContext(), false));
    });

    it('/aio/coroutine/queue-chaining', () => {
      const ctx = getMainAioContext();
      interface ChainData {
        other: Coroutine | null;
        i: number;
        max: number;
      }
      const chain = (data: ChainData): void => {
        for (data.i = 0; data.i < data.max; data.i++) {
          aioCoEnter(ctx, data.other as Coroutine);
          block();
        }
      };
      const dataA: ChainData = { other: null, i: 0, max: 25_000 };
      const dataB: ChainData = { other: null, i: 0, max: 25_000 };
      dataB.other = coroutineCreate(chain, dataA);
      dataA.other = coroutineCreate(chain, dataB);
      coroutineEnter(dataB.other);
      expect(dataA.i).toBe(dataA.max);
      expect(dataB.i).toBe(dataB.max - 1);
      coroutineEnter(dataA.other);
      expect(dataB.i).toBe(dataB.max);
    });

    it('/aio/coroutine/worker-thread-co-enter', () => {
      const ctx = getMainAioContext();
      let ranOnMain = false;
      const co = coroutineCreate(() => {
        ranOnMain = isMainThread && getCurrentAioContext() === getMainAioContext();
      });
      const remote = remoteCoEnter(ctx, co);
      const done = new Int32Array(new SharedArrayBuffer(4));
      const w = new Worker(
        `const { workerData: d } = require('node:worker_threads');
         d.h.port.postMessage(0); Atomics.add(d.h.wake, 0, 1); Atomics.notify(d.h.wake, 0);
         Atomics.store(d.done, 0, 1); Atomics.notify(d.done, 0);`,
        { eval: true, workerData: { h: remote.handle, done }, transferList: [remote.handle.port] as never },
      );
      const until = Date.now() + 10_000;
      while (Atomics.load(done, 0) === 0 && Date.now() < until) Atomics.wait(done, 0, 0, 100);
      void w.terminate();
      expect(aioPoll(ctx, true)).toBe(true);
      expect(ranOnMain).toBe(true);
      expect(co.terminated).toBe(true);
    });

    it('/aio/co-schedule/fifo and reschedule-self', () => {
      const ctx = getMainAioContext();
      const order: string[] = [];
      const other = aioContextNew({ attach: false, name: 'iothread' });
      const where = (): string => (getCurrentAioContext() === other ? 'io' : 'main');
      const mk = (s: string) =>
        coroutineCreate(() => {
          order.push(`${s}@${where()}`);
          runCoroutineFn(aioCoRescheduleSelf(other));
          order.push(`${s}@${where()}`);
        });
      const cos = ['x', 'y', 'z'].map(mk);
      for (const co of cos) aioCoSchedule(ctx, co);
      expect(aioPoll(ctx, false)).toBe(true);
      expect(order).toEqual(['x@main', 'y@main', 'z@main']);
      expect(aioPoll(other, false)).toBe(true);
      expect(order).toEqual(['x@main', 'y@main', 'z@main', 'x@io', 'y@io', 'z@io']);
      expect(cos.every((c) => c.terminated)).toBe(true);
      other.destroy();
    });

    it('/aio/co-enter/rules', () => {
      const ctx = getMainAioContext();
      const other = aioContextNew({ attach: false, name: 'iothread' });
      const log: string[] = [];
      aioCoEnter(
        ctx,
        coroutineCreate(() => {
          log.push('direct');
        }),
      );
      expect(log).toEqual(['direct']);
      const far = coroutineCreate(() => {
        log.push('far');
        block();
        log.push('far-woken');
      });
      aioCoEnter(other, far);
      expect(far.scheduled).toBe('aio_co_schedule');
      aioPoll(other, true);
      expect(log).toEqual(['direct', 'far']);
      aioCoWake(far);
      expect(far.scheduled).toBe('aio_co_schedule');
      aioPoll(other, true);
      expect(log).toEqual(['direct', 'far', 'far-woken']);
      const inner = coroutineCreate(() => {
        log.push('inner');
      });
      coroutineEnter(
        coroutineCreate(() => {
          aioCoEnter(ctx, inner);
          log.push('outer-continues');
        }),
      );
      expect(log.slice(-2)).toEqual(['outer-continues', 'inner']);
      other.destroy();
    });

    it('/aio/co-sleep/ns and wakeable', () => {
      const c = aioContextNew({ attach: false });
      const w = new CoSleep();
      const log: string[] = [];
      const start = qemuClockGetNs(QEMU_CLOCK_REALTIME);
      const sleeper = coroutineCreate(() => {
        runCoroutineFn(coSleepNs(QEMU_CLOCK_REALTIME, 20 * SCALE_MS));
        stress();
        log.push(qemuClockGetNs(QEMU_CLOCK_REALTIME) - start >= 20 * SCALE_MS ? 'slept' : 'early');
        runCoroutineFn(coSleepNsWakeable(w, QEMU_CLOCK_REALTIME, 3600e9));
        log.push('woken');
      });
      aioCoSchedule(c, sleeper);
      aioWaitWhile(c, () => log.length < 1);
      expect(log).toEqual(['slept']);
      expect(sleeper.scheduled).toBe('qemu_co_sleep_ns');
      // Woken from outside its context: aio_co_wake's rule brings it back into
      // `c` (entered at once or scheduled there, depending on where we are).
      w.wake();
      aioWaitWhile(c, () => log.length < 2);
      expect(log).toEqual(['slept', 'woken']);
      expect(c.timerDeadlineNs()).toBe(-1);
      c.destroy();
    });

    it('/aio/wait-while/coroutine misuse', () => {
      const c = aioContextNew({ attach: false });
      let err: unknown;
      coroutineEnter(
        coroutineCreate(() => {
          try {
            aioWaitWhile(c, () => true);
          } catch (e) {
            err = e;
          }
        }),
      );
      expect(err).toBeInstanceOf(AioWaitInCoroutineError);
      c.destroy();
    });

    it('/seeds/snapshot: a BH enters a coroutine that yields until a timer wakes it', async () => {
      const main = getMainAioContext();
      const log: string[] = [];
      const job = { ret: -1, co: null as Coroutine | null };
      const done = new Promise<void>((resolve) => {
        const run = coroutineCreate(() => {
          job.co = coroutineSelf();
          log.push('job-run');
          aioBhScheduleOneshot(
            main,
            () => {
              log.push('save-bh');
              aioCoEnter(
                main,
                coroutineCreate(() => {
                  log.push('save-co');
                  runCoroutineFn(coSleepNs(QEMU_CLOCK_REALTIME, 5 * SCALE_MS));
                  log.push('save-co-woken');
                  job.ret = 0;
                  aioCoWake(job.co as Coroutine);
                }),
              );
            },
            null,
          );
          block();
          log.push(`job-done ret=${job.ret}`);
          resolve();
        });
        aioCoEnter(main, run);
      });
      await done;
      expect(log).toEqual(['job-run', 'save-bh', 'save-co', 'save-co-woken', 'job-done ret=0']);
    });

    it('/seeds/hmp: a synchronous caller waits with AIO_WAIT_WHILE on a coroutine', () => {
      const data = { done: false, steps: 0 };
      const co = coroutineCreate((d: typeof data) => {
        for (let i = 0; i < 3; i++) {
          runCoroutineFn(coSleepNs(QEMU_CLOCK_REALTIME, 2 * SCALE_MS));
          d.steps++;
        }
        d.done = true;
      }, data);
      aioCoEnter(getMainAioContext(), co);
      aioWaitWhile(null, () => !data.done);
      expect(data.steps).toBe(3);
      expect(co.terminated).toBe(true);
    });
  });
}
