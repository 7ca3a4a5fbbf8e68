/**
 * POSIX errno values and their glibc strerror() text. The block layer reports
 * failures the way QEMU does (a negative errno plus "<what> failed: <strerror>"),
 * so the numbers and the wording are kept here once and shared by every driver.
 */

/** Errno numbers used by the block layer (Linux values). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EDEADLK: 35,
  EEXIST: 17,
  EISDIR: 21,
  EINVAL: 22,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  ERANGE: 34,
  ENOSYS: 38,
  ELOOP: 40,
  ENOTSUP: 95,
  ECONNRESET: 104,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  ECANCELED: 125,
} as const;

/** One of the errno numbers above. */
export type ErrnoValue = (typeof Errno)[keyof typeof Errno];

const STRERROR: Record<number, string> = {
  1: 'Operation not permitted',
  2: 'No such file or directory',
  5: 'Input/output error',
  9: 'Bad file descriptor',
  11: 'Resource temporarily unavailable',
  12: 'Cannot allocate memory',
  13: 'Permission denied',
  16: 'Device or resource busy',
  35: 'Resource deadlock avoided',
  17: 'File exists',
  21: 'Is a directory',
  22: 'Invalid argument',
  27: 'File too large',
  28: 'No space left on device',
  29: 'Illegal seek',
  30: 'Read-only file system',
  34: 'Numerical result out of range',
  38: 'Function not implemented',
  40: 'Too many levels of symbolic links',
  95: 'Operation not supported',
  104: 'Connection reset by peer',
  110: 'Connection timed out',
  111: 'Connection refused',
  113: 'No route to host',
  125: 'Operation canceled',
};

/** glibc's strerror() text for a (positive or negative) errno. */
export function strerror(errno: number): string {
  return STRERROR[Math.abs(errno)] ?? `Unknown error ${Math.abs(errno)}`;
}

/** The errno of a Node.js system error code ('ENOENT' → 2), or EIO when unknown. */
export function errnoFromCode(code: string | undefined): number {
  if (code !== undefined && code in Errno) return Errno[code as keyof typeof Errno];
  return Errno.EIO;
}
