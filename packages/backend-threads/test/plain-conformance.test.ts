import { plainBodyConformance } from '@qco/conformance';
import { createBackend } from '../src/index.js';

plainBodyConformance(createBackend());
