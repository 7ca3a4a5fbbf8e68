/**
 * The suite both native backends run beside the shared conformance suite: the
 * test-coroutine.c cases with C bodies (@qco/conformance's csrc/native-suite.c, run in the addon), C
 * bodies driven from JavaScript coroutines through the core's nativeCall (yields
 * from nested C calls, non-blocking I/O that waits for the event loop, sleeps,
 * CoMutex waits, cancel), GC stress with thousands of live contexts, the guard
 * page report, and "not available" instead of a crash when the addon is missing.
 */
import { spawnSync } from 'node:child_process';
import { closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { enterUntilDone, nativeWaitInCCoroutineCase } from '@qco/conformance';
import { coroutineCreate, coroutineDelete, coroutineEnter, CoroutineError, coroutineIsTerminated, coroutineRun, coroutineSelf, coroutineYield, nativeCall, registerBackend, setNativeWaitServer, useBackend, type Co, type Coroutine, type NativeWaitServer } from '@qco/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeBackendModule } from './backend-module.js';
import { nativeBackendModule } from './backend-module.js';
import { openFifo } from './testing.js';
import type { NativeAddon } from './addon.js';

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('the GC stress cases need node --expose-gc');
  g();
}

/** C bodies write `total` pattern bytes into a pipe and sum them from the other end, each side in a coroutine of its own; both sides' results are checked. */
async function fdRoundTrip(total: number): Promise<void> {
  const fifo = openFifo();
  let expectedSum = 0;
  for (let i = 0; i < total; i++) expectedSum += i % 251;
  try {
    const reader = coroutineRun(function* () {
      return yield* nativeCall('fd_read_sum', [fifo.readFd]);
    });
    const writer = coroutineRun(function* () {
      const n = yield* nativeCall('fd_write_pattern', [fifo.writeFd, total]);
      closeSync(fifo.writeFd);
      return n;
    });
    expect(await writer).toBe(total);
    expect(await reader).toBe(expectedSum);
  } finally {
    fifo.close();
  }
}

/**
 * Serves native fd and timer waits until an AioContext does: the "completion
 * handler" is a poll of the fd from the event loop that re-enters the waiter.
 */
function pollingWaitServer(addon: NativeAddon): NativeWaitServer {
  return {
    *waitFd(fd, events): Co<number> {
      const co = coroutineSelf();
      const ev = events === 'read' ? 1 : 2;
      const check = (): void => {
        if (addon.pollFd(fd, ev) !== 0) coroutineEnter(co);
        else setTimeout(check, 1);
      };
      setImmediate(check);
      yield* coroutineYield();
      return 0;
    },
    *sleepNs(ns): Co<number> {
      const co = coroutineSelf();
      setTimeout(() => coroutineEnter(co), Math.max(0, ns / 1e6));
      yield* coroutineYield();
      return 0;
    },
  };
}

/** Register the native-backend suite for `mod` with vitest. */
export function nativeBackendSuite(mod: NativeBackendModule): void {
  describe(`native suite [${mod.backendName}]`, () => {
    it('the addon is built and loads', () => {
      expect(mod.unavailableReason()).toBe('');
      expect(mod.isAvailable()).toBe(true);
      // Under test-node24.mjs: the build made against that Node's own headers is the one loaded.
      const dir = process.env['QCO_EXPECT_ADDON_DIR'];
      if (dir !== undefined) expect(mod.addonPath()).toContain(`/${dir}/`);
    });

    const addon = () => {
      const a = mod.addon();
      if (a === null) throw new Error(`addon not available: ${mod.unavailableReason()}`);
      return a;
    };

    describe('test-coroutine.c with C bodies', () => {
      const cases = mod.addon()?.nativeCases() ?? ['(addon missing)'];
      for (const name of cases) {
        it(name, () => {
          expect(addon().runNativeCase(name)).toBe('');
        });
      }
    });

    describe('C bodies from JavaScript coroutines (nativeCall)', () => {
      beforeAll(() => {
        useBackend(mod.createBackend());
        setNativeWaitServer(pollingWaitServer(addon()));
      });
      afterAll(() => setNativeWaitServer(undefined));

      it('/native-call/yield: each native yield is a yield of the JS coroutine', () => {
        const out: number[] = [];
        const co = coroutineCreate(function* () {
          out.push(yield* nativeCall('yield_n', [5]));
        });
        expect(enterUntilDone(co)).toBe(6);
        expect(out).toEqual([5]);
      });

      it('/native-call/yield-from-depth-16', () => {
        const out: number[] = [];
        const co = coroutineCreate(function* () {
          out.push(yield* nativeCall('nested_yield', [16, 3]));
        });
        expect(enterUntilDone(co)).toBe(4);
        expect(out).toEqual([(16 * 17) / 2 + 3]);
      });

      nativeWaitInCCoroutineCase(() => pollingWaitServer(addon()));

      it('/native-call/nesting: 128 nested JS coroutines each running a C body', () => {
        const d = { nEnter: 0, nReturn: 0, sum: 0 };
        function* nest(): Co {
          d.nEnter++;
          d.sum += yield* nativeCall('nested_yield', [4, 0]);
          if (d.nEnter < 128) coroutineEnter(coroutineCreate(nest));
          d.nReturn++;
        }
        coroutineEnter(coroutineCreate(nest));
        expect(d).toEqual({ nEnter: 128, nReturn: 128, sum: 128 * 10 });
      });

      it('/native-call/self: a C body runs in a coroutine of its own', () => {
        const co = coroutineCreate(function* () {
          const v = yield* nativeCall('self_id', []);
          expect(v % 2).toBe(1);
        });
        coroutineEnter(co);
        expect(coroutineIsTerminated(co)).toBe(true);
      });

      it('/native-call/unknown-function', () => {
        const co = coroutineCreate(function* () {
          yield* nativeCall('no_such_function', []);
        });
        expect(() => coroutineEnter(co)).toThrow(CoroutineError);
      });

      it('/native-call/fd: non-blocking read and write that yield until the fd is ready', async () => {
        // Far more than a pipe holds: both sides must wait.
        await fdRoundTrip(1 << 20);
      });

      it('/native-call/fd-through-the-aio-context: the same routines with the event loop layer serving the waits', async () => {
        setNativeWaitServer(undefined);
        try {
          await fdRoundTrip(256 * 1024);
        } finally {
          setNativeWaitServer(pollingWaitServer(addon()));
        }
      });

      it('/native-call/sleep', async () => {
        let after = false;
        const done = coroutineRun(function* () {
          const r = yield* nativeCall('sleep_ns', [2_000_000]);
          after = true;
          return r;
        });
        expect(after).toBe(false);
        expect(await done).toBe(0);
        expect(after).toBe(true);
      });

      it('/native-call/co-mutex: C bodies wait for a CoMutex held across yields', () => {
        const results: number[] = [];
        const cos = [0, 1, 2].map(() =>
          coroutineCreate(function* () {
            results.push(yield* nativeCall('locked_increment', [77, 2]));
          }),
        );
        const reset = coroutineCreate(function* () {
          yield* nativeCall('counter_reset', []);
        });
        coroutineEnter(reset);
        for (let round = 0; round < 10; round++) for (const co of cos) if (!coroutineIsTerminated(co)) coroutineEnter(co);
        expect(cos.every((co) => coroutineIsTerminated(co))).toBe(true);
        expect(results.sort()).toEqual([1, 2, 3]);
      });

      it('/native-call/exception-leaves-context-reusable', () => {
        const before = addon().stats().live;
        const co = coroutineCreate(function* () {
          yield* nativeCall('yield_n', [3]);
          throw new RangeError('after native');
        });
        expect(() => enterUntilDone(co)).toThrow('after native');
        expect(addon().stats().live).toBe(before);
      });

      it('/native-call/c-coroutines-end-with-the-call: suspended C coroutines a call made are freed when it returns or is cancelled', () => {
        const rt = mod.createBackend().native;
        if (rt === undefined) throw new Error('no native runtime');
        const before = addon().stats().live;
        const done = rt.start('spawn_suspended', [20, 0]);
        expect(rt.resume(done, 0)).toEqual({ done: true, value: 20 });
        expect(addon().stats().live).toBe(before);
        const cancelled = rt.start('spawn_suspended', [20, 1]);
        expect(rt.resume(cancelled, 0)).toEqual({ done: false, request: { kind: 'yield' } });
        expect(addon().stats().live).toBe(before + 21);
        rt.cancel(cancelled);
        expect(addon().stats().live).toBe(before);
      });

      it('/native-call/cancel: a native context abandoned mid-body is reclaimed', () => {
        const rt = mod.createBackend().native;
        if (rt === undefined) throw new Error('no native runtime');
        const before = addon().stats().live;
        const h = rt.start('yield_n', [10]);
        expect(rt.resume(h, 0)).toEqual({ done: false, request: { kind: 'yield' } });
        rt.cancel(h);
        expect(addon().stats().live).toBe(before);
        expect(() => rt.resume(h, 0)).toThrow();
      });
    });

    describe('GC stress', () => {
      it('/gc/thousands-of-contexts-hold-objects-across-yields', () => {
        useBackend(mod.createBackend());
        const n = 3000;
        const outs: number[][] = [];
        const cos: Coroutine[] = [];
        for (let i = 0; i < n; i++) {
          const out: number[] = [];
          outs.push(out);
          cos.push(
            coroutineCreate(function* (k: number) {
              const held = { k, list: Array.from({ length: 16 }, (_, j) => ({ v: k * 16 + j })), text: `co-${k}` };
              for (let r = 0; r < 3; r++) {
                yield* coroutineYield();
                out.push(held.list.reduce((a, b) => a + b.v, 0) + Number(held.text.slice(3)));
              }
            }, i),
          );
        }
        for (let round = 0; round < 4; round++) {
          for (let i = 0; i < n; i++) {
            coroutineEnter(cos[i]);
            if (i % 500 === 0) gc();
          }
          gc();
        }
        outs.forEach((out, k) => {
          const want = 256 * k + 120 + k;
          expect(out).toEqual([want, want, want]);
        });
        expect(cos.every((co) => coroutineIsTerminated(co))).toBe(true);
      });

      it('/gc/collections-inside-steps', () => {
        useBackend(mod.createBackend());
        const seen: string[] = [];
        const co = coroutineCreate(function* () {
          for (let i = 0; i < 20; i++) {
            const obj = { i, s: `${'x'.repeat(100)}${i}` };
            gc();
            yield* coroutineYield();
            seen.push(obj.s.slice(100));
          }
        });
        enterUntilDone(co);
        expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
      });
    });

    it('/native/misuse-throws-instead-of-crashing', () => {
      const a = addon();
      const id = a.newContext();
      expect(() => a.complete(id, 1)).toThrow(/not waiting for a step/);
      expect(() => a.resume(id, 0)).toThrow(/not a suspended native function/);
      expect(() => a.enter(1 << 30)).toThrow(/no such native context/);
      expect(a.enter(id)).toBe(4); // asks for a step
      expect(() => a.enter(id)).toThrow(/not a suspended JavaScript context/);
      expect(() => a.deleteContext(id)).toThrow(/running/);
      expect(a.complete(id, 1)).toBe(1); // yielded
      a.deleteContext(id); // suspended mid-body: its frames are dropped
      expect(() => a.deleteContext(id)).toThrow(/no such native context/);
      expect(() => a.start(-1, [])).toThrow(RangeError);
    });

    it('/native/generator-bodies-take-no-native-context', () => {
      const b = mod.createBackend();
      expect(b.stepsOnCallerStack).toBe(true);
      useBackend(b);
      const before = addon().stats().live;
      const cos = Array.from({ length: 1000 }, () =>
        coroutineCreate(function* () {
          yield coroutineYield();
        }),
      );
      for (const co of cos) coroutineEnter(co);
      expect(addon().stats().live).toBe(before);
      for (const co of cos) coroutineEnter(co);
      expect(cos.every((co) => coroutineIsTerminated(co))).toBe(true);
    });

    it('/leaks/abandoned-native-calls-are-reclaimed', async () => {
      // Coroutines dropped while a C body is suspended in them: its native context
      // (an mmap'd stack) is cancelled once the coroutine is collected. Two rounds of
      // 12,000: without reclaiming, the second would run out of mappings.
      useBackend(mod.createBackend());
      const before = addon().stats().live;
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 12_000; i++) {
          coroutineEnter(
            coroutineCreate(function* () {
              yield* nativeCall('yield_n', [2]);
            }),
          );
        }
        expect(addon().stats().live).toBe(before + 12_000);
        for (let i = 0; i < 100 && addon().stats().live > before; i++) {
          gc();
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(addon().stats().live).toBe(before);
      }
    });

    it('/leaks/deleted-coroutine-cancels-its-native-call', () => {
      useBackend(mod.createBackend());
      const before = addon().stats().live;
      const co = coroutineCreate(function* () {
        yield* nativeCall('yield_n', [5]);
      });
      coroutineEnter(co);
      expect(addon().stats().live).toBe(before + 1);
      coroutineDelete(co);
      expect(addon().stats().live).toBe(before);
    });

    it('/native/stack-size-is-configurable', () => {
      const a = addon();
      const before = a.stackSize();
      try {
        mod.createBackend({ stackSize: 256 * 1024 });
        expect(a.stackSize()).toBe(256 * 1024);
        // Contexts made from now on get the smaller stack and still run nested C code.
        expect(a.runNativeCase('/native/yield-from-depth-16')).toBe('');
      } finally {
        a.stackSize(before);
      }
      expect(a.stackSize()).toBe(before);
    });

    it('/native/stack-overflow-is-reported', () => {
      const file = mod.addonPath();
      expect(file).not.toBeNull();
      const script = `
        const a = require(${JSON.stringify(file)});
        if (!a.enableOverflowCheck()) process.exit(3);
        const h = a.start(a.functions().indexOf('overflow_stack'), []);
        a.resume(h, 0);
        process.exit(4);`;
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: tmpdir(), timeout: 60_000 });
      expect(r.stderr).toMatch(/qco: coroutine #\d+ \(native function overflow_stack\) overflowed its stack of \d+ bytes/);
      expect(r.signal).toBe('SIGABRT');
    });

    it('/selection/not-available-is-an-error-not-a-crash', () => {
      const missing = nativeBackendModule(`${mod.backendName}-unbuilt`, () => tmpdir(), 'qco_no_such_addon');
      expect(missing.isAvailable()).toBe(false);
      expect(missing.unavailableReason()).toMatch(/not built/);
      registerBackend(missing);
      expect(() => useBackend(`${mod.backendName}-unbuilt`)).toThrow(`"${mod.backendName}-unbuilt" backend requested but not available`);
    });
  });
}
