/** The file driver on every face, O_DIRECT alignment, truncate and errors. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { deferCallBegin, deferCallEnd } from '@qco/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlockDriverState } from '../src/drivers/file/file-driver.js';
import { linuxAioAvailable } from '../src/drivers/file/linux-aio.js';
import { allocAligned } from '../src/block/aligned-memory.js';
import { BlockBackend, IoVector, CouldNotOpenError, ReadOnlyError, SyncUnsupportedError, registerBlockDriver, BLOCK_DRIVER_SPEC, type BlockDriver } from '../src/index.js';
import { childOf } from '../src/block/block-open.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qco-file-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function image(name: string, size = 1 << 20, fill = 0): string {
  const p = join(dir, name);
  writeFileSync(p, Buffer.alloc(size, fill));
  return p;
}

describe('file driver', () => {
  it('buffered requests larger than a bounce slot, contiguous and scattered, on every face', async () => {
    const p = image('big.img', 8 << 20);
    const blk = await BlockBackend.open(p);
    const one = new Uint8Array(3 << 20).map((_, i) => (i * 7 + 1) & 0xff);
    await blk.pwrite(12345, one);
    const parts = [new Uint8Array(300_000).fill(1), new Uint8Array(5).fill(2), new Uint8Array(700_001).fill(3)];
    await blk.pwritev(4 << 20, new IoVector(parts));
    const onDisk = readFileSync(p);
    expect(Buffer.compare(onDisk.subarray(12345, 12345 + one.length), Buffer.from(one))).toBe(0);
    expect(Buffer.compare(onDisk.subarray(4 << 20, (4 << 20) + 1_000_006), Buffer.concat(parts))).toBe(0);
    const back = new IoVector([new Uint8Array(1 << 20), new Uint8Array(2 << 20)]);
    await blk.preadv(12345, back);
    expect(Buffer.compare(Buffer.from(back.toBuffer()), Buffer.from(one))).toBe(0);
    await blk.close();
    const sync = BlockBackend.openSync(p);
    expect(Buffer.compare(Buffer.from(sync.preadSync(12345, one.length)), Buffer.from(one))).toBe(0);
    sync.closeSync();
  });
  it('Promise face: write, read back, flush, length', async () => {
    const p = image('a.img');
    const blk = await BlockBackend.open(p);
    await blk.pwrite(4096, new Uint8Array(8192).fill(0x77));
    await blk.flush();
    expect((await blk.pread(4096, 8192)).every((b) => b === 0x77)).toBe(true);
    expect(await blk.getLength()).toBe(1 << 20);
    await blk.close();
    expect(readFileSync(p)[4096]).toBe(0x77);
  });
  it('synchronous face waits for worker completions with a blocking aio_poll', () => {
    const p = image('b.img');
    const blk = BlockBackend.openSync(`json:{"driver":"file","filename":"${p}"}`);
    blk.pwriteSync(0, new Uint8Array(1000).fill(9));
    blk.flushSync();
    expect(blk.preadSync(0, 1000).every((b) => b === 9)).toBe(true);
    expect(blk.getLengthSync()).toBe(1 << 20);
    blk.truncateSync(2 << 20);
    expect(blk.getLengthSync()).toBe(2 << 20);
    blk.closeSync();
    expect(statSync(p).size).toBe(2 << 20);
  });
  it('coroutine face with many requests in flight', async () => {
    const p = image('c.img', 4 << 20);
    const blk = await BlockBackend.open(p);
    expect(linuxAioAvailable(), 'the native addon is missing: run `pnpm --filter @qco/drivers-block build`').toBe(true);
    expect((childOf(blk.bs, 'file') as FileBlockDriverState).aioPath).toBe('threads');
    await Promise.all(Array.from({ length: 256 }, (_, i) => blk.pwrite(i * 16384, new Uint8Array(16384).fill(i & 0xff))));
    const back = await Promise.all(Array.from({ length: 256 }, (_, i) => blk.pread(i * 16384, 16384)));
    back.forEach((b, i) => expect(b.every((x) => x === (i & 0xff))).toBe(true));
    await blk.flush();
    await blk.pwrite(0, new Uint8Array(512).fill(3), { fua: true });
    expect(readFileSync(p)[0]).toBe(3);
  });
  it('aio=threads: a small buffered read the page cache holds is served on the calling thread, larger and O_DIRECT reads by the pool', async () => {
    const p = image('read-now.img', 1 << 20);
    for (const cacheDirect of [false, true]) {
      const blk = await BlockBackend.open(p, { format: 'raw', aio: 'threads', cacheDirect });
      const ctx = (childOf(blk.bs, 'file') as FileBlockDriverState).nativeContext as NonNullable<FileBlockDriverState['nativeContext']>;
      const data = new Uint8Array(allocAligned(128 * 1024)).map((_, i) => (i * 13 + (cacheDirect ? 5 : 3)) & 0xff);
      await blk.pwrite(0, data);
      await blk.flush();
      let before = ctx.submitted;
      const small = new Uint8Array(allocAligned(64 * 1024));
      await blk.preadv(0, new IoVector([small]));
      expect(Buffer.compare(Buffer.from(small), Buffer.from(data.subarray(0, 64 * 1024)))).toBe(0);
      // Just written, so cached: no request reaches the pool unless O_DIRECT bypasses the cache.
      expect(ctx.submitted - before).toBe(cacheDirect ? 1 : 0);
      before = ctx.submitted;
      const big = new Uint8Array(allocAligned(128 * 1024));
      await blk.preadv(0, new IoVector([big]));
      expect(Buffer.compare(Buffer.from(big), Buffer.from(data))).toBe(0);
      expect(ctx.submitted - before).toBe(1);
      await blk.close();
    }
  });

  it('cache.direct=on probes the request alignment and still serves unaligned requests', async () => {
    const p = image('d.img', 1 << 20, 0x11);
    const blk = await BlockBackend.open(p, { cacheDirect: true });
    expect(blk.bs.requestAlignment).toBeGreaterThanOrEqual(512);
    await blk.pwrite(3, new Uint8Array(5).fill(0x22));
    const b = await blk.pread(0, 10);
    expect([...b]).toEqual([0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0x22, 0x11, 0x11]);
    await blk.pwrite(0, new Uint8Array(3 << 20 >> 2).fill(1));
    expect((await blk.pread(0, 3 << 20 >> 2)).every((x) => x === 1)).toBe(true);
  });
  it('aio=native submits through linux-aio (the addon is built by the package build) and reads back what it wrote', async () => {
    expect(linuxAioAvailable(), 'the linux-aio addon is missing: run `pnpm --filter @qco/drivers-block build`').toBe(true);
    const p = image('native.img', 4 << 20);
    const blk = await BlockBackend.open(p, { cacheDirect: true, aio: 'native' });
    expect((childOf(blk.bs, 'file') as FileBlockDriverState).aioPath).toBe('native');
    await Promise.all(Array.from({ length: 200 }, (_, i) => blk.pwrite(i * 16384, new Uint8Array(16384).fill(i & 0xff))));
    await blk.pwrite(7, new Uint8Array(3).fill(0xee), { fua: true });
    const back = await Promise.all(Array.from({ length: 200 }, (_, i) => blk.pread(i * 16384, 16384)));
    back.forEach((b, i) => expect(b.subarray(i === 0 ? 10 : 0).every((x) => x === (i & 0xff))).toBe(true));
    expect([...(await blk.pread(6, 5))]).toEqual([0, 0xee, 0xee, 0xee, 0]);
    await blk.close();
  });
  for (const aio of ['native', 'io_uring', 'threads'] as const) {
    it(`aio=${aio} with O_DIRECT: a request from page-aligned scattered segments goes to the ${aio === 'threads' ? 'pool' : 'kernel'} whole (one vectored request, no bounce), an unaligned one through the bounce slots; qemu-io reads both`, async () => {
      const p = image(`vectored-${aio}.img`, 4 << 20);
      const blk = await BlockBackend.open(p, { format: 'raw', cacheDirect: true, aio });
      const bs = childOf(blk.bs, 'file') as FileBlockDriverState;
      expect(bs.aioPath).toBe(aio);
      const ctx = bs.nativeContext as NonNullable<FileBlockDriverState['nativeContext']>;
      // 1 MiB in 64 KiB page-aligned pieces with gaps between them, as a guest's pages arrive.
      const mem = new Uint8Array(allocAligned(4 << 20));
      const segs = Array.from({ length: 16 }, (_, i) => mem.subarray(i * 131072, i * 131072 + 65536).fill(0x30 + i));
      let before = ctx.submitted;
      await blk.pwritev(1 << 20, new IoVector(segs));
      expect(ctx.submitted - before).toBe(1);
      for (const s of segs) s.fill(0);
      before = ctx.submitted;
      await blk.preadv(1 << 20, new IoVector(segs));
      expect(ctx.submitted - before).toBe(1);
      segs.forEach((s, i) => expect(s.every((x) => x === 0x30 + i)).toBe(true));
      expect(mem[65536]).toBe(0);
      // 512 bytes off a page: O_DIRECT cannot take it from there, so it goes through the bounce slots (256 KiB each).
      const odd = new IoVector([mem.subarray(512, 512 + (1 << 20)).fill(0x77)]);
      before = ctx.submitted;
      await blk.pwritev(2 << 20, odd);
      expect(ctx.submitted - before).toBe(4);
      // FUA from aligned memory: the vectored write, then its flush.
      const fua = mem.subarray(3 << 20, (3 << 20) + 8192).fill(0x5a);
      before = ctx.submitted;
      await blk.pwritev(3 << 20, new IoVector([fua]), { fua: true });
      expect(ctx.submitted - before).toBe(aio === 'native' ? 1 : 2);
      // Segments of two buffers do not cross as spans of one (prepSpans): they go as views (prepv), still one request.
      const other = new Uint8Array(allocAligned(65536));
      before = ctx.submitted;
      await blk.pwritev((3 << 20) + 65536, new IoVector([mem.subarray(0, 65536).fill(0x60), other.fill(0x61)]));
      expect(ctx.submitted - before).toBe(1);
      mem.fill(0, 0, 65536);
      other.fill(0);
      before = ctx.submitted;
      await blk.preadv((3 << 20) + 65536, new IoVector([other, mem.subarray(0, 65536)]));
      expect(ctx.submitted - before).toBe(1);
      expect(other.every((x) => x === 0x60) && mem.subarray(0, 65536).every((x) => x === 0x61)).toBe(true);
      await blk.close();
      const r = spawnSync(
        'qemu-io',
        [
          '-f',
          'raw',
          '-c',
          `read -P 0x30 ${1 << 20} 65536`,
          '-c',
          `read -P 0x3f ${(1 << 20) + 15 * 65536} 65536`,
          '-c',
          `read -P 0x77 ${2 << 20} ${1 << 20}`,
          '-c',
          `read -P 0x5a ${3 << 20} 8192`,
          '-c',
          `read -P 0x60 ${(3 << 20) + 65536} 65536`,
          '-c',
          `read -P 0x61 ${(3 << 20) + 131072} 65536`,
          p,
        ],
        { encoding: 'utf8' },
      );
      expect(r.stdout).not.toContain('Pattern verification failed');
      expect(r.stdout.match(/^read /gm)).toHaveLength(6);
    });
  }
  for (const cacheDirect of [false, true]) {
    it(`aio=io_uring submits through io_uring${cacheDirect ? ' with O_DIRECT' : ''}, one io_uring_enter per defer-call section, and qemu-io reads what it wrote`, async () => {
      const p = image(`uring${cacheDirect ? '-direct' : ''}.img`, 4 << 20);
      const blk = await BlockBackend.open(p, { format: 'raw', cacheDirect, aio: 'io_uring' });
      const bs = childOf(blk.bs, 'file') as FileBlockDriverState;
      expect(bs.aioPath, 'io_uring needs the addon built with liburing (liburing-dev, setup/apt-build.txt) and a kernel that allows it').toBe('io_uring');
      const ring = bs.nativeContext as NonNullable<FileBlockDriverState['nativeContext']>;
      const before = { submits: ring.submits, submitted: ring.submitted };
      // 64 requests started inside one section go to the kernel in one batch.
      const writes: Promise<void>[] = [];
      deferCallBegin();
      for (let i = 0; i < 64; i++) writes.push(blk.pwrite(i * 65536, new Uint8Array(65536).fill(i + 1)));
      deferCallEnd();
      await Promise.all(writes);
      expect(ring.submitted - before.submitted).toBe(64);
      expect(ring.submits - before.submits).toBe(1);
      await blk.pwrite(5, new Uint8Array(3).fill(0xee), { fua: true });
      await blk.flush();
      const back = await Promise.all(Array.from({ length: 64 }, (_, i) => blk.pread(i * 65536, 65536)));
      back.forEach((b, i) => expect(b.subarray(i === 0 ? 8 : 0).every((x) => x === i + 1)).toBe(true));
      await blk.close();
      const r = spawnSync('qemu-io', ['-f', 'raw', '-c', 'read -P 0x40 4128768 65536', '-c', 'read -P 0xee 5 3', p], { encoding: 'utf8' });
      expect(r.error, 'qemu-io (qemu-utils, setup/apt-peers.txt) could not run').toBeUndefined();
      expect(r.stdout).not.toContain('Pattern verification failed');
      expect(r.status).toBe(0);
    });
  }
  it('aio=native needs cache.direct=on (QEMU message)', async () => {
    await expect(BlockBackend.open(image('n2.img'), { aio: 'native' })).rejects.toThrow(
      'aio=native was specified, but it requires cache.direct=on, which was not specified.',
    );
  });
  it('errors: missing file, directory, read-only', async () => {
    await expect(BlockBackend.open(join(dir, 'nope.img'))).rejects.toThrow(CouldNotOpenError);
    await expect(BlockBackend.open(join(dir, 'nope.img'))).rejects.toThrow(`Could not open '${join(dir, 'nope.img')}': No such file or directory`);
    await expect(BlockBackend.open(dir, { readOnly: true })).rejects.toThrow('Is a directory');
    const blk = await BlockBackend.open(image('e.img'), { readOnly: true });
    await expect(blk.pwrite(0, new Uint8Array(1))).rejects.toThrow(ReadOnlyError);
  });
  it('the synchronous face refuses event-loop drivers before sending anything', () => {
    let opened = false;
    const sockety: BlockDriver = {
      spec: BLOCK_DRIVER_SPEC,
      formatName: 'test-socket',
      protocolName: 'test-socket',
      options: [],
      completions: 'event-loop',
      parseFilename: () => ({}),
      *open() {
        opened = true;
        throw new Error('not reached');
      },
    };
    registerBlockDriver(sockety);
    expect(() => BlockBackend.openSync('test-socket://')).toThrow(SyncUnsupportedError);
    expect(opened).toBe(false);
  });
});
