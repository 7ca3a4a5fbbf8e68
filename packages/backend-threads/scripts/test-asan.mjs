#!/usr/bin/env node
// Check the addon under AddressSanitizer: build it instrumented into
// build/asan-abi-<N>/, preload libasan into an uninstrumented Node, and run the
// package's suite with the loader pointed at the instrumented build
// (QCO_THREADS_ASAN=1). Leak checking is off: V8 and Node keep allocations for
// the process lifetime by design.
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemNode } from './node-binaries.mjs';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(join(pkg, 'package.json'));
const build = spawnSync(process.execPath, [join(pkg, 'scripts', 'build-addon.mjs')], { stdio: 'inherit', env: { ...process.env, QCO_ASAN: '1' } });
if (build.status !== 0) process.exit(1);
const libasan = execFileSync('g++', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const r = spawnSync(systemNode().bin, [vitest, 'run', ...process.argv.slice(2)], {
  cwd: pkg,
  stdio: 'inherit',
  env: { ...process.env, LD_PRELOAD: libasan, QCO_THREADS_ASAN: '1', ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1' },
});
process.exit(r.status ?? 1);
