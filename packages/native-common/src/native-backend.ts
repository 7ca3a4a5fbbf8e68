/**
 * A CoroutineBackend over the shared addon, the same for both native backends.
 * JavaScript never runs on a native stack (DESIGN: V8's collector cannot scan
 * one), so a generator body gets no native context at all: it is stepped on the
 * caller's stack as on the generator backend, and its round trip costs what a
 * generator step costs. Native contexts — mmap'd stacks with a guard page,
 * switched with sigsetjmp/siglongjmp — serve C functions only, which the core
 * runs with `yield* nativeCall(...)`: the native switch is crossed only while a
 * C function runs.
 */
import { BACKEND_SPECIFICATION_VERSION, callerStackContexts, type CoroutineBackend } from '@qco/backend-api';
import type { NativeAddon } from './addon.js';
import { createNativeRuntime } from './native-runtime.js';

/** Options common to the native backends. */
export interface NativeBackendOptions {
  /** Bytes of stack per new native context, for C functions (default 1 MiB, or QCO_STACK_SIZE). */
  readonly stackSize?: number;
  /** Report a stack overflow into a guard page with the coroutine's id (debug mode; also QCO_STACK_CHECK=1). */
  readonly overflowCheck?: boolean;
}

/** Error thrown when a native backend is misused (never a crash). */
export class NativeBackendError extends Error {
  override readonly name = 'NativeBackendError';
}

/** Build the backend `name` over a loaded addon. */
export function createNativeBackend(name: string, addon: NativeAddon, options: NativeBackendOptions = {}): CoroutineBackend {
  if (options.stackSize !== undefined) addon.stackSize(options.stackSize);
  if (options.overflowCheck === true && !addon.enableOverflowCheck()) {
    throw new NativeBackendError(`${name}: cannot install the stack overflow handler`);
  }
  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    name,
    bodyKinds: ['generator'],
    native: createNativeRuntime(addon),
    ...callerStackContexts(name),
  };
}
