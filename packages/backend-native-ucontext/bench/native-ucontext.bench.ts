/** Benchmarks of the native-ucontext backend: C bodies timed by loops in C, JavaScript bodies through the core. */
import { coroutineCreate, coroutineEnter, coroutineYield, useBackend } from '@qco/core';
import type { BenchModule } from '@qco/conformance/bench';
import { createNativeBenchModule } from '@qco/native-common';
import { backendName, nativeUcontextBackendModule } from '../src/index.js';

const bench: BenchModule = createNativeBenchModule(backendName, nativeUcontextBackendModule, (backend) => {
  useBackend(backend);
  const co = coroutineCreate(function* () {
    for (;;) yield* coroutineYield();
  });
  coroutineEnter(co);
  return () => coroutineEnter(co);
});

export default bench;
