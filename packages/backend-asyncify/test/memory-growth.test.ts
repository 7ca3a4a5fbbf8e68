// memory.grow detaches the old ArrayBuffer: the backend must read contexts
// through fresh views afterwards, and everything suspended before the growth must
// resume intact.
import { coroutineCreate, coroutineEnter, coroutineYield, nativeCall, useBackend, type Coroutine } from '@qco/core';
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

  const many: Coroutine[] = [];
  const sums: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const co = coroutineCreate(function* (n: number) {
      yield* coroutineYield();
      sums[n] = n * 2;
    }, i);
    coroutineEnter(co);
    many.push(co);
  }
  expect(backend.internals.memoryBytes()).toBeGreaterThan(bytesBefore + 20_000 * 1024);
  expect(bufferBefore.byteLength).toBe(0); // detached by the growth

  while (!nativeCo.terminated) coroutineEnter(nativeCo);
  expect(nativeResult).toBe((20 * 21) / 2);
  for (const co of many) coroutineEnter(co);
  expect(sums.every((v, n) => v === n * 2)).toBe(true);
  expect(sums.length).toBe(20_000);
  expect(many.every((c) => c.terminated)).toBe(true);
});
