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
import { findPackageDir, nativeBackendFace, nativeBackendModule } from '@qco/native-common';

/** Name under which the core selects this backend. */
export const backendName = 'sigaltstack';

const module = nativeBackendModule(backendName, () => findPackageDir(fileURLToPath(import.meta.url)), 'qco_sigaltstack');

/** isAvailable, createBackend, nativeAddon and unavailableReason: the native backends' common face (NativeBackendFace). */
export const { isAvailable, createBackend, nativeAddon, unavailableReason } = nativeBackendFace(module);

/** This package as a BackendModule, for registerBackend and the bench module. */
export const sigaltstackBackendModule = module;

export type { NativeAddon, NativeBackendOptions } from '@qco/native-common';
