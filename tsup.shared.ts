// One tsup setup for every package: ESM + CJS + declarations, sources kept readable.
// Declarations leave out what is tagged @internal: it is not part of the package's API.
import { defineConfig, type Options } from 'tsup';

export function qcoPackage(entry: Record<string, string> | string[], extra: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { stripInternal: true } },
    clean: true,
    sourcemap: true,
    target: 'node20',
    splitting: false,
    ...extra,
  });
}
