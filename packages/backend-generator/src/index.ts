/**
 * @qco/backend-generator — the pure TypeScript backend of qco, and the default.
 */
import type { BackendModule, CoroutineBackend } from '@qco/backend-api';
import { createGeneratorBackend } from './generator.js';

/** Name under which the core selects this backend. */
export const backendName = 'generator';

/** Always available: it needs nothing but JavaScript. */
export function isAvailable(): boolean {
  return true;
}

/** Create the backend (QEMU: the backend chosen by configure). */
export function createBackend(): CoroutineBackend {
  return createGeneratorBackend();
}

export { createGeneratorBackend };

/** This package as a BackendModule, for registerBackend. */
export const generatorBackendModule: BackendModule = { backendName, isAvailable, createBackend };
