// A coroutine abandoned between steps (a generator body that yielded and was
// never entered again, then dropped) does not pin its thread: once its entry is
// garbage the thread goes back to the pool, as a generator would simply be
// collected on the generator backend. A suspended plain body keeps its thread
// (its frames reference it) until it is finished or its context deleted.
import { coroutineCreate, coroutineEnter, coroutineIsTerminated, coroutineYield, useBackend } from '@qco/core';
import { expect, it } from 'vitest';
import { createThreadsBackend } from '../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc as () => void;

function abandonGenerators(n: number): void {
  for (let i = 0; i < n; i++) {
    coroutineEnter(
      coroutineCreate(function* () {
        yield* coroutineYield();
      }),
    );
  }
}

it('/threads/abandoned-generator-coroutines-release-their-threads', async () => {
  expect(typeof gc).toBe('function');
  const b = createThreadsBackend();
  useBackend(b);
  const start = b.threadStats();
  abandonGenerators(300);
  expect(b.threadStats().live).toBeGreaterThanOrEqual(start.live + 300);
  for (let round = 0; round < 5 && b.threadStats().live > start.live + 50; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const after = b.threadStats();
  expect(after.live).toBeLessThanOrEqual(start.live + 50);
  // The released threads are reused: no new thread for the next 200 coroutines.
  const created = after.threadsCreated;
  const kept: ReturnType<typeof coroutineCreate>[] = [];
  for (let i = 0; i < 200; i++) {
    const co = coroutineCreate(() => {
      coroutineYield();
    });
    coroutineEnter(co);
    kept.push(co);
  }
  expect(b.threadStats().threadsCreated).toBe(created);
  for (const co of kept) coroutineEnter(co);
  expect(kept.every((co) => coroutineIsTerminated(co))).toBe(true);
});
