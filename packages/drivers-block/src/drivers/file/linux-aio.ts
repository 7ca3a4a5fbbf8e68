/**
 * The file driver's native submission paths, from an optional N-API addon
 * (native/linux-aio.c): Linux native AIO (QEMU's block/linux-aio.c) over
 * io_submit / io_getevents, and a pthread pool in the manner of QEMU's
 * util/thread-pool.c (blocking pread / pwrite / fdatasync in up to 64 threads).
 * Requests are prepared into per-slot iocbs and submitted together when the
 * enclosing defer-call section ends, at most 32 per io_submit (QEMU's default
 * max batch), or at once outside a section; completions arrive through an
 * eventfd watched by libuv and wake each request's coroutine inside one
 * defer-call section, so the requests those coroutines submit next go out as
 * one batch. When the addon did not build or the kernel refuses io_setup,
 * `linuxAio()` returns null and the driver stays on the thread pool.
 */
import { loadPackageAddon } from './native-addon.js';
import { aioCoWake, coroutineSelf, coroutineYield, deferCall, deferCallBegin, deferCallEnd, type Co, type Coroutine } from '@qco/core';

/** What the addon exports. */
interface LinuxAioAddon {
  available(): boolean;
  open(depth: number, onComplete: (n: number) => void, ids: Int32Array, res: Int32Array, mode?: number, maxThreads?: number): unknown;
  prep(handle: unknown, slot: number, op: number, fd: number, buf: Uint8Array, len: number, pos: number, align?: number): boolean;
  prepv(handle: unknown, slot: number, op: number, fd: number, bufs: readonly Uint8Array[], pos: number, align: number): boolean;
  prepSpans(handle: unknown, slot: number, op: number, fd: number, base: Uint8Array, spans: Float64Array, n: number, pos: number, align: number): boolean;
  submit(handle: unknown): number;
  lastError(handle: unknown): number;
  close(handle: unknown): void;
  readNow(fd: number, buf: Uint8Array, len: number, pos: number): number;
}

/** The most segments one vectored request may have (the addon's PREP_MAX_IOV). */
const PREP_MAX_IOV = 256;

/** QEMU's default aio-max-batch for linux-aio. */
export const LINUX_AIO_MAX_BATCH = 32;

let addon: LinuxAioAddon | null | undefined;

function loadAddon(): LinuxAioAddon | null {
  // No io_setup probe here: io_destroy waits out an RCU grace period (~30 ms),
  // and the threads path never needs it; linuxAio() finds out by opening.
  if (addon === undefined) addon = loadPackageAddon('qco_linux_aio') as LinuxAioAddon | null;
  return addon;
}

const PENDING = 1;
const DONE = 2;

/** QEMU's thread-pool maximum. */
export const NATIVE_POOL_MAX_THREADS = 64;

/** One native context with `depth` slots (slot numbers are the file I/O pool's): mode 0 linux-aio, mode 1 threads, mode 2 io_uring. */
export class LinuxAioContext {
  private readonly ids: Int32Array;
  private readonly res: Int32Array;
  private readonly results: Int32Array;
  private readonly state: Uint8Array;
  private readonly waiters: (Coroutine | null)[];
  private readonly pending: number[] = [];
  private readonly handle: unknown;
  private readonly maxBatch: number;
  /** (byte offset, length) of each segment of a vectored request whose segments share one buffer, for prepSpans. */
  private readonly spans = new Float64Array(2 * PREP_MAX_IOV);
  /** Batches handed to the kernel (io_submit / io_uring_enter calls), for the batching counters. */
  submits = 0;
  /** Requests handed to the kernel. */
  submitted = 0;

  constructor(
    private readonly a: LinuxAioAddon,
    depth: number,
    mode: 0 | 1 | 2 = 0,
  ) {
    this.ids = new Int32Array(depth);
    this.res = new Int32Array(depth);
    this.results = new Int32Array(depth);
    this.state = new Uint8Array(depth);
    this.waiters = new Array<Coroutine | null>(depth).fill(null);
    // io_submit batches are capped as QEMU caps linux-aio's; io_uring takes the whole ring at once, as QEMU's io_uring does.
    this.maxBatch = mode === 2 ? depth : LINUX_AIO_MAX_BATCH;
    this.handle = a.open(depth, (n) => this.complete(n), this.ids, this.res, mode, NATIVE_POOL_MAX_THREADS);
  }

  /** Read (op 0), write (op 1) or, on the thread pool and io_uring, flush (op 2) `len` bytes of `buf` at `pos` of `fd` on `slot`; yields until done; returns bytes or -errno. */
  *run(slot: number, op: 0 | 1 | 2, fd: number, buf: Uint8Array, pos: number, len: number): Co<number> {
    this.a.prep(this.handle, slot, op, fd, buf, len, pos);
    this.queue(slot);
    while (this.busy(slot)) yield coroutineYield();
    return this.take(slot);
  }

  /**
   * Read (op 0) or write (op 1) straight from `bufs` at `pos` (preadv / pwritev:
   * no bounce copy), when every segment's address and length are multiples of
   * `align`; returns bytes (possibly short) or -errno, or null when the request
   * was not taken (misaligned, too many segments) and needs the bounce path.
   */
  *runv(slot: number, op: 0 | 1, fd: number, bufs: readonly Uint8Array[], pos: number, align: number): Co<number | null> {
    if (!this.startv(slot, op, fd, bufs, pos, align)) return null;
    while (this.busy(slot)) yield coroutineYield();
    return this.take(slot);
  }

  /**
   * runv without the wait: queue the request and return whether it was taken.
   * The caller yields while `busy(slot)` and then calls `take(slot)`, so a
   * request's hot path has no generator frame of ours between it and its yield
   * (each frame is resumed again when the completion arrives).
   */
  startv(slot: number, op: 0 | 1, fd: number, bufs: readonly Uint8Array[], pos: number, align: number): boolean {
    // One segment (the common case) needs no array walk across N-API: prep checks its alignment itself.
    const n = bufs.length;
    let taken: boolean;
    if (n === 1) {
      const one = bufs[0];
      taken = this.a.prep(this.handle, slot, op, fd, one, one.length, pos, align);
    } else if (n > 1 && n <= PREP_MAX_IOV && this.spansOf(bufs)) {
      // Segments of one buffer (a guest's pages in its memory region) cross as one view and a
      // Float64Array of (offset, length): no element lookup and typed-array query per segment.
      taken = this.a.prepSpans(this.handle, slot, op, fd, new Uint8Array(bufs[0].buffer), this.spans, n, pos, align);
    } else {
      taken = this.a.prepv(this.handle, slot, op, fd, bufs, pos, align);
    }
    if (taken) this.queue(slot);
    return taken;
  }

  /** Fill `spans` with each segment's place in the first one's buffer; false when they do not all share it. */
  private spansOf(bufs: readonly Uint8Array[]): boolean {
    const spans = this.spans;
    const buffer = bufs[0].buffer;
    for (let i = 0; i < bufs.length; i++) {
      const b = bufs[i];
      if (b.buffer !== buffer) return false;
      spans[2 * i] = b.byteOffset;
      spans[2 * i + 1] = b.byteLength;
    }
    return true;
  }

  /** Whether `slot`'s request has not completed yet. */
  busy(slot: number): boolean {
    return this.state[slot] !== DONE;
  }

  /** The completed request's result (bytes or -errno); frees `slot` for the next one. */
  take(slot: number): number {
    this.state[slot] = 0;
    this.waiters[slot] = null;
    return this.results[slot];
  }

  /** Queue prepared `slot` for the next io_submit, to wake the calling coroutine when it completes. */
  private queue(slot: number): void {
    this.state[slot] = PENDING;
    this.waiters[slot] = coroutineSelf();
    this.pending.push(slot);
    if (this.pending.length >= this.maxBatch) this.flush();
    else deferCall(flushContext, this);
  }

  /** io_submit everything prepared; requests the kernel refused complete with its errno. */
  flush(): void {
    const n = this.pending.length;
    if (n === 0) return;
    const done = this.a.submit(this.handle);
    this.submits++;
    this.submitted += done;
    const refused = this.pending.splice(0, n).slice(done);
    if (refused.length > 0) {
      const errno = this.a.lastError(this.handle) || 11;
      for (const slot of refused) this.finish(slot, -errno);
    }
  }

  private finish(slot: number, ret: number): void {
    this.results[slot] = ret;
    this.state[slot] = DONE;
    const co = this.waiters[slot];
    if (co) aioCoWake(co);
  }

  /** Called by the addon with `n` completions in ids/res. */
  private complete(n: number): void {
    deferCallBegin();
    try {
      for (let i = 0; i < n; i++) this.finish(this.ids[i], this.res[i]);
    } finally {
      deferCallEnd();
    }
  }

  /** Release the io_context. */
  close(): void {
    this.a.close(this.handle);
  }
}

function flushContext(ctx: LinuxAioContext): void {
  ctx.flush();
}

/** This thread's one context per mode (0 linux-aio, 1 thread pool, 2 io_uring); undefined until first asked for. */
const shared: [LinuxAioContext | null | undefined, LinuxAioContext | null | undefined, LinuxAioContext | null | undefined] = [undefined, undefined, undefined];

/**
 * The shared context of `mode`, made with `depth` slots on first use; null where
 * the addon is not built, and for linux-aio and io_uring also where the kernel
 * refuses them (io_setup / io_uring_setup fail in some containers, seccomp
 * profiles, or a build without liburing). The thread pool needs no kernel
 * facility, so a failure to make it is not hidden.
 */
function sharedContext(mode: 0 | 1 | 2, depth: number): LinuxAioContext | null {
  const have = shared[mode];
  if (have !== undefined) return have;
  const a = loadAddon();
  let ctx: LinuxAioContext | null = null;
  if (a && mode === 1) ctx = new LinuxAioContext(a, depth, mode);
  else if (a) {
    try {
      ctx = new LinuxAioContext(a, depth, mode);
    } catch {
      ctx = null;
    }
  }
  shared[mode] = ctx;
  return ctx;
}

/** This thread's linux-aio context with `depth` slots, or null where native AIO is not available. */
export function linuxAio(depth: number): LinuxAioContext | null {
  return sharedContext(0, depth);
}

/** This thread's io_uring with `depth` slots, or null where the addon has no liburing or the kernel refuses io_uring. */
export function ioUring(depth: number): LinuxAioContext | null {
  return sharedContext(2, depth);
}

/** This thread's native thread pool with `depth` slots, or null where the addon is not built. */
export function nativeThreadPool(depth: number): LinuxAioContext | null {
  return sharedContext(1, depth);
}

/**
 * Read `len` bytes at `pos` of `fd` into `buf` on this thread if the page cache
 * holds them (preadv2 with RWF_NOWAIT): the bytes read (fewer when the rest is
 * not cached, or at the end of the file), -errno (-EAGAIN: nothing cached;
 * -EOPNOTSUPP: the file system cannot tell), or null without the addon.
 */
export function readNow(fd: number, buf: Uint8Array, len: number, pos: number): number | null {
  const a = loadAddon();
  return a === null ? null : a.readNow(fd, buf, len, pos);
}

/** Whether the native AIO addon loaded and the kernel accepts io_setup. */
export function linuxAioAvailable(): boolean {
  const a = loadAddon();
  return a !== null && a.available();
}
