/**
 * The emulated NVMe 1.4 controller: the device side of BAR0, the admin and I/O
 * queue pairs and the NVM command set, run by a worker thread in a loop that
 * sleeps in Atomics.wait until the host writes a register. It reads submission
 * entries and PRPs from the shared "DMA" region and posts completions there with
 * the phase tag stored last (Atomics.store), then raises the interrupt: the
 * pending word, a message for the host's event loop and a wake of a blocking
 * aio_poll. One interrupt is raised per completion queue per pass over the
 * queues, as an interrupt-coalescing device would. Faults (an error status for
 * chosen commands, a controller fatal status that requires a reset) arrive on a
 * control port read synchronously, so they take effect before the next doorbell.
 */
import type { MessagePort } from 'node:worker_threads';
import { Ctl, type ControllerCommand, type ControllerWorkerData, type InjectedErrorRule, type IrqNotifier } from './controller-layout.js';
import { FileBacking, MemoryBacking, type NamespaceBacking } from './namespace-backing.js';
import {
  Cqe,
  NVME_CQ_ENTRY_BYTES,
  NVME_LBA_BYTES,
  NVME_PAGE_SIZE,
  NVME_SQ_ENTRY_BYTES,
  NvmeAdminOpcode,
  NvmeCc,
  NvmeCommandStatus,
  NvmeCsts,
  NvmeFeature,
  NvmeGenericStatus,
  NvmeIdentifyCns,
  NvmeIoOpcode,
  NvmeReg,
  NvmeSct,
  Sqe,
  nvmeDoorbellOffset,
  nvmeStatusField,
} from './nvme-spec.js';

/** Highest queue identifier the controller supports (64 queue pairs incl. admin). */
const MAX_QID = 63;
/** CAP.MQES + 1: largest queue size. */
const MAX_QUEUE_ENTRIES = 1024;
/** Identify Controller MDTS: 2^5 pages = 128 KiB per command. */
const MDTS = 5;
/** NVMe version 1.4.0. */
const NVME_VERSION = 0x00010400;
const NSID_ALL = 0xffffffff;

interface SubmissionQueue {
  id: number;
  base: number;
  size: number;
  head: number;
  cqid: number;
}

interface CompletionQueue {
  id: number;
  base: number;
  size: number;
  tail: number;
  head: number;
  phase: number;
  ien: boolean;
  /** SQs that post here (a CQ with SQs cannot be deleted). */
  sqs: number;
  /** Entries posted since the last interrupt. */
  posted: number;
}

/** A command's outcome: the 15-bit status field and DW0. */
interface Outcome {
  status: number;
  result: number;
}

const OK: Outcome = { status: 0, result: 0 };
const fail = (sct: number, sc: number, dnr = true): Outcome => ({ status: nvmeStatusField(sct, sc, dnr), result: 0 });
const generic = (sc: number): Outcome => fail(NvmeSct.GENERIC, sc);
const specific = (sc: number): Outcome => fail(NvmeSct.COMMAND_SPECIFIC, sc);

/** Power-on register values (§3.1): CAP and VS; everything else reads zero. */
export function nvmePowerOnRegisters(regs: Int32Array): void {
  // CAP low: MQES (15:0, zero-based), CQR (16), TO (31:24, 500 ms units: 10 s).
  Atomics.store(regs, NvmeReg.CAP >> 2, (MAX_QUEUE_ENTRIES - 1) | (1 << 16) | (20 << 24));
  // CAP high: DSTRD (35:32) = 0, CSS (44:37) bit 37 = NVM command set, MPSMIN = MPSMAX = 0 (4 KiB).
  Atomics.store(regs, (NvmeReg.CAP + 4) >> 2, 1 << (37 - 32));
  Atomics.store(regs, NvmeReg.VS >> 2, NVME_VERSION);
}

/** The controller state machine; `run()` is the worker's whole life. */
export class NvmeControllerCore {
  private readonly regs: Int32Array;
  private readonly ctl: Int32Array;
  private readonly dma: Uint8Array;
  private readonly dmaView: DataView;
  private readonly dmaI32: Int32Array;
  private readonly backing: NamespaceBacking;
  private irq: IrqNotifier | null = null;
  /**
   * Interrupt Coalescing: with it set, an interrupt goes out as soon as this
   * many completions are posted to a queue (the aggregation threshold), not
   * only at the end of a pass; a pass still ends with one for the rest, which
   * is the aggregation time's bound here. 0: the feature was never set.
   */
  private coalesceThreshold = 0;
  private coalesceCdw11 = 0;
  private readonly sqs: Array<SubmissionQueue | undefined> = [];
  private readonly cqs: Array<CompletionQueue | undefined> = [];
  private readonly rules: InjectedErrorRule[] = [];
  private readonly nsze: number;
  /** The CC value last acted on. */
  private ccSeen = 0;
  /** Whether queues are live (false after a reset or a fatal fault). */
  private enabled = false;

  constructor(
    private readonly data: ControllerWorkerData,
    private readonly controlPort: MessagePort,
  ) {
    this.regs = new Int32Array(data.bar);
    this.ctl = new Int32Array(data.ctl);
    this.dma = new Uint8Array(data.dma);
    this.dmaView = new DataView(data.dma);
    this.dmaI32 = new Int32Array(data.dma);
    this.backing =
      data.backing.kind === 'memory'
        ? new MemoryBacking(data.backing.data)
        : new FileBacking(data.backing.path, data.backing.size, data.backing.readOnly);
    this.nsze = Math.floor(this.backing.size / NVME_LBA_BYTES);
    this.resetRegisters();
  }

  private reg(off: number): number {
    return Atomics.load(this.regs, off >> 2);
  }

  private setReg(off: number, value: number): void {
    Atomics.store(this.regs, off >> 2, value | 0);
  }

  private setCsts(value: number): void {
    this.setReg(NvmeReg.CSTS, value);
    Atomics.add(this.ctl, Ctl.CSTS_SEQ, 1);
    Atomics.notify(this.ctl, Ctl.CSTS_SEQ);
  }

  private resetRegisters(): void {
    nvmePowerOnRegisters(this.regs);
  }

  /** The worker loop: sleep until an MMIO write, then act on registers and doorbells. */
  run(): void {
    Atomics.store(this.ctl, Ctl.WORKER_READY, 1);
    Atomics.notify(this.ctl, Ctl.WORKER_READY);
    for (;;) {
      const seq = Atomics.load(this.ctl, Ctl.MMIO_SEQ);
      if (Atomics.load(this.ctl, Ctl.STOP) !== 0) break;
      this.drainControl();
      this.checkCc();
      const progress = this.enabled && this.processQueues();
      if (!progress) {
        // Say so before the last look at MMIO_SEQ (the wait's own compare): a writer
        // that missed the flag bumped MMIO_SEQ before it, and the wait returns at once.
        Atomics.store(this.ctl, Ctl.ASLEEP, 1);
        Atomics.wait(this.ctl, Ctl.MMIO_SEQ, seq);
        Atomics.store(this.ctl, Ctl.ASLEEP, 0);
      }
    }
    this.backing.close();
    this.irq?.port.close();
  }

  private drainControl(): void {
    // Taken here, not imported: the package face loads this module on the main thread too.
    const { receiveMessageOnPort } = process.getBuiltinModule('node:worker_threads');
    for (;;) {
      const m = receiveMessageOnPort(this.controlPort);
      if (m === undefined) return;
      const cmd = m.message as ControllerCommand;
      if (cmd.type === 'inject-error') this.rules.push({ ...cmd.rule, count: cmd.rule.count ?? 1 });
      else if (cmd.type === 'clear-errors') this.rules.length = 0;
      else if (cmd.type === 'reset') this.fatal(cmd.interrupt);
      else {
        // 'set-irq'
        this.irq?.port.close();
        this.irq = cmd.notifier;
        // An interrupt raised before the wiring is delivered now.
        if (this.irq !== null && Atomics.exchange(this.ctl, Ctl.IRQ_PENDING, 0) !== 0) {
          Atomics.sub(this.ctl, Ctl.INTERRUPTS, 1);
          this.raiseInterrupt();
        }
      }
    }
  }

  /**
   * An unrequested controller reset (firmware crash): every queue and command in
   * flight is lost and CSTS.CFS tells the host to reset and start over (§10.5).
   * With `interrupt` the host looks at CSTS now rather than at its next watchdog tick.
   */
  private fatal(interrupt: boolean): void {
    this.dropQueues();
    this.enabled = false;
    Atomics.add(this.ctl, Ctl.RESETS, 1);
    this.setCsts(NvmeCsts.RDY | NvmeCsts.CFS);
    if (interrupt) this.raiseInterrupt();
  }

  /** Delete every queue; doorbells read zero again, as after a controller reset. */
  private dropQueues(): void {
    this.sqs.length = 0;
    this.cqs.length = 0;
    for (let off = NvmeReg.DOORBELLS; off < this.regs.byteLength; off += 4) Atomics.store(this.regs, off >> 2, 0);
  }

  /** React to CC.EN and CC.SHN changes (§7.6.1, §7.6.2, §7.3.2). */
  private checkCc(): void {
    const cc = this.reg(NvmeReg.CC);
    if (cc === this.ccSeen) return;
    const was = this.ccSeen;
    this.ccSeen = cc;
    if (was & NvmeCc.EN && !(cc & NvmeCc.EN)) {
      // Controller reset: queues deleted, registers other than AQA/ASQ/ACQ/CC cleared.
      this.dropQueues();
      this.enabled = false;
      Atomics.add(this.ctl, Ctl.RESETS, 1);
      this.setCsts(0);
      return;
    }
    if (!(was & NvmeCc.EN) && cc & NvmeCc.EN) {
      this.enable(cc);
      return;
    }
    if ((cc >> NvmeCc.SHN_SHIFT) & 3) {
      this.backing.flush();
      this.setCsts((this.reg(NvmeReg.CSTS) & ~(3 << 2)) | NvmeCsts.SHST_COMPLETE);
    }
  }

  private enable(cc: number): void {
    const aqa = this.reg(NvmeReg.AQA);
    const asqs = (aqa & 0xfff) + 1;
    const acqs = ((aqa >> 16) & 0xfff) + 1;
    const asq = this.reg64(NvmeReg.ASQ);
    const acq = this.reg64(NvmeReg.ACQ);
    const iosqes = (cc >> NvmeCc.IOSQES_SHIFT) & 0xf;
    const iocqes = (cc >> NvmeCc.IOCQES_SHIFT) & 0xf;
    const mps = (cc >> NvmeCc.MPS_SHIFT) & 0xf;
    const ok =
      asqs >= 2 &&
      acqs >= 2 &&
      mps === 0 &&
      (iosqes === 0 || iosqes === 6) &&
      (iocqes === 0 || iocqes === 4) &&
      this.queueFits(asq, asqs * NVME_SQ_ENTRY_BYTES) &&
      this.queueFits(acq, acqs * NVME_CQ_ENTRY_BYTES);
    if (!ok) {
      this.setCsts(NvmeCsts.CFS);
      return;
    }
    this.cqs[0] = { id: 0, base: acq, size: acqs, tail: 0, head: 0, phase: 1, ien: true, sqs: 1, posted: 0 };
    this.sqs[0] = { id: 0, base: asq, size: asqs, head: 0, cqid: 0 };
    this.enabled = true;
    this.setCsts(NvmeCsts.RDY);
  }

  private reg64(off: number): number {
    const hi = this.reg(off + 4) >>> 0;
    return hi === 0 ? this.reg(off) >>> 0 : -1;
  }

  private queueFits(base: number, bytes: number): boolean {
    return base >= NVME_PAGE_SIZE && base % NVME_PAGE_SIZE === 0 && base + bytes <= this.dma.length;
  }

  /** One pass over every submission queue; true when a command ran. */
  private processQueues(): boolean {
    let progress = false;
    let cqFull = false;
    for (let qid = 0; qid < this.sqs.length; qid++) {
      const sq = this.sqs[qid];
      if (sq === undefined) continue;
      const cq = this.cqs[sq.cqid] as CompletionQueue;
      cq.head = Atomics.load(this.regs, nvmeDoorbellOffset(cq.id, true) >> 2);
      const tail = Atomics.load(this.regs, nvmeDoorbellOffset(qid, false) >> 2);
      if (tail < 0 || tail >= sq.size || cq.head < 0 || cq.head >= cq.size) continue; // invalid doorbell value: ignored
      // Whatever the host posted before ringing this doorbell (faults, the
      // interrupt wiring) must apply to the commands it rang for.
      if (sq.head !== tail) this.drainControl();
      while (sq.head !== tail && this.enabled && this.sqs[qid] === sq) {
        if ((cq.tail + 1) % cq.size === cq.head) {
          cqFull = true; // wait for the host to consume
          break;
        }
        const entry = sq.base + sq.head * NVME_SQ_ENTRY_BYTES;
        sq.head = (sq.head + 1) % sq.size;
        const cdw0 = this.dmaView.getUint32(entry + Sqe.CDW0, true);
        const out = this.execute(qid, entry, cdw0 & 0xff);
        Atomics.add(this.ctl, Ctl.COMMANDS, 1);
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- execute() may have reset the controller
        if (!this.enabled) break; // the command (or a fault) reset the controller
        const target = this.cqs[sq.cqid];
        if (target !== undefined) {
          this.post(target, sq, cdw0 >>> 16, out);
          // Coalescing: the threshold reached mid-pass interrupts now, so the host reaps while the device goes on.
          if (this.coalesceThreshold > 0 && qid !== 0 && target.posted >= this.coalesceThreshold) {
            target.posted = 0;
            if (target.ien) this.raiseInterrupt();
          }
        }
        progress = true;
      }
    }
    // Before the worker's next look at MMIO_SEQ, so a head doorbell written after this pass wakes it.
    Atomics.store(this.ctl, Ctl.CQ_WAIT, cqFull ? 1 : 0);
    for (const cq of this.cqs) {
      if (cq !== undefined && cq.posted > 0) {
        cq.posted = 0;
        if (cq.ien) this.raiseInterrupt();
      }
    }
    return progress;
  }

  /** Write a CQE; the word holding the phase tag goes last, atomically. */
  private post(cq: CompletionQueue, sq: SubmissionQueue, cid: number, out: Outcome): void {
    const at = cq.base + cq.tail * NVME_CQ_ENTRY_BYTES;
    this.dmaView.setUint32(at + Cqe.RESULT, out.result >>> 0, true);
    this.dmaView.setUint32(at + 4, 0, true);
    this.dmaView.setUint32(at + Cqe.SQHD_SQID, (sq.head & 0xffff) | (sq.id << 16), true);
    Atomics.store(this.dmaI32, (at + Cqe.CID_STATUS) >> 2, (cid & 0xffff) | (cq.phase << 16) | (out.status << 17));
    cq.tail++;
    if (cq.tail === cq.size) {
      cq.tail = 0;
      cq.phase ^= 1;
    }
    cq.posted++;
  }

  /**
   * Send the MSI: set the host's event notifier. A notifier that is still set
   * has a handler run pending that will see this completion too (eventfd
   * semantics), so only a 0→1 transition posts the message and wakes the poll.
   */
  private raiseInterrupt(): void {
    Atomics.add(this.ctl, Ctl.INTERRUPTS, 1);
    const irq = this.irq;
    if (irq === null) {
      Atomics.store(this.ctl, Ctl.IRQ_PENDING, 1);
      Atomics.notify(this.ctl, Ctl.IRQ_PENDING);
      return;
    }
    if (Atomics.exchange(irq.flag, 0, 1) === 0) {
      irq.port.postMessage(0);
      Atomics.add(irq.wake, 0, 1);
      Atomics.notify(irq.wake, 0);
    }
  }

  private injected(qid: number, opcode: number): Outcome | null {
    for (let i = 0; i < this.rules.length; i++) {
      const r = this.rules[i];
      if (r.opcode !== undefined && r.opcode !== opcode) continue;
      if (r.queue === 'admin' && qid !== 0) continue;
      if (r.queue === 'io' && qid === 0) continue;
      r.count = (r.count ?? 1) - 1;
      if (r.count <= 0) this.rules.splice(i, 1);
      return fail(r.sct, r.sc, r.dnr ?? false);
    }
    return null;
  }

  private execute(qid: number, entry: number, opcode: number): Outcome {
    const forced = this.rules.length > 0 ? this.injected(qid, opcode) : null;
    if (forced !== null) return forced;
    try {
      return qid === 0 ? this.admin(entry, opcode) : this.io(entry, opcode);
    } catch {
      return generic(NvmeGenericStatus.INTERNAL_ERROR); // the medium failed (file I/O error)
    }
  }

  private u32(entry: number, off: number): number {
    return this.dmaView.getUint32(entry + off, true);
  }

  private u64(entry: number, off: number): number {
    const hi = this.u32(entry, off + 4);
    return hi === 0 ? this.u32(entry, off) : -1;
  }

  // ---------------------------------------------------------------------------
  // Admin command set (§5)

  private admin(entry: number, opcode: number): Outcome {
    switch (opcode) {
      case NvmeAdminOpcode.IDENTIFY:
        return this.identify(entry);
      case NvmeAdminOpcode.CREATE_IO_CQ:
        return this.createCq(entry);
      case NvmeAdminOpcode.CREATE_IO_SQ:
        return this.createSq(entry);
      case NvmeAdminOpcode.DELETE_IO_SQ:
        return this.deleteSq(entry);
      case NvmeAdminOpcode.DELETE_IO_CQ:
        return this.deleteCq(entry);
      case NvmeAdminOpcode.SET_FEATURES:
      case NvmeAdminOpcode.GET_FEATURES:
        return this.features(entry, opcode === NvmeAdminOpcode.SET_FEATURES);
      default:
        return generic(NvmeGenericStatus.INVALID_OPCODE);
    }
  }

  private identify(entry: number): Outcome {
    const cns = this.u32(entry, Sqe.CDW10) & 0xff;
    const nsid = this.u32(entry, Sqe.NSID);
    const page = new Uint8Array(4096);
    const v = new DataView(page.buffer);
    if (cns === NvmeIdentifyCns.CONTROLLER) {
      const ascii = (at: number, len: number, s: string) => {
        for (let i = 0; i < len; i++) page[at + i] = i < s.length ? s.charCodeAt(i) & 0x7f : 0x20;
      };
      ascii(4, 20, this.data.serial);
      ascii(24, 40, this.data.model);
      ascii(64, 8, '1.0');
      page[77] = MDTS;
      v.setUint16(78, 1, true); // CNTLID
      v.setUint32(80, NVME_VERSION, true);
      page[512] = 0x66; // SQES: required and maximum 64 bytes
      page[513] = 0x44; // CQES: 16 bytes
      v.setUint16(514, MAX_QUEUE_ENTRIES, true); // MAXCMD
      v.setUint32(516, 1, true); // NN: one namespace
      v.setUint16(520, (1 << 2) | (1 << 3), true); // ONCS: Dataset Management, Write Zeroes
      page[525] = 1; // VWC: volatile write cache present
    } else if (cns === NvmeIdentifyCns.NAMESPACE) {
      if (nsid !== 1) return generic(NvmeGenericStatus.INVALID_NAMESPACE);
      v.setUint32(0, this.nsze >>> 0, true); // NSZE
      v.setUint32(4, Math.floor(this.nsze / 2 ** 32), true);
      v.setUint32(8, this.nsze >>> 0, true); // NCAP
      v.setUint32(12, Math.floor(this.nsze / 2 ** 32), true);
      v.setUint32(16, this.nsze >>> 0, true); // NUSE
      v.setUint32(20, Math.floor(this.nsze / 2 ** 32), true);
      page[25] = 0; // NLBAF: one format
      page[26] = 0; // FLBAS: format 0
      page[33] = 0x01; // DLFEAT: deallocated blocks read as zeroes
      v.setUint32(128, Math.log2(NVME_LBA_BYTES) << 16, true); // LBAF0: LBADS
    } else if (cns === NvmeIdentifyCns.ACTIVE_NS_LIST) {
      if (nsid < 1) v.setUint32(0, 1, true);
    } else {
      return generic(NvmeGenericStatus.INVALID_FIELD);
    }
    return this.dmaCopy(entry, page, true) ? OK : generic(NvmeGenericStatus.DATA_TRANSFER_ERROR);
  }

  private createCq(entry: number): Outcome {
    const cdw10 = this.u32(entry, Sqe.CDW10);
    const cdw11 = this.u32(entry, Sqe.CDW11);
    const qid = cdw10 & 0xffff;
    const size = (cdw10 >>> 16) + 1;
    const base = this.u64(entry, Sqe.PRP1);
    if (qid === 0 || qid > MAX_QID || this.cqs[qid] !== undefined) return specific(NvmeCommandStatus.INVALID_QUEUE_IDENTIFIER);
    if (size < 2 || size > MAX_QUEUE_ENTRIES) return specific(NvmeCommandStatus.INVALID_QUEUE_SIZE);
    if (cdw11 >>> 16 !== 0) return specific(NvmeCommandStatus.INVALID_INTERRUPT_VECTOR); // one MSI-X vector
    if (!(cdw11 & 1) || !this.queueFits(base, size * NVME_CQ_ENTRY_BYTES)) return generic(NvmeGenericStatus.INVALID_FIELD);
    this.cqs[qid] = { id: qid, base, size, tail: 0, head: 0, phase: 1, ien: (cdw11 & 2) !== 0, sqs: 0, posted: 0 };
    return OK;
  }

  private createSq(entry: number): Outcome {
    const cdw10 = this.u32(entry, Sqe.CDW10);
    const cdw11 = this.u32(entry, Sqe.CDW11);
    const qid = cdw10 & 0xffff;
    const size = (cdw10 >>> 16) + 1;
    const cqid = cdw11 >>> 16;
    const base = this.u64(entry, Sqe.PRP1);
    if (qid === 0 || qid > MAX_QID || this.sqs[qid] !== undefined) return specific(NvmeCommandStatus.INVALID_QUEUE_IDENTIFIER);
    const cq = cqid === 0 ? undefined : this.cqs[cqid];
    if (cq === undefined) return specific(NvmeCommandStatus.COMPLETION_QUEUE_INVALID);
    if (size < 2 || size > MAX_QUEUE_ENTRIES) return specific(NvmeCommandStatus.INVALID_QUEUE_SIZE);
    if (!(cdw11 & 1) || !this.queueFits(base, size * NVME_SQ_ENTRY_BYTES)) return generic(NvmeGenericStatus.INVALID_FIELD);
    this.sqs[qid] = { id: qid, base, size, head: 0, cqid };
    cq.sqs++;
    // A new queue starts empty: its tail doorbell reads as 0 (§3.1.24).
    Atomics.store(this.regs, nvmeDoorbellOffset(qid, false) >> 2, 0);
    return OK;
  }

  private deleteSq(entry: number): Outcome {
    const qid = this.u32(entry, Sqe.CDW10) & 0xffff;
    const sq = qid === 0 ? undefined : this.sqs[qid];
    if (sq === undefined) return specific(NvmeCommandStatus.INVALID_QUEUE_IDENTIFIER);
    this.sqs[qid] = undefined;
    const cq = this.cqs[sq.cqid];
    if (cq !== undefined) cq.sqs--;
    return OK;
  }

  private deleteCq(entry: number): Outcome {
    const qid = this.u32(entry, Sqe.CDW10) & 0xffff;
    const cq = qid === 0 ? undefined : this.cqs[qid];
    if (cq === undefined) return specific(NvmeCommandStatus.INVALID_QUEUE_IDENTIFIER);
    if (cq.sqs > 0) return specific(NvmeCommandStatus.INVALID_QUEUE_DELETION);
    this.cqs[qid] = undefined;
    Atomics.store(this.regs, nvmeDoorbellOffset(qid, true) >> 2, 0);
    return OK;
  }

  private features(entry: number, set: boolean): Outcome {
    const fid = this.u32(entry, Sqe.CDW10) & 0xff;
    if (fid === NvmeFeature.VOLATILE_WRITE_CACHE) return { status: 0, result: 1 };
    if (fid === NvmeFeature.NUMBER_OF_QUEUES) return { status: 0, result: ((MAX_QID - 1) << 16) | (MAX_QID - 1) };
    if (fid === NvmeFeature.INTERRUPT_COALESCING) {
      if (set) {
        this.coalesceCdw11 = this.u32(entry, Sqe.CDW11) & 0xffff;
        this.coalesceThreshold = (this.coalesceCdw11 & 0xff) + 1;
      }
      return { status: 0, result: this.coalesceCdw11 };
    }
    return generic(NvmeGenericStatus.INVALID_FIELD);
  }

  // ---------------------------------------------------------------------------
  // NVM command set (§6)

  private io(entry: number, opcode: number): Outcome {
    const nsid = this.u32(entry, Sqe.NSID);
    if (opcode === NvmeIoOpcode.FLUSH) {
      if (nsid !== 1 && nsid !== NSID_ALL) return generic(NvmeGenericStatus.INVALID_NAMESPACE);
      this.backing.flush();
      return OK;
    }
    if (opcode !== NvmeIoOpcode.READ && opcode !== NvmeIoOpcode.WRITE && opcode !== NvmeIoOpcode.WRITE_ZEROES && opcode !== NvmeIoOpcode.DATASET_MANAGEMENT) {
      return generic(NvmeGenericStatus.INVALID_OPCODE);
    }
    if (nsid !== 1) return generic(NvmeGenericStatus.INVALID_NAMESPACE);
    if (opcode === NvmeIoOpcode.DATASET_MANAGEMENT) return this.dsm(entry);
    const slba = this.u64(entry, Sqe.CDW10);
    const nlb = (this.u32(entry, Sqe.CDW12) & 0xffff) + 1;
    if (slba < 0 || slba + nlb > this.nsze) return generic(NvmeGenericStatus.LBA_OUT_OF_RANGE);
    const offset = slba * NVME_LBA_BYTES;
    const bytes = nlb * NVME_LBA_BYTES;
    if (opcode === NvmeIoOpcode.WRITE_ZEROES) {
      this.backing.zero(offset, bytes);
      return OK;
    }
    if (bytes > (1 << MDTS) * NVME_PAGE_SIZE) return generic(NvmeGenericStatus.INVALID_FIELD);
    const segs = this.prps(entry, bytes);
    if (segs === null) return generic(NvmeGenericStatus.DATA_TRANSFER_ERROR);
    let at = offset;
    for (let i = 0; i < segs.length; i += 2) {
      const buf = this.dma.subarray(segs[i], (segs[i]) + (segs[i + 1]));
      if (opcode === NvmeIoOpcode.READ) this.backing.read(at, buf);
      else this.backing.write(at, buf);
      at += buf.length;
    }
    return OK;
  }

  /** Dataset Management: only the deallocate attribute does anything (§6.7). */
  private dsm(entry: number): Outcome {
    const nr = (this.u32(entry, Sqe.CDW10) & 0xff) + 1;
    const deallocate = (this.u32(entry, Sqe.CDW11) & (1 << 2)) !== 0;
    const list = new Uint8Array(nr * 16);
    if (!this.dmaCopy(entry, list, false)) return generic(NvmeGenericStatus.DATA_TRANSFER_ERROR);
    if (!deallocate) return OK;
    const v = new DataView(list.buffer);
    for (let i = 0; i < nr; i++) {
      const nlb = v.getUint32(i * 16 + 4, true);
      const slba = v.getUint32(i * 16 + 8, true) + v.getUint32(i * 16 + 12, true) * 2 ** 32;
      if (slba + nlb > this.nsze) return generic(NvmeGenericStatus.LBA_OUT_OF_RANGE);
    }
    for (let i = 0; i < nr; i++) {
      const nlb = v.getUint32(i * 16 + 4, true);
      const slba = v.getUint32(i * 16 + 8, true) + v.getUint32(i * 16 + 12, true) * 2 ** 32;
      this.backing.zero(slba * NVME_LBA_BYTES, nlb * NVME_LBA_BYTES);
    }
    return OK;
  }

  /** Copy `buf` into (toHost) or out of the host memory the PRP entry at `entry` lists; false when the list is bad. */
  private dmaCopy(entry: number, buf: Uint8Array, toHost: boolean): boolean {
    const segs = this.prps(entry, buf.length);
    if (segs === null) return false;
    let at = 0;
    for (let i = 0; i < segs.length; i += 2) {
      const addr = segs[i];
      const len = segs[i + 1];
      if (toHost) this.dma.set(buf.subarray(at, at + len), addr);
      else buf.set(this.dma.subarray(addr, addr + len), at);
      at += len;
    }
    return true;
  }

  /**
   * Walk PRP1/PRP2 (§4.3) for a transfer of `bytes`: [iova, length] pairs
   * flattened, or null when a pointer is invalid. PRP1 may start mid-page; every
   * later entry is page aligned; PRP2 is the second page when two suffice, else a
   * PRP list whose last entry chains to the next list page.
   */
  private prps(entry: number, bytes: number): number[] | null {
    const prp1 = this.u64(entry, Sqe.PRP1);
    if (!this.valid(prp1, 1)) return null;
    const first = Math.min(bytes, NVME_PAGE_SIZE - (prp1 % NVME_PAGE_SIZE));
    if (!this.valid(prp1, first)) return null;
    const out = [prp1, first];
    let left = bytes - first;
    if (left === 0) return out;
    const prp2 = this.u64(entry, Sqe.PRP2);
    if (left <= NVME_PAGE_SIZE) {
      if (prp2 % NVME_PAGE_SIZE !== 0 || !this.valid(prp2, left)) return null;
      out.push(prp2, left);
      return out;
    }
    if (prp2 % 8 !== 0 || !this.valid(prp2, 8)) return null;
    let list = prp2;
    while (left > 0) {
      const lastInPage = list % NVME_PAGE_SIZE === NVME_PAGE_SIZE - 8;
      const e = this.dmaView.getUint32(list, true) + this.dmaView.getUint32(list + 4, true) * 2 ** 32;
      if (lastInPage && left > NVME_PAGE_SIZE) {
        if (e % 8 !== 0 || !this.valid(e, 8)) return null;
        list = e; // chain to the next list page
        continue;
      }
      const n = Math.min(left, NVME_PAGE_SIZE);
      if (e % NVME_PAGE_SIZE !== 0 || !this.valid(e, n)) return null;
      out.push(e, n);
      left -= n;
      list += 8;
    }
    return out;
  }

  private valid(iova: number, bytes: number): boolean {
    return iova >= NVME_PAGE_SIZE && iova + bytes <= this.dma.length;
  }
}
