/**
 * Guest reads and writes of a qcow2 image, done as QEMU's qcow2.c does them:
 * the metadata CoMutex is held only to look up or change mappings, never
 * across data I/O; a request is cut at mapping boundaries into tasks that run
 * in parallel (TaskPool); an allocating write reserves its host clusters,
 * registers itself as in flight (other writers of those guest clusters wait
 * on its CoQueue, QEMU's handle_dependencies), writes the data with the
 * copy-on-write head and tail in one request outside the lock, and only then
 * links the clusters into the L2 table (whose write-back depends on the
 * refcount blocks being on disk first).
 */
import type { Co } from '@qco/core';
import { CoQueue } from '@qco/core';
import type { BlockDriverState } from '../../block/block-driver.js';
import { bdrvCoPreadv } from '../../block/io.js';
import { IoVector } from '../../block/iov.js';
import { mapRange, mapRangeCached, freeEntry, l2TableForWrite, type Mapping } from './qcow2-cluster.js';
import { inflateCluster } from './qcow2-compress.js';
import { ClusterType, entryHi, entryLo, l2Entry, setEntryWords, setStandardEntry, OFLAG_ZERO_LO, entryWords, type L2Entry } from './qcow2-entry.js';
import { INCOMPAT_DIRTY } from './qcow2-header.js';
import { allocClusters, freeClusters } from './qcow2-refcount.js';
import { hex, type InflightAlloc, type Qcow2State } from './qcow2-state.js';
import { TaskPool } from './qcow2-tasks.js';

/** The backing node a qcow2 image reads unallocated clusters from. */
export interface BackingLink {
  bs: BlockDriverState | undefined;
  length: number;
}

function* locked<T>(s: Qcow2State, fn: () => Co<T>): Co<T> {
  yield* s.lock.lock();
  try {
    return yield* fn();
  } finally {
    s.lock.unlock();
  }
}

/** Read guest bytes [offset, offset + qiov.size) of the backing image (zeroes past its end). */
function readBacking(backing: BackingLink, offset: number, qiov: IoVector): Co {
  // Wholly inside the backing image: its own request, with no frame of ours around it.
  if (backing.bs !== undefined && offset + qiov.size <= backing.length) return bdrvCoPreadv(backing.bs, offset, qiov.size, qiov);
  return readBackingNearEnd(backing, offset, qiov);
}

function* readBackingNearEnd(backing: BackingLink, offset: number, qiov: IoVector): Co {
  const bytes = qiov.size;
  const inside = backing.bs === undefined ? 0 : Math.max(0, Math.min(bytes, backing.length - offset));
  if (inside > 0) yield* bdrvCoPreadv(backing.bs as BlockDriverState, offset, inside, qiov.slice(0, inside));
  if (inside < bytes) qiov.fill(0, inside, bytes - inside);
}

function* readPiece(s: Qcow2State, backing: BackingLink, m: Mapping, offset: number, qiov: IoVector): Co {
  switch (m.type) {
    case ClusterType.Unallocated:
      return yield* readBacking(backing, offset, qiov);
    case ClusterType.ZeroPlain:
    case ClusterType.ZeroAlloc:
      { qiov.fill(0); return; }
    case ClusterType.Normal:
      return yield* s.file.preadv(m.host, qiov);
    case ClusterType.Compressed: {
      const data = new Uint8Array(m.entry.compressedBytes);
      yield* s.file.pread(m.entry.offset, data);
      const cluster = yield* inflateCluster(data, s.clusterSize, `'${s.name}'`);
      const at = offset % s.clusterSize;
      qiov.fromBuffer(cluster.subarray(at, at + qiov.size));
      return;
    }
  }
}

/** qcow2_co_preadv_part */
export function* qcow2Preadv(s: Qcow2State, backing: BackingLink, offset: number, bytes: number, qiov: IoVector): Co {
  let pool: TaskPool | undefined;
  let done = 0;
  while (done < bytes) {
    const at = offset + done;
    // A free lock and a cached table: the lookup cannot yield, so taking the lock would change nothing.
    let m = s.lock.locked ? undefined : mapRangeCached(s, at, bytes - done);
    // (No `??` around a yield: the CommonJS build turns it into a closure.)
    if (m === undefined) m = yield* locked(s, () => mapRange(s, at, bytes - done));
    const mapping = m;
    const part = m.bytes === bytes && done === 0 ? qiov : qiov.slice(done, m.bytes);
    if (pool === undefined && m.bytes === bytes - done) {
      if (m.type === ClusterType.Normal) yield* s.file.preadv(m.host, part);
      else if (m.type === ClusterType.Unallocated) yield* readBacking(backing, at, part);
      else yield* readPiece(s, backing, m, at, part);
    } else {
      pool ??= new TaskPool();
      if (pool.hasFailed) break;
      yield* pool.start(() => readPiece(s, backing, mapping, at, part));
    }
    done += m.bytes;
  }
  if (pool !== undefined) yield* pool.waitAll();
}

/** qcow2_mark_dirty: with lazy refcounts, set the dirty bit (durably) before the first metadata change. */
function* markDirty(s: Qcow2State): Co {
  if (!s.lazyRefcounts || s.markedDirty) return;
  s.markedDirty = true;
  if ((s.header.incompatibleFeatures & INCOMPAT_DIRTY) !== 0) return;
  yield* s.file.flush();
  s.header.incompatibleFeatures |= INCOMPAT_DIRTY;
  yield* s.writeHeader();
  yield* s.file.flush();
}

type WritePlan =
  | { kind: 'inplace'; host: number; bytes: number }
  | { kind: 'alloc'; host: number; c0: number; n: number; bytes: number; alloc: InflightAlloc; zeroCow: boolean }
  | { kind: 'wait'; alloc: InflightAlloc };

/** Whether guest cluster entry `e` can take a write in place. */
function inPlace(type: ClusterType, copied: boolean): boolean {
  return type === ClusterType.Normal && copied;
}

/** Whether guest cluster `c`, mapped as `type`, reads as zeroes without reading anything. */
function readsZero(s: Qcow2State, backing: BackingLink, c: number, type: ClusterType): boolean {
  if (type === ClusterType.ZeroPlain || type === ClusterType.ZeroAlloc) return true;
  return type === ClusterType.Unallocated && (backing.bs === undefined || backing.length <= c * s.clusterSize);
}

/** Under the lock: decide how the first part of a write goes, allocating host clusters if needed, or which allocation to wait for first. */
function* prepareWrite(s: Qcow2State, backing: BackingLink, offset: number, bytes: number): Co<WritePlan> {
  const cs = s.clusterSize;
  for (;;) {
    const m = yield* mapRange(s, offset, bytes);
    if (inPlace(m.type, m.entry.copied)) {
      if (m.host - (offset % s.clusterSize) >= s.fileLength) {
        yield* s.signalCorruption(`Data cluster offset ${hex(m.host - (offset % s.clusterSize))} is past the end of the image file`);
      }
      yield* s.checkDataWrite(m.host, m.bytes);
      return { kind: 'inplace', host: m.host, bytes: m.bytes };
    }
    const c0 = Math.floor(offset / cs);
    const busy = s.conflictingAlloc(c0, c0 + 1);
    // QEMU's handle_dependencies: wait for the other allocation, then look again (the caller waits, after unlocking).
    if (busy !== undefined) return { kind: 'wait', alloc: busy };
    // QEMU's handle_alloc: the following clusters of the same L2 table that need allocating too, up to the
    // first one another write is allocating, taken a mapping run at a time (one allocation, one L2 update).
    const tableEnd = (Math.floor(c0 / s.l2Size) + 1) * s.l2Size;
    const limit = s.firstAllocFrom(c0 + 1, Math.min(Math.floor((offset + bytes - 1) / cs) + 1, tableEnd));
    let n = Math.min(limit - c0, Math.ceil(((offset % cs) + m.bytes) / cs));
    let lastType = m.type;
    while (c0 + n < limit) {
      const next = yield* mapRange(s, (c0 + n) * cs, (limit - c0 - n) * cs);
      if (inPlace(next.type, next.entry.copied)) break;
      n += Math.min(limit - c0 - n, Math.ceil(next.bytes / cs));
      lastType = next.type;
    }
    yield* markDirty(s);
    const host = yield* allocClusters(s, n);
    // The overlap check now, in the same section (nothing moves metadata onto clusters we hold).
    const overlap = s.dataWriteOverlap(host, n * cs);
    if (overlap !== undefined) {
      yield* freeClusters(s, host, n * cs);
      yield* s.signalCorruption(`Preventing invalid write on metadata (overlaps with ${overlap})`);
    }
    const alloc: InflightAlloc = { start: c0, end: c0 + n, done: new CoQueue() };
    s.inflight.add(alloc);
    const planned = Math.min(bytes, (c0 + n) * cs - offset);
    // QEMU's handle_alloc_space, where the zeroing is known to be done already: copy-on-write
    // areas that read as zeroes need not be written to host clusters nothing was ever written to.
    const headZero = offset % cs === 0 || readsZero(s, backing, c0, m.type);
    const tailZero = (offset + planned) % cs === 0 || readsZero(s, backing, c0 + n - 1, lastType);
    const zeroCow = headZero && tailZero && host >= s.file.untouchedFrom;
    return { kind: 'alloc', host, c0, n, bytes: planned, alloc, zeroCow };
  }
}

/** Under the lock: point guest clusters [c0, c0 + n) at host clusters from `host`, dropping what they held. */
function* linkClusters(s: Qcow2State, c0: number, n: number, host: number): Co {
  const l1i = Math.floor(c0 / s.l2Size);
  const t = yield* l2TableForWrite(s, l1i);
  if (!s.lazyRefcounts) yield* s.l2Cache.setDependency(s.refcountCache);
  const table = t.table;
  const first = c0 % s.l2Size;
  let old: L2Entry[] | undefined;
  for (let k = 0; k < n; k++) {
    // An unallocated entry (all zero words, what a fresh image holds) has nothing to drop.
    if (entryHi(table, first + k) !== 0 || entryLo(table, first + k) !== 0) (old ??= []).push(l2Entry(table, first + k, s.clusterBits));
    setStandardEntry(table, first + k, host + k * s.clusterSize, true);
  }
  s.l2Cache.markDirty(t.offset);
  if (old !== undefined) for (const e of old) yield* freeEntry(s, e);
}

function* executeWrite(s: Qcow2State, backing: BackingLink, plan: WritePlan & { kind: 'inplace' | 'alloc' }, offset: number, qiov: IoVector): Co {
  if (plan.kind === 'inplace') return yield* s.file.pwritev(plan.host, qiov);
  const cs = s.clusterSize;
  const start = plan.c0 * cs;
  const end = (plan.c0 + plan.n) * cs;
  try {
    // With zeroCow the data goes alone; else with what the guest sees around it now (backing file, zeroes, or the old cluster).
    const parts: Uint8Array[] = [];
    if (offset > start && !plan.zeroCow) {
      const head = new Uint8Array(offset - start);
      yield* qcow2Preadv(s, backing, start, head.length, new IoVector(head));
      parts.push(head);
    }
    parts.push(...qiov.iov);
    const tailStart = offset + qiov.size;
    if (tailStart < end && !plan.zeroCow) {
      const tail = new Uint8Array(end - tailStart);
      yield* qcow2Preadv(s, backing, tailStart, tail.length, new IoVector(tail));
      parts.push(tail);
    }
    yield* s.file.pwritev(plan.zeroCow ? plan.host + (offset - start) : plan.host, parts.length === qiov.niov ? qiov : new IoVector(parts));
  } catch (err) {
    yield* locked(s, () => releasePlan(s, plan));
    throw err;
  }
  // One section links the clusters and lets the writers waiting on them go (QEMU's qcow2_alloc_cluster_link_l2).
  yield* s.lock.lock();
  try {
    yield* linkClusters(s, plan.c0, plan.n, plan.host);
  } catch (err) {
    yield* freeClusters(s, plan.host, end - start);
    throw err;
  } finally {
    s.inflight.delete(plan.alloc);
    plan.alloc.done.restartAll();
    s.lock.unlock();
  }
}

/**
 * A plan for the first part of a write from memory alone, when nobody holds
 * the lock (so nothing is half-updated): in place when that part's clusters
 * are allocated, owned (COPIED) and clear of metadata; a wait when another
 * write is allocating its cluster. Anything else, corruption to report
 * included, is undefined: the locked way.
 */
function planCached(s: Qcow2State, offset: number, bytes: number): (WritePlan & { kind: 'inplace' | 'wait' }) | undefined {
  if (s.lock.locked) return undefined;
  const m = mapRangeCached(s, offset, bytes);
  if (m === undefined) return undefined;
  if (!inPlace(m.type, m.entry.copied)) {
    const c0 = Math.floor(offset / s.clusterSize);
    const busy = s.conflictingAlloc(c0, c0 + 1);
    return busy === undefined ? undefined : { kind: 'wait', alloc: busy };
  }
  if (m.host - (offset % s.clusterSize) >= s.fileLength || s.dataWriteOverlap(m.host, m.bytes) !== undefined) return undefined;
  return { kind: 'inplace', host: m.host, bytes: m.bytes };
}

/** qcow2_co_pwritev_part */
export function qcow2Pwritev(s: Qcow2State, backing: BackingLink, offset: number, bytes: number, qiov: IoVector): Co {
  const plan = planCached(s, offset, bytes);
  // All of it in place: the host file's request itself, with no frame of ours around it.
  if (plan?.kind === 'inplace' && plan.bytes === bytes) return s.file.pwritev(plan.host, qiov);
  return pwritevParts(s, backing, offset, bytes, qiov, plan);
}

function* pwritevParts(s: Qcow2State, backing: BackingLink, offset: number, bytes: number, qiov: IoVector, first: WritePlan | undefined): Co {
  let pool: TaskPool | undefined;
  let done = 0;
  let known = first;
  while (done < bytes) {
    const at = offset + done;
    let plan = known ?? planCached(s, at, bytes - done);
    known = undefined;
    // (No `??` around a yield: the CommonJS build turns it into a closure.)
    if (plan === undefined) plan = yield* locked(s, () => prepareWrite(s, backing, at, bytes - done));
    if (plan.kind === 'wait') {
      // Not holding the lock: once the allocation is linked, the cached mapping usually answers without it.
      // Nothing yields between finding the allocation (or the unlock) and queueing here, so its wake-up cannot be missed.
      yield* plan.alloc.done.wait();
      continue;
    }
    const thePlan = plan;
    const part = plan.bytes === bytes && done === 0 ? qiov : qiov.slice(done, plan.bytes);
    if (pool === undefined && plan.bytes === bytes - done) {
      yield* executeWrite(s, backing, plan, at, part);
    } else {
      pool ??= new TaskPool();
      if (pool.hasFailed) {
        // Give back what was reserved for a task that will not run.
        if (thePlan.kind === 'alloc') yield* locked(s, () => releasePlan(s, thePlan));
        break;
      }
      yield* pool.start(() => executeWrite(s, backing, thePlan, at, part));
    }
    done += plan.bytes;
  }
  if (pool !== undefined) yield* pool.waitAll();
}

function* releasePlan(s: Qcow2State, plan: WritePlan & { kind: 'alloc' }): Co {
  s.inflight.delete(plan.alloc);
  plan.alloc.done.restartAll();
  yield* freeClusters(s, plan.host, plan.n * s.clusterSize);
}

/**
 * Under the lock, for whole guest clusters [c0, c0 + n) of one L2 table:
 * make them read as zeroes (zero flag, v3) or, for discard without zero
 * clusters, unallocated. `unmap` drops their host clusters; otherwise a
 * cluster that owns its host cluster keeps it (ZeroAlloc).
 */
function* zeroClusters(s: Qcow2State, c0: number, n: number, unmap: boolean, zeroFlag: boolean): Co<number> {
  const l1i = Math.floor(c0 / s.l2Size);
  for (let k = 0; k < n; k++) {
    const busy = s.conflictingAlloc(c0 + k, c0 + k + 1);
    if (busy !== undefined) {
      if (k > 0) return k;
      yield* busy.done.wait(s.lock);
      return 0;
    }
  }
  const t = yield* l2TableForWrite(s, l1i);
  const freed = [];
  for (let k = 0; k < n; k++) {
    const l2i = (c0 + k) % s.l2Size;
    const e = l2Entry(t.table, l2i, s.clusterBits);
    const keep = !unmap && (e.type === ClusterType.Normal || e.type === ClusterType.ZeroAlloc) && zeroFlag;
    if (keep) {
      const [hi, lo] = entryWords(t.table, l2i);
      setEntryWords(t.table, l2i, hi, lo | OFLAG_ZERO_LO);
    } else {
      setEntryWords(t.table, l2i, 0, zeroFlag ? OFLAG_ZERO_LO : 0);
      freed.push(e);
    }
  }
  s.l2Cache.markDirty(t.offset);
  for (const e of freed) yield* freeEntry(s, e);
  return n;
}

function* forWholeClusters(s: Qcow2State, offset: number, bytes: number, fn: (c0: number, n: number) => Co<number>): Co {
  const cs = s.clusterSize;
  let c = Math.ceil(offset / cs);
  // The last, partial cluster of the image counts as whole when the request reaches the end.
  const endByte = offset + bytes >= s.header.size ? Math.ceil((offset + bytes) / cs) * cs : offset + bytes;
  const cEnd = Math.floor(endByte / cs);
  while (c < cEnd) {
    const tableEnd = (Math.floor(c / s.l2Size) + 1) * s.l2Size;
    const n = Math.min(cEnd, tableEnd) - c;
    const did = yield* locked(s, () => fn(c, n));
    c += did;
  }
}

/**
 * qcow2_co_pwrite_zeroes for whole clusters (the caller writes zero buffers
 * for partial ones). Returns false when the image cannot record zero
 * clusters (v2), so the caller falls back to writing zeroes.
 */
export function* qcow2ZeroClusters(s: Qcow2State, offset: number, bytes: number, unmap: boolean): Co<boolean> {
  if (!s.hasZeroClusters) return false;
  yield* locked(s, () => markDirty(s));
  yield* forWholeClusters(s, offset, bytes, (c0, n) => zeroClusters(s, c0, n, unmap, true));
  return true;
}

/**
 * qcow2_co_pdiscard: whole clusters only (partial ones are left as they
 * are, as the block layer's discard alignment does). v3 images read the
 * discarded clusters as zeroes; v2 images without a backing file make them
 * unallocated, which also reads as zeroes.
 */
export function* qcow2Discard(s: Qcow2State, hasBacking: boolean, offset: number, bytes: number, full = false): Co {
  if (!full && !s.hasZeroClusters && hasBacking) return; // QEMU: discarding would expose the backing file
  yield* locked(s, () => markDirty(s));
  yield* forWholeClusters(s, offset, bytes, (c0, n) => zeroClusters(s, c0, n, true, !full && s.hasZeroClusters));
}

/** qcow2_co_flush_to_os + the file's flush: L2 tables (after the refcounts they depend on), refcounts, then the host file. */
export function* qcow2Flush(s: Qcow2State): Co {
  yield* locked(s, function* () {
    yield* s.l2Cache.writeBack();
    yield* s.refcountCache.writeBack();
  });
  yield* s.file.flush();
}
