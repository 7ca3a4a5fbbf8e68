/**
 * @qco/drivers-block — qco's block layer: the BlockDriver / BlockDriverState
 * contract, option parsing with QEMU's messages, the generic request path
 * (alignment, splitting), BlockBackend with coroutine, Promise and synchronous
 * faces, and the drivers. The block layer (src/block/) knows no driver: this
 * face registers the built-in ones. What only servers and the NBD client use
 * (sockets, TLS, the virtio device) is behind subpaths, `@qco/drivers-block/nbd`
 * and `@qco/drivers-block/vhost-user-blk`, and behind each driver's `open`, so
 * importing the face and opening a local file loads none of it.
 */
import { provideBuiltinImplementations } from './drivers/builtin-implementations.js';
import { registerBuiltinBlockDrivers } from './drivers/builtin.js';

registerBuiltinBlockDrivers();
// The synchronous face cannot wait for a driver to load: the face loads them all.
provideBuiltinImplementations();

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
export { NBD_OPTIONS, nbdDriver, nbdTcpDriver, nbdUnixDriver } from './drivers/nbd/nbd-driver.js';
export type { NbdBlockDriverState } from './drivers/nbd/nbd-node.js';
export { NbdClientError } from './drivers/nbd/nbd-errors.js';
export { bdrvCreate, type BlockCreateOptions } from './block/block-create.js';
export { bdrvCoBlockStatus, bdrvCoBlockStatusAbove, type BlockStatusAbove } from './block/block-status.js';
export { RawBlockDriverState, rawDriver } from './drivers/raw/raw-driver.js';
export { qcow2Driver } from './drivers/qcow2/qcow2-driver.js';
export { Qcow2BlockDriverState } from './drivers/qcow2/qcow2-node.js';
export { Qcow2Error } from './drivers/qcow2/qcow2-errors.js';
