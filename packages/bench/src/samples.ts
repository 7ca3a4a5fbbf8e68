/**
 * Statistics for cases that time themselves ('measured' BenchFns: whole transfers,
 * external tools): the same mean and 95 % margin of error benchmark.js reports,
 * so their rows read like every other row of a report.
 */
import type { Measured } from './types.js';

// Student's t at 95 % for 1..9 degrees of freedom (benchmark.js uses the same table).
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262];

/** Rate and margin of error from samples given in seconds per operation. */
export function measuredFromSamples(seconds: readonly number[]): Measured {
  const n = seconds.length;
  if (n === 0) throw new Error('measuredFromSamples: no samples');
  const mean = seconds.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? seconds.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  const sem = Math.sqrt(variance / n);
  const t = T95[n - 2] ?? 1.96;
  return { hz: 1 / mean, rme: mean > 0 ? (100 * t * sem) / mean : 0, samples: n };
}
