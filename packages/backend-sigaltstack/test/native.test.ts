// C bodies, nativeCall, GC stress, guard-page report, "not available" handling.
import { nativeBackendSuite } from '@qco/native-common/testing';
import { sigaltstackBackendModule } from '../src/index.js';

nativeBackendSuite(sigaltstackBackendModule);
