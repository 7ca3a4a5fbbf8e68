// test-thread-pool.c port.
import { threadPoolConformance } from '@qco/conformance';
import { asyncifyBackendModule } from '../src/index.js';

threadPoolConformance(asyncifyBackendModule);

