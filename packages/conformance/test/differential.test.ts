// The generator backend against itself: the reference of the differential suite
// must trace each seeded program the same way every time.
import { differentialConformance } from '../src/index.js';
import { generatorBackendModule } from '@qco/backend-generator';

differentialConformance(generatorBackendModule);

