#!/usr/bin/env node
// Builds the backend's own module, wasm/qco-asyncify.wasm: the runtime, the C
// bodies its tests and benchmarks run (csrc/native-bodies.c) and @qco/conformance's
// C suite, freestanding (no libc), through the one asyncify toolchain
// (asyncify-build.mjs). The output is deterministic, so a test can compare a
// committed copy with a fresh build.
//
// Like a native addon's install, a failed build (no clang here) exits 0 after saying
// why: the backend then reports itself not available. --strict makes it fail.
//
//   node scripts/build-wasm.mjs [--out <file>] [--strict]
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAsyncifyModule } from './asyncify-build.mjs';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outArg = args.indexOf('--out');
const out = outArg >= 0 ? resolve(args[outArg + 1]) : join(pkg, 'wasm', 'qco-asyncify.wasm');
const strict = args.includes('--strict');

try {
  const suite = join(dirname(createRequire(import.meta.url).resolve('@qco/conformance/package.json')), 'csrc');
  await buildAsyncifyModule({
    sources: [join(pkg, 'csrc', 'native-bodies.c'), join(suite, 'native-suite.c')],
    includeDirs: [join(pkg, 'csrc'), suite],
    out,
    log: console.log,
  });
} catch (err) {
  console.error(`@qco/backend-asyncify: could not build the wasm module (${err instanceof Error ? err.message : String(err)}); the asyncify backend will not be available. Setup installs clang and lld (setup/apt-build.txt).`);
  if (strict) process.exitCode = 1;
}
