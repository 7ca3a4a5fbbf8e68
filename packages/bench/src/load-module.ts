/**
 * Bench modules live in TypeScript under each package's `bench/` folder, outside
 * `src/` and `dist/`, so they are never shipped. Before a run the harness bundles
 * each one with esbuild into the package's `.qco-bench/` folder: its own relative
 * imports are bundled in, every package import stays external so the benchmark
 * child shares one @qco/core (and one registry of backends) with the harness.
 * A declared `.js` path is taken as already built.
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { build } from 'esbuild';

/** The runnable JavaScript file for a declared bench module of the package in `packageDir`. */
export async function compileBenchModule(packageDir: string, modulePath: string): Promise<string> {
  if (!modulePath.endsWith('.ts')) return modulePath;
  const outDir = join(packageDir, '.qco-bench');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, basename(modulePath).replace(/\.ts$/, '.mjs'));
  await build({
    entryPoints: [modulePath],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'error',
    absWorkingDir: dirname(modulePath),
  });
  return outfile;
}
