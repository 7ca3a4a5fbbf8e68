// The generator backend is the core's own dependency, so its conformance run lives
// here rather than in its package (a test dependency on the core would be a cycle).
import { createBackend } from '@qco/backend-generator';
import { coroutineConformance } from '../src/index.js';

coroutineConformance(createBackend());
