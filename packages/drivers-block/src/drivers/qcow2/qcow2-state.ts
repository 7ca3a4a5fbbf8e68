/**
 * The in-memory state of an open qcow2 image (QEMU's BDRVQcow2State): the
 * header, the L1 and refcount tables, the two metadata caches with their
 * flush dependency, the metadata CoMutex and the in-flight cluster
 * allocations other writers wait on. The logic lives in the files named for
 * it (refcounts, cluster mapping, reads/writes, check); this file only holds
 * and loads what they share.
 */
import { CoMutex, CoQueue, type Co } from '@qco/core';
import { Qcow2Cache } from './qcow2-cache.js';
import { Qcow2Error } from './qcow2-errors.js';
import type { HostFile } from './qcow2-file.js';
import { l1Entry } from './qcow2-entry.js';
import { INCOMPAT_CORRUPT, serializeHeader, u64, writeU64, type Qcow2Header } from './qcow2-header.js';
import { readSnapshotTable, type Qcow2Snapshot } from './qcow2-snapshot.js';

/** An allocating write in flight: guest clusters [start, end) (QEMU's QCowL2Meta). */
export interface InflightAlloc {
  readonly start: number;
  readonly end: number;
  readonly done: CoQueue;
}

/** Tables a cache holds at most (each one cluster). */
const L2_CACHE_TABLES = 64;
const REFCOUNT_CACHE_TABLES = 16;
/** Refcount-table bytes compared at once against zeros when the table is loaded. */
const ZERO_STRETCH = Buffer.alloc(512);

/** An open image's shared state. */
export class Qcow2State {
  readonly clusterBits: number;
  readonly clusterSize: number;
  /** log2 of L2 entries per table. */
  readonly l2Bits: number;
  readonly l2Size: number;
  readonly refcountOrder: number;
  /** log2 of refcount entries per refcount block. */
  readonly refblockBits: number;
  readonly refblockSize: number;
  /** The largest refcount an entry can hold. */
  readonly refcountMax: number;
  l1Table: Uint8Array = new Uint8Array(0);
  refTable: number[] = [];
  readonly l2Cache: Qcow2Cache;
  readonly refcountCache: Qcow2Cache;
  /** Guards every metadata structure (QEMU's s->lock). */
  readonly lock = new CoMutex();
  readonly inflight = new Set<InflightAlloc>();
  /** Lowest cluster index that may be free (QEMU's free_cluster_index). */
  freeClusterIndex = 0;
  /** Where the next compressed cluster's data may go (QEMU's free_byte_offset; 0 = none). */
  freeByteOffset = 0;
  /** One past the highest cluster index in use or reserved. */
  endCluster = 0;
  snapshots: Qcow2Snapshot[] = [];
  /** Host clusters holding L2 tables and refcount blocks (QEMU's overlap check). */
  readonly metadataClusters = new Set<number>();
  /** Whether we set the dirty bit this session (lazy refcounts). */
  markedDirty = false;

  constructor(
    readonly file: HostFile,
    readonly header: Qcow2Header,
    readonly name: string,
    readonly readOnly: boolean,
  ) {
    this.clusterBits = header.clusterBits;
    this.clusterSize = 2 ** header.clusterBits;
    this.l2Bits = this.clusterBits - 3;
    this.l2Size = 2 ** this.l2Bits;
    this.refcountOrder = header.refcountOrder;
    this.refblockBits = this.clusterBits + 3 - this.refcountOrder;
    this.refblockSize = 2 ** this.refblockBits;
    this.refcountMax = this.refcountOrder >= 6 ? Number.MAX_SAFE_INTEGER : 2 ** (2 ** this.refcountOrder) - 1;
    this.l2Cache = new Qcow2Cache(file, this.clusterSize, L2_CACHE_TABLES);
    this.refcountCache = new Qcow2Cache(file, this.clusterSize, REFCOUNT_CACHE_TABLES);
  }

  /** Whether the image uses lazy refcounts in this session. */
  lazyRefcounts = false;

  /** The host file's length as last known. */
  get fileLength(): number {
    return this.file.size;
  }

  /** Whether v3 zero clusters may be written. */
  get hasZeroClusters(): boolean {
    return this.header.version >= 3;
  }

  /** Load the L1 table, the refcount table and the snapshot list. */
  *load(): Co {
    const h = this.header;
    const fileLen = yield* this.file.length();
    const rtBytes = h.refcountTableClusters * this.clusterSize;
    // Tables must lie inside the file: a write to one must never land past its end.
    if (h.refcountTableOffset >= fileLen) throw new Qcow2Error(`Image '${this.name}' is corrupt: reference count table offset ${hex(h.refcountTableOffset)} is past the end of the file`, 'EIO');
    if (h.l1Size > 0 && h.l1TableOffset >= fileLen) {
      throw new Qcow2Error(`Image '${this.name}' is corrupt: L1 table offset ${hex(h.l1TableOffset)} is past the end of the file`, 'EIO');
    }
    const rt = new Uint8Array(rtBytes);
    yield* this.file.pread(h.refcountTableOffset, rt);
    this.refTable = new Array<number>(rtBytes / 8).fill(0);
    const rtView = new DataView(rt.buffer);
    const rtBuf = Buffer.from(rt.buffer, rt.byteOffset, rtBytes);
    // A refcount table is mostly zeros (one of 64 KiB covers a 16 TiB file of 64 KiB clusters):
    // each all-zero stretch is passed over with one native compare, not 64 entry checks.
    for (let at = 0; at < rtBytes; at += ZERO_STRETCH.length) {
      const end = Math.min(at + ZERO_STRETCH.length, rtBytes);
      if (rtBuf.compare(ZERO_STRETCH, 0, end - at, at, end) === 0) continue;
      for (let i = at / 8; i < end / 8; i++) {
        const off = u64(rtView, i * 8);
        if (off % 512 !== 0 || !Number.isFinite(off)) throw new Qcow2Error(`Reference count table entry ${i} is invalid`, 'EIO');
        const o = off - (off % this.clusterSize);
        if (off !== o) throw new Qcow2Error(`Refblock offset ${hex(off)} unaligned (reftable index: ${hex(i)})`, 'EIO');
        if (off >= fileLen && !this.readOnly) throw new Qcow2Error(`Image '${this.name}' is corrupt: refblock offset ${hex(off)} (reftable index: ${hex(i)}) is past the end of the file`, 'EIO');
        this.refTable[i] = off;
        if (off !== 0) this.metadataClusters.add(off / this.clusterSize);
      }
    }
    this.l1Table = new Uint8Array(h.l1Size * 8);
    if (h.l1Size > 0) yield* this.file.pread(h.l1TableOffset, this.l1Table);
    this.snapshots = yield* readSnapshotTable(this.file, h, fileLen);
    this.endCluster = Math.ceil(fileLen / this.clusterSize);
    for (let i = 0; i < h.l1Size; i++) {
      const e = l1Entry(this.l1Table, i);
      if (e.offset !== 0 && e.offset % this.clusterSize === 0) this.metadataClusters.add(e.offset / this.clusterSize);
    }
  }

  /**
   * qcow2_check_metadata_overlap for a data write to host [offset, offset +
   * bytes): what metadata it would land on (the header, the L1 or refcount
   * table, an L2 table, a refcount block or the snapshot table), or undefined.
   */
  dataWriteOverlap(offset: number, bytes: number): string | undefined {
    const cs = this.clusterSize;
    const h = this.header;
    const overlaps = (start: number, len: number): boolean => start < offset + bytes && offset < start + len;
    if (offset < cs) return 'qcow2_header';
    if (h.l1Size > 0 && overlaps(h.l1TableOffset, h.l1Size * 8)) return 'active L1 table';
    if (overlaps(h.refcountTableOffset, h.refcountTableClusters * cs)) return 'refcount table';
    if (h.nbSnapshots > 0 && overlaps(h.snapshotsOffset, this.snapshots.reduce((n, x) => n + x.entryBytes, 0))) return 'snapshot table';
    for (let c = Math.floor(offset / cs); c * cs < offset + bytes; c++) {
      if (this.metadataClusters.has(c)) return 'metadata (L2 table or refcount block)';
    }
    return undefined;
  }

  /** Refuse a data write that dataWriteOverlap finds landing on metadata, marking the image corrupt. */
  *checkDataWrite(offset: number, bytes: number): Co {
    const what = this.dataWriteOverlap(offset, bytes);
    if (what !== undefined) yield* this.signalCorruption(`Preventing invalid write on metadata (overlaps with ${what})`);
  }

  /**
   * qcow2_signal_corruption: stop trusting the image. A writable image gets
   * the corrupt bit (so it cannot be opened read/write again until repaired);
   * the request fails with EIO and the message names the image.
   */
  *signalCorruption(what: string): Co<never> {
    if (!this.readOnly && (this.header.incompatibleFeatures & INCOMPAT_CORRUPT) === 0) {
      this.header.incompatibleFeatures |= INCOMPAT_CORRUPT;
      try {
        yield* this.writeHeader();
        yield* this.file.flush();
      } catch {
        // Best effort: the error below is what matters.
      }
      process.stderr.write(`qcow2: Marking image as corrupt: ${what}; further corruption events will be suppressed\n`);
    }
    throw new Qcow2Error(`Image '${this.name}' is corrupt: ${what}`, 'EIO');
  }

  /** Rewrite cluster 0 from `header`. */
  *writeHeader(): Co {
    // Cluster 0 holds nothing but the header, so it is rewritten whole.
    yield* this.file.pwrite(0, serializeHeader(this.header));
  }

  /** Write L1 entry `i` (in memory already) to disk. */
  *writeL1Entry(i: number): Co {
    const at = i - (i % 64); // QEMU writes one 512-byte sector of L1 at a time
    const end = Math.min(this.header.l1Size, at + 64);
    yield* this.file.pwrite(this.header.l1TableOffset + at * 8, this.l1Table.slice(at * 8, end * 8));
  }

  /** Write refcount-table entry `i` to disk. */
  *writeRefTableEntry(i: number): Co {
    const b = new Uint8Array(8);
    writeU64(b, 0, this.refTable[i] ?? 0);
    yield* this.file.pwrite(this.header.refcountTableOffset + i * 8, b);
  }

  /** The first guest cluster in [start, end) an allocating write in flight covers, else `end`. */
  firstAllocFrom(start: number, end: number): number {
    let first = end;
    for (const a of this.inflight) if (a.start < first && start < a.end) first = Math.max(a.start, start);
    return first;
  }

  /** The allocating write in flight that covers any of guest clusters [start, end), if one does. */
  conflictingAlloc(start: number, end: number): InflightAlloc | undefined {
    for (const a of this.inflight) if (a.start < end && start < a.end) return a;
    return undefined;
  }
}

/** `0x…` as QEMU prints offsets in messages. */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
