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
import { findPackageDir, nativeBackendFace, nativeBackendModule } from '@qco/native-common';

/** Name under which the core selects this backend. */
export const backendName = 'native-ucontext';

const module = nativeBackendModule(backendName, () => findPackageDir(fileURLToPath(import.meta.url)), 'qco_native_ucontext');

/** isAvailable, createBackend, nativeAddon and unavailableReason: the native backends' common face (NativeBackendFace). */
export const { isAvailable, createBackend, nativeAddon, unavailableReason } = nativeBackendFace(module);

/** This package as a BackendModule, for registerBackend and the bench module. */
export const nativeUcontextBackendModule = module;

export type { NativeAddon, NativeBackendOptions } from '@qco/native-common';
