/**
 * Consistency check and repair (QEMU's qcow2_check_refcounts): count every
 * reference the metadata makes to each host cluster (header, L1/L2 tables
 * of the active image and of snapshots, data clusters, compressed data, the
 * refcount table and blocks, the snapshot table), compare with the stored
 * refcounts, and report leaks (stored > referenced: wasted space) and
 * corruptions (stored < referenced, references outside the image, wrong
 * COPIED flags) with qemu-img's wording. Repair sets stored refcounts to the
 * counted ones (leaks with -r leaks, everything with -r all) and fixes
 * COPIED flags.
 */
import type { Co } from '@qco/core';
import type { BlockCheckResult } from '../../block/block-driver.js';
import { ClusterType, compressedClusters, entryWords, l1Entry, l2Entry, setEntryWords, OFLAG_COPIED_HI } from './qcow2-entry.js';
import { getRefcount, getRefcountEntry, setRefcountEntry, updateRefcount } from './qcow2-refcount.js';
import type { Qcow2State } from './qcow2-state.js';

/** What a check found: the block layer's BlockCheckResult (QEMU's BdrvCheckResult). */
export type Qcow2CheckResult = BlockCheckResult;

/** Which problems to repair: none, leaks, or all. */
export type Qcow2RepairMode = 'none' | 'leaks' | 'all';

function hex16(hi: number, lo: number): string {
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** qcow2_check: count, compare, optionally repair. Call with the metadata lock held (or on a quiet image). */
export function* qcow2Check(s: Qcow2State, repair: Qcow2RepairMode): Co<Qcow2CheckResult> {
  const cs = s.clusterSize;
  const fileLen = yield* s.file.length();
  const nbClusters = Math.ceil(fileLen / cs);
  const refs = new Float64Array(nbClusters);
  const r: Qcow2CheckResult = {
    corruptions: 0,
    leaks: 0,
    checkErrors: 0,
    corruptionsFixed: 0,
    leaksFixed: 0,
    imageEndOffset: 0,
    totalClusters: Math.ceil(s.header.size / cs),
    allocatedClusters: 0,
    fragmentedClusters: 0,
    compressedClusters: 0,
    messages: [],
  };
  const inc = (offset: number, bytes: number): void => {
    if (bytes <= 0) return;
    const first = Math.floor(offset / cs);
    const last = Math.floor((offset + bytes - 1) / cs);
    for (let c = first; c <= last; c++) {
      if (c >= nbClusters) {
        r.messages.push(`ERROR: counting reference for region exceeding the end of the file by one cluster or more: offset 0x${(c * cs).toString(16)} size 0x${cs.toString(16)}`);
        r.corruptions++;
        continue;
      }
      refs[c] = (refs[c]) + 1;
    }
  };

  inc(0, cs);
  const copiedFixes: { table: 'l1' | number; index: number; l1i: number }[] = [];
  // Active image (active: true) and snapshots: their L1 tables, L2 tables, data.
  const walkL1 = function* (l1: Uint8Array, l1Size: number, active: boolean): Co {
    let lastHost = -1;
    for (let i = 0; i < l1Size; i++) {
      const e = l1Entry(l1, i);
      if (e.offset === 0) continue;
      if (e.offset % cs !== 0) {
        r.messages.push(`ERROR l2_offset=${e.offset.toString(16)}: Table is not cluster aligned; L1 entry corrupted`);
        r.corruptions++;
        continue;
      }
      inc(e.offset, cs);
      if (e.offset >= fileLen) continue;
      const table = new Uint8Array(cs);
      yield* s.file.pread(e.offset, table);
      for (let j = 0; j < s.l2Size; j++) {
        const f = l2Entry(table, j, s.clusterBits);
        switch (f.type) {
          case ClusterType.Compressed: {
            if (active) {
              r.allocatedClusters++;
              r.compressedClusters++;
            }
            const [first, count] = compressedClusters(f, cs);
            inc(first, count * cs);
            lastHost = -1;
            break;
          }
          case ClusterType.Normal:
          case ClusterType.ZeroAlloc:
            if (f.offset % cs !== 0) {
              r.messages.push(`ERROR offset=${f.offset.toString(16)}: Cluster is not properly aligned; L2 entry corrupted.`);
              r.corruptions++;
              break;
            }
            if (active && f.type === ClusterType.Normal) {
              r.allocatedClusters++;
              if (lastHost >= 0 && f.offset !== lastHost + cs) r.fragmentedClusters++;
              lastHost = f.offset;
            }
            inc(f.offset, cs);
            break;
          default:
            break;
        }
      }
    }
  };
  yield* walkL1(s.l1Table, s.header.l1Size, true);
  if (s.header.l1Size > 0) inc(s.header.l1TableOffset, s.header.l1Size * 8);
  let snapBytes = 0;
  for (const snap of s.snapshots) {
    snapBytes += snap.entryBytes;
    if (snap.l1Size === 0) continue;
    if (snap.l1TableOffset % cs !== 0) {
      r.messages.push(`ERROR snapshot ${snap.id} (${snap.name}) l1_offset=0x${snap.l1TableOffset.toString(16)}: L1 table is not cluster aligned; snapshot table entry corrupted`);
      r.corruptions++;
      continue;
    }
    inc(snap.l1TableOffset, snap.l1Size * 8);
    const l1 = new Uint8Array(snap.l1Size * 8);
    yield* s.file.pread(snap.l1TableOffset, l1);
    yield* walkL1(l1, snap.l1Size, false);
  }
  if (s.header.nbSnapshots > 0) inc(s.header.snapshotsOffset, snapBytes);
  inc(s.header.refcountTableOffset, s.header.refcountTableClusters * cs);
  for (let i = 0; i < s.refTable.length; i++) {
    const off = s.refTable[i];
    if (off === 0) continue;
    if (off >= fileLen) {
      r.messages.push(`ERROR refcount block ${i} is outside image`);
      r.corruptions++;
      continue;
    }
    inc(off, cs);
  }

  // COPIED flags of the active tables: set exactly where the refcount is one.
  for (let i = 0; i < s.header.l1Size; i++) {
    const e = l1Entry(s.l1Table, i);
    if (e.offset === 0 || e.offset % cs !== 0 || e.offset >= fileLen) continue;
    const rc = yield* getRefcount(s, e.offset / cs);
    if ((rc === 1) !== e.copied) {
      const [hi, lo] = entryWords(s.l1Table, i);
      r.messages.push(`ERROR OFLAG_COPIED L2 cluster: l1_index=${i} l1_entry=${hex16(hi, lo)} refcount=${rc}`);
      r.corruptions++;
      copiedFixes.push({ table: 'l1', index: i, l1i: i });
    }
    const table = yield* s.l2Cache.get(e.offset);
    for (let j = 0; j < s.l2Size; j++) {
      const f = l2Entry(table, j, s.clusterBits);
      if (f.type !== ClusterType.Normal && f.type !== ClusterType.ZeroAlloc) continue;
      if (f.offset % cs !== 0 || f.offset >= fileLen) continue;
      const frc = yield* getRefcount(s, f.offset / cs);
      if ((frc === 1) !== f.copied) {
        const [hi, lo] = entryWords(table, j);
        r.messages.push(`ERROR OFLAG_COPIED data cluster: l2_entry=${hex16(hi, lo)} refcount=${frc}`);
        r.corruptions++;
        copiedFixes.push({ table: e.offset, index: j, l1i: i });
      }
    }
  }

  // Compare stored with counted refcounts.
  const mismatched: { c: number; stored: number; counted: number }[] = [];
  let lastUsed = -1;
  const limit = Math.max(nbClusters, s.refTable.length * s.refblockSize);
  for (let c = 0; c < limit; c++) {
    const idx = Math.floor(c / s.refblockSize);
    const blockOff = s.refTable[idx];
    if (c >= nbClusters && (blockOff === 0 || blockOff >= fileLen)) {
      c = (idx + 1) * s.refblockSize - 1;
      continue;
    }
    let stored = 0;
    if (blockOff !== 0 && blockOff < fileLen) {
      const block = yield* s.refcountCache.get(blockOff);
      stored = getRefcountEntry(block, c % s.refblockSize, s.refcountOrder);
    }
    const counted = c < nbClusters ? (refs[c]) : 0;
    if (stored > 0 || counted > 0) lastUsed = Math.max(lastUsed, c);
    if (stored === counted) continue;
    mismatched.push({ c, stored, counted });
    if (stored > counted) {
      r.messages.push(`${repair !== 'none' ? 'Repairing' : 'Leaked'} cluster ${c} refcount=${stored} reference=${counted}`);
      r.leaks++;
    } else {
      r.messages.push(`${repair === 'all' ? 'Repairing' : 'ERROR'} cluster ${c} refcount=${stored} reference=${counted}`);
      r.corruptions++;
    }
  }
  r.imageEndOffset = (lastUsed + 1) * cs;

  if (repair !== 'none') {
    for (const m of mismatched) {
      const leak = m.stored > m.counted;
      if (!leak && repair !== 'all') continue;
      if (m.counted > s.refcountMax) continue;
      const blockOff = (s.refTable[Math.floor(m.c / s.refblockSize)] ?? 0);
      if (blockOff !== 0 && blockOff < fileLen) {
        const block = yield* s.refcountCache.get(blockOff);
        setRefcountEntry(block, m.c % s.refblockSize, s.refcountOrder, m.counted);
        s.refcountCache.markDirty(blockOff);
        if (m.counted === 0 && m.c < s.freeClusterIndex) s.freeClusterIndex = m.c;
      } else {
        yield* updateRefcount(s, m.c, m.counted);
      }
      if (leak) r.leaksFixed++;
      else r.corruptionsFixed++;
    }
    if (repair === 'all') {
      for (const f of copiedFixes) {
        if (f.table === 'l1') {
          const e = l1Entry(s.l1Table, f.index);
          const rc = yield* getRefcount(s, e.offset / cs);
          const [hi, lo] = entryWords(s.l1Table, f.index);
          setEntryWords(s.l1Table, f.index, rc === 1 ? hi | OFLAG_COPIED_HI : hi & ~OFLAG_COPIED_HI, lo);
          yield* s.writeL1Entry(f.index);
        } else {
          const table = yield* s.l2Cache.get(f.table);
          const e = l2Entry(table, f.index, s.clusterBits);
          const rc = yield* getRefcount(s, e.offset / cs);
          const [hi, lo] = entryWords(table, f.index);
          setEntryWords(table, f.index, rc === 1 ? hi | OFLAG_COPIED_HI : hi & ~OFLAG_COPIED_HI, lo);
          s.l2Cache.markDirty(f.table);
        }
        r.corruptionsFixed++;
      }
    }
    yield* s.refcountCache.flush();
    yield* s.l2Cache.flush();
  }
  return r;
}
