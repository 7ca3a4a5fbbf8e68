// The one asyncify toolchain: C files plus qco's runtime (csrc/runtime.c, the
// public qco.h) into a wasm module the backend loads. Debian's clang
// (--target=wasm32) and wasm-ld link; Binaryen from npm then adds stack-check
// (every shadow stack pointer write is bounded by the running context's
// limits), wires the limits setter in, runs asyncify (only qco_switch starts an
// unwind; no import does) and -O3. The output is deterministic.
//
// With `libc`, the module is a WASI reactor linked with Debian's wasi-libc, so a
// consumer's C can use read/write/fcntl/malloc/errno…; the backend gives it
// node:wasi's imports (fds 0-2 are the process's stdio). Without, it is
// freestanding (the backend's own module).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
/** The directory of the public qco.h (@qco/backend-api's include/). */
export const includeDir = join(dirname(require.resolve('@qco/backend-api/package.json')), 'include');
/** The runtime's own sources. */
export const runtimeSources = [join(pkg, 'csrc', 'runtime.c'), join(pkg, 'csrc', 'stack-pointer.s')];
const MAIN_STACK = 65536;
const WASI_LIB = '/usr/lib/wasm32-wasi';

/** Debian's wasi-libc and clang's wasm32 builtins, or why they are missing. */
function wasiLibc() {
  const crt = join(WASI_LIB, 'crt1-reactor.o');
  if (!existsSync(join(WASI_LIB, 'libc.a')) || !existsSync(crt)) throw new Error(`wasi-libc not found in ${WASI_LIB} (Debian: apt-get install wasi-libc libclang-rt-14-dev-wasm32)`);
  const builtins = execFileSync('clang', ['--target=wasm32-wasi', '-print-libgcc-file-name'], { encoding: 'utf8' }).trim();
  if (!existsSync(builtins)) throw new Error(`clang's wasm32 builtins ${builtins} not found (Debian: apt-get install libclang-rt-14-dev-wasm32)`);
  return { crt, libc: join(WASI_LIB, 'libc.a'), builtins };
}

/**
 * Build `sources` (C or assembly, absolute paths) with the runtime into `out`.
 * Throws with the tool's message when a step fails.
 * @param {{ sources: string[], out: string, includeDirs?: string[], defines?: string[], libc?: boolean, log?: (line: string) => void }} o
 */
export async function buildAsyncifyModule(o) {
  const libc = o.libc ? wasiLibc() : null;
  const target = libc ? '--target=wasm32-wasi' : '--target=wasm32';
  const tmp = mkdtempSync(join(tmpdir(), 'qco-asyncify-'));
  const run = (cmd, argv) => execFileSync(cmd, argv, { stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    const objects = [];
    const all = [...runtimeSources, ...o.sources];
    for (const [i, src] of all.entries()) {
      const obj = join(tmp, `${i}-${basename(src).replace(/\.[cs]$/, '')}.o`);
      // -ffile-prefix-map keeps the temp dir and checkout paths out of the output.
      const own = src === runtimeSources[0] || !libc ? ['-ffreestanding', '-fno-builtin'] : [];
      // -O3 (and LTO at -O3) inlines qco_enter / qco_yield into C bodies' loops: one
      // frame fewer for asyncify to unwind and rewind at each switch (≈ 10-15 % per round trip).
      const cflags = src.endsWith('.c')
        ? ['-O3', '-flto', '-mbulk-memory', ...(libc ? ['-ftls-model=local-exec'] : []), ...own, '-Wall', '-Wextra', '-Werror', `-ffile-prefix-map=${dirname(src)}=.`, `-ffile-prefix-map=${includeDir}=qco`, '-I', includeDir, ...(o.includeDirs ?? []).flatMap((d) => ['-I', d]), ...(o.defines ?? []).map((d) => `-D${d}`), `-DQCO_MAIN_STACK_SIZE=${MAIN_STACK}`]
        : [];
      run('clang', [target, ...cflags, '-c', src, '-o', obj]);
      objects.push(obj);
    }
    const linked = join(tmp, 'linked.wasm');
    const libs = libc ? [libc.crt, ...objects, libc.libc, libc.builtins, '--export=_initialize'] : objects;
    run('wasm-ld', ['--no-entry', '--lto-O3', '--stack-first', '-z', `stack-size=${MAIN_STACK}`, '--strip-debug', '-o', linked, ...libs]);

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

    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, bytes);
    o.log?.(`built ${o.out} (${bytes.length} bytes)`);
    return bytes.length;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
