/**
 * What the native backends' shared addon (csrc/addon.cc) exports. The test-only
 * functions exist in the test and asan builds (QCO_TEST_BUILD) only.
 */

/** The shared addon's functions. */
export interface NativeAddon {
  readonly startMethod: string;
  newContext(): number;
  enter(id: number): number;
  complete(id: number, outcome: number): number;
  resumeStep(id: number): number;
  deleteContext(id: number): void;
  functions(): string[];
  start(fn: number, args: readonly (number | Uint8Array)[]): number;
  /** The C API table a consumer addon's qcoRegister takes. */
  apiTable(): unknown;
  resume(handle: number, input: number): number;
  cancel(handle: number): void;
  setStepInfo(info: Float64Array): void;
  /** Test builds: the C native suite's case names. */
  nativeCases(): string[];
  /** Test builds: run one C case ('' when it passed, else why not). */
  runNativeCase(name: string): string;
  /** Test builds: a C perf loop's elapsed nanoseconds. */
  perf(name: string, iterations: number): number;
  /** Test builds: poll an fd without waiting. */
  pollFd(fd: number, events: number): number;
  stackSize(bytes?: number): number;
  enableOverflowCheck(): boolean;
  stats(): { live: number; pooled: number };
}
