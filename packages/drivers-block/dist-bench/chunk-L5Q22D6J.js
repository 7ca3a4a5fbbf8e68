import {
  BlockError,
  init_esm_shims
} from "./chunk-DXPUYVZG.js";

// src/drivers/nfs/constants.ts
init_esm_shims();
var PMAP_PROGRAM = 1e5;
var PMAP_VERSION = 2;
var PMAP_PROC_GETPORT = 3;
var IPPROTO_TCP = 6;
var PMAP_PORT = 111;
var MOUNT_PROGRAM = 100005;
var MOUNT_VERSION = 3;
var MountProcNo = { NULL: 0, MNT: 1, UMNT: 3 };
var NFS_PROGRAM = 100003;
var NFS_VERSION = 3;
var Nfs3ProcNo = {
  NULL: 0,
  GETATTR: 1,
  SETATTR: 2,
  LOOKUP: 3,
  READ: 6,
  WRITE: 7,
  CREATE: 8,
  FSINFO: 19,
  COMMIT: 21
};
var StableHow = { UNSTABLE: 0, DATA_SYNC: 1, FILE_SYNC: 2 };
var CreateMode = { UNCHECKED: 0, GUARDED: 1, EXCLUSIVE: 2 };
var DONT_CHANGE = 0;
var AUTH_NONE = 0;
var AUTH_UNIX = 1;
var NFS3_STATUS = {
  1: ["NFS3ERR_PERM", 1],
  2: ["NFS3ERR_NOENT", 2],
  5: ["NFS3ERR_IO", 5],
  6: ["NFS3ERR_NXIO", 6],
  13: ["NFS3ERR_ACCES", 13],
  17: ["NFS3ERR_EXIST", 17],
  18: ["NFS3ERR_XDEV", 18],
  19: ["NFS3ERR_NODEV", 19],
  20: ["NFS3ERR_NOTDIR", 20],
  21: ["NFS3ERR_ISDIR", 21],
  22: ["NFS3ERR_INVAL", 22],
  27: ["NFS3ERR_FBIG", 27],
  28: ["NFS3ERR_NOSPC", 28],
  30: ["NFS3ERR_ROFS", 30],
  31: ["NFS3ERR_MLINK", 31],
  63: ["NFS3ERR_NAMETOOLONG", 36],
  66: ["NFS3ERR_NOTEMPTY", 39],
  69: ["NFS3ERR_DQUOT", 122],
  70: ["NFS3ERR_STALE", 116],
  71: ["NFS3ERR_REMOTE", 66],
  10001: ["NFS3ERR_BADHANDLE", 22],
  10002: ["NFS3ERR_NOT_SYNC", 5],
  10003: ["NFS3ERR_BAD_COOKIE", 5],
  10004: ["NFS3ERR_NOTSUPP", 95],
  10005: ["NFS3ERR_TOOSMALL", 5],
  10006: ["NFS3ERR_SERVERFAULT", 5],
  10007: ["NFS3ERR_BADTYPE", 22],
  10008: ["NFS3ERR_JUKEBOX", 11]
};
var MNT3_STATUS = {
  1: ["MNT3ERR_PERM", 1],
  2: ["MNT3ERR_NOENT", 2],
  5: ["MNT3ERR_IO", 5],
  13: ["MNT3ERR_ACCES", 13],
  20: ["MNT3ERR_NOTDIR", 20],
  22: ["MNT3ERR_INVAL", 22],
  63: ["MNT3ERR_NAMETOOLONG", 36],
  10004: ["MNT3ERR_NOTSUPP", 95],
  10006: ["MNT3ERR_SERVERFAULT", 5]
};

// src/drivers/nfs/errors.ts
init_esm_shims();
var EIO = 5;
var RpcError = class extends BlockError {
  name = "RpcError";
  constructor(message, errno = EIO, options) {
    super(message, errno, options);
  }
};
var RpcConnectionError = class extends RpcError {
  name = "RpcConnectionError";
};
var RpcTimeoutError = class extends RpcError {
  name = "RpcTimeoutError";
  constructor(what, ms) {
    super(`${what}: no reply from the server within ${ms} ms`, EIO);
  }
};
var RpcDecodeError = class extends RpcError {
  name = "RpcDecodeError";
};
var RpcRejectedError = class extends RpcError {
  name = "RpcRejectedError";
};
var RpcClosedError = class extends RpcError {
  name = "RpcClosedError";
  constructor() {
    super("RPC client closed", EIO);
  }
};
var NfsStatusError = class extends RpcError {
  name = "NfsStatusError";
  status;
  constructor(what, status) {
    const [name, errno] = NFS3_STATUS[status] ?? [`NFS3ERR_${status}`, EIO];
    super(`NFS: ${what} failed with ${name}(-${errno})`, errno);
    this.status = status;
  }
};
var MountStatusError = class extends RpcError {
  name = "MountStatusError";
  status;
  constructor(status) {
    const [name, errno] = MNT3_STATUS[status] ?? [`MNT3ERR_${status}`, EIO];
    super(`mount_cb: RPC error: Mount failed with error ${name}(${errno})`, errno);
    this.status = status;
  }
};
var NfsOpenError = class extends RpcError {
  name = "NfsOpenError";
};

export {
  PMAP_PROGRAM,
  PMAP_VERSION,
  PMAP_PROC_GETPORT,
  IPPROTO_TCP,
  PMAP_PORT,
  MOUNT_PROGRAM,
  MOUNT_VERSION,
  MountProcNo,
  NFS_PROGRAM,
  NFS_VERSION,
  Nfs3ProcNo,
  StableHow,
  CreateMode,
  DONT_CHANGE,
  AUTH_NONE,
  AUTH_UNIX,
  RpcError,
  RpcConnectionError,
  RpcTimeoutError,
  RpcDecodeError,
  RpcRejectedError,
  RpcClosedError,
  NfsStatusError,
  MountStatusError,
  NfsOpenError
};
//# sourceMappingURL=chunk-L5Q22D6J.js.map