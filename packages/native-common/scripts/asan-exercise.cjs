// What every addon's AddressSanitizer exercise script shares (a script given to
// qco-asan with --script): the instrumented build's path in the one loader's
// layout (addon/abi<N>-asan/), the runtime libraries to preload, and a child
// Node running the exercise as CommonJS with `a` (the addon), `assert` and
// `throws` in scope. The exercise runs in a child of its own because UBSan must
// be preloaded too, and because a failed check must end the process at once
// with a clear line rather than as an exception the addon's callbacks could swallow.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const PRELUDE = `const assert = (c, m) => { if (!c) { console.error('FAILED: ' + m); process.exit(1); } };
const throws = (f, m) => { try { f(); } catch { return; } console.error('did not throw: ' + m); process.exit(1); };
`;

/** The scratch directory (build-asan/ of the package), created. */
function asanScratchDir() {
  const out = resolve('build-asan');
  mkdirSync(out, { recursive: true });
  return out;
}

/** libasan and libubsan of the compiler that built the addon ($CC, else gcc), for LD_PRELOAD. */
function sanitizerRuntimes() {
  const cc = process.env.CC ?? 'gcc';
  const lib = (name) => execFileSync(cc, [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();
  return [lib('libasan.so'), lib('libubsan.so')];
}

/** Path of the AddressSanitizer build of `target` that qco-asan made for this Node. */
function asanAddonPath(target) {
  return join(process.cwd(), 'addon', `abi${process.versions.modules}-asan`, `${target}.node`);
}

/**
 * Run `body` (CommonJS source using `a`, `assert`, `throws`) in a child Node with
 * the sanitizers preloaded, and exit with 0 only when it ran clean.
 */
function runAsanExercise({ target, name, body, nodeArgs = [] }) {
  const script = join(asanScratchDir(), name);
  writeFileSync(script, `const a = require(${JSON.stringify(asanAddonPath(target))});\n${PRELUDE}${body}`);
  const r = spawnSync(process.execPath, [...nodeArgs, script], {
    stdio: 'inherit',
    env: { ...process.env, LD_PRELOAD: sanitizerRuntimes().join(' '), ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' },
  });
  process.exit(r.status === 0 ? 0 : 1);
}

module.exports = { asanScratchDir, sanitizerRuntimes, asanAddonPath, runAsanExercise };
