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
import { Errno } from '../block/errno.js';

/** The NBD error value for a host errno (positive or negative). */
export function nbdErrorFromErrno(errno: number): number {
  switch (Math.abs(errno)) {
    case 0:
      return NBD_SUCCESS;
    case Errno.EPERM:
    case Errno.EROFS:
      return NBD_EPERM;
    case Errno.EIO:
      return NBD_EIO;
    case Errno.ENOMEM:
      return NBD_ENOMEM;
    case Errno.ENOSPC:
    case Errno.EFBIG:
    case Errno.EDQUOT:
      return NBD_ENOSPC;
    case Errno.EOVERFLOW:
      return NBD_EOVERFLOW;
    case Errno.ENOTSUP:
    case Errno.ENOSYS:
      return NBD_ENOTSUP;
    case Errno.ESHUTDOWN:
      return NBD_ESHUTDOWN;
    default:
      return NBD_EINVAL;
  }
}

/** The host errno for an NBD error value received from a server. */
export function errnoFromNbdError(err: number): number {
  switch (err) {
    case NBD_SUCCESS:
      return 0;
    case NBD_EPERM:
      return Errno.EPERM;
    case NBD_EIO:
      return Errno.EIO;
    case NBD_ENOMEM:
      return Errno.ENOMEM;
    case NBD_ENOSPC:
      return Errno.ENOSPC;
    case NBD_EOVERFLOW:
      return Errno.EOVERFLOW;
    case NBD_ENOTSUP:
      return Errno.ENOTSUP;
    case NBD_ESHUTDOWN:
      return Errno.ESHUTDOWN;
    default:
      return Errno.EINVAL;
  }
}
