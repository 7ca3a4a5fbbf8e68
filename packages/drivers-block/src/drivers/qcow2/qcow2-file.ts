/**
 * The qcow2 driver's view of its `file` child: byte-granular reads and writes
 * of host offsets (through the generic request path, so any protocol's
 * alignment and max_transfer apply), with reads past the end of the host
 * file returning zeroes, as the format expects of a growing image.
 */
import type { Co } from '@qco/core';
import type { BlockDriverState } from '../../block/block-driver.js';
import { bdrvCoPreadv, bdrvCoPwritev } from '../../block/io.js';
import { IoVector } from '../../block/iov.js';

/** Host-file access a format driver needs. */
export interface HostFile {
  /** Read `buf.length` bytes at `offset`; zeroes past the end of the file. */
  pread(offset: number, buf: Uint8Array): Co;
  /** Read into an I/O vector. */
  preadv(offset: number, qiov: IoVector): Co;
  /** Write `buf` at `offset`, growing the file as needed. */
  pwrite(offset: number, buf: Uint8Array): Co;
  /** Write an I/O vector. */
  pwritev(offset: number, qiov: IoVector): Co;
  /** Make completed writes durable. */
  flush(): Co;
  /** Current length of the host file (asks the protocol). */
  length(): Co<number>;
  /** Length as last known: refreshed by length(), grown by writes. */
  readonly size: number;
  /**
   * Host bytes from here on lay past the end of the file whenever its length
   * was asked and no write to them has been issued since, so they read as
   * zeroes (Infinity until the length was first asked). Lets an allocation
   * there skip writing copy-on-write zeroes.
   */
  readonly untouchedFrom: number;
  /** Set the host file's length (when the protocol can). */
  truncate(size: number): Co;
}

/** A HostFile over a protocol node. */
export class ChildHostFile implements HostFile {
  size = 0;
  untouchedFrom = Infinity;
  constructor(readonly bs: BlockDriverState) {}

  /** Raise untouchedFrom over a write about to be issued (before it runs: a failed one may have landed partly). */
  private touch(end: number): void {
    if (end > this.untouchedFrom) this.untouchedFrom = end;
  }

  *pread(offset: number, buf: Uint8Array): Co {
    yield* this.preadv(offset, new IoVector(buf));
  }

  preadv(offset: number, qiov: IoVector): Co {
    // Inside the file as we know it: the request itself, with no frame of ours around it.
    if (offset + qiov.size <= this.size) return bdrvCoPreadv(this.bs, offset, qiov.size, qiov);
    return this.preadvNearEnd(offset, qiov);
  }

  private *preadvNearEnd(offset: number, qiov: IoVector): Co {
    // Ask the protocol only when the request reaches past what we know of the file.
    const len = Math.max(this.size, yield* this.length());
    const bytes = qiov.size;
    const inside = Math.max(0, Math.min(bytes, len - offset));
    if (inside > 0) yield* bdrvCoPreadv(this.bs, offset, inside, inside === bytes ? qiov : qiov.slice(0, inside));
    if (inside < bytes) qiov.fill(0, inside, bytes - inside);
  }

  *pwrite(offset: number, buf: Uint8Array): Co {
    this.touch(offset + buf.length);
    yield* bdrvCoPwritev(this.bs, offset, buf.length, new IoVector(buf));
    if (offset + buf.length > this.size) this.size = offset + buf.length;
  }

  pwritev(offset: number, qiov: IoVector): Co {
    const end = offset + qiov.size;
    this.touch(end);
    // Inside the file as we know it: the request itself, with no frame of ours around it.
    if (end <= this.size) return bdrvCoPwritev(this.bs, offset, qiov.size, qiov);
    return this.pwritevGrow(offset, qiov);
  }

  private *pwritevGrow(offset: number, qiov: IoVector): Co {
    yield* bdrvCoPwritev(this.bs, offset, qiov.size, qiov);
    if (offset + qiov.size > this.size) this.size = offset + qiov.size;
  }

  *flush(): Co {
    if (this.bs.flags.cacheNoFlush) return;
    yield* this.bs.coFlush();
  }

  *length(): Co<number> {
    this.size = yield* this.bs.coGetLength();
    // Whatever lies below the length may hold data; only above the highest length seen is known zero.
    if (this.untouchedFrom === Infinity || this.size > this.untouchedFrom) this.untouchedFrom = this.size;
    return this.size;
  }

  *truncate(size: number): Co {
    this.touch(size);
    if (this.bs.coTruncate !== undefined) {
      yield* this.bs.coTruncate(size, false, 'off');
      this.size = size;
    }
  }
}

/** A HostFile in memory (tests, fuzzing, scratch images). */
export class MemoryHostFile implements HostFile {
  private data: Uint8Array;
  private len: number;
  private highest: number;

  get size(): number {
    return this.len;
  }

  get untouchedFrom(): number {
    return this.highest;
  }

  constructor(initial: Uint8Array = new Uint8Array(0)) {
    this.data = initial.slice();
    this.len = initial.length;
    this.highest = initial.length;
  }

  /** The file's bytes now. */
  bytes(): Uint8Array {
    return this.data.subarray(0, this.len);
  }

  private grow(to: number): void {
    if (to <= this.data.length) return;
    const n = new Uint8Array(Math.max(to, this.data.length * 2));
    n.set(this.data.subarray(0, this.len));
    this.data = n;
  }

  *pread(offset: number, buf: Uint8Array): Co {
    buf.fill(0);
    if (offset < this.len) buf.set(this.data.subarray(offset, Math.min(this.len, offset + buf.length)));
  }

  *preadv(offset: number, qiov: IoVector): Co {
    const b = new Uint8Array(qiov.size);
    yield* this.pread(offset, b);
    qiov.fromBuffer(b);
  }

  *pwrite(offset: number, buf: Uint8Array): Co {
    this.grow(offset + buf.length);
    this.data.set(buf, offset);
    this.len = Math.max(this.len, offset + buf.length);
    this.highest = Math.max(this.highest, this.len);
  }

  *pwritev(offset: number, qiov: IoVector): Co {
    yield* this.pwrite(offset, qiov.toBuffer());
  }

  *flush(): Co {}

  *length(): Co<number> {
    return this.len;
  }

  *truncate(size: number): Co {
    this.grow(size);
    if (size < this.len) this.data.fill(0, size, this.len);
    this.len = size;
    this.highest = Math.max(this.highest, size);
  }
}
