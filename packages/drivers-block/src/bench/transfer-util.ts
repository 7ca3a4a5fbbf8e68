/**
 * What the whole-transfer benchmarks (ssh, nfs) share: where the package lives
 * (to find its built tools) and running an external command to completion.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package directory (dist/bench/*.bench.js → the package). */
export function packageDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** Run `cmd args` to completion; rejects with its stderr when it fails. */
export function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: env ?? process.env, maxBuffer: 16 * 1024 * 1024 }, (err, _out, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      else resolve();
    });
  });
}
