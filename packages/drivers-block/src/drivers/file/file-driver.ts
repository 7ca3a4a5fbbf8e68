/**
 * The file protocol driver (QEMU's block/file-posix.c, the parts a raw image
 * needs). By default (aio=threads) each read, write and flush is a blocking
 * pread/pwrite/fdatasync in a thread, through page-aligned shared memory where O_DIRECT (cache.direct=on,
 * -t none) needs it: for the Promise, callback and coroutine faces on the
 * addon's pthread pool (native/linux-aio.c, QEMU's thread-pool design, 64
 * threads) or, where the addon did not build, on libuv's thread pool (the
 * qco-io / qco-img executables size it to 64 through UV_THREADPOOL_SIZE);
 * and on a shared-memory worker pool
 * (file-io-pool.ts) for the synchronous face, whose blocking aio_poll sees that
 * pool's completions but cannot run libuv callbacks. aio=native submits
 * through Linux native AIO and aio=io_uring through io_uring (both in
 * linux-aio.ts / native/linux-aio.c) when the addon is built, batching with
 * defer-call; io_uring falls back to linux-aio (with O_DIRECT), then threads. open, getlength and
 * truncate are single metadata syscalls and run inline, as QEMU does them.
 * Buffered requests from one contiguous buffer skip the bounce copy, and a
 * buffered read of up to 64 KiB that the page cache holds is served on the
 * calling thread (preadv2 with RWF_NOWAIT) without a round trip to any pool.
 */
import { constants, closeSync, fdatasync, fstatSync, ftruncateSync, openSync, read, readSync, write } from 'node:fs';
import type { Co } from '@qco/core';
import { coWaitFor, coroutineYield } from '@qco/core';
import { inSyncWait } from '../../block/sync-run.js';
import {
  BDRV_BLOCK_ALLOCATED,
  BDRV_BLOCK_DATA,
  BDRV_BLOCK_OFFSET_VALID,
  BDRV_BLOCK_ZERO,
  BLOCK_DRIVER_SPEC,
  type BlockDriver,
  type BlockDriverInfo,
  type BlockDriverOptions,
  type BlockDriverState,
  type BlockOpenFlags,
  type BlockOptionDesc,
  type BlockRequestFlags,
  type BlockStatus,
  type PreallocMode,
} from '../../block/block-driver.js';
import { BlockError, BlockIoError, CouldNotOpenError, NotSupportedError, errnoOf } from '../../block/errors.js';
import { Errno, errnoFromCode, strerror } from '../../block/errno.js';
import { IoVector } from '../../block/iov.js';
import { opt } from '../../block/options.js';
import { allocAligned } from '../../block/aligned-memory.js';
import { FILE_IO_DEPTH, FILE_IO_SLOT_BYTES, OP, fileIoPool } from './file-io-pool.js';
import { ioUring, linuxAio, nativeThreadPool, readNow, type LinuxAioContext } from './linux-aio.js';
import { ImageLocks, fileLockAddon, lockForCreate, useLocking } from './file-lock.js';
import { findAllocation } from './file-seek.js';

/** The largest read tried on the event loop's thread from the page cache: a copy this size takes a few microseconds. */
const READ_NOW_MAX = 64 * 1024;

const FILE_OPTIONS: readonly BlockOptionDesc[] = [
  { name: 'filename', type: 'string', help: 'File name of the image', required: true },
  { name: 'aio', type: 'string', help: 'host AIO implementation (threads, native, io_uring)', values: ['threads', 'native', 'io_uring'], enumParse: true },
  { name: 'aio-max-batch', type: 'number', help: 'AIO max batch size (0 = auto handled by AIO backend, default: 0)', default: 0 },
  { name: 'locking', type: 'string', help: 'file locking mode (on/off/auto, default: auto)', values: ['on', 'off', 'auto'], enumParse: true, default: 'auto' },
  { name: 'drop-cache', type: 'bool', help: 'invalidate page cache during live migration (default: on)', default: true },
];

function sysErrno(err: unknown): number {
  const code = typeof err === 'object' && err !== null ? (err as NodeJS.ErrnoException).code : undefined;
  return errnoOf(err, errnoFromCode(code));
}

/** One request on libuv's thread pool, looping over short transfers; returns bytes or -errno. */
function* libuvIo(op: number, fd: number, buf: Uint8Array, pos: number, len: number): Co<number> {
  try {
    if (op === OP.FLUSH) {
      yield* coWaitFor((done) => fdatasync(fd, done));
      return 0;
    }
    let done = 0;
    while (done < len) {
      const at = done;
      const n =
        op === OP.READ
          ? yield* coWaitFor<number>((cb) => read(fd, buf, at, len - at, pos + at, cb))
          : yield* coWaitFor<number>((cb) => write(fd, buf, at, len - at, pos + at, cb));
      if (n === 0) {
        if (op !== OP.READ) return -Errno.ENOSPC;
        buf.fill(0, done, len);
        break;
      }
      done += n;
    }
    if (op === OP.WRITE_FUA) yield* coWaitFor((cb) => fdatasync(fd, cb));
    return len;
  } catch (err) {
    return -sysErrno(err);
  }
}

/** QEMU's raw_probe_alignment: the smallest read size O_DIRECT accepts (512 or 4096). */
function probeAlignment(fd: number): number {
  const sab = allocAligned(4096);
  for (const size of [512, 1024, 2048, 4096]) {
    try {
      readSync(fd, new Uint8Array(sab, 0, size), 0, size, 0);
      return size;
    } catch (err) {
      if (sysErrno(err) !== Errno.EINVAL) return size;
    }
  }
  return 4096;
}

/** An open file image. */
export class FileBlockDriverState implements BlockDriverState {
  readonly requestAlignment: number;
  readonly memAlignment: number;
  readonly growable = true;
  /**
   * O_DIRECT requests are split to fit one aligned bounce slot of the I/O pool
   * only on libuv's pool (any addon context takes them whole, vectored, from
   * aligned memory, and its bounce path splits the rest itself);
   * buffered ones go straight from the caller's memory in one piece, as QEMU's
   * raw_co_prw hands its iovec to preadv.
   */
  readonly maxTransfer: number;
  private readonly pool = fileIoPool();
  /** The io_uring when aio=io_uring asked for it and the addon (with liburing) and kernel have it. */
  private readonly ring: LinuxAioContext | null;
  /** The native submission context (the io_uring, else linux-aio) when aio=native / io_uring asked for one. */
  private readonly native: LinuxAioContext | null;
  /** The addon's pthread pool for aio=threads, when the addon is here. */
  private readonly threads: LinuxAioContext | null;
  private length: number;
  private fd: number;
  /** The image's lock bytes (null with locking=off, or where OFD locks are unavailable). */
  private readonly locks: ImageLocks | null;
  /**
   * The last data extent block status found (QEMU's block-status cache):
   * a request inside it is answered without lseek, so a reader asking before
   * every read (the NBD server's sparse reads) costs no syscalls. Writes only
   * add data; what can make holes (truncate) forgets it.
   */
  private dataExtent: { start: number; end: number } | null = null;
  /** Whether small buffered reads try the page cache on this thread first (off once the file system says it cannot). */
  private readsNow: boolean;

  constructor(
    readonly driver: BlockDriver,
    readonly filename: string,
    readonly options: BlockDriverOptions,
    readonly flags: BlockOpenFlags,
    fd: number,
  ) {
    this.fd = fd;
    this.length = fstatSync(fd).size;
    this.requestAlignment = flags.cacheDirect ? probeAlignment(fd) : 1;
    this.memAlignment = flags.cacheDirect ? 4096 : 1;
    const aio = (options['aio'] as string | undefined) ?? flags.aio;
    // io_uring falls back to linux-aio (which is only asynchronous with O_DIRECT), then to the threads.
    this.ring = aio === 'io_uring' ? ioUring(FILE_IO_DEPTH) : null;
    this.native = this.ring ?? (aio === 'native' || (aio === 'io_uring' && flags.cacheDirect) ? linuxAio(FILE_IO_DEPTH) : null);
    this.threads = this.native === null ? nativeThreadPool(FILE_IO_DEPTH) : null;
    // An addon context takes aligned O_DIRECT requests whole (vectored); the bounce path splits the rest itself.
    this.maxTransfer = flags.cacheDirect && this.native === null && this.threads === null ? FILE_IO_SLOT_BYTES : 0;
    // O_DIRECT reads never come from the page cache.
    this.readsNow = !flags.cacheDirect;
    const lib = useLocking(opt(options, 'locking', 'auto'), fd) ? fileLockAddon() : null;
    this.locks = lib === null ? null : new ImageLocks(fd, filename, lib);
  }

  /** raw_check_perm: lock the bytes of the new permissions and check nobody else conflicts. */
  checkPerm(perm: number, shared: number): void {
    this.locks?.prepare(perm, shared);
  }

  /** raw_set_perm: keep exactly the new permissions' bytes. */
  setPerm(perm: number, shared: number): void {
    this.locks?.commit(perm, shared);
  }

  /** raw_abort_perm_update. */
  abortPerm(): void {
    this.locks?.abort();
  }

  /** The lock bytes this open holds, e.g. [100, 101] for a read-write user sharing everything. */
  get lockedBytes(): number[] {
    return this.locks?.heldBytes() ?? [];
  }

  /** @internal The addon context requests go to (io_uring, linux-aio or the pthread pool), for the batching counters in tests. */
  get nativeContext(): LinuxAioContext | null {
    return this.native ?? this.threads;
  }

  /** Which submission path requests take: io_uring, linux-aio, the addon's pthread pool, or libuv's pool. */
  get aioPath(): 'io_uring' | 'native' | 'threads' | 'libuv-threads' {
    return this.ring ? 'io_uring' : this.native ? 'native' : this.threads ? 'threads' : 'libuv-threads';
  }

  /**
   * Run one operation; throws BlockIoError on -errno. Asynchronous callers go
   * through libuv's thread pool (fs.read / fs.write / fs.fdatasync: C threads,
   * the cheapest hand-off Node has); a synchronous-face caller, whose blocking
   * aio_poll cannot run libuv callbacks, goes through the shared-memory worker
   * pool, whose completions wake that poll.
   */
  private *io(op: number, offset: number, bytes: number, qiov: IoVector | null): Co {
    if (this.fd < 0) throw new BlockIoError(Errno.EBADF);
    // A small buffered read the page cache holds is one copy here, cheaper than a worker's round trip; whatever is
    // not all cached (or ends the file) takes the usual path.
    if (op === OP.READ && this.readsNow && bytes <= READ_NOW_MAX && qiov !== null && qiov.niov === 1) {
      const n = readNow(this.fd, qiov.iov[0], bytes, offset);
      if (n === bytes) return;
      if (n === null || n === -Errno.ENOTSUP || n === -Errno.EINVAL) this.readsNow = false;
    }
    // Not `??` around the yield: the CommonJS build lowers `??` to a closure, where a yield cannot stand.
    let slot = this.pool.tryAcquire();
    if (slot === undefined) slot = yield* this.pool.acquire();
    try {
      const sync = inSyncWait();
      // Buffered I/O from one contiguous buffer needs no bounce copy: the thread
      // reads or writes the caller's memory, which the waiting request keeps alive.
      if (!sync && !this.flags.cacheDirect && qiov !== null && qiov.niov === 1) {
        const ret = yield* this.run(slot.index, op, (qiov.iov[0]).subarray(0, bytes), offset, bytes);
        if (ret < 0) throw new BlockIoError(-ret);
        return;
      }
      // O_DIRECT with aligned segments: preadv / pwritev straight from the caller's memory (a guest's pages,
      // a blockalign'd buffer), no copy, no split, on whichever addon context this file uses.
      const direct = this.native ?? this.threads;
      if (!sync && this.flags.cacheDirect && direct !== null && qiov !== null && op !== OP.FLUSH) {
        const whole = qiov.size === bytes ? qiov : qiov.slice(0, bytes);
        // The first submission inline, waited for right here (no frame of ours between request and yield);
        // only a short transfer or FUA goes on in vectoredRest.
        if (direct.startv(slot.index, op === OP.READ ? 0 : 1, this.fd, whole.iov, offset, this.memAlignment)) {
          while (direct.busy(slot.index)) yield coroutineYield();
          let ret = direct.take(slot.index);
          if (ret !== bytes || op === OP.WRITE_FUA) ret = yield* this.vectoredRest(direct, slot.index, op, whole, offset, bytes, ret);
          if (ret < 0) throw new BlockIoError(-ret);
          return;
        }
      }
      // Through the bounce slot, one slot-sized piece at a time (O_DIRECT requests
      // are already split to fit; buffered ones from scattered buffers may not be).
      let done = 0;
      do {
        const n = Math.min(FILE_IO_SLOT_BYTES, bytes - done);
        if (qiov !== null && op !== OP.READ) qiov.toBufferAt(slot.bytes, done, n);
        const ret = sync ? yield* this.pool.run(slot, op, this.fd, offset + done, n) : yield* this.run(slot.index, op, slot.bytes, offset + done, n);
        if (ret < 0) throw new BlockIoError(-ret);
        if (qiov !== null && op === OP.READ) qiov.fromBuffer(slot.bytes.subarray(0, n), done);
        done += n;
      } while (done < bytes);
    } finally {
      this.pool.release(slot);
    }
  }

  /** One operation on the asynchronous path: linux-aio, the addon's pthread pool, else libuv's. */
  private *run(slot: number, op: number, buf: Uint8Array, offset: number, bytes: number): Co<number> {
    if (this.ring !== null) return yield* this.ringIo(this.ring, slot, op, buf, offset, bytes);
    if (this.native !== null && op !== OP.FLUSH) return yield* this.nativeIo(slot, op, buf, offset, bytes);
    if (this.threads !== null) return yield* this.threadIo(slot, op, buf, offset, bytes);
    return yield* libuvIo(op, this.fd, buf, offset, bytes);
  }

  /**
   * The rest of a vectored O_DIRECT request whose first submission returned
   * `first`: a short read goes on for the rest and zero-fills only at end of
   * file; a short write is -ENOSPC, as nativeIo / ringIo do; FUA adds a flush.
   */
  private *vectoredRest(ctx: LinuxAioContext, slot: number, op: number, qiov: IoVector, offset: number, bytes: number, first: number): Co<number> {
    let done = 0;
    let ret: number | null = first;
    for (;;) {
      if (ret !== null && ret < 0) return ret;
      if (ret !== null && ret > 0 && ret < bytes - done && op !== OP.READ) return -Errno.ENOSPC;
      if (ret === null || ret === 0) {
        // End of file (or an unaligned end of it, which O_DIRECT cannot go on from).
        if (op !== OP.READ) return -Errno.ENOSPC;
        qiov.fill(0, done, bytes - done);
        break;
      }
      done += ret;
      if (done >= bytes) break;
      ret = yield* ctx.runv(slot, op === OP.READ ? 0 : 1, this.fd, qiov.slice(done, bytes - done).iov, offset + done, this.memAlignment);
    }
    if (op !== OP.WRITE_FUA) return bytes;
    const any = qiov.iov[0];
    // io_uring and the thread pool flush themselves; linux-aio has no fdatasync.
    const flusher = this.ring ?? this.threads;
    if (flusher !== null) return yield* flusher.run(slot, 2, this.fd, any, 0, 0);
    return yield* libuvIo(OP.FLUSH, this.fd, any, 0, 0);
  }

  /** linux-aio: a short read is zero-filled and a short write is -ENOSPC, as QEMU's laio does; FUA adds an fdatasync. */
  private *nativeIo(slot: number, op: number, buf: Uint8Array, offset: number, bytes: number): Co<number> {
    const ret = yield* (this.native as LinuxAioContext).run(slot, op === OP.READ ? 0 : 1, this.fd, buf, offset, bytes);
    if (ret < 0) return ret;
    if (ret < bytes) {
      if (op !== OP.READ) return -Errno.ENOSPC;
      buf.fill(0, ret, bytes);
    }
    if (op === OP.WRITE_FUA) return yield* libuvIo(OP.FLUSH, this.fd, buf, 0, 0);
    return bytes;
  }

  /**
   * io_uring: a short read is resubmitted for the rest (buffered reads may
   * stop short before the end), zero-filled only at end of file; a short
   * write is -ENOSPC; flush and FUA's flush are IORING_OP_FSYNC (datasync).
   */
  private *ringIo(ring: LinuxAioContext, slot: number, op: number, buf: Uint8Array, offset: number, bytes: number): Co<number> {
    if (op === OP.FLUSH) return yield* ring.run(slot, 2, this.fd, buf, 0, 0);
    let done = 0;
    while (done < bytes) {
      const ret = yield* ring.run(slot, op === OP.READ ? 0 : 1, this.fd, buf.subarray(done), offset + done, bytes - done);
      if (ret < 0) return ret;
      if (ret === 0) {
        if (op !== OP.READ) return -Errno.ENOSPC;
        buf.fill(0, done, bytes);
        break;
      }
      if (op !== OP.READ && ret < bytes - done) return -Errno.ENOSPC;
      done += ret;
    }
    if (op === OP.WRITE_FUA) return yield* ring.run(slot, 2, this.fd, buf, 0, 0);
    return bytes;
  }

  /** The addon's pthread pool: the C worker already loops over short transfers. */
  private *threadIo(slot: number, op: number, buf: Uint8Array, offset: number, bytes: number): Co<number> {
    const pool = this.threads as LinuxAioContext;
    const code = op === OP.READ ? 0 : op === OP.FLUSH ? 2 : 1;
    const ret = yield* pool.run(slot, code, this.fd, buf, offset, op === OP.FLUSH ? 0 : bytes);
    if (ret < 0 || op !== OP.WRITE_FUA) return ret;
    return yield* pool.run(slot, 2, this.fd, buf, 0, 0);
  }

  /** A read is `io` itself (returned, not delegated to: one generator frame fewer per request). */
  coPreadv(offset: number, bytes: number, qiov: IoVector, _flags: BlockRequestFlags): Co {
    return this.io(OP.READ, offset, bytes, qiov);
  }

  *coPwritev(offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags): Co {
    yield* this.io(flags.fua === true ? OP.WRITE_FUA : OP.WRITE, offset, bytes, qiov);
    if (offset + bytes > this.length) this.length = offset + bytes;
  }

  *coFlush(): Co {
    yield* this.io(OP.FLUSH, 0, 0, null);
  }

  /**
   * raw_co_block_status: SEEK_DATA / SEEK_HOLE say whether `offset` is in
   * data or a hole and where that ends; without them (or `wantZero` false)
   * everything is data. The whole range is a hole past the last data.
   */
  *coBlockStatus(offset: number, bytes: number, wantZero: boolean): Co<BlockStatus> {
    // A protocol node allocates all it holds, data and holes alike (bdrv_co_block_status adds ALLOCATED for them).
    const data = { flags: BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID, bytes, map: offset, file: this };
    if (!wantZero || this.fd < 0) return data;
    const c = this.dataExtent;
    if (c !== null && offset >= c.start && offset < c.end) return { ...data, bytes: Math.min(bytes, c.end - offset) };
    const ext = findAllocation(this.fd, offset);
    if (ext === null) return data;
    const n = Math.max(1, Math.min(bytes, ext.end - offset));
    if (!ext.data) return { flags: BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID, bytes: n, map: offset, file: this };
    this.dataExtent = { start: offset, end: ext.end };
    return { ...data, bytes: n };
  }

  *coGetLength(): Co<number> {
    return this.length;
  }

  *coTruncate(offset: number, _exact: boolean, prealloc: PreallocMode): Co {
    if (prealloc !== 'off' && prealloc !== 'full') throw new NotSupportedError(`Unsupported preallocation mode '${prealloc}'`);
    const old = this.length;
    this.dataExtent = null;
    try {
      ftruncateSync(this.fd, offset);
    } catch (err) {
      throw new BlockError(`Failed to resize file: ${(err as Error).message}`, sysErrno(err));
    }
    this.length = offset;
    if (prealloc === 'full' && offset > old) {
      const zero = new IoVector(new Uint8Array(FILE_IO_SLOT_BYTES));
      for (let at = old; at < offset; at += FILE_IO_SLOT_BYTES) {
        const n = Math.min(FILE_IO_SLOT_BYTES, offset - at);
        yield* this.io(OP.WRITE, at, n, zero.slice(0, n));
      }
    }
  }

  *coGetInfo(): Co<BlockDriverInfo> {
    const st = fstatSync(this.fd);
    const asked = (this.options['aio'] as string | undefined) ?? this.flags.aio;
    // Where -i / aio= asked for a native path, say which one requests really take (io_uring falls back).
    return asked === 'threads' ? { allocatedSize: st.blocks * 512 } : { allocatedSize: st.blocks * 512, extra: { 'aio path': this.aioPath } };
  }

  *coClose(): Co {
    if (this.fd < 0) return;
    this.locks?.releaseAll();
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** The file protocol driver. */
export const fileDriver: BlockDriver = {
  spec: BLOCK_DRIVER_SPEC,
  formatName: 'file',
  protocolName: 'file',
  options: FILE_OPTIONS,
  completions: 'threads',
  parseFilename(filename: string) {
    return { filename: filename.startsWith('file:') ? filename.slice('file:'.length) : filename };
  },
  *open(options: BlockDriverOptions, flags: BlockOpenFlags): Co<BlockDriverState> {
    const filename = opt(options, 'filename', '');
    const aio = (options['aio'] as string | undefined) ?? flags.aio;
    if (aio === 'native' && !flags.cacheDirect) {
      throw new BlockError('aio=native was specified, but it requires cache.direct=on, which was not specified.', Errno.EINVAL);
    }
    let mode = flags.readOnly ? constants.O_RDONLY : constants.O_RDWR;
    if (flags.cacheDirect) mode |= constants.O_DIRECT;
    let fd: number;
    try {
      fd = openSync(filename, mode);
    } catch (err) {
      throw new CouldNotOpenError(filename, sysErrno(err), undefined, { cause: err });
    }
    try {
      if (fstatSync(fd).isDirectory()) throw new CouldNotOpenError(filename, Errno.EISDIR);
      return new FileBlockDriverState(fileDriver, filename, options, flags, fd);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  },
  *create(options: BlockDriverOptions, size: number): Co {
    const filename = opt(options, 'filename', '');
    let fd: number;
    try {
      // No O_TRUNC: the image is cleared only once its locks say nobody else uses it.
      fd = openSync(filename, constants.O_RDWR | constants.O_CREAT, 0o644);
    } catch (err) {
      throw new BlockError(`Could not create '${filename}': ${strerror(sysErrno(err))}`, sysErrno(err));
    }
    try {
      lockForCreate(fd, filename);
      ftruncateSync(fd, 0);
      ftruncateSync(fd, size);
    } finally {
      closeSync(fd);
    }
  },
};
