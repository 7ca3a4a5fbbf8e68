/**
 * An open qcow2 node (QEMU's block/qcow2.c BDRVQcow2State): a format node over its
 * `file` child, with an optional `backing` child the block layer attaches
 * from the header's backing file name and format. Opening validates the
 * header, refuses read/write access to an image marked corrupt, and repairs
 * an image left dirty by lazy refcounts; closing flushes the metadata caches
 * and clears the dirty bit this session set.
 */
import type { Co } from '@qco/core';
import {
  BDRV_BLOCK_ALLOCATED,
  BDRV_BLOCK_DATA,
  BDRV_BLOCK_OFFSET_VALID,
  BDRV_BLOCK_ZERO,
  BDRV_BLOCK_COMPRESSED,
  type BdrvChild,
  type BlockDriver,
  type BlockDriverInfo,
  type BlockDriverOptions,
  type BlockDriverState,
  type BlockOpenFlags,
  type BlockRequestFlags,
  type BlockSnapshotInfo,
  type BlockStatus,
  type PreallocMode,
} from '../../block/block-driver.js';
import { NotSupportedError } from '../../block/errors.js';
import { IoVector } from '../../block/iov.js';
import { qcow2Check, type Qcow2CheckResult, type Qcow2RepairMode } from './qcow2-check.js';
import { mapRange } from './qcow2-cluster.js';
import { qcow2Create, type Qcow2CreateOptions } from './qcow2-create.js';
import { ClusterType } from './qcow2-entry.js';
import { Qcow2Error } from './qcow2-errors.js';
import { ChildHostFile, type HostFile } from './qcow2-file.js';
import { COMPAT_LAZY_REFCOUNTS, INCOMPAT_CORRUPT, INCOMPAT_DIRTY, parseHeader } from './qcow2-header.js';
import { qcow2Discard, qcow2Flush, qcow2Preadv, qcow2Pwritev, qcow2ZeroClusters, type BackingLink } from './qcow2-io.js';
import { qcow2Resize } from './qcow2-resize.js';
import { createSnapshot, deleteSnapshot, gotoSnapshot } from './qcow2-snapshot.js';
import { writeCompressedCluster } from './qcow2-write-compressed.js';
import { Qcow2State } from './qcow2-state.js';


/** Open qcow2 image state over a host file (also used by tools and tests on in-memory files). */
export function* openQcow2State(file: HostFile, name: string, readOnly: boolean, lazy?: boolean): Co<Qcow2State> {
  const len = yield* file.length();
  const first = new Uint8Array(Math.min(len, 2 * 1024 * 1024));
  yield* file.pread(0, first.subarray(0, Math.min(first.length, 4096)));
  const bits = new DataView(first.buffer).getUint32(20);
  const cs = bits >= 9 && bits <= 21 ? 2 ** bits : 4096;
  if (cs > 4096) yield* file.pread(0, first.subarray(0, Math.min(first.length, cs)));
  const header = parseHeader(first.subarray(0, Math.min(first.length, cs)), len);
  if ((header.incompatibleFeatures & INCOMPAT_CORRUPT) !== 0 && !readOnly) {
    throw new Qcow2Error('qcow2: Image is corrupt; cannot be opened read/write', 'EACCES');
  }
  const s = new Qcow2State(file, header, name, readOnly);
  yield* s.load();
  s.lazyRefcounts = !readOnly && (lazy ?? (header.compatibleFeatures & COMPAT_LAZY_REFCOUNTS) !== 0);
  if (!readOnly && (header.incompatibleFeatures & INCOMPAT_DIRTY) !== 0) {
    // Left dirty with lazy refcounts: the refcounts may lag the L2 tables; repair them now.
    yield* qcow2Check(s, 'all');
    header.incompatibleFeatures &= ~INCOMPAT_DIRTY;
    yield* s.writeHeader();
    yield* file.flush();
  }
  return s;
}

/** An open qcow2 node. */
export class Qcow2BlockDriverState implements BlockDriverState {
  readonly requestAlignment = 1;
  readonly children: BdrvChild[];
  nodeName = '';
  private readonly backing: BackingLink = { bs: undefined, length: 0 };

  constructor(
    readonly driver: BlockDriver,
    readonly filename: string,
    readonly options: BlockDriverOptions,
    readonly flags: BlockOpenFlags,
    readonly file: BlockDriverState,
    readonly state: Qcow2State,
  ) {
    this.children = [{ role: 'file', name: 'file', bs: file }];
  }

  /** The backing file name the header records. */
  get backingFile(): string | undefined {
    return this.state.header.backingFile;
  }

  /** The backing format the header records. */
  get backingFormat(): string | undefined {
    return this.state.header.backingFormat;
  }

  /** Attach (or detach) the backing node (the block layer opens it). */
  *attachBacking(bs: BlockDriverState | undefined): Co {
    const i = this.children.findIndex((c) => c.role === 'backing');
    if (i >= 0) this.children.splice(i, 1);
    this.backing.bs = bs;
    this.backing.length = bs === undefined ? 0 : yield* bs.coGetLength();
    if (bs !== undefined) this.children.push({ role: 'backing', name: 'backing', bs });
  }

  // The request path's own generator, not one wrapped around it: a frame fewer on every yield.
  coPreadv(offset: number, bytes: number, qiov: IoVector, _flags: BlockRequestFlags): Co {
    return qcow2Preadv(this.state, this.backing, offset, bytes, qiov);
  }

  coPwritev(offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags): Co {
    if (flags.fua !== true) return qcow2Pwritev(this.state, this.backing, offset, bytes, qiov);
    return this.pwritevFua(offset, bytes, qiov);
  }

  private *pwritevFua(offset: number, bytes: number, qiov: IoVector): Co {
    yield* qcow2Pwritev(this.state, this.backing, offset, bytes, qiov);
    yield* qcow2Flush(this.state);
  }

  /** bdrv_co_pwritev_compressed: whole clusters (the image's last one may be short), used by convert -c. */
  *coPwritevCompressed(offset: number, bytes: number, qiov: IoVector): Co {
    const cs = this.state.clusterSize;
    if (offset % cs !== 0 || (bytes % cs !== 0 && offset + bytes !== this.state.header.size)) {
      throw new Qcow2Error('Compressed writes must be cluster aligned', 'EINVAL');
    }
    for (let at = 0; at < bytes; at += cs) {
      const n = Math.min(cs, bytes - at);
      yield* writeCompressedCluster(this.state, this.backing, offset + at, qiov.slice(at, n));
    }
  }

  *coPwriteZeroes(offset: number, bytes: number, flags: BlockRequestFlags): Co {
    const cs = this.state.clusterSize;
    const size = this.state.header.size;
    const head = offset % cs === 0 ? 0 : Math.min(bytes, cs - (offset % cs));
    const endAligned = offset + bytes >= size ? offset + bytes : offset + bytes - ((offset + bytes) % cs);
    const tail = Math.max(0, offset + bytes - Math.max(endAligned, offset + head));
    const mid = bytes - head - tail;
    const zeroes = (n: number): IoVector => new IoVector(new Uint8Array(n));
    if (head > 0) yield* qcow2Pwritev(this.state, this.backing, offset, head, zeroes(head));
    if (mid > 0) {
      const done = yield* qcow2ZeroClusters(this.state, offset + head, mid, flags.mayUnmap === true);
      if (!done) {
        if (flags.noFallback === true) throw new NotSupportedError('Zero clusters need qcow2 version 3');
        for (let at = 0; at < mid; at += 1 << 20) {
          const n = Math.min(1 << 20, mid - at);
          yield* qcow2Pwritev(this.state, this.backing, offset + head + at, n, zeroes(n));
        }
      }
    }
    if (tail > 0) yield* qcow2Pwritev(this.state, this.backing, offset + bytes - tail, tail, zeroes(tail));
  }

  *coPdiscard(offset: number, bytes: number): Co {
    yield* qcow2Discard(this.state, this.backing.bs !== undefined, offset, bytes);
  }

  *coBlockStatus(offset: number, bytes: number, _wantZero: boolean): Co<BlockStatus> {
    const s = this.state;
    yield* s.lock.lock();
    let m;
    try {
      m = yield* mapRange(s, offset, bytes);
    } finally {
      s.lock.unlock();
    }
    switch (m.type) {
      case ClusterType.Unallocated:
        return { flags: 0, bytes: m.bytes };
      case ClusterType.ZeroPlain:
        return { flags: BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED, bytes: m.bytes };
      case ClusterType.ZeroAlloc:
        return { flags: BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID, bytes: m.bytes, map: m.host, file: this.file };
      case ClusterType.Normal:
        return { flags: BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID, bytes: m.bytes, map: m.host, file: this.file };
      case ClusterType.Compressed:
        return { flags: BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_COMPRESSED, bytes: m.bytes };
    }
  }

  *coFlush(): Co {
    yield* qcow2Flush(this.state);
  }

  /** Run a snapshot operation under the metadata lock, on an image opened read/write. */
  private *snapshotOp<T>(fn: (s: Qcow2State) => Co<T>): Co<T> {
    const s = this.state;
    if (s.readOnly) throw new Qcow2Error(`Image '${s.name}' is read-only`, 'EACCES');
    yield* s.lock.lock();
    try {
      return yield* fn(s);
    } finally {
      s.lock.unlock();
    }
  }

  *coSnapshotCreate(name: string, dateSec: number, dateNsec: number): Co<BlockSnapshotInfo> {
    return yield* this.snapshotOp((s) => createSnapshot(s, name, dateSec, dateNsec));
  }

  *coSnapshotGoto(idOrName: string): Co {
    yield* this.snapshotOp((s) => gotoSnapshot(s, idOrName));
  }

  *coSnapshotDelete(id: string, name: string): Co {
    yield* this.snapshotOp((s) => deleteSnapshot(s, id, name));
  }

  *coGetLength(): Co<number> {
    return this.state.header.size;
  }

  *coTruncate(offset: number, _exact: boolean, prealloc: PreallocMode): Co {
    yield* qcow2Resize(this.state, offset, prealloc);
  }

  *coGetInfo(): Co<BlockDriverInfo> {
    const s = this.state;
    const h = s.header;
    const lazy = (h.compatibleFeatures & COMPAT_LAZY_REFCOUNTS) !== 0;
    const extra: Record<string, string> = {};
    return {
      clusterSize: s.clusterSize,
      extra,
      formatSpecific: {
        type: 'qcow2',
        data:
          h.version === 2
            ? { compat: '0.10', 'compression-type': 'zlib', 'refcount-bits': 2 ** h.refcountOrder }
            : {
                compat: '1.1',
                'compression-type': 'zlib',
                'lazy-refcounts': lazy,
                'refcount-bits': 2 ** h.refcountOrder,
                corrupt: (h.incompatibleFeatures & INCOMPAT_CORRUPT) !== 0,
                'extended-l2': false,
              },
      },
      dirty: (h.incompatibleFeatures & INCOMPAT_DIRTY) !== 0 && !s.markedDirty,
      snapshots: s.snapshots,
    };
  }

  *coMakeEmpty(): Co {
    yield* qcow2Discard(this.state, false, 0, this.state.header.size, true);
    yield* qcow2Flush(this.state);
  }

  *coChangeBackingFile(backingFile: string | undefined, backingFormat: string | undefined): Co {
    const s = this.state;
    yield* s.lock.lock();
    try {
      const h = s.header;
      const old = { file: h.backingFile, fmt: h.backingFormat };
      if (backingFile === undefined) delete h.backingFile;
      else h.backingFile = backingFile;
      if (backingFormat === undefined || backingFile === undefined) delete h.backingFormat;
      else h.backingFormat = backingFormat;
      try {
        yield* s.writeHeader();
      } catch (err) {
        if (old.file === undefined) delete h.backingFile;
        else h.backingFile = old.file;
        if (old.fmt === undefined) delete h.backingFormat;
        else h.backingFormat = old.fmt;
        throw err;
      }
      yield* s.file.flush();
    } finally {
      s.lock.unlock();
    }
  }

  /** qemu-img check: count (and with `repair`, fix) leaks and corruptions. */
  *coCheck(repair: Qcow2RepairMode): Co<Qcow2CheckResult> {
    const s = this.state;
    yield* s.lock.lock();
    try {
      yield* s.l2Cache.writeBack();
      yield* s.refcountCache.writeBack();
      return yield* qcow2Check(s, s.readOnly ? 'none' : repair);
    } finally {
      s.lock.unlock();
    }
  }

  *coClose(): Co {
    const s = this.state;
    try {
      if (!s.readOnly) {
        yield* qcow2Flush(s);
        if (s.markedDirty && (s.header.incompatibleFeatures & INCOMPAT_DIRTY) !== 0) {
          s.header.incompatibleFeatures &= ~INCOMPAT_DIRTY;
          yield* s.writeHeader();
          yield* s.file.flush();
        }
      }
    } finally {
      if (this.backing.bs !== undefined) yield* this.backing.bs.coClose();
      yield* this.file.coClose();
    }
  }
}

/** The qcow2 driver's open: the node over its `file` child. */
export function* qcow2Open(driver: BlockDriver, options: BlockDriverOptions, flags: BlockOpenFlags, file?: BlockDriverState): Co<BlockDriverState> {
  if (file === undefined) throw new Qcow2Error('A block device must be specified for "file"');
  const hf = new ChildHostFile(file);
  const lazy = options['lazy-refcounts'] as boolean | undefined;
  const state = yield* openQcow2State(hf, file.filename, flags.readOnly, lazy);
  return new Qcow2BlockDriverState(driver, file.filename, options, flags, file, state);
}

/** The qcow2 driver's image creation on an opened (and emptied) `file`. */
export function* qcow2CreateOnFile(file: BlockDriverState, options: BlockDriverOptions, size: number): Co {
  const o: Qcow2CreateOptions = { size, ...qcow2CreateOptions(options) };
  const hf = new ChildHostFile(file);
  yield* hf.length();
  if (hf.size > 0) yield* hf.truncate(0);
  yield* qcow2Create(hf, o);
  yield* hf.flush();
}

/** qcow2's create options (-o) as the create function takes them. */
function qcow2CreateOptions(options: BlockDriverOptions): Omit<Qcow2CreateOptions, 'size'> {
  if (options['extended_l2'] === true) throw new NotSupportedError('Extended L2 entries are not supported by this driver');
  if (options['encrypt.format'] !== undefined) throw new NotSupportedError('Encrypted qcow2 images are not supported by this driver');
  const o: { -readonly [K in keyof Qcow2CreateOptions]?: Qcow2CreateOptions[K] } = {};
  if (options['cluster_size'] !== undefined) o.clusterSize = options['cluster_size'] as number;
  if (options['compat'] !== undefined) o.compat = options['compat'] as '0.10' | '1.1' | 'v2' | 'v3';
  if (options['lazy_refcounts'] !== undefined) o.lazyRefcounts = options['lazy_refcounts'] as boolean;
  if (options['refcount_bits'] !== undefined) o.refcountBits = options['refcount_bits'] as number;
  if (options['preallocation'] !== undefined) o.preallocation = options['preallocation'] as 'off' | 'metadata';
  if (options['backing_file'] !== undefined) o.backingFile = options['backing_file'] as string;
  if (options['backing_fmt'] !== undefined) o.backingFormat = options['backing_fmt'] as string;
  return o;
}
