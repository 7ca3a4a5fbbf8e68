// test-aio.c port and the seeds' event-loop patterns, with generator and plain
// bodies, and the plain bodies again with a full GC inside suspended bodies
// (vitest runs this package with --expose-gc).
import { aioConformance, gcStress } from '@qco/conformance';
import { threadsBackendModule } from '../src/index.js';

aioConformance(threadsBackendModule);
aioConformance(threadsBackendModule, { bodies: 'plain' });
aioConformance(threadsBackendModule, { bodies: 'plain', label: 'gc-stress', stress: gcStress });
