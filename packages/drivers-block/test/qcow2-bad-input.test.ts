/**
 * Hostile and broken qcow2 images: each defect named in QEMU's words (or a
 * clear one of ours where QEMU reads on), never a crash, a hang or a write
 * outside the image; then a seeded fuzz of 10,000 mutated small images
 * (headers, L1/L2 tables, refcount structures) in memory, each of which
 * must open and read, or fail with a BlockError, within a bounded time.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coroutineRun } from '@qco/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockBackend, BlockError } from '../src/index.js';
import { IoVector } from '../src/block/iov.js';
import { qcow2Create } from '../src/drivers/qcow2/qcow2-create.js';
import { openQcow2State } from '../src/drivers/qcow2/qcow2-node.js';
import { MemoryHostFile } from '../src/drivers/qcow2/qcow2-file.js';
import { qcow2Flush, qcow2Preadv, qcow2Pwritev } from '../src/drivers/qcow2/qcow2-io.js';
import { writeCompressedCluster } from '../src/drivers/qcow2/qcow2-write-compressed.js';
import { seededRandom } from '@qco/test-utils';
import { qcoIo, qemu } from './tool-run.js';

/** What these tests read of `qemu-img info --output=json`. */
interface QemuImgInfo {
  readonly format: string;
  readonly 'virtual-size': number;
  readonly 'format-specific': { readonly data: { readonly corrupt?: boolean } };
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qco-qcow2-bad-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));


/** A copy of a fresh 1 MiB image with 64 KiB of data, with `bytes` written at `at`. */
function mutated(name: string, at: number, bytes: Buffer): string {
  const good = join(dir, 'good.qcow2');
  const p = join(dir, name);
  copyFileSync(good, p);
  const b = readFileSync(p);
  bytes.copy(b, at);
  writeFileSync(p, b);
  return p;
}

function u64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b;
}
function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
}

describe('bad qcow2 images', () => {
  beforeAll(() => {
    expect(qemu('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'good.qcow2'), '1M']).status).toBe(0);
    expect(qemu('qemu-io', ['-c', 'write -P 1 0 64k', join(dir, 'good.qcow2')]).status).toBe(0);
  });
  const cases: [string, number, Buffer, string][] = [
    ['magic', 0, Buffer.from('QFI\0', 'latin1'), 'Image is not in qcow2 format'],
    ['version', 4, u32(4), 'Unsupported qcow2 version 4'],
    ['cluster-bits', 20, u32(30), 'Unsupported cluster size: 2^30'],
    ['incompatible-feature', 72, u64(1n << 40n), 'Unsupported qcow2 feature(s): Unknown incompatible feature: 10000000000'],
    ['data-file', 72, u64(4n), "'data-file' is required for this image"],
    ['corrupt-bit', 72, u64(2n), 'qcow2: Image is corrupt; cannot be opened read/write'],
  ];
  for (const [name, at, bytes, message] of cases) {
    it(`${name}: qco-io fails to open with qemu-io's message`, async () => {
      const img = mutated(`bad-${name}.qcow2`, at, bytes);
      const theirs = qemu('qemu-io', ['-f', 'qcow2', '-c', 'read 0 64k', img]);
      const ours = await qcoIo(['-f', 'qcow2', '-c', 'read 0 64k', img]);
      expect(ours.status).toBe(1);
      expect(ours.stderr).toBe(`qco-io: can't open device ${img}: ${message}\n`);
      expect(theirs.out).toBe(`qemu-io: can't open device ${img}: ${message}\n`);
    });
  }
  it('refcount table entries far into the table are checked as the first ones are (the all-zero stretches between are passed over)', async () => {
    // The table is cluster 1 (0x10000); entry 600 lies in its tenth 512-byte stretch.
    const unaligned = mutated('bad-reftable-unaligned.qcow2', 0x10000 + 600 * 8, u64(0x20200n));
    const r1 = await qcoIo(['-f', 'qcow2', '-c', 'read 0 64k', unaligned]);
    expect(r1.status).toBe(1);
    expect(r1.stderr).toBe(`qco-io: can't open device ${unaligned}: Refblock offset 0x20200 unaligned (reftable index: 0x258)\n`);
    const past = mutated('bad-reftable-past.qcow2', 0x10000 + 8191 * 8, u64(0x7000000n));
    const r2 = await qcoIo(['-f', 'qcow2', '-c', 'read 0 64k', past]);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toBe(`qco-io: can't open device ${past}: Image '${past}' is corrupt: refblock offset 0x7000000 (reftable index: 0x1fff) is past the end of the file\n`);
  });
  it('a corrupt image still opens read-only', async () => {
    const img = join(dir, 'bad-corrupt-bit.qcow2');
    const r = await qcoIo(['-r', '-f', 'qcow2', '-c', 'read -P 1 0 64k', img]);
    expect(r.status, r.stderr).toBe(0);
  });
  it('an unaligned L2 table offset marks the image corrupt and fails the read, as QEMU does', async () => {
    const img = mutated('bad-l1-unaligned.qcow2', 0x30000, u64((1n << 63n) | 0x40200n));
    const r = await qcoIo(['-f', 'qcow2', '-c', 'read 0 64k', img]);
    expect(r.stdout).toContain('read failed: Input/output error');
    expect((JSON.parse(qemu('qemu-img', ['info', '--output=json', img]).out) as QemuImgInfo)['format-specific'].data.corrupt).toBe(true);
  });
  it('L1 and L2 entries past the end of the file: a clear error, no write outside the image', async () => {
    const l1 = mutated('bad-l1-past.qcow2', 0x30000, u64((1n << 63n) | 0x7000000n));
    const before = readFileSync(l1).length;
    const r1 = await qcoIo(['-f', 'qcow2', '-c', 'read 0 64k', '-c', 'write -P 2 0 4k', l1]);
    expect(r1.stdout).toContain('read failed: Input/output error');
    expect(readFileSync(l1).length).toBe(before);
    const l2 = mutated('bad-l2-past.qcow2', 0x40000, u64((1n << 63n) | 0x7000000n));
    const r2 = await qcoIo(['-f', 'qcow2', '-c', 'write -P 2 0 4k', l2]);
    expect(r2.stdout).toContain('write failed: Input/output error');
    expect(readFileSync(l2).length).toBeLessThan(0x7000000);
  });
  it('a data cluster pointing at the L1 table: the write is refused, the metadata survives', async () => {
    const img = mutated('bad-overlap.qcow2', 0x40000, u64((1n << 63n) | 0x30000n));
    const r = await qcoIo(['-f', 'qcow2', '-c', 'write -P 2 0 4k', img]);
    expect(r.stdout).toContain('write failed: Input/output error');
    expect(readFileSync(img).readBigUInt64BE(0x30000)).toBe((1n << 63n) | 0x40000n);
    expect((JSON.parse(qemu('qemu-img', ['info', '--output=json', img]).out) as QemuImgInfo)['format-specific'].data.corrupt).toBe(true);
    const blk = await BlockBackend.open(img, { readOnly: true });
    await blk.close();
  });
  it('refcount overflow: a refcount_bits=1 image cannot share a host cluster', async () => {
    const f = new MemoryHostFile();
    await coroutineRun(() => qcow2Create(f, { size: 1 << 20, refcountBits: 1 }));
    const s = await coroutineRun(() => openQcow2State(f, 'rc1.qcow2', false));
    const backing = { bs: undefined, length: 0 };
    const cs = s.clusterSize;
    await coroutineRun(() => writeCompressedCluster(s, backing, 0, new IoVector(new Uint8Array(cs).fill(3))));
    const err = await coroutineRun(() => writeCompressedCluster(s, backing, cs, new IoVector(new Uint8Array(cs).fill(4)))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlockError);
    expect((err as BlockError).message).toContain('Refcount overflow');
    expect((err as BlockError).errno).toBe(34);
  });
  it('a backing chain with a loop, a missing backing file', async () => {
    const a = join(dir, 'loop-a.qcow2');
    const b = join(dir, 'loop-b.qcow2');
    qemu('qemu-img', ['create', '-q', '-f', 'qcow2', '-u', '-b', 'loop-b.qcow2', '-F', 'qcow2', a, '1M']);
    qemu('qemu-img', ['create', '-q', '-f', 'qcow2', '-u', '-b', 'loop-a.qcow2', '-F', 'qcow2', b, '1M']);
    await expect(BlockBackend.open(a, { readOnly: true })).rejects.toThrow("Backing file 'loop-a.qcow2' creates an infinite loop.");
    const m = join(dir, 'lm.qcow2');
    qemu('qemu-img', ['create', '-q', '-f', 'qcow2', '-u', '-b', 'missing.qcow2', '-F', 'qcow2', m, '1M']);
    const r = await qcoIo(['-c', 'read 0 1', m]);
    expect(r.stderr).toBe(qemu('qemu-io', ['-c', 'read 0 1', m]).out.replace('qemu-io', 'qco-io'));
  });
});


interface Seed {
  bytes: Uint8Array;
  clusterSize: number;
  /** Where the tables are, to aim mutations at them. */
  hot: number[];
}

async function makeSeed(clusterSize: number, compat: '0.10' | '1.1'): Promise<Seed> {
  const f = new MemoryHostFile();
  await coroutineRun(() => qcow2Create(f, { size: 256 * 1024, clusterSize, compat }));
  const s = await coroutineRun(() => openQcow2State(f, 'seed.qcow2', false));
  const backing = { bs: undefined, length: 0 };
  await coroutineRun(() => qcow2Pwritev(s, backing, 1000, 5000, new IoVector(new Uint8Array(5000).fill(9))));
  await coroutineRun(() => qcow2Pwritev(s, backing, 100 * 1024, 40 * 1024, new IoVector(new Uint8Array(40 * 1024).fill(7))));
  await coroutineRun(() => writeCompressedCluster(s, backing, 200 * 1024 - ((200 * 1024) % clusterSize), new IoVector(new Uint8Array(clusterSize).fill(5))));
  await coroutineRun(() => qcow2Flush(s));
  const h = s.header;
  const hot = [0, 8, 20, 24, 36, 40, 48, 56, 60, 64, 72, 96, 100, h.l1TableOffset, h.refcountTableOffset, ...s.refTable.filter((x) => x > 0)];
  for (let i = 0; i < h.l1Size; i++) {
    const e = Number(new DataView(s.l1Table.buffer).getBigUint64(i * 8) & 0x00fffffffffffe00n);
    if (e > 0) hot.push(e);
  }
  return { bytes: f.bytes().slice(), clusterSize, hot };
}

/** Open, read, write and flush one mutated image; anything but a BlockError is a failure. */
async function exercise(image: Uint8Array, readOnly: boolean, r: () => number): Promise<string> {
  const f = new MemoryHostFile(image);
  const limit = image.length + 4 * 1024 * 1024;
  const write = f.pwrite.bind(f);
  f.pwrite = function* (offset: number, buf: Uint8Array) {
    if (offset + buf.length > limit) throw new Error(`write outside the image: ${offset}+${buf.length}`);
    yield* write(offset, buf);
  };
  try {
    const s = await coroutineRun(() => openQcow2State(f, 'fuzz.qcow2', readOnly));
    const size = Math.min(s.header.size, 256 * 1024);
    const backing = { bs: undefined, length: 0 };
    // The start of the disk and one random window (where the seeds keep data, zeroes and a compressed cluster).
    const head = Math.min(size, 16 * 1024);
    await coroutineRun(() => qcow2Preadv(s, backing, 0, head, new IoVector(new Uint8Array(head))));
    if (size > head) {
      const at = head + Math.floor(r() * (size - head));
      const n = Math.min(size - at, 64 * 1024);
      await coroutineRun(() => qcow2Preadv(s, backing, at, n, new IoVector(new Uint8Array(n))));
    }
    if (!readOnly && size > 0) {
      const at = Math.floor(r() * size);
      const n = Math.min(size - at, 1 + Math.floor(r() * 9000));
      await coroutineRun(() => qcow2Pwritev(s, backing, at, n, new IoVector(new Uint8Array(n).fill(0x3c))));
      const back = new Uint8Array(n);
      await coroutineRun(() => qcow2Preadv(s, backing, at, n, new IoVector(back)));
      if (!back.every((b) => b === 0x3c)) return 'a write that succeeded did not read back';
      await coroutineRun(() => qcow2Flush(s));
    }
    return 'ok';
  } catch (err) {
    if (err instanceof BlockError) return 'error';
    return `not a BlockError: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
  }
}

describe('qcow2 fuzz', () => {
  it('10,000 seeded mutations of headers and tables: a clean error or a correct read every time', async () => {
    const seeds = [await makeSeed(512, '1.1'), await makeSeed(4096, '1.1'), await makeSeed(65536, '1.1'), await makeSeed(4096, '0.10')];
    const r = seededRandom(20261201);
    const outcomes = { ok: 0, error: 0 };
    for (let i = 0; i < 10_000; i++) {
      const seed = seeds[i % seeds.length];
      const img = seed.bytes.slice();
      const flips = 1 + Math.floor(r() * 4);
      for (let k = 0; k < flips; k++) {
        const base = seed.hot[Math.floor(r() * seed.hot.length)];
        const at = Math.min(img.length - 1, base + Math.floor(r() * (base === 0 ? 112 : Math.min(seed.clusterSize, 256))));
        img[at] = r() < 0.5 ? Math.floor(r() * 256) : img[at] ^ (1 << Math.floor(r() * 8));
      }
      const readOnly = r() < 0.5;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const result = await Promise.race([exercise(img, readOnly, r), new Promise<string>((res) => (timer = setTimeout(() => res('hang'), 5000)))]);
      clearTimeout(timer);
      if (result !== 'ok' && result !== 'error') throw new Error(`case ${i}: ${result}`);
      outcomes[result]++;
    }
    // Both outcomes must occur, or the mutations are not reaching anything.
    expect(outcomes.ok).toBeGreaterThan(1000);
    expect(outcomes.error).toBeGreaterThan(1000);
  }, 150_000);
});
