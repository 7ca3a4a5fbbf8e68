/**
 * @qco/backend-threads — the threads backend of qco: one OS thread per coroutine
 * context, taking turns on the isolate under v8::Locker. Generator bodies run as
 * on every backend; plain function bodies may call coroutineYield() as a blocking
 * call from any depth. The addon is optional: without it the backend reports
 * itself not available.
 */
import { BackendNotAvailableError, type BackendModule, type CoroutineBackend } from '@qco/backend-api';
import { addonFailure } from './internal/addon.js';
import { loadAddon } from './internal/addon.js';
import { createThreadsBackend, type ThreadContext, type ThreadsBackend, type ThreadsBackendOptions } from './threads.js';

/** Name under which the core selects this backend. */
export const backendName = 'threads';

/** Whether the addon is built for the running Node. */
export function isAvailable(): boolean {
  return loadAddon() !== null;
}

/**
 * The floor under a switch: `n` futex round trips between two plain threads, no
 * isolate involved (benchmarks time it beside the backend's round trip).
 */
export function futexRoundTrips(n: number): void {
  const addon = loadAddon();
  if (addon === null) throw new BackendNotAvailableError('threads', undefined, addonFailure() ?? 'addon not built');
  if (addon.futexRoundTrips === undefined) throw new Error('futexRoundTrips is benchmark code, in the test build only (QCO_ADDON_VARIANT=test)');
  addon.futexRoundTrips(n);
}

/** Why the backend is not available ('' when it is). */
export function unavailableReason(): string {
  return loadAddon() === null ? (addonFailure() ?? 'addon not built') : '';
}

/** Create the backend (throws BackendNotAvailableError when not available). */
export function createBackend(): CoroutineBackend {
  return createThreadsBackend();
}

export { createThreadsBackend, type ThreadContext, type ThreadsBackend, type ThreadsBackendOptions };

/** This package as a BackendModule, for registerBackend. */
export const threadsBackendModule: BackendModule = { backendName, isAvailable, unavailableReason, createBackend };
