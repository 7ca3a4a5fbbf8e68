/**
 * @qco/native-common — what qco's two native stackful backends share: the C
 * sources (csrc/: guard-paged stacks, the trampoline and switch protocol, the
 * JavaScript-step hand-off, the C coroutine API, the Node-API glue, the native
 * suite) and this TypeScript glue over the addon they build. The backends differ
 * only in the file that starts a context on a fresh stack.
 */
export type { NativeAddon } from './addon.js';
export { addonFile, addonPath, addonVariant, findPackageDir, loadAddon, type AddonLoad } from './addon-loader.js';
export { nativeBackendFace, nativeBackendModule, type NativeBackendFace, type NativeBackendModule } from './backend-module.js';
export { createNativeBackend, NativeBackendError, type NativeBackendOptions } from './native-backend.js';
export { createNativeRuntime } from './native-runtime.js';
