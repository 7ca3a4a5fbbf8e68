/**
 * The one loader of qco's addons (native backends, backend-threads, the
 * linux-aio addon of drivers-block). Each is built per Node ABI by
 * scripts/build-addon.cjs into `<package>/addon/abi<N>[-<variant>]/<target>.node`;
 * this loads the one for the running Node and the variant asked for
 * (`QCO_ADDON_VARIANT`: release by default, `test` with the C test suite, `asan`
 * under AddressSanitizer), and never throws: a missing or unloadable addon comes
 * back with the reason, the build's own when it failed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** An addon, or why there is none. */
export type AddonLoad<T> = { readonly addon: T; readonly path: string } | { readonly addon: null; readonly reason: string };

/** Which build to load: `QCO_ADDON_VARIANT` (release, test, asan). */
export function addonVariant(): 'release' | 'test' | 'asan' {
  const v = process.env['QCO_ADDON_VARIANT'];
  return v === 'test' || v === 'asan' ? v : 'release';
}

/** The package directory holding `fromFile`: the nearest directory above it with a package.json naming a package. */
export function findPackageDir(fromFile: string): string {
  for (let dir = dirname(fromFile); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (typeof (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'string') return dir;
      } catch {
        // not a package manifest: keep looking
      }
    }
    if (dirname(dir) === dir) return dirname(fromFile);
  }
}

/** Where `<target>.node` of the package at `packageDir` is for the running Node and `variant`. */
export function addonPath(packageDir: string, target: string, variant = addonVariant()): string {
  const abi = process.versions.modules;
  return join(packageDir, 'addon', variant === 'release' ? `abi${abi}` : `abi${abi}-${variant}`, `${target}.node`);
}

/**
 * The file the loader uses: the build of the asked variant, or the release build
 * when that variant was never built for this package (an addon with no test
 * code of its own has no test build; under the ASan runner another package's
 * uninstrumented release build is fine).
 */
export function addonFile(packageDir: string, target: string): string {
  const file = addonPath(packageDir, target);
  if (addonVariant() === 'release' || existsSync(file) || existsSync(file.replace(/\.node$/, '.failed'))) return file;
  const release = addonPath(packageDir, target, 'release');
  return existsSync(release) ? release : file;
}

/** Load `<target>.node` of the package at `packageDir`; never throws. */
export function loadAddon<T>(packageDir: string, target: string): AddonLoad<T> {
  const file = addonFile(packageDir, target);
  if (!existsSync(file)) {
    const failed = file.replace(/\.node$/, '.failed');
    const why = existsSync(failed) ? readFileSync(failed, 'utf8').trim() : `run the package's install step, e.g. \`pnpm rebuild\`, or qco-build-addon ${target}`;
    return { addon: null, reason: `${file}: not built (${why})` };
  }
  try {
    return { addon: createRequire(join(packageDir, 'package.json'))(file) as T, path: file };
  } catch (err) {
    return { addon: null, reason: `${file}: ${(err as Error).message}` };
  }
}
