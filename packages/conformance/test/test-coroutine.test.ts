// The generator backend is the core's own dependency, so its conformance runs live
// here rather than in its package (a test dependency on the core would be a cycle).
// test-coroutine.c port on this backend, then again with a
// full GC forced between steps and inside suspended bodies (vitest runs this package with --expose-gc).
import { coroutineConformance, gcStress } from '../src/index.js';
import { generatorBackendModule } from '@qco/backend-generator';

coroutineConformance(generatorBackendModule);

coroutineConformance(generatorBackendModule, { label: 'gc-stress', stress: gcStress });

