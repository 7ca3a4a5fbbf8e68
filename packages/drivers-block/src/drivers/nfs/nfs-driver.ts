/**
 * The nfs protocol driver (QEMU's block/nfs.c), on our NFSv3 client instead of
 * libnfs. A node owns one NfsFile: reads and writes are split in rsize/wsize
 * chunks with up to 64 calls in flight on one TCP connection, writes are
 * UNSTABLE and flush COMMITs them (resending what a restarted server lost), and
 * truncate is SETATTR. Options and messages are QEMU's: nfs:// filenames with
 * uid/gid/tcp-syn-cnt/readahead-size/page-cache-size/debug, "Unknown NFS
 * parameter name", "Failed to mount nfs share: …", "Failed to open file : …".
 * readahead and page cache are libnfs features we do not have: their options
 * are accepted and checked as QEMU checks them, then have no effect. Request
 * failures reach the block layer as BlockIoError with the errno (EIO for a
 * lost or dead server, after the client's timeout and retries).
 */
import type { Co } from '@qco/core';
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
} from '../../block/block-driver.js';
import { Errno } from '../../block/errno.js';
import { BlockError, BlockIoError, NotSupportedError } from '../../block/errors.js';
import type { IoVector } from '../../block/iov.js';
import { NfsOpenError, RpcError } from './errors.js';
import type { NfsFile, NfsFileOptions } from './nfs-file.js';
import { parseNfsUri } from './uri.js';
import { LazyImplementation } from '../lazy-implementation.js';

/** QEMU's limits on the libnfs cache options. */
const MAX_READAHEAD = 1048576;
const MAX_PAGECACHE = 8388608 / 512;
const MAX_DEBUG = 2;

/** The driver's options (QEMU's runtime_opts plus the server address). */
export const NFS_OPTIONS: readonly BlockOptionDesc[] = [
  { name: 'server.host', type: 'string', help: 'Host of the NFS server', required: true },
  { name: 'server.type', type: 'string', help: 'Address type', values: ['inet'] },
  { name: 'server.port', type: 'number', help: 'NFS port (default: ask the portmapper)' },
  { name: 'path', type: 'string', help: 'Path of the image on the host', required: true },
  { name: 'user', type: 'number', help: 'UID value to use when talking to the server' },
  { name: 'group', type: 'number', help: 'GID value to use when talking to the server' },
  { name: 'tcp-syn-count', type: 'number', help: 'Number of SYNs to send during the session establish' },
  { name: 'readahead-size', type: 'number', help: 'Set the readahead size in bytes' },
  { name: 'page-cache-size', type: 'number', help: 'Set the pagecache size in bytes' },
  { name: 'debug', type: 'number', help: 'Set the NFS debug level (max 2)' },
];

/** Connection tuning for nfs nodes opened from now on (tests and benchmarks). */
export interface NfsDriverTuning {
  /** Reply timeout per call (default 60 s). */
  readonly timeoutMs?: number;
  /** Calls in flight (default 64). */
  readonly maxInFlight?: number;
  /** rsize/wsize cap (default 1 MiB). */
  readonly maxTransfer?: number;
  /** COMMIT by itself beyond this many unstable bytes (default 64 MiB). */
  readonly maxUncommitted?: number;
}

let tuning: NfsDriverTuning = {};

/** Change the tuning of nfs nodes opened from now on. */
export function setNfsDriverTuning(t: NfsDriverTuning): void {
  tuning = { ...t };
}

/** Where warnings go (QEMU's error_report "NFS Warning: …"); replaceable. */
let nfsWarn: (message: string) => void = (message) => {
  process.stderr.write(`${message}\n`);
};

/** Send the driver's warnings somewhere else. */
export function setNfsWarningHandler(fn: (message: string) => void): void {
  nfsWarn = fn;
}

function num(options: BlockDriverOptions, key: string): number | undefined {
  const v = options[key];
  return typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : undefined;
}

/** nfs://host[:port]/path[?uid=…] as QEMU's refresh_filename prints it. */
export function nfsFilename(options: BlockDriverOptions): string {
  const port = num(options, 'server.port');
  const uid = num(options, 'user');
  const gid = num(options, 'group');
  const q = [uid ? `uid=${uid}` : '', gid ? `gid=${gid}` : ''].filter((x) => x !== '').join('&');
  return `nfs://${String(options['server.host'])}${port !== undefined ? `:${port}` : ''}${String(options['path'])}${q ? `?${q}` : ''}`;
}

function fileOptions(options: BlockDriverOptions, flags: BlockOpenFlags | null, create: boolean): NfsFileOptions {
  const host = options['server.host'];
  if (typeof host !== 'string' || host === '') throw new NfsOpenError('NFS server address missing', Errno.EINVAL);
  const path = options['path'];
  if (typeof path !== 'string' || path === '') throw new NfsOpenError('No path was specified', Errno.EINVAL);
  const readahead = num(options, 'readahead-size');
  if (readahead !== undefined) {
    if (flags?.cacheDirect) throw new NfsOpenError('Cannot enable NFS readahead if cache.direct = on', Errno.EINVAL);
    if (readahead > MAX_READAHEAD) nfsWarn(`NFS Warning: Truncating NFS readahead size to ${MAX_READAHEAD}`);
  }
  const pagecache = num(options, 'page-cache-size');
  if (pagecache !== undefined) {
    if (flags?.cacheDirect) throw new NfsOpenError('Cannot enable NFS pagecache if cache.direct = on', Errno.EINVAL);
    if (pagecache > MAX_PAGECACHE) nfsWarn(`NFS Warning: Truncating NFS pagecache size to ${MAX_PAGECACHE} pages`);
  }
  const debug = num(options, 'debug');
  if (debug !== undefined && debug > MAX_DEBUG) nfsWarn(`NFS Warning: Limiting NFS debug level to ${MAX_DEBUG}`);
  const port = num(options, 'server.port');
  const uid = num(options, 'user');
  const gid = num(options, 'group');
  return {
    host,
    path,
    create,
    ...(port !== undefined ? { port } : {}),
    ...(uid !== undefined ? { uid } : {}),
    ...(gid !== undefined ? { gid } : {}),
    ...(tuning.timeoutMs !== undefined ? { timeoutMs: tuning.timeoutMs } : {}),
    ...(tuning.maxInFlight !== undefined ? { maxInFlight: tuning.maxInFlight } : {}),
    ...(tuning.maxTransfer !== undefined ? { maxTransfer: tuning.maxTransfer } : {}),
    ...(tuning.maxUncommitted !== undefined ? { maxUncommitted: tuning.maxUncommitted } : {}),
    ...(flags?.cacheNoFlush === true ? { keepUncommitted: false } : {}),
  };
}

/** A request failure as the block layer wants it: the errno, the RPC/NFS error as cause. */
function ioError(err: unknown): BlockError {
  if (err instanceof RpcError) return new BlockIoError(err.errno, undefined, { cause: err });
  if (err instanceof BlockError) return err;
  return new BlockIoError(Errno.EIO, undefined, { cause: err });
}

/** An open nfs node. */
export class NfsBlockDriverState implements BlockDriverState {
  readonly requestAlignment = 1;
  readonly growable = true;
  readonly filename: string;
  private closed = false;

  /** @internal Nodes are made by the driver's open. */
  constructor(
    readonly driver: BlockDriver,
    readonly options: BlockDriverOptions,
    readonly flags: BlockOpenFlags,
    /** @internal The open file (for tests: stats, pending COMMIT bytes). */
    readonly file: NfsFile,
  ) {
    this.filename = nfsFilename(options);
  }

  /** bdrv_co_preadv: rsize chunks in flight together; reads past EOF give zeroes. */
  *coPreadv(offset: number, bytes: number, qiov: IoVector, _flags: BlockRequestFlags): Co {
    try {
      if (qiov.niov === 1) {
        yield* this.file.pread(offset, (qiov.iov[0]).subarray(0, bytes));
      } else {
        const buf = new Uint8Array(bytes);
        yield* this.file.pread(offset, buf);
        qiov.fromBuffer(buf);
      }
    } catch (err) {
      throw ioError(err);
    }
  }

  /** bdrv_co_pwritev: wsize chunks UNSTABLE; FUA adds a COMMIT. A short write is EIO. */
  *coPwritev(offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags): Co {
    try {
      const src = qiov.toBuffer();
      yield* this.file.pwrite(offset, bytes === src.length ? src : src.subarray(0, bytes));
      if (flags.fua) yield* this.file.flush();
    } catch (err) {
      throw ioError(err);
    }
  }

  /** bdrv_co_flush_to_disk: COMMIT and verify the write verifiers. */
  *coFlush(): Co {
    try {
      yield* this.file.flush();
    } catch (err) {
      throw ioError(err);
    }
  }

  /** bdrv_co_getlength: the size rounded up to a sector, as QEMU's total_sectors. */
  *coGetLength(): Co<number> {
    return Math.ceil(this.file.size / 512) * 512;
  }

  /** bdrv_co_truncate: SETATTR size. */
  *coTruncate(offset: number, _exact: boolean, prealloc: PreallocMode): Co {
    if (prealloc !== 'off') throw new NotSupportedError(`Unsupported preallocation mode '${prealloc}'`);
    try {
      yield* this.file.truncate(offset);
    } catch (err) {
      throw new BlockError(`Failed to truncate file: ${(err as Error).message}`, err instanceof RpcError ? err.errno : 5, { cause: err });
    }
  }

  /** Facts for `info`: the bytes the file uses on the server (QEMU's get_allocated_file_size, from GETATTR), rsize and wsize. */
  *coGetInfo(): Co<BlockDriverInfo> {
    const extra = { 'nfs rsize': String(this.file.rsize), 'nfs wsize': String(this.file.wsize) };
    try {
      const { used } = yield* this.file.getattrSizes();
      return { allocatedSize: used, extra };
    } catch {
      return { extra };
    }
  }

  /** bdrv_close: COMMIT what is pending, UMNT, close the connection. */
  *coClose(): Co {
    if (this.closed) return;
    this.closed = true;
    yield* this.file.close();
  }
}

/** The RPC client and its codecs (json-pack), loaded by the first open. */
const nfsFile = new LazyImplementation('nfs', () => import('./nfs-file.js'));

/** Open the file. */
function* openNfsFile(o: NfsFileOptions): Co<NfsFile> {
  const { NfsFile } = yield* nfsFile.get();
  return yield* NfsFile.open(o);
}

/** The nfs protocol driver: `nfs://host[:port]/export/file` or driver=nfs with server.host and path. */
export const nfsDriver: BlockDriver = {
  spec: BLOCK_DRIVER_SPEC,
  formatName: 'nfs',
  protocolName: 'nfs',
  options: NFS_OPTIONS,
  completions: 'event-loop',
  parseFilename: parseNfsUri,
  *open(options: BlockDriverOptions, flags: BlockOpenFlags): Co<BlockDriverState> {
    const file = yield* openNfsFile(fileOptions(options, flags, false));
    return new NfsBlockDriverState(nfsDriver, options, flags, file);
  },
  /** bdrv_co_create: create the file (mode 0600) and set its size, as QEMU's nfs_file_create. */
  *create(options: BlockDriverOptions, size: number): Co {
    const file = yield* openNfsFile(fileOptions(options, null, true));
    try {
      yield* file.truncate(Math.ceil(size / 512) * 512);
    } finally {
      yield* file.close();
    }
  },
};
