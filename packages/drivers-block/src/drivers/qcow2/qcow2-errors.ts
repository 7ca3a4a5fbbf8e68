/**
 * qcow2's errors: one class, carrying QEMU's message and an errno (EINVAL for
 * a malformed image, ENOTSUP for a feature we do not implement, EIO for
 * corruption found while running), so tools print "Could not open 'x': …".
 */
import { BlockError } from '../../block/errors.js';
import { Errno } from '../../block/errno.js';

/** A qcow2 image is malformed, corrupt, or uses what this driver does not implement. */
export class Qcow2Error extends BlockError {
  override name = 'Qcow2Error';
  constructor(message: string, code: 'EINVAL' | 'ENOTSUP' | 'EIO' | 'EFBIG' | 'ENOSPC' | 'EROFS' | 'EACCES' | 'ERANGE' = 'EINVAL') {
    super(message, Errno[code]);
  }
}
