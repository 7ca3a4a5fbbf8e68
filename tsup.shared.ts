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

/**
 * A native backend (native-ucontext, sigaltstack): @qco/native-common's shared
 * TypeScript glue is bundled in from its sources, so at run time the package
 * needs only @qco/backend-api; native-common stays a dependency for its C
 * sources, which node-gyp compiles at install (and for its types).
 */
export function qcoNativeBackendPackage() {
  return qcoPackage(
    { index: 'src/index.ts' },
    {
      shims: true,
      noExternal: ['@qco/native-common'],
      esbuildOptions(options) {
        options.conditions = ['qco-source', ...(options.conditions ?? [])];
      },
    },
  );
}
