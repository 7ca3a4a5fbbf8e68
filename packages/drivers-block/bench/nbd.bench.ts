/**
 * NBD throughput, each of our figures beside its anchor from the same run:
 * - nbdcopy of a 1 GiB image (random data, so nothing is skipped as a hole)
 *   to null: from qco-nbd vs from qemu-nbd serving the same file;
 * - `qemu-img bench -d 64 -s 4k` (reads) over nbd+unix:// against qco-nbd vs
 *   against qemu-nbd. A unix socket for both: qemu-nbd 7.2 never sets
 *   TCP_NODELAY on the sockets it accepts (QEMU 8.0 added that, "nbd/server:
 *   Request TCP_NODELAY"), so over TCP each of its small replies waits on
 *   Nagle's algorithm and it does ≈ 370 requests/s at depth 64 here — a
 *   comparison of socket options, not of servers. Both use their default
 *   cache and aio modes (writeback, threads);
 * - our client: `qco-img convert nbd://… out.raw` vs `qemu-img convert` from
 *   the same qemu-nbd, onto a kept target (-n, overwritten, not recreated).
 * The `(interleaved)` cases run the same three comparisons alternating ours
 * and the anchor run by run (both servers up, one idle while the other
 * works) and report the median of the per-round ratios, so the machine's
 * load hits both alike: the figures the goals are judged by on a loaded
 * machine.
 * Servers run as their own processes on 127.0.0.1, started by the case. The
 * source image is made once and kept (tmpdir/qco-nbd-bench); each sample is
 * one whole run after a warm-up, `QCO_NBD_BENCH_SAMPLES` (default 3) of them;
 * the median is reported beside the harness's mean.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measuredFromSamples, type BenchCaseSpec, type BenchFn, type BenchModule, type Measured } from '@qco/bench';
import { interleavedRatio } from './interleave.js';
import { packageDir, run } from './transfer-util.js';
import { median } from './interleave.js';

const MiB = 1024 * 1024;
const SIZE = 1024 * MiB;
const BENCH_REQUESTS = 20_000;
const DIR = join(tmpdir(), 'qco-nbd-bench');
const SOURCE = join(DIR, 'source-1g.raw');
const TARGET = join(DIR, 'target-1g.raw');

type Server = 'qemu-nbd' | 'qco-nbd';

/** The kept source image: 1 GiB of random data, written once. */
function ensureImage(path: string, random: boolean): void {
  mkdirSync(DIR, { recursive: true });
  if (existsSync(path) && statSync(path).size === SIZE) return;
  const fd = openSync(path, 'w');
  try {
    const chunk = random ? randomBytes(4 * MiB) : Buffer.alloc(4 * MiB);
    for (let off = 0; off < SIZE; off += chunk.length) {
      if (random) chunk.writeUInt32LE(off >>> 0, 0);
      writeSync(fd, chunk, 0, chunk.length, off);
    }
  } finally {
    closeSync(fd);
  }
}

function tool(name: string): string {
  const p = join(packageDir(), 'dist', `${name}.cjs`);
  if (!existsSync(p)) throw new Error(`${p} is missing: build @qco/drivers-block first`);
  return p;
}

async function listening(where: number | string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`the NBD server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = typeof where === 'string' ? connect({ path: where }) : connect({ host: '127.0.0.1', port: where });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the NBD server did not listen on ${where}`);
}

/** A server on 127.0.0.1:port, or on a unix socket when `socket` is given. */
async function startServer(server: Server, port: number, socket?: string): Promise<ChildProcess> {
  if (socket !== undefined) rmSync(socket, { force: true });
  const where = socket !== undefined ? ['-k', socket] : ['-p', String(port), '-b', '127.0.0.1'];
  const args = ['-f', 'raw', '-x', '', ...where, '-t', '-e', '16', SOURCE];
  const child = server === 'qemu-nbd' ? spawn('qemu-nbd', args, { stdio: 'ignore' }) : spawn(process.execPath, [tool('qco-nbd'), ...args], { stdio: 'ignore' });
  await listening(socket ?? port, child);
  return child;
}


/** Warm-up plus timed samples of `once`. */
async function sample(once: () => Promise<void>): Promise<Measured> {
  await once();
  const n = Math.max(2, Number(process.env['QCO_NBD_BENCH_SAMPLES'] ?? 3));
  const seconds: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await once();
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { ...measuredFromSamples(seconds), info: { medianSeconds: Number(median(seconds).toFixed(4)) } };
}

const PORT_BASE = 10_870;

/** Rounds of an interleaved case. */
const ROUNDS = 5;

/** Seconds one run of a command takes. */
async function timed(cmd: string, args: readonly string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  await run(cmd, [...args]);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Our side's speed over the anchor's, alternating run by run (the ratio of their times). */
function interleaved(what: string): BenchFn {
  return {
    kind: 'measured',
    run: async () => {
      ensureImage(SOURCE, true);
      const port = PORT_BASE + (process.pid % 100);
      const unix = what === 'img-bench-4k';
      const sock = (who: string): string | undefined => (unix ? join(DIR, `bench-${who}-${process.pid}.sock`) : undefined);
      const children: ChildProcess[] = [];
      try {
        if (what === 'convert') {
          ensureImage(TARGET, false);
          children.push(await startServer('qemu-nbd', port));
          const args = ['convert', '-n', '-f', 'raw', '-O', 'raw', `nbd://127.0.0.1:${port}/`, TARGET];
          return await interleavedRatio(ROUNDS, () => timed(process.execPath, [tool('qco-img'), ...args]), () => timed('qemu-img', args), undefined, ['qco-img', 'qemu-img']);
        }
        children.push(await startServer('qco-nbd', port, sock('qco')));
        children.push(await startServer('qemu-nbd', port + 1, sock('qemu')));
        const url = (who: 'qco' | 'qemu'): string => {
          const s = sock(who);
          return s !== undefined ? `nbd+unix:///?socket=${s}` : `nbd://127.0.0.1:${who === 'qco' ? port : port + 1}/`;
        };
        const once = (who: 'qco' | 'qemu') => (): Promise<number> =>
          what === 'nbdcopy' ? timed('nbdcopy', [url(who), 'null:']) : timed('qemu-img', ['bench', '-f', 'raw', '-d', '64', '-s', '4k', '-c', String(BENCH_REQUESTS), url(who)]);
        return await interleavedRatio(ROUNDS, once('qco'), once('qemu'), undefined, ['qco-nbd', 'qemu-nbd']);
      } finally {
        for (const c of children) c.kill('SIGKILL');
        for (const who of ['qco', 'qemu']) {
          const s = sock(who);
          if (s !== undefined) rmSync(s, { force: true });
        }
      }
    },
  };
}

const module: BenchModule = {
  suite: 'block/nbd',
  cases(): BenchCaseSpec[] {
    const copy = { opsPerCall: SIZE, unit: 'byte', params: { size: '1 GiB', tool: 'nbdcopy → null:' } } as const;
    const bench = { opsPerCall: BENCH_REQUESTS, unit: 'request', params: { tool: 'qemu-img bench -d 64 -s 4k', requests: BENCH_REQUESTS, transport: 'unix socket' } } as const;
    const conv = { opsPerCall: SIZE, unit: 'byte', params: { size: '1 GiB', server: 'qemu-nbd', target: 'raw file (-n, kept)' } } as const;
    return [
      { name: 'nbd/nbdcopy/qemu-nbd', ...copy, requires: ['qemu-nbd', 'nbdcopy'] },
      { name: 'nbd/nbdcopy/qco-nbd', baseline: 'nbd/nbdcopy/qemu-nbd', ...copy, requires: ['nbdcopy'] },
      { name: 'nbd/img-bench-4k/qemu-nbd', ...bench, requires: ['qemu-nbd', 'qemu-img'] },
      { name: 'nbd/img-bench-4k/qco-nbd', baseline: 'nbd/img-bench-4k/qemu-nbd', ...bench, requires: ['qemu-img'] },
      { name: 'nbd/convert/qemu-img', ...conv, requires: ['qemu-nbd', 'qemu-img'] },
      { name: 'nbd/convert/qco-img', baseline: 'nbd/convert/qemu-img', ...conv, requires: ['qemu-nbd', 'qemu-img'] },
      ...(
        [
          ['nbdcopy', 'qco-nbd÷qemu-nbd', copy.params, ['qemu-nbd', 'nbdcopy']],
          ['img-bench-4k', 'qco-nbd÷qemu-nbd', bench.params, ['qemu-nbd', 'qemu-img']],
          ['convert', 'qco-img÷qemu-img', conv.params, ['qemu-nbd', 'qemu-img']],
        ] as const
      ).map(([what, pair, params, requires]) => ({
        name: `nbd/${what}/${pair} (interleaved)`,
        measure: 'ratio' as const,
        better: 'higher' as const,
        unit: '×',
        requires: [...requires],
        params: { ...params, interleaved: true, rounds: ROUNDS, goal: '≥ 1.0×' },
      })),
    ];
  },
  prepare(spec): BenchFn {
    const [, what, who] = spec.name.split('/') as [string, string, string];
    if (spec.params?.['interleaved'] === true) return interleaved(what);
    return {
      kind: 'measured',
      run: async () => {
        ensureImage(SOURCE, true);
        const port = PORT_BASE + (process.pid % 100);
        const server: Server = what === 'convert' ? 'qemu-nbd' : (who as Server);
        const socket = what === 'img-bench-4k' ? join(DIR, `bench-${process.pid}.sock`) : undefined;
        const child = await startServer(server, port, socket);
        const url = socket !== undefined ? `nbd+unix:///?socket=${socket}` : `nbd://127.0.0.1:${port}/`;
        try {
          if (what === 'nbdcopy') return await sample(() => run('nbdcopy', [url, 'null:']));
          if (what === 'img-bench-4k') return await sample(() => run('qemu-img', ['bench', '-f', 'raw', '-d', '64', '-s', '4k', '-c', String(BENCH_REQUESTS), url]));
          ensureImage(TARGET, false);
          if (who === 'qemu-img') return await sample(() => run('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', url, TARGET]));
          return await sample(() => run(process.execPath, [tool('qco-img'), 'convert', '-n', '-f', 'raw', '-O', 'raw', url, TARGET]));
        } finally {
          child.kill('SIGKILL');
          if (socket !== undefined) rmSync(socket, { force: true });
        }
      },
    };
  },
};

export default module;
