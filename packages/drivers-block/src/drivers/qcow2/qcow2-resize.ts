/**
 * Resizing a qcow2 image (QEMU's qcow2_co_truncate, preallocation off):
 * growing records the new size, replacing the L1 table by a larger copy
 * when the new size needs more entries; shrinking drops every cluster past
 * the new end. Images with internal snapshots are not resized, as in QEMU.
 */
import type { Co } from '@qco/core';
import { NotSupportedError } from '../../block/errors.js';
import type { PreallocMode } from '../../block/block-driver.js';
import { Qcow2Error } from './qcow2-errors.js';
import { QCOW_MAX_L1_SIZE, writeU64 } from './qcow2-header.js';
import { qcow2Discard } from './qcow2-io.js';
import { allocClusters, freeClusters } from './qcow2-refcount.js';
import type { Qcow2State } from './qcow2-state.js';

/** bdrv_co_truncate for qcow2. */
export function* qcow2Resize(s: Qcow2State, size: number, prealloc: PreallocMode): Co {
  if (prealloc !== 'off') throw new NotSupportedError(`Unsupported preallocation mode '${prealloc}'`);
  if (size % 512 !== 0) throw new Qcow2Error('The new size must be a multiple of 512', 'EINVAL');
  if (s.snapshots.length > 0) throw new NotSupportedError("Can't resize an image which has snapshots");
  const old = s.header.size;
  if (size < old) {
    // Drop the clusters past the new end (whole clusters; a partial last one keeps its data).
    const cs = s.clusterSize;
    const from = Math.ceil(size / cs) * cs;
    if (from < old) yield* qcow2Discard(s, false, from, Math.ceil(old / cs) * cs - from, true);
  }
  yield* s.lock.lock();
  try {
    const need = Math.ceil(size / 2 ** (s.clusterBits + s.l2Bits));
    if (need > s.header.l1Size) yield* growL1(s, need);
    s.header.size = size;
    const b = new Uint8Array(8);
    writeU64(b, 0, size);
    yield* s.file.pwrite(24, b);
    yield* s.file.flush();
  } finally {
    s.lock.unlock();
  }
}

/** qcow2_grow_l1_table: a new, larger L1 table, on disk before the header points at it. */
function* growL1(s: Qcow2State, entries: number): Co {
  if (entries * 8 > QCOW_MAX_L1_SIZE) throw new Qcow2Error('Active L1 table too large', 'EFBIG');
  const cs = s.clusterSize;
  const bytes = entries * 8;
  const offset = yield* allocClusters(s, Math.ceil(bytes / cs));
  const table = new Uint8Array(bytes);
  table.set(s.l1Table);
  yield* s.refcountCache.flush();
  yield* s.file.pwrite(offset, table);
  yield* s.file.flush();
  const hdr = new Uint8Array(12);
  new DataView(hdr.buffer).setUint32(0, entries);
  writeU64(hdr, 4, offset);
  yield* s.file.pwrite(36, hdr);
  yield* s.file.flush();
  const oldOffset = s.header.l1TableOffset;
  const oldBytes = s.header.l1Size * 8;
  s.header.l1Size = entries;
  s.header.l1TableOffset = offset;
  s.l1Table = table;
  if (oldBytes > 0) yield* freeClusters(s, oldOffset, oldBytes);
}
