/**
 * Making a new qcow2 image (QEMU's qcow2_co_create): cluster 0 holds the
 * header, cluster 1 the refcount table, cluster 2 the first refcount block,
 * then the L1 table (allocated through the ordinary allocator, so any size
 * works); with preallocation=metadata every L2 table and data cluster is
 * allocated too and the file grows to cover them, as qemu-img does.
 */
import type { Co } from '@qco/core';
import { makeEntry, setEntryWords } from './qcow2-entry.js';
import { Qcow2Error } from './qcow2-errors.js';
import type { HostFile } from './qcow2-file.js';
import { COMPAT_LAZY_REFCOUNTS, QCOW_MAX_L1_SIZE, defaultHeader, serializeHeader, writeU64 } from './qcow2-header.js';
import { allocClusters, setRefcountEntry } from './qcow2-refcount.js';
import { Qcow2State } from './qcow2-state.js';

/** What `create -f qcow2 -o …` takes. */
export interface Qcow2CreateOptions {
  /** Virtual size in bytes. */
  readonly size: number;
  /** cluster_size (default 64 KiB; a power of two from 512 B to 2 MiB). */
  readonly clusterSize?: number;
  /** compat: '0.10' (v2) or '1.1' (v3, default). */
  readonly compat?: '0.10' | '1.1' | 'v2' | 'v3';
  /** lazy_refcounts (v3 only). */
  readonly lazyRefcounts?: boolean;
  /** refcount_bits (default 16; a power of two up to 64; v2 needs 16). */
  readonly refcountBits?: number;
  /** preallocation: off or metadata. */
  readonly preallocation?: 'off' | 'metadata';
  /** backing_file as it is recorded in the header. */
  readonly backingFile?: string;
  /** backing_fmt */
  readonly backingFormat?: string;
}

function log2(n: number): number {
  return Math.round(Math.log2(n));
}

/** Check create options with qemu-img's messages; returns (clusterBits, version, refcountOrder). */
export function checkCreateOptions(o: Qcow2CreateOptions): { clusterBits: number; version: 2 | 3; refcountOrder: number } {
  const cs = o.clusterSize ?? 65536;
  if (!Number.isInteger(cs) || cs < 512 || cs > 2 * 1024 * 1024 || (cs & (cs - 1)) !== 0) {
    throw new Qcow2Error('Cluster size must be a power of two between 512 and 2048k');
  }
  const version = o.compat === '0.10' || o.compat === 'v2' ? 2 : 3;
  const bits = o.refcountBits ?? 16;
  if (!Number.isInteger(bits) || bits < 1 || bits > 64 || (bits & (bits - 1)) !== 0) {
    throw new Qcow2Error('Refcount width must be a power of two and may not exceed 64 bits');
  }
  if (version === 2 && bits !== 16) throw new Qcow2Error('Different refcount widths than 16 bits require compatibility level 1.1 or above (use compat=1.1 or greater)');
  if (version === 2 && o.lazyRefcounts === true) throw new Qcow2Error('Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)');
  if (o.backingFormat !== undefined && o.backingFile === undefined) throw new Qcow2Error('Backing format cannot be used without backing file');
  if (o.preallocation === 'metadata' && o.backingFile !== undefined) throw new Qcow2Error('Backing file and preallocation can only be used at the same time if extended_l2 is on');
  if (!Number.isSafeInteger(o.size) || o.size < 0) throw new Qcow2Error('Image size must be a non-negative integer');
  return { clusterBits: log2(cs), version, refcountOrder: log2(bits) };
}

/** Write a fresh, empty qcow2 image of `o.size` bytes to `file` (which must be empty). */
export function* qcow2Create(file: HostFile, o: Qcow2CreateOptions): Co {
  const { clusterBits, version, refcountOrder } = checkCreateOptions(o);
  const cs = 2 ** clusterBits;
  const h = defaultHeader(o.size, clusterBits, version);
  h.refcountOrder = refcountOrder;
  if (o.lazyRefcounts === true) h.compatibleFeatures |= COMPAT_LAZY_REFCOUNTS;
  if (o.backingFile !== undefined) {
    h.backingFile = o.backingFile;
    if (o.backingFormat !== undefined) h.backingFormat = o.backingFormat;
  }
  const l2Bits = clusterBits - 3;
  const l1Size = Math.ceil(o.size / 2 ** (clusterBits + l2Bits));
  if (l1Size * 8 > QCOW_MAX_L1_SIZE) throw new Qcow2Error('Image size is too large for this cluster size', 'EFBIG');
  h.refcountTableOffset = cs;
  h.refcountTableClusters = 1;
  yield* file.pwrite(0, serializeHeader(h));
  const table = new Uint8Array(cs);
  writeU64(table, 0, 2 * cs);
  yield* file.pwrite(cs, table);
  const block = new Uint8Array(cs);
  for (let c = 0; c < 3; c++) setRefcountEntry(block, c, refcountOrder, 1);
  yield* file.pwrite(2 * cs, block);

  const s = new Qcow2State(file, h, 'new image', false);
  yield* s.load();
  s.freeClusterIndex = 3;
  if (l1Size > 0) {
    const l1Offset = yield* allocClusters(s, Math.ceil((l1Size * 8) / cs));
    s.header.l1Size = l1Size;
    s.header.l1TableOffset = l1Offset;
    s.l1Table = new Uint8Array(l1Size * 8);
    yield* s.refcountCache.flush();
    yield* file.pwrite(l1Offset, s.l1Table);
  }
  yield* s.writeHeader();
  if (o.preallocation === 'metadata') yield* preallocateMetadata(s);
  yield* s.refcountCache.flush();
}

/** preallocation=metadata: L2 tables and data clusters for the whole disk, the file grown over them. */
function* preallocateMetadata(s: Qcow2State): Co {
  const cs = s.clusterSize;
  const clusters = Math.ceil(s.header.size / cs);
  for (let l1i = 0; l1i * s.l2Size < clusters; l1i++) {
    const l2 = yield* allocClusters(s, 1);
    const n = Math.min(s.l2Size, clusters - l1i * s.l2Size);
    const data = yield* allocClusters(s, n);
    const table = new Uint8Array(cs);
    for (let k = 0; k < n; k++) {
      const [hi, lo] = makeEntry(data + k * cs, true);
      setEntryWords(table, k, hi, lo);
    }
    yield* s.refcountCache.flush();
    yield* s.file.pwrite(l2, table);
    const [hi, lo] = makeEntry(l2, true);
    setEntryWords(s.l1Table, l1i, hi, lo);
  }
  yield* s.file.pwrite(s.header.l1TableOffset, s.l1Table);
  const end = s.endCluster * cs;
  if ((yield* s.file.length()) < end) yield* s.file.truncate(end);
}
