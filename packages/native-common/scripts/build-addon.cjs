#!/usr/bin/env node
// The one build step of every qco addon (the two native backends, backend-threads,
// drivers-block's linux-aio), at install and at build time. It builds with
// node-gyp, offline, against the headers of the Node that will load the addon
// (npm_config_nodedir, else that Node's own install prefix, else /usr/include/node),
// and puts the result where the one loader (src/addon-loader.ts) looks:
//
//   <package>/addon/abi<NODE_MODULE_VERSION>[-<variant>]/<target>.node
//
// Variants: release (what users load), test (plus the C test suite and perf
// loops), asan (test + AddressSanitizer). A build that cannot happen or fails
// leaves `<target>.failed` there with the reason, which the loader reports in
// "backend requested but not available (…)", and the install still exits 0.
//
//   qco-build-addon <target> [--gyp-dir <dir>] [--variant release|test|asan] [--node <bin>] [--nodedir <dir>] [--force]
'use strict';
const { spawnSync } = require('node:child_process');
const { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const VARIANTS = ['release', 'test', 'asan'];

/** Directory name of a build for `abi` and `variant` under <package>/addon/. */
function layoutName(abi, variant) {
  return variant === 'release' ? `abi${abi}` : `abi${abi}-${variant}`;
}

function newest(dirs, files) {
  let t = 0;
  for (const f of files) if (existsSync(f)) t = Math.max(t, statSync(f).mtimeMs);
  for (const d of dirs) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) {
      const p = path.join(d, f);
      if (statSync(p).isFile()) t = Math.max(t, statSync(p).mtimeMs);
    }
  }
  return t;
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function onPath(cmd) {
  if (cmd.includes('/')) return existsSync(cmd) ? cmd : undefined;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, cmd))) return path.join(dir, cmd);
  }
  return undefined;
}

/** Headers directory (holding include/node/node_api.h) for the Node binary `node`, or a reason. */
function findHeaders(node, nodedir) {
  const looked = [];
  const candidates = [];
  if (nodedir) candidates.push(nodedir);
  else {
    if (process.env.npm_config_nodedir) candidates.push(process.env.npm_config_nodedir);
    candidates.push(path.resolve(node, '..', '..'));
    candidates.push('/usr');
  }
  for (const dir of candidates) {
    looked.push(path.join(dir, 'include', 'node'));
    if (existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return { dir };
  }
  return { reason: `no headers of this Node found (looked in ${looked.join(', ')}; set npm_config_nodedir)` };
}

function abiOf(nodedir) {
  const m = /#define NODE_MODULE_VERSION (\d+)/.exec(readFileSync(path.join(nodedir, 'include', 'node', 'node_version.h'), 'utf8'));
  return m ? m[1] : undefined;
}

function nodeGyp(pkgDir) {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js', { paths: [pkgDir, __dirname] });
  } catch {
    const lent = process.env.npm_config_node_gyp;
    return lent && existsSync(lent) ? lent : undefined;
  }
}

/** The reason a compiler run failed, from its output: the first error line. */
function firstError(text) {
  const line = text.split('\n').find((l) => /\berror\b/i.test(l) && !/^gyp (ERR|info)/.test(l));
  return (line || text.trim().split('\n').slice(-1)[0] || 'unknown error').trim().slice(0, 300);
}

/**
 * Build `<target>.node` of the package at `pkgDir` (binding.gyp in `gypDir`);
 * `target` may list several targets of one binding.gyp, comma-separated (one
 * node-gyp run builds them all). Returns { ok, file, reason } (of the first
 * target when several failed alike); never throws for a build that fails.
 */
function run(options) {
  const targets = String(options.target).split(',');
  if (targets.length > 1) {
    // The first target's run builds every target of the binding.gyp; the others copy theirs, or share its failure.
    const first = runOne({ ...options, target: targets[0] });
    for (const target of targets.slice(1)) {
      const r = runOne({ ...options, target, force: false, copyOnly: true, failWith: first.ok ? undefined : first.reason });
      if (first.ok && !r.ok) return r;
    }
    return first;
  }
  return runOne(options);
}

function runOne(options) {
  const target = options.target;
  const pkgDir = path.resolve(options.pkgDir || process.cwd());
  const gypDir = path.resolve(pkgDir, options.gypDir || '.');
  const variant = options.variant || 'release';
  const node = options.node || process.execPath;
  if (!VARIANTS.includes(variant)) throw new Error(`qco-build-addon: unknown variant ${variant}`);
  const headers = findHeaders(node, options.nodedir);
  const abi = headers.dir ? abiOf(headers.dir) : process.versions.modules;
  const outDir = path.join(pkgDir, 'addon', layoutName(abi, variant));
  const file = path.join(outDir, `${target}.node`);
  const failed = path.join(outDir, `${target}.failed`);
  mkdirSync(outDir, { recursive: true });
  const fail = (reason) => {
    writeFileSync(failed, reason + '\n');
    rmSync(file, { force: true });
    console.error(`qco: the ${target} addon (${layoutName(abi, variant)}) did not build: ${reason}`);
    return { ok: false, file, reason };
  };
  if (options.failWith) return fail(options.failWith);
  if (headers.reason) return fail(headers.reason);
  const cc = process.env.CC || 'cc';
  const cxx = process.env.CXX || 'c++';
  if (!onPath(cc) && !onPath('gcc')) return fail(`no C compiler found: ${cc} and gcc are not on PATH`);
  if (!onPath(cxx) && !onPath('g++')) return fail(`no C++ compiler found: ${cxx} and g++ are not on PATH`);
  if (!onPath('make')) return fail('make is not on PATH');
  if (!onPath('python3') && !onPath('python')) return fail('python3 (needed by node-gyp) is not on PATH');
  const gyp = nodeGyp(pkgDir);
  if (!gyp) return fail('node-gyp not found (neither installed nor lent by the package manager)');

  const sources = newest([gypDir, path.join(pkgDir, 'csrc'), path.join(pkgDir, 'native'), path.join(__dirname, '..', 'csrc'), path.join(__dirname, '..', 'include')], [path.join(__dirname, '..', 'gyp.cjs'), __filename]);
  // One build at a time per binding.gyp (an install may run while tests hold the addon).
  const lock = path.join(gypDir, '.addon-build.lock');
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 300000) {
        console.error(`qco: ${lock} held for 5 minutes; taking it over`);
        break;
      }
      sleep(200);
    }
  }
  try {
    if (!options.force && existsSync(file) && statSync(file).mtimeMs >= sources) return { ok: true, file, reason: '' };
    const built = path.join(gypDir, 'build', 'Release', `${target}.node`);
    if (options.copyOnly && !options.force) {
      // Built by the first target's run of this binding.gyp, for this variant.
      if (!existsSync(built)) return fail('node-gyp built no file for this target');
      copyFileSync(built, file);
      rmSync(failed, { force: true });
      return { ok: true, file, reason: '' };
    }
    const env = { ...process.env, QCO_ADDON_VARIANT: variant, npm_config_nodedir: headers.dir, JOBS: '2' };
    const r = spawnSync(node, [gyp, 'rebuild', '-j', '2', `--nodedir=${headers.dir}`, '--loglevel=error'], { cwd: gypDir, env, encoding: 'utf8' });
    if (r.error) return fail(`node-gyp did not run: ${r.error.message}`);
    if (r.status !== 0 || !existsSync(built)) {
      process.stderr.write((r.stdout || '') + (r.stderr || ''));
      return fail(`node-gyp rebuild failed: ${firstError((r.stderr || '') + (r.stdout || ''))}`);
    }
    copyFileSync(built, file);
    rmSync(failed, { force: true });
    console.log(`qco: built ${path.relative(pkgDir, file)}`);
    return { ok: true, file, reason: '' };
  } finally {
    try {
      rmdirSync(lock);
    } catch {
      // already gone
    }
  }
}

exports.run = run;
exports.layoutName = layoutName;
exports.findHeaders = findHeaders;
exports.abiOf = abiOf;

if (require.main === module) {
  const argv = process.argv.slice(2);
  const opt = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const target = argv[0];
  if (!target || target.startsWith('--')) {
    console.error('usage: qco-build-addon <target> [--gyp-dir <dir>] [--variant release|test|asan] [--node <bin>] [--nodedir <dir>] [--force] [--strict]');
    process.exit(2);
  }
  const variants = (opt('--variant') || 'release').split(',');
  let ok = true;
  for (const variant of variants) {
    const r = run({ target, gypDir: opt('--gyp-dir'), variant, node: opt('--node'), nodedir: opt('--nodedir'), force: argv.includes('--force') });
    ok &&= r.ok;
  }
  // An install never fails for a native build (the backend reports why it is not available); --strict (tests) does.
  process.exitCode = !ok && argv.includes('--strict') ? 1 : 0;
}
