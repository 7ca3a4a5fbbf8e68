// test-thread-pool.c port on this backend.
import { threadPoolConformance } from '@qco/conformance';
import { createBackend } from '../src/index.js';

threadPoolConformance(() => createBackend());
