// A native backend's install step: build its addon with node-gyp unless the build
// is already newer than every source, one build at a time per package (a
// workspace install runs this for each install, possibly while tests have the
// addon loaded), and never fail the install: a backend whose addon did not build
// reports itself not available instead.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } = require('node:fs');
const path = require('node:path');

function newestSource(dirs, files) {
  let newest = 0;
  for (const f of files) if (existsSync(f)) newest = Math.max(newest, statSync(f).mtimeMs);
  for (const d of dirs) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) newest = Math.max(newest, statSync(path.join(d, f)).mtimeMs);
  }
  return newest;
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function nodeGyp(pkgDir) {
  if (process.env.npm_config_node_gyp) return [process.execPath, process.env.npm_config_node_gyp];
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js', { paths: [pkgDir] })];
  } catch {
    return ['node-gyp'];
  }
}

/** Build `<target>.node` in the package at `pkgDir` (default: cwd) if it is missing or stale. */
function run(target, pkgDir = process.cwd(), force = false) {
  const addon = path.join(pkgDir, 'build', 'Release', `${target}.node`);
  const sources = newestSource([path.join(pkgDir, 'csrc'), path.join(__dirname, '..', 'csrc')], [path.join(pkgDir, 'binding.gyp'), path.join(__dirname, '..', 'gyp.cjs')]);
  const lock = path.join(pkgDir, '.addon-build.lock');
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
    if (!force && existsSync(addon) && statSync(addon).mtimeMs >= sources) {
      console.log(`qco: ${target}.node is up to date`);
      return true;
    }
    const [cmd, ...args] = nodeGyp(pkgDir);
    // Build offline against this Node's own headers when npm has not said where they are.
    const prefix = path.resolve(process.execPath, '..', '..');
    const nodedir = !process.env.npm_config_nodedir && existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
    const r = spawnSync(cmd, [...args, 'rebuild', '-j', '2', ...nodedir], { cwd: pkgDir, stdio: 'inherit' });
    if (r.status === 0) return true;
    console.error(`qco: the ${target} addon did not build; the backend will report itself not available`);
    return false;
  } finally {
    try {
      rmdirSync(lock);
    } catch {
      // already gone
    }
  }
}

exports.run = run;
if (require.main === module) {
  run(process.argv[2], process.cwd(), process.argv.includes('--force'));
  process.exitCode = 0;
}
