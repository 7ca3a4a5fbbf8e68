/**
 * qcow2 beside qemu-img in the same run, both tools run as processes with
 * the same arguments: convert of 1 GiB raw → qcow2 and qcow2 → raw, convert
 * -c of 256 MiB, and `bench` with 4 KiB requests at depth 64 stepping
 * sequentially (-S 4096; qemu-img bench has no random mode) — reads on a
 * fully allocated image, writes on a fully allocated image (a kept one,
 * overwritten in place), writes on a freshly created one (every request
 * allocates), and reads through a backing file (an empty overlay). The
 * sources are non-zero data (so neither tool skips zeroes), made once and
 * kept; targets are overwritten. Samples alternate between the two tools
 * inside each case pair's measurement only through the harness order; each
 * figure is the median of its samples.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCaseSpec, BenchFn, BenchModule } from '@qco/bench';
import { median } from './interleave.js';

const SAMPLES = 3;
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

/** Time a whole convert; the rate is source bytes per second. */
function convertCase(which: string, args: () => string[], bytes: number, target: string): BenchFn {
  return {
    kind: 'measured',
    run() {
      const rates: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        rmSync(target, { force: true });
        const [cmd, argv] = tool(which, args());
        settle();
        const t0 = performance.now();
        run(cmd, argv);
        rates.push(bytes / ((performance.now() - t0) / 1000));
      }
      return stats(rates);
    },
  };
}

/** `bench` as both tools print it ("Run completed in X seconds."); `image` gives the image of each sample (a fresh one for allocating writes). */
function benchCase(which: string, args: string[], image: () => string): BenchFn {
  return {
    kind: 'measured',
    run() {
      const rates: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const img = image();
        settle();
        const [cmd, argv] = tool(which, ['bench', ...args, img]);
        const out = run(cmd, argv);
        const m = /Run completed in ([0-9.]+) seconds/.exec(out);
        if (!m) throw new Error(`${which} bench printed no timing: ${out}`);
        rates.push(BENCH_COUNT / Number(m[1]));
      }
      return stats(rates);
    },
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

/** The case families; each is measured for qemu-img and for qco-img. */
const FAMILIES: Record<string, { params: Record<string, string | number>; make: (which: string) => BenchFn }> = {
  'convert-raw-to-qcow2': {
    params: { bytes: '1G', from: 'raw', to: 'qcow2' },
    make: (w) => convertCase(w, () => ['convert', '-f', 'raw', '-O', 'qcow2', rawSource('convert.raw', CONVERT_BYTES), join(dir, `to-${w}.qcow2`)], CONVERT_BYTES, join(dir, `to-${w}.qcow2`)),
  },
  'convert-qcow2-to-raw': {
    params: { bytes: '1G', from: 'qcow2', to: 'raw' },
    make: (w) => {
      const src = join(dir, 'convert-src.qcow2');
      return convertCase(
        w,
        () => {
          if (!existsSync(src)) run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', rawSource('convert.raw', CONVERT_BYTES), src]);
          return ['convert', '-f', 'qcow2', '-O', 'raw', src, join(dir, `from-${w}.raw`)];
        },
        CONVERT_BYTES,
        join(dir, `from-${w}.raw`),
      );
    },
  },
  'convert-compressed': {
    params: { bytes: '256M', from: 'raw', to: 'qcow2 -c' },
    make: (w) => convertCase(w, () => ['convert', '-c', '-f', 'raw', '-O', 'qcow2', rawSource('compress.raw', COMPRESS_BYTES), join(dir, `c-${w}.qcow2`)], COMPRESS_BYTES, join(dir, `c-${w}.qcow2`)),
  },
  'bench-read-allocated': { params: { depth: 64, size: '4k', requests: BENCH_COUNT, image: '256M' }, make: (w) => benchCase(w, BENCH_ARGS, allocatedQcow2) },
  'bench-write-allocated': { params: { depth: 64, size: '4k', requests: BENCH_COUNT, image: '256M', allocating: 'no' }, make: (w) => benchCase(w, ['-w', ...BENCH_ARGS], allocatedForWrites) },
  'bench-write-fresh': { params: { depth: 64, size: '4k', requests: BENCH_COUNT, image: '256M', allocating: 'yes' }, make: (w) => benchCase(w, ['-w', ...BENCH_ARGS], freshQcow2) },
  'bench-read-backing': { params: { depth: 64, size: '4k', requests: BENCH_COUNT, image: '256M', through: 'backing file' }, make: (w) => benchCase(w, BENCH_ARGS, overlay) },
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
    }
    return cases;
  },
  prepare(spec): BenchFn {
    const m = /^(qemu-img|qco-img)\/qcow2-(.+)$/.exec(spec.name);
    const f = m ? FAMILIES[m[2]] : undefined;
    if (!m || !f) throw new Error(`unknown case ${spec.name}`);
    return f.make(m[1]);
  },
};

export default module;
