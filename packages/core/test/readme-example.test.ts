// The README's CoMutex example, run as written.
import { expect, it } from 'vitest';
import { CoMutex, coroutineCreate, coroutineEnter, coroutineEntered, coroutineIsTerminated, coroutineYield, useBackend, type Co } from '../src/index.js';

it('README: three coroutines add under a CoMutex without losing an update', () => {
  useBackend('generator');
  const lock = new CoMutex();
  let counter = 0;
  function* addSlowly(times: number): Co<number> {
    for (let i = 0; i < times; i++) {
      yield* lock.lock();
      const seen = counter;
      yield coroutineYield();
      counter = seen + 1;
      lock.unlock();
    }
    return counter;
  }
  const workers = [1, 2, 3].map(() => coroutineCreate(addSlowly, 5));
  const runnable = (co: (typeof workers)[number]) => !coroutineIsTerminated(co) && !coroutineEntered(co);
  while (workers.some(runnable)) for (const co of workers) if (runnable(co)) coroutineEnter(co);
  expect(counter).toBe(15);
});
