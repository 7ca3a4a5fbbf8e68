/**
 * One submission/completion queue pair as the driver sees it (QEMU's
 * NVMeQueuePair): both rings live in DMA memory, each request slot owns a
 * command identifier, a PRP list page and a bounce buffer. Submitting copies
 * the 64-byte entry to the tail and asks for a kick through defer-call, so a
 * whole defer-call section writes the tail doorbell once; completions are
 * found by the phase tag and the head doorbell is written once per pass. A
 * coroutine that finds every slot busy waits on a CoQueue, woken from a BH
 * after a completion frees one.
 */
import { aioBhScheduleOneshot, CoQueue, deferCall, type AioContext, type Co, type Coroutine } from '@qco/core';
import type { DmaBuffer, DmaMemory, NvmeBar } from '@qco/nvme-emulator';
import { Cqe, NVME_CQ_ENTRY_BYTES, NVME_SQ_ENTRY_BYTES, Sqe, nvmeDoorbellOffset } from '@qco/nvme-emulator/spec';
import { nvmeTranslateError } from './nvme-status.js';
import { Errno } from '../../block/errno.js';

/** Completion of one command: 0 or -errno, the CQE's DW0, and the slot it ran in. */
export type NvmeCompletionFunc = (ret: number, result: number, req: NvmeRequest) => void;

/** A request slot (QEMU's NVMeRequest). */
export class NvmeRequest {
  /** Set while a command owns the slot. */
  busy = false;
  /** Completion callback of the command in flight. */
  cb: NvmeCompletionFunc | null = null;
  /** Whether the command in flight completed (QEMU's NVMeCoData, kept in the slot: no object per command). */
  done = false;
  /** Its 0 or -errno, and the CQE's DW0. */
  ret = 0;
  result = 0;
  /** The coroutine yielded until it completes, if any. */
  waiter: Coroutine | null = null;
  /** The submitted entry, kept to resubmit it after a controller reset. */
  readonly sqe = new Uint8Array(NVME_SQ_ENTRY_BYTES);
  /** Where submit stores the CID into `sqe`. */
  readonly sqeView = new DataView(this.sqe.buffer);
  constructor(
    /** Command identifier (1-based, 0 is never used). */
    readonly cid: number,
    /** One page for a PRP list. */
    readonly prpList: DmaBuffer,
    /** Bounce buffer for data (null on the admin queue, whose commands bring their own). */
    readonly bounce: DmaBuffer | null,
  ) {}

  /** Whether the command in flight completed (a method: the completion sets it while its coroutine is yielded). */
  completed(): boolean {
    return this.done;
  }
}

/** A submission queue and its completion queue. */
export class NvmeQueuePair {
  readonly sq: DmaBuffer;
  readonly cq: DmaBuffer;
  private sqTail = 0;
  private cqHead = 0;
  /** Phase tag a new completion entry carries; flips at each wrap. */
  private cqPhase = 1;
  readonly reqs: NvmeRequest[] = [];
  /** Slots not owned by a command, the one freed last on top (its pages are the warmest). */
  private readonly freeReqs: NvmeRequest[] = [];
  private readonly freeReqQueue = new CoQueue();
  /** Commands the device has been told about and not completed. */
  inflight = 0;
  /** Entries written since the last doorbell. */
  needKick = 0;
  /** Re-entrancy guard of processCompletion. */
  private busy = false;
  private freeWakePending = false;
  private readonly sqDoorbell: number;
  private readonly cqDoorbell: number;
  private readonly view: DataView;
  private readonly kickFn = (q: NvmeQueuePair): void => q.kick();

  constructor(
    private readonly bar: NvmeBar,
    private readonly dma: DmaMemory,
    private readonly ctx: AioContext,
    /** Queue identifier (0 = admin). */
    readonly index: number,
    /** Entries per ring. */
    readonly size: number,
    bounceBytes: number,
    /** aio-max-batch: most entries one doorbell write announces (0: the whole defer-call section). */
    private readonly maxBatch = 0,
  ) {
    this.view = dma.view;
    this.sq = dma.alloc(size * NVME_SQ_ENTRY_BYTES);
    this.cq = dma.alloc(size * NVME_CQ_ENTRY_BYTES);
    // One slot stays empty: a ring with head == tail + 1 is full.
    for (let i = 0; i < size - 1; i++) {
      this.reqs.push(new NvmeRequest(i + 1, dma.alloc(4096), bounceBytes > 0 ? dma.alloc(bounceBytes) : null));
    }
    for (let i = this.reqs.length - 1; i >= 0; i--) this.freeReqs.push(this.reqs[i]);
    this.sqDoorbell = nvmeDoorbellOffset(index, false);
    this.cqDoorbell = nvmeDoorbellOffset(index, true);
  }

  /** A free slot without waiting, or null (QEMU's nvme_get_free_req outside a coroutine). */
  tryGetFreeReq(): NvmeRequest | null {
    const r = this.freeReqs.pop();
    if (r === undefined) return null;
    r.busy = true;
    return r;
  }

  /** A free slot, waiting on the free-request queue while all are busy. */
  *getFreeReq(): Co<NvmeRequest> {
    for (;;) {
      const r = this.tryGetFreeReq();
      if (r !== null) return r;
      yield* this.freeReqQueue.wait();
    }
  }

  /** Give a slot back and let a waiter have it. */
  putReq(req: NvmeRequest): void {
    if (!req.busy) return;
    req.busy = false;
    req.cb = null;
    this.freeReqs.push(req);
    if (!this.freeReqQueue.isEmpty() && !this.freeWakePending) {
      // From a BH, as QEMU does, so a completion handler never runs waiters inside itself.
      this.freeWakePending = true;
      aioBhScheduleOneshot(this.ctx, (q: NvmeQueuePair) => {
        q.freeWakePending = false;
        while (q.freeReqs.length > 0 && q.freeReqQueue.enterNext());
      }, this);
    }
  }

  /** Waiters for a free slot (for tests). */
  get waiting(): number {
    return this.freeReqQueue.length;
  }

  /**
   * nvme_submit_command: put `cmd` (64 bytes) at the tail with the slot's CID and
   * arrange the doorbell write — at once outside a defer-call section, at its end
   * inside one.
   */
  submit(req: NvmeRequest, cmd: Uint8Array, cb: NvmeCompletionFunc): void {
    req.cb = cb;
    req.sqe.set(cmd);
    req.sqeView.setUint16(Sqe.CDW0 + 2, req.cid, true);
    this.place(req);
    // A long section does not keep the device idle: every maxBatch entries ring the doorbell at once.
    if (this.maxBatch > 0 && this.needKick >= this.maxBatch) this.kick();
    else deferCall(this.kickFn, this);
  }

  private place(req: NvmeRequest): void {
    this.dma.u8.set(req.sqe, this.sq.iova + this.sqTail * NVME_SQ_ENTRY_BYTES);
    this.sqTail = (this.sqTail + 1) % this.size;
    this.needKick++;
  }

  /** nvme_kick: tell the device about every entry written since the last doorbell. */
  kick(): void {
    if (this.needKick === 0) return;
    this.bar.write32(this.sqDoorbell, this.sqTail);
    this.inflight += this.needKick;
    this.needKick = 0;
  }

  /** Whether the next completion entry carries the current phase tag: one is posted and not consumed. */
  completionPosted(): boolean {
    if (this.inflight === 0) return false;
    const dw3 = Atomics.load(this.dma.i32, (this.cq.iova + this.cqHead * NVME_CQ_ENTRY_BYTES + Cqe.CID_STATUS) >> 2);
    return ((dw3 >>> 16) & 1) === this.cqPhase;
  }

  /**
   * nvme_process_completion: consume completion entries whose phase tag is the
   * current one, run their callbacks, then write the head doorbell once.
   */
  processCompletion(): boolean {
    if (this.busy) return false;
    this.busy = true;
    let progress = false;
    let failed = false;
    let failure: unknown;
    try {
      const i32 = this.dma.i32;
      while (this.inflight > 0) {
        const at = this.cq.iova + this.cqHead * NVME_CQ_ENTRY_BYTES;
        const dw3 = Atomics.load(i32, (at + Cqe.CID_STATUS) >> 2);
        if (((dw3 >>> 16) & 1) !== this.cqPhase) break;
        this.cqHead++;
        if (this.cqHead === this.size) {
          this.cqHead = 0;
          this.cqPhase ^= 1;
        }
        const cid = dw3 & 0xffff;
        const req = cid >= 1 && cid <= this.reqs.length ? (this.reqs[cid - 1]) : undefined;
        if (req === undefined || req.cb === null) {
          console.error(`Unexpected CID in completion queue: ${cid}`);
          continue;
        }
        this.inflight--;
        const cb = req.cb;
        req.cb = null;
        progress = true;
        try {
          cb(nvmeTranslateError(dw3 >>> 17), this.view.getUint32(at + Cqe.RESULT, true), req);
        } catch (err) {
          // A failing waiter must not strand the completions behind it.
          if (!failed) failure = err;
          failed = true;
        }
      }
      if (progress) this.bar.write32(this.cqDoorbell, this.cqHead);
    } finally {
      this.busy = false;
    }
    if (failed) throw failure;
    return progress;
  }

  /**
   * After a controller reset: empty rings, phase 1 again. Commands in flight are
   * returned (oldest first) so the caller can resubmit or fail them.
   */
  resetRings(): NvmeRequest[] {
    this.sq.bytes.fill(0);
    this.cq.bytes.fill(0);
    this.sqTail = 0;
    this.cqHead = 0;
    this.cqPhase = 1;
    this.inflight = 0;
    this.needKick = 0;
    return this.reqs.filter((r) => r.busy && r.cb !== null);
  }

  /** Put previously submitted commands back on the (reset) ring and ring the doorbell once. */
  resubmit(reqs: readonly NvmeRequest[]): void {
    for (const r of reqs) this.place(r);
    this.kick();
  }

  /** Complete commands that will never finish (device gone) with -EIO. */
  failAll(reqs: readonly NvmeRequest[], errno: number = Errno.EIO): void {
    for (const r of reqs) {
      const cb = r.cb;
      r.cb = null;
      cb?.(-errno, 0, r);
    }
  }

  /** Release the rings and slots back to DMA memory. */
  free(): void {
    for (const r of this.reqs) {
      this.dma.release(r.prpList);
      if (r.bounce) this.dma.release(r.bounce);
    }
    this.dma.release(this.sq);
    this.dma.release(this.cq);
  }
}
