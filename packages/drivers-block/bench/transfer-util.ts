/**
 * What the whole-transfer benchmarks (ssh, nfs) share: the transfer's shape,
 * where the package lives (to find its built tools), where local images and
 * targets go, running an external command to completion, and the
 * library-face copy loop.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measuredFromSamples, type BenchCaseSpec, type Measured } from '@qco/bench';
import type { BlockBackend } from '../src/index.js';

const MiB = 1024 * 1024;
/** Bytes moved per transfer. */
export const TRANSFER_SIZE = 256 * MiB;
/** Bytes per request, as qemu-img convert issues them. */
export const TRANSFER_REQUEST = 2 * MiB;
/** Requests in flight, as qemu-img convert keeps them. */
export const TRANSFER_IN_FLIGHT = 8;

/** Which way a transfer goes. */
export type Direction = 'read' | 'write';

/**
 * Read or write TRANSFER_SIZE bytes of `blk` sequentially, TRANSFER_IN_FLIGHT
 * requests of TRANSFER_REQUEST bytes at a time, through the Promise face;
 * `flushWrites` ends a write with a flush.
 */
export async function blkTransfer(blk: BlockBackend, direction: Direction, flushWrites: boolean): Promise<void> {
  const buf = direction === 'write' ? randomBytes(TRANSFER_REQUEST) : null;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < TRANSFER_SIZE) {
      const off = next;
      next += TRANSFER_REQUEST;
      if (buf === null) await blk.pread(off, TRANSFER_REQUEST);
      else await blk.pwrite(off, buf);
    }
  };
  await Promise.all(Array.from({ length: TRANSFER_IN_FLIGHT }, worker));
  if (buf !== null && flushWrites) await blk.flush();
}

/** The package directory (.qco-bench/*.bench.mjs, where qco-perf bundles the module → the package). */
export function packageDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

/** Where a case's local images and targets go here: 'tmpfs' (/dev/shm), or 'disk' when /dev/shm is not writable. */
export function scratchStorage(): 'tmpfs' | 'disk' {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return 'tmpfs';
  } catch {
    return 'disk';
  }
}

/**
 * A fresh directory for a case's local images and targets, on tmpfs where the
 * machine has one: writing 256 MiB to this VM's disk makes either tool's time
 * depend on when the kernel writes its dirty pages back (seconds, either way),
 * which is not what the case compares. Both tools of a case use the same one.
 */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(scratchStorage() === 'tmpfs' ? '/dev/shm' : tmpdir(), prefix));
}

/**
 * A whole-transfer case's samples: one untimed warm-up, then `samples` timed
 * transfers (at least 2). `prepare(run)` runs before each, outside the timing
 * (run 0 is the warm-up), and what it returns is handed to `transfer`.
 */
export async function timedTransfers<T>(samples: number, prepare: (run: number) => T, transfer: (prepared: T) => Promise<void>): Promise<Measured> {
  await transfer(prepare(0));
  const seconds: number[] = [];
  for (let i = 1; i <= Math.max(2, samples); i++) {
    const prepared = prepare(i);
    const t0 = process.hrtime.bigint();
    await transfer(prepared);
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return measuredFromSamples(seconds);
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

/**
 * The case list of a whole-transfer suite (`protocol` ssh or nfs): for each
 * direction, qemu-img convert (the baseline), the protocol's own copy tool,
 * qco-img convert, and the in-process BlockBackend with `inFlight` 2 MiB requests.
 * qco-img runs as its own process, which finds its backend as any consumer does;
 * the backends are compared in-process elsewhere, so the tool runs on the default
 * one, as the block suite's file cases do. `peer` lists the executables of the
 * real peer the cases start and `copyPath` the copy tool's, so a machine without
 * them skips the cases, saying which package is missing.
 */
export function transferCases(protocol: string, copyTool: string, backends: readonly string[], size: number, inFlight: number, peer: readonly string[], copyPath: string): BenchCaseSpec[] {
  const cases: BenchCaseSpec[] = [];
  const first = backends.at(0);
  const common = { opsPerCall: size, unit: 'byte', requires: peer, params: { size: `${size / (1024 * 1024)} MiB` } } as const;
  for (const direction of ['read', 'write'] as const) {
    const base = `${protocol}/${direction}/qemu-img-convert`;
    const copy = `${protocol}/${direction}/${copyTool}`;
    cases.push({ name: base, ...common, requires: [...peer, 'qemu-img'] }, { name: copy, ...common, requires: [...peer, copyPath] });
    if (backends.includes('generator')) {
      cases.push({ name: `${protocol}/${direction}/qco-img-convert`, backend: 'generator', baseline: base, compareWith: [copy], ...common });
    }
    cases.push({
      name: `${protocol}/${direction}/qco-blk`,
      ...(first !== undefined ? { backend: first } : {}),
      baseline: base,
      compareWith: [copy],
      ...common,
      params: { ...common.params, requests: `${inFlight} × 2 MiB in flight`, note: 'in-process BlockBackend, no local file' },
    });
  }
  return cases;
}
