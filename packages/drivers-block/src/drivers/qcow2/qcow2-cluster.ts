/**
 * Cluster mapping (QEMU's qcow2-cluster.c): from a guest offset to what its
 * cluster is (unallocated, zero, a host cluster, compressed data), through the
 * L1 table and the L2-table cache; and getting an L2 table ready for writing
 * (allocating it, or copying one shared with a snapshot). Runs with the
 * metadata CoMutex held.
 */
import type { Co } from '@qco/core';
import { ClusterType, entryHi, entryLo, entryOffset, l1Entry, l2Entry, makeEntry, setEntryWords, type L2Entry } from './qcow2-entry.js';
import { allocClusters, freeClusters } from './qcow2-refcount.js';
import { hex, type Qcow2State } from './qcow2-state.js';

/** How the first part of a guest range maps. */
export interface Mapping {
  readonly type: ClusterType;
  /** Host offset of the guest offset itself (Normal / ZeroAlloc), or of the compressed data. */
  readonly host: number;
  /** Bytes from the guest offset that map the same way (contiguously on the host). */
  readonly bytes: number;
  /** The first cluster's entry. */
  readonly entry: L2Entry;
}

const UNALLOCATED: L2Entry = { type: ClusterType.Unallocated, offset: 0, copied: false, compressedBytes: 0, reserved: false };

/** Why L1 entry `l1i` (pointing at `offset`) cannot be followed, or undefined when it can. */
function l1Corruption(s: Qcow2State, offset: number, l1i: number): string | undefined {
  if (offset % s.clusterSize !== 0) return `L2 table offset ${hex(offset)} unaligned (L1 index: ${hex(l1i)})`;
  if (offset >= s.fileLength || offset < s.clusterSize) return `L2 table offset ${hex(offset)} (L1 index: ${hex(l1i)}) is outside the image`;
  return undefined;
}

/** The L2 table covering L1 index `l1i`, or undefined when there is none. */
function* l2TableFor(s: Qcow2State, l1i: number): Co<{ table: Uint8Array; offset: number; copied: boolean } | undefined> {
  if (l1i >= s.header.l1Size) return undefined;
  const e = l1Entry(s.l1Table, l1i);
  if (e.offset === 0) return undefined;
  const bad = l1Corruption(s, e.offset, l1i);
  if (bad !== undefined) yield* s.signalCorruption(bad);
  return { table: yield* s.l2Cache.get(e.offset), offset: e.offset, copied: e.copied };
}

/** Why a mapped entry cannot be used (QEMU marks the image corrupt), or undefined when it can. */
function entryCorruption(s: Qcow2State, e: L2Entry, l2Offset: number, l2i: number): string | undefined {
  if ((e.type === ClusterType.Normal || e.type === ClusterType.ZeroAlloc) && e.offset % s.clusterSize !== 0) {
    return `Cluster allocation offset ${hex(e.offset)} unaligned (L2 offset: ${hex(l2Offset)}, L2 index: ${hex(l2i)})`;
  }
  if (e.type === ClusterType.Compressed && (e.offset >= s.fileLength || e.offset < s.clusterSize)) {
    return `Compressed cluster offset ${hex(e.offset)} (L2 offset: ${hex(l2Offset)}, L2 index: ${hex(l2i)}) is outside the image`;
  }
  return undefined;
}

/** How guest clusters from `l2i` of one L2 table map, given the first one's (checked) entry `e`. */
function mapInTable(s: Qcow2State, table: Uint8Array, l2i: number, e: L2Entry, inCluster: number, maxBytes: number): Mapping {
  const cs = s.clusterSize;
  if (e.type === ClusterType.Compressed) return { type: e.type, host: e.offset, bytes: Math.min(maxBytes, cs - inCluster), entry: e };
  const want = Math.ceil((inCluster + maxBytes) / cs);
  const hosted = e.type === ClusterType.Normal || e.type === ClusterType.ZeroAlloc;
  // Raw words, so a long contiguous run costs no decoding: same flags, and (hosted) the next host cluster.
  const hi0 = entryHi(table, l2i);
  const lo0 = entryLo(table, l2i);
  let n = 1;
  for (; n < want; n++) {
    const hi = entryHi(table, l2i + n);
    const lo = entryLo(table, l2i + n);
    if (hosted) {
      // Same flag and reserved bits, and the next host cluster.
      if ((hi ^ hi0) >>> 24 !== 0 || ((lo ^ lo0) & 0x1ff) !== 0 || entryOffset(hi, lo) !== e.offset + n * cs) break;
    } else if (hi !== hi0 || lo !== lo0) {
      const f = l2Entry(table, l2i + n, s.clusterBits);
      if (f.type !== e.type || f.copied !== e.copied) break;
    }
  }
  const host = hosted ? e.offset + inCluster : 0;
  return { type: e.type, host, bytes: Math.min(maxBytes, n * cs - inCluster), entry: e };
}

/** Where a lookup from memory could not answer: the L2 table to load (and check) first, and the position in it. */
interface Miss {
  readonly l1i: number;
  readonly l2i: number;
  readonly inCluster: number;
  readonly maxBytes: number;
}

/**
 * How guest [offset, offset + bytes) starts to map, from memory alone: the
 * mapping, or a Miss when the L2 table is not cached or the L1 or L2 entry
 * would mark the image corrupt (the loading path reports that).
 */
function lookup(s: Qcow2State, offset: number, bytes: number): Mapping | Miss {
  const cs = s.clusterSize;
  const inCluster = offset % cs;
  const cluster = Math.floor(offset / cs);
  const l1i = Math.floor(cluster / s.l2Size);
  const l2i = cluster % s.l2Size;
  const maxBytes = Math.min(bytes, (s.l2Size - l2i) * cs - inCluster);
  if (l1i >= s.header.l1Size) return { type: ClusterType.Unallocated, host: 0, bytes: maxBytes, entry: UNALLOCATED };
  const l2Offset = entryOffset(entryHi(s.l1Table, l1i), entryLo(s.l1Table, l1i));
  if (l2Offset === 0) return { type: ClusterType.Unallocated, host: 0, bytes: maxBytes, entry: UNALLOCATED };
  const table = l1Corruption(s, l2Offset, l1i) === undefined ? s.l2Cache.lookup(l2Offset) : undefined;
  if (table === undefined) return { l1i, l2i, inCluster, maxBytes };
  const e = l2Entry(table, l2i, s.clusterBits);
  if (entryCorruption(s, e, l2Offset, l2i) !== undefined) return { l1i, l2i, inCluster, maxBytes };
  return mapInTable(s, table, l2i, e, inCluster, maxBytes);
}

function isMiss(m: Mapping | Miss): m is Miss {
  return (m as Partial<Mapping>).type === undefined;
}

/** qcow2_get_host_offset: how guest [offset, offset + bytes) starts to map. */
export function* mapRange(s: Qcow2State, offset: number, bytes: number): Co<Mapping> {
  const m = lookup(s, offset, bytes);
  if (!isMiss(m)) return m;
  // Load the table (the lock is held, so nothing changes L1 meanwhile); bad entries are reported here.
  const t = yield* l2TableFor(s, m.l1i);
  if (t === undefined) return { type: ClusterType.Unallocated, host: 0, bytes: m.maxBytes, entry: UNALLOCATED };
  const e = l2Entry(t.table, m.l2i, s.clusterBits);
  const bad = entryCorruption(s, e, t.offset, m.l2i);
  if (bad !== undefined) yield* s.signalCorruption(bad);
  return mapInTable(s, t.table, m.l2i, e, m.inCluster, m.maxBytes);
}

/**
 * mapRange without yielding: the answer when everything it needs is in
 * memory (the L2 table cached, no entry that would mark the image corrupt),
 * else undefined and the caller takes the lock and the slow way. Callers use
 * it only while nobody holds the metadata lock, so what it reads is never a
 * half-done update, exactly as if it had taken the lock itself.
 */
export function mapRangeCached(s: Qcow2State, offset: number, bytes: number): Mapping | undefined {
  const m = lookup(s, offset, bytes);
  return isMiss(m) ? undefined : m;
}

/**
 * get_cluster_table for a write: the L2 table for L1 index `l1i`, allocated
 * when missing and copied when shared with a snapshot (L1 COPIED clear). The
 * new table reaches disk (after the refcounts it needs) before L1 points at it.
 */
export function* l2TableForWrite(s: Qcow2State, l1i: number): Co<{ table: Uint8Array; offset: number }> {
  const cur = yield* l2TableFor(s, l1i);
  if (cur !== undefined && cur.copied) return { table: cur.table, offset: cur.offset };
  const offset = yield* allocClusters(s, 1);
  s.metadataClusters.add(offset / s.clusterSize);
  const table = yield* s.l2Cache.getEmpty(offset);
  if (cur !== undefined) table.set(cur.table);
  s.l2Cache.markDirty(offset);
  if (!s.lazyRefcounts) yield* s.l2Cache.setDependency(s.refcountCache);
  yield* s.l2Cache.flush();
  const [hi, lo] = makeEntry(offset, true);
  setEntryWords(s.l1Table, l1i, hi, lo);
  yield* s.writeL1Entry(l1i);
  if (cur !== undefined) {
    s.metadataClusters.delete(cur.offset / s.clusterSize);
    yield* freeClusters(s, cur.offset, s.clusterSize);
  }
  return { table, offset };
}

/**
 * qcow2_free_any_cluster: drop the reference an entry held (a host cluster,
 * or every host cluster compressed data touches).
 */
export function* freeEntry(s: Qcow2State, e: L2Entry): Co {
  if (e.type === ClusterType.Normal || e.type === ClusterType.ZeroAlloc) yield* freeClusters(s, e.offset, s.clusterSize);
  else if (e.type === ClusterType.Compressed) yield* freeClusters(s, e.offset, e.compressedBytes);
}
