// The shared conformance suite on this backend, plainly and with a full GC forced
// between steps (vitest runs this package with --expose-gc).
import { coroutineConformance } from '@qco/conformance';
import { createBackend } from '../src/index.js';

coroutineConformance(createBackend());
coroutineConformance(() => createBackend(), {
  label: 'gc-stress',
  stress: () => (globalThis as { gc?: () => void }).gc?.(),
});
