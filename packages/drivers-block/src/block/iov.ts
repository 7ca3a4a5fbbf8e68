/**
 * IoVector (QEMU's QEMUIOVector): a scatter/gather list of byte buffers that a
 * request reads into or writes from. Most drivers move bytes through one
 * contiguous buffer, so `toBuffer()` is zero-copy for a single segment and
 * `fromBuffer()` scatters a contiguous result back; vectored I/O (readv/writev)
 * keeps its segments until a driver asks.
 */

/** A scatter/gather list of byte buffers. */
export class IoVector {
  /** The segments, in order. */
  readonly iov: Uint8Array[];
  /** Total bytes over all segments. */
  readonly size: number;

  constructor(iov: Uint8Array[] | Uint8Array) {
    this.iov = iov instanceof Uint8Array ? [iov] : iov;
    let size = 0;
    for (const b of this.iov) size += b.length;
    this.size = size;
  }

  /** Number of segments (QEMU's niov). */
  get niov(): number {
    return this.iov.length;
  }

  /** The bytes as one buffer: the segment itself when there is one, else a copy. */
  toBuffer(): Uint8Array {
    if (this.iov.length === 1) return this.iov[0];
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const b of this.iov) {
      out.set(b, at);
      at += b.length;
    }
    return out;
  }

  /** qemu_iovec_from_buf: copy `src` into the vector starting at byte `offset`. Returns bytes copied. */
  fromBuffer(src: Uint8Array, offset = 0): number {
    let skip = offset;
    let from = 0;
    for (const b of this.iov) {
      if (from >= src.length) break;
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      const n = Math.min(b.length - skip, src.length - from);
      if (b.buffer !== src.buffer || b.byteOffset + skip !== src.byteOffset + from) b.set(src.subarray(from, from + n), skip);
      from += n;
      skip = 0;
    }
    return from;
  }

  /** qemu_iovec_to_buf: copy `bytes` bytes starting at `offset` of the vector into `dst`. */
  toBufferAt(dst: Uint8Array, offset = 0, bytes = dst.length): number {
    let skip = offset;
    let to = 0;
    for (const b of this.iov) {
      if (to >= bytes) break;
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      const n = Math.min(b.length - skip, bytes - to);
      dst.set(b.subarray(skip, skip + n), to);
      to += n;
      skip = 0;
    }
    return to;
  }

  /** qemu_iovec_memset: set `bytes` bytes from `offset` to `value`. */
  fill(value: number, offset = 0, bytes = this.size - offset): void {
    let skip = offset;
    let left = bytes;
    for (const b of this.iov) {
      if (left <= 0) break;
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      const n = Math.min(b.length - skip, left);
      b.fill(value, skip, skip + n);
      left -= n;
      skip = 0;
    }
  }

  /** A vector viewing bytes [offset, offset+bytes) of this one, sharing memory (qemu_iovec_init_slice). */
  slice(offset: number, bytes: number): IoVector {
    const out: Uint8Array[] = [];
    let skip = offset;
    let left = bytes;
    for (const b of this.iov) {
      if (left <= 0) break;
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      const n = Math.min(b.length - skip, left);
      out.push(b.subarray(skip, skip + n));
      left -= n;
      skip = 0;
    }
    return new IoVector(out);
  }
}
