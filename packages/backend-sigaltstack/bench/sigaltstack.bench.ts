/**
 * Benchmarks of the sigaltstack backend: C bodies timed by loops in C (creation
 * on a fresh stack, enter+yield, lifecycle, cost), each also beside the same loop
 * of the native-ucontext backend in the same run; JavaScript bodies through the core.
 */
import { nativeUcontextBackendModule } from '@qco/backend-native-ucontext';
import { coroutineCreate, coroutineEnter, coroutineYield, useBackend } from '@qco/core';
import type { BenchModule } from '@qco/conformance/bench';
import { createNativeBenchModule } from '@qco/native-common';
import { backendName, sigaltstackBackendModule } from '../src/index.js';

const bench: BenchModule = createNativeBenchModule(
  backendName,
  sigaltstackBackendModule,
  (backend) => {
    useBackend(backend);
    const co = coroutineCreate(function* () {
      for (;;) yield* coroutineYield();
    });
    coroutineEnter(co);
    return () => coroutineEnter(co);
  },
  nativeUcontextBackendModule,
);
export default bench;
