#!/usr/bin/env node
// Build the native suite (csrc/asan-main.c + the shared C sources + the given
// start method) as a plain program under AddressSanitizer and run it, twice: with
// the default options and with stack-use-after-return detection (fake stacks, the
// case the fiber annotations in coroutine.c exist for). Run from a backend
// package: `node ../native-common/scripts/asan.mjs csrc/start-ucontext.c`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

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
process.exit(failed ? 1 : 0);
