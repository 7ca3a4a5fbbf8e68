// test-coroutine.c port on this backend, then again with a
// full GC forced between steps and inside suspended bodies (vitest runs this package with --expose-gc).
import { coroutineConformance, gcStress } from '@qco/conformance';
import { nativeUcontextBackendModule } from '../src/index.js';

coroutineConformance(nativeUcontextBackendModule);

coroutineConformance(nativeUcontextBackendModule, { label: 'gc-stress', stress: gcStress });

