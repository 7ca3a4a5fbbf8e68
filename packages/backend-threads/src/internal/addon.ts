/**
 * Loads the native half of the threads backend through qco's one addon loader
 * (@qco/native-common): V8's C++ API (Locker, Unlocker) is not ABI-stable across
 * Node majors, and the loader picks the build made for the running Node's ABI; a
 * missing or unloadable addon means "not available" with the reason, never a
 * throw at import.
 */
import { fileURLToPath } from 'node:url';
import { findPackageDir, loadAddon as loadQcoAddon, type AddonLoad } from '@qco/native-common';

/** The addon's functions (native/threads.cc). */
export interface ThreadsAddon {
  newContext(entry: object): number;
  switchTo(from: number, to: number, action: number): number;
  deleteContext(id: number): void;
  configure(stackKiB: number, spin: number, idleMax: number): void;
  stats(): { live: number; threads: number; idle: number; threadsCreated: number; stackSize: number };
  isLocked(): boolean;
  /** Test builds only: the futex ping-pong floor the benchmarks compare with. */
  futexRoundTrips?(n: number): void;
  readonly leader: number;
}

let load: AddonLoad<ThreadsAddon> | undefined;

function get(): AddonLoad<ThreadsAddon> {
  return (load ??= loadQcoAddon<ThreadsAddon>(findPackageDir(fileURLToPath(import.meta.url)), 'qco_threads'));
}

/** The addon for this Node, or null when it was not built (see `addonFailure`). */
export function loadAddon(): ThreadsAddon | null {
  return get().addon;
}

/** Why the addon could not be loaded, when it could not. */
export function addonFailure(): string | undefined {
  const l = get();
  return l.addon === null ? l.reason : undefined;
}
