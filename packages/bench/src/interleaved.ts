/**
 * A ratio measured in one process: short samples of two loops, alternated, so
 * both see the same load, JIT state and heap (a loaded shared machine moves two
 * child processes' rates apart by more than the difference being measured).
 */
import type { Measured } from './types.js';

/** A timed loop: runs its operation `n` times. */
export type Loop = (n: number) => void;

/** Median of a non-empty list. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Rate of `ours` ÷ rate of `base` (> 1: ours is faster): the median over
 * `rounds` of base's time ÷ ours' time for the same number of operations (as
 * many as the slower loop runs in about `sampleNs`), the order of the two
 * swapped every round; the margin is the 95 % one of the per-round ratios.
 */
export function interleavedRatio(base: Loop, ours: Loop, sampleNs = 2e6, rounds = 60): Measured {
  const time = (loop: Loop, n: number): number => {
    const t0 = process.hrtime.bigint();
    loop(n);
    return Number(process.hrtime.bigint() - t0);
  };
  // Warm both up, then size the samples from the slower one.
  for (let i = 0; i < 3; i++) {
    time(base, 1000);
    time(ours, 1000);
  }
  const perOp = Math.max(time(base, 1000), time(ours, 1000)) / 1000;
  const n = Math.max(100, Math.min(1_000_000, Math.floor(sampleNs / perOp)));
  time(base, n);
  time(ours, n);
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      const tb = time(base, n);
      ratios.push(tb / time(ours, n));
    } else {
      const to = time(ours, n);
      ratios.push(time(base, n) / to);
    }
  }
  const mean = ratios.reduce((a, b) => a + b, 0) / rounds;
  const sd = Math.sqrt(ratios.reduce((a, b) => a + (b - mean) ** 2, 0) / (rounds - 1));
  return { hz: median(ratios), rme: (100 * 1.96 * sd) / Math.sqrt(rounds) / mean, samples: rounds };
}
