#!/usr/bin/env node
// Builds wasm/qco-asyncify.wasm from csrc/: Debian's clang (--target=wasm32) and
// wasm-ld, then Binaryen from npm: stack-check (every shadow stack pointer write is
// bounded by the running context's limits), the limits setter wired in, asyncify
// (only qco_switch starts an unwind; no import does), then -O3. The output is
// deterministic, so a test can compare a committed copy with a fresh build.
//
// Like a native addon's install, a failed build (no clang here) exits 0 after saying
// why: the backend then reports itself not available. --strict makes it fail.
//
//   node scripts/build-wasm.mjs [--out <file>] [--strict]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outArg = args.indexOf('--out');
const out = outArg >= 0 ? resolve(args[outArg + 1]) : join(pkg, 'wasm', 'qco-asyncify.wasm');

const csrc = join(pkg, 'csrc');
const sources = ['runtime.c', 'native-bodies.c', 'native-suite.c', 'stack-pointer.s'];
const MAIN_STACK = 65536;
const tmp = mkdtempSync(join(tmpdir(), 'qco-asyncify-'));

function run(cmd, argv) {
  execFileSync(cmd, argv, { stdio: ['ignore', 'inherit', 'inherit'], cwd: csrc });
}

const strict = args.includes('--strict');
try {
  const objects = [];
  for (const src of sources) {
    const obj = join(tmp, src.replace(/\.[cs]$/, '.o'));
    // -ffile-prefix-map keeps the temp dir and checkout path out of the output.
    // -O3 (and LTO at -O3) inlines qco_enter / qco_yield into C bodies' loops: one
    // frame fewer for asyncify to unwind and rewind at each switch (≈ 10-15 % per round trip).
    const cflags = src.endsWith('.c') ? ['-O3', '-flto', '-mbulk-memory', '-ffreestanding', '-fno-builtin', '-Wall', '-Wextra', '-Werror', `-ffile-prefix-map=${csrc}=.`, '-I', '.', `-DQCO_MAIN_STACK_SIZE=${MAIN_STACK}`] : [];
    run('clang', ['--target=wasm32', ...cflags, '-c', src, '-o', obj]);
    objects.push(obj);
  }
  const linked = join(tmp, 'linked.wasm');
  run('wasm-ld', ['--no-entry', '--lto-O3', '--stack-first', '-z', `stack-size=${MAIN_STACK}`, '--strip-debug', '-o', linked, ...objects]);

  const binaryen = (await import('binaryen')).default;
  const mod = binaryen.readBinary(readFileSync(linked));
  mod.setFeatures(binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | binaryen.Features.SignExt);

  // Shadow stack bounds: stack-check adds __stack_base / __stack_limit and traps
  // before an out-of-bounds write. (Its handler option builds invalid code in
  // Binaryen 132, so the trap is what JavaScript sees and reports.)
  mod.runPasses(['stack-check']);

  // The main stack's bounds are the limits until the first qco_run sets a context's.
  const sp = binaryen.getGlobalInfo(mod.getGlobal('__stack_pointer'));
  const stackTop = binaryen.getExpressionInfo(sp.init).value;
  if (stackTop !== MAIN_STACK) throw new Error(`expected the main stack to end at ${MAIN_STACK}, not ${stackTop}`);
  for (const [name, value] of [
    ['__stack_base', stackTop],
    ['__stack_limit', 16],
  ]) {
    mod.removeGlobal(name);
    mod.addGlobal(name, binaryen.i32, true, mod.i32.const(value));
  }
  // qco_internal.set_stack_limits becomes a function that sets them.
  const setter = 'qco_set_stack_limits';
  if (!mod.getFunction(setter)) throw new Error(`${setter} import not found`);
  mod.removeFunction(setter);
  mod.addFunction(
    setter,
    binaryen.createType([binaryen.i32, binaryen.i32]),
    binaryen.none,
    [],
    mod.block(null, [mod.global.set('__stack_base', mod.local.get(0, binaryen.i32)), mod.global.set('__stack_limit', mod.local.get(1, binaryen.i32))]),
  );
  mod.removeExport('__set_stack_limits');

  binaryen.setPassArgument('asyncify-ignore-imports', '');
  binaryen.setOptimizeLevel(3);
  binaryen.setShrinkLevel(0);
  mod.runPasses(['asyncify']);
  mod.optimize();
  if (!mod.validate()) throw new Error('binaryen: the asyncified module does not validate');
  const bytes = mod.emitBinary();
  mod.dispose();

  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, bytes);
  console.log(`built ${out} (${bytes.length} bytes)`);
} catch (err) {
  console.error(`@qco/backend-asyncify: could not build the wasm module (${err instanceof Error ? err.message : String(err)}); the asyncify backend will not be available. Setup installs clang and lld (setup/apt-build.txt).`);
  if (strict) process.exitCode = 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
