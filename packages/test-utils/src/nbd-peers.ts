/**
 * Real NBD peers for the nbd tests: qemu-nbd and nbdkit as servers started on
 * 127.0.0.1 (a free port each), and a promise-based runner for the client
 * tools (qemu-io, qemu-img, nbdinfo, nbdcopy, nbdsh) — asynchronous, because
 * our own server runs in the test's event loop and a synchronous spawn would
 * starve it. A missing tool fails with the Debian package to install.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { peerAnswers } from './peer-probes.js';

const PACKAGES: Readonly<Record<string, string>> = {
  'qemu-nbd': 'qemu-utils',
  'qemu-io': 'qemu-utils',
  'qemu-img': 'qemu-utils',
  nbdkit: 'nbdkit',
  nbdinfo: 'libnbd-bin',
  nbdcopy: 'libnbd-bin',
  nbdsh: 'python3-libnbd',
  certtool: 'gnutls-bin',
};

/** What a finished command printed. */
export interface RunResult {
  /** Exit status (-1 when killed). */
  readonly status: number;
  /** Standard output. */
  readonly stdout: string;
  /** Standard error. */
  readonly stderr: string;
}

/** Run a tool without blocking the event loop; never rejects on a non-zero exit. */
export function runTool(cmd: string, args: readonly string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, ...(opts.env ? { env: opts.env } : {}) },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
        if (e !== null && e.code === 'ENOENT') {
          reject(new Error(`${cmd} is not installed (Debian package ${PACKAGES[cmd] ?? '?'}, listed in setup/apt-peers.txt)`));
          return;
        }
        const status = e === null ? 0 : typeof e.code === 'number' ? e.code : -1;
        resolve({ status, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A server process we started. */
export interface NbdPeer {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** nbd://127.0.0.1:port/name */
  url(name?: string): string;
  /** The process. */
  readonly child: ChildProcess;
  /** Kill it (SIGKILL by default) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** What it wrote to stderr so far. */
  stderr(): string;
}

async function startPeer(cmd: string, args: (port: number) => string[], port?: number, socketPath?: string): Promise<NbdPeer> {
  const p = port ?? (await freePort());
  const child = spawn(cmd, args(p), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'ENOENT' ? `${cmd} is not installed (Debian package ${PACKAGES[cmd] ?? '?'}, listed in setup/apt-peers.txt)` : e.message)),
    ),
  );
  const ready = (async () => {
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`${cmd} exited with ${child.exitCode}: ${err}`);
      if (await peerAnswers(socketPath ?? p)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${cmd} did not listen on ${p} within 5 s: ${err}`);
  })();
  await Promise.race([ready, spawnError]);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    port: p,
    child,
    url: (name = '') => `nbd://127.0.0.1:${p}/${name}`,
    stderr: () => err,
    stop: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** qemu-nbd serving `image` as export `name` (extra args before the image). */
export function startQemuNbd(image: string, opts: { name?: string; format?: string; extra?: string[]; port?: number } = {}): Promise<NbdPeer> {
  return startPeer(
    'qemu-nbd',
    (port) => ['-f', opts.format ?? 'raw', '-x', opts.name ?? '', '-p', String(port), '-b', '127.0.0.1', '-t', '-e', '8', ...(opts.extra ?? []), image],
    opts.port,
  );
}

/** nbdkit with a plugin and its arguments (`memory 64M`, `file /x.img`). */
export function startNbdkit(plugin: string[], opts: { extra?: string[]; port?: number } = {}): Promise<NbdPeer> {
  return startPeer('nbdkit', (port) => ['-f', '-p', String(port), '-i', '127.0.0.1', ...(opts.extra ?? []), ...plugin], opts.port);
}

/** nbdsh runs `python3` from PATH; Debian's python3-libnbd lives in /usr/bin's python, which a pyenv shim may hide. */
export function nbdshEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `/usr/bin:${process.env['PATH'] ?? ''}` };
}

/** qemu-nbd serving `image` as export `name` on a unix socket. */
export function startQemuNbdUnix(image: string, socketPath: string, name: string, format = 'raw'): Promise<NbdPeer> {
  return startPeer('qemu-nbd', () => ['-f', format, '-x', name, '-k', socketPath, '-t', '-e', '8', image], undefined, socketPath);
}
