// Configure-time backend selection, seen from real consumer packages: a temporary
// workspace with two packages choosing different backends (a stand-in backend
// package `@qco/backend-fake` delegating to the generator, so no native build is
// needed here), each running the built core in a child process. The consuming
// package follows what runs (package script, entry module, eval directory), never
// the working directory. NODE_PATH, which pnpm's shims point at every hoisted
// package, is left out so a consumer sees only what it depends on.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const coreDir = resolve(__dirname, '..');
const coreDist = pathToFileURL(join(coreDir, 'dist/index.js')).href;
const generatorCjs = require.resolve('@qco/backend-generator/package.json', { paths: [coreDir] }).replace(/package\.json$/, 'dist/index.cjs');
const ws = mkdtempSync(join(tmpdir(), 'qco-selection-'));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

function write(file: string, text: string): void {
  mkdirSync(resolve(file, '..'), { recursive: true });
  writeFileSync(file, text);
}
function fakeBackend(name: string, reason = ''): void {
  write(join(ws, 'node_modules/@qco', `backend-${name}`, 'package.json'), JSON.stringify({ name: `@qco/backend-${name}`, version: '1.0.0', main: 'index.cjs' }));
  write(
    join(ws, 'node_modules/@qco', `backend-${name}`, 'index.cjs'),
    `const gen = require(${JSON.stringify(generatorCjs)});
exports.backendName = ${JSON.stringify(name)};
exports.isAvailable = () => ${reason ? 'false' : 'true'};
exports.unavailableReason = () => ${JSON.stringify(reason)};
exports.createBackend = () => Object.assign(Object.create(gen.createBackend()), { name: ${JSON.stringify(name)} });
`,
  );
}
const main = `import(${JSON.stringify(coreDist)}).then((m) => {
  try {
    const co = m.coroutineCreate(function* () {});
    m.coroutineEnter(co);
    const i = m.coroutineBackendInfo();
    console.log(['ok', m.currentBackend().name, i.source, i.consumer ? i.consumer.rule + ':' + i.consumer.packageJson.replace(${JSON.stringify(ws)}, '') : '-'].join(' '));
  } catch (e) { console.log('error ' + e.name + ': ' + e.message); }
});
`;
write(join(ws, 'package.json'), JSON.stringify({ name: 'ws', private: true }));
for (const [app, backend] of [
  ['app-a', 'generator'],
  ['app-b', 'fake'],
  ['app-c', 'broken'],
  ['app-d', undefined],
] as const) {
  write(join(ws, 'packages', app, 'package.json'), JSON.stringify({ name: app, version: '1.0.0', type: 'module', ...(backend ? { qco: { backend } } : {}) }));
  write(join(ws, 'packages', app, 'main.mjs'), main);
}
fakeBackend('fake');
fakeBackend('broken', 'no C compiler found: cc: not found');

function node(cwd: string, args: string[], env: Record<string, string> = {}): { out: string; err: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'QCO_BACKEND' && k !== 'npm_package_json' && k !== 'NODE_PATH'));
  const r = spawnSync(process.execPath, args, { cwd, env: { ...clean, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { out: r.stdout.trim(), err: r.stderr };
}
const pkg = (app: string) => join(ws, 'packages', app);

describe('backend selection by consumer package', () => {
  it('the entry module decides, not the working directory', () => {
    expect(node(ws, ['packages/app-b/main.mjs']).out).toBe('ok fake package.json entry-module:/packages/app-b/package.json');
    expect(node(ws, ['packages/app-a/main.mjs']).out).toBe('ok generator package.json entry-module:/packages/app-a/package.json');
    expect(node(pkg('app-b'), ['../app-a/main.mjs']).out).toBe('ok generator package.json entry-module:/packages/app-a/package.json');
    expect(node(pkg('app-a'), ['../app-b/main.mjs']).out).toBe('ok fake package.json entry-module:/packages/app-b/package.json');
  });

  it('the package whose script the package manager runs wins, and a conflicting entry package is a warning naming both', () => {
    const r = node(ws, ['packages/app-a/main.mjs'], { npm_package_json: join(pkg('app-b'), 'package.json') });
    expect(r.out).toBe('ok fake package.json package-script:/packages/app-b/package.json');
    expect(r.err).toContain('QcoBackendConflict');
    expect(r.err).toContain(join(pkg('app-b'), 'package.json'));
    expect(r.err).toContain(`"generator" in ${join(pkg('app-a'), 'package.json')}`);
  });

  it('defaults to generator when the consumer names none', () => {
    expect(node(ws, ['packages/app-d/main.mjs']).out).toBe('ok generator default entry-module:/packages/app-d/package.json');
  });

  it('QCO_BACKEND overrides package.json', () => {
    expect(node(ws, ['packages/app-b/main.mjs'], { QCO_BACKEND: 'generator' }).out).toBe('ok generator QCO_BACKEND entry-module:/packages/app-b/package.json');
  });

  it('an eval script resolves from its directory, like its imports', () => {
    expect(node(pkg('app-b'), ['--input-type=module', '-e', main]).out).toBe('ok fake package.json eval-directory:/packages/app-b/package.json');
  });

  it("an unknown backend fails with QEMU's wording, saying why and listing what is available", () => {
    expect(node(ws, ['packages/app-d/main.mjs'], { QCO_BACKEND: 'nope' }).out).toBe(
      'error BackendNotAvailableError: "nope" backend requested but not available (no package @qco/backend-nope is installed where the consumer or @qco/core can resolve it). Available backends: generator, fake',
    );
  });

  it('a backend that cannot run here gives its reason in the selection error', () => {
    expect(node(ws, ['packages/app-c/main.mjs']).out).toBe(
      'error BackendNotAvailableError: "broken" backend requested but not available (no C compiler found: cc: not found). Available backends: generator, fake',
    );
  });

  it('coroutineBackendInfo says why in one sentence', () => {
    const script = `import(${JSON.stringify(coreDist)}).then((m) => console.log(m.coroutineBackendInfo().reason));`;
    write(join(pkg('app-b'), 'why.mjs'), script);
    expect(node(ws, ['packages/app-b/why.mjs']).out).toBe(`"fake" from ${join(pkg('app-b'), 'package.json')}, the package of the program's entry module`);
  });
});

describe('one core per process', () => {
  it('require and import share one core: a coroutine made through one is entered through the other', () => {
    write(
      join(pkg('app-a'), 'mixed.cjs'),
      `const cjs = require(${JSON.stringify(coreDir)});
import(${JSON.stringify(coreDist)}).then((esm) => {
  const trace = [];
  const co = esm.coroutineCreate(function* () { trace.push('a'); yield* cjs.coroutineYield(); trace.push('b'); });
  cjs.coroutineEnter(co);
  esm.coroutineEnter(co);
  console.log(trace.join('') + ' ' + (cjs.coroutineCreate === esm.coroutineCreate) + ' ' + esm.coroutineIsTerminated(co));
});
`,
    );
    expect(node(ws, ['packages/app-a/mixed.cjs']).out).toBe('ab true true');
  });

  it('a second copy from another location fails at once, naming both', () => {
    const copy = join(ws, 'vendor', 'core');
    cpSync(join(coreDir, 'dist'), join(copy, 'dist'), { recursive: true });
    cpSync(join(coreDir, 'package.json'), join(copy, 'package.json'));
    symlinkSync(join(coreDir, 'node_modules'), join(copy, 'node_modules'));
    const second = pathToFileURL(join(copy, 'dist/index.js')).href;
    write(
      join(pkg('app-a'), 'two.mjs'),
      `await import(${JSON.stringify(coreDist)});
try { await import(${JSON.stringify(second)}); console.log('loaded'); } catch (e) { console.log(e.name + ': ' + e.message); }
`,
    );
    const out = node(ws, ['packages/app-a/two.mjs']).out;
    expect(out).toMatch(/^CoreDuplicatedError: Two copies of @qco\/core in one process: @qco\/core 0\.1\.0 at .* was loaded first, then @qco\/core 0\.1\.0 at .*/);
    expect(out).toContain(join(coreDir, 'dist/index.js'));
    expect(out).toContain(join(copy, 'dist/index.js'));
  });
});

