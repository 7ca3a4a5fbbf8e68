/** The nfs driver's face: the driver, its node class, tuning, URI parsing and errors (not the RPC client or codecs). */
export { NFS_OPTIONS, NfsBlockDriverState, nfsDriver, nfsFilename, setNfsDriverTuning, setNfsWarningHandler, type NfsDriverTuning } from './nfs-driver.js';
export { NfsUriError, parseNfsUri, type NfsUriOptions } from './uri.js';
export { MountStatusError, NfsOpenError, NfsStatusError, RpcClosedError, RpcConnectionError, RpcDecodeError, RpcError, RpcRejectedError, RpcTimeoutError } from './errors.js';
