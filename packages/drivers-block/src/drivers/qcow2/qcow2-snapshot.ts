/**
 * The internal snapshot table (docs/interop/qcow2.txt, "Snapshots"): read and
 * listed, so `snapshot -l` and `info` show them and `check` counts the
 * clusters they reference. Creating, applying and deleting snapshots is not
 * implemented.
 */
import type { Co } from '@qco/core';
import { Qcow2Error } from './qcow2-errors.js';
import type { HostFile } from './qcow2-file.js';
import { readU64, type Qcow2Header } from './qcow2-header.js';

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
