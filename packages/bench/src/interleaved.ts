/**
 * A ratio measured in one process: short samples of two loops, alternated, so
 * both see the same load, JIT state and heap (a loaded shared machine moves two
 * child processes' rates apart by more than the difference being measured).
 */
import type { Measured } from './types.js';

/** A timed loop: runs its operation `n` times. */
export type Loop = (n: number) => void;

/** The `q` quantile (0..1) of a non-empty list, nearest rank. */
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(q * (s.length - 1))];
}

/**
 * Rate of `ours` ÷ rate of `base` (> 1: ours is faster), from `rounds` pairs of
 * samples of the same number of operations (as many as the slower loop runs in
 * about `sampleNs`), the order of the two swapped every round: base's 10th
 * percentile sample time ÷ ours' — the samples least disturbed by other
 * processes, taken alike for both loops. The margin is the 95 % one of the
 * per-round ratios, so it shows how loaded the machine was.
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
  const tBase: number[] = [];
  const tOurs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      tBase.push(time(base, n));
      tOurs.push(time(ours, n));
    } else {
      tOurs.push(time(ours, n));
      tBase.push(time(base, n));
    }
  }
  const ratios = tBase.map((t, i) => t / tOurs[i]);
  const mean = ratios.reduce((a, b) => a + b, 0) / rounds;
  const sd = Math.sqrt(ratios.reduce((a, b) => a + (b - mean) ** 2, 0) / (rounds - 1));
  return { hz: quantile(tBase, 0.1) / quantile(tOurs, 0.1), rme: (100 * 1.96 * sd) / Math.sqrt(rounds) / mean, samples: rounds };
}
