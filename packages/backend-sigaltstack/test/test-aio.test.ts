// test-aio.c port and the seeds' event-loop patterns.
import { aioConformance } from '@qco/conformance';
import { sigaltstackBackendModule } from '../src/index.js';

aioConformance(sigaltstackBackendModule);

