// One tsup setup for every package: ESM + CJS + declarations, sources kept readable.
import { defineConfig, type Options } from 'tsup';

export function qcoPackage(entry: Record<string, string> | string[], extra: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    splitting: false,
    ...extra,
  });
}
