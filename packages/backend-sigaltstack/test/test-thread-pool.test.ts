// test-thread-pool.c port.
import { threadPoolConformance } from '@qco/conformance';
import { sigaltstackBackendModule } from '../src/index.js';

threadPoolConformance(sigaltstackBackendModule);

