/**
 * One core per process. The coroutine state (the running coroutine, the pool, the
 * backend) is module state, so two copies of @qco/core would each believe they
 * own the thread, and a coroutine made by one would fail inside the other with an
 * unrelated error much later. `require` and `import` load the same copy (the
 * CommonJS entry is the ES module itself); a second copy from another location
 * (a second version, a bundled one) fails at once, naming both.
 */
import { fs } from './node-fs.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreDuplicatedError } from './errors.js';

const { existsSync, readFileSync } = fs;

const KEY = Symbol.for('qco.core.location');

function describe(file: string): string {
  for (let dir = dirname(file); dirname(dir) !== dir; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    try {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@qco/core') return `@qco/core ${pkg.version ?? '?'} at ${file}`;
    } catch {
      // unreadable: keep looking
    }
  }
  return `@qco/core at ${file}`;
}

/** Record the copy at `moduleUrl` as this process's core, or throw CoreDuplicatedError when another copy is already loaded. */
export function claimCore(moduleUrl: string): void {
  const file = moduleUrl.startsWith('file:') ? fileURLToPath(moduleUrl) : moduleUrl;
  const g = globalThis as { [KEY]?: string };
  const first = g[KEY];
  // The same file evaluated again (a test runner resetting its module registry) is the same copy.
  if (first !== undefined && first !== file) throw new CoreDuplicatedError(describe(first), describe(file));
  g[KEY] = file;
}
