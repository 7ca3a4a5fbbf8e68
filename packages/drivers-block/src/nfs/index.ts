/**
 * The nfs driver's public surface: the driver, its node class, URI parsing, the
 * NFSv3 file layer and the RPC client underneath, and the errors to match on.
 */
export { NFS_OPTIONS, NfsBlockDriverState, nfsDriver, nfsFilename, setNfsDriverTuning, setNfsWarningHandler, type NfsDriverTuning } from './nfs-driver.js';
export { NfsUriError, parseNfsUri, type NfsUriOptions } from './uri.js';
export { NfsFile, type NfsFileOptions, type NfsFileStats } from './nfs-file.js';
export { RpcCall, RpcClient, authNone, authUnix, type RpcCallOptions, type RpcClientOptions } from './rpc-client.js';
export { MountStatusError, NfsOpenError, NfsStatusError, RpcClosedError, RpcConnectionError, RpcDecodeError, RpcError, RpcRejectedError, RpcTimeoutError } from './errors.js';
