/**
 * @qco/backend-sigaltstack — QEMU's coroutine-sigaltstack.c design as a
 * Node-API addon: each context owns an mmap'd stack with a guard page, started
 * once by running a signal handler on it as the alternate signal stack
 * (csrc/start-sigaltstack.c, with a real-time signal Node does not use, so
 * Node's handlers and process.on('SIGUSR2') keep working), then switched with
 * sigsetjmp/siglongjmp. Everything but the start method is shared with the
 * native-ucontext backend (@qco/native-common). If the addon did not build, the
 * backend is "not available"; importing never throws.
 */
import { fileURLToPath } from 'node:url';
import { findPackageDir, nativeBackendModule, type NativeAddon, type NativeBackendOptions } from '@qco/native-common';
import type { CoroutineBackend } from '@qco/backend-api';

/** Name under which the core selects this backend. */
export const backendName = 'sigaltstack';

const module = nativeBackendModule(backendName, () => findPackageDir(fileURLToPath(import.meta.url)), 'qco_sigaltstack');

/** Whether the addon built and loads here. */
export function isAvailable(): boolean {
  return module.isAvailable();
}

/** Create the backend; throws BackendNotAvailableError (with the reason) when not available. */
export function createBackend(options?: NativeBackendOptions): CoroutineBackend {
  return module.createBackend(options);
}

/** The loaded addon (tests, benchmarks), or null. */
export function nativeAddon(): NativeAddon | null {
  return module.addon();
}

/** Why the backend is not available ('' when it is). */
export function unavailableReason(): string {
  return module.unavailableReason();
}

/** This package as a BackendModule, for registerBackend and the bench module. */
export const sigaltstackBackendModule = module;

export type { NativeAddon, NativeBackendOptions } from '@qco/native-common';
