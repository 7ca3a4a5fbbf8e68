/**
 * @qco/bench — the one benchmark harness of qco (private): the types a bench
 * module speaks, the measuring function, baselines several suites share, and the
 * workspace discovery the `qco-perf` runner uses. See CONTRIBUTING.md "Benchmarks".
 */
export type {
  BenchBackend,
  BenchCaseSpec,
  BenchEnv,
  BenchFn,
  BenchMachine,
  BenchModule,
  BenchReport,
  BenchResult,
  Better,
  MeasureKind,
  Measured,
  ParamValue,
  SkippedCase,
} from './types.js';
export { measure } from './measure.js';
export { measuredFromSamples } from './samples.js';
export { promiseRoundTrip } from './baselines.js';
export { interleavedRatio, type Loop } from './interleaved.js';
export { attachBaselines } from './attach-baselines.js';
export { createNativeBenchModule, type NativePerfSource } from './native-bench-module.js';
export { backendPackageDirs, benchModuleEntries, registerBackends, workspaceGroups, workspacePackages, workspaceRoot, type BenchModuleEntry, type LoadedBackend, type PackageInfo } from './workspace.js';
