/**
 * The file protocol driver (QEMU's block/file-posix.c, the parts a raw image
 * needs). Reads, writes and flushes run in the core thread pool, each request
 * a blocking pread/pwrite/fdatasync in a worker, through page-aligned shared
 * memory so O_DIRECT (cache.direct=on, -t none) works and no data crosses
 * postMessage. Completions come back as BHs through the thread's wake word,
 * which is what lets the synchronous face wait for them. open, getlength and
 * truncate are single metadata syscalls and run inline, as QEMU does them.
 * aio=native and aio=io_uring fall back to the thread pool (no native
 * submission path here yet).
 */
import { constants, closeSync, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';
import { threadPoolSubmitCo, type Co, type ThreadPoolFunc } from '@qco/core';
import {
  BLOCK_DRIVER_SPEC,
  type BlockDriver,
  type BlockDriverInfo,
  type BlockDriverOptions,
  type BlockDriverState,
  type BlockOpenFlags,
  type BlockOptionDesc,
  type BlockRequestFlags,
  type PreallocMode,
} from '../block-driver.js';
import { BlockError, BlockIoError, CouldNotOpenError, NotSupportedError } from '../errors.js';
import { Errno, errnoFromCode } from '../errno.js';
import type { IoVector } from '../iov.js';
import { opt } from '../options.js';
import { AlignedPool, allocAligned } from './aligned-memory.js';
import { FILE_WORKER_MODULE } from './file-worker-source.js';

const PREAD: ThreadPoolFunc = { module: FILE_WORKER_MODULE, name: 'pread' };
const PWRITE: ThreadPoolFunc = { module: FILE_WORKER_MODULE, name: 'pwrite' };
const FLUSH: ThreadPoolFunc = { module: FILE_WORKER_MODULE, name: 'flush' };

/** Requests up to this size use pooled bounce slots. */
const SLOT_SIZE = 128 * 1024;
const SLOTS = 128;

const FILE_OPTIONS: readonly BlockOptionDesc[] = [
  { name: 'filename', type: 'string', help: 'File name of the image', required: true },
  { name: 'aio', type: 'string', help: 'host AIO implementation (threads, native, io_uring)', values: ['threads', 'native', 'io_uring'] },
  { name: 'aio-max-batch', type: 'number', help: 'AIO max batch size (0 = auto handled by AIO backend, default: 0)', default: 0 },
  { name: 'locking', type: 'string', help: 'file locking mode (on/off/auto, default: auto)', values: ['on', 'off', 'auto'], default: 'auto' },
  { name: 'drop-cache', type: 'bool', help: 'invalidate page cache during live migration (default: on)', default: true },
];

function sysErrno(err: unknown): number {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.errno === 'number' && e.errno !== 0) return Math.abs(e.errno);
  return errnoFromCode(e?.code);
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
  readonly maxTransfer = 1 << 30;
  private readonly pool = new AlignedPool(SLOT_SIZE, SLOTS);
  private length: number;
  private fd: number;

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
  }

  private *submit(fn: ThreadPoolFunc, arg: object): Co<number> {
    const ret = yield* threadPoolSubmitCo(fn, arg);
    if (ret < 0) throw new BlockIoError(-ret);
    return ret;
  }

  *coPreadv(offset: number, bytes: number, qiov: IoVector, _flags: BlockRequestFlags): Co<void> {
    const b = this.pool.get(bytes);
    try {
      yield* this.submit(PREAD, { fd: this.fd, sab: b.sab, off: b.offset, len: bytes, pos: offset });
      qiov.fromBuffer(b.bytes);
    } finally {
      b.release();
    }
  }

  *coPwritev(offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags): Co<void> {
    const b = this.pool.get(bytes);
    try {
      qiov.toBufferAt(b.bytes, 0, bytes);
      yield* this.submit(PWRITE, { fd: this.fd, sab: b.sab, off: b.offset, len: bytes, pos: offset, fua: flags.fua === true });
      if (offset + bytes > this.length) this.length = offset + bytes;
    } finally {
      b.release();
    }
  }

  *coFlush(): Co<void> {
    yield* this.submit(FLUSH, { fd: this.fd });
  }

  *coGetLength(): Co<number> {
    return this.length;
  }

  *coTruncate(offset: number, _exact: boolean, prealloc: PreallocMode): Co<void> {
    if (prealloc !== 'off' && prealloc !== 'full') throw new NotSupportedError(`Unsupported preallocation mode '${prealloc}'`);
    const old = this.length;
    try {
      ftruncateSync(this.fd, offset);
    } catch (err) {
      throw new BlockError(`Failed to resize file: ${(err as Error).message}`, sysErrno(err));
    }
    this.length = offset;
    if (prealloc === 'full' && offset > old) {
      const chunk = 1 << 20;
      const zero = this.pool.get(Math.min(chunk, offset - old));
      try {
        zero.bytes.fill(0);
        for (let at = old; at < offset; at += chunk) {
          const n = Math.min(chunk, offset - at);
          yield* this.submit(PWRITE, { fd: this.fd, sab: zero.sab, off: zero.offset, len: n, pos: at, fua: false });
        }
      } finally {
        zero.release();
      }
    }
  }

  *coGetInfo(): Co<BlockDriverInfo> {
    const st = fstatSync(this.fd);
    return { allocatedSize: st.blocks * 512 };
  }

  *coClose(): Co<void> {
    if (this.fd < 0) return;
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
  *create(options: BlockDriverOptions, size: number): Co<void> {
    const filename = opt(options, 'filename', '');
    let fd: number;
    try {
      fd = openSync(filename, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o644);
    } catch (err) {
      throw new BlockError(`Could not create '${filename}': ${(err as Error).message.replace(/^[A-Z]+: /, '').replace(/, open .*$/, '')}`, sysErrno(err));
    }
    try {
      ftruncateSync(fd, size);
    } finally {
      closeSync(fd);
    }
  },
};
