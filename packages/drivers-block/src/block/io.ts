/**
 * The generic request path between a BlockBackend and a driver (QEMU's
 * block/io.c, reduced to what our drivers need): it splits requests at the
 * driver's max_transfer, and pads unaligned ones to the driver's
 * request_alignment — reads through a bounce buffer, writes by
 * read-modify-write of the head and tail blocks. A padded write is serialised
 * against every overlapping write (QEMU's serialising requests), so two
 * read-modify-writes of one block cannot lose each other's bytes.
 */
import { CoQueue, type Co } from '@qco/core';
import type { BlockDriverState, BlockRequestFlags } from './block-driver.js';
import { RequestRangeError, UnalignedRequestError } from './errors.js';
import { Errno } from './errno.js';
import { IoVector } from './iov.js';

const NO_FLAGS: BlockRequestFlags = Object.freeze({});

interface Tracked {
  start: number;
  end: number;
  serialising: boolean;
}

/** Writes in flight per node, only tracked for nodes with request_alignment > 1. */
class WriteTracker {
  readonly inflight = new Set<Tracked>();
  readonly waiters = new CoQueue();

  conflicts(t: Tracked): boolean {
    for (const o of this.inflight) {
      if (o !== t && o.start < t.end && t.start < o.end && (o.serialising || t.serialising)) return true;
    }
    return false;
  }

  *begin(t: Tracked): Co {
    while (this.conflicts(t)) yield* this.waiters.wait();
    this.inflight.add(t);
  }

  end(t: Tracked): void {
    this.inflight.delete(t);
    this.waiters.restartAll();
  }
}

const trackers = new WeakMap<BlockDriverState, WriteTracker>();
function trackerOf(bs: BlockDriverState): WriteTracker {
  let t = trackers.get(bs);
  if (t === undefined) trackers.set(bs, (t = new WriteTracker()));
  return t;
}

/** Throw RequestRangeError unless offset and bytes are non-negative safe integers (QEMU's bdrv_check_request). */
export function checkRequest(offset: number, bytes: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(bytes) || offset < 0 || bytes < 0 || offset + bytes > Number.MAX_SAFE_INTEGER) {
    throw new RequestRangeError(`Invalid request: offset ${offset}, ${bytes} bytes`, Errno.EINVAL);
  }
}

/** Throw UnalignedRequestError unless the request is aligned for `bs` (for drivers checking their own inputs). */
export function assertAligned(bs: BlockDriverState, offset: number, bytes: number): void {
  const a = bs.requestAlignment;
  if (a > 1 && (offset % a !== 0 || bytes % a !== 0)) throw new UnalignedRequestError(offset, bytes, a);
}

function alignDown(n: number, a: number): number {
  return n - (n % a);
}
function alignUp(n: number, a: number): number {
  const r = n % a;
  return r === 0 ? n : n + (a - r);
}

/** Pass an aligned read to the driver, split at max_transfer. */
function* alignedReadv(bs: BlockDriverState, offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags): Co {
  const max = bs.maxTransfer ?? 0;
  if (max === 0 || bytes <= max) return yield* bs.coPreadv(offset, bytes, qiov, flags);
  yield* splitAtMaxTransfer(bs, false, max, offset, bytes, qiov, flags);
}

/** Pass an aligned write to the driver, split at max_transfer. */
function* alignedWritev(bs: BlockDriverState, offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags): Co {
  const max = bs.maxTransfer ?? 0;
  if (max === 0 || bytes <= max) return yield* bs.coPwritev(offset, bytes, qiov, flags);
  yield* splitAtMaxTransfer(bs, true, max, offset, bytes, qiov, flags);
}

/** A request larger than the driver's max_transfer, as pieces of at most `max` bytes in order (the common case above never gets here). */
function* splitAtMaxTransfer(bs: BlockDriverState, write: boolean, max: number, offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags): Co {
  for (let done = 0; done < bytes; ) {
    const n = Math.min(max, bytes - done);
    const part = qiov.slice(done, n);
    if (write) yield* bs.coPwritev(offset + done, n, part, flags);
    else yield* bs.coPreadv(offset + done, n, part, flags);
    done += n;
  }
}

/** bdrv_co_preadv: read `bytes` at `offset` into `qiov`, padding to the driver's alignment. */
export function* bdrvCoPreadv(bs: BlockDriverState, offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags = NO_FLAGS): Co {
  checkRequest(offset, bytes);
  if (bytes === 0) return;
  const a = bs.requestAlignment;
  if (a <= 1 || (offset % a === 0 && bytes % a === 0)) {
    const max = bs.maxTransfer ?? 0;
    // The common case goes straight to the driver: one generator frame fewer on every yield.
    if (max === 0 || bytes <= max) return yield* bs.coPreadv(offset, bytes, qiov, flags);
    return yield* alignedReadv(bs, offset, bytes, qiov, flags);
  }
  const start = alignDown(offset, a);
  const end = alignUp(offset + bytes, a);
  const bounce = new Uint8Array(end - start);
  yield* alignedReadv(bs, start, end - start, new IoVector(bounce), flags);
  qiov.fromBuffer(bounce.subarray(offset - start, offset - start + bytes));
}

/** bdrv_co_pwritev: write `qiov` at `offset`, read-modify-writing unaligned head and tail blocks. */
export function* bdrvCoPwritev(bs: BlockDriverState, offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags = NO_FLAGS): Co {
  checkRequest(offset, bytes);
  if (bytes === 0) return;
  const a = bs.requestAlignment;
  if (a <= 1) {
    const max = bs.maxTransfer ?? 0;
    if (max === 0 || bytes <= max) return yield* bs.coPwritev(offset, bytes, qiov, flags);
    return yield* alignedWritev(bs, offset, bytes, qiov, flags);
  }
  const aligned = offset % a === 0 && bytes % a === 0;
  const start = alignDown(offset, a);
  const end = alignUp(offset + bytes, a);
  const tracker = trackerOf(bs);
  const t: Tracked = { start, end, serialising: !aligned };
  yield* tracker.begin(t);
  try {
    if (aligned) return yield* alignedWritev(bs, offset, bytes, qiov, flags);
    const bounce = new Uint8Array(end - start);
    const length = yield* bs.coGetLength();
    // Head and tail blocks: read what is there (zeroes past the end), overlay, write back whole.
    const headEnd = Math.min(start + a, end);
    if (start < length) yield* alignedReadv(bs, start, a, new IoVector(bounce.subarray(0, a)), NO_FLAGS);
    if (end - a >= headEnd && end - a < length) {
      yield* alignedReadv(bs, end - a, a, new IoVector(bounce.subarray(end - a - start)), NO_FLAGS);
    }
    qiov.toBufferAt(bounce.subarray(offset - start), 0, bytes);
    yield* alignedWritev(bs, start, end - start, new IoVector(bounce), flags);
  } finally {
    tracker.end(t);
  }
}

/** bdrv_co_pwrite_zeroes: the driver's zero write when it has one, else zero buffers (unless noFallback). */
export function* bdrvCoPwriteZeroes(bs: BlockDriverState, offset: number, bytes: number, flags: BlockRequestFlags = NO_FLAGS): Co {
  checkRequest(offset, bytes);
  if (bytes === 0) return;
  const a = bs.requestAlignment;
  if (bs.coPwriteZeroes !== undefined && (a <= 1 || (offset % a === 0 && bytes % a === 0))) {
    const tracker = a > 1 ? trackerOf(bs) : undefined;
    const t: Tracked = { start: offset, end: offset + bytes, serialising: false };
    if (tracker) yield* tracker.begin(t);
    try {
      return yield* bs.coPwriteZeroes(offset, bytes, flags);
    } finally {
      tracker?.end(t);
    }
  }
  const chunk = 1 << 20;
  const zeroes = new Uint8Array(Math.min(bytes, chunk));
  for (let done = 0; done < bytes; ) {
    const n = Math.min(chunk, bytes - done);
    yield* bdrvCoPwritev(bs, offset + done, n, new IoVector(zeroes.subarray(0, n)), flags);
    done += n;
  }
}
