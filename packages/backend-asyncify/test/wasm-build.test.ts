// The module is built from csrc/ on every build; the build is deterministic, and
// a committed copy (if the repository ever carries one) must match a fresh build.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { wasmPath } from '../src/index.js';
import { wasm } from '../src/internal/wasm-module.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'qco-asyncify-test-'));

function build(out: string): Buffer {
  execFileSync(process.execPath, [join(pkg, 'scripts', 'build-wasm.mjs'), '--strict', '--out', out], { cwd: pkg, stdio: 'pipe' });
  return readFileSync(out);
}

describe('wasm/qco-asyncify.wasm', () => {
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('is rebuilt identically from csrc/', () => {
    const a = build(join(tmp, 'a.wasm'));
    const b = build(join(tmp, 'b.wasm'));
    expect(a.equals(b)).toBe(true);
    expect(wasm.validate(a)).toBe(true);
    // The module the package loads is that build.
    expect(existsSync(wasmPath())).toBe(true);
    expect(readFileSync(wasmPath()).equals(a)).toBe(true);
  });

  it('a committed copy, if any, matches a fresh build', () => {
    let committed: Buffer | undefined;
    try {
      committed = execFileSync('git', ['show', 'HEAD:./wasm/qco-asyncify.wasm'], { cwd: pkg, stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 });
    } catch {
      committed = undefined; // not committed: the build output is the only copy
    }
    if (committed !== undefined) expect(committed.equals(build(join(tmp, 'c.wasm')))).toBe(true);
  });

  it('has exactly the imports and exports the backend expects', () => {
    const mod = new wasm.Module(readFileSync(wasmPath()));
    expect(wasm.Module.imports(mod)).toEqual([{ module: 'qco', name: 'step', kind: 'function' }]);
    const exports = wasm.Module.exports(mod).map((e) => e.name);
    for (const name of ['memory', 'qco_run', 'qco_recover', 'qco_js_new', 'qco_native_start', 'asyncify_get_state', 'asyncify_stop_unwind']) {
      expect(exports).toContain(name);
    }
    expect(exports).not.toContain('__set_stack_limits');
  });
});
