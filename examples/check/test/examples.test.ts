// The design card's users: consumer packages of one pnpm workspace, each choosing
// its backend in its own package.json. One `pnpm -r` run starts them all side by
// side; each must report the backend it was configured with, run the same program
// to the same result, and honour a QCO_BACKEND override.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../..');
const examples = readdirSync(join(root, 'examples'))
  .filter((d) => d.startsWith('on-'))
  .map((d) => JSON.parse(readFileSync(join(root, 'examples', d, 'package.json'), 'utf8')) as { name: string; qco: { backend: string } });

interface Line {
  package: string;
  configured: string;
  backend?: string;
  source?: string;
  counter?: number;
  readBytes?: number;
  allZero?: boolean;
  error?: string;
}

function runAll(env: Record<string, string> = {}): Line[] {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'QCO_BACKEND' && !k.startsWith('npm_')));
  let out: string;
  try {
    out = execFileSync('pnpm', ['-r', '--no-bail', '--reporter=append-only', '--filter', './examples/on-*', 'run', 'start'], {
      cwd: root,
      env: { ...clean, ...env },
      encoding: 'utf8',
    });
  } catch (err) {
    out = (err as { stdout?: string }).stdout ?? '';
  }
  return out
    .split('\n')
    .map((l) => l.slice(l.indexOf('{')))
    .filter((l) => l.startsWith('{"package"'))
    .map((l) => JSON.parse(l) as Line);
}

describe('examples: one workspace, a backend per package', () => {
  it('every example package runs on the backend its package.json names', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
    const lines = runAll();
    for (const ex of examples) {
      const line = lines.find((l) => l.package === ex.name);
      expect(line, `${ex.name} printed no result`).toBeDefined();
      expect(line).toMatchObject({ configured: ex.qco.backend, backend: ex.qco.backend, source: 'package.json', counter: 100, readBytes: 65536, allZero: true });
    }
    expect(new Set(lines.map((l) => l.backend)).size).toBe(examples.length);
  });

  it('QCO_BACKEND overrides every package\'s choice, and says so', () => {
    const lines = runAll({ QCO_BACKEND: 'generator' });
    expect(lines.length).toBe(examples.length);
    for (const line of lines) expect(line).toMatchObject({ backend: 'generator', source: 'QCO_BACKEND', counter: 100 });
  });

  it('an unknown QCO_BACKEND fails in every package with QEMU\'s wording', () => {
    const lines = runAll({ QCO_BACKEND: 'nope' });
    expect(lines.length).toBe(examples.length);
    for (const line of lines) expect(line.error).toMatch(/^BackendNotAvailableError: "nope" backend requested but not available \(no package @qco\/backend-nope is installed [^)]*\)\. Available backends: generator/);
  });
});
