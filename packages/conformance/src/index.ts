/**
 * @qco/conformance — the suites every qco backend must pass, one per QEMU test
 * file: ports of test-coroutine.c, test-aio.c (with the seeds' event-loop
 * patterns) and test-thread-pool.c, and the differential suite (seeded random
 * programs compared with the generator backend). Each is a function taking a
 * backend and options (`bodies: 'generator' | 'plain'`, a label, a stress hook),
 * so a backend package runs each from its own vitest file in one line.
 */
export { coroutineConformance, type CoroutineSuiteOptions } from './coroutine-suite.js';
export { aioConformance, type AioSuiteOptions } from './aio-suite.js';
export { threadPoolConformance, type ThreadPoolSuiteOptions } from './thread-pool-suite.js';
export { differentialConformance, type DifferentialOptions } from './differential-suite.js';
export { gcStress, type SuiteBackend, type SuiteBodies, type SuiteOptions } from './suite-options.js';
export { enterUntilDone, runToEnd } from './run-to-end.js';
export { nativeWaitInCCoroutineCase } from './native-call-cases.js';
