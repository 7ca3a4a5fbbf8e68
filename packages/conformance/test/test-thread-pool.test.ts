// test-thread-pool.c port.
import { threadPoolConformance } from '../src/index.js';
import { generatorBackendModule } from '@qco/backend-generator';

threadPoolConformance(generatorBackendModule);

