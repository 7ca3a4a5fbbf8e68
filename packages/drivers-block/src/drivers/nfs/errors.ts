/**
 * Errors of the ONC RPC client, the NFSv3 calls and the nfs driver. Each is a
 * BlockError carrying a positive errno so the driver can hand it to the block layer the way QEMU's nfs driver
 * returns -errno; the messages follow libnfs's wording where qemu-io shows it
 * (e.g. "NFS: Lookup of /x failed with NFS3ERR_NOENT(-2)").
 */
import { Errno } from '../../block/errno.js';
import { BlockError } from '../../block/errors.js';
import { MNT3_STATUS, NFS3_STATUS } from './constants.js';

/** Base class: an RPC or NFS failure with an errno (a BlockError, so the block layer reports it as such). */
export class RpcError extends BlockError {
  override name = 'RpcError';
  constructor(message: string, errno: number = Errno.EIO, options?: ErrorOptions) {
    super(message, errno, options);
  }
}

/** The TCP connection failed or was lost and the call could not be retried. */
export class RpcConnectionError extends RpcError {
  override name = 'RpcConnectionError';
}

/** No reply within the client's timeout (the server is dead or hung). */
export class RpcTimeoutError extends RpcError {
  override name = 'RpcTimeoutError';
  constructor(what: string, ms: number) {
    super(`${what}: no reply from the server within ${ms} ms`, Errno.EIO);
  }
}

/** A reply (or the byte stream carrying it) that does not decode. */
export class RpcDecodeError extends RpcError {
  override name = 'RpcDecodeError';
}

/** The server refused the call at the RPC level (MSG_DENIED or accept_stat ≠ SUCCESS). */
export class RpcRejectedError extends RpcError {
  override name = 'RpcRejectedError';
}

/** The client was closed while the call was pending. */
export class RpcClosedError extends RpcError {
  override name = 'RpcClosedError';
  constructor() {
    super('RPC client closed', Errno.EIO);
  }
}

/** An NFSv3 procedure returned a status other than NFS3_OK. */
export class NfsStatusError extends RpcError {
  override name = 'NfsStatusError';
  readonly status: number;
  constructor(what: string, status: number) {
    const [name, errno] = NFS3_STATUS[status] ?? [`NFS3ERR_${status}`, Errno.EIO];
    super(`NFS: ${what} failed with ${name}(-${errno})`, errno);
    this.status = status;
  }
}

/** MOUNT's MNT returned a status other than MNT3_OK. */
export class MountStatusError extends RpcError {
  override name = 'MountStatusError';
  readonly status: number;
  constructor(status: number) {
    const [name, errno] = MNT3_STATUS[status] ?? [`MNT3ERR_${status}`, Errno.EIO];
    super(`mount_cb: RPC error: Mount failed with error ${name}(${errno})`, errno);
    this.status = status;
  }
}

/** Opening an nfs:// image failed; the message is QEMU's ("Failed to mount nfs share: …"). */
export class NfsOpenError extends RpcError {
  override name = 'NfsOpenError';
}
