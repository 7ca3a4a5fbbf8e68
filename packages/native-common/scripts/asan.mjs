#!/usr/bin/env node
// Build the native suite (csrc/asan-main.c + the shared C sources + the given
// start method) as a plain program under AddressSanitizer and run it, twice: with
// the default options and with stack-use-after-return detection (fake stacks, the
// case the fiber annotations in coroutine.c exist for). Then the addon itself is
// built with AddressSanitizer (build-asan-js/) and the JS native and conformance
// suites run in Node with libasan preloaded. Run from a backend package:
// `node ../native-common/scripts/asan.mjs csrc/start-ucontext.c`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const startFile = process.argv[2];
if (!startFile) {
  console.error('usage: asan.mjs <start-method.c>');
  process.exit(2);
}
const gyp = createRequire(join(process.cwd(), 'package.json'))('@qco/native-common/gyp');
const out = resolve('build-asan');
mkdirSync(out, { recursive: true });
const exe = join(out, 'native-suite');
const cc = process.env.CC ?? 'gcc';
const args = ['-std=gnu11', '-g', '-O1', '-fsanitize=address,undefined', '-fno-omit-frame-pointer', '-U_FORTIFY_SOURCE', '-I', gyp.csrc, ...gyp.asanSources, resolve(startFile), '-o', exe, '-lpthread'];
console.log(`$ ${cc} ${args.join(' ')}`);
execFileSync(cc, args, { stdio: 'inherit' });
let failed = 0;
for (const opts of ['detect_leaks=1:abort_on_error=1', 'detect_leaks=0:detect_stack_use_after_return=1:abort_on_error=1']) {
  console.log(`\n# ASAN_OPTIONS=${opts}`);
  const r = spawnSync(exe, { stdio: 'inherit', env: { ...process.env, ASAN_OPTIONS: opts, UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' } });
  if (r.status !== 0) {
    console.error(`native suite under AddressSanitizer failed (${r.status ?? r.signal})`);
    failed++;
  }
}

// The addon under AddressSanitizer, inside Node (which is not instrumented itself).
const jsDir = resolve('build-asan-js');
mkdirSync(jsDir, { recursive: true });
writeFileSync(join(jsDir, 'binding.gyp'), readFileSync('binding.gyp', 'utf8').replaceAll('"csrc/', '"../csrc/'));
const req = createRequire(join(process.cwd(), 'package.json'));
const prefix = resolve(process.execPath, '..', '..');
const nodedir = process.env.npm_config_nodedir ?? (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
const sanitize = '-fsanitize=address -fno-omit-frame-pointer';
console.log('\n# the addon with AddressSanitizer, JS suites in Node with libasan preloaded');
const build = spawnSync(process.execPath, [req.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', '-j', '2', '--loglevel=error', ...(nodedir ? [`--nodedir=${nodedir}`] : [])], {
  cwd: jsDir,
  stdio: 'inherit',
  env: { ...process.env, CFLAGS: sanitize, CXXFLAGS: sanitize, LDFLAGS: '-fsanitize=address' },
});
if (build.status !== 0) {
  console.error('the AddressSanitizer build of the addon failed');
  process.exit(1);
}
const libasan = execFileSync(cc, ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
const vitest = join(dirname(req.resolve('vitest/package.json')), 'vitest.mjs');
const js = spawnSync(process.execPath, [vitest, 'run', 'test/native.test.ts', 'test/test-coroutine.test.ts', '--reporter=default'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    LD_PRELOAD: libasan,
    ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1',
    QCO_ADDON_DIR: 'build-asan-js',
    QCO_EXPECT_ADDON_DIR: 'build-asan-js',
  },
});
if (js.status !== 0) {
  console.error(`JS suites with the AddressSanitizer addon failed (${js.status ?? js.signal})`);
  failed++;
}
process.exit(failed ? 1 : 0);
