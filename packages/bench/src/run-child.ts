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
const startEnv = caseEnv(process.env);

/**
 * The environment every case process gets: the harness's own, without
 * NODE_EXTRA_CA_CERTS. Node 20 parses that bundle into its root store at every
 * start, before any script runs (40–50 ms on this project's machine, which
 * sets it), and qco's tools never use the default root store (TLS takes its CA from
 * tls-creds-x509), so it would add to every Node process a cost that measures
 * the machine's setting, not qco. The value is kept in
 * QCO_BENCH_NODE_EXTRA_CA_CERTS for the start-up case that measures that cost.
 */
function caseEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: extra, ...rest } = env;
  return extra ? { ...rest, QCO_BENCH_NODE_EXTRA_CA_CERTS: extra } : rest;
}

/** What caseEnv did here, for the report's method. */
export const nodeEnvMethod = process.env['NODE_EXTRA_CA_CERTS']
  ? `NODE_EXTRA_CA_CERTS (set here to ${process.env['NODE_EXTRA_CA_CERTS']}) is removed from every case process: Node parses that bundle at each start and qco's tools never read the default root store; tools/startup measures what it costs`
  : 'NODE_EXTRA_CA_CERTS is not set here';

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
