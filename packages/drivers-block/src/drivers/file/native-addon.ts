/**
 * Loading this package's optional addons (build/Release/<name>.node, built by
 * node-gyp at install and build): the file driver's linux-aio and file-lock.
 * An addon that did not build is simply absent (null), never an import-time
 * failure; each caller decides what it does without it.
 */
import { createRequire } from 'node:module';

/** Load build/Release/<name>.node, or null where it is not built (or not Linux). */
export function loadPackageAddon<T>(name: string): T | null {
  if (process.platform !== 'linux') return null;
  const req = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
  // dist/*.js and src/drivers/file/*.ts sit at different depths below the package root.
  for (const rel of [`../build/Release/${name}.node`, `../../../build/Release/${name}.node`]) {
    try {
      return req(rel) as T;
    } catch {
      // not built here: try the next place
    }
  }
  return null;
}
