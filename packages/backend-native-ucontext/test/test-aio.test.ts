// test-aio.c port and the seeds' event-loop patterns.
import { aioConformance } from '@qco/conformance';
import { nativeUcontextBackendModule } from '../src/index.js';

aioConformance(nativeUcontextBackendModule);

