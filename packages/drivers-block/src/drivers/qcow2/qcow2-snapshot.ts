/**
 * Internal snapshots (docs/interop/qcow2.txt, "Snapshots"; QEMU's
 * qcow2-snapshot.c): the snapshot table read (so `snapshot -l` and `info`
 * show them and `check` counts what they reference) and rewritten, and
 * snapshots created (a copy of the active L1 table, every cluster it
 * references one reference more, COPIED cleared), applied (the snapshot's
 * L1 table becomes the active one) and deleted. Creating, applying and
 * deleting run with the metadata CoMutex held.
 */
import type { Co } from '@qco/core';
import { Qcow2Error } from './qcow2-errors.js';
import type { HostFile } from './qcow2-file.js';
import { entryHi, entryLo, entryOffset } from './qcow2-entry.js';
import { readU64, writeU64, type Qcow2Header } from './qcow2-header.js';
import { allocClusters, freeClusters } from './qcow2-refcount.js';
import { updateSnapshotRefcount } from './qcow2-snapshot-refcount.js';
import type { Qcow2State } from './qcow2-state.js';

/** One internal snapshot's header. */
export interface Qcow2Snapshot {
  readonly l1TableOffset: number;
  readonly l1Size: number;
  readonly id: string;
  readonly name: string;
  readonly dateSec: number;
  readonly dateNsec: number;
  readonly vmClockNsec: number;
  readonly vmStateSize: number;
  readonly diskSize?: number;
  readonly icount?: number;
  /** Bytes this entry takes in the table. */
  readonly entryBytes: number;
}

/** QEMU refuses snapshot tables above 64 MiB. */
const MAX_SNAPSHOTS_SIZE = 64 * 1024 * 1024;

/** Read the snapshot table the header points at. */
export function* readSnapshotTable(file: HostFile, h: Qcow2Header, fileLen: number): Co<Qcow2Snapshot[]> {
  if (h.nbSnapshots === 0) return [];
  if (h.snapshotsOffset >= fileLen) throw new Qcow2Error('Snapshot table offset invalid', 'EINVAL');
  const out: Qcow2Snapshot[] = [];
  let at = h.snapshotsOffset;
  const head = new Uint8Array(40);
  const dec = new TextDecoder();
  for (let i = 0; i < h.nbSnapshots; i++) {
    if (at - h.snapshotsOffset > MAX_SNAPSHOTS_SIZE) throw new Qcow2Error('Snapshot table too large', 'EFBIG');
    yield* file.pread(at, head);
    const dv = new DataView(head.buffer);
    const idLen = dv.getUint16(12);
    const nameLen = dv.getUint16(14);
    const extra = dv.getUint32(36);
    if (extra > 1024) throw new Qcow2Error('Too much extra metadata in snapshot table entry');
    const entryBytes = (40 + extra + idLen + nameLen + 7) & ~7;
    const body = new Uint8Array(entryBytes - 40);
    yield* file.pread(at + 40, body);
    const l1TableOffset = readU64(head, 0);
    const l1Size = dv.getUint32(8);
    if (l1Size * 8 > 0x2000000) throw new Qcow2Error('Snapshot L1 table too large');
    const snap: Qcow2Snapshot = {
      l1TableOffset,
      l1Size,
      dateSec: dv.getUint32(16),
      dateNsec: dv.getUint32(20),
      vmClockNsec: readU64(head, 24),
      vmStateSize: extra >= 8 ? readU64(body, 0) : dv.getUint32(32),
      ...(extra >= 16 ? { diskSize: readU64(body, 8) } : {}),
      ...(extra >= 24 ? { icount: readU64(body, 16) } : {}),
      id: dec.decode(body.subarray(extra, extra + idLen)),
      name: dec.decode(body.subarray(extra + idLen, extra + idLen + nameLen)),
      entryBytes,
    };
    out.push(snap);
    at += entryBytes;
  }
  return out;
}

/** QEMU's QCOW_MAX_SNAPSHOTS. */
const MAX_SNAPSHOTS = 65536;
/** The extra data QEMU writes: vm_state_size_large, disk_size, icount. */
const EXTRA_BYTES = 24;

/** A snapshot table entry's size: header, extra data, id and name, padded to 8 bytes. */
function entrySize(id: string, name: string): number {
  const enc = new TextEncoder();
  return (40 + EXTRA_BYTES + enc.encode(id).length + enc.encode(name).length + 7) & ~7;
}

/** The snapshot table as it goes on disk. */
function serializeSnapshotTable(list: readonly Qcow2Snapshot[]): Uint8Array {
  const out = new Uint8Array(list.reduce((n, sn) => n + entrySize(sn.id, sn.name), 0));
  const enc = new TextEncoder();
  let at = 0;
  for (const sn of list) {
    const id = enc.encode(sn.id);
    const name = enc.encode(sn.name);
    const dv = new DataView(out.buffer, at);
    writeU64(out, at, sn.l1TableOffset);
    dv.setUint32(8, sn.l1Size);
    dv.setUint16(12, id.length);
    dv.setUint16(14, name.length);
    dv.setUint32(16, sn.dateSec);
    dv.setUint32(20, sn.dateNsec);
    writeU64(out, at + 24, sn.vmClockNsec);
    dv.setUint32(32, Math.min(sn.vmStateSize, 0xffffffff));
    dv.setUint32(36, EXTRA_BYTES);
    writeU64(out, at + 40, sn.vmStateSize);
    writeU64(out, at + 48, sn.diskSize ?? 0);
    writeU64(out, at + 56, sn.icount ?? 0);
    out.set(id, at + 40 + EXTRA_BYTES);
    out.set(name, at + 40 + EXTRA_BYTES + id.length);
    at += entrySize(sn.id, sn.name);
  }
  return out;
}

/**
 * qcow2_write_snapshots: the new table in fresh clusters (on disk, with
 * their refcounts, before the header points at it), then the header's
 * count and offset in one write, then the old table's clusters freed.
 */
function* writeSnapshots(s: Qcow2State, list: Qcow2Snapshot[]): Co {
  const cs = s.clusterSize;
  const table = serializeSnapshotTable(list);
  let offset = 0;
  if (list.length > 0) {
    offset = yield* allocClusters(s, Math.ceil(table.length / cs));
    yield* s.file.pwrite(offset, table);
  }
  yield* s.l2Cache.writeBack();
  yield* s.refcountCache.writeBack();
  yield* s.file.flush();
  const oldOffset = s.header.snapshotsOffset;
  const oldBytes = s.header.nbSnapshots > 0 ? s.snapshots.reduce((n, sn) => n + sn.entryBytes, 0) : 0;
  const head = new Uint8Array(12);
  new DataView(head.buffer).setUint32(0, list.length);
  writeU64(head, 4, offset);
  yield* s.file.pwrite(60, head);
  yield* s.file.flush();
  s.header.nbSnapshots = list.length;
  s.header.snapshotsOffset = offset;
  s.snapshots = list;
  if (oldBytes > 0) yield* freeClusters(s, oldOffset, oldBytes);
}

/** find_snapshot_by_id_and_name: by both when both are given, else by the one given. */
function findSnapshot(s: Qcow2State, id: string | undefined, name: string | undefined): number {
  return s.snapshots.findIndex((sn) => (id === undefined || sn.id === id) && (name === undefined || sn.name === name));
}

/** find_snapshot_by_id_or_name: the id first, then the name. */
export function findSnapshotByIdOrName(s: Qcow2State, idOrName: string): number {
  const i = findSnapshot(s, idOrName, undefined);
  return i >= 0 ? i : findSnapshot(s, undefined, idOrName);
}

/** qcow2_snapshot_create: snapshot the active L1 table under `name`, with the next free numeric id. */
export function* createSnapshot(s: Qcow2State, name: string, dateSec: number, dateNsec: number): Co<Qcow2Snapshot> {
  if (s.snapshots.length >= MAX_SNAPSHOTS) throw new Qcow2Error('Too many snapshots', 'EFBIG');
  const id = String(s.snapshots.reduce((m, sn) => Math.max(m, Number.parseInt(sn.id, 10) || 0), 0) + 1);
  const l1Size = s.header.l1Size;
  const l1Offset = yield* allocClusters(s, Math.max(1, Math.ceil((l1Size * 8) / s.clusterSize)));
  yield* s.file.pwrite(l1Offset, s.l1Table.slice(0, l1Size * 8));
  // Every reference one more, on disk, before the snapshot table points at the copy.
  yield* updateSnapshotRefcount(s, s.header.l1TableOffset, l1Size, 1);
  const sn: Qcow2Snapshot = { l1TableOffset: l1Offset, l1Size, id, name, dateSec, dateNsec, vmClockNsec: 0, vmStateSize: 0, diskSize: s.header.size, icount: 0, entryBytes: entrySize(id, name) };
  yield* writeSnapshots(s, [...s.snapshots, sn]);
  return sn;
}

/** qcow2_snapshot_goto: make snapshot `idOrName`'s L1 table the active one. */
export function* gotoSnapshot(s: Qcow2State, idOrName: string): Co {
  const i = findSnapshotByIdOrName(s, idOrName);
  if (i < 0) throw new Qcow2Error('Failed to load snapshot: No such file or directory', 'EINVAL');
  const sn = s.snapshots[i];
  if (sn.diskSize !== undefined && sn.diskSize !== s.header.size) throw new Qcow2Error('qcow2: Loading snapshots with different disk size is not implemented', 'ENOTSUP');
  if (sn.l1Size > s.header.l1Size) throw new Qcow2Error('qcow2: Loading a snapshot with a larger L1 table is not implemented', 'ENOTSUP');
  const l1 = new Uint8Array(s.header.l1Size * 8);
  yield* s.file.pread(sn.l1TableOffset, l1.subarray(0, sn.l1Size * 8));
  // The snapshot's clusters gain their reference before the active table on disk stops holding the old ones.
  yield* updateSnapshotRefcount(s, sn.l1TableOffset, sn.l1Size, 1);
  yield* s.file.pwrite(s.header.l1TableOffset, l1);
  yield* s.file.flush();
  // The old active table, still in memory, gives its references back.
  yield* updateSnapshotRefcount(s, s.header.l1TableOffset, s.header.l1Size, -1);
  s.l1Table.set(l1);
  for (let k = 0; k < s.header.l1Size; k++) {
    const off = entryOffset(entryHi(l1, k), entryLo(l1, k));
    if (off !== 0 && off % s.clusterSize === 0) s.metadataClusters.add(off / s.clusterSize);
  }
  yield* updateSnapshotRefcount(s, s.header.l1TableOffset, s.header.l1Size, 0);
}

/** qcow2_snapshot_delete: drop the snapshot with this id and name from the table, then its references and its L1 table. */
export function* deleteSnapshot(s: Qcow2State, id: string, name: string): Co {
  const i = findSnapshot(s, id, name);
  if (i < 0) throw new Qcow2Error("Can't find the snapshot", 'EINVAL');
  const sn = s.snapshots[i];
  yield* writeSnapshots(s, s.snapshots.filter((_, k) => k !== i));
  yield* updateSnapshotRefcount(s, sn.l1TableOffset, sn.l1Size, -1);
  yield* freeClusters(s, sn.l1TableOffset, Math.max(1, sn.l1Size * 8));
  yield* updateSnapshotRefcount(s, s.header.l1TableOffset, s.header.l1Size, 0);
}
