/**
 * ONC RPC program, version and procedure numbers of the protocols the nfs
 * driver speaks (RFC 1833 portmapper, RFC 1813 MOUNT v3 and NFSv3), and the
 * names of NFSv3 / MOUNT status codes for error messages. json-pack ships these
 * as `const enum`s, which isolated-module builds cannot import, so the numbers
 * the driver uses are restated here; all encoding stays in json-pack.
 */

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

/** nfsstat3 → name, errno (Linux values, as libnfs maps them). */
export const NFS3_STATUS: Readonly<Record<number, readonly [string, number]>> = {
  1: ['NFS3ERR_PERM', 1],
  2: ['NFS3ERR_NOENT', 2],
  5: ['NFS3ERR_IO', 5],
  6: ['NFS3ERR_NXIO', 6],
  13: ['NFS3ERR_ACCES', 13],
  17: ['NFS3ERR_EXIST', 17],
  18: ['NFS3ERR_XDEV', 18],
  19: ['NFS3ERR_NODEV', 19],
  20: ['NFS3ERR_NOTDIR', 20],
  21: ['NFS3ERR_ISDIR', 21],
  22: ['NFS3ERR_INVAL', 22],
  27: ['NFS3ERR_FBIG', 27],
  28: ['NFS3ERR_NOSPC', 28],
  30: ['NFS3ERR_ROFS', 30],
  31: ['NFS3ERR_MLINK', 31],
  63: ['NFS3ERR_NAMETOOLONG', 36],
  66: ['NFS3ERR_NOTEMPTY', 39],
  69: ['NFS3ERR_DQUOT', 122],
  70: ['NFS3ERR_STALE', 116],
  71: ['NFS3ERR_REMOTE', 66],
  10001: ['NFS3ERR_BADHANDLE', 22],
  10002: ['NFS3ERR_NOT_SYNC', 5],
  10003: ['NFS3ERR_BAD_COOKIE', 5],
  10004: ['NFS3ERR_NOTSUPP', 95],
  10005: ['NFS3ERR_TOOSMALL', 5],
  10006: ['NFS3ERR_SERVERFAULT', 5],
  10007: ['NFS3ERR_BADTYPE', 22],
  10008: ['NFS3ERR_JUKEBOX', 11],
};

/** mountstat3 → name, errno. */
export const MNT3_STATUS: Readonly<Record<number, readonly [string, number]>> = {
  1: ['MNT3ERR_PERM', 1],
  2: ['MNT3ERR_NOENT', 2],
  5: ['MNT3ERR_IO', 5],
  13: ['MNT3ERR_ACCES', 13],
  20: ['MNT3ERR_NOTDIR', 20],
  22: ['MNT3ERR_INVAL', 22],
  63: ['MNT3ERR_NAMETOOLONG', 36],
  10004: ['MNT3ERR_NOTSUPP', 95],
  10006: ['MNT3ERR_SERVERFAULT', 5],
};
