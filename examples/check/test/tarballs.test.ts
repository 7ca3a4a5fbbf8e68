// What a new user gets: the packages as `pnpm pack` makes them, installed into a
// fresh workspace outside the repository (pnpm builds the native addons at
// install, offline against this Node's headers; `onlyBuiltDependencies` in
// pnpm-workspace.yaml is pnpm's approval of those install scripts), with two
// consumer packages on two backends. The selection matrix runs there: entry
// package × working directory × package script × QCO_BACKEND, then a machine
// without a C compiler, whose selection error says so.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(__dirname, '../../..');
const packed = ['backend-api', 'backend-generator', 'core', 'native-common', 'backend-native-ucontext', 'backend-threads'];
const ws = mkdtempSync(join(tmpdir(), 'qco-tarballs-'));
const tarballs = join(ws, 'tarballs');

// The child sees neither this test's package manager context nor the repository's modules.
const clean: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|PNPM_|pnpm_|QCO_|NODE_PATH$|NODE_OPTIONS$|INIT_CWD$)/.test(k)));

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: { ...clean, ...env }, encoding: 'utf8', timeout: 150_000 });
}
function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${String(r.status ?? r.signal)}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

// Each app runs a coroutine that yields, and says which backend ran it and why.
const main = `import { coroutineBackendInfo, coroutineCreate, coroutineEnter, coroutineYield } from '@qco/core';
const trace = [];
try {
  const co = coroutineCreate(function* () { trace.push(1); yield* coroutineYield(); trace.push(2); });
  coroutineEnter(co);
  coroutineEnter(co);
  const i = coroutineBackendInfo();
  console.log(JSON.stringify({ backend: i.name, source: i.source, rule: i.consumer?.rule, pkg: i.consumer ? i.consumer.packageJson.split('/').slice(-2, -1)[0] : null, trace }));
} catch (e) {
  console.log(JSON.stringify({ error: e.name + ': ' + e.message }));
}
`;
const apps = [
  { name: 'app-a', backend: 'generator', deps: ['core'] },
  { name: 'app-b', backend: 'native-ucontext', deps: ['core', 'backend-native-ucontext'] },
  { name: 'app-c', backend: 'threads', deps: ['core', 'backend-threads'] },
];

function run(cwd: string, script: string, env: NodeJS.ProcessEnv = {}): { backend?: string; source?: string; rule?: string; pkg?: string; trace?: number[]; error?: string } {
  const out = ok(sh(process.execPath, [script], cwd, env), `node ${script}`);
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as ReturnType<typeof run>;
}

beforeAll(() => {
  mkdirSync(tarballs, { recursive: true });
  for (const p of packed) ok(sh('pnpm', ['pack', '--pack-destination', tarballs], join(repo, 'packages', p)), `pnpm pack ${p}`);
  const files = readdirSync(tarballs);
  const tgz = (p: string): string => {
    const f = files.find((x) => x.startsWith(`qco-${p}-`));
    if (!f) throw new Error(`no tarball for ${p} in ${files.join(', ')}`);
    return `file:${join(tarballs, f)}`;
  };
  const overrides = Object.fromEntries(packed.map((p) => [`@qco/${p}`, tgz(p)]));
  // The same pnpm as this repository's (corepack picks it by packageManager).
  const { packageManager } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { packageManager: string };
  write(join(ws, 'package.json'), JSON.stringify({ name: 'tarball-workspace', private: true, packageManager }));
  write(
    join(ws, 'pnpm-workspace.yaml'),
    // pnpm 10 runs no install script it was not told to: a tarball dependency is approved by its id, name@file:<path from the workspace>.
    ['packages:', "  - 'packages/*'", 'onlyBuiltDependencies:', ...['backend-native-ucontext', 'backend-threads'].map((p) => `  - '@qco/${p}@${tgz(p).replace(`file:${ws}/`, 'file:')}'`), 'overrides:', ...Object.entries(overrides).map(([k, v]) => `  '${k}': '${v}'`), ''].join('\n'),
  );
  for (const app of apps) {
    const dependencies = Object.fromEntries(app.deps.map((d) => [`@qco/${d}`, tgz(d)]));
    write(join(ws, 'packages', app.name, 'package.json'), JSON.stringify({ name: app.name, version: '1.0.0', type: 'module', qco: { backend: app.backend }, scripts: { start: 'node main.mjs' }, dependencies }));
    write(join(ws, 'packages', app.name, 'main.mjs'), main);
  }
  // Registry packages (node-gyp, node-addon-api) come from pnpm's store when it has them.
  ok(sh('pnpm', ['install', '--prefer-offline', '--reporter=append-only'], ws), 'pnpm install');
}, 170_000);

afterAll(() => rmSync(ws, { recursive: true, force: true }));

describe('installed from pnpm pack tarballs, outside the repository', () => {
  it('from the workspace root, each package runs on its own backend', () => {
    expect(run(ws, 'packages/app-a/main.mjs')).toEqual({ backend: 'generator', source: 'package.json', rule: 'entry-module', pkg: 'app-a', trace: [1, 2] });
    expect(run(ws, 'packages/app-b/main.mjs')).toEqual({ backend: 'native-ucontext', source: 'package.json', rule: 'entry-module', pkg: 'app-b', trace: [1, 2] });
    expect(run(ws, 'packages/app-c/main.mjs')).toEqual({ backend: 'threads', source: 'package.json', rule: 'entry-module', pkg: 'app-c', trace: [1, 2] });
  });

  it("from another package's directory, the entry package still decides", () => {
    expect(run(join(ws, 'packages/app-b'), '../app-a/main.mjs')).toMatchObject({ backend: 'generator', pkg: 'app-a' });
    expect(run(join(ws, 'packages/app-a'), '../app-b/main.mjs')).toMatchObject({ backend: 'native-ucontext', pkg: 'app-b' });
    expect(run(join(ws, 'packages/app-b'), 'main.mjs')).toMatchObject({ backend: 'native-ucontext', pkg: 'app-b' });
  });

  it("`pnpm --filter <app> start` runs on that package's backend", () => {
    for (const app of apps) {
      const out = ok(sh('pnpm', ['--silent', '--filter', app.name, 'start'], ws), `pnpm --filter ${app.name} start`);
      expect(JSON.parse(out.trim().split('\n').pop() ?? '{}')).toMatchObject({ backend: app.backend, rule: 'package-script', pkg: app.name });
    }
  });

  it('QCO_BACKEND overrides the package', () => {
    expect(run(ws, 'packages/app-b/main.mjs', { QCO_BACKEND: 'generator' })).toMatchObject({ backend: 'generator', source: 'QCO_BACKEND' });
    expect(run(ws, 'packages/app-a/main.mjs', { QCO_BACKEND: 'native-ucontext' })).toMatchObject({ backend: 'native-ucontext', source: 'QCO_BACKEND' });
  });

  it('without a C compiler the install step exits 0 and the selection error says why', () => {
    const backendDir = realpathSync(join(ws, 'packages/app-b/node_modules/@qco/backend-native-ucontext'));
    const build = createRequire(join(backendDir, 'package.json')).resolve('@qco/native-common/build-addon');
    // The install step again, on a machine whose PATH has no compiler (nor anything else).
    const r = sh(process.execPath, [build, 'qco_native_ucontext', '--force'], backendDir, { PATH: '/nonexistent' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('no C compiler found');
    expect(run(ws, 'packages/app-b/main.mjs').error).toMatch(
      /^BackendNotAvailableError: "native-ucontext" backend requested but not available \(.*qco_native_ucontext\.node: not built \(no C compiler found: cc and gcc are not on PATH\)\)\. Available backends: generator/,
    );
    // And with one, the same step brings it back.
    ok(sh(process.execPath, [build, 'qco_native_ucontext', '--force'], backendDir), 'rebuild');
    expect(run(ws, 'packages/app-b/main.mjs')).toMatchObject({ backend: 'native-ucontext' });
  });
});
