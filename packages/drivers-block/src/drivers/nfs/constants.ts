/**
 * ONC RPC program, version and procedure numbers of the protocols the nfs
 * driver speaks (RFC 1833 portmapper, RFC 1813 MOUNT v3 and NFSv3), and the
 * names of NFSv3 / MOUNT status codes for error messages. json-pack ships these
 * as `const enum`s, which isolated-module builds cannot import, so the numbers
 * the driver uses are restated here; all encoding stays in json-pack.
 */
import { Errno } from '../../block/errno.js';

/** Portmapper (rpcbind v2). */
export const PMAP_PROGRAM = 100000;
/** Portmapper version 2 (GETPORT). */
export const PMAP_VERSION = 2;
/** PMAPPROC_GETPORT */
export const PMAP_PROC_GETPORT = 3;
/** IPPROTO_TCP as the portmapper wants it. */
export const IPPROTO_TCP = 6;
/** Well-known portmapper port. */
export const PMAP_PORT = 111;

/** MOUNT v3 program. */
export const MOUNT_PROGRAM = 100005;
/** MOUNT version 3. */
export const MOUNT_VERSION = 3;
/** MOUNT procedures used here. */
export const MountProcNo = { NULL: 0, MNT: 1, UMNT: 3 } as const;

/** NFS program. */
export const NFS_PROGRAM = 100003;
/** NFS version 3. */
export const NFS_VERSION = 3;
/** NFSv3 procedures used here. */
export const Nfs3ProcNo = {
  NULL: 0,
  GETATTR: 1,
  SETATTR: 2,
  LOOKUP: 3,
  READ: 6,
  WRITE: 7,
  CREATE: 8,
  FSINFO: 19,
  COMMIT: 21,
} as const;

/** stable_how of WRITE. */
export const StableHow = { UNSTABLE: 0, DATA_SYNC: 1, FILE_SYNC: 2 } as const;
/** createmode3 of CREATE. */
export const CreateMode = { UNCHECKED: 0, GUARDED: 1, EXCLUSIVE: 2 } as const;
/** ftype3 of a regular file. */
export const NF3REG = 1;
/** time_how of SETATTR: leave the time alone. */
export const DONT_CHANGE = 0;
/** AUTH_NONE and AUTH_UNIX (AUTH_SYS) flavours. */
export const AUTH_NONE = 0;
/** AUTH_UNIX / AUTH_SYS. */
export const AUTH_UNIX = 1;

/** nfsstat3 → name, errno (as libnfs maps them). */
export const NFS3_STATUS: Readonly<Record<number, readonly [string, number]>> = {
  1: ['NFS3ERR_PERM', Errno.EPERM],
  2: ['NFS3ERR_NOENT', Errno.ENOENT],
  5: ['NFS3ERR_IO', Errno.EIO],
  6: ['NFS3ERR_NXIO', Errno.ENXIO],
  13: ['NFS3ERR_ACCES', Errno.EACCES],
  17: ['NFS3ERR_EXIST', Errno.EEXIST],
  18: ['NFS3ERR_XDEV', Errno.EXDEV],
  19: ['NFS3ERR_NODEV', Errno.ENODEV],
  20: ['NFS3ERR_NOTDIR', Errno.ENOTDIR],
  21: ['NFS3ERR_ISDIR', Errno.EISDIR],
  22: ['NFS3ERR_INVAL', Errno.EINVAL],
  27: ['NFS3ERR_FBIG', Errno.EFBIG],
  28: ['NFS3ERR_NOSPC', Errno.ENOSPC],
  30: ['NFS3ERR_ROFS', Errno.EROFS],
  31: ['NFS3ERR_MLINK', Errno.EMLINK],
  63: ['NFS3ERR_NAMETOOLONG', Errno.ENAMETOOLONG],
  66: ['NFS3ERR_NOTEMPTY', Errno.ENOTEMPTY],
  69: ['NFS3ERR_DQUOT', Errno.EDQUOT],
  70: ['NFS3ERR_STALE', Errno.ESTALE],
  71: ['NFS3ERR_REMOTE', Errno.EREMOTE],
  10001: ['NFS3ERR_BADHANDLE', Errno.EINVAL],
  10002: ['NFS3ERR_NOT_SYNC', Errno.EIO],
  10003: ['NFS3ERR_BAD_COOKIE', Errno.EIO],
  10004: ['NFS3ERR_NOTSUPP', Errno.ENOTSUP],
  10005: ['NFS3ERR_TOOSMALL', Errno.EIO],
  10006: ['NFS3ERR_SERVERFAULT', Errno.EIO],
  10007: ['NFS3ERR_BADTYPE', Errno.EINVAL],
  10008: ['NFS3ERR_JUKEBOX', Errno.EAGAIN],
};

/** mountstat3 → name, errno. */
export const MNT3_STATUS: Readonly<Record<number, readonly [string, number]>> = {
  1: ['MNT3ERR_PERM', Errno.EPERM],
  2: ['MNT3ERR_NOENT', Errno.ENOENT],
  5: ['MNT3ERR_IO', Errno.EIO],
  13: ['MNT3ERR_ACCES', Errno.EACCES],
  20: ['MNT3ERR_NOTDIR', Errno.ENOTDIR],
  22: ['MNT3ERR_INVAL', Errno.EINVAL],
  63: ['MNT3ERR_NAMETOOLONG', Errno.ENAMETOOLONG],
  10004: ['MNT3ERR_NOTSUPP', Errno.ENOTSUP],
  10006: ['MNT3ERR_SERVERFAULT', Errno.EIO],
};
