// The whole shared suite with generator bodies, exactly as every backend runs it.
import { aioConformance, coroutineConformance, differentialConformance, threadPoolConformance } from '@qco/conformance';
import { createBackend } from '../src/index.js';

coroutineConformance(createBackend());
aioConformance(createBackend());
threadPoolConformance(createBackend());
differentialConformance(createBackend());
