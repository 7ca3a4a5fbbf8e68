import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coroutineRun, deferCallBegin, deferCallEnd } from '@qco/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BlockBackend,
  BlockError,
  BlockIoError,
  Errno,
  nvmeParseFilename,
  registerNvmeDevice,
  unregisterNvmeDevice,
  type NvmeBlockDriverState,
} from '../src/index.js';
import { nvmeTranslateError } from '../src/drivers/nvme/nvme-status.js';
import { EmulatedNvmeController } from '@qco/nvme-emulator';
import { NvmeAdminOpcode, NvmeIoOpcode, NvmeSct, Sqe, nvmeStatusField } from '@qco/nvme-emulator/spec';
import { seededBytes, xorshiftRandom } from '@qco/test-utils';

// Helpers: a registered controller per test and a way to run coroutine_fns.
let seq = 0;

/** A fresh controller registered under a unique name, and a backend open on it. */
export async function openNvme(opts: { size?: number; queueSize?: number; extra?: string } = {}): Promise<{
  ctrl: EmulatedNvmeController;
  blk: BlockBackend;
  bs: NvmeBlockDriverState;
  close(): Promise<void>;
}> {
  const name = `test${++seq}`;
  const ctrl = new EmulatedNvmeController({ size: opts.size ?? 8 << 20, dmaBytes: 48 << 20 });
  registerNvmeDevice(name, ctrl);
  const plain = opts.queueSize === undefined && opts.extra === undefined;
  const spec = plain ? `nvme://${name}/1` : `driver=nvme,device=${name}${opts.queueSize === undefined ? '' : `,queue-size=${opts.queueSize}`}${opts.extra ?? ''}`;
  let blk: BlockBackend;
  try {
    blk = await BlockBackend.open(spec, plain ? { format: 'nvme' } : { imageOpts: true });
  } catch (err) {
    unregisterNvmeDevice(name);
    await ctrl.close();
    throw err;
  }
  return {
    ctrl,
    blk,
    bs: blk.bs as NvmeBlockDriverState,
    async close() {
      await blk.close();
      unregisterNvmeDevice(name);
      await ctrl.close();
    },
  };
}


/** A deterministic byte pattern for request `id`. */
function pattern(id: number, bytes: number): Uint8Array {
  return seededBytes(bytes, (id * 2654435761) >>> 0);
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(opts: { size?: number; queueSize?: number; extra?: string } = {}) {
  const t = await openNvme(opts);
  cleanups.push(() => t.close());
  return t;
}

function errnoOf(err: unknown): number {
  expect(err).toBeInstanceOf(BlockError);
  return (err as BlockError).errno;
}

describe('nvme filename and options', () => {
  it('parses nvme://<device>[/<namespace>]', () => {
    expect(nvmeParseFilename('nvme://ctrl0')).toEqual({ device: 'ctrl0' });
    expect(nvmeParseFilename('nvme://ctrl0/2')).toEqual({ device: 'ctrl0', namespace: '2' });
    expect(nvmeParseFilename('nvme://ctrl0/')).toEqual({ device: 'ctrl0', namespace: '1' });
    expect(nvmeParseFilename('nvme://file:/tmp/a b.img/1')).toEqual({ device: 'file:/tmp/a b.img', namespace: '1' });
    expect(nvmeParseFilename('nvme://file:/tmp/x.img')).toEqual({ device: 'file:/tmp/x.img' });
    expect(() => nvmeParseFilename('nvme://ctrl0/abc')).toThrow("Invalid namespace 'abc', positive number expected");
  });

  it('refuses a namespace the controller does not have', async () => {
    await expect(BlockBackend.open('nvme://mem:1M/2')).rejects.toThrow('Invalid namespace');
  });

  it('refuses an unknown device', async () => {
    await expect(BlockBackend.open('nvme://no-such-ctrl/1')).rejects.toThrow("Failed to open PCI device 'no-such-ctrl'");
  });

  it('requires the device option', async () => {
    await expect(BlockBackend.open('driver=nvme,namespace=1', { imageOpts: true })).rejects.toThrow("Parameter 'device' is required");
  });
});

describe("nvme status to errno (QEMU's block/nvme.c)", () => {
  it('maps success, invalid opcode, invalid field and everything else', () => {
    expect(nvmeTranslateError(nvmeStatusField(NvmeSct.GENERIC, 0x00))).toBe(0);
    expect(nvmeTranslateError(nvmeStatusField(NvmeSct.GENERIC, 0x01))).toBe(-Errno.ENOSYS);
    expect(nvmeTranslateError(nvmeStatusField(NvmeSct.GENERIC, 0x02))).toBe(-Errno.EINVAL);
    expect(nvmeTranslateError(nvmeStatusField(NvmeSct.GENERIC, 0x02, true))).toBe(-Errno.EINVAL);
    for (const sc of [0x04, 0x06, 0x0b, 0x80, 0x81]) expect(nvmeTranslateError(nvmeStatusField(NvmeSct.GENERIC, sc))).toBe(-Errno.EIO);
    expect(nvmeTranslateError(nvmeStatusField(NvmeSct.COMMAND_SPECIFIC, 0x01))).toBe(-Errno.EIO);
    expect(nvmeTranslateError(nvmeStatusField(NvmeSct.MEDIA, 0x81))).toBe(-Errno.EIO);
  });

  it('injected I/O errors reach the caller as the mapped errno, one class at a time', async () => {
    const { ctrl, blk } = await setup();
    const cases: Array<[number, number, number]> = [
      [NvmeSct.GENERIC, 0x01, Errno.ENOSYS], // invalid command opcode
      [NvmeSct.GENERIC, 0x02, Errno.EINVAL], // invalid field in command
      [NvmeSct.GENERIC, 0x80, Errno.EIO], // LBA out of range
      [NvmeSct.GENERIC, 0x06, Errno.EIO], // internal error
      [NvmeSct.COMMAND_SPECIFIC, 0x01, Errno.EIO], // command specific
      [NvmeSct.MEDIA, 0x81, Errno.EIO], // unrecovered read error
    ];
    for (const [sct, sc, errno] of cases) {
      ctrl.injectError({ queue: 'io', opcode: NvmeIoOpcode.READ, sct, sc });
      const err = await blk.pread(0, 4096).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, `sct ${sct} sc ${sc}`).toBeInstanceOf(BlockIoError);
      expect(errnoOf(err)).toBe(errno);
      // The next read is fine again: the fault was for one command.
      await blk.pread(0, 4096);
    }
    ctrl.injectError({ queue: 'io', opcode: NvmeIoOpcode.WRITE, sct: NvmeSct.MEDIA, sc: 0x80 });
    await expect(blk.pwrite(0, new Uint8Array(512))).rejects.toThrow('Input/output error');
    ctrl.injectError({ queue: 'io', opcode: NvmeIoOpcode.FLUSH, sct: 0, sc: 0x02 });
    await expect(blk.flush()).rejects.toThrow('Invalid argument');
  });

  it('statuses the controller itself returns map the same way', async () => {
    const { bs } = await setup();
    const admin = (fill: (c: DataView) => void) => coroutineRun(() => bs.adminCmd(fill));
    // An opcode the controller does not implement.
    expect((await admin((c) => c.setUint8(Sqe.CDW0, 0x7f))).ret).toBe(-Errno.ENOSYS);
    // Identify with a CNS value it does not know.
    expect(
      (
        await admin((c) => {
          c.setUint8(Sqe.CDW0, NvmeAdminOpcode.IDENTIFY);
          c.setUint32(Sqe.PRP1, 4096, true);
          c.setUint32(Sqe.CDW10, 0x55, true);
        })
      ).ret,
    ).toBe(-Errno.EINVAL);
    // Create I/O SQ on a completion queue that does not exist (command specific status).
    expect(
      (
        await admin((c) => {
          c.setUint8(Sqe.CDW0, NvmeAdminOpcode.CREATE_IO_SQ);
          c.setUint32(Sqe.PRP1, 4096, true);
          c.setUint32(Sqe.CDW10, (15 << 16) | 5, true);
          c.setUint32(Sqe.CDW11, 1 | (9 << 16), true);
        })
      ).ret,
    ).toBe(-Errno.EIO);
  });

  it('an admin command outside any coroutine waits with AIO_WAIT_WHILE', async () => {
    const { bs } = await setup();
    const r = bs.adminCmdSync((c) => {
      c.setUint8(Sqe.CDW0, NvmeAdminOpcode.GET_FEATURES);
      c.setUint32(Sqe.CDW10, 0x07, true); // number of queues
    });
    expect(r.ret).toBe(0);
    expect(r.result).toBe((62 << 16) | 62);
  });
});

describe('nvme data integrity', () => {
  it('many concurrent coroutines: patterns at random offsets', async () => {
    const size = 16 << 20;
    const { ctrl, blk } = await setup({ size });
    const regions = 256;
    const regionBytes = size / regions;
    const r = xorshiftRandom(42);
    const shadow = new Uint8Array(size);
    const jobs: Array<Promise<void>> = [];
    for (let id = 0; id < regions; id++) {
      const sectors = 1 + Math.floor(r() * (regionBytes / 512 - 1));
      const start = id * regionBytes + 512 * Math.floor(r() * (regionBytes / 512 - sectors + 1));
      const data = pattern(id + 1, sectors * 512);
      shadow.set(data, start);
      jobs.push(
        coroutineRun(function* () {
          yield* blk.coPwrite(start, data);
          const back = yield* blk.coPread(start, data.length);
          if (!Buffer.from(back).equals(Buffer.from(data))) throw new Error(`region ${id}: read back differs`);
        }),
      );
    }
    await Promise.all(jobs);
    // The medium holds exactly what was written, and reads of the whole device agree.
    expect(Buffer.from(ctrl.namespaceData as Uint8Array).equals(Buffer.from(shadow))).toBe(true);
    for (let off = 0; off < size; off += 1 << 20) {
      const back = await blk.pread(off, 1 << 20);
      expect(Buffer.from(back).equals(Buffer.from(shadow.subarray(off, off + (1 << 20))))).toBe(true);
    }
  });

  it('unaligned requests go through the block layer read-modify-write', async () => {
    const { blk } = await setup();
    const data = pattern(7, 1000);
    await blk.pwrite(12345, data);
    expect(Buffer.from(await blk.pread(12345, 1000)).equals(Buffer.from(data))).toBe(true);
  });

  it('write zeroes and discard (Dataset Management) leave zeroes', async () => {
    const { blk, bs } = await setup();
    await blk.pwrite(0, pattern(3, 65536));
    await blk.pwriteZeroes(4096, 8192);
    const back = await blk.pread(0, 65536);
    expect(back.subarray(4096, 12288).every((b) => b === 0)).toBe(true);
    expect(Buffer.from(back.subarray(0, 4096)).equals(Buffer.from(pattern(3, 65536).subarray(0, 4096)))).toBe(true);
    await coroutineRun(() => bs.coPdiscard(32768, 16384));
    const after = await blk.pread(32768, 16384);
    expect(after.every((b) => b === 0)).toBe(true);
    await blk.flush();
  });

  it('the synchronous face works over a blocking aio_poll', () => {
    const blk = BlockBackend.openSync('nvme://mem:1M/1');
    const data = pattern(9, 4096);
    blk.pwriteSync(8192, data);
    expect(Buffer.from(blk.preadSync(8192, 4096)).equals(Buffer.from(data))).toBe(true);
    blk.flushSync();
    expect(blk.getLengthSync()).toBe(1 << 20);
    blk.closeSync();
  });

  it('a file-backed namespace keeps the data in the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qco-nvme-'));
    try {
      const file = join(dir, 'disk.img');
      writeFileSync(file, new Uint8Array(1 << 20));
      const blk = await BlockBackend.open(`nvme://file:${file}/1`);
      const data = pattern(11, 8192);
      await blk.pwrite(65536, data);
      await blk.flush();
      await blk.close();
      const onDisk = readFileSync(file);
      expect(onDisk.subarray(65536, 65536 + 8192).equals(Buffer.from(data))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('nvme large namespace', () => {
  it('addresses offsets beyond 4 GiB (sparse file-backed namespace)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qco-nvme-'));
    try {
      const file = join(dir, 'big.img');
      writeFileSync(file, new Uint8Array(0));
      truncateSync(file, 6 * 2 ** 30);
      const blk = await BlockBackend.open(`nvme://file:${file}/1`);
      expect(await blk.getLength()).toBe(6 * 2 ** 30);
      const at = 5 * 2 ** 30 + 4096;
      const data = pattern(77, 8192);
      await blk.pwrite(at, data);
      expect(Buffer.from(await blk.pread(at, 8192)).equals(Buffer.from(data))).toBe(true);
      await blk.pwriteZeroes(at, 4096);
      const back = await blk.pread(at, 8192);
      expect(back.subarray(0, 4096).every((b) => b === 0)).toBe(true);
      expect(Buffer.from(back.subarray(4096)).equals(Buffer.from(data.subarray(4096)))).toBe(true);
      await blk.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('nvme queue full', () => {
  it('requests beyond the free slots wait on the CoQueue and all complete', async () => {
    const { blk, bs } = await setup({ queueSize: 8 });
    expect(bs.ioQueue.reqs.length).toBe(7);
    const jobs: Array<Promise<void>> = [];
    for (let id = 0; id < 40; id++) {
      const data = pattern(100 + id, 4096);
      jobs.push(
        coroutineRun(function* () {
          yield* blk.coPwrite(id * 4096, data);
          const back = yield* blk.coPread(id * 4096, 4096);
          if (!Buffer.from(back).equals(Buffer.from(data))) throw new Error(`request ${id}: read back differs`);
        }),
      );
    }
    // Seven went to the device; the rest wait for a free slot.
    expect(bs.ioQueue.waiting).toBe(33);
    await Promise.all(jobs);
    expect(bs.ioQueue.waiting).toBe(0);
    expect(bs.ioQueue.inflight).toBe(0);
  });
});

describe('nvme controller reset', () => {
  it('recovers from a controller reset with requests in flight and loses no data', async () => {
    const { ctrl, blk, bs } = await setup();
    const resetsBefore = ctrl.counters().resets;
    ctrl.injectReset(); // takes effect when the device sees the next doorbell
    const jobs: Array<Promise<void>> = [];
    for (let id = 0; id < 64; id++) {
      const data = pattern(500 + id, 8192);
      jobs.push(coroutineRun(() => blk.coPwrite(id * 8192, data)));
    }
    await Promise.all(jobs);
    expect(bs.recoveries).toBe(1);
    expect(ctrl.counters().resets).toBeGreaterThan(resetsBefore);
    for (let id = 0; id < 64; id++) {
      expect(Buffer.from(await blk.pread(id * 8192, 8192)).equals(Buffer.from(pattern(500 + id, 8192)))).toBe(true);
    }
    // Reads in flight across a second reset are resubmitted too.
    ctrl.injectReset();
    const reads = await Promise.all(Array.from({ length: 32 }, (_, id) => blk.pread(id * 8192, 8192)));
    reads.forEach((b, id) => expect(Buffer.from(b).equals(Buffer.from(pattern(500 + id, 8192)))).toBe(true));
    expect(bs.recoveries).toBe(2);
  });
});

describe('nvme controller reset without an interrupt', () => {
  it('the watchdog finds CSTS.CFS and recovers', async () => {
    const { ctrl, blk, bs } = await setup();
    ctrl.injectReset({ interrupt: false });
    const data = pattern(900, 4096);
    await blk.pwrite(0, data); // lost by the device, resubmitted after the watchdog's reset
    expect(bs.recoveries).toBe(1);
    expect(Buffer.from(await blk.pread(0, 4096)).equals(Buffer.from(data))).toBe(true);
  });
});

describe('nvme controller that dies', () => {
  it('fails requests with EIO instead of hanging', async () => {
    const { ctrl, blk } = await setup();
    await (ctrl as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    const err = await blk.pread(0, 4096).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BlockIoError);
    expect(errnoOf(err)).toBe(Errno.EIO);
  });
});

describe('nvme doorbell batching (defer-call)', () => {
  async function readManyCounting(bs: NvmeBlockDriverState, blk: BlockBackend, batched: boolean): Promise<{ doorbells: number; interrupts: number }> {
    const before = bs.ctrl.counters();
    const jobs: Array<Promise<Uint8Array>> = [];
    if (batched) deferCallBegin();
    for (let i = 0; i < 64; i++) jobs.push(coroutineRun(() => blk.coPread(i * 4096, 4096)));
    if (batched) deferCallEnd();
    await Promise.all(jobs);
    const after = bs.ctrl.counters();
    return { doorbells: after.ioSqDoorbells - before.ioSqDoorbells, interrupts: after.interrupts - before.interrupts };
  }
  async function readMany(bs: NvmeBlockDriverState, blk: BlockBackend, batched: boolean): Promise<number> {
    return (await readManyCounting(bs, blk, batched)).doorbells;
  }

  it('64 requests submitted in one defer-call section write the SQ tail doorbell once per aio-max-batch (16): 4 times', async () => {
    const { blk, bs } = await setup();
    expect(bs.maxBatch).toBe(16);
    expect(await readMany(bs, blk, true)).toBe(4);
  });

  it('with aio-max-batch=0, 64 requests in one section write the doorbell once', async () => {
    const { blk, bs } = await setup({ extra: ',aio-max-batch=0' });
    expect(await readMany(bs, blk, true)).toBe(1);
  });

  it('without a section, 64 requests write it 64 times', async () => {
    const { blk, bs } = await setup();
    expect(await readMany(bs, blk, false)).toBe(64);
  });

  it('irq-coalescing=8 (the default) sets NVMe Interrupt Coalescing: 64 requests in batches of 16 raise exactly 8 interrupts', async () => {
    const { blk, bs } = await setup();
    expect(bs.irqCoalescing).toBe(8);
    expect(await readManyCounting(bs, blk, true)).toEqual({ doorbells: 4, interrupts: 8 });
  });

  it('refuses a negative aio-max-batch and an irq-coalescing above 256', async () => {
    await expect(setup({ extra: ',aio-max-batch=-1' })).rejects.toThrow("Parameter 'aio-max-batch' expects a number");
    await expect(setup({ extra: ',irq-coalescing=257' })).rejects.toThrow('Invalid irq-coalescing 257: expected 0 to 256');
  });
});
