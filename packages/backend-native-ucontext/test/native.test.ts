// C bodies, nativeCall, GC stress, guard-page report, "not available" handling.
import { nativeBackendSuite } from '@qco/native-common/testing';
import { nativeUcontextBackendModule } from '../src/index.js';

nativeBackendSuite(nativeUcontextBackendModule);
