/**
 * @qco/drivers-block — qco's block layer: the BlockDriver / BlockDriverState
 * contract, option parsing with QEMU's messages, the generic request path
 * (alignment, splitting), BlockBackend with coroutine, Promise and synchronous
 * faces, and the drivers. The block layer (src/block/) knows no driver: this
 * face registers the built-in ones. Drivers append their exports at the end.
 */
import { registerBuiltinBlockDrivers } from './drivers/builtin.js';

registerBuiltinBlockDrivers();

export * from './block/block-driver.js';
export * from './block/errno.js';
export * from './block/errors.js';
export { IoVector } from './block/iov.js';
export * from './block/options.js';
export * from './block/block-registry.js';
export { builtinBlockDrivers } from './drivers/builtin.js';
export * from './block/block-open.js';
export * from './block/permissions.js';
export { assertAligned, bdrvCoPreadv, bdrvCoPwritev, bdrvCoPwriteZeroes, checkRequest } from './block/io.js';
export { coAwait, coWaitFor, type NodeCallback } from '@qco/core';
export { NULL_DEFAULT_SIZE, NullBlockDriverState, nullAioDriver, nullCoDriver } from './drivers/null/null-driver.js';
export { BlockBackend, type BlockAioCallback } from './block/block-backend.js';
export { runSync, setBlockingPoll, type BlockingPoll } from './block/sync-run.js';
export * from './drivers/ssh/index.js';
export * from './drivers/nvme/index.js';
export { FileBlockDriverState, fileDriver } from './drivers/file/file-driver.js';
export { RAW_LOCK_PERM_BASE, RAW_LOCK_SHARED_BASE } from './drivers/file/file-lock.js';
export * from './drivers/nfs/index.js';
export * from './drivers/nbd/index.js';
export * from './exports/nbd/index.js';
export { TlsCredsX509, NbdTlsError, createObjectFromSpec, findAuthz, findTlsCreds, registerAuthz, registerTlsCreds, type AuthzSimple, type TlsCredsX509Options } from './nbd/tls-creds.js';
export { bdrvCreate, type BlockCreateOptions } from './block/block-create.js';
export { bdrvCoBlockStatus, bdrvCoBlockStatusAbove, type BlockStatusAbove } from './block/block-status.js';
export { RawBlockDriverState, rawDriver } from './drivers/raw/raw-driver.js';
export { Qcow2BlockDriverState, qcow2Driver } from './drivers/qcow2/qcow2-driver.js';
export { Qcow2Error } from './drivers/qcow2/qcow2-errors.js';
export {
  LogicalBlockSizeError,
  startVhostUserBlkExport,
  type VhostUserBlkExport,
  type VhostUserBlkExportOptions,
} from './exports/vhost-user-blk/vhost-user-blk-export.js';
export type { VhostUserStats } from './exports/vhost-user-blk/vhost-user-server.js';
export type { VirtioBlkRequestCounts } from './exports/vhost-user-blk/virtio-blk.js';
export { VhostUserAddonMissingError } from './exports/vhost-user-blk/vhost-user-addon.js';
