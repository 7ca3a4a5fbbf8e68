/**
 * The vhost-user-blk export (QEMU's block/export/vhost-user-blk-server.c):
 * a virtio-blk device over a BlockBackend, served to a vhost-user front-end
 * (QEMU's vhost-user-blk-pci) on a unix socket. Every request is a coroutine
 * through the BlockBackend; a kick drains its queue in one defer-call section
 * and the guest is notified once per batch.
 */
import { BlockBackend } from '../../block/block-backend.js';
import type { BlockDriverState } from '../../block/block-driver.js';
import { VhostUserServer, type VhostUserStats } from './vhost-user-server.js';
import {
  VHOST_USER_F_PROTOCOL_FEATURES,
  VHOST_USER_PROTOCOL_F_CONFIG,
  VHOST_USER_PROTOCOL_F_MQ,
  VHOST_USER_PROTOCOL_F_REPLY_ACK,
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_F_VERSION_1,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
} from './vhost-user-protocol.js';
import { VirtioBlkDevice, type VirtioBlkRequestCounts } from './virtio-blk.js';

/** Options of `startVhostUserBlkExport` (qemu-storage-daemon's --export type=vhost-user-blk). */
export interface VhostUserBlkExportOptions {
  /** The node to export (a BlockBackend, or a node that gets one). */
  readonly node: BlockBackend | BlockDriverState;
  /** Unix socket path (addr.path). */
  readonly socket: string;
  /** Queues offered (num-queues, default 1). */
  readonly numQueues?: number;
  /** Whether the guest may write (writable, default false). */
  readonly writable?: boolean;
  /** Logical block size (logical-block-size, default 512). */
  readonly logicalBlockSize?: number;
  /**
   * qemu-storage-daemon's writethrough export option (default false): when
   * true every write is FUA until the guest turns writeback on; otherwise the
   * backend's write cache is on from the start, as QEMU's export has it.
   */
  readonly writethrough?: boolean;
  /** Serial for GET_ID (the export id by default). */
  readonly serial?: string;
  /** Where protocol problems are reported (stderr by default). */
  readonly log?: (line: string) => void;
}

/** A running vhost-user-blk export. */
export interface VhostUserBlkExport {
  /** The socket it listens on. */
  readonly socket: string;
  /** Datapath counters (kicks, requests, batches, notifications …). */
  readonly stats: VhostUserStats;
  /** Requests answered with IOERR / UNSUPP or dropped as malformed. */
  readonly failures: number;
  /** Requests seen, by virtio-blk type. */
  readonly requestCounts: VirtioBlkRequestCounts;
  /** The config space's writeback byte (wce): false (the guest sees write-through) until the guest turns writeback on. */
  readonly writeback: boolean;
  /** The backend's write cache: false while every write is FUA (writethrough=on, or the guest turned writeback off). */
  readonly writeCache: boolean;
  /** Whether a front-end is connected. */
  readonly connected: boolean;
  /** Resolve when the current front-end has gone. */
  whenDisconnected(): Promise<void>;
  /** Stop listening, drop the front-end, settle its requests. */
  close(): Promise<void>;
}

/** The export's queue size bound for seg_max (QEMU's device default queue size is 128). */
const SEG_MAX = 128 - 2;

/** Parameter 'logical-block-size' must be a power of two between 512 and 32768 (QEMU's check). */
export class LogicalBlockSizeError extends Error {
  constructor(v: number) {
    super(`Block size must be a power of 2 from 512 to 32768 (got ${v})`);
    this.name = 'LogicalBlockSizeError';
  }
}

/** Serve `node` as a vhost-user-blk device on `socket`. */
export async function startVhostUserBlkExport(opts: VhostUserBlkExportOptions): Promise<VhostUserBlkExport> {
  const blk = opts.node instanceof BlockBackend ? opts.node : new BlockBackend(opts.node);
  const numQueues = opts.numQueues ?? 1;
  if (!Number.isInteger(numQueues) || numQueues < 1 || numQueues > 256) throw new Error(`num-queues must be in 1..256 (got ${numQueues})`);
  const lbs = opts.logicalBlockSize ?? 512;
  if (!Number.isInteger(lbs) || lbs < 512 || lbs > 32768 || (lbs & (lbs - 1)) !== 0) throw new LogicalBlockSizeError(lbs);
  const writable = opts.writable ?? false;
  if (writable && blk.readOnly) throw new Error('Cannot export a read-only node as writable');
  const capacity = await blk.getLength();
  const dev = new VirtioBlkDevice({ blk, writable, numQueues, logicalBlockSize: lbs, serial: opts.serial ?? '', segMax: SEG_MAX, writethrough: opts.writethrough ?? false }, capacity);
  const ring = VIRTIO_RING_F_INDIRECT_DESC | VIRTIO_RING_F_EVENT_IDX | VIRTIO_F_NOTIFY_ON_EMPTY | VIRTIO_F_VERSION_1 | VHOST_USER_F_PROTOCOL_FEATURES;
  const server = new VhostUserServer({
    socket: opts.socket,
    ...(opts.log ? { log: opts.log } : {}),
    device: {
      features: dev.features() | ring,
      protocolFeatures: VHOST_USER_PROTOCOL_F_MQ | VHOST_USER_PROTOCOL_F_REPLY_ACK | VHOST_USER_PROTOCOL_F_CONFIG,
      numQueues,
      config: () => dev.config(),
      setConfig: (offset, data) => dev.setConfig(offset, data),
      submit: (el, done) => dev.submit(el, done),
    },
  });
  return {
    socket: opts.socket,
    stats: server.stats,
    get failures() {
      return dev.failures;
    },
    requestCounts: dev.counts,
    get writeback() {
      return dev.writeback;
    },
    get writeCache() {
      return dev.writeCache;
    },
    get connected() {
      return server.connected;
    },
    whenDisconnected: () => server.whenDisconnected(),
    close: () => server.close(),
  };
}
