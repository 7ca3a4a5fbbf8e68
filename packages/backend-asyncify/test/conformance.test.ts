// The shared suites with JavaScript bodies: test-coroutine.c, test-aio.c and
// test-thread-pool.c ports, then test-coroutine.c again under full-GC stress
// (vitest runs this package with --expose-gc).
import { aioConformance, coroutineConformance, threadPoolConformance } from '@qco/conformance';
import { createBackend } from '../src/index.js';

coroutineConformance(createBackend());
aioConformance(createBackend());
threadPoolConformance(createBackend());

const gc = (globalThis as { gc?: () => void }).gc;
coroutineConformance(createBackend, { label: 'gc-stress', stress: () => gc?.() });
