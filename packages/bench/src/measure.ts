/**
 * Times one prepared case with benchmark.js (adaptive iteration counts, margin
 * of error from the samples). Runs inside the per-case child process.
 */
import Benchmark from 'benchmark';
import type { BenchFn, Measured } from './types.js';

/** Measure `bench` for about `maxTime` seconds. */
export async function measure(bench: BenchFn, maxTime: number): Promise<Measured> {
  if (bench.kind === 'measured') return bench.run();
  const options: Benchmark.Options =
    bench.kind === 'sync'
      ? { fn: bench.fn, maxTime, minSamples: 5 }
      : {
          defer: true,
          fn: (deferred: Benchmark.Deferred) => {
            bench.fn().then(
              () => deferred.resolve(),
              (err: unknown) => {
                console.error(err);
                process.exit(1);
              },
            );
          },
          maxTime,
          minSamples: 5,
        };
  const b = new Benchmark(options);
  await new Promise<void>((resolve) => {
    b.on('complete', () => resolve());
    b.run({ async: bench.kind === 'async' });
  });
  const err = (b as unknown as { error?: unknown }).error;
  if (err) throw err instanceof Error ? err : new Error(JSON.stringify(err));
  return { hz: b.hz, rme: b.stats.rme, samples: b.stats.sample.length };
}
