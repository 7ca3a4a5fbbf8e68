// memory.grow detaches the old ArrayBuffer: the backend must read contexts
// through fresh views afterwards, and everything suspended before the growth must
// resume intact.
import { coroutineCreate, coroutineEnter, coroutineIsTerminated, coroutineYield, nativeCall, useBackend, type Coroutine } from '@qco/core';
import { expect, it } from 'vitest';
import { createAsyncifyBackend } from '../src/index.js';

it('contexts suspended before memory grows resume intact after it', () => {
  const backend = createAsyncifyBackend();
  useBackend(backend);
  const bufferBefore = backend.internals.exports.memory.buffer;
  const bytesBefore = backend.internals.memoryBytes();

  let nativeResult: number | undefined;
  const nativeCo = coroutineCreate(function* () {
    nativeResult = yield* nativeCall('deep_yield', [20, 2]);
  });
  coroutineEnter(nativeCo);

  // Generator bodies take no wasm memory; suspended C calls (64 KiB each) grow it.
  const many: Coroutine[] = [];
  const sums: number[] = [];
  for (let i = 0; i < 400; i++) {
    const co = coroutineCreate(function* (n: number) {
      const r = yield* nativeCall('deep_yield', [4, 1]);
      yield coroutineYield();
      sums[n] = n * 2 + r - 10;
    }, i);
    coroutineEnter(co);
    many.push(co);
  }
  expect(backend.internals.memoryBytes()).toBeGreaterThan(bytesBefore + 400 * 60 * 1024);
  expect(bufferBefore.byteLength).toBe(0); // detached by the growth

  while (!coroutineIsTerminated(nativeCo)) coroutineEnter(nativeCo);
  expect(nativeResult).toBe((20 * 21) / 2);
  for (let round = 0; round < 2; round++) for (const co of many) coroutineEnter(co);
  expect(sums.every((v, n) => v === n * 2)).toBe(true);
  expect(sums.length).toBe(400);
  expect(many.every((c) => coroutineIsTerminated(c))).toBe(true);
});
