#!/usr/bin/env node
// The one AddressSanitizer runner of qco's addons, run by each package's test
// command. For a native backend (--program <start-method.c>) the C runtime and
// its C suite are first built as a plain program and run twice: with the default
// options and with stack-use-after-return detection (the fake stacks the fiber
// annotations in coroutine.c exist for). Then the addon itself is built with
// AddressSanitizer (addon/abi<N>-asan/) and the given vitest files run in Node
// with libasan preloaded (Node itself is not instrumented; leak checking is off,
// V8 keeps allocations for the process lifetime by design).
//
// Scripts given with --script run under the same preload (drivers-block's addon
// exercises), finding the instrumented build through the loader (QCO_ADDON_VARIANT=asan).
//
//   qco-asan <target[,target…]> [--gyp-dir <dir>] [--program <start.c>] [--script <file>]… -- <vitest files...>
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const own = dash >= 0 ? argv.slice(0, dash) : argv;
const files = dash >= 0 ? argv.slice(dash + 1) : [];
const opt = (name) => (own.includes(name) ? own[own.indexOf(name) + 1] : undefined);
const target = own[0];
if (!target || target.startsWith('--')) {
  console.error('usage: qco-asan <target> [--gyp-dir <dir>] [--program <start.c>] -- <vitest files...>');
  process.exit(2);
}
const pkgDir = process.cwd();
const req = createRequire(join(pkgDir, 'package.json'));
const build = createRequire(import.meta.url)('./build-addon.cjs');
const cc = process.env.CC ?? 'gcc';
let failed = 0;

const program = opt('--program');
if (program) {
  const gyp = createRequire(import.meta.url)('../gyp.cjs');
  const out = resolve('build-asan');
  mkdirSync(out, { recursive: true });
  const exe = join(out, 'native-suite');
  const args = ['-std=gnu11', '-g', '-O1', '-fsanitize=address,undefined', '-fno-omit-frame-pointer', '-U_FORTIFY_SOURCE', '-DQCO_TEST_BUILD', '-DQCO_RUNTIME', '-I', gyp.includeDir, '-I', gyp.csrc, '-I', gyp.suiteDir(), ...gyp.asanSources(), resolve(program), '-o', exe, '-lpthread'];
  console.log(`$ ${cc} ${args.join(' ')}`);
  execFileSync(cc, args, { stdio: 'inherit' });
  for (const opts of ['detect_leaks=1:abort_on_error=1', 'detect_leaks=0:detect_stack_use_after_return=1:abort_on_error=1']) {
    console.log(`\n# ASAN_OPTIONS=${opts}`);
    const r = spawnSync(exe, { stdio: 'inherit', env: { ...process.env, ASAN_OPTIONS: opts, UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' } });
    if (r.status !== 0) {
      console.error(`the C suite under AddressSanitizer failed (${r.status ?? r.signal})`);
      failed++;
    }
  }
}

console.log(`\n# the ${target} addon with AddressSanitizer, JS tests in Node with libasan preloaded`);
const built = build.run({ target, pkgDir, gypDir: opt('--gyp-dir'), variant: 'asan' });
if (!built.ok) {
  console.error(`the AddressSanitizer build of the addon failed: ${built.reason}`);
  process.exit(1);
}
const libasan = execFileSync(cc, ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
const asanEnv = { ...process.env, LD_PRELOAD: libasan, ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1', QCO_ADDON_VARIANT: 'asan' };
for (const [i, a] of own.entries()) {
  if (a !== '--script') continue;
  const script = own[i + 1];
  console.log(`\n# node ${script} with libasan preloaded`);
  const r = spawnSync(process.execPath, [script], { stdio: 'inherit', env: asanEnv });
  if (r.status !== 0) {
    console.error(`${script} under AddressSanitizer failed (${r.status ?? r.signal})`);
    failed++;
  }
}
if (files.length > 0) {
  const vitest = join(dirname(req.resolve('vitest/package.json')), 'vitest.mjs');
  // The reporters write .qco-run/vitest.json; this run's report must not replace the package's own.
  const js = spawnSync(process.execPath, [vitest, 'run', ...files, '--reporter=default'], {
    stdio: 'inherit',
    env: { ...asanEnv, QCO_EXPECT_ADDON_DIR: dirname(built.file).split('/').pop() },
  });
  if (js.status !== 0) {
    console.error(`the JS tests with the AddressSanitizer addon failed (${js.status ?? js.signal})`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
