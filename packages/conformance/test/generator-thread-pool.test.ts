// test-thread-pool.c port on the generator backend.
import { createBackend } from '@qco/backend-generator';
import { threadPoolConformance } from '../src/index.js';

threadPoolConformance(createBackend());
