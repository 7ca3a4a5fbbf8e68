/**
 * Reference counts (QEMU's qcow2-refcount.c): reading and changing a
 * cluster's refcount through the refcount-block cache, allocating host
 * clusters (first fit from the lowest possibly free cluster), new refcount
 * blocks that describe themselves, and growing the refcount table. Every
 * function here runs with the metadata CoMutex held.
 */
import type { Co } from '@qco/core';
import { Qcow2Error } from './qcow2-errors.js';
import { u64, writeU64 } from './qcow2-header.js';
import { hex, type Qcow2State } from './qcow2-state.js';

/** Read entry `i` of a refcount block whose entries are 2^order bits wide. */
export function getRefcountEntry(block: Uint8Array, i: number, order: number): number {
  switch (order) {
    case 4:
      return ((block[i * 2]) << 8) | (block[i * 2 + 1]);
    case 3:
      return block[i];
    case 5:
      return new DataView(block.buffer, block.byteOffset).getUint32(i * 4);
    case 6: {
      const d = new DataView(block.buffer, block.byteOffset);
      return d.getUint32(i * 8) * 0x100000000 + d.getUint32(i * 8 + 4);
    }
    default: {
      const bits = 2 ** order;
      const bit = i * bits;
      return ((block[bit >> 3]) >> (bit & 7)) & ((1 << bits) - 1);
    }
  }
}

/** Write entry `i` of a refcount block. */
export function setRefcountEntry(block: Uint8Array, i: number, order: number, v: number): void {
  switch (order) {
    case 4:
      block[i * 2] = v >> 8;
      block[i * 2 + 1] = v & 0xff;
      return;
    case 3:
      block[i] = v;
      return;
    case 5:
      new DataView(block.buffer, block.byteOffset).setUint32(i * 4, v);
      return;
    case 6: {
      const d = new DataView(block.buffer, block.byteOffset);
      d.setUint32(i * 8, Math.floor(v / 0x100000000));
      d.setUint32(i * 8 + 4, v >>> 0);
      return;
    }
    default: {
      const bits = 2 ** order;
      const bit = i * bits;
      const mask = ((1 << bits) - 1) << (bit & 7);
      const byte = block[bit >> 3];
      block[bit >> 3] = (byte & ~mask) | ((v << (bit & 7)) & mask);
    }
  }
}

/** The refcount of host cluster `cluster` (0 where no refcount block covers it). */
export function* getRefcount(s: Qcow2State, cluster: number): Co<number> {
  const idx = Math.floor(cluster / s.refblockSize);
  if (idx >= s.refTable.length) return 0;
  const off = s.refTable[idx];
  if (off === 0) return 0;
  const block = yield* s.refcountCache.get(off);
  return getRefcountEntry(block, cluster % s.refblockSize, s.refcountOrder);
}

/**
 * First run of `n` free clusters at or above the hint, never inside
 * [avoidStart, avoidEnd). Moves the hint past the run when nothing below it
 * was free.
 */
function* findFreeClusters(s: Qcow2State, n: number, avoidStart = 0, avoidEnd = 0): Co<number> {
  const hint = s.freeClusterIndex;
  let start = hint;
  let sawFree = false;
  for (let i = hint; ; i++) {
    if (i >= s.endCluster && i >= avoidEnd) break; // everything from the end of the image on is free
    const busy = (i >= avoidStart && i < avoidEnd) || i === 0 || (yield* getRefcount(s, i)) !== 0;
    if (busy) {
      if (i + 1 - start > 0 && start < i) sawFree = true;
      start = i + 1;
    } else if (i + 1 - start >= n) break;
  }
  if (!sawFree && start === Math.max(hint, start)) s.freeClusterIndex = start + n;
  return start;
}

/**
 * Make sure a refcount block covers refcount-table index `idx`, allocating
 * one (and growing the table) when none does. Clusters in [avoidStart,
 * avoidEnd) are being allocated by the caller and must not be used.
 */
function* ensureRefblock(s: Qcow2State, idx: number, avoidStart: number, avoidEnd: number): Co<number> {
  if (idx >= s.refTable.length) yield* growRefTable(s, idx, avoidEnd);
  const have = s.refTable[idx];
  if (have !== 0) return have;
  const c = yield* findFreeClusters(s, 1, avoidStart, avoidEnd);
  const offset = c * s.clusterSize;
  if (Math.floor(c / s.refblockSize) === idx) {
    // The new block describes itself.
    const block = yield* s.refcountCache.getEmpty(offset);
    setRefcountEntry(block, c % s.refblockSize, s.refcountOrder, 1);
    s.endCluster = Math.max(s.endCluster, c + 1);
  } else {
    s.endCluster = Math.max(s.endCluster, c + 1);
    yield* updateRefcount(s, c, 1, Math.min(avoidStart, c), Math.max(avoidEnd, c + 1));
    yield* s.refcountCache.getEmpty(offset);
  }
  s.refcountCache.markDirty(offset);
  // The block must be on disk before the table points at it.
  yield* s.refcountCache.flush();
  s.refTable[idx] = offset;
  s.metadataClusters.add(c);
  yield* s.writeRefTableEntry(idx);
  return offset;
}

/**
 * Replace the refcount table with a larger one covering index `need`,
 * placed (with the refcount blocks describing it) past the end of the image.
 */
function* growRefTable(s: Qcow2State, need: number, avoidEnd: number): Co {
  const cs = s.clusterSize;
  const end = Math.max(s.endCluster, avoidEnd);
  let entries = Math.max(need + 1, Math.ceil((s.refTable.length * 3) / 2));
  let tableClusters = 0;
  let newBlocks: number[] = [];
  for (;;) {
    tableClusters = Math.ceil((entries * 8) / cs);
    // Ranges (refcount-table indexes) the new area [end, end + blocks + table) falls in that have no block.
    newBlocks = [];
    for (let guess = 0; ; guess = newBlocks.length) {
      newBlocks = [];
      const areaEnd = end + guess + tableClusters;
      for (let r = Math.floor(end / s.refblockSize); r <= Math.floor((areaEnd - 1) / s.refblockSize); r++) {
        if (r >= s.refTable.length || s.refTable[r] === 0) newBlocks.push(r);
      }
      if (newBlocks.length === guess) break;
    }
    const last = Math.floor((end + newBlocks.length + tableClusters - 1) / s.refblockSize);
    if (last < entries) break;
    entries = last + 1;
  }
  if (tableClusters * cs > 0x800000) throw new Qcow2Error('Refcount table too large', 'EFBIG');
  const areaEnd = end + newBlocks.length + tableClusters;
  const table = new Uint8Array(tableClusters * cs);
  s.refTable.forEach((off, i) => writeU64(table, i * 8, off));
  // New blocks go first in the area, the table after them.
  const blocks = new Map<number, Uint8Array>();
  newBlocks.forEach((r, k) => {
    blocks.set(r, new Uint8Array(cs));
    s.metadataClusters.add(end + k);
    writeU64(table, r * 8, (end + k) * cs);
  });
  for (let c = end; c < areaEnd; c++) {
    const r = Math.floor(c / s.refblockSize);
    const b = blocks.get(r);
    if (b !== undefined) setRefcountEntry(b, c % s.refblockSize, s.refcountOrder, 1);
    else {
      const block = yield* s.refcountCache.get(s.refTable[r]);
      setRefcountEntry(block, c % s.refblockSize, s.refcountOrder, 1);
      s.refcountCache.markDirty(s.refTable[r]);
    }
  }
  yield* s.refcountCache.flush();
  let k = 0;
  for (const b of blocks.values()) yield* s.file.pwrite((end + k++) * cs, b);
  const tableOffset = (end + newBlocks.length) * cs;
  yield* s.file.pwrite(tableOffset, table);
  yield* s.file.flush();
  const oldOffset = s.header.refcountTableOffset;
  const oldClusters = s.header.refcountTableClusters;
  const hdr = new Uint8Array(12);
  writeU64(hdr, 0, tableOffset);
  new DataView(hdr.buffer).setUint32(8, tableClusters);
  yield* s.file.pwrite(48, hdr);
  yield* s.file.flush();
  s.header.refcountTableOffset = tableOffset;
  s.header.refcountTableClusters = tableClusters;
  s.refTable = new Array<number>((tableClusters * cs) / 8).fill(0);
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  for (let i = 0; i < s.refTable.length; i++) s.refTable[i] = u64(view, i * 8);
  s.endCluster = Math.max(s.endCluster, areaEnd);
  yield* freeClusters(s, oldOffset, oldClusters * cs);
}

/**
 * update_refcount: add `addend` to the refcount of host cluster `cluster`.
 * Underflow and overflow are corruption / -ERANGE as in QEMU. A count
 * reaching zero makes the cluster free for reuse.
 */
export function* updateRefcount(s: Qcow2State, cluster: number, addend: number, avoidStart = cluster, avoidEnd = cluster + 1): Co {
  const idx = Math.floor(cluster / s.refblockSize);
  let off = idx < s.refTable.length ? (s.refTable[idx]) : 0;
  if (off === 0) {
    if (addend < 0) yield* s.signalCorruption(`Freeing cluster ${hex(cluster * s.clusterSize)} that has no refcount block`);
    off = yield* ensureRefblock(s, idx, avoidStart, avoidEnd);
  }
  if (addend < 0 && !s.lazyRefcounts) yield* s.refcountCache.setDependency(s.l2Cache);
  const block = yield* s.refcountCache.get(off);
  s.refcountCache.markDirty(off);
  if (updateEntry(s, block, cluster, addend) === NEGATIVE) yield* negativeRefcount(s, cluster);
}

const NEGATIVE = -1;
const FREED = 1;

function negativeRefcount(s: Qcow2State, cluster: number): Co<never> {
  return s.signalCorruption(`Refcount of cluster ${hex(cluster * s.clusterSize)} would become negative`);
}

/**
 * Add `addend` to the refcount of `cluster`, whose entry is in `block`
 * (marked dirty by the caller): FREED when it reached zero, NEGATIVE (and
 * nothing changed) when it would go below, else 0. No yield, so a run of
 * clusters costs no coroutine frame each.
 */
function updateEntry(s: Qcow2State, block: Uint8Array, cluster: number, addend: number): number {
  const i = cluster % s.refblockSize;
  const v = getRefcountEntry(block, i, s.refcountOrder) + addend;
  if (v < 0) return NEGATIVE;
  if (v > s.refcountMax) throw new Qcow2Error(`Refcount overflow on cluster ${hex(cluster * s.clusterSize)} of '${s.name}'`, 'ERANGE');
  setRefcountEntry(block, i, s.refcountOrder, v);
  if (v !== 0) return 0;
  if (cluster < s.freeClusterIndex) s.freeClusterIndex = cluster;
  s.metadataClusters.delete(cluster);
  if (Math.floor(s.freeByteOffset / s.clusterSize) === cluster) s.freeByteOffset = 0;
  // A freed cluster may have held a table: drop it from the caches so it is never written back.
  s.l2Cache.discard(cluster * s.clusterSize);
  s.refcountCache.discard(cluster * s.clusterSize);
  return FREED;
}

/**
 * updateRefcount for clusters [first, first + n): one refcount-block lookup
 * per block the run crosses instead of one per cluster (QEMU's
 * update_refcount walks a range the same way). A cluster no block covers
 * yet goes the one-cluster way, which allocates the block.
 */
export function* updateRefcounts(s: Qcow2State, first: number, n: number, addend: number, avoidStart?: number, avoidEnd?: number): Co {
  const end = first + n;
  let c = first;
  while (c < end) {
    const idx = Math.floor(c / s.refblockSize);
    const off = idx < s.refTable.length ? s.refTable[idx] : 0;
    if (off === 0) {
      yield* updateRefcount(s, c, addend, avoidStart ?? c, avoidEnd ?? c + 1);
      c++;
      continue;
    }
    if (addend < 0 && !s.lazyRefcounts) yield* s.refcountCache.setDependency(s.l2Cache);
    const block = yield* s.refcountCache.get(off);
    s.refcountCache.markDirty(off);
    const stop = Math.min(end, (idx + 1) * s.refblockSize);
    while (c < stop) {
      const r = updateEntry(s, block, c, addend);
      if (r === NEGATIVE) yield* negativeRefcount(s, c);
      c++;
      // The block freed its own cluster: it left the cache, so the next cluster looks it up again.
      if (r === FREED && (c - 1) * s.clusterSize === off) break;
    }
  }
}

/** qcow2_alloc_clusters: `n` contiguous fresh clusters (refcount 1); returns the host offset. */
export function* allocClusters(s: Qcow2State, n: number): Co<number> {
  const start = yield* findFreeClusters(s, n);
  s.endCluster = Math.max(s.endCluster, start + n);
  yield* updateRefcounts(s, start, n, 1, start, start + n);
  return start * s.clusterSize;
}

/** qcow2_free_clusters: drop one reference from every cluster in [offset, offset + bytes). */
export function* freeClusters(s: Qcow2State, offset: number, bytes: number): Co {
  const first = Math.floor(offset / s.clusterSize);
  const last = Math.floor((offset + bytes - 1) / s.clusterSize);
  yield* updateRefcounts(s, first, last - first + 1, -1);
}
