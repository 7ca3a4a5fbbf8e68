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
import { IoVector } from '../../block/iov.js';
import type { BlockRequestFlags } from '../../block/block-driver.js';
import type { VirtqElement } from './virtqueue.js';

const NO_FLAGS: BlockRequestFlags = Object.freeze({});
const FUA: BlockRequestFlags = Object.freeze({ fua: true });

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
  /** The export's writethrough option: the backend's write cache starts off (every write FUA) when true. */
  readonly writethrough?: boolean;
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
   * The config space's writeback flag (wce). Off at start, as QEMU's export
   * has it: the guest sees a write-through cache and sends no flushes.
   */
  writeback = false;
  /**
   * The backend's write cache (blk_enable_write_cache): while off, every write
   * is FUA. As in qemu-storage-daemon, it starts as the export's writethrough
   * option says (on unless writethrough=on), whatever the config byte shows,
   * and a driver's SET_CONFIG of wce sets both.
   */
  writeCache: boolean;
  /** Scratch for a header split over segments (read before the request first yields). */
  private readonly hdr = new Uint8Array(16);

  constructor(
    readonly opts: VirtioBlkOptions,
    capacity: number,
  ) {
    this.capacity = capacity;
    this.writeCache = opts.writethrough !== true;
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
    dv.setUint32(28, 1, true); // opt_io_size in logical blocks, as QEMU's export
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
    this.writeCache = this.writeback;
    return true;
  }

  /** Start `el` as a coroutine on the main AioContext; `done` runs when it finishes. */
  submit(el: VirtqElement, done: VirtioBlkComplete): void {
    // The element's request object is reused: its head is not popped again before this one completes.
    let req = el.deviceData as VirtioBlkRequest | null;
    if (req === null || req.dev !== this) el.deviceData = req = new VirtioBlkRequest(this, el);
    req.done = done;
    req.status = null;
    req.written = 0;
    req.type = 0;
    aioCoEnter(getMainAioContext(), coroutineCreate(requestCoroutine, req));
  }

  /**
   * Take one request apart without yielding: its status byte when it is
   * answered already (-1: no room for a header or a status byte), REQ_RW when
   * it is a read or write whose range and vector are now in `req`, REQ_OTHER
   * for the types `handleOther` runs. The usual chain (a 16-byte header
   * segment, data, a 1-byte status segment) is parsed in place: the element's
   * own segment lists become the I/O vector.
   */
  begin(req: VirtioBlkRequest): number {
    const el = req.el;
    const out = el.out;
    const ins = el.in;
    if (out.length === 0 || ins.length === 0) return -1;
    const first = out[0];
    const last = ins[ins.length - 1];
    if (last.length === 0) return -1;
    let type: number;
    let sectorLo: number;
    let sectorHi: number;
    if (first.length >= 16) {
      type = le32(first, 0);
      sectorLo = le32(first, 8);
      sectorHi = le32(first, 12);
    } else {
      const hdr = this.hdr;
      if (copyFrom(out, 0, hdr) < 16) return -1;
      type = le32(hdr, 0);
      sectorLo = le32(hdr, 8);
      sectorHi = le32(hdr, 12);
    }
    // The status byte is the chain's last; it leaves the data segments.
    req.status = last;
    if (last.length === 1) ins.pop();
    else ins[ins.length - 1] = last.subarray(0, last.length - 1);
    // The header leaves the device-readable segments.
    if (first.length === 16) out.shift();
    else if (first.length > 16) out[0] = first.subarray(16);
    else el.out = sliceSegments(out, 16, totalBytes(out) - 16);
    this.counts[COUNT_KEYS[type] ?? 'other']++;
    req.type = type;
    if (type !== VIRTIO_BLK_T_IN && type !== VIRTIO_BLK_T_OUT) return REQ_OTHER;
    const write = type === VIRTIO_BLK_T_OUT;
    const qiov = new IoVector(write ? el.out : ins);
    const bytes = qiov.size;
    const offset = this.checkRange(sectorLo, sectorHi, bytes);
    if (offset < 0) return this.fail(VIRTIO_BLK_S_IOERR);
    if (write && !this.opts.writable) return this.fail(VIRTIO_BLK_S_IOERR);
    if (bytes === 0) return VIRTIO_BLK_S_OK;
    req.qiov = qiov;
    req.offset = offset;
    return REQ_RW;
  }

  /** The request types other than IN and OUT, once `begin` has taken the request apart: their status byte. */
  *handleOther(req: VirtioBlkRequest): Co<number> {
    const ins = req.el.in;
    switch (req.type) {
      case VIRTIO_BLK_T_FLUSH:
        yield* this.opts.blk.coFlush();
        return VIRTIO_BLK_S_OK;
      case VIRTIO_BLK_T_GET_ID: {
        const id = new TextEncoder().encode(this.opts.serial).subarray(0, VIRTIO_BLK_ID_BYTES);
        const padded = new Uint8Array(Math.min(VIRTIO_BLK_ID_BYTES, totalBytes(ins)));
        padded.set(id.subarray(0, padded.length));
        req.written = copyTo(ins, padded);
        return VIRTIO_BLK_S_OK;
      }
      case VIRTIO_BLK_T_DISCARD:
      case VIRTIO_BLK_T_WRITE_ZEROES:
        return yield* this.discardOrZeroes(req.type === VIRTIO_BLK_T_WRITE_ZEROES, req.el.out);
      default:
        return this.fail(VIRTIO_BLK_S_UNSUPP);
    }
  }

  private *discardOrZeroes(zeroes: boolean, segs: Uint8Array[]): Co<number> {
    const seg = new Uint8Array(16);
    // One segment per request, as max_discard_seg / max_write_zeroes_seg say.
    if (totalBytes(segs) !== 16 || copyFrom(segs, 0, seg) !== 16) return this.fail(VIRTIO_BLK_S_UNSUPP);
    if (!this.opts.writable) return this.fail(VIRTIO_BLK_S_IOERR);
    const sectors = le32(seg, 8);
    const flags = le32(seg, 12);
    const max = zeroes ? VIRTIO_BLK_MAX_WRITE_ZEROES_SECTORS : VIRTIO_BLK_MAX_DISCARD_SECTORS;
    if (sectors > max) return this.fail(VIRTIO_BLK_S_IOERR);
    if (zeroes ? (flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) !== 0 : flags !== 0) return this.fail(VIRTIO_BLK_S_UNSUPP);
    const bytes = sectors * VIRTIO_BLK_SECTOR_SIZE;
    const offset = this.checkRange(le32(seg, 0), le32(seg, 4), bytes);
    if (offset < 0) return this.fail(VIRTIO_BLK_S_IOERR);
    if (zeroes) yield* this.opts.blk.coPwriteZeroes(offset, bytes, { mayUnmap: (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) !== 0 });
    else yield* this.opts.blk.coPdiscard(offset, bytes); // advisory: a node without discard keeps its data
    return VIRTIO_BLK_S_OK;
  }

  /** The byte offset of a request at sector `hi:lo`, or -1 when it is misaligned or past the end. */
  private checkRange(lo: number, hi: number, bytes: number): number {
    const lbs = this.opts.logicalBlockSize;
    const offset = (hi * 0x100000000 + lo) * VIRTIO_BLK_SECTOR_SIZE;
    if (!Number.isSafeInteger(offset)) return -1;
    if (offset % lbs !== 0 || bytes % lbs !== 0) return -1;
    if (offset > this.capacity || this.capacity - offset < bytes) return -1;
    return offset;
  }

  /** Count a failed request; its status byte. */
  fail(status: number): number {
    this.failures++;
    return status;
  }
}

/** `begin`'s answer for a read or write to run. */
const REQ_RW = -2;
/** `begin`'s answer for a request `handleOther` runs. */
const REQ_OTHER = -3;

/** One request in flight: the coroutine's argument, one per virtqueue element and reused with it. */
class VirtioBlkRequest {
  /** The segment the status byte goes to (its last byte). */
  status: Uint8Array | null = null;
  /** Data bytes written into the chain. */
  written = 0;
  /** Where the finished request goes. */
  done: VirtioBlkComplete = noCompletion;
  /** The request type (VIRTIO_BLK_T_*), once parsed. */
  type = 0;
  /** A read's or write's byte offset and vector, once parsed. */
  offset = 0;
  qiov: IoVector | null = null;

  constructor(
    readonly dev: VirtioBlkDevice,
    readonly el: VirtqElement,
  ) {}
}

function noCompletion(): void {
  // replaced at submit
}

/** The request's coroutine: a read or write goes straight to the backend (no frame of its own between). */
function* requestCoroutine(req: VirtioBlkRequest): Co {
  const dev = req.dev;
  let status: number;
  try {
    status = dev.begin(req);
    if (status === REQ_RW) {
      const qiov = req.qiov as IoVector;
      const blk = dev.opts.blk;
      if (req.type === VIRTIO_BLK_T_OUT) {
        yield* blk.coPwritev(req.offset, qiov.size, qiov, dev.writeCache ? NO_FLAGS : FUA);
      } else {
        yield* blk.coPreadv(req.offset, qiov.size, qiov, NO_FLAGS);
        req.written = qiov.size;
      }
      status = VIRTIO_BLK_S_OK;
    } else if (status === REQ_OTHER) {
      status = yield* dev.handleOther(req);
    }
  } catch {
    // A block-layer error or anything else: still answer the guest, never leave its request hanging.
    status = dev.fail(VIRTIO_BLK_S_IOERR);
    req.written = 0;
  }
  req.qiov = null;
  const st = req.status;
  req.status = null;
  if (status < 0 || st === null) {
    // No room for a header or a status byte: nothing to answer in, return the chain empty.
    dev.failures++;
    req.done(req.el, 0);
    return;
  }
  st[st.length - 1] = status;
  req.done(req.el, req.written + 1);
}

/** A little-endian 32-bit word of `b` at `at`. */
function le32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;
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
