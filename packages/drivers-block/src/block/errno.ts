/**
 * The block layer's errno: QEMU reports failures as a negative errno plus
 * "<what> failed: <strerror>", so drivers, exports and tools take the numbers
 * and glibc's wording from the one table, @qco/core's (the thread pool's
 * -ECANCELED comes from it too), through its own entry so that naming an errno
 * loads none of the core. Re-exported here so every room of the package
 * names it the same way.
 */
export { Errno, errnoFromCode, strerror, type ErrnoValue } from '@qco/core/errno';
