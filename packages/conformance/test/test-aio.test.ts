// test-aio.c port and the seeds' event-loop patterns.
import { aioConformance } from '../src/index.js';
import { generatorBackendModule } from '@qco/backend-generator';

aioConformance(generatorBackendModule);

