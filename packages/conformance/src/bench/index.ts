/**
 * @qco/conformance/bench — the one benchmark harness of qco: the types a bench
 * module speaks, the measuring function, and the workspace discovery the
 * `qco-perf` runner uses. See CONTRIBUTING.md "Benchmarks".
 */
export type { BenchCaseSpec, BenchEnv, BenchFn, BenchModule, BenchReport, BenchResult, Measured } from './types.js';
export { measure } from './measure.js';
export { measuredFromSamples } from './samples.js';
export { promiseRoundTrip } from './baselines.js';
export { backendPackageDirs, benchModulePaths, registerBackends, workspacePackages, workspaceRoot, type LoadedBackend } from './workspace.js';
