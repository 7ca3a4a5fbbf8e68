// test-coroutine.c's cases with C bodies compiled into the wasm module, each run
// from a JavaScript coroutine with `yield* nativeCall(...)` (0 means passed, else
// the C line that failed), and C bodies that suspend the JavaScript coroutine
// from deep inside nested C calls and C coroutines.
import { CoMutex, coroutineCreate, coroutineEnter, coroutineIsTerminated, coroutineYield, nativeCall, nativeMutex, useBackend, type Co, type Coroutine } from '@qco/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAsyncifyBackend, type AsyncifyBackend } from '../src/index.js';

let backend: AsyncifyBackend;

/** Run `fn` as a coroutine to its end (entering it again while it yields); returns its result and how many yields it made. */
function runToEnd<T>(fn: () => Co<T>): { value: T; yields: number } {
  let value: T | undefined;
  const co: Coroutine = coroutineCreate(function* () {
    value = yield* fn();
  });
  let yields = -1;
  while (!coroutineIsTerminated(co)) {
    coroutineEnter(co);
    yields++;
  }
  return { value: value as T, yields };
}

/** Run one C test case; returns the failing line or 0. */
function cCase(name: string, args: number[] = []): number {
  return runToEnd(() => nativeCall(name, args)).value;
}

describe('test-coroutine [asyncify, C bodies]', () => {
  beforeAll(() => {
    backend = createAsyncifyBackend();
    useBackend(backend);
  });

  it('/basic/no-dangling-access', () => expect(cCase('test_no_dangling_access')).toBe(0));
  it('/basic/lifecycle', () => expect(cCase('test_lifecycle')).toBe(0));
  it('/basic/yield', () => expect(cCase('test_yield')).toBe(0));
  it('/basic/nesting', () => expect(cCase('test_nesting', [128])).toBe(0));
  it('/basic/self', () => expect(cCase('test_self')).toBe(0));
  it('/basic/entered', () => expect(cCase('test_entered')).toBe(0));
  it('/basic/in_coroutine', () => expect(cCase('test_in_coroutine')).toBe(0));
  it('/basic/order', () => expect(cCase('test_order')).toBe(0));
  it('/errors/abort-conditions', () => expect(cCase('test_errors')).toBe(0));
  it('yield from depth 16 and 100 of nested C calls', () => {
    expect(cCase('test_yield_from_depth', [16])).toBe(0);
    expect(cCase('test_yield_from_depth', [100])).toBe(0);
  });
  it('10,000 live C coroutines', () => {
    const before = backend.internals.memoryBytes();
    expect(cCase('test_many_live', [10_000])).toBe(0);
    expect(backend.internals.memoryBytes()).toBeGreaterThan(before);
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
    expect(backend.native.functions).toContain('test_nesting');
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

  it('a C coroutine inside the call yields to JavaScript from depth 32', () => {
    const r = runToEnd(() => nativeCall('nested_native_yield', [32, 4]));
    expect(r.yields).toBe(4);
    expect(r.value).toBe((32 * 33) / 2);
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
    const counter = ex.qco_scratch();
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
