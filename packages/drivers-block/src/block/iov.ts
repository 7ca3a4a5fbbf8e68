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
    return walkSegments(this.iov, offset, src.length, copyIn, src);
  }

  /** qemu_iovec_to_buf: copy `bytes` bytes starting at `offset` of the vector into `dst`. */
  toBufferAt(dst: Uint8Array, offset = 0, bytes = dst.length): number {
    return walkSegments(this.iov, offset, bytes, copyOut, dst);
  }

  /** qemu_iovec_memset: set `bytes` bytes from `offset` to `value`. */
  fill(value: number, offset = 0, bytes = this.size - offset): void {
    walkSegments(this.iov, offset, bytes, fillPart, value);
  }

  /** A vector viewing bytes [offset, offset+bytes) of this one, sharing memory (qemu_iovec_init_slice). */
  slice(offset: number, bytes: number): IoVector {
    const out: Uint8Array[] = [];
    walkSegments(this.iov, offset, bytes, viewPart, out);
    return new IoVector(out);
  }
}

/** What walkSegments does with each part: `n` bytes of `seg` from `at`, the `done`-th byte of the walk onwards. */
type SegmentPart<S> = (seg: Uint8Array, at: number, n: number, done: number, state: S) => void;

/**
 * The one walk over the segments for [offset, offset+bytes): calls `part` for
 * each piece with `state`, returns the bytes walked. The parts are module-level
 * functions and the per-call data goes in `state`, so a walk makes no closure.
 */
function walkSegments<S>(iov: readonly Uint8Array[], offset: number, bytes: number, part: SegmentPart<S>, state: S): number {
  let skip = offset;
  let done = 0;
  for (let i = 0; i < iov.length && done < bytes; i++) {
    const seg = iov[i];
    if (skip >= seg.length) {
      skip -= seg.length;
      continue;
    }
    const n = Math.min(seg.length - skip, bytes - done);
    part(seg, skip, n, done, state);
    done += n;
    skip = 0;
  }
  return done;
}

function copyIn(seg: Uint8Array, at: number, n: number, done: number, src: Uint8Array): void {
  // A driver that read in place into the segment has nothing to copy.
  if (seg.buffer !== src.buffer || seg.byteOffset + at !== src.byteOffset + done) seg.set(src.subarray(done, done + n), at);
}

function copyOut(seg: Uint8Array, at: number, n: number, done: number, dst: Uint8Array): void {
  dst.set(seg.subarray(at, at + n), done);
}

function fillPart(seg: Uint8Array, at: number, n: number, _done: number, value: number): void {
  seg.fill(value, at, at + n);
}

function viewPart(seg: Uint8Array, at: number, n: number, _done: number, out: Uint8Array[]): void {
  out.push(seg.subarray(at, at + n));
}
