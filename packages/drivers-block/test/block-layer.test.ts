import { describe, expect, it } from 'vitest';
import type { Co } from '@qco/core';
import {
  BLOCK_DRIVER_SPEC,
  BlockBackend,
  IoVector,
  InvalidFilenameError,
  InvalidParameterError,
  UnalignedRequestError,
  UnknownDriverError,
  UnknownOptionError,
  UnknownProtocolError,
  assertAligned,
  parseBlockSpec,
  parseQemuOptsString,
  parseSize,
  registerBlockDriver,
  resolveBlockSpec,
  type BlockDriver,
  type BlockDriverState,
} from '../src/index.js';

/** An in-memory driver with 512-byte request alignment, to watch read-modify-write. */
function memDriver(): { driver: BlockDriver; requests: [string, number, number][] } {
  const requests: [string, number, number][] = [];
  const driver: BlockDriver = {
    spec: BLOCK_DRIVER_SPEC,
    formatName: 'test-mem',
    protocolName: 'test-mem',
    options: [{ name: 'size', type: 'size', default: 8192 }],
    completions: 'inline',
    parseFilename: () => ({}),
    *open(options, flags): Co<BlockDriverState> {
      const data = new Uint8Array(options['size'] as number);
      const bs: BlockDriverState = {
        driver,
        filename: 'test-mem://',
        options,
        flags,
        requestAlignment: 512,
        *coPreadv(offset, bytes, qiov) {
          assertAligned(bs, offset, bytes);
          requests.push(['read', offset, bytes]);
          qiov.fromBuffer(data.subarray(offset, offset + bytes));
        },
        *coPwritev(offset, bytes, qiov) {
          assertAligned(bs, offset, bytes);
          requests.push(['write', offset, bytes]);
          qiov.toBufferAt(data.subarray(offset, offset + bytes));
        },
        *coFlush() {},
        *coGetLength() {
          return data.length;
        },
        *coClose() {},
      };
      return bs;
    },
  };
  return { driver, requests };
}

describe('options', () => {
  it('parses QemuOpts strings with escaped commas', () => {
    expect(parseQemuOptsString('driver=file,filename=/tmp/a,,b,cache.direct=on')).toEqual({
      driver: 'file',
      filename: '/tmp/a,b',
      'cache.direct': 'on',
    });
  });
  it('flattens json: filenames', () => {
    expect(parseBlockSpec('json:{"driver":"ssh","server":{"host":"h","port":22},"path":"/x"}')).toEqual({
      driver: 'ssh',
      'server.host': 'h',
      'server.port': 22,
      path: '/x',
    });
  });
  it('parses sizes like qemu_strtosz', () => {
    expect(parseSize('1M')).toBe(1 << 20);
    expect(parseSize('64k')).toBe(65536);
    expect(parseSize('1.5G')).toBe(1.5 * 2 ** 30);
    expect(parseSize('512')).toBe(512);
    expect(parseSize('abc')).toBeUndefined();
  });
  it('rejects unknown drivers, protocols and options with QEMU messages', () => {
    expect(() => resolveBlockSpec('x', { format: 'nosuch' })).toThrow(new UnknownDriverError('nosuch'));
    expect(() => resolveBlockSpec('foo:bar')).toThrow("Unknown protocol 'foo'");
    expect(() => resolveBlockSpec('foo:bar')).toThrow(UnknownProtocolError);
    expect(() => resolveBlockSpec('driver=null-co,foo=1', { imageOpts: true })).toThrow(UnknownOptionError);
    expect(() => resolveBlockSpec('driver=null-co,foo=1', { imageOpts: true })).toThrow("Block protocol 'null-co' doesn't support the option 'foo'");
    expect(() => resolveBlockSpec('driver=null-co,size=abc', { imageOpts: true })).toThrow("Parameter 'size' expects a non-negative number below 2^64");
    expect(() => resolveBlockSpec('driver=null-co,read-zeroes=abc', { imageOpts: true })).toThrow("Parameter 'read-zeroes' expects 'on' or 'off'");
    expect(() => resolveBlockSpec('driver=null-co,latency-ns=x', { imageOpts: true })).toThrow(InvalidParameterError);
  });
  it('raw is a format node over its protocol node (-f raw, json with file.*)', async () => {
    expect(resolveBlockSpec('null-co://', { format: 'raw' }).driver.formatName).toBe('raw');
    const blk = await BlockBackend.open('json:{"driver":"raw","offset":1024,"file":{"driver":"null-co","size":4096}}');
    expect(blk.driverName).toBe('raw');
    expect(blk.bs.children?.map((c) => [c.role, c.bs.driver.formatName])).toEqual([['file', 'null-co']]);
    expect(await blk.getLength()).toBe(3072);
    await blk.close();
  });
  it('null-co accepts only its own filename', () => {
    expect(() => resolveBlockSpec('null-co://xx')).toThrow(InvalidFilenameError);
    expect(() => resolveBlockSpec('null-co://xx')).toThrow("The only allowed filename for this driver is 'null-co://'");
    expect(() => resolveBlockSpec('null-aio://x')).toThrow("The only allowed filename for this driver is 'null-aio://'");
    expect(resolveBlockSpec('null-co://').driver.formatName).toBe('null-co');
  });
});

describe('BlockBackend faces over null-co and null-aio', () => {
  it('Promise face', async () => {
    const blk = await BlockBackend.open('json:{"driver":"null-co","size":65536,"read-zeroes":true}');
    expect(await blk.getLength()).toBe(65536);
    const buf = await blk.pread(0, 4096, new Uint8Array(4096).fill(7));
    expect(buf.every((b) => b === 0)).toBe(true);
    await blk.pwrite(0, new Uint8Array(512));
    await expect(blk.pread(65536, 1)).rejects.toThrow('Input/output error');
    await blk.close();
  });
  it('synchronous face, also for null-aio completing in a BH and with latency', () => {
    for (const spec of ['null-co://', 'null-aio://']) {
      const blk = BlockBackend.openSync(spec, { options: { 'read-zeroes': 'on', 'latency-ns': 1000000 } });
      expect(blk.getLengthSync()).toBe(1 << 30);
      expect(blk.preadSync(0, 16).every((b) => b === 0)).toBe(true);
      blk.pwriteSync(0, new Uint8Array(16));
      blk.flushSync();
      blk.closeSync();
    }
  });
  it('callback face completes after the call returns', async () => {
    const blk = await BlockBackend.open('null-co://');
    let returned = false;
    const done = new Promise<null | Error>((resolve) => {
      blk.aioPreadv(0, new IoVector(new Uint8Array(512)), {}, (err) => {
        expect(returned).toBe(true);
        resolve(err);
      });
    });
    returned = true;
    expect(await done).toBeNull();
  });
  it('refuses writes on a read-only node', async () => {
    const blk = await BlockBackend.open('null-co://', { readOnly: true });
    await expect(blk.pwrite(0, new Uint8Array(1))).rejects.toThrow('Block node is read-only');
  });
});

describe('request alignment', () => {
  it('read-modify-writes unaligned writes and bounces unaligned reads', async () => {
    const { driver, requests } = memDriver();
    registerBlockDriver(driver);
    const blk = await BlockBackend.open('test-mem://', { format: 'test-mem' });
    await blk.pwrite(0, new Uint8Array(8192).fill(0x11));
    requests.length = 0;
    await blk.pwrite(100, new Uint8Array(1000).fill(0x22));
    expect(requests).toEqual([
      ['read', 0, 512],
      ['read', 1024, 512],
      ['write', 0, 1536],
    ]);
    const back = await blk.pread(90, 1020);
    expect(back.subarray(0, 10).every((b) => b === 0x11)).toBe(true);
    expect(back.subarray(10, 1010).every((b) => b === 0x22)).toBe(true);
    expect(back.subarray(1010).every((b) => b === 0x11)).toBe(true);
  });
  it('concurrent unaligned writes into one block keep both', async () => {
    const { driver } = memDriver();
    registerBlockDriver(driver);
    const blk = await BlockBackend.open('test-mem://');
    await Promise.all([blk.pwrite(1, new Uint8Array([1])), blk.pwrite(2, new Uint8Array([2])), blk.pwrite(3, new Uint8Array([3]))]);
    expect([...(await blk.pread(0, 5))]).toEqual([0, 1, 2, 3, 0]);
  });
  it('a driver method called directly with an unaligned request fails cleanly', async () => {
    const { driver } = memDriver();
    registerBlockDriver(driver);
    const blk = await BlockBackend.open('test-mem://');
    const gen = blk.bs.coPwritev(1, 100, new IoVector(new Uint8Array(100)), {});
    expect(() => gen.next()).toThrow(UnalignedRequestError);
  });
});
