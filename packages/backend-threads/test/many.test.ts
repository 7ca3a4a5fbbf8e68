// 10,000 coroutines alive at once, each on its own thread with a small stack:
// all are created and entered (each parks in a blocking yield), then all are
// resumed until they finish. 10,000 × 128 KiB stacks is 1.25 GiB of address
// space and about 20,000 mappings, well inside vm.max_map_count (65,530) and
// the default thread limits; only the touched pages of each stack are resident.
import { readFileSync } from 'node:fs';
import { coroutineCreate, coroutineEnter, coroutineIsTerminated, coroutineStats, coroutineYield, useBackend, type Coroutine } from '@qco/core';
import { describe, expect, it } from 'vitest';
import { createThreadsBackend } from '../src/index.js';

const COUNT = 10_000;

describe('threads backend at scale', () => {
  it('has room for the threads (vm.max_map_count, kernel threads-max)', () => {
    const maps = Number(readFileSync('/proc/sys/vm/max_map_count', 'utf8'));
    const threads = Number(readFileSync('/proc/sys/kernel/threads-max', 'utf8'));
    expect(maps).toBeGreaterThan(2 * COUNT + 5_000);
    expect(threads).toBeGreaterThan(COUNT + 1_000);
  });

  it('/threads/10000-live-coroutines', () => {
    const backend = createThreadsBackend({ stackKiB: 128 });
    useBackend(backend);
    const sums = new Float64Array(COUNT);
    const cos: Coroutine[] = [];
    for (let i = 0; i < COUNT; i++) {
      const co = coroutineCreate((n: number) => {
        let acc = n;
        for (let k = 0; k < 2; k++) {
          coroutineYield();
          acc += n;
        }
        sums[n] = acc;
      }, i);
      coroutineEnter(co);
      cos.push(co);
    }
    expect(coroutineStats().live).toBe(COUNT);
    expect(backend.threadStats().live).toBeGreaterThanOrEqual(COUNT);
    for (let round = 0; round < 2; round++) for (const co of cos) coroutineEnter(co);
    expect(cos.every((co) => coroutineIsTerminated(co))).toBe(true);
    expect(coroutineStats().live).toBe(0);
    for (let i = 0; i < COUNT; i++) expect(sums[i]).toBe(3 * i);
  });
});
