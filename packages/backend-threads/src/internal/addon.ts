/**
 * Loads the native half of the threads backend. V8's C++ API (Locker, Unlocker)
 * is not ABI-stable across Node majors, so the addon is built once per Node ABI
 * into build/abi-<NODE_MODULE_VERSION>/ and this picks the one for the running
 * Node; a missing or unloadable addon means "not available", never a throw at
 * import.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's functions (native/threads.cc). */
export interface ThreadsAddon {
  newContext(entry: object): number;
  switchTo(from: number, to: number, action: number): number;
  deleteContext(id: number): void;
  configure(stackKiB: number, spin: number, idleMax: number): void;
  stats(): { live: number; threads: number; idle: number; threadsCreated: number; stackSize: number };
  isLocked(): boolean;
  futexRoundTrips(n: number): void;
  readonly leader: number;
}

let loaded: ThreadsAddon | null | undefined;
let failure: string | undefined;

function packageRoot(): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'native', 'binding.gyp'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The addon for this Node, or null when it was not built (see `addonFailure`). */
export function loadAddon(): ThreadsAddon | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  const root = packageRoot();
  if (root === undefined) {
    failure = 'package root not found';
    return null;
  }
  const variant = process.env['QCO_THREADS_ASAN'] === '1' ? 'asan-abi' : 'abi';
  const file = join(root, 'build', `${variant}-${process.versions.modules}`, 'qco_threads.node');
  try {
    loaded = createRequire(import.meta.url)(file) as ThreadsAddon;
  } catch (err) {
    failure = `${file}: ${(err as Error).message}`;
  }
  return loaded;
}

/** Why the addon could not be loaded, when it could not. */
export function addonFailure(): string | undefined {
  loadAddon();
  return failure;
}
