/**
 * Runs one case in a fresh Node process (bench-child) and reads its result line.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCaseSpec, Measured } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const MARK = 'QCO-BENCH-RESULT ';
// The environment as the harness started: bench modules imported for planning may set
// variables for their own cases (e.g. QCO_ADDON_VARIANT), which must not leak into
// every other case's process. Each child sets up its own when it imports its module.
const startEnv = { ...process.env };

/** Measure `spec` of the bench module at `modulePath` for about `maxTime` s in its own process. */
export function runChild(modulePath: string, spec: BenchCaseSpec, maxTime: number, backendDirs: readonly string[], timeoutMs: number): Promise<Measured> {
  return new Promise((resolve, reject) => {
    // --stack-size: /perf/nesting nests 1000 coroutines, deeper than some backends' frames fit
    // in V8's default ~1 MB limit; the main thread's real stack (8 MiB here) has room.
    const args = ['--expose-gc', '--stack-size=2048', join(here, 'bench-child.js'), modulePath, JSON.stringify(spec), String(maxTime), JSON.stringify(backendDirs)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: startEnv });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(MARK));
      if (code === 0 && line) resolve(JSON.parse(line.slice(MARK.length)) as Measured);
      else reject(new Error(signal ? `killed by ${signal}${signal === 'SIGKILL' ? ' (timeout)' : ''}` : err.trim().split('\n').slice(-3).join(' | ') || `exit ${String(code)}`));
    });
  });
}
