// test-aio.c port and the seeds' event-loop patterns on the generator backend.
import { createBackend } from '@qco/backend-generator';
import { aioConformance } from '../src/index.js';

aioConformance(createBackend());
