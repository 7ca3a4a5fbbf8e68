import { describe, expect, it } from 'vitest';
import { interleavedRatio } from '../src/interleaved.js';

describe('interleavedRatio', () => {
  it('times both loops for the same number of operations, alternating which goes first, one ratio per round', () => {
    const calls: string[] = [];
    const sizes = new Set<number>();
    const loop = (name: string) => (n: number) => {
      calls.push(name);
      sizes.add(n);
      let x = 0;
      for (let i = 0; i < n; i++) x += i;
      if (x < 0) throw new Error('unreachable');
    };
    const m = interleavedRatio(loop('base'), loop('ours'), 1e7, 10);
    expect(m.samples).toBe(10);
    expect(Number.isFinite(m.hz) && m.hz > 0).toBe(true);
    // Warm-up (3 pairs), sizing (1 pair), one more pair, then the 10 timed rounds.
    const timed = calls.slice(10);
    expect(timed).toEqual(['base', 'ours', 'ours', 'base', 'base', 'ours', 'ours', 'base', 'base', 'ours', 'ours', 'base', 'base', 'ours', 'ours', 'base', 'base', 'ours', 'ours', 'base']);
    // 1000 for warm-up and sizing, then one size for every timed sample.
    sizes.delete(1000);
    expect(sizes.size).toBe(1);
  });
});
