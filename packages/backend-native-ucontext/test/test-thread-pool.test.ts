// test-thread-pool.c port.
import { threadPoolConformance } from '@qco/conformance';
import { nativeUcontextBackendModule } from '../src/index.js';

threadPoolConformance(nativeUcontextBackendModule);

