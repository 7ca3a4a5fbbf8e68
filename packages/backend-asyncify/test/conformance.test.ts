import { coroutineConformance } from '@qco/conformance';
import { createBackend } from '../src/index.js';

coroutineConformance(createBackend());
coroutineConformance(createBackend, { label: 'gc-stress', stress: () => (globalThis as { gc?: () => void }).gc?.() });
