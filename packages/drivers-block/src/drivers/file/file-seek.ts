/**
 * Where a file's data and holes are (lseek SEEK_DATA / SEEK_HOLE, what
 * QEMU's file-posix find_allocation asks), for the file driver's block
 * status. The calls come from a small addon (native/file-seek.c), Node having
 * no lseek; without it a file reports data everywhere, as QEMU's does where
 * the file system cannot tell.
 */
import { Errno } from '../../block/errno.js';
import { loadPackageAddon } from './native-addon.js';

/** What native/file-seek.c exports: an offset, or -errno. */
interface FileSeekAddon {
  seekData(fd: number, offset: number): number;
  seekHole(fd: number, offset: number): number;
}

let addon: FileSeekAddon | null | undefined;

function seekAddon(): FileSeekAddon | null {
  if (addon === undefined) addon = loadPackageAddon('qco_file_seek') as FileSeekAddon | null;
  return addon;
}

/** One extent found from `offset`: data or a hole, up to `end` (exclusive). */
export interface FileExtent {
  /** Whether the bytes from `offset` hold data (false: a hole, reads as zeroes). */
  readonly data: boolean;
  /** Where the extent ends. */
  readonly end: number;
}

/**
 * find_allocation: the extent starting at `offset` (below the file's length),
 * or null when the file system cannot say (no SEEK_DATA, no addon, or the
 * file changed under us): then the caller reports data.
 */
export function findAllocation(fd: number, offset: number): FileExtent | null {
  const a = seekAddon();
  if (a === null) return null;
  const data = a.seekData(fd, offset);
  // ENXIO: nothing but hole from here to the end of the file.
  if (data === -Errno.ENXIO) return { data: false, end: Infinity };
  if (data < 0) return null;
  if (data > offset) return { data: false, end: data };
  const hole = a.seekHole(fd, offset);
  // A hole at or before offset right after data was found there: the file changed; say nothing.
  if (hole <= offset) return null;
  return { data: true, end: hole };
}
