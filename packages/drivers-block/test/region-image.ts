/**
 * The 64 MiB image of the remote drivers' round-trip tests (nfs against
 * nfs-ganesha, ssh against OpenSSH's sshd): 256 regions of 256 KiB, each holding
 * its own byte, written by qco and read by QEMU's tools or the other way round,
 * and the read-back checks both drivers' tests make against their real peers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { IoVector, type BlockBackend } from '../src/index.js';

/** One MiB. */
export const MiB = 1024 * 1024;
/** The image's size. */
export const IMAGE = 64 * MiB;
/** One region: 256 of them in the image, each with its own byte. */
export const REGION = 256 * 1024;

/** The byte region `r` holds. */
export const regionByte = (r: number): number => (r * 167 + 13) & 0xff;

/** The sha256 of `b`, hex: how the tests compare 64 MiB at once. */
export const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The whole image's expected content. */
export function regionPattern(): Buffer {
  const buf = Buffer.alloc(IMAGE);
  for (let r = 0; r < IMAGE / REGION; r++) buf.fill(regionByte(r), r * REGION, (r + 1) * REGION);
  return buf;
}

/** qemu-io's `-c` arguments that write every region's byte (`write -P`) or verify it (`read -P`). */
export function regionIoCommands(op: 'read' | 'write'): string[] {
  const cmds: string[] = [];
  for (let r = 0; r < IMAGE / REGION; r++) cmds.push('-c', `${op} -P 0x${regionByte(r).toString(16)} ${r * REGION} ${REGION}`);
  return cmds;
}

/** qemu-io's output of regionIoCommands('read'): every region read, no pattern failure. */
export function expectRegionsVerified(out: string): void {
  expect(out).not.toMatch(/Pattern verification failed|error/i);
  expect(out.match(/^read 262144\/262144 bytes/gm)?.length).toBe(IMAGE / REGION);
}

/** Write `data` (the whole image) through `blk` as 2 MiB requests all in flight at once, as qemu-img convert issues them. */
export async function writeInFlight(blk: BlockBackend, data: Uint8Array): Promise<void> {
  const reqs: Promise<void>[] = [];
  for (let off = 0; off < IMAGE; off += 2 * MiB) reqs.push(blk.pwrite(off, data.subarray(off, off + 2 * MiB)));
  await Promise.all(reqs);
}

/**
 * The read-back half of "written by their side, read by qco": `open(name)` opens
 * the peer's file read-only. The region image `regions` (written by QEMU's tools)
 * reads back whole with its length; then `put(name, data)` places 64 MiB of random
 * bytes on the peer, and a scattered read of three segments (the bounce-buffer
 * path) of it gets those bytes.
 */
export async function expectReadBack(
  regions: string,
  open: (name: string) => Promise<BlockBackend>,
  put: (name: string, data: Uint8Array) => void,
): Promise<void> {
  const blk = await open(regions);
  expect(await blk.getLength()).toBe(IMAGE);
  const back = Buffer.from(await blk.pread(0, IMAGE));
  await blk.close();
  expect(sha(back)).toBe(sha(regionPattern()));

  const random = randomBytes(IMAGE);
  put('random.img', random);
  const blk2 = await open('random.img');
  const a = new Uint8Array(1000);
  const b = new Uint8Array(IMAGE - 3000);
  const c = new Uint8Array(2000);
  await blk2.preadv(0, new IoVector([a, b, c]));
  await blk2.close();
  expect(sha(Buffer.concat([a, b, c]))).toBe(sha(random));
}
