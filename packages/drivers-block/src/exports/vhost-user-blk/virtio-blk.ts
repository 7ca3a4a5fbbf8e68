/**
 * The virtio-blk device (virtio 1.x, 5.2) over BlockBackend: requests taken
 * from a virtqueue become one coroutine each (blk_co_preadv / pwritev / flush /
 * pwrite_zeroes), and each completion returns its chain with a virtio status
 * byte. The config space and feature bits are the ones QEMU's vhost-user-blk
 * export offers: flush, discard and write-zeroes (one segment each), multiqueue,
 * read-only when not writable, a logical block size.
 */
import { aioCoEnter, coroutineCreate, getMainAioContext, type Co } from '@qco/core';
import type { BlockBackend } from '../../block/block-backend.js';
import { BlockError } from '../../block/errors.js';
import { IoVector } from '../../block/iov.js';
import type { VirtqElement } from './virtqueue.js';

/** Request types (VIRTIO_BLK_T_*). */
export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
export const VIRTIO_BLK_T_DISCARD = 11;
export const VIRTIO_BLK_T_WRITE_ZEROES = 13;
/** Status codes (VIRTIO_BLK_S_*). */
export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;

/** Device feature bits (VIRTIO_BLK_F_*), as bigint masks. */
export const VIRTIO_BLK_F_SIZE_MAX = 1n << 1n;
export const VIRTIO_BLK_F_SEG_MAX = 1n << 2n;
export const VIRTIO_BLK_F_RO = 1n << 5n;
export const VIRTIO_BLK_F_BLK_SIZE = 1n << 6n;
export const VIRTIO_BLK_F_FLUSH = 1n << 9n;
export const VIRTIO_BLK_F_TOPOLOGY = 1n << 10n;
export const VIRTIO_BLK_F_CONFIG_WCE = 1n << 11n;
export const VIRTIO_BLK_F_MQ = 1n << 12n;
export const VIRTIO_BLK_F_DISCARD = 1n << 13n;
export const VIRTIO_BLK_F_WRITE_ZEROES = 1n << 14n;

const VIRTIO_BLK_SECTOR_SIZE = 512;
const VIRTIO_BLK_ID_BYTES = 20;
const VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP = 1;
/** Sectors per discard / write-zeroes request we advertise (QEMU's export uses the same bound). */
const VIRTIO_BLK_MAX_DISCARD_SECTORS = 32768;
const VIRTIO_BLK_MAX_WRITE_ZEROES_SECTORS = 32768;
/** Offset of virtio_blk_config's `writeback` byte (the cache mode the driver may toggle). */
const VIRTIO_BLK_CONFIG_WRITEBACK = 32;
/** The virtio_blk_config size up to write_zeroes_may_unmap and its padding. */
const VIRTIO_BLK_CONFIG_SIZE = 60;

/** What a device needs to know to build its config space and check requests. */
export interface VirtioBlkOptions {
  readonly blk: BlockBackend;
  readonly writable: boolean;
  readonly numQueues: number;
  /** Logical block size in bytes (512 by default; a power of two 512..32768). */
  readonly logicalBlockSize: number;
  /** Serial returned by GET_ID (at most 20 bytes used). */
  readonly serial: string;
  /** The largest number of data segments per request (seg_max). */
  readonly segMax: number;
}

/** Requests seen by a device, by type. */
export interface VirtioBlkRequestCounts {
  in: number;
  out: number;
  flush: number;
  getId: number;
  discard: number;
  writeZeroes: number;
  other: number;
}

const COUNT_KEYS: Readonly<Record<number, keyof VirtioBlkRequestCounts>> = {
  [VIRTIO_BLK_T_IN]: 'in',
  [VIRTIO_BLK_T_OUT]: 'out',
  [VIRTIO_BLK_T_FLUSH]: 'flush',
  [VIRTIO_BLK_T_GET_ID]: 'getId',
  [VIRTIO_BLK_T_DISCARD]: 'discard',
  [VIRTIO_BLK_T_WRITE_ZEROES]: 'writeZeroes',
};

/** Where a finished request goes: its chain and the bytes written into the chain. */
export type VirtioBlkComplete = (el: VirtqElement, written: number) => void;

/** A virtio-blk device over one BlockBackend. */
export class VirtioBlkDevice {
  /** Bytes of the disk, read once at start. */
  readonly capacity: number;
  /** Requests answered with IOERR or UNSUPP, or dropped as malformed. */
  failures = 0;
  /** Requests seen, by type. */
  readonly counts: VirtioBlkRequestCounts = { in: 0, out: 0, flush: 0, getId: 0, discard: 0, writeZeroes: 0, other: 0 };
  /**
   * The config space's writeback flag. Off at start, as QEMU's export has it:
   * the guest sees a write-through cache, so each write is durable when it
   * completes (FUA) and the guest sends no flushes of its own.
   */
  writeback = false;

  constructor(
    readonly opts: VirtioBlkOptions,
    capacity: number,
  ) {
    this.capacity = capacity;
  }

  /** The device feature bits (before the transport's). */
  features(): bigint {
    // SIZE_MAX with size_max 0, as QEMU's export: the guest then sends page-sized segments, seg_max of them per request.
    let f = VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_TOPOLOGY | VIRTIO_BLK_F_MQ | VIRTIO_BLK_F_CONFIG_WCE;
    f |= VIRTIO_BLK_F_DISCARD | VIRTIO_BLK_F_WRITE_ZEROES;
    if (!this.opts.writable) f |= VIRTIO_BLK_F_RO;
    return f;
  }

  /** struct virtio_blk_config, little-endian. */
  config(): Uint8Array {
    const b = new Uint8Array(VIRTIO_BLK_CONFIG_SIZE);
    const dv = new DataView(b.buffer);
    const lbs = this.opts.logicalBlockSize;
    dv.setBigUint64(0, BigInt(Math.floor(this.capacity / VIRTIO_BLK_SECTOR_SIZE)), true);
    dv.setUint32(8, 0, true); // size_max
    dv.setUint32(12, this.opts.segMax, true);
    dv.setUint32(20, lbs, true);
    dv.setUint8(24, 0); // physical_block_exp
    dv.setUint16(26, 1, true); // min_io_size in logical blocks
    dv.setUint32(28, 0, true); // opt_io_size
    dv.setUint8(VIRTIO_BLK_CONFIG_WRITEBACK, this.writeback ? 1 : 0);
    dv.setUint16(34, this.opts.numQueues, true);
    dv.setUint32(36, VIRTIO_BLK_MAX_DISCARD_SECTORS, true);
    dv.setUint32(40, 1, true);
    dv.setUint32(44, lbs / VIRTIO_BLK_SECTOR_SIZE, true);
    dv.setUint32(48, VIRTIO_BLK_MAX_WRITE_ZEROES_SECTORS, true);
    dv.setUint32(52, 1, true);
    dv.setUint8(56, 1); // write_zeroes_may_unmap
    return b;
  }

  /** A driver's config write: only the writeback byte may change (as QEMU's export allows); false refuses it. */
  setConfig(offset: number, data: Uint8Array): boolean {
    if (offset !== VIRTIO_BLK_CONFIG_WRITEBACK || data.length !== 1) return false;
    this.writeback = data[0] !== 0;
    return true;
  }

  /** Start `el` as a coroutine on the main AioContext; `done` runs when it finishes. */
  submit(el: VirtqElement, done: VirtioBlkComplete): void {
    aioCoEnter(getMainAioContext(), coroutineCreate(requestCoroutine, { dev: this, el, done }));
  }

  /** Run one request; returns the status byte and the data bytes written into the chain. */
  *handle(el: VirtqElement): Co<{ status: number; written: number }> {
    const hdr = new Uint8Array(16);
    const inBytes = totalBytes(el.in);
    if (copyFrom(el.out, 0, hdr) < 16 || inBytes < 1) return { status: -1, written: 0 };
    const dv = new DataView(hdr.buffer);
    const type = dv.getUint32(0, true);
    const sector = dv.getBigUint64(8, true);
    const dataIn = sliceSegments(el.in, 0, inBytes - 1);
    const outBytes = totalBytes(el.out);
    this.counts[COUNT_KEYS[type] ?? 'other']++;
    try {
      switch (type) {
        case VIRTIO_BLK_T_IN:
        case VIRTIO_BLK_T_OUT: {
          const write = type === VIRTIO_BLK_T_OUT;
          const segs = write ? sliceSegments(el.out, 16, outBytes - 16) : dataIn;
          const bytes = totalBytes(segs);
          const offset = this.checkRange(sector, bytes);
          if (offset < 0) return this.fail(VIRTIO_BLK_S_IOERR);
          if (write && !this.opts.writable) return this.fail(VIRTIO_BLK_S_IOERR);
          if (bytes === 0) return { status: VIRTIO_BLK_S_OK, written: 0 };
          const qiov = new IoVector(segs);
          if (write) yield* this.opts.blk.coPwritev(offset, bytes, qiov, this.writeback ? {} : { fua: true });
          else yield* this.opts.blk.coPreadv(offset, bytes, qiov);
          return { status: VIRTIO_BLK_S_OK, written: write ? 0 : bytes };
        }
        case VIRTIO_BLK_T_FLUSH:
          yield* this.opts.blk.coFlush();
          return { status: VIRTIO_BLK_S_OK, written: 0 };
        case VIRTIO_BLK_T_GET_ID: {
          const id = new TextEncoder().encode(this.opts.serial).subarray(0, VIRTIO_BLK_ID_BYTES);
          const padded = new Uint8Array(Math.min(VIRTIO_BLK_ID_BYTES, inBytes - 1));
          padded.set(id.subarray(0, padded.length));
          return { status: VIRTIO_BLK_S_OK, written: copyTo(dataIn, padded) };
        }
        case VIRTIO_BLK_T_DISCARD:
        case VIRTIO_BLK_T_WRITE_ZEROES:
          return yield* this.discardOrZeroes(type === VIRTIO_BLK_T_WRITE_ZEROES, sliceSegments(el.out, 16, outBytes - 16));
        default:
          return this.fail(VIRTIO_BLK_S_UNSUPP);
      }
    } catch (err) {
      if (err instanceof BlockError) return this.fail(VIRTIO_BLK_S_IOERR);
      throw err;
    }
  }

  private *discardOrZeroes(zeroes: boolean, segs: Uint8Array[]): Co<{ status: number; written: number }> {
    const seg = new Uint8Array(16);
    // One segment per request, as max_discard_seg / max_write_zeroes_seg say.
    if (totalBytes(segs) !== 16 || copyFrom(segs, 0, seg) !== 16) return this.fail(VIRTIO_BLK_S_UNSUPP);
    if (!this.opts.writable) return this.fail(VIRTIO_BLK_S_IOERR);
    const dv = new DataView(seg.buffer);
    const sector = dv.getBigUint64(0, true);
    const sectors = dv.getUint32(8, true);
    const flags = dv.getUint32(12, true);
    const max = zeroes ? VIRTIO_BLK_MAX_WRITE_ZEROES_SECTORS : VIRTIO_BLK_MAX_DISCARD_SECTORS;
    if (sectors > max) return this.fail(VIRTIO_BLK_S_IOERR);
    if (zeroes ? (flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) !== 0 : flags !== 0) return this.fail(VIRTIO_BLK_S_UNSUPP);
    const bytes = sectors * VIRTIO_BLK_SECTOR_SIZE;
    const offset = this.checkRange(sector, bytes);
    if (offset < 0) return this.fail(VIRTIO_BLK_S_IOERR);
    if (zeroes) yield* this.opts.blk.coPwriteZeroes(offset, bytes, { mayUnmap: (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) !== 0 });
    else yield* this.opts.blk.coPdiscard(offset, bytes); // advisory: a node without discard keeps its data
    return { status: VIRTIO_BLK_S_OK, written: 0 };
  }

  /** The byte offset of a request, or -1 when it is misaligned or past the end. */
  private checkRange(sector: bigint, bytes: number): number {
    const lbs = this.opts.logicalBlockSize;
    if (sector > BigInt(Math.floor(Number.MAX_SAFE_INTEGER / VIRTIO_BLK_SECTOR_SIZE))) return -1;
    const offset = Number(sector) * VIRTIO_BLK_SECTOR_SIZE;
    if (offset % lbs !== 0 || bytes % lbs !== 0) return -1;
    if (offset > this.capacity || this.capacity - offset < bytes) return -1;
    return offset;
  }

  private fail(status: number): { status: number; written: number } {
    this.failures++;
    return { status, written: 0 };
  }
}

interface RequestArgs {
  readonly dev: VirtioBlkDevice;
  readonly el: VirtqElement;
  readonly done: VirtioBlkComplete;
}

function* requestCoroutine(a: RequestArgs): Co {
  let r: { status: number; written: number };
  try {
    r = yield* a.dev.handle(a.el);
  } catch {
    // Not a block-layer error: still answer the guest, never leave its request hanging.
    a.dev.failures++;
    r = { status: VIRTIO_BLK_S_IOERR, written: 0 };
  }
  if (r.status < 0) {
    // No room for a header or a status byte: nothing to answer in, return the chain empty.
    a.dev.failures++;
    a.done(a.el, 0);
    return;
  }
  const inSegs = a.el.in;
  const last = inSegs[inSegs.length - 1];
  last[last.length - 1] = r.status;
  a.done(a.el, r.written + 1);
}

function totalBytes(segs: Uint8Array[]): number {
  let n = 0;
  for (const s of segs) n += s.length;
  return n;
}

/** Views of `bytes` bytes of `segs` starting at `skip`. */
function sliceSegments(segs: Uint8Array[], skip: number, bytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const s of segs) {
    if (bytes <= 0) break;
    if (skip >= s.length) {
      skip -= s.length;
      continue;
    }
    const n = Math.min(s.length - skip, bytes);
    out.push(s.subarray(skip, skip + n));
    bytes -= n;
    skip = 0;
  }
  return out;
}

function copyFrom(segs: Uint8Array[], skip: number, into: Uint8Array): number {
  let got = 0;
  for (const s of sliceSegments(segs, skip, into.length)) {
    into.set(s, got);
    got += s.length;
  }
  return got;
}

function copyTo(segs: Uint8Array[], from: Uint8Array): number {
  let at = 0;
  for (const s of segs) {
    if (at >= from.length) break;
    const n = Math.min(s.length, from.length - at);
    s.set(from.subarray(at, at + n));
    at += n;
  }
  return at;
}
