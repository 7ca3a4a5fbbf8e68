// Overflows are caught before they reach memory outside the context's block: a C
// shadow stack that would pass its bound, an unwound call stack that does not fit
// the asyncify data region. Each is a clear error for the enterer, the
// neighbouring contexts are intact, and the backend stays usable.
import { coroutineCreate, coroutineEnter, coroutineIsTerminated, coroutineYield, inCoroutine, nativeCall, useBackend, type Co, type Coroutine } from '@qco/core';
import { describe, expect, it } from 'vitest';
import { enterUntilDone } from '@qco/conformance';
import { AsyncifyDataOverflowError, AsyncifyStackOverflowError, createAsyncifyBackend } from '../src/index.js';

/** Start a native call in a coroutine and leave it suspended after its first yield; returns a getter of its result. */
function suspendedCall(name: string, args: number[]): { co: Coroutine; result: () => number | undefined } {
  let result: number | undefined;
  const co = coroutineCreate(function* () {
    result = yield* nativeCall(name, args);
  });
  coroutineEnter(co);
  return { co, result: () => result };
}

/** Run a native call in a new coroutine entered once; returns what it threw (undefined when it did not). */
function callError(name: string, args: number[]): unknown {
  let failed: unknown;
  coroutineEnter(
    coroutineCreate(function* () {
      try {
        yield* nativeCall(name, args);
      } catch (err) {
        failed = err;
      }
    }),
  );
  return failed;
}

describe('overflow detection [asyncify]', () => {
  it('a C shadow stack overflow is an AsyncifyStackOverflowError, and the neighbours survive', () => {
    const backend = createAsyncifyBackend();
    useBackend(backend);
    const before = suspendedCall('deep_yield', [24, 2]);
    const failed = callError('stack_overflow', [200]); // ~200 KiB of frames in a 48 KiB stack
    expect(failed).toBeInstanceOf(AsyncifyStackOverflowError);
    expect((failed as Error).message).toMatch(/^Coroutine stack overflow in the context at 0x[0-9a-f]+: its \d+-byte shadow stack is exhausted/);
    const after = suspendedCall('deep_yield', [24, 2]);
    enterUntilDone(before.co);
    enterUntilDone(after.co);
    expect(before.result()).toBe((24 * 25) / 2);
    expect(after.result()).toBe((24 * 25) / 2);
    // Within bounds the same function is fine.
    expect(suspendedCall('stack_overflow', [20]).result()).toBe(210);
  });

  it('an overflow propagates to the enterer like any exception when not caught', () => {
    useBackend(createAsyncifyBackend());
    const co = coroutineCreate(function* () {
      yield* coroutineYield();
      yield* nativeCall('stack_overflow', [500]);
    });
    coroutineEnter(co);
    expect(() => coroutineEnter(co)).toThrow(AsyncifyStackOverflowError);
    expect(coroutineIsTerminated(co)).toBe(true);
  });

  it('an asyncify data region overflow is an AsyncifyDataOverflowError, and the neighbours survive', () => {
    const backend = createAsyncifyBackend({ nativeDataSize: 1024 });
    useBackend(backend);
    const before = suspendedCall('deep_yield', [8, 2]);
    const failed = callError('data_overflow', [400]);
    expect(failed).toBeInstanceOf(AsyncifyDataOverflowError);
    expect((failed as Error).message).toMatch(/^Coroutine asyncify data overflow in the context at 0x[0-9a-f]+: the suspended call stack does not fit in its 1024-byte data region/);
    enterUntilDone(before.co);
    expect(before.result()).toBe((8 * 9) / 2);
    // A shallow call of the same function still works.
    const shallow = suspendedCall('data_overflow', [2]);
    enterUntilDone(shallow.co);
    expect(typeof shallow.result()).toBe('number');
  });

  it('overflow inside a C coroutine of the call is caught the same way', () => {
    useBackend(createAsyncifyBackend());
    const failed = callError('coroutine_depth', [5000]);
    expect(failed).toBeInstanceOf(AsyncifyStackOverflowError);
    expect(suspendedCall('coroutine_depth', [16]).result()).toBe((16 * 17) / 2);
  });

  it('a data region overflow inside a C coroutine of the call is an AsyncifyDataOverflowError, and the neighbours survive', () => {
    useBackend(createAsyncifyBackend());
    const before = suspendedCall('deep_yield', [24, 2]);
    const failed = callError('coroutine_data_overflow', [400]);
    expect(failed).toBeInstanceOf(AsyncifyDataOverflowError);
    expect((failed as Error).message).toMatch(/in its 4096-byte data region/);
    enterUntilDone(before.co);
    expect(before.result()).toBe((24 * 25) / 2);
    expect(suspendedCall('coroutine_data_overflow', [2]).result()).toBeGreaterThan(0);
  });
});

describe('running out of Node stack in nested enters [asyncify]', () => {
  function* nest(d: { n: number; max: number }): Co {
    d.n++;
    if (d.n < d.max) coroutineEnter(coroutineCreate(nest, d));
  }

  it('a RangeError deep in nested coroutines reaches the enterer and leaves the backend usable', () => {
    useBackend(createAsyncifyBackend());
    // Several times: a recovery that itself ran out of stack must be completed later.
    for (let i = 0; i < 4; i++) {
      const d = { n: 0, max: 1_000_000 };
      expect(() => coroutineEnter(coroutineCreate(nest, d))).toThrow();
      expect(d.n).toBeGreaterThan(100);
    }
    const d = { n: 0, max: 128 };
    coroutineEnter(coroutineCreate(nest, d));
    expect(d.n).toBe(128);
    let result: number | undefined;
    const co = coroutineCreate(function* () {
      yield* coroutineYield();
      result = yield* nativeCall('deep_yield', [16, 2]);
    });
    while (!coroutineIsTerminated(co)) coroutineEnter(co);
    expect(result).toBe((16 * 17) / 2);
    expect(inCoroutine()).toBe(false);
  });
});
