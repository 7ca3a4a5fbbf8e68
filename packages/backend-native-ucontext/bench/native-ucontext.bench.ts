/** Benchmarks of the native-ucontext backend: C bodies timed by loops in C (JavaScript bodies: the coroutine suite). */
import { createNativeBenchModule } from '@qco/bench';
import { nativeUcontextBackendModule } from '@qco/backend-native-ucontext';

export default createNativeBenchModule('native-ucontext', nativeUcontextBackendModule);
