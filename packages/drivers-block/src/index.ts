/**
 * @qco/drivers-block — qco's block layer: the BlockDriver / BlockDriverState
 * contract, option parsing with QEMU's messages, the generic request path
 * (alignment, splitting), BlockBackend with coroutine, Promise and synchronous
 * faces, and the drivers. Drivers append their exports at the end.
 */
export * from './block-driver.js';
export * from './errno.js';
export * from './errors.js';
export { IoVector } from './iov.js';
export * from './options.js';
export * from './block-registry.js';
export { builtinBlockDrivers } from './drivers.js';
export * from './block-open.js';
export { assertAligned, bdrvCoPreadv, bdrvCoPwritev, bdrvCoPwriteZeroes, checkRequest } from './io.js';
export { coAwait, coWaitFor, type NodeCallback } from './co-wait.js';
export { NULL_DEFAULT_SIZE, NullBlockDriverState, nullAioDriver, nullCoDriver } from './null/null-driver.js';
export { BlockBackend, type BlockAioCallback } from './block-backend.js';
export { runSync, setBlockingPoll, type BlockingPoll } from './sync-run.js';
export * from './ssh/index.js';
export * from './nvme/index.js';
export { FileBlockDriverState, fileDriver } from './file/file-driver.js';
export * from './nfs/index.js';
