/**
 * A thread pool specialised for file I/O. The core thread pool hands each
 * request to a worker with postMessage and gets the result back the same way,
 * which costs tens of microseconds a request — more than the disk at queue
 * depth 64. Here requests and completions travel through rings in shared
 * memory: submitting is a few stores and an Atomics.notify, and completions
 * reach the submitting AioContext through one EventNotifier (QEMU's linux-aio
 * completion path) whose handler drains the completion ring and wakes each
 * request's coroutine (aio_co_wake). The notifier is registered only while
 * requests are in flight, so an idle pool neither keeps the process alive nor
 * makes a blocking aio_poll wait for it; while requests are in flight the
 * workers are ref'd so the process waits for them.
 */
import type { Worker } from 'node:worker_threads';
import {
  EventNotifier,
  aioCoWake,
  aioSetEventNotifier,
  coroutineSelf,
  coroutineYield,
  getCurrentAioContext,
  type AioContext,
  type Co,
  type Coroutine,
} from '@qco/core';
import { allocAligned } from '../../block/aligned-memory.js';
import { CTL, FILE_IO_WORKER_SOURCE, OP, SLOT, SLOT_WORDS } from './file-io-worker-source.js';

/** Requests in flight at most (more wait for a free slot). */
export const FILE_IO_DEPTH = 128;
/** Bytes of bounce memory per slot; the file driver's max_transfer. */
export const FILE_IO_SLOT_BYTES = 256 * 1024;
/** Worker threads at most. */
export const FILE_IO_MAX_WORKERS = 32;

/** One request slot lent to a caller. */
export interface FileIoSlot {
  /** Index in the pool. */
  readonly index: number;
  /** The slot's page-aligned bounce memory. */
  readonly bytes: Uint8Array;
}

/** The per-thread pool. */
export class FileIoPool {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(CTL.WORDS * 4));
  private readonly sq = new Int32Array(new SharedArrayBuffer(FILE_IO_DEPTH * 4));
  private readonly cq = new Int32Array(new SharedArrayBuffer(FILE_IO_DEPTH * 4));
  private readonly slots = new Int32Array(new SharedArrayBuffer(FILE_IO_DEPTH * SLOT_WORDS * 4));
  private readonly pos = new Float64Array(new SharedArrayBuffer(FILE_IO_DEPTH * 8));
  private readonly mem = allocAligned(FILE_IO_DEPTH * FILE_IO_SLOT_BYTES);
  private readonly free: number[] = [];
  private readonly waiting = new Map<number, Coroutine>();
  private readonly slotWaiters: Coroutine[] = [];
  private readonly views: Uint8Array[] = [];
  /** One slot object per index, handed out again and again (no allocation per request). */
  private readonly handles: FileIoSlot[] = [];
  private readonly workers: Worker[] = [];
  private readonly notifier = new EventNotifier();
  private cqConsumed = 0;
  private inflight = 0;
  private ctx: AioContext | null = null;
  private keepAlive: ReturnType<typeof setInterval> | null = null;

  constructor() {
    for (let i = FILE_IO_DEPTH - 1; i >= 0; i--) {
      this.free.push(i);
      this.views[i] = new Uint8Array(this.mem, i * FILE_IO_SLOT_BYTES, FILE_IO_SLOT_BYTES);
    }
    for (let i = 0; i < FILE_IO_DEPTH; i++) this.handles[i] = { index: i, bytes: this.views[i] };
  }

  /** A free slot now, or undefined when all are busy (then `acquire` waits for one): no coroutine frame when one is free. */
  tryAcquire(): FileIoSlot | undefined {
    const idx = this.free.pop();
    return idx === undefined ? undefined : this.handles[idx];
  }

  /** Take a free slot, waiting (in the coroutine) while all are busy. */
  *acquire(): Co<FileIoSlot> {
    let idx = this.free.pop();
    while (idx === undefined) {
      this.slotWaiters.push(coroutineSelf());
      yield* coroutineYield();
      idx = this.free.pop();
    }
    return this.handles[idx];
  }

  /** Give a slot back. */
  release(slot: FileIoSlot): void {
    this.free.push(slot.index);
    const w = this.slotWaiters.shift();
    if (w !== undefined) aioCoWake(w);
  }

  /** Run one operation on `slot` in a worker and yield until it is done; returns bytes or -errno. */
  *run(slot: FileIoSlot, op: number, fd: number, pos: number, len: number): Co<number> {
    const i = slot.index;
    const b = i * SLOT_WORDS;
    this.slots[b + SLOT.OP] = op;
    this.slots[b + SLOT.FD] = fd;
    this.slots[b + SLOT.LEN] = len;
    this.slots[b + SLOT.MEM] = i * FILE_IO_SLOT_BYTES;
    this.pos[i] = pos;
    this.waiting.set(i, coroutineSelf());
    if (this.inflight++ === 0) this.activate();
    if (this.workers.length < FILE_IO_MAX_WORKERS && this.workers.length < this.inflight) this.spawn();
    const p = this.ctl[CTL.SQ_PRODUCED];
    this.sq[p % FILE_IO_DEPTH] = i;
    Atomics.store(this.ctl, CTL.SQ_PRODUCED, p + 1);
    Atomics.notify(this.ctl, CTL.SQ_PRODUCED, 1);
    while (this.waiting.has(i)) yield* coroutineYield();
    return this.slots[b + SLOT.RESULT];
  }

  private activate(): void {
    this.ctx = getCurrentAioContext();
    aioSetEventNotifier(this.ctx, this.notifier, () => this.drain());
    for (const w of this.workers) w.ref();
    // Requests in flight keep the process alive even before their worker exists.
    this.keepAlive = setInterval(() => undefined, 1 << 30);
  }

  private deactivate(): void {
    if (this.ctx) aioSetEventNotifier(this.ctx, this.notifier, null);
    this.ctx = null;
    for (const w of this.workers) w.unref();
    if (this.keepAlive !== null) clearInterval(this.keepAlive);
    this.keepAlive = null;
  }

  /** The notifier's handler: take every published completion and wake its coroutine. */
  private drain(): void {
    this.notifier.testAndClear();
    for (;;) {
      const at = this.cqConsumed % FILE_IO_DEPTH;
      const v = Atomics.load(this.cq, at);
      if (v === 0) break;
      Atomics.store(this.cq, at, 0);
      this.cqConsumed++;
      const i = v - 1;
      const co = this.waiting.get(i);
      this.waiting.delete(i);
      if (--this.inflight === 0) this.deactivate();
      if (co !== undefined) aioCoWake(co);
    }
  }

  private spawn(): void {
    // Each worker gets its own handle: a MessagePort moves to one thread only.
    const shared = this.notifier.share();
    // node:worker_threads loads with the first worker, not with the driver.
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    const w = new Worker(FILE_IO_WORKER_SOURCE, {
      eval: true,
      workerData: {
        ctl: this.ctl,
        sq: this.sq,
        cq: this.cq,
        slots: this.slots,
        pos: this.pos,
        mem: this.mem,
        flag: shared.flag,
        wake: shared.wake,
        port: shared.port,
        depth: FILE_IO_DEPTH,
      },
      transferList: [shared.port],
    });
    if (this.inflight === 0) w.unref();
    this.workers.push(w);
  }
}

export { OP };

let pool: FileIoPool | undefined;

/** This thread's file I/O pool (created on first use). */
export function fileIoPool(): FileIoPool {
  return (pool ??= new FileIoPool());
}
