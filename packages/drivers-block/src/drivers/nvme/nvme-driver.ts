/**
 * The nvme block driver (QEMU's block/nvme.c): its name, options and
 * filename syntax are here; the node (nvme-node.ts) and the emulated
 * controller it drives (@qco/nvme-emulator) load with the first open.
 */
import type { Co } from '@qco/core';
import { BLOCK_DRIVER_SPEC, type BlockDriver, type BlockDriverOptions, type BlockDriverState, type BlockOpenFlags, type BlockOptionDesc } from '../../block/block-driver.js';
import { InvalidFilenameError } from '../../block/errors.js';
import { Errno } from '../../block/errno.js';
import { LazyImplementation } from '../lazy-implementation.js';

/** The node module, loaded by the first open. */
export const nvmeImplementation = new LazyImplementation('nvme', () => import('./nvme-node.js'));

/** NVME_QUEUE_SIZE: entries of the admin and the I/O queue. */
export const NVME_QUEUE_SIZE = 128;
/**
 * aio-max-batch default: a doorbell at least every 16 submissions, so the
 * device starts on a long section's first commands while the host still
 * submits (QEMU caps linux-aio batches the same way).
 */
export const NVME_AIO_MAX_BATCH = 16;
/** irq-coalescing default: the device interrupts every 8 completions (and at the end of its pass). */
export const NVME_IRQ_COALESCING = 8;
/** How often CSTS is checked while commands are in flight (a dead controller raises no interrupt). */
export const NVME_WATCHDOG_MS = 500;

const NVME_OPTIONS: readonly BlockOptionDesc[] = [
  { name: 'device', type: 'string', help: 'NVMe PCI device address (here: an emulated controller, mem:<size> or file:<path>)', required: true },
  { name: 'namespace', type: 'number', help: 'NVMe namespace', default: 1 },
  { name: 'queue-size', type: 'number', help: 'Entries of the admin and I/O queues', default: NVME_QUEUE_SIZE },
  { name: 'aio-max-batch', type: 'number', help: 'Most submissions one SQ doorbell write announces (0: a whole defer-call section)', default: NVME_AIO_MAX_BATCH },
  { name: 'irq-coalescing', type: 'number', help: 'Completions per interrupt the device aggregates (NVMe Interrupt Coalescing; 0: off)', default: NVME_IRQ_COALESCING },
];

/** nvme_parse_filename: nvme://<device>[/<namespace>]; the namespace follows the last '/'. */
export function nvmeParseFilename(filename: string): Record<string, string> {
  const pref = 'nvme://';
  if (!filename.startsWith(pref) || filename.length === pref.length) {
    throw new InvalidFilenameError(`Invalid NVMe filename '${filename}': expected nvme://<device>[/<namespace>]`, Errno.EINVAL);
  }
  const rest = filename.slice(pref.length);
  const slash = rest.lastIndexOf('/');
  if (slash < 0 || rest.startsWith('file:')) {
    // A file path carries its own slashes: only a trailing /<digits> is a namespace.
    const m = rest.startsWith('file:') ? /^(.*)\/(\d+)$/.exec(rest) : null;
    if (m) return { device: m[1], namespace: m[2] };
    return { device: rest };
  }
  const device = rest.slice(0, slash);
  const ns = rest.slice(slash + 1);
  if (ns !== '' && !/^\d+$/.test(ns)) throw new InvalidFilenameError(`Invalid namespace '${ns}', positive number expected`, Errno.EINVAL);
  return { device, namespace: ns === '' ? '1' : ns };
}

/** The nvme driver: driver=nvme or nvme://<device>[/<namespace>]. */
export const nvmeDriver: BlockDriver = {
  spec: BLOCK_DRIVER_SPEC,
  formatName: 'nvme',
  protocolName: 'nvme',
  options: NVME_OPTIONS,
  completions: 'threads',
  parseFilename: nvmeParseFilename,
  *open(options: BlockDriverOptions, flags: BlockOpenFlags): Co<BlockDriverState> {
    const { nvmeOpen } = yield* nvmeImplementation.get();
    return yield* nvmeOpen(nvmeDriver, options, flags);
  },
};
