/**
 * @qco/backend-asyncify — contexts in WebAssembly linear memory, switched by
 * Binaryen's asyncify inside a module built from csrc/. Available wherever the
 * built module loads (no native addon); selected with `"qco": { "backend": "asyncify" }`.
 */
import type { BackendModule, CoroutineBackend } from '@qco/backend-api';
import { createAsyncifyBackend } from './asyncify.js';
import { compiledModule, moduleLoadError } from './internal/wasm-module.js';

/** Name under which the core selects this backend. */
export const backendName = 'asyncify';

/** Whether the built wasm module is present and compiles here. */
export function isAvailable(): boolean {
  return compiledModule() !== null;
}

/** Why the backend is not available ('' when it is). */
export function unavailableReason(): string {
  if (compiledModule() !== null) return '';
  const err = moduleLoadError();
  return err instanceof Error ? err.message : String(err);
}

/** Create the backend (a fresh wasm instance); throws when the module is not available. */
export function createBackend(): CoroutineBackend {
  return createAsyncifyBackend();
}

export { createAsyncifyBackend, type AsyncifyBackend, type AsyncifyBackendOptions, type AsyncifyInternals } from './asyncify.js';
export { AsyncifyBackendError, AsyncifyDataOverflowError, AsyncifyOutOfMemoryError, AsyncifyStackOverflowError, AsyncifyTrapError } from './errors.js';
export { moduleLoadError, wasmPath } from './internal/wasm-module.js';

/** This package as a BackendModule, for registerBackend. */
export const asyncifyBackendModule: BackendModule = { backendName, isAvailable, unavailableReason, createBackend };
