/**
 * Loading this package's optional addons (the file driver's linux-aio and
 * file-lock) through qco's one addon loader: built per Node ABI at install and
 * build into addon/abi<N>/, absent (null) where they did not build, never an
 * import-time failure; each caller decides what it does without it, and
 * `packageAddonFailure` says why one is missing.
 */
import { fileURLToPath } from 'node:url';
import { findPackageDir, loadAddon, type AddonLoad } from '@qco/native-common';

const loads = new Map<string, AddonLoad<unknown>>();

function load(name: string): AddonLoad<unknown> {
  let l = loads.get(name);
  if (l === undefined) {
    l = process.platform === 'linux' ? loadAddon<unknown>(findPackageDir(fileURLToPath(import.meta.url)), name) : { addon: null, reason: 'not Linux' };
    loads.set(name, l);
  }
  return l;
}

/** Load addon/abi<N>/<name>.node, or null where it is not built (or not Linux). */
export function loadPackageAddon(name: string): unknown {
  return load(name).addon;
}

/** Why the addon `name` is not loaded ('' when it is). */
export function packageAddonFailure(name: string): string {
  const l = load(name);
  return 'reason' in l ? l.reason : '';
}
