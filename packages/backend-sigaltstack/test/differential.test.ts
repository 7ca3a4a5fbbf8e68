// Seeded random coroutine programs must trace the same here as on the generator backend.
import { differentialConformance } from '@qco/conformance';
import { sigaltstackBackendModule } from '../src/index.js';

differentialConformance(sigaltstackBackendModule);

