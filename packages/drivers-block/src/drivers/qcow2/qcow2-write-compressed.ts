/**
 * Compressed cluster writes (QEMU's qcow2_co_pwritev_compressed_part), the
 * path `convert -c` takes: deflate one whole cluster off the lock, reserve
 * bytes for it (compressed clusters share host clusters, each entry adding a
 * reference to every host cluster its data touches), write the data, then
 * link the compressed L2 entry. A cluster that does not shrink is written
 * normally.
 */
import { CoQueue, type Co } from '@qco/core';
import { IoVector } from '../../block/iov.js';
import { freeEntry, l2TableForWrite } from './qcow2-cluster.js';
import { deflateCluster } from './qcow2-compress.js';
import { l2Entry, makeCompressedEntry, setEntryWords } from './qcow2-entry.js';
import { qcow2Pwritev, type BackingLink } from './qcow2-io.js';
import { allocClusters, freeClusters, updateRefcount } from './qcow2-refcount.js';
import type { InflightAlloc, Qcow2State } from './qcow2-state.js';

/** qcow2_alloc_bytes: `size` bytes (≤ one cluster) of host space for compressed data. */
function* allocBytes(s: Qcow2State, size: number): Co<number> {
  const cs = s.clusterSize;
  const at = s.freeByteOffset;
  if (at !== 0 && at % cs !== 0 && (at % cs) + size <= cs) {
    yield* updateRefcount(s, Math.floor(at / cs), 1);
    s.freeByteOffset = at + size;
    return at;
  }
  const host = yield* allocClusters(s, Math.ceil(size / cs));
  s.freeByteOffset = (host + size) % cs === 0 ? 0 : host + size;
  return host;
}

/** Write one guest cluster at cluster-aligned `offset` compressed (the image's last cluster may be short). */
export function* writeCompressedCluster(s: Qcow2State, backing: BackingLink, offset: number, qiov: IoVector): Co {
  const cs = s.clusterSize;
  const data = new Uint8Array(cs);
  qiov.toBufferAt(data, 0, qiov.size);
  const packed = yield* deflateCluster(data, cs);
  if (packed === undefined) return yield* qcow2Pwritev(s, backing, offset, qiov.size, qiov);
  const c = offset / cs;
  yield* s.lock.lock();
  let host: number;
  const alloc: InflightAlloc = { start: c, end: c + 1, done: new CoQueue() };
  try {
    for (let busy = s.conflictingAlloc(c, c + 1); busy !== undefined; busy = s.conflictingAlloc(c, c + 1)) yield* busy.done.wait(s.lock);
    host = yield* allocBytes(s, packed.length);
    s.inflight.add(alloc);
  } finally {
    s.lock.unlock();
  }
  let linked = false;
  try {
    yield* s.lock.lock();
    try {
      yield* s.checkDataWrite(host, packed.length);
    } finally {
      s.lock.unlock();
    }
    yield* s.file.pwritev(host, new IoVector(packed));
    yield* s.lock.lock();
    try {
      const t = yield* l2TableForWrite(s, Math.floor(c / s.l2Size));
      if (!s.lazyRefcounts) yield* s.l2Cache.setDependency(s.refcountCache);
      const l2i = c % s.l2Size;
      const old = l2Entry(t.table, l2i, s.clusterBits);
      const [hi, lo] = makeCompressedEntry(host, packed.length, s.clusterBits);
      setEntryWords(t.table, l2i, hi, lo);
      s.l2Cache.markDirty(t.offset);
      yield* freeEntry(s, old);
      linked = true;
    } finally {
      s.lock.unlock();
    }
  } finally {
    yield* s.lock.lock();
    try {
      s.inflight.delete(alloc);
      alloc.done.restartAll();
      if (!linked) yield* freeClusters(s, host, packed.length);
    } finally {
      s.lock.unlock();
    }
  }
}
