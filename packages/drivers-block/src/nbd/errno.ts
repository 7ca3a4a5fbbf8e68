/**
 * Error values on the NBD wire are their own numbering (proto.md "Error
 * values"), equal to Linux errno for the few that exist. A server maps the
 * block layer's errno onto them and a client maps them back, as QEMU's
 * system_errno_to_nbd_errno / nbd_errno_to_system_errno do: anything without
 * an NBD value travels as EINVAL.
 */
import {
  NBD_EINVAL,
  NBD_EIO,
  NBD_ENOMEM,
  NBD_ENOSPC,
  NBD_ENOTSUP,
  NBD_EOVERFLOW,
  NBD_EPERM,
  NBD_ESHUTDOWN,
  NBD_SUCCESS,
} from './constants.js';

const EROFS = 30;
const EFBIG = 27;
const EDQUOT = 122;
const ENOSYS = 38;

/** The NBD error value for a host errno (positive or negative). */
export function nbdErrorFromErrno(errno: number): number {
  switch (Math.abs(errno)) {
    case 0:
      return NBD_SUCCESS;
    case NBD_EPERM:
    case EROFS:
      return NBD_EPERM;
    case NBD_EIO:
      return NBD_EIO;
    case NBD_ENOMEM:
      return NBD_ENOMEM;
    case NBD_ENOSPC:
    case EFBIG:
    case EDQUOT:
      return NBD_ENOSPC;
    case NBD_EOVERFLOW:
      return NBD_EOVERFLOW;
    case NBD_ENOTSUP:
    case ENOSYS:
      return NBD_ENOTSUP;
    case NBD_ESHUTDOWN:
      return NBD_ESHUTDOWN;
    default:
      return NBD_EINVAL;
  }
}

/** The host errno for an NBD error value received from a server. */
export function errnoFromNbdError(err: number): number {
  switch (err) {
    case NBD_SUCCESS:
    case NBD_EPERM:
    case NBD_EIO:
    case NBD_ENOMEM:
    case NBD_ENOSPC:
    case NBD_EOVERFLOW:
    case NBD_ENOTSUP:
    case NBD_ESHUTDOWN:
      return err;
    default:
      return NBD_EINVAL;
  }
}
