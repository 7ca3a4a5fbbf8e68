import { coroutineConformance } from '@qco/conformance';
import { createBackend } from '../src/index.js';

coroutineConformance(createBackend());
