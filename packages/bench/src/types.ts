/**
 * The shared benchmark vocabulary of qco: what a bench module declares, what one
 * timed case yields, and the JSON report that apps/dashboard renders. Every
 * package's benchmarks speak it, so one runner and one dashboard serve them all.
 */

/** A free-form parameter value shown beside a case. */
export type ParamValue = string | number | boolean;

/**
 * What a case's number is: a `rate` (units per second, the default; timed by the
 * harness or by the case), a `count` (units per something, e.g. doorbell writes per
 * request, or the deepest nesting reached), or a dimensionless `ratio`.
 */
export type MeasureKind = 'rate' | 'count' | 'ratio';

/** Which way a case's number is better. */
export type Better = 'higher' | 'lower';

/** One case of a suite, as a bench module declares it. */
export interface BenchCaseSpec {
  /**
   * Case name, e.g. '/perf/yield' (QEMU's name where one exists) or 'baseline/await'.
   * Names are shared across suites and backends: the same name on two backends is the
   * same measurement (the dashboard compares them), and a backend-less case name is
   * measured once per run however many modules declare it.
   */
  readonly name: string;
  /** Backend it runs on; absent for cases that do not depend on one (baselines, external tools). */
  readonly backend?: string;
  /** Name of the case (same backend, or backend-less; same suite first, then any) it is compared with. */
  readonly baseline?: string;
  /** Further same-run cases to compare with (each gets a ratio in `ratios`). */
  readonly compareWith?: readonly string[];
  /** Inner operations per call of the timed function (batched cases); default 1. */
  readonly opsPerCall?: number;
  /** What one operation is: 'op' (default), 'byte' (shown as MiB/s), 'request', 'doorbell/request', … */
  readonly unit?: string;
  /** Rate (default), count or ratio. */
  readonly measure?: MeasureKind;
  /** Default: 'higher' for rates and ratios, 'lower' for counts. */
  readonly better?: Better;
  /** Commands the case needs on PATH (e.g. 'qemu-img', 'scp'); a missing one skips the case, with the reason in the report. */
  readonly requires?: readonly string[];
  /** Block cases: the aio path asked for ('threads', 'native', 'io_uring', …). */
  readonly aio?: string;
  /** Block cases: the driver options the case opens its node with. */
  readonly driverOptions?: Readonly<Record<string, ParamValue>>;
  /** Free-form parameters shown beside the case (depth, block size, …). */
  readonly params?: Readonly<Record<string, ParamValue>>;
}

/** Rate (or count, or ratio) measured for one case. */
export interface Measured {
  /** Calls (or operations, for 'measured' cases) per second; for counts and ratios, the value itself. */
  readonly hz: number;
  /** Relative margin of error, in percent (95 %). */
  readonly rme: number;
  /** Number of samples behind hz. */
  readonly samples: number;
  /** What actually ran, when the case can tell (e.g. the aio path a driver settled on). */
  readonly info?: Readonly<Record<string, ParamValue>>;
}

/** What `prepare` returns: a function to time, or a case that measures itself (an external tool). */
export type BenchFn =
  | { readonly kind: 'sync'; readonly fn: () => void; readonly teardown?: () => void | Promise<void> }
  | { readonly kind: 'async'; readonly fn: () => Promise<void>; readonly teardown?: () => void | Promise<void> }
  | { readonly kind: 'measured'; readonly run: () => Measured | Promise<Measured> };

/** Environment handed to `cases`. */
export interface BenchEnv {
  /** Backends available on this machine, in display order. */
  readonly backends: readonly string[];
  /** Package directory of each available backend, by name. */
  readonly backendDirs?: Readonly<Record<string, string>>;
}

/** What a bench module default-exports. */
export interface BenchModule {
  /** Suite name, e.g. 'coroutine', 'aio', 'block/null'. */
  readonly suite: string;
  /** The cases to run here. */
  cases(env: BenchEnv): BenchCaseSpec[];
  /** In a fresh child process: set the case up and return what to time (a throw, or a rejection, fails the case). */
  prepare(spec: BenchCaseSpec): BenchFn | Promise<BenchFn>;
}

/** One row of a report. */
export interface BenchResult extends Measured {
  readonly suite: string;
  readonly case: string;
  readonly backend: string | null;
  readonly unit: string;
  /** Rate, count or ratio (absent in qco-bench/1 reports: rate). */
  readonly measure?: MeasureKind;
  /** Which way is better (absent in qco-bench/1 reports: higher). */
  readonly better?: Better;
  /** Rates: operations per second (hz × opsPerCall); counts and ratios: the value. */
  readonly opsPerSec: number;
  /** Rates: nanoseconds per operation (NaN for counts and ratios). */
  readonly nsPerOp: number;
  readonly params?: Readonly<Record<string, ParamValue>>;
  readonly aio?: string;
  readonly driverOptions?: Readonly<Record<string, ParamValue>>;
  /** Baseline case name and backend, when the case has one. */
  readonly baseline?: { readonly case: string; readonly backend: string | null };
  /** opsPerSec / baseline opsPerSec, measured in the same run (> 1: more than the baseline). */
  readonly ratio?: number;
  /** Ratio to every case it is compared with (baseline first), by case name. */
  readonly ratios?: Readonly<Record<string, number>>;
  /** Measurements taken: more than 1 when a noisy case was rerun. */
  readonly tries?: number;
  /** Still above the margin-of-error threshold after the last try. */
  readonly noisy?: boolean;
  /** Set when the case failed; hz is then 0. */
  readonly error?: string;
}

/** A case that was not run, and why. */
export interface SkippedCase {
  readonly suite: string;
  readonly case: string;
  readonly backend: string | null;
  readonly reason: string;
}

/** The machine a report was measured on. */
export interface BenchMachine {
  readonly hostname: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memGiB: number;
  readonly platform: string;
  readonly arch: string;
  /** os.loadavg() when the run started and when it ended (1, 5, 15 min). */
  readonly loadBefore?: readonly number[];
  readonly loadAfter?: readonly number[];
}

/** A backend as the run found it. */
export interface BenchBackend {
  readonly name: string;
  readonly available: boolean;
  readonly reason?: string;
  /** The package compiles native code (a Node-API addon: needs a C compiler; not for browsers). */
  readonly nativeAddon?: boolean;
}

/** A whole benchmark run: what apps/dashboard reads. */
export interface BenchReport {
  readonly schema: 'qco-bench/1' | 'qco-bench/2';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: BenchMachine;
  readonly node: string;
  readonly v8: string;
  /** The workspace's git commit (with '-dirty' when the tree had changes), or null outside git. */
  readonly commit?: string | null;
  /** Versions of the external tools the baselines run (null: not installed). */
  readonly tools?: Readonly<Record<string, string | null>>;
  /** How baselines and noise were handled in this run, in words. */
  readonly method?: { readonly baselines: string; readonly maxRme: number; readonly maxTries: number; readonly retryBudgetSeconds?: number; readonly nodeEnv?: string };
  readonly backends: readonly BenchBackend[];
  readonly results: readonly BenchResult[];
  readonly skipped?: readonly SkippedCase[];
}
