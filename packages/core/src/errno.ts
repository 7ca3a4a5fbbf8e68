/**
 * The one errno table of qco: Linux's numbers and glibc's strerror() text.
 * QEMU reports failures as a negative errno (the thread pool's -ECANCELED, a
 * driver's "<what> failed: <strerror>"), so every package that speaks errno
 * (the core's thread pool, the block layer, its drivers and exports) takes the
 * numbers and the wording from here.
 */

/** Errno numbers (Linux values). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  EREMOTE: 66,
  EOVERFLOW: 75,
  ENOTSUP: 95,
  ECONNRESET: 104,
  ESHUTDOWN: 108,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  EINPROGRESS: 115,
  ESTALE: 116,
  EDQUOT: 122,
  ECANCELED: 125,
} as const;

/** One of the errno numbers above. */
export type ErrnoValue = (typeof Errno)[keyof typeof Errno];

const STRERROR: Partial<Record<number, string>> = {
  [Errno.EPERM]: 'Operation not permitted',
  [Errno.ENOENT]: 'No such file or directory',
  [Errno.EIO]: 'Input/output error',
  [Errno.ENXIO]: 'No such device or address',
  [Errno.EBADF]: 'Bad file descriptor',
  [Errno.EAGAIN]: 'Resource temporarily unavailable',
  [Errno.ENOMEM]: 'Cannot allocate memory',
  [Errno.EACCES]: 'Permission denied',
  [Errno.EBUSY]: 'Device or resource busy',
  [Errno.EEXIST]: 'File exists',
  [Errno.EXDEV]: 'Invalid cross-device link',
  [Errno.ENODEV]: 'No such device',
  [Errno.ENOTDIR]: 'Not a directory',
  [Errno.EISDIR]: 'Is a directory',
  [Errno.EINVAL]: 'Invalid argument',
  [Errno.EFBIG]: 'File too large',
  [Errno.ENOSPC]: 'No space left on device',
  [Errno.ESPIPE]: 'Illegal seek',
  [Errno.EROFS]: 'Read-only file system',
  [Errno.EMLINK]: 'Too many links',
  [Errno.ERANGE]: 'Numerical result out of range',
  [Errno.EDEADLK]: 'Resource deadlock avoided',
  [Errno.ENAMETOOLONG]: 'File name too long',
  [Errno.ENOSYS]: 'Function not implemented',
  [Errno.ENOTEMPTY]: 'Directory not empty',
  [Errno.ELOOP]: 'Too many levels of symbolic links',
  [Errno.EREMOTE]: 'Object is remote',
  [Errno.EOVERFLOW]: 'Value too large for defined data type',
  [Errno.ENOTSUP]: 'Operation not supported',
  [Errno.ECONNRESET]: 'Connection reset by peer',
  [Errno.ESHUTDOWN]: 'Cannot send after transport endpoint shutdown',
  [Errno.ETIMEDOUT]: 'Connection timed out',
  [Errno.ECONNREFUSED]: 'Connection refused',
  [Errno.EHOSTUNREACH]: 'No route to host',
  [Errno.EINPROGRESS]: 'Operation now in progress',
  [Errno.ESTALE]: 'Stale file handle',
  [Errno.EDQUOT]: 'Disk quota exceeded',
  [Errno.ECANCELED]: 'Operation canceled',
};

/** glibc's strerror() text for a (positive or negative) errno. */
export function strerror(errno: number): string {
  return STRERROR[Math.abs(errno)] ?? `Unknown error ${Math.abs(errno)}`;
}

/** The errno of a Node.js system error code ('ENOENT' → 2), or EIO when unknown. */
export function errnoFromCode(code: string | undefined): number {
  if (code !== undefined && Object.hasOwn(Errno, code)) return Errno[code as keyof typeof Errno];
  return Errno.EIO;
}
