/**
 * Block-layer throughput beside qemu-img on the same machine in the same run:
 * `qco-img bench` and `qemu-img bench` with the same arguments — null-co at
 * depth 64 with 4 KiB requests (1M requests), and the file driver reading
 * 4 KiB at depth 64 with O_DIRECT (-t none) against qemu-img's thread pool
 * (-i threads, the baseline) and io_uring. qemu-img bench has no random mode,
 * so both step sequentially through a 256 MiB image (-S 4096), wrapping.
 * Each sample is one whole run; the rate is requests per second. -i native
 * (our linux-aio addon) is compared with the same baseline. The file cases
 * run both executables as processes (libuv's pool is sized when a
 * process starts); null-co runs our loop in the bench process. fio
 * (ioengine=io_uring, the same file, depth, size and sequential offsets) is
 * the machine's ceiling beside both tools' io_uring figures. Each -i also has
 * an interleaved case: qco-img and qemu-img alternating run by run, the median
 * of the per-round ratios (the figure the goals are judged by on a loaded machine).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@qco/core';
import type { BenchCaseSpec, BenchFn, BenchModule } from '@qco/bench';
import { BlockBackend } from '../src/index.js';
import { runBench, type BenchParams } from '../src/tools/img/img-bench.js';
import { interleavedRatio } from './interleave.js';

const SAMPLES = 3;
const NULL_COUNT = 1_000_000;
const FILE_COUNT = 100_000;
const FILE_SIZE = 256 << 20;

/** The arguments both tools get, per case family. */
const NULL_ARGS = ['-c', String(NULL_COUNT), '-d', '64', '-s', '4k', 'null-co://'];
function fileArgs(aio: string, img: string): string[] {
  return ['-t', 'none', '-i', aio, '-c', String(FILE_COUNT), '-d', '64', '-s', '4k', '-S', '4096', '-f', 'raw', img];
}

/** A 256 MiB image of non-zero data (so O_DIRECT reads hit the disk, not holes). */
function benchImage(): string {
  const p = join(tmpdir(), 'qco-bench-file.img');
  if (existsSync(p) && statSync(p).size === FILE_SIZE) return p;
  const fd = openSync(p, 'w');
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 131 + 7) & 0xff;
  for (let at = 0; at < FILE_SIZE; at += chunk.length) writeSync(fd, chunk, 0, chunk.length, at);
  closeSync(fd);
  return p;
}

function stats(rates: number[]): { hz: number; rme: number; samples: number } {
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  const sd = Math.sqrt(rates.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, rates.length - 1));
  return { hz: mean, rme: rates.length > 1 ? (100 * 1.96 * sd) / Math.sqrt(rates.length) / mean : 0, samples: rates.length };
}

/** fio on the same image with the same depth, size and sequential 4 KiB reads, io_uring engine, O_DIRECT; the rate is fio's IOPS. */
function fioBench(img: string, count: number): BenchFn {
  return {
    kind: 'measured',
    run() {
      const rates: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const r = spawnSync(
          'fio',
          ['--name=qco', `--filename=${img}`, '--ioengine=io_uring', '--direct=1', '--rw=read', '--bs=4k', '--iodepth=64', `--number_ios=${count}`, `--size=${FILE_SIZE}`, '--output-format=json'],
          { encoding: 'utf8' },
        );
        if (r.error) throw new Error(`fio could not run (Debian fio, setup/apt-peers.txt): ${r.error.message}`);
        if (r.status !== 0) throw new Error(`fio failed: ${r.stderr || r.stdout}`);
        const job = (JSON.parse(r.stdout) as { jobs: Array<{ read: { iops: number } }> }).jobs.at(0);
        if (!job) throw new Error('fio printed no job');
        rates.push(job.read.iops);
      }
      return stats(rates);
    },
  };
}

/** Run qemu-img bench and read its "Run completed in X seconds." line. */
function qemuImgBench(args: string[], count: number): BenchFn {
  return {
    kind: 'measured',
    run() {
      const rates: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const r = spawnSync('qemu-img', ['bench', ...args], { encoding: 'utf8' });
        if (r.error) throw new Error(`qemu-img could not run (Debian qemu-utils): ${r.error.message}`);
        const m = /Run completed in ([0-9.]+) seconds/.exec(r.stdout);
        if (r.status !== 0 || !m) throw new Error(`qemu-img bench failed: ${r.stderr || r.stdout}`);
        rates.push(count / Number(m[1]));
      }
      return stats(rates);
    },
  };
}

/**
 * Run the qco-img executable as qemu-img is run: its own process, with libuv's
 * pool sized by the executable (as a user gets it), the backend given by
 * QCO_BACKEND, timing read from the same line.
 */
function qcoImgProcessBench(args: string[], count: number, backend: string | undefined, img: string, aio: string): BenchFn {
  const bin = fileURLToPath(new URL('../dist/qco-img.cjs', import.meta.url));
  return {
    kind: 'measured',
    async run() {
      const rates: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const r = spawnSync(process.execPath, [bin, 'bench', ...args], { encoding: 'utf8', env: { ...process.env, ...(backend ? { QCO_BACKEND: backend } : {}) } });
        const m = /Run completed in ([0-9.]+) seconds/.exec(r.stdout);
        if (r.status !== 0 || !m) throw new Error(`qco-img bench failed: ${r.stderr || r.stdout}`);
        rates.push(count / Number(m[1]));
      }
      return { ...stats(rates), info: { 'aio path': await aioPathTaken(img, aio) } };
    },
  };
}

/** Seconds one bench run took by its own "Run completed in" line. */
function benchSeconds(cmd: string, args: string[]): number {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  // A command that could not start has no stdout at all (null, whatever the types say).
  if (r.error) throw new Error(`${cmd} bench failed: ${r.error.message}`);
  const m = /Run completed in ([0-9.]+) seconds/.exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`${cmd} bench failed: ${r.stderr || r.stdout}`);
  return Number(m[1]);
}

/** Rounds of an interleaved file case. */
const ROUNDS = 7;

/** qco-img bench's speed over qemu-img bench's with the same -i, alternating process by process. */
function interleavedFileBench(aio: string): BenchFn {
  const bin = fileURLToPath(new URL('../dist/qco-img.cjs', import.meta.url));
  const args = ['bench', ...fileArgs(aio, benchImage())];
  return {
    kind: 'measured',
    async run() {
      const m = await interleavedRatio(ROUNDS, () => benchSeconds(process.execPath, [bin, ...args]), () => benchSeconds('qemu-img', args), undefined, ['qco-img', 'qemu-img']);
      return { ...m, info: { ...m.info, 'aio path': await aioPathTaken(benchImage(), aio) } };
    },
  };
}

/** The submission path the file driver takes on this machine when asked for `aio` (io_uring and native fall back). */
async function aioPathTaken(img: string, aio: string): Promise<string> {
  const how = { format: 'raw', aio, cacheDirect: true, readOnly: true } as Parameters<typeof BlockBackend.open>[1];
  const blk = await BlockBackend.open(img, how);
  try {
    const nodes: unknown[] = [blk.bs, ...(blk.bs.children ?? []).map((c) => c.bs)];
    const path = nodes.map((n) => (n as { aioPath?: unknown }).aioPath).find((x) => typeof x === 'string');
    return typeof path === 'string' ? path : 'unknown';
  } finally {
    await blk.close();
  }
}

/** Run our bench loop in-process on the same arguments. */
function qcoImgBench(spec: string, how: Parameters<typeof BlockBackend.open>[1], count: number): BenchFn {
  const p: BenchParams = { count, depth: 64, bufsize: 4096, offset: 0, step: 4096, write: false, pattern: 0, flushInterval: 0, drain: true };
  return {
    kind: 'measured',
    async run() {
      const rates: number[] = [];
      const blk = await BlockBackend.open(spec, how);
      try {
        await runBench(blk, { ...p, count: Math.min(count, 10_000) }); // warm-up
        for (let i = 0; i < SAMPLES; i++) {
          const r = await runBench(blk, p);
          rates.push(r.requests / r.seconds);
        }
      } finally {
        await blk.close();
      }
      return stats(rates);
    },
  };
}

const module: BenchModule = {
  suite: 'block',
  cases({ backends }) {
    const nullParams = { depth: 64, size: '4k', requests: NULL_COUNT };
    const fileParams = { depth: 64, size: '4k', requests: FILE_COUNT, cache: 'none', image: '256M' };
    const qemuImg = ['qemu-img'];
    const file = (aio: string) => ({ aio, driverOptions: { format: 'raw', driver: 'file', aio, 'cache.direct': true } });
    const cases: BenchCaseSpec[] = [
      { name: 'qemu-img/null-co', unit: 'request', requires: qemuImg, driverOptions: { driver: 'null-co' }, params: nullParams },
      { name: 'qemu-img/file-threads', unit: 'request', requires: qemuImg, ...file('threads'), params: { ...fileParams, aio: 'threads' } },
      { name: 'qemu-img/file-io_uring', unit: 'request', requires: qemuImg, ...file('io_uring'), params: { ...fileParams, aio: 'io_uring' } },
      { name: 'qemu-img/file-native', unit: 'request', requires: qemuImg, ...file('native'), params: { ...fileParams, aio: 'native' } },
      { name: 'fio/file-io_uring', unit: 'request', requires: ['fio'], ...file('io_uring'), params: { ...fileParams, aio: 'io_uring', tool: 'fio' } },
    ];
    for (const backend of backends) {
      cases.push({ name: 'qco-img/null-co', backend, unit: 'request', baseline: 'qemu-img/null-co', driverOptions: { driver: 'null-co' }, params: nullParams });
    }
    // The file cases run the qco-img executable, which uses the default backend.
    for (const backend of backends.filter((b) => b === 'generator')) {
      cases.push(
        {
          name: 'qco-img/file-threads',
          backend,
          unit: 'request',
          baseline: 'qemu-img/file-threads',
          compareWith: ['qemu-img/file-io_uring'],
          ...file('threads'),
          params: { ...fileParams, aio: 'threads' },
        },
        {
          name: 'qco-img/file-native',
          backend,
          unit: 'request',
          baseline: 'qemu-img/file-threads',
          compareWith: ['qemu-img/file-native', 'qemu-img/file-io_uring'],
          ...file('native'),
          params: { ...fileParams, aio: 'native' },
        },
        {
          name: 'qco-img/file-io_uring',
          backend,
          unit: 'request',
          baseline: 'qemu-img/file-io_uring',
          compareWith: ['fio/file-io_uring'],
          ...file('io_uring'),
          params: { ...fileParams, aio: 'io_uring' },
        },
      );
    }
    // The same comparisons alternating qco-img and qemu-img run by run, so the machine's load hits both alike.
    for (const aio of ['threads', 'native', 'io_uring']) {
      cases.push({
        name: `qco-img÷qemu-img/file-${aio} (interleaved)`,
        measure: 'ratio',
        better: 'higher',
        unit: '×',
        requires: qemuImg,
        ...file(aio),
        params: { ...fileParams, aio, interleaved: true, rounds: ROUNDS, goal: '≥ 1.0×' },
      });
    }
    return cases;
  },
  prepare(spec): BenchFn {
    if (spec.backend) useBackend(spec.backend);
    if (spec.params?.['interleaved'] === true) return interleavedFileBench(String(spec.params['aio']));
    switch (spec.name) {
      case 'qemu-img/null-co':
        return qemuImgBench(NULL_ARGS, NULL_COUNT);
      case 'qemu-img/file-threads':
        return qemuImgBench(fileArgs('threads', benchImage()), FILE_COUNT);
      case 'qemu-img/file-native':
        return qemuImgBench(fileArgs('native', benchImage()), FILE_COUNT);
      case 'qco-img/file-native':
        return qcoImgProcessBench(fileArgs('native', benchImage()), FILE_COUNT, spec.backend, benchImage(), 'native');
      case 'qemu-img/file-io_uring':
        return qemuImgBench(fileArgs('io_uring', benchImage()), FILE_COUNT);
      case 'qco-img/file-io_uring':
        return qcoImgProcessBench(fileArgs('io_uring', benchImage()), FILE_COUNT, spec.backend, benchImage(), 'io_uring');
      case 'fio/file-io_uring':
        return fioBench(benchImage(), FILE_COUNT);
      case 'qco-img/null-co':
        return qcoImgBench('null-co://', {}, Number(spec.params?.['requests'] ?? NULL_COUNT));
      case 'qco-img/file-threads':
        return qcoImgProcessBench(fileArgs('threads', benchImage()), FILE_COUNT, spec.backend, benchImage(), 'threads');
      default:
        throw new Error(`unknown case ${spec.name}`);
    }
  },
};

export default module;
