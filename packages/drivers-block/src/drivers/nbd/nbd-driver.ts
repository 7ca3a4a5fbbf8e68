/**
 * The nbd protocol driver (QEMU's block/nbd.c): nbd://, nbd+unix:// and json
 * filenames with QEMU's option names (server.type/host/port/path, export,
 * tls-creds, tls-hostname, reconnect-delay, open-timeout, multi-conn). The
 * node and its client are in nbd-node.ts, loaded by the first open.
 */
import type { Co } from '@qco/core';
import { BLOCK_DRIVER_SPEC, type BlockDriver, type BlockDriverOptions, type BlockDriverState, type BlockOpenFlags, type BlockOptionDesc } from '../../block/block-driver.js';
import { LazyImplementation } from '../lazy-implementation.js';
import { parseNbdFilename } from './nbd-uri.js';

/** The node and its client (sockets, TLS, the wire codecs), loaded by the first open. */
const nbdImplementation = new LazyImplementation('nbd', () => import('./nbd-node.js'));

/** The driver's options (QEMU's names). */
export const NBD_OPTIONS: readonly BlockOptionDesc[] = [
  { name: 'server.type', type: 'string', help: 'Address type', values: ['inet', 'unix'] },
  { name: 'server.host', type: 'string', help: 'Host of the NBD server' },
  { name: 'server.port', type: 'number', help: 'Port of the NBD server' },
  { name: 'server.path', type: 'string', help: 'Unix socket of the NBD server' },
  { name: 'export', type: 'string', help: 'Name of the NBD export to open' },
  { name: 'tls-creds', type: 'string', help: 'ID of the TLS credentials to use' },
  { name: 'tls-hostname', type: 'string', help: 'Override hostname for validating TLS x509 certificate' },
  { name: 'reconnect-delay', type: 'number', help: 'Seconds requests wait for a reconnection before failing', default: 0 },
  { name: 'open-timeout', type: 'number', help: 'Seconds the first connection may take, retrying', default: 0 },
  { name: 'multi-conn', type: 'number', help: 'Connections to use where the server offers multi-conn (1-16)', default: 1 },
];

/** The nbd protocol driver. */
export const nbdDriver: BlockDriver = {
  spec: BLOCK_DRIVER_SPEC,
  formatName: 'nbd',
  protocolName: 'nbd',
  options: NBD_OPTIONS,
  completions: 'event-loop',
  parseFilename: parseNbdFilename,
  *open(options: BlockDriverOptions, flags: BlockOpenFlags): Co<BlockDriverState> {
    const { nbdOpen } = yield* nbdImplementation.get();
    return yield* nbdOpen(nbdDriver, options, flags);
  },
};

/** nbd+tcp:// filenames (QEMU's bdrv_nbd_tcp: the same driver under another protocol prefix). */
export const nbdTcpDriver: BlockDriver = { ...nbdDriver, protocolName: 'nbd+tcp' };
/** nbd+unix:// filenames (QEMU's bdrv_nbd_unix). */
export const nbdUnixDriver: BlockDriver = { ...nbdDriver, protocolName: 'nbd+unix' };
