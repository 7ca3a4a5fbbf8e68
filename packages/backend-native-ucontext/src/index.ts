/**
 * @qco/backend-native-ucontext — QEMU's coroutine-ucontext.c design as a
 * Node-API addon: each context owns an mmap'd stack with a guard page, started
 * once with getcontext/makecontext (csrc/start-ucontext.c) and switched with
 * sigsetjmp/siglongjmp ever after. JavaScript bodies step on Node's stack between
 * two real switches; C bodies are stackful (`yield* nativeCall(...)`). Everything
 * but the start method is shared with the sigaltstack backend (@qco/native-common).
 * If the addon did not build, the backend is "not available"; importing never throws.
 */
import { fileURLToPath } from 'node:url';
import { findPackageDir, nativeBackendModule, type NativeAddon, type NativeBackendOptions } from '@qco/native-common';
import type { CoroutineBackend } from '@qco/backend-api';

/** Name under which the core selects this backend. */
export const backendName = 'native-ucontext';

const module = nativeBackendModule(backendName, () => findPackageDir(fileURLToPath(import.meta.url)), 'qco_native_ucontext');

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
export const nativeUcontextBackendModule = module;

export type { NativeAddon, NativeBackendOptions } from '@qco/native-common';
