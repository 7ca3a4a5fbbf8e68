/**
 * QEMU's qcow2_update_snapshot_refcount: walk one L1 table (the active one
 * from memory, a snapshot's from disk), add `addend` (+1, -1 or 0) to the
 * refcount of every L2 table and data cluster it references, and set the
 * COPIED flag of each L1 and L2 entry to "refcount is exactly one" — what
 * creating, applying and deleting an internal snapshot all come down to.
 * Runs with the metadata CoMutex held.
 */
import type { Co } from '@qco/core';
import { ClusterType, OFLAG_COPIED_HI, compressedClusters, entryHi, entryLo, entryOffset, l2Entry, setEntryWords } from './qcow2-entry.js';
import { getRefcount, updateRefcount, updateRefcounts } from './qcow2-refcount.js';
import { hex, type Qcow2State } from './qcow2-state.js';

function withCopied(hi: number, refcount: number): number {
  return (refcount === 1 ? hi | OFLAG_COPIED_HI : hi & ~OFLAG_COPIED_HI) >>> 0;
}

/** Add `addend` to every cluster the L1 table at `l1Offset` (`l1Size` entries) references and fix the COPIED flags; then flush. */
export function* updateSnapshotRefcount(s: Qcow2State, l1Offset: number, l1Size: number, addend: number): Co {
  const cs = s.clusterSize;
  const active = l1Offset === s.header.l1TableOffset;
  // The active table comes from memory: applying a snapshot relies on that, having overwritten it on disk already.
  let l1 = s.l1Table;
  if (!active) {
    l1 = new Uint8Array(l1Size * 8);
    yield* s.file.pread(l1Offset, l1);
  }
  let l1Modified = false;
  for (let i = 0; i < l1Size; i++) {
    const hi = entryHi(l1, i);
    const lo = entryLo(l1, i);
    if (hi === 0 && lo === 0) continue;
    const l2Offset = entryOffset(hi, lo);
    if (l2Offset % cs !== 0) yield* s.signalCorruption(`L2 table offset ${hex(l2Offset)} unaligned (L1 index: ${hex(i)})`);
    const table = yield* s.l2Cache.get(l2Offset);
    let dirty = false;
    for (let j = 0; j < s.l2Size; j++) {
      const ehi = entryHi(table, j);
      const elo = entryLo(table, j);
      if (ehi === 0 && elo === 0) continue;
      const e = l2Entry(table, j, s.clusterBits);
      let refcount = 0;
      if (e.type === ClusterType.Compressed) {
        if (addend !== 0) {
          const [first, n] = compressedClusters(e, cs);
          yield* updateRefcounts(s, first / cs, n, addend);
        }
        refcount = 2; // compressed clusters are never written in place
      } else if (e.type === ClusterType.Normal || e.type === ClusterType.ZeroAlloc) {
        if (e.offset % cs !== 0) {
          yield* s.signalCorruption(`Cluster allocation offset ${hex(e.offset)} unaligned (L2 offset: ${hex(l2Offset)}, L2 index: ${hex(j)})`);
        }
        if (addend !== 0) yield* updateRefcount(s, e.offset / cs, addend);
        refcount = yield* getRefcount(s, e.offset / cs);
      }
      const nhi = withCopied(ehi, refcount);
      if (nhi !== ehi) {
        if (addend > 0 && !s.lazyRefcounts) yield* s.l2Cache.setDependency(s.refcountCache);
        setEntryWords(table, j, nhi, elo);
        dirty = true;
      }
    }
    if (dirty) s.l2Cache.markDirty(l2Offset);
    if (addend !== 0) yield* updateRefcount(s, l2Offset / cs, addend);
    const refcount = yield* getRefcount(s, l2Offset / cs);
    if (refcount === 0) s.metadataClusters.delete(l2Offset / cs);
    const nhi = withCopied(hi, refcount);
    if (nhi !== hi) {
      setEntryWords(l1, i, nhi, lo);
      l1Modified = true;
    }
  }
  yield* s.l2Cache.writeBack();
  yield* s.refcountCache.writeBack();
  yield* s.file.flush();
  // A table whose clusters are dropped (addend -1) is not worth rewriting.
  if (addend >= 0 && l1Modified) {
    yield* s.file.pwrite(l1Offset, l1.subarray(0, l1Size * 8));
    yield* s.file.flush();
  }
}
