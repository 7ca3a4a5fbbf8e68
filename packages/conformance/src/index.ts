/**
 * @qco/conformance — the suite every qco backend must pass: ports of QEMU's
 * test-coroutine.c (and, as the event loop lands, test-aio.c and
 * test-thread-pool.c), each exported as a function taking a backend, so a backend
 * package runs all of it from its own vitest in one line.
 */
export { coroutineConformance, type CoroutineSuiteOptions } from './coroutine-suite.js';
export { aioConformance, type AioSuiteOptions } from './aio-suite.js';
export { plainBodyConformance, type PlainSuiteOptions } from './plain-suite.js';
export { threadPoolConformance, type ThreadPoolSuiteOptions } from './thread-pool-suite.js';
export { differentialConformance, type DifferentialOptions } from './differential-suite.js';
