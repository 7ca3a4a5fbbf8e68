// Seeded random coroutine programs must trace the same here as on the generator backend, with generator and plain bodies.
import { differentialConformance } from '@qco/conformance';
import { threadsBackendModule } from '../src/index.js';

differentialConformance(threadsBackendModule);
differentialConformance(threadsBackendModule, { bodies: 'plain' });
