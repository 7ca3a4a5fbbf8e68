/**
 * What the whole-transfer benchmarks (ssh, nfs; qcow2 for where its files go)
 * share: the transfer's shape, where the package lives (to find its built
 * tools), where local images and targets go, running an external command to
 * completion, the sampling loop and the library-face copy loop.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, statfsSync } from 'node:fs';
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

/** Where a case's local images and targets go, and a line saying so (or why not) for the case's params. */
export interface ScratchPlace {
  /** The directory to make the case's own directory in. */
  readonly root: string;
  /** '/dev/shm (tmpfs)', or the temporary directory with the reason /dev/shm was not used. */
  readonly where: string;
}

/**
 * A tmpfs (/dev/shm) where the machine has a usable one with `needBytes`
 * free, else the temporary directory with the reason: writing hundreds of MiB
 * to this VM's disk makes either tool's time depend on when the kernel writes
 * its dirty pages back (seconds, either way), which is not what a case
 * compares. Both tools of a case use the same place.
 */
export function scratchPlace(needBytes: number): ScratchPlace {
  const shm = '/dev/shm';
  const TMPFS_MAGIC = 0x01021994;
  try {
    const st = statfsSync(shm);
    const free = st.bavail * st.bsize;
    if (st.type !== TMPFS_MAGIC) return { root: tmpdir(), where: `${tmpdir()} (${shm} is not a tmpfs)` };
    if (free < needBytes) return { root: tmpdir(), where: `${tmpdir()} (${shm} has ${Math.floor(free / MiB)} MiB free, ${Math.ceil(needBytes / MiB)} MiB needed)` };
    accessSync(shm, constants.W_OK);
    return { root: shm, where: `${shm} (tmpfs)` };
  } catch (err) {
    return { root: tmpdir(), where: `${tmpdir()} (${shm} unusable: ${(err as Error).message})` };
  }
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
