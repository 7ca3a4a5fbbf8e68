var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __require = /* @__PURE__ */ ((x) => typeof require !== "undefined" ? require : typeof Proxy !== "undefined" ? new Proxy(x, {
  get: (a, b) => (typeof require !== "undefined" ? require : a)[b]
}) : x)(function(x) {
  if (typeof require !== "undefined") return require.apply(this, arguments);
  throw Error('Dynamic require of "' + x + '" is not supported');
});
var __esm = (fn, res) => function __init() {
  return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;
};
var __commonJS = (cb, mod) => function __require2() {
  return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));

// ../../node_modules/.pnpm/tsup@8.5.1_postcss@8.5.33_typescript@5.9.3/node_modules/tsup/assets/esm_shims.js
import path from "path";
import { fileURLToPath } from "url";
var getFilename, __filename;
var init_esm_shims = __esm({
  "../../node_modules/.pnpm/tsup@8.5.1_postcss@8.5.33_typescript@5.9.3/node_modules/tsup/assets/esm_shims.js"() {
    "use strict";
    getFilename = () => fileURLToPath(import.meta.url);
    __filename = /* @__PURE__ */ getFilename();
  }
});

// src/block/errno.ts
init_esm_shims();
var Errno = {
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
  ENOTSUP: 95,
  ECONNRESET: 104,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  ECANCELED: 125
};
var STRERROR = {
  1: "Operation not permitted",
  2: "No such file or directory",
  5: "Input/output error",
  9: "Bad file descriptor",
  11: "Resource temporarily unavailable",
  12: "Cannot allocate memory",
  13: "Permission denied",
  16: "Device or resource busy",
  35: "Resource deadlock avoided",
  17: "File exists",
  21: "Is a directory",
  22: "Invalid argument",
  27: "File too large",
  28: "No space left on device",
  29: "Illegal seek",
  30: "Read-only file system",
  34: "Numerical result out of range",
  38: "Function not implemented",
  95: "Operation not supported",
  104: "Connection reset by peer",
  110: "Connection timed out",
  111: "Connection refused",
  113: "No route to host",
  125: "Operation canceled"
};
function strerror(errno) {
  return STRERROR[Math.abs(errno)] ?? `Unknown error ${Math.abs(errno)}`;
}
function errnoFromCode(code) {
  if (code !== void 0 && code in Errno) return Errno[code];
  return Errno.EIO;
}

// src/block/errors.ts
init_esm_shims();
var BlockError = class extends Error {
  name = "BlockError";
  errno;
  constructor(message, errno = Errno.EIO, options) {
    super(message, options);
    this.errno = Math.abs(errno);
  }
};
var BlockIoError = class extends BlockError {
  name = "BlockIoError";
  constructor(errno, detail, options) {
    super(detail === void 0 ? strerror(errno) : detail, errno, options);
  }
};
var UnknownDriverError = class extends BlockError {
  constructor(driverName) {
    super(`Unknown driver '${driverName}'`, Errno.EINVAL);
    this.driverName = driverName;
  }
  driverName;
  name = "UnknownDriverError";
};
var UnknownProtocolError = class extends BlockError {
  constructor(protocol) {
    super(`Unknown protocol '${protocol}'`, Errno.EINVAL);
    this.protocol = protocol;
  }
  protocol;
  name = "UnknownProtocolError";
};
var UnknownOptionError = class extends BlockError {
  constructor(driverName, option, kind = "protocol") {
    super(`Block ${kind} '${driverName}' doesn't support the option '${option}'`, Errno.EINVAL);
    this.driverName = driverName;
    this.option = option;
  }
  driverName;
  option;
  name = "UnknownOptionError";
};
var InvalidParameterError = class extends BlockError {
  constructor(parameter, expected) {
    super(`Parameter '${parameter}' expects ${expected}`, Errno.EINVAL);
    this.parameter = parameter;
    this.expected = expected;
  }
  parameter;
  expected;
  name = "InvalidParameterError";
};
var MissingParameterError = class extends BlockError {
  constructor(parameter) {
    super(`Parameter '${parameter}' is required`, Errno.EINVAL);
    this.parameter = parameter;
  }
  parameter;
  name = "MissingParameterError";
};
var InvalidFilenameError = class extends BlockError {
  name = "InvalidFilenameError";
};
var OptionSyntaxError = class extends BlockError {
  name = "OptionSyntaxError";
  constructor(message) {
    super(message, Errno.EINVAL);
  }
};
var CouldNotOpenError = class extends BlockError {
  constructor(filename, errno, detail, options) {
    super(`Could not open '${filename}': ${detail ?? strerror(errno)}`, errno, options);
    this.filename = filename;
  }
  filename;
  name = "CouldNotOpenError";
};
var RequestRangeError = class extends BlockError {
  name = "RequestRangeError";
};
var ReadOnlyError = class extends BlockError {
  name = "ReadOnlyError";
  constructor(message = "Block node is read-only") {
    super(message, Errno.EPERM);
  }
};
var NotSupportedError = class extends BlockError {
  name = "NotSupportedError";
  constructor(message) {
    super(message, Errno.ENOTSUP);
  }
};
var SyncUnsupportedError = class extends BlockError {
  constructor(driverName) {
    super(
      `Driver '${driverName}' completes requests through the Node.js event loop, which a synchronous call cannot run; use the Promise face (await blk.pread(...)) or the coroutine face (yield* blk.coPread(...))`,
      Errno.ENOTSUP
    );
    this.driverName = driverName;
  }
  driverName;
  name = "SyncUnsupportedError";
};

export {
  __require,
  __commonJS,
  __toESM,
  __filename,
  init_esm_shims,
  Errno,
  strerror,
  errnoFromCode,
  BlockError,
  BlockIoError,
  UnknownDriverError,
  UnknownProtocolError,
  UnknownOptionError,
  InvalidParameterError,
  MissingParameterError,
  InvalidFilenameError,
  OptionSyntaxError,
  CouldNotOpenError,
  RequestRangeError,
  ReadOnlyError,
  NotSupportedError,
  SyncUnsupportedError
};
//# sourceMappingURL=chunk-DXPUYVZG.js.map