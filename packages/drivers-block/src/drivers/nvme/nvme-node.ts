/**
 * An open nvme node (QEMU's block/nvme.c BDRVNVMeState), written as if the controller
 * were real: it resets and enables the device through CC/CSTS, sets up the
 * admin queue, wires the interrupt to an event notifier of its AioContext,
 * identifies controller and namespace, creates one I/O queue pair, and then
 * serves requests as coroutine_fns through bounce buffers in DMA memory.
 * Admin commands run synchronously: from a coroutine (open, close, recovery)
 * they yield until the completion arrives, elsewhere they poll with
 * AIO_WAIT_WHILE (the aio layer forbids that inside a coroutine). When the
 * controller reports a fatal status it is reset and re-initialised, and the
 * commands that were in flight are submitted again.
 */
import {
  aioSetEventNotifier,
  aioWaitWhile,
  aioCoWakeFromCallback,
  coroutineCreate,
  coroutineEnter,
  coroutineSelf,
  coroutineYield,
  CoQueue,
  EventNotifier,
  aioTimerNew,
  getCurrentAioContext,
  inCoroutine,
  qemuClockGetMs,
  QEMU_CLOCK_REALTIME,
  SCALE_MS,
  type QEMUTimer,
  type AioContext,
  type Co,
} from '@qco/core';
import {
  type BlockDriver,
  type BlockDriverInfo,
  type BlockDriverOptions,
  type BlockDriverState,
  type BlockOpenFlags,
  type BlockRequestFlags,
} from '../../block/block-driver.js';
import { BlockError, BlockIoError } from '../../block/errors.js';
import { Errno } from '../../block/errno.js';
import type { IoVector } from '../../block/iov.js';
import { opt } from '../../block/options.js';
import { DmaOutOfMemoryError, type DmaBuffer, type EmulatedNvmeController } from '@qco/nvme-emulator';
import { NVME_AIO_MAX_BATCH, NVME_IRQ_COALESCING, NVME_QUEUE_SIZE, NVME_WATCHDOG_MS } from './nvme-driver.js';
import { claimNvmeDevice, type NvmeDeviceClaim } from './nvme-devices.js';
import { NvmeQueuePair, type NvmeCompletionFunc, type NvmeRequest } from './nvme-queue-pair.js';
import {
  NVME_CQ_ENTRY_BYTES,
  NVME_PAGE_SIZE,
  NVME_SQ_ENTRY_BYTES,
  NvmeAdminOpcode,
  NvmeCc,
  NvmeCsts,
  NvmeFeature,
  NvmeIdentifyCns,
  NvmeIoOpcode,
  NvmeReg,
  Sqe,
} from '@qco/nvme-emulator/spec';

/** Sentinel of a synchronous command not completed yet (QEMU's -EINPROGRESS). */
const IN_PROGRESS = -Errno.EINPROGRESS;

/** Largest transfer per command the driver asks for (bounce buffer per slot). */
const NVME_MAX_TRANSFER = 128 * 1024;
/** Write Zeroes / DSM range limit: NLB is a 16-bit zero-based count. */
const NVME_MAX_BLOCKS_PER_CMD = 0x10000;

/** An open nvme node (QEMU's BDRVNVMeState). */
export class NvmeBlockDriverState implements BlockDriverState {
  requestAlignment = 512;
  maxTransfer = NVME_MAX_TRANSFER;
  readonly memAlignment = NVME_PAGE_SIZE;
  readonly filename: string;
  /** The controller this node drives. */
  readonly ctrl: EmulatedNvmeController;
  /** Namespace id. */
  readonly nsid: number;
  /** Entries per queue. */
  readonly queueSize: number;
  /** aio-max-batch: most submissions one doorbell write announces (0: the whole section). */
  readonly maxBatch: number;
  /** irq-coalescing: completions per interrupt (0: the device's default, one per pass). */
  readonly irqCoalescing: number;
  /** queues[0] is the admin queue, queues[1] the I/O queue. */
  readonly queues: NvmeQueuePair[] = [];
  /** Namespace size in logical blocks (Identify Namespace NSZE). */
  nsze = 0;
  /** log2 of the logical block size. */
  blkshift = 9;
  /** The logical block size, 2 ** blkshift (a division by it needs no Math.pow per request). */
  blockBytes = 512;
  /** Identify Controller VWC bit 0. */
  writeCacheSupported = false;
  /** ONCS: Write Zeroes / Dataset Management supported. */
  supportsWriteZeroes = false;
  supportsDiscard = false;
  /** Serial and model from Identify Controller. */
  serial = '';
  model = '';
  /** Controller resets the driver recovered from. */
  recoveries = 0;
  private readonly ctx: AioContext;
  private readonly irq = new EventNotifier();
  private readonly claim: NvmeDeviceClaim;
  private readonly cmd = new Uint8Array(NVME_SQ_ENTRY_BYTES);
  private readonly cmdView = new DataView(this.cmd.buffer);
  private timeoutMs = 0;
  private recovering = false;
  private readonly recoveryWaiters = new CoQueue();
  private closed = false;
  /** Commands a coroutine waits for; the watchdog runs while there are any. */
  private pending = 0;
  /** Set when recovery failed: the device is gone, close does not wait for it. */
  private deviceDead = false;
  private readonly watchdog: QEMUTimer<NvmeBlockDriverState>;

  constructor(
    readonly driver: BlockDriver,
    readonly options: BlockDriverOptions,
    readonly flags: BlockOpenFlags,
  ) {
    const device = opt(options, 'device', '');
    this.nsid = opt(options, 'namespace', 1);
    this.queueSize = opt(options, 'queue-size', NVME_QUEUE_SIZE);
    this.maxBatch = opt(options, 'aio-max-batch', NVME_AIO_MAX_BATCH);
    this.irqCoalescing = opt(options, 'irq-coalescing', NVME_IRQ_COALESCING);
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 0) throw new BlockError(`Invalid aio-max-batch ${this.maxBatch}: expected 0 or more`, Errno.EINVAL);
    if (!Number.isInteger(this.irqCoalescing) || this.irqCoalescing < 0 || this.irqCoalescing > 256) {
      throw new BlockError(`Invalid irq-coalescing ${this.irqCoalescing}: expected 0 to 256`, Errno.EINVAL);
    }
    if (!Number.isInteger(this.nsid) || this.nsid < 1) throw new BlockError(`Invalid namespace '${this.nsid}', positive number expected`, Errno.EINVAL);
    if (!Number.isInteger(this.queueSize) || this.queueSize < 2 || this.queueSize > 1024) {
      throw new BlockError(`Invalid queue-size ${this.queueSize}: expected 2 to 1024 entries`, Errno.EINVAL);
    }
    this.filename = `nvme://${device}/${this.nsid}`;
    this.ctx = getCurrentAioContext();
    this.watchdog = aioTimerNew<NvmeBlockDriverState>(this.ctx, QEMU_CLOCK_REALTIME, SCALE_MS, (s) => s.watchdogTick(), this);
    this.claim = claimNvmeDevice(device, { dmaBytes: (2 << 20) + this.queueSize * (2 * NVME_PAGE_SIZE + NVME_MAX_TRANSFER) });
    this.ctrl = this.claim.ctrl;
  }

  /** The I/O queue pair. */
  get ioQueue(): NvmeQueuePair {
    return this.queues[1];
  }

  // ---------------------------------------------------------------------------
  // Initialisation (NVMe 1.4 §7.6.1)

  /** nvme_init: bring the controller up and create the I/O queue. */
  *init(): Co {
    const bar = this.ctrl.bar;
    const capLo = bar.read32(NvmeReg.CAP);
    const capHi = bar.read32(NvmeReg.CAP + 4);
    if (!(capHi & (1 << (37 - 32)))) throw new BlockError("Device doesn't support NVMe command set", Errno.EINVAL);
    if (((capHi >> 16) & 0xf) !== 0) throw new BlockError('Device needs a memory page size above 4 KiB', Errno.EINVAL);
    if ((capHi & 0xf) !== 0) throw new BlockError('Device uses a doorbell stride other than 4 bytes', Errno.EINVAL);
    if ((capLo & 0xffff) + 1 < this.queueSize) throw new BlockError(`Device supports at most ${(capLo & 0xffff) + 1} queue entries`, Errno.EINVAL);
    this.timeoutMs = Math.min(500 * ((capLo >>> 24) & 0xff), 30000);

    this.disable();
    try {
      this.queues[0] = new NvmeQueuePair(bar, this.ctrl.dma, this.ctx, 0, this.queueSize, 0);
    } catch (err) {
      if (err instanceof DmaOutOfMemoryError) throw new BlockError('Cannot allocate queue', Errno.ENOMEM);
      throw err;
    }
    this.enable();
    // io_poll as QEMU's nvme_poll_cb: a completion already posted is reaped
    // before aio_poll sleeps, not only when the (coalesced) interrupt arrives.
    aioSetEventNotifier(
      this.ctx,
      this.irq,
      () => this.handleEvent(),
      () => this.completionsPosted(),
    );
    this.ctrl.setIrqNotifier(this.irq.share());
    yield* this.identify();
    yield* this.addIoQueue();
  }

  /** CC.EN = 0 and wait for CSTS.RDY = 0: a controller reset. */
  private disable(): void {
    const bar = this.ctrl.bar;
    bar.write32(NvmeReg.CC, bar.read32(NvmeReg.CC) & ~NvmeCc.EN);
    this.waitCsts((csts) => (csts & NvmeCsts.RDY) === 0, `Timeout while waiting for device to reset (${this.timeoutMs} ms)`);
  }

  /** Program the admin queue, set CC.EN = 1, wait for CSTS.RDY = 1. */
  private enable(): void {
    const bar = this.ctrl.bar;
    const admin = this.queues[0];
    bar.write32(NvmeReg.AQA, ((admin.size - 1) << 16) | (admin.size - 1));
    bar.write64(NvmeReg.ASQ, admin.sq.iova);
    bar.write64(NvmeReg.ACQ, admin.cq.iova);
    bar.write32(NvmeReg.CC, (Math.log2(NVME_CQ_ENTRY_BYTES) << NvmeCc.IOCQES_SHIFT) | (Math.log2(NVME_SQ_ENTRY_BYTES) << NvmeCc.IOSQES_SHIFT) | NvmeCc.EN);
    this.waitCsts((csts) => (csts & NvmeCsts.RDY) !== 0 && (csts & NvmeCsts.CFS) === 0, `Timeout while waiting for device to start (${this.timeoutMs} ms)`);
  }

  /** Spin on CSTS (the device notifies every change) until `ok` or the CAP.TO timeout. */
  private waitCsts(ok: (csts: number) => boolean, message: string): void {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const csts = this.ctrl.bar.read32(NvmeReg.CSTS);
      if (ok(csts)) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new BlockError(message, Errno.ETIMEDOUT);
      this.ctrl.waitCstsChange(csts, Math.min(left, 50));
    }
  }

  private *identify(): Co {
    let resp: DmaBuffer;
    try {
      resp = this.ctrl.dma.alloc(4096);
    } catch {
      throw new BlockError('Cannot allocate buffer for identify response', Errno.ENOMEM);
    }
    try {
      const v = new DataView(resp.bytes.buffer, resp.bytes.byteOffset, 4096);
      let r = yield* this.adminCmd((c) => {
        c.setUint8(Sqe.CDW0, NvmeAdminOpcode.IDENTIFY);
        c.setUint32(Sqe.PRP1, resp.iova, true);
        c.setUint32(Sqe.CDW10, NvmeIdentifyCns.CONTROLLER, true);
      });
      if (r.ret !== 0) throw new BlockError('Failed to identify controller', -r.ret);
      if (v.getUint32(516, true) < this.nsid) throw new BlockError('Invalid namespace', Errno.EINVAL);
      this.writeCacheSupported = (v.getUint8(525) & 1) !== 0;
      const oncs = v.getUint16(520, true);
      this.supportsWriteZeroes = (oncs & (1 << 3)) !== 0;
      this.supportsDiscard = (oncs & (1 << 2)) !== 0;
      const mdts = v.getUint8(77);
      const ascii = (at: number, len: number) => String.fromCharCode(...resp.bytes.subarray(at, at + len)).trimEnd();
      this.serial = ascii(4, 20);
      this.model = ascii(24, 40);
      if (mdts !== 0) this.maxTransfer = Math.min(this.maxTransfer, 2 ** mdts * NVME_PAGE_SIZE);
      resp.bytes.fill(0);
      r = yield* this.adminCmd((c) => {
        c.setUint8(Sqe.CDW0, NvmeAdminOpcode.IDENTIFY);
        c.setUint32(Sqe.NSID, this.nsid, true);
        c.setUint32(Sqe.PRP1, resp.iova, true);
        c.setUint32(Sqe.CDW10, NvmeIdentifyCns.NAMESPACE, true);
      });
      if (r.ret !== 0) throw new BlockError('Failed to identify namespace', -r.ret);
      this.nsze = v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32;
      const flbas = v.getUint8(26) & 0xf;
      const lbaf = v.getUint32(128 + 4 * flbas, true);
      if ((lbaf & 0xffff) !== 0) throw new BlockError('Namespaces with metadata are not yet supported', Errno.EINVAL);
      const lbads = (lbaf >> 16) & 0xff;
      if (lbads < 9 || lbads > 12) throw new BlockError(`Namespace has unsupported block size (${2 ** lbads})`, Errno.EINVAL);
      this.blkshift = lbads;
      this.blockBytes = 2 ** lbads;
      this.requestAlignment = 2 ** lbads;
    } finally {
      this.ctrl.dma.release(resp);
    }
  }

  /** nvme_add_io_queue: Create I/O CQ then I/O SQ for queue 1. */
  private *addIoQueue(): Co {
    const n = 1;
    if (this.queues.at(n) === undefined) {
      try {
        this.queues[n] = new NvmeQueuePair(this.ctrl.bar, this.ctrl.dma, this.ctx, n, this.queueSize, NVME_MAX_TRANSFER, this.maxBatch);
      } catch (err) {
        if (err instanceof DmaOutOfMemoryError) throw new BlockError('Cannot allocate queue', Errno.ENOMEM);
        throw err;
      }
    }
    const q = this.queues[n];
    let r = yield* this.adminCmd((c) => {
      c.setUint8(Sqe.CDW0, NvmeAdminOpcode.CREATE_IO_CQ);
      c.setUint32(Sqe.PRP1, q.cq.iova, true);
      c.setUint32(Sqe.CDW10, ((q.size - 1) << 16) | n, true);
      c.setUint32(Sqe.CDW11, 0x3, true); // physically contiguous, interrupts enabled, vector 0
    });
    if (r.ret !== 0) throw new BlockError(`Failed to create CQ io queue [${n}]`, -r.ret);
    r = yield* this.adminCmd((c) => {
      c.setUint8(Sqe.CDW0, NvmeAdminOpcode.CREATE_IO_SQ);
      c.setUint32(Sqe.PRP1, q.sq.iova, true);
      c.setUint32(Sqe.CDW10, ((q.size - 1) << 16) | n, true);
      c.setUint32(Sqe.CDW11, 0x1 | (n << 16), true); // physically contiguous, completions to CQ n
    });
    if (r.ret !== 0) throw new BlockError(`Failed to create SQ io queue [${n}]`, -r.ret);
    if (this.irqCoalescing > 0) {
      // Aggregation threshold (0's based) and 100 µs of aggregation time.
      r = yield* this.adminCmd((c) => {
        c.setUint8(Sqe.CDW0, NvmeAdminOpcode.SET_FEATURES);
        c.setUint32(Sqe.CDW10, NvmeFeature.INTERRUPT_COALESCING, true);
        c.setUint32(Sqe.CDW11, (this.irqCoalescing - 1) | (1 << 8), true);
      });
      if (r.ret !== 0) throw new BlockError('Failed to set interrupt coalescing', -r.ret);
    }
  }

  // ---------------------------------------------------------------------------
  // Commands

  /**
   * An admin command, synchronously: yields until it completes when called from
   * a coroutine, polls the AioContext with AIO_WAIT_WHILE otherwise.
   */
  *adminCmd(fill: (c: DataView) => void): Co<{ ret: number; result: number }> {
    const q = this.queues[0];
    const req = q.tryGetFreeReq();
    if (req === null) return { ret: -Errno.EBUSY, result: 0 };
    try {
      this.cmd.fill(0);
      fill(this.cmdView);
      const ret = yield* this.waitCommand(q, req, this.cmd);
      return { ret, result: req.result };
    } finally {
      q.putReq(req);
    }
  }

  /** nvme_cmd_sync outside any coroutine: submit and AIO_WAIT_WHILE until it completes. */
  adminCmdSync(fill: (c: DataView) => void): { ret: number; result: number } {
    const q = this.queues[0];
    const req = q.tryGetFreeReq();
    if (req === null) return { ret: -Errno.EBUSY, result: 0 };
    let ret = IN_PROGRESS;
    let result = 0;
    try {
      this.cmd.fill(0);
      fill(this.cmdView);
      q.submit(req, this.cmd, (r, res) => {
        ret = r;
        result = res;
      });
      aioWaitWhile(this.ctx, () => ret === IN_PROGRESS);
      return { ret, result };
    } finally {
      q.putReq(req);
    }
  }

  /**
   * Submit on `q` and yield until the command completes; returns its 0 or
   * -errno (the CQE's DW0 is left in `req.result`). The wait lives in the slot
   * and the completion is one function for every command, as QEMU's
   * NVMeCoData and nvme_rw_cb: nothing is allocated per command.
   */
  private *waitCommand(q: NvmeQueuePair, req: NvmeRequest, cmd: Uint8Array): Co<number> {
    if (!inCoroutine()) throw new BlockError('NVMe commands wait from a coroutine', Errno.EINVAL);
    this.ctrl.hold();
    if (this.pending++ === 0) this.watchdog.mod(qemuClockGetMs(QEMU_CLOCK_REALTIME) + NVME_WATCHDOG_MS);
    req.done = false;
    q.submit(req, cmd, this.commandDone);
    while (!req.completed()) {
      req.waiter = coroutineSelf();
      yield coroutineYield();
    }
    return req.ret;
  }

  /** nvme_rw_cb: record the outcome in the slot and wake the coroutine waiting there. */
  private readonly commandDone: NvmeCompletionFunc = (ret, result, req) => {
    this.ctrl.unhold();
    if (--this.pending === 0) this.watchdog.del();
    req.ret = ret;
    req.result = result;
    req.done = true;
    const co = req.waiter;
    if (co === null) return; // completed before its coroutine yielded
    req.waiter = null;
    aioCoWakeFromCallback(co);
  };

  /** Wait while the controller is being re-initialised (callers look at `recovering || closed` first: no generator per request). */
  private *waitRecovery(): Co {
    while (this.recovering) yield* this.recoveryWaiters.wait();
    if (this.closed) throw new BlockIoError(Errno.EIO, 'NVMe device is closed');
  }

  /** nvme_co_prw_aligned through the slot's bounce buffer. */
  private *coPrw(offset: number, bytes: number, qiov: IoVector, isWrite: boolean, fua: boolean): Co {
    if (this.recovering || this.closed) yield* this.waitRecovery();
    const q = this.ioQueue;
    let req = q.tryGetFreeReq();
    if (req === null) req = yield* q.getFreeReq();
    try {
      const buf = req.bounce as DmaBuffer;
      if (isWrite) qiov.toBufferAt(buf.bytes, 0, bytes);
      const c = this.cmdView;
      this.cmd.fill(0);
      const lba = offset / this.blockBytes;
      c.setUint8(Sqe.CDW0, isWrite ? NvmeIoOpcode.WRITE : NvmeIoOpcode.READ);
      c.setUint32(Sqe.NSID, this.nsid, true);
      c.setUint32(Sqe.CDW10, lba >>> 0, true);
      c.setUint32(Sqe.CDW11, Math.floor(lba / 2 ** 32), true);
      c.setUint32(Sqe.CDW12, ((bytes >> this.blkshift) - 1) | (fua ? 1 << 30 : 0), true);
      this.mapPrps(req, buf.iova, bytes);
      const ret = yield* this.waitCommand(q, req, this.cmd);
      if (ret !== 0) throw new BlockIoError(-ret);
      if (!isWrite) qiov.fromBuffer(buf.bytes.subarray(0, bytes));
    } finally {
      q.putReq(req);
    }
  }

  /** Fill PRP1/PRP2 of the scratch command for a contiguous buffer at `iova` (page aligned). */
  private mapPrps(req: NvmeRequest, iova: number, bytes: number): void {
    const c = this.cmdView;
    c.setUint32(Sqe.PRP1, iova, true);
    const pages = Math.ceil(bytes / NVME_PAGE_SIZE);
    if (pages === 2) c.setUint32(Sqe.PRP2, iova + NVME_PAGE_SIZE, true);
    else if (pages > 2) {
      const list = new DataView(req.prpList.bytes.buffer, req.prpList.bytes.byteOffset, NVME_PAGE_SIZE);
      for (let i = 1; i < pages; i++) {
        list.setUint32((i - 1) * 8, iova + i * NVME_PAGE_SIZE, true);
        list.setUint32((i - 1) * 8 + 4, 0, true);
      }
      c.setUint32(Sqe.PRP2, req.prpList.iova, true);
    }
  }

  *coPreadv(offset: number, bytes: number, qiov: IoVector, _flags: BlockRequestFlags): Co {
    yield* this.coPrw(offset, bytes, qiov, false, false);
  }

  *coPwritev(offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags): Co {
    yield* this.coPrw(offset, bytes, qiov, true, flags.fua === true);
  }

  /** A data-less I/O command on the I/O queue. */
  private *ioCmd(fill: (c: DataView) => void): Co {
    if (this.recovering || this.closed) yield* this.waitRecovery();
    const q = this.ioQueue;
    let req = q.tryGetFreeReq();
    if (req === null) req = yield* q.getFreeReq();
    try {
      this.cmd.fill(0);
      this.cmdView.setUint32(Sqe.NSID, this.nsid, true);
      fill(this.cmdView);
      const ret = yield* this.waitCommand(q, req, this.cmd);
      if (ret !== 0) throw new BlockIoError(-ret);
    } finally {
      q.putReq(req);
    }
  }

  *coFlush(): Co {
    yield* this.ioCmd((c) => c.setUint8(Sqe.CDW0, NvmeIoOpcode.FLUSH));
  }

  *coPwriteZeroes(offset: number, bytes: number, flags: BlockRequestFlags): Co {
    if (!this.supportsWriteZeroes) throw new BlockIoError(Errno.ENOTSUP);
    // Division, not >>: offsets beyond 2 GiB do not fit a 32-bit shift.
    let lba = Math.floor(offset / this.blockBytes);
    let left = Math.floor(bytes / this.blockBytes);
    while (left > 0) {
      const n = Math.min(left, NVME_MAX_BLOCKS_PER_CMD);
      const at = lba;
      yield* this.ioCmd((c) => {
        c.setUint8(Sqe.CDW0, NvmeIoOpcode.WRITE_ZEROES);
        c.setUint32(Sqe.CDW10, at >>> 0, true);
        c.setUint32(Sqe.CDW11, Math.floor(at / 2 ** 32), true);
        c.setUint32(Sqe.CDW12, (n - 1) | (flags.mayUnmap ? 1 << 25 : 0) | (flags.fua ? 1 << 30 : 0), true);
      });
      lba += n;
      left -= n;
    }
  }

  /** nvme_co_pdiscard: Dataset Management with the deallocate attribute, one range. */
  *coPdiscard(offset: number, bytes: number): Co {
    if (!this.supportsDiscard) throw new BlockIoError(Errno.ENOTSUP);
    if (offset % this.requestAlignment !== 0 || bytes % this.requestAlignment !== 0) throw new BlockIoError(Errno.EINVAL);
    if (bytes / this.blockBytes > 0xffffffff) throw new BlockIoError(Errno.EINVAL); // one 32-bit range
    if (this.recovering || this.closed) yield* this.waitRecovery();
    const q = this.ioQueue;
    let req = q.tryGetFreeReq();
    if (req === null) req = yield* q.getFreeReq();
    try {
      const buf = req.bounce as DmaBuffer;
      const range = new DataView(buf.bytes.buffer, buf.bytes.byteOffset, 16);
      const lba = Math.floor(offset / this.blockBytes);
      range.setUint32(0, 0, true);
      range.setUint32(4, Math.floor(bytes / this.blockBytes), true);
      range.setUint32(8, lba >>> 0, true);
      range.setUint32(12, Math.floor(lba / 2 ** 32), true);
      this.cmd.fill(0);
      const c = this.cmdView;
      c.setUint8(Sqe.CDW0, NvmeIoOpcode.DATASET_MANAGEMENT);
      c.setUint32(Sqe.NSID, this.nsid, true);
      c.setUint32(Sqe.PRP1, buf.iova, true);
      c.setUint32(Sqe.CDW10, 0, true); // one range
      c.setUint32(Sqe.CDW11, 1 << 2, true); // AD: deallocate
      const ret = yield* this.waitCommand(q, req, this.cmd);
      if (ret !== 0) throw new BlockIoError(-ret);
    } finally {
      q.putReq(req);
    }
  }

  *coGetLength(): Co<number> {
    return this.nsze * this.blockBytes;
  }

  *coGetInfo(): Co<BlockDriverInfo> {
    return {
      extra: {
        serial: this.serial,
        model: this.model,
        namespace: String(this.nsid),
        'queue size': String(this.queueSize),
        'write cache': this.writeCacheSupported ? 'present' : 'absent',
      },
    };
  }

  // ---------------------------------------------------------------------------
  // Interrupts and recovery

  /** nvme_handle_event: clear the notifier, check the controller, reap every queue. */
  private handleEvent(): void {
    this.irq.testAndClear();
    // Completions posted before a fatal error are valid: reap them first.
    for (const q of this.queues) while (q.processCompletion());
    const csts = this.ctrl.bar.read32(NvmeReg.CSTS);
    if ((csts & NvmeCsts.CFS) !== 0 && !this.recovering && !this.closed) this.startRecovery();
  }

  /** Whether a queue has a completion posted that is not reaped yet (the phase bit of its next entry). */
  private completionsPosted(): boolean {
    for (const q of this.queues) if (q.completionPosted()) return true;
    return false;
  }

  /** The controller may have died without a word: look at CSTS, as a host's timeout handler does. */
  private watchdogTick(): void {
    if ((this.ctrl.bar.read32(NvmeReg.CSTS) & NvmeCsts.CFS) !== 0 && !this.recovering && !this.closed) this.startRecovery();
    if (this.pending > 0) this.watchdog.mod(qemuClockGetMs(QEMU_CLOCK_REALTIME) + NVME_WATCHDOG_MS);
  }

  private startRecovery(): void {
    this.recovering = true;
    coroutineEnter(coroutineCreate(function* (s: NvmeBlockDriverState) {
      yield* s.recover();
    }, this));
  }

  /**
   * Controller fatal status (§10.5): reset, set the admin queue up again,
   * recreate the I/O queue and resubmit what was in flight there. Admin
   * commands in flight are failed: they were part of a configuration that is gone.
   */
  private *recover(): Co {
    try {
      const admin = this.queues[0];
      const io = this.queues.at(1);
      this.disable();
      admin.failAll(admin.resetRings());
      const lost = io ? io.resetRings() : [];
      this.enable();
      if (io) {
        yield* this.addIoQueue();
        io.resubmit(lost);
      }
      this.recoveries++;
    } catch (err) {
      // The device did not come back: everything in flight fails.
      for (const q of this.queues) q.failAll(q.resetRings());
      this.closed = true;
      this.deviceDead = true;
      console.error(`nvme: controller recovery failed: ${(err as Error).message}`);
    } finally {
      this.recovering = false;
      this.recoveryWaiters.restartAll();
    }
  }

  /** nvme_close: delete the I/O queue, shut the controller down, release the device. */
  *coClose(): Co {
    if (this.closed && this.queues.length === 0) return;
    const wasClosed = this.closed;
    this.closed = true;
    try {
      if (!wasClosed && this.queues.at(1) !== undefined && !this.recovering) {
        yield* this.adminCmd((c) => {
          c.setUint8(Sqe.CDW0, NvmeAdminOpcode.DELETE_IO_SQ);
          c.setUint32(Sqe.CDW10, 1, true);
        });
        yield* this.adminCmd((c) => {
          c.setUint8(Sqe.CDW0, NvmeAdminOpcode.DELETE_IO_CQ);
          c.setUint32(Sqe.CDW10, 1, true);
        });
      }
      if (!this.deviceDead) {
        const bar = this.ctrl.bar;
        bar.write32(NvmeReg.CC, (bar.read32(NvmeReg.CC) & ~(3 << NvmeCc.SHN_SHIFT)) | (1 << NvmeCc.SHN_SHIFT));
        try {
          this.waitCsts((csts) => (csts & (3 << 2)) === NvmeCsts.SHST_COMPLETE, 'Timeout while waiting for device shutdown');
        } catch {
          // A device that does not report shutdown is released anyway.
        }
      }
    } finally {
      this.watchdog.del();
      aioSetEventNotifier(this.ctx, this.irq, null);
      this.irq.cleanup();
      try {
        this.ctrl.setIrqNotifier(null);
      } catch {
        // already closed
      }
      for (const q of this.queues.splice(0)) q.free();
      this.claim.release();
    }
  }

  /** Release the device after a failed open. */
  abandon(): void {
    this.closed = true;
    this.watchdog.del();
    aioSetEventNotifier(this.ctx, this.irq, null);
    this.irq.cleanup();
    for (const q of this.queues.splice(0)) q.free();
    this.claim.release();
  }
}

/** The nvme driver's open: reset, enable and identify the controller, then serve. */
export function* nvmeOpen(driver: BlockDriver, options: BlockDriverOptions, flags: BlockOpenFlags): Co<BlockDriverState> {
  const s = new NvmeBlockDriverState(driver, options, flags);
  try {
    yield* s.init();
  } catch (err) {
    s.abandon();
    throw err;
  }
  return s;
}
