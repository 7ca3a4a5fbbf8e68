/**
 * qcow2 beside qemu-img in the same run, both tools run as processes with
 * the same arguments: convert of 1 GiB raw → qcow2 and qcow2 → raw (into a
 * kept raw target, overwritten with -n), convert -c of 256 MiB, every convert
 * target on a tmpfs where the machine has one (transfer-util's scratchPlace);
 * and `bench` with 4 KiB requests at depth 64 stepping sequentially (-S 4096;
 * qemu-img bench has no random mode) — reads on a fully allocated image,
 * writes on a fully allocated image (a kept one, overwritten in place),
 * writes on a freshly created one (every request allocates), and reads
 * through a backing file (an empty overlay). The
 * sources are non-zero data (so neither tool skips zeroes), made once and
 * kept; targets are overwritten. Every sample starts after a sync, so no
 * tool pays for the previous one's page-cache write-back. Each family has a
 * case per tool (the median of its samples) and an `(interleaved)` case
 * alternating the two sample by sample: the median of the per-round
 * qco-img÷qemu-img ratios, the figure to judge on a loaded machine.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCaseSpec, BenchFn, BenchModule } from '@qco/bench';
import { interleavedRatio, median } from './interleave.js';
import { scratchPlace } from './transfer-util.js';

const SAMPLES = 3;
/** Rounds of an interleaved case (after one warm-up of each side). */
const ROUNDS = 3;
const CONVERT_BYTES = 1 << 30;
const COMPRESS_BYTES = 256 << 20;
const BENCH_COUNT = 100_000;
const BENCH_IMAGE = 256 << 20;
const dir = join(tmpdir(), 'qco-bench-qcow2');

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.error) throw new Error(`${cmd} could not run (Debian qemu-utils): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** A raw file of `bytes` non-zero bytes, made once. */
function rawSource(name: string, bytes: number): string {
  const p = join(dir, name);
  if (existsSync(p) && statSync(p).size === bytes) return p;
  spawnSync('mkdir', ['-p', dir]);
  const fd = openSync(p, 'w');
  const chunk = Buffer.alloc(1 << 20);
  // Compressible but not zero: a byte pattern with a period of 251.
  for (let i = 0; i < chunk.length; i++) chunk[i] = 1 + ((i * 7) % 251);
  for (let at = 0; at < bytes; at += chunk.length) writeSync(fd, chunk, 0, chunk.length, at);
  closeSync(fd);
  return p;
}

/** A fully allocated qcow2 image (converted by qemu-img), made once. */
function allocatedQcow2(): string {
  const p = join(dir, 'allocated.qcow2');
  if (!existsSync(p)) run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', rawSource('bench.raw', BENCH_IMAGE), p]);
  return p;
}


function stats(rates: number[]): { hz: number; rme: number; samples: number } {
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  const sd = Math.sqrt(rates.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, rates.length - 1));
  return { hz: median(rates), rme: rates.length > 1 ? (100 * 1.96 * sd) / Math.sqrt(rates.length) / mean : 0, samples: rates.length };
}

const qcoImg = fileURLToPath(new URL('../dist/qco-img.cjs', import.meta.url));

/** The command line of `tool` ('qemu-img' or 'qco-img') for `args`. */
function tool(which: string, args: string[]): [string, string[]] {
  return which === 'qemu-img' ? ['qemu-img', args] : [process.execPath, [qcoImg, ...args]];
}

/**
 * Write back every dirty page before a sample: otherwise the previous
 * sample's gigabyte of page cache is written back during this one, and the
 * tool measured second pays for the first (seen as 2-10x swings).
 */
function settle(): void {
  spawnSync('sync');
}

/** Seconds one sample of `which` takes; `work` is what the sample moves (bytes or requests). */
type Sample = (which: string) => number;

/** One whole convert into a fresh target (removed again after it, so one target at a time takes room); the sample is its wall time. */
function convertSample(args: (which: string) => string[], target: (which: string) => string): Sample {
  return (which) => {
    rmSync(target(which), { force: true });
    mkdirSync(targetDir, { recursive: true });
    const [cmd, argv] = tool(which, args(which));
    settle();
    const t0 = performance.now();
    run(cmd, argv);
    const seconds = (performance.now() - t0) / 1000;
    rmSync(target(which), { force: true });
    return seconds;
  };
}

/**
 * Where the convert targets go, a tmpfs where there is one (said in the cases'
 * params): room for the kept qcow2 → raw pair and one fresh target at a time.
 */
const targetPlace = scratchPlace(3 * CONVERT_BYTES + (256 << 20));
const targetDir = join(targetPlace.root, 'qco-bench-qcow2');

/** A raw target of `bytes` written once in full (so a sample overwrites pages that exist), kept for every later sample. */
function keptTarget(name: string, bytes: number): string {
  const p = join(targetDir, name);
  if (existsSync(p) && statSync(p).size === bytes) return p;
  mkdirSync(targetDir, { recursive: true });
  const fd = openSync(p, 'w');
  const zeroes = Buffer.alloc(1 << 20);
  for (let at = 0; at < bytes; at += zeroes.length) writeSync(fd, zeroes, 0, zeroes.length, at);
  closeSync(fd);
  return p;
}

/** One whole convert into a kept target (`-n`: not created, overwritten in place); the sample is its wall time. */
function convertIntoSample(args: (which: string, target: string) => string[], target: (which: string) => string): Sample {
  return (which) => {
    const [cmd, argv] = tool(which, args(which, target(which)));
    settle();
    const t0 = performance.now();
    run(cmd, argv);
    return (performance.now() - t0) / 1000;
  };
}

/** One `bench` run as both tools time it ("Run completed in X seconds."); `image` gives the image of each sample (a fresh one for allocating writes). */
function benchSample(args: string[], image: () => string): Sample {
  return (which) => {
    const img = image();
    settle();
    const [cmd, argv] = tool(which, ['bench', ...args, img]);
    const out = run(cmd, argv);
    const m = /Run completed in ([0-9.]+) seconds/.exec(out);
    if (!m) throw new Error(`${which} bench printed no timing: ${out}`);
    return Number(m[1]);
  };
}

/** One tool's rate (work per second) over SAMPLES samples. */
function rateCase(which: string, sample: Sample, work: number): BenchFn {
  return {
    kind: 'measured',
    run() {
      const rates: number[] = [];
      for (let i = 0; i < SAMPLES; i++) rates.push(work / sample(which));
      return stats(rates);
    },
  };
}

/** qco-img's speed over qemu-img's, alternating sample by sample (the median of the per-round ratios). */
function interleavedCase(sample: Sample): BenchFn {
  return {
    kind: 'measured',
    run: () => interleavedRatio(ROUNDS, () => sample('qco-img'), () => sample('qemu-img'), undefined, ['qco-img', 'qemu-img']),
  };
}

/** A fully allocated qcow2 image that the write case overwrites in place (its own copy, so the read cases' image stays as qemu-img made it); made once and kept. */
function allocatedForWrites(): string {
  const p = join(dir, 'allocated-w.qcow2');
  if (!existsSync(p)) run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', rawSource('bench.raw', BENCH_IMAGE), p]);
  return p;
}

function freshQcow2(): string {
  const p = join(dir, 'fresh.qcow2');
  rmSync(p, { force: true });
  run('qemu-img', ['create', '-q', '-f', 'qcow2', p, String(BENCH_IMAGE)]);
  return p;
}

function overlay(): string {
  const base = allocatedQcow2();
  const p = join(dir, 'overlay.qcow2');
  if (!existsSync(p)) run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'qcow2', p]);
  return p;
}

const BENCH_ARGS = ['-c', String(BENCH_COUNT), '-d', '64', '-s', '4k', '-S', '4096', '-f', 'qcow2'];

const convertSrc = (): string => {
  const src = join(dir, 'convert-src.qcow2');
  if (!existsSync(src)) run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', rawSource('convert.raw', CONVERT_BYTES), src]);
  return src;
};

/** The case families; each is measured for qemu-img and for qco-img, and as their interleaved ratio. */
const FAMILIES: Record<string, { params: Record<string, string | number>; sample: Sample; work: number }> = {
  'convert-raw-to-qcow2': {
    params: { bytes: '1G', from: 'raw', to: 'qcow2', target: `${targetPlace.where}, a fresh file each sample` },
    sample: convertSample((w) => ['convert', '-f', 'raw', '-O', 'qcow2', rawSource('convert.raw', CONVERT_BYTES), join(targetDir, `to-${w}.qcow2`)], (w) => join(targetDir, `to-${w}.qcow2`)),
    work: CONVERT_BYTES,
  },
  'convert-qcow2-to-raw': {
    params: { bytes: '1G', from: 'qcow2', to: 'raw', target: `${targetPlace.where}, kept and overwritten (-n)` },
    sample: convertIntoSample((_w, t) => ['convert', '-n', '-f', 'qcow2', '-O', 'raw', convertSrc(), t], (w) => keptTarget(`from-${w}.raw`, CONVERT_BYTES)),
    work: CONVERT_BYTES,
  },
  'convert-compressed': {
    params: { bytes: '256M', from: 'raw', to: 'qcow2 -c', target: `${targetPlace.where}, a fresh file each sample` },
    sample: convertSample((w) => ['convert', '-c', '-f', 'raw', '-O', 'qcow2', rawSource('compress.raw', COMPRESS_BYTES), join(targetDir, `c-${w}.qcow2`)], (w) => join(targetDir, `c-${w}.qcow2`)),
    work: COMPRESS_BYTES,
  },
  'bench-read-allocated': { params: { depth: 64, size: '4k', requests: BENCH_COUNT, image: '256M' }, sample: benchSample(BENCH_ARGS, allocatedQcow2), work: BENCH_COUNT },
  'bench-write-allocated': {
    params: { depth: 64, size: '4k', requests: BENCH_COUNT, image: '256M', allocating: 'no' },
    sample: benchSample(['-w', ...BENCH_ARGS], allocatedForWrites),
    work: BENCH_COUNT,
  },
  'bench-write-fresh': { params: { depth: 64, size: '4k', requests: BENCH_COUNT, image: '256M', allocating: 'yes' }, sample: benchSample(['-w', ...BENCH_ARGS], freshQcow2), work: BENCH_COUNT },
  'bench-read-backing': { params: { depth: 64, size: '4k', requests: BENCH_COUNT, image: '256M', through: 'backing file' }, sample: benchSample(BENCH_ARGS, overlay), work: BENCH_COUNT },
};

const module: BenchModule = {
  suite: 'qcow2',
  cases({ backends }) {
    const cases: BenchCaseSpec[] = [];
    for (const [family, f] of Object.entries(FAMILIES)) {
      const unit = family.startsWith('convert') ? 'byte' : 'request';
      cases.push({ name: `qemu-img/qcow2-${family}`, unit, requires: ['qemu-img'], driverOptions: { format: 'qcow2' }, params: f.params });
      // The qco-img executable runs on the default backend.
      for (const backend of backends.filter((b) => b === 'generator')) {
        cases.push({ name: `qco-img/qcow2-${family}`, backend, unit, requires: ['qemu-img'], baseline: `qemu-img/qcow2-${family}`, driverOptions: { format: 'qcow2' }, params: f.params });
      }
      // The same pair alternating sample by sample, so the machine's load (and its page-cache write-back) hits both alike.
      cases.push({
        name: `qco-img÷qemu-img/qcow2-${family} (interleaved)`,
        measure: 'ratio',
        better: 'higher',
        unit: '×',
        requires: ['qemu-img'],
        driverOptions: { format: 'qcow2' },
        params: { ...f.params, interleaved: true, rounds: ROUNDS, goal: '≥ 1.0×' },
      });
    }
    return cases;
  },
  prepare(spec): BenchFn {
    const m = /^(qemu-img|qco-img|qco-img÷qemu-img)\/qcow2-(.+?)( \(interleaved\))?$/.exec(spec.name);
    const f = m ? FAMILIES[m[2]] : undefined;
    if (!m || !f) throw new Error(`unknown case ${spec.name}`);
    return spec.params?.['interleaved'] === true ? interleavedCase(f.sample) : rateCase(m[1], f.sample, f.work);
  },
};

export default module;
