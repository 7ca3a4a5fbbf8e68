/**
 * The BackendModule of a native backend package: the addon is loaded lazily and
 * at most once, a failure to load makes the backend "not available" (the core's
 * selection error then lists what is), and nothing happens at import time.
 */
import { BackendNotAvailableError, type BackendModule, type CoroutineBackend } from '@qco/backend-api';
import type { NativeAddon } from './addon.js';
import { loadAddon, type AddonLoad } from './addon-loader.js';
import { createNativeBackend, type NativeBackendOptions } from './native-backend.js';

/** A native backend package's module, with access to its addon for tests and benchmarks. */
export interface NativeBackendModule extends BackendModule {
  /** Create the backend with options; throws BackendNotAvailableError when not available. */
  createBackend(options?: NativeBackendOptions): CoroutineBackend;
  /** The loaded addon, or null. */
  addon(): NativeAddon | null;
  /** Why the addon did not load ('' when it did). */
  unavailableReason(): string;
  /** File the addon was loaded from, or null. */
  addonPath(): string | null;
}

/** Describe the native backend `name` whose addon `<target>.node` is built in `packageDir`. */
export function nativeBackendModule(name: string, packageDir: () => string, target: string): NativeBackendModule {
  let load: AddonLoad<NativeAddon> | undefined;
  const get = (): AddonLoad<NativeAddon> => (load ??= loadAddon<NativeAddon>(packageDir(), target));
  return {
    backendName: name,
    isAvailable: () => get().addon !== null,
    addon: () => get().addon,
    unavailableReason: () => {
      const l = get();
      return l.addon === null ? l.reason : '';
    },
    addonPath: () => {
      const l = get();
      return l.addon === null ? null : l.path;
    },
    createBackend(options: NativeBackendOptions = {}): CoroutineBackend {
      const l = get();
      if (l.addon === null) throw new BackendNotAvailableError(name, undefined, l.reason);
      return createNativeBackend(name, l.addon, options);
    },
  };
}

/** The functions a native backend package exports, the same in each. */
export interface NativeBackendFace {
  /** Whether the addon built and loads here. */
  readonly isAvailable: () => boolean;
  /** Create the backend; throws BackendNotAvailableError (with the reason) when not available. */
  readonly createBackend: (options?: NativeBackendOptions) => CoroutineBackend;
  /** The loaded addon (tests, benchmarks), or null. */
  readonly nativeAddon: () => NativeAddon | null;
  /** Why the backend is not available ('' when it is). */
  readonly unavailableReason: () => string;
}

/** A native backend package's exported functions over its module. */
export function nativeBackendFace(module: NativeBackendModule): NativeBackendFace {
  return {
    isAvailable: () => module.isAvailable(),
    createBackend: (options) => module.createBackend(options),
    nativeAddon: () => module.addon(),
    unavailableReason: () => module.unavailableReason(),
  };
}
