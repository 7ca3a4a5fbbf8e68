/**
 * Loading a native backend's addon without ever throwing at import: the addon is
 * looked for in the build made for this Node major (`build-node<major>/`, made
 * against that Node's own headers) and then in node-gyp's default `build/`; a
 * missing or unloadable addon is recorded as the reason the backend is not
 * available.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** What the shared addon (csrc/addon.cc) exports. */
export interface NativeAddon {
  readonly startMethod: string;
  newContext(): number;
  enter(id: number): number;
  complete(id: number, outcome: number): number;
  resumeStep(id: number): number;
  deleteContext(id: number): void;
  functions(): string[];
  start(fn: number, args: readonly number[]): number;
  resume(handle: number, input: number): number;
  cancel(handle: number): void;
  setStepInfo(info: Float64Array): void;
  nativeCases(): string[];
  runNativeCase(name: string): string;
  perf(name: string, iterations: number): number;
  pollFd(fd: number, events: number): number;
  stackSize(bytes?: number): number;
  enableOverflowCheck(): boolean;
  stats(): { live: number; pooled: number };
}

/** An addon, or why there is none. */
export type AddonLoad = { readonly addon: NativeAddon; readonly path: string } | { readonly addon: null; readonly reason: string };

/** The package directory holding `fromFile`: the nearest directory above it with a binding.gyp. */
export function findPackageDir(fromFile: string): string {
  for (let dir = dirname(fromFile); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'binding.gyp'))) return dir;
    if (dirname(dir) === dir) return dirname(fromFile);
  }
}

/** Candidate paths of `<target>.node` under a backend package directory, best first. */
export function addonCandidates(packageDir: string, target: string): string[] {
  const major = process.versions.node.split('.')[0] ?? '';
  const list = [join(packageDir, `build-node${major}`, 'build', 'Release', `${target}.node`), join(packageDir, 'build', 'Release', `${target}.node`)];
  // A special build (the AddressSanitizer run of the JS suites) is named by QCO_ADDON_DIR.
  const special = process.env['QCO_ADDON_DIR'];
  return special ? [join(packageDir, special, 'build', 'Release', `${target}.node`), ...list] : list;
}

/** Load the addon `<target>.node` of the backend package at `packageDir`; never throws. */
export function loadAddon(packageDir: string, target: string): AddonLoad {
  const req = createRequire(join(packageDir, 'package.json'));
  const tried: string[] = [];
  for (const file of addonCandidates(packageDir, target)) {
    if (!existsSync(file)) {
      tried.push(`${file}: not built`);
      continue;
    }
    try {
      return { addon: req(file) as NativeAddon, path: file };
    } catch (err) {
      tried.push(`${file}: ${(err as Error).message}`);
    }
  }
  return { addon: null, reason: tried.join('; ') };
}
