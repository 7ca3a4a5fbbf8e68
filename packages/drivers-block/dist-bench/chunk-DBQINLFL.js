import {
  BlockError,
  BlockIoError,
  Errno,
  init_esm_shims
} from "./chunk-DXPUYVZG.js";

// src/drivers/ssh/ssh-errors.ts
init_esm_shims();
var SshError = class extends BlockError {
  name = "SshError";
};
var SshOptionError = class extends SshError {
  name = "SshOptionError";
  constructor(message) {
    super(message, Errno.EINVAL);
  }
};
var SshHostKeyError = class extends SshError {
  constructor(message, host, port, errno = Errno.EINVAL) {
    super(`${message} (server ${host}:${port})`, errno);
    this.host = host;
    this.port = port;
  }
  host;
  port;
  name = "SshHostKeyError";
};
var SshAuthError = class extends SshError {
  constructor(message, host, port) {
    super(`${message} (server ${host}:${port})`, Errno.EPERM);
    this.host = host;
    this.port = port;
  }
  host;
  port;
  name = "SshAuthError";
};
var SshConnectError = class extends SshError {
  constructor(message, host, port, errno = Errno.EIO, options) {
    super(message, errno, options);
    this.host = host;
    this.port = port;
  }
  host;
  port;
  name = "SshConnectError";
};
var SshOpenError = class extends SshError {
  constructor(path, detail, host, port, errno) {
    super(`failed to open remote file '${path}': ${detail} (server ${host}:${port})`, errno);
    this.path = path;
    this.host = host;
    this.port = port;
  }
  path;
  host;
  port;
  name = "SshOpenError";
};
var SshIoError = class extends BlockIoError {
  name = "SshIoError";
  constructor(detail, options) {
    super(Errno.EIO, detail, options);
  }
};

export {
  SshError,
  SshOptionError,
  SshHostKeyError,
  SshAuthError,
  SshConnectError,
  SshOpenError,
  SshIoError
};
//# sourceMappingURL=chunk-DBQINLFL.js.map