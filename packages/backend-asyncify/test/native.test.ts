// @qco/conformance's C suite (test-coroutine.c's cases with C bodies, the same
// source the native backends run) compiled into the wasm module, each case run
// in the leader's place, and C bodies that suspend the JavaScript coroutine
// from deep inside nested C calls and C coroutines.
import { CoMutex, coroutineCreate, coroutineEnter, coroutineIsTerminated, coroutineYield, nativeCall, nativeMutex, useBackend } from '@qco/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAsyncifyBackend, type AsyncifyBackend } from '../src/index.js';
import { nativeWaitInCCoroutineCase, runToEnd } from '@qco/conformance';

let backend: AsyncifyBackend;

/** Run one C test case; returns the failing line or 0. */
function cCase(name: string, args: number[] = []): number {
  return runToEnd(() => nativeCall(name, args)).value;
}

describe('test-coroutine [asyncify, C bodies]: @qco/conformance csrc/native-suite.c', () => {
  beforeAll(() => {
    backend = createAsyncifyBackend();
    useBackend(backend);
  });

  // The case list comes from the module; the suite is the one the native backends run.
  const cases = createAsyncifyBackend().internals.suiteCases();
  it('has the whole C suite', () => {
    expect(cases).toEqual(expect.arrayContaining(['/basic/yield', '/basic/nesting', '/native/yield-to-no-one', '/native/yield-from-depth-100', '/native/10000-live']));
  });
  for (const name of cases) it(name, () => expect(backend.internals.runSuiteCase(name)).toBe(''));

  it('10,000 live C coroutines grow linear memory', () => {
    const before = backend.internals.memoryBytes();
    backend.internals.runSuiteCase('/native/10000-live');
    expect(backend.internals.memoryBytes()).toBeGreaterThanOrEqual(before);
    expect(before).toBeGreaterThan(10_000 * 12_288);
  });
  it('the perf loops run to completion', () => {
    expect(cCase('perf_yield', [1000])).toBe(0);
    expect(cCase('perf_lifecycle', [1000])).toBe(0);
    expect(cCase('perf_cost', [1000])).toBe(0);
    expect(cCase('perf_function_call', [1000])).toBe(1000);
  });
});

describe('native calls from JavaScript coroutines [asyncify]', () => {
  beforeAll(() => {
    backend = createAsyncifyBackend();
    useBackend(backend);
  });

  it('lists its native functions', () => {
    expect(backend.native.functions).toContain('deep_yield');
    expect(backend.native.functions).toContain('nested_wait');
  });

  it('a call that never yields returns at once', () => {
    const r = runToEnd(() => nativeCall('add', [40, 2]));
    expect(r).toEqual({ value: 42, yields: 0 });
  });

  it('each native yield from depth 16 is a yield of the JavaScript coroutine', () => {
    const r = runToEnd(() => nativeCall('deep_yield', [16, 5]));
    expect(r.yields).toBe(5);
    expect(r.value).toBe((16 * 17) / 2);
  });

  nativeWaitInCCoroutineCase(() => undefined);

  it('a Uint8Array argument is lent to the C function and written back', () => {
    const buf = new Uint8Array(300);
    const r = runToEnd(() => nativeCall('fill', [buf, 7]));
    expect(r.value).toBe(300);
    expect([buf[0], buf[1], buf[255], buf[299]]).toEqual([7, 8, (7 + 255) & 255, (7 + 299) & 255]);
    expect(backend.internals.liveContexts()).toBe(0);
  });

  it('interleaved native calls keep their own stacks', () => {
    const results: number[] = [];
    const cos = [8, 16, 24, 40].map((depth) =>
      coroutineCreate(function* () {
        results.push(yield* nativeCall('deep_yield', [depth, 3]));
      }),
    );
    for (let round = 0; round < 4; round++) for (const co of cos) if (!coroutineIsTerminated(co)) coroutineEnter(co);
    expect(results).toEqual([8, 16, 24, 40].map((d) => (d * (d + 1)) / 2));
    expect(cos.every((c) => coroutineIsTerminated(c))).toBe(true);
  });

  it('C bodies take a CoMutex and yield while holding it', () => {
    const ex = backend.internals.exports;
    const counter = ex.qco_scratch?.() ?? 0;
    expect(counter).toBeGreaterThan(0);
    new Int32Array(ex.memory.buffer)[counter >> 2] = 0;
    const seen: number[] = [];
    const mutexId = 7;
    expect(nativeMutex(mutexId)).toBeInstanceOf(CoMutex);
    const cos = [0, 1, 2].map(() =>
      coroutineCreate(function* () {
        seen.push(yield* nativeCall('locked_bump', [mutexId, counter, 2]));
      }),
    );
    for (let i = 0; i < 10 && !cos.every((c) => coroutineIsTerminated(c)); i++) for (const co of cos) if (!coroutineIsTerminated(co)) coroutineEnter(co);
    expect(cos.every((c) => coroutineIsTerminated(c))).toBe(true);
    // Under the lock, each call saw the previous one's increment.
    expect(seen).toEqual([0, 1, 2]);
    expect(new Int32Array(ex.memory.buffer)[counter >> 2]).toBe(3);
  });

  it('a JavaScript coroutine yields between native calls and around them', () => {
    const r = runToEnd(function* () {
      yield* coroutineYield();
      const a = yield* nativeCall('deep_yield', [4, 1]);
      yield* coroutineYield();
      return a + (yield* nativeCall('add', [1, 1]));
    });
    expect(r).toEqual({ value: 12, yields: 3 });
  });

  it('an unknown function is refused with the list of known ones', () => {
    expect(() => runToEnd(() => nativeCall('no_such_fn'))).toThrow(/no native function "no_such_fn"; it has: .*deep_yield/);
  });

  it('cancelling a suspended call frees it', () => {
    const h = backend.native.start('deep_yield', [8, 2]);
    const step = backend.native.resume(h, 0);
    expect(step.done).toBe(false);
    backend.native.cancel(h);
    expect(() => backend.native.resume(h, 0)).toThrow(/not live/);
  });
});
