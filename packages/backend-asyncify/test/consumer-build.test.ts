// qco-asyncify-build from a consumer's side: a C file written against qco.h
// (QCO_MAIN, qco_register_function, byte buffers, libc's malloc and string
// functions, yields from nested calls and from a C coroutine) built into a module
// that the backend loads with loadFunctions({ wasm }) and runs beside its own
// functions; a build that fails says why and the backend repeats the reason.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeCall, useBackend, useNativeFunctions } from '@qco/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createAsyncifyBackend } from '../src/index.js';
import { runToEnd } from '@qco/conformance';

const bin = fileURLToPath(new URL('../scripts/qco-asyncify-build.mjs', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'qco-asyncify-consumer-'));
// Each build runs clang, wasm-ld and Binaryen: seconds on a quiet machine, more on a loaded one.
const BUILD_TIMEOUT = 240_000;

const source = String.raw`
#include <stdlib.h>
#include <string.h>
#include <qco.h>

/* reverse_words(text): reverses the bytes of each space-separated word in place, yielding after each
 * word from two calls down; returns the number of words. */
static int __attribute__((noinline)) reverse_one(uint8_t *w, size_t n) {
  uint8_t *copy = malloc(n ? n : 1);
  if (!copy) return -1;
  memcpy(copy, w, n);
  for (size_t i = 0; i < n; i++) w[i] = copy[n - 1 - i];
  free(copy);
  qco_yield();
  return 1;
}
static double reverse_words(const QcoArg *a, int nargs) {
  if (nargs < 1 || !a[0].bytes) return -1;
  int words = 0;
  size_t start = 0;
  for (size_t i = 0; i <= a[0].length; i++) {
    if (i == a[0].length || a[0].bytes[i] == ' ') {
      if (i > start) words += reverse_one(a[0].bytes + start, i - start);
      start = i + 1;
    }
  }
  return words;
}

struct counter { int n; };
static void count_up(void *opaque) {
  struct counter *c = opaque;
  for (;;) { c->n++; qco_yield(); }
}
/* steps(n): a C coroutine of the call stepped n times; whether it is in a coroutine, times 1000, plus n. */
static double steps(const QcoArg *a, int nargs) {
  (void)nargs;
  struct counter c = {0};
  QcoCoroutine *co = qco_create(count_up, &c);
  for (int i = 0; i < (int)a[0].number; i++) qco_enter(co);
  return qco_in_coroutine() * 1000 + c.n;
}

static void register_functions(void) {
  qco_register_function("reverse_words", reverse_words);
  qco_register_function("steps", steps);
}
QCO_MAIN(register_functions)
`;

function build(file: string, out: string, ...extra: string[]): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, [bin, '-o', out, ...extra, file], { encoding: 'utf8' });
}

describe('qco-asyncify-build: a consumer C file into a module the backend loads', () => {
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('builds with wasi-libc and runs beside the backend functions, with byte buffers and yields', { timeout: BUILD_TIMEOUT }, () => {
    const file = join(tmp, 'words.c');
    writeFileSync(file, source);
    const out = join(tmp, 'words.wasm');
    const r = build(file, out, '--strict');
    expect(r.status, String(r.stderr)).toBe(0);
    const backend = createAsyncifyBackend();
    useBackend(backend);
    useNativeFunctions({ wasm: out });
    useNativeFunctions({ wasm: out }); // loading the same module again changes nothing
    expect(backend.native.functions).toEqual(expect.arrayContaining(['reverse_words', 'steps', 'deep_yield']));
    const text = Buffer.from('abc de  fghij');
    const words = runToEnd(() => nativeCall('reverse_words', [text]));
    expect(words).toEqual({ value: 3, yields: 3 });
    expect(text.toString()).toBe('cba ed  jihgf');
    expect(runToEnd(() => nativeCall('steps', [5]))).toEqual({ value: 1005, yields: 0 });
    // The backend's own functions still run, in their own instance.
    expect(runToEnd(() => nativeCall('add', [40, 2])).value).toBe(42);
    expect(backend.internals.liveContexts()).toBe(0);
  });

  it("a consumer's function takes the name of a backend body; two consumer modules may not share one", { timeout: BUILD_TIMEOUT }, () => {
    const file = join(tmp, 'clash.c');
    writeFileSync(file, '#include <qco.h>\nstatic double add(const QcoArg *a, int n) { (void)n; return a[0].number * a[1].number; }\nstatic void reg(void) { qco_register_function("add", add); }\nQCO_MAIN(reg)\n');
    const out = join(tmp, 'clash.wasm');
    expect(build(file, out, '--strict').status).toBe(0);
    const again = join(tmp, 'clash-again.wasm');
    expect(build(file, again, '--strict').status).toBe(0);
    const backend = createAsyncifyBackend();
    useBackend(backend);
    backend.native.loadFunctions?.({ wasm: out });
    expect(backend.native.functions.filter((f) => f === 'add')).toHaveLength(1);
    expect(runToEnd(() => nativeCall('add', [6, 7])).value).toBe(42);
    expect(() => backend.native.loadFunctions?.({ wasm: again })).toThrow(/native function "add" of .*clash-again\.wasm is already defined by .*clash\.wasm/);
    expect(() => backend.native.loadFunctions?.({})).toThrow(/qco-asyncify-build/);
  });

  it('a failed build exits 0, leaves the reason, and the backend repeats it; --strict fails', { timeout: BUILD_TIMEOUT }, () => {
    const file = join(tmp, 'broken.c');
    writeFileSync(file, '#include <qco.h>\nstatic double f(const QcoArg *a, int n) { return undeclared; }\n');
    const out = join(tmp, 'broken.wasm');
    const r = build(file, out);
    expect(r.status).toBe(0);
    expect(String(r.stderr)).toMatch(/could not build .*broken\.wasm/);
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(`${out}.failed`, 'utf8')).toMatch(/clang/);
    expect(() => createAsyncifyBackend().native.loadFunctions?.({ wasm: out })).toThrow(/broken\.wasm is missing \(its build failed: .*clang.*\): build it with qco-asyncify-build/);
    expect(build(file, out, '--strict').status).toBe(1);
    expect(() => execFileSync(process.execPath, [bin], { stdio: 'pipe' })).toThrow(/usage: qco-asyncify-build/);
  });
});
