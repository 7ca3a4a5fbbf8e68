// test-thread-pool.c port, with generator and plain bodies.
import { threadPoolConformance } from '@qco/conformance';
import { threadsBackendModule } from '../src/index.js';

threadPoolConformance(threadsBackendModule);
threadPoolConformance(threadsBackendModule, { bodies: 'plain' });
