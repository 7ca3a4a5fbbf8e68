// The emulated controller driven register by register, as a host would drive real hardware.
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatedNvmeController } from '../src/index.js';
import {
  Cqe,
  NvmeAdminOpcode,
  NvmeCommandStatus,
  NvmeCsts,
  NvmeIoOpcode,
  NvmeReg,
  NvmeSct,
  Sqe,
  nvmeDoorbellOffset,
  nvmeStatusField,
} from '../src/nvme-spec.js';

const ctrls: EmulatedNvmeController[] = [];
afterEach(async () => {
  for (const c of ctrls.splice(0)) await c.close();
});

/** A minimal host: admin queue of `size` entries, raw submit and completion reads. */
function host(size = 4) {
  const ctrl = new EmulatedNvmeController({ size: 1 << 20, dmaBytes: 1 << 20 });
  ctrls.push(ctrl);
  const { bar, dma } = ctrl;
  const asq = dma.alloc(size * 64);
  const acq = dma.alloc(size * 16);
  let tail = 0;
  let cid = 0;
  const waitCsts = (ok: (v: number) => boolean) => {
    for (let i = 0; i < 200 && !ok(bar.read32(NvmeReg.CSTS)); i++) ctrl.waitCstsChange(bar.read32(NvmeReg.CSTS), 50);
    expect(ok(bar.read32(NvmeReg.CSTS))).toBe(true);
  };
  bar.write32(NvmeReg.AQA, ((size - 1) << 16) | (size - 1));
  bar.write64(NvmeReg.ASQ, asq.iova);
  bar.write64(NvmeReg.ACQ, acq.iova);
  bar.write32(NvmeReg.CC, (4 << 20) | (6 << 16) | 1);
  waitCsts((v) => (v & NvmeCsts.RDY) !== 0);
  return {
    ctrl,
    waitCsts,
    /** Write one admin command at the tail (without ringing). */
    put(fill: (v: DataView) => void): number {
      const v = new DataView(dma.sab, asq.iova + tail * 64, 64);
      new Uint8Array(dma.sab, asq.iova + tail * 64, 64).fill(0);
      fill(v);
      v.setUint16(Sqe.CDW0 + 2, ++cid, true);
      tail = (tail + 1) % size;
      return cid;
    },
    ring(): void {
      bar.write32(nvmeDoorbellOffset(0, false), tail);
    },
    /** CQE `i`: phase, cid, status, SQ head. */
    cqe(i: number) {
      const at = acq.iova + i * 16;
      const dw3 = Atomics.load(dma.i32, (at + Cqe.CID_STATUS) >> 2);
      const dw2 = dma.view.getUint32(at + Cqe.SQHD_SQID, true);
      return { phase: (dw3 >>> 16) & 1, cid: dw3 & 0xffff, status: dw3 >>> 17, sqhd: dw2 & 0xffff, sqid: dw2 >>> 16, result: dma.view.getUint32(at, true) };
    },
    /** Wait until CQE `i` carries `phase`. */
    waitCqe(i: number, phase: number) {
      for (let n = 0; n < 400 && this.cqe(i).phase !== phase; n++) {
        ctrl.waitIrq(25);
        ctrl.testAndClearIrq();
      }
      expect(this.cqe(i).phase).toBe(phase);
      return this.cqe(i);
    },
    consume(head: number): void {
      bar.write32(nvmeDoorbellOffset(0, true), head);
    },
  };
}

const getFeatures = (v: DataView) => {
  v.setUint8(Sqe.CDW0, NvmeAdminOpcode.GET_FEATURES);
  v.setUint32(Sqe.CDW10, 0x07, true);
};

describe('emulated NVMe controller registers', () => {
  it('reports CAP and VS at power-on and follows CC.EN with CSTS.RDY', () => {
    const h = host();
    const bar = h.ctrl.bar;
    expect(bar.read32(NvmeReg.CAP) & 0xffff).toBe(1023); // MQES
    expect((bar.read32(NvmeReg.CAP) >> 16) & 1).toBe(1); // CQR
    expect((bar.read32(NvmeReg.CAP + 4) >> 5) & 1).toBe(1); // CSS: NVM command set
    expect(bar.read32(NvmeReg.VS)).toBe(0x00010400);
    bar.write32(NvmeReg.CC, bar.read32(NvmeReg.CC) & ~1);
    h.waitCsts((v) => (v & NvmeCsts.RDY) === 0);
    bar.write32(NvmeReg.CC, bar.read32(NvmeReg.CC) | 1);
    h.waitCsts((v) => (v & NvmeCsts.RDY) !== 0);
    bar.write32(NvmeReg.CC, bar.read32(NvmeReg.CC) | (1 << 14)); // normal shutdown
    h.waitCsts((v) => (v & 0xc) === NvmeCsts.SHST_COMPLETE);
  });
});

describe('emulated NVMe controller queues', () => {
  it('posts completions with the phase tag, flips it at the wrap and never overruns a full CQ', async () => {
    const h = host(4);
    const before = h.ctrl.counters();
    const cids = [h.put(getFeatures), h.put(getFeatures), h.put(getFeatures)];
    h.ring();
    for (let i = 0; i < 3; i++) {
      const c = h.waitCqe(i, 1);
      expect(c).toMatchObject({ cid: cids[i], status: 0, sqid: 0, sqhd: i + 1 });
    }
    // The CQ (4 entries) now holds 3 unconsumed entries: one more would make it full.
    const fourth = h.put(getFeatures);
    h.ring();
    await new Promise((r) => setTimeout(r, 100));
    expect(h.cqe(3).phase).toBe(0); // not posted: head (0) == tail + 1
    h.consume(3);
    expect(h.waitCqe(3, 1).cid).toBe(fourth);
    // Next entry goes to slot 0 again, with the phase tag inverted.
    const fifth = h.put(getFeatures);
    h.ring();
    h.consume(0);
    const c = h.waitCqe(0, 0);
    expect(c.cid).toBe(fifth);
    expect(c.sqhd).toBe(1);
    const after = h.ctrl.counters();
    expect(after.sqDoorbells - before.sqDoorbells).toBe(3);
    expect(after.cqDoorbells - before.cqDoorbells).toBe(2);
    expect(after.commands - before.commands).toBe(5);
  });

  it('returns the spec status codes for bad admin commands', () => {
    const h = host(8);
    const { dma } = h.ctrl;
    const cq = dma.alloc(16 * 16);
    const sq = dma.alloc(16 * 64);
    h.put((v) => v.setUint8(Sqe.CDW0, 0x7e)); // no such admin opcode
    h.put((v) => {
      v.setUint8(Sqe.CDW0, NvmeAdminOpcode.CREATE_IO_CQ);
      v.setUint32(Sqe.PRP1, cq.iova, true);
      v.setUint32(Sqe.CDW10, (15 << 16) | 1, true);
      v.setUint32(Sqe.CDW11, 3, true);
    });
    h.put((v) => {
      v.setUint8(Sqe.CDW0, NvmeAdminOpcode.CREATE_IO_SQ);
      v.setUint32(Sqe.PRP1, sq.iova, true);
      v.setUint32(Sqe.CDW10, (15 << 16) | 1, true);
      v.setUint32(Sqe.CDW11, 1 | (1 << 16), true);
    });
    h.put((v) => {
      v.setUint8(Sqe.CDW0, NvmeAdminOpcode.DELETE_IO_CQ); // still used by SQ 1
      v.setUint32(Sqe.CDW10, 1, true);
    });
    h.put((v) => {
      v.setUint8(Sqe.CDW0, NvmeAdminOpcode.CREATE_IO_CQ); // queue size above CAP.MQES
      v.setUint32(Sqe.PRP1, cq.iova, true);
      v.setUint32(Sqe.CDW10, (4095 << 16) | 2, true);
      v.setUint32(Sqe.CDW11, 3, true);
    });
    h.put((v) => {
      v.setUint8(Sqe.CDW0, NvmeAdminOpcode.IDENTIFY); // namespace 5 does not exist
      v.setUint32(Sqe.NSID, 5, true);
      v.setUint32(Sqe.PRP1, dma.alloc(4096).iova, true);
    });
    h.ring();
    const statuses = [0, 1, 2, 3, 4, 5].map((i) => h.waitCqe(i, 1).status);
    expect(statuses).toEqual([
      nvmeStatusField(NvmeSct.GENERIC, 0x01, true),
      0,
      0,
      nvmeStatusField(NvmeSct.COMMAND_SPECIFIC, NvmeCommandStatus.INVALID_QUEUE_DELETION, true),
      nvmeStatusField(NvmeSct.COMMAND_SPECIFIC, NvmeCommandStatus.INVALID_QUEUE_SIZE, true),
      nvmeStatusField(NvmeSct.GENERIC, 0x0b, true),
    ]);
    // The I/O queue works: a write then a read through PRPs, and an LBA out of range.
    const buf = dma.alloc(8192);
    buf.bytes.fill(0x5a);
    const io = { sq, cq, tail: 0 };
    const putIo = (fill: (v: DataView) => void, cid: number) => {
      const v = new DataView(dma.sab, io.sq.iova + io.tail * 64, 64);
      fill(v);
      v.setUint16(2, cid, true);
      v.setUint32(Sqe.NSID, 1, true);
      io.tail++;
    };
    putIo((v) => {
      v.setUint8(Sqe.CDW0, NvmeIoOpcode.WRITE);
      v.setUint32(Sqe.PRP1, buf.iova, true);
      v.setUint32(Sqe.PRP2, buf.iova + 4096, true);
      v.setUint32(Sqe.CDW10, 8, true);
      v.setUint32(Sqe.CDW12, 15, true);
    }, 1);
    putIo((v) => {
      v.setUint8(Sqe.CDW0, NvmeIoOpcode.READ);
      v.setUint32(Sqe.PRP1, buf.iova, true);
      v.setUint32(Sqe.CDW10, 4096, true); // past the 2048-block namespace
    }, 2);
    h.ctrl.bar.write32(nvmeDoorbellOffset(1, false), io.tail);
    const ioStatus = (i: number) => {
      for (let n = 0; n < 400 && ((Atomics.load(dma.i32, (cq.iova + i * 16 + 12) >> 2) >>> 16) & 1) !== 1; n++) {
        h.ctrl.waitIrq(25);
        h.ctrl.testAndClearIrq();
      }
      return Atomics.load(dma.i32, (cq.iova + i * 16 + 12) >> 2) >>> 17;
    };
    expect(ioStatus(0)).toBe(0);
    expect(ioStatus(1)).toBe(nvmeStatusField(NvmeSct.GENERIC, 0x80, true));
    const medium = h.ctrl.namespaceData as Uint8Array;
    expect(medium.subarray(8 * 512, 24 * 512).every((b) => b === 0x5a)).toBe(true);
    expect(medium[24 * 512]).toBe(0);
  });
});
