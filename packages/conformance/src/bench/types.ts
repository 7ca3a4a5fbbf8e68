/**
 * The shared benchmark vocabulary of qco: what a bench module declares, what one
 * timed case yields, and the JSON report that apps/dashboard renders. Every
 * package's benchmarks speak it, so one runner and one dashboard serve them all.
 */

/** One case of a suite, as a bench module declares it. */
export interface BenchCaseSpec {
  /** Case name, e.g. '/perf/yield' (QEMU's name where one exists) or 'baseline/await'. */
  readonly name: string;
  /** Backend it runs on; absent for cases that do not depend on one (baselines, external tools). */
  readonly backend?: string;
  /** Name of the same-suite case (on the same backend, or backend-less) it is compared with. */
  readonly baseline?: string;
  /** Further same-run cases to compare with (each gets a ratio in `ratios`). */
  readonly compareWith?: readonly string[];
  /** Inner operations per call of the timed function (batched cases); default 1. */
  readonly opsPerCall?: number;
  /** What one operation is: 'op' (default), 'byte', 'request', … */
  readonly unit?: string;
  /** Free-form parameters shown beside the case (depth, block size, …). */
  readonly params?: Readonly<Record<string, string | number | boolean>>;
}

/** Rate measured for one case. */
export interface Measured {
  /** Calls (or operations, for 'measured' cases) per second. */
  readonly hz: number;
  /** Relative margin of error, in percent. */
  readonly rme: number;
  /** Number of samples behind hz. */
  readonly samples: number;
}

/** What `prepare` returns: a function to time, or a case that measures itself (an external tool). */
export type BenchFn =
  | { readonly kind: 'sync'; readonly fn: () => void; readonly teardown?: () => void | Promise<void> }
  | { readonly kind: 'async'; readonly fn: () => Promise<void>; readonly teardown?: () => void | Promise<void> }
  | { readonly kind: 'measured'; readonly run: () => Promise<Measured> };

/** Environment handed to `cases`. */
export interface BenchEnv {
  /** Backends available on this machine, in display order. */
  readonly backends: readonly string[];
}

/** What a bench module default-exports. */
export interface BenchModule {
  /** Suite name, e.g. 'coroutine', 'aio', 'block/null'. */
  readonly suite: string;
  /** The cases to run here. */
  cases(env: BenchEnv): BenchCaseSpec[];
  /** In a fresh child process: set the case up and return what to time. */
  prepare(spec: BenchCaseSpec): Promise<BenchFn>;
}

/** One row of a report. */
export interface BenchResult extends Measured {
  readonly suite: string;
  readonly case: string;
  readonly backend: string | null;
  readonly unit: string;
  /** Operations per second (hz × opsPerCall). */
  readonly opsPerSec: number;
  /** Nanoseconds per operation. */
  readonly nsPerOp: number;
  readonly params?: Readonly<Record<string, string | number | boolean>>;
  /** Baseline case name and backend, when the case has one. */
  readonly baseline?: { readonly case: string; readonly backend: string | null };
  /** opsPerSec / baseline opsPerSec, measured in the same run (> 1: faster than the baseline). */
  readonly ratio?: number;
  /** Ratio to every case it is compared with (baseline first), by case name. */
  readonly ratios?: Readonly<Record<string, number>>;
  /** Set when the case failed; hz is then 0. */
  readonly error?: string;
}

/** A whole benchmark run: what apps/dashboard reads. */
export interface BenchReport {
  readonly schema: 'qco-bench/1';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: { readonly hostname: string; readonly cpus: number; readonly cpuModel: string; readonly memGiB: number; readonly platform: string; readonly arch: string };
  readonly node: string;
  readonly v8: string;
  readonly backends: readonly { readonly name: string; readonly available: boolean; readonly reason?: string }[];
  readonly results: readonly BenchResult[];
}
