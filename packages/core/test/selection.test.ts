// Configure-time backend selection, seen from a real consumer package: a temporary
// package directory with its own package.json, running the built core in a child
// process. NODE_PATH, which pnpm's shims point at every hoisted package, is left
// out so the consumer sees only what it depends on.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const coreDist = pathToFileURL(resolve(__dirname, '../dist/index.js')).href;
const dirs: string[] = [];

function consumer(pkg: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'qco-consumer-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', ...pkg }));
  return dir;
}

function run(dir: string, env: Record<string, string> = {}): string {
  const script = `import(${JSON.stringify(coreDist)}).then((m) => {
    try {
      const co = m.coroutineCreate(function* () {});
      m.coroutineEnter(co);
      const c = m.backendChoice();
      console.log('ok ' + m.currentBackend().name + ' from ' + c.source);
    } catch (e) { console.log('error ' + e.name + ': ' + e.message); }
  });`;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'QCO_BACKEND' && k !== 'npm_package_json' && k !== 'NODE_PATH'));
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, env: { ...clean, ...env }, encoding: 'utf8' }).trim();
}

afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('backend selection', () => {
  it('defaults to generator', () => {
    expect(run(consumer({}))).toBe('ok generator from default');
  });

  it("takes the consumer's package.json choice", () => {
    expect(run(consumer({ qco: { backend: 'generator' } }))).toBe('ok generator from package.json');
  });

  it('QCO_BACKEND=nope fails with QEMU\'s wording, listing what is available', () => {
    expect(run(consumer({}), { QCO_BACKEND: 'nope' })).toBe(
      'error BackendNotAvailableError: "nope" backend requested but not available. Available backends: generator',
    );
  });

  it('QCO_BACKEND overrides package.json', () => {
    expect(run(consumer({ qco: { backend: 'native-ucontext' } }), { QCO_BACKEND: 'generator' })).toBe('ok generator from QCO_BACKEND');
    expect(run(consumer({ qco: { backend: 'nope' } }))).toBe(
      'error BackendNotAvailableError: "nope" backend requested but not available. Available backends: generator',
    );
  });
});
