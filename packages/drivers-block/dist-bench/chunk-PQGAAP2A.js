import {
  SshIoError,
  SshOptionError
} from "./chunk-DBQINLFL.js";
import {
  NfsOpenError,
  RpcError
} from "./chunk-L5Q22D6J.js";
import {
  BlockError,
  BlockIoError,
  CouldNotOpenError,
  Errno,
  InvalidFilenameError,
  InvalidParameterError,
  MissingParameterError,
  NotSupportedError,
  OptionSyntaxError,
  ReadOnlyError,
  RequestRangeError,
  SyncUnsupportedError,
  UnknownDriverError,
  UnknownOptionError,
  UnknownProtocolError,
  __filename,
  errnoFromCode,
  init_esm_shims,
  strerror
} from "./chunk-DXPUYVZG.js";

// src/block/iov.ts
init_esm_shims();
var IoVector = class _IoVector {
  /** The segments, in order. */
  iov;
  /** Total bytes over all segments. */
  size;
  constructor(iov) {
    this.iov = iov instanceof Uint8Array ? [iov] : iov;
    let size = 0;
    for (const b of this.iov) size += b.length;
    this.size = size;
  }
  /** Number of segments (QEMU's niov). */
  get niov() {
    return this.iov.length;
  }
  /** The bytes as one buffer: the segment itself when there is one, else a copy. */
  toBuffer() {
    if (this.iov.length === 1) return this.iov[0];
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const b of this.iov) {
      out.set(b, at);
      at += b.length;
    }
    return out;
  }
  /** qemu_iovec_from_buf: copy `src` into the vector starting at byte `offset`. Returns bytes copied. */
  fromBuffer(src, offset = 0) {
    let skip = offset;
    let from = 0;
    for (const b of this.iov) {
      if (from >= src.length) break;
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      const n = Math.min(b.length - skip, src.length - from);
      if (b.buffer !== src.buffer || b.byteOffset + skip !== src.byteOffset + from) b.set(src.subarray(from, from + n), skip);
      from += n;
      skip = 0;
    }
    return from;
  }
  /** qemu_iovec_to_buf: copy `bytes` bytes starting at `offset` of the vector into `dst`. */
  toBufferAt(dst, offset = 0, bytes = dst.length) {
    let skip = offset;
    let to = 0;
    for (const b of this.iov) {
      if (to >= bytes) break;
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      const n = Math.min(b.length - skip, bytes - to);
      dst.set(b.subarray(skip, skip + n), to);
      to += n;
      skip = 0;
    }
    return to;
  }
  /** qemu_iovec_memset: set `bytes` bytes from `offset` to `value`. */
  fill(value, offset = 0, bytes = this.size - offset) {
    let skip = offset;
    let left = bytes;
    for (const b of this.iov) {
      if (left <= 0) break;
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      const n = Math.min(b.length - skip, left);
      b.fill(value, skip, skip + n);
      left -= n;
      skip = 0;
    }
  }
  /** A vector viewing bytes [offset, offset+bytes) of this one, sharing memory (qemu_iovec_init_slice). */
  slice(offset, bytes) {
    const out = [];
    let skip = offset;
    let left = bytes;
    for (const b of this.iov) {
      if (left <= 0) break;
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      const n = Math.min(b.length - skip, left);
      out.push(b.subarray(skip, skip + n));
      left -= n;
      skip = 0;
    }
    return new _IoVector(out);
  }
};

// src/block/block-backend.ts
init_esm_shims();
import { coroutineCreate as coroutineCreate2, coroutineEnter as coroutineEnter2 } from "@qco/core";

// src/block/block-driver.ts
init_esm_shims();
var BLOCK_DRIVER_SPEC = 1;
var BDRV_BLOCK_DATA = 1;
var BDRV_BLOCK_ZERO = 2;
var BDRV_BLOCK_OFFSET_VALID = 4;
var BDRV_BLOCK_ALLOCATED = 16;

// src/block/block-open.ts
init_esm_shims();

// src/block/block-registry.ts
init_esm_shims();

// src/block/options.ts
init_esm_shims();
var GENERIC_BLOCK_OPTIONS = [
  { name: "driver", type: "string", help: "Driver to use" },
  { name: "filename", type: "string", help: "Image filename" },
  { name: "node-name", type: "string", help: "Node name of the block device node" },
  { name: "read-only", type: "bool", help: "Node is opened in read-only mode", default: false },
  { name: "auto-read-only", type: "bool", help: "Node can become read-only if opening read-write fails", default: false },
  { name: "cache.direct", type: "bool", help: "Bypass software writeback cache on the host", default: false },
  { name: "cache.no-flush", type: "bool", help: "Ignore flush requests", default: false },
  { name: "discard", type: "string", help: "discard operation (ignore/off, unmap/on)", values: ["ignore", "off", "unmap", "on"] },
  { name: "detect-zeroes", type: "string", help: "try to optimize zero writes (off, on, unmap)", values: ["off", "on", "unmap"] },
  { name: "force-share", type: "bool", help: "always accept other writers (default: off)", default: false }
];
function filenameProtocol(filename) {
  const m = /^([^:/\\]*):/.exec(filename);
  return m ? m[1] : void 0;
}
function parseQemuOptsString(text, impliedKey) {
  const out = {};
  const parts = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ",") {
      if (text[i + 1] === ",") {
        cur += ",";
        i++;
        continue;
      }
      parts.push(cur);
      cur = "";
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  parts.forEach((part, index) => {
    if (part === "" && index === parts.length - 1 && index > 0) return;
    const eq = part.indexOf("=");
    if (eq < 0) {
      if (index === 0 && impliedKey !== void 0) out[impliedKey] = part;
      else if (part === "") throw new OptionSyntaxError(`Invalid parameter ''`);
      else out[part] = "on";
      return;
    }
    const key = part.slice(0, eq);
    if (key === "") throw new OptionSyntaxError(`Invalid parameter ''`);
    out[key] = part.slice(eq + 1);
  });
  return out;
}
function flattenOptions(obj, prefix = "", out = {}) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix + k;
    if (v !== null && typeof v === "object") {
      flattenOptions(v, `${key}.`, out);
    } else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
      out[key] = v;
    } else {
      throw new OptionSyntaxError(`Invalid parameter type for '${key}', expected: string, number or boolean`);
    }
  }
  return out;
}
function parseJsonFilename(filename) {
  const body = filename.slice("json:".length);
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new OptionSyntaxError(`Could not parse the JSON options: ${err.message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new OptionSyntaxError("Invalid JSON object given");
  }
  return flattenOptions(parsed);
}
function parseBlockSpec(spec, imageOpts = false) {
  if (spec.startsWith("json:")) return parseJsonFilename(spec);
  if (imageOpts) return parseQemuOptsString(spec);
  return { filename: spec };
}
var SIZE_SUFFIX = { b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };
function parseSize(text, defaultSuffix = "b") {
  const m = /^\s*(0x[0-9a-f]+|[0-9]+(?:\.[0-9]*)?)\s*([bkmgtpe]?)\s*$/i.exec(text);
  if (!m) return void 0;
  const num2 = m[1];
  const suffix = (m[2] || defaultSuffix).toLowerCase();
  const isHex = /^0x/i.test(num2);
  if (isHex && m[2]) return void 0;
  const value = isHex ? Number.parseInt(num2, 16) : Number(num2);
  if (!isHex && num2.includes(".") && suffix === "b") return void 0;
  const result = Math.floor(value * SIZE_SUFFIX[suffix]);
  if (!Number.isFinite(result) || result >= 2 ** 64) return void 0;
  return result;
}
function parseBool(value) {
  if (typeof value === "boolean") return value;
  switch (String(value)) {
    case "on":
    case "yes":
    case "true":
    case "y":
      return true;
    case "off":
    case "no":
    case "false":
    case "n":
      return false;
    default:
      return void 0;
  }
}
function parseOptionValue(desc, value) {
  switch (desc.type) {
    case "bool": {
      const b = parseBool(value);
      if (b === void 0) throw new InvalidParameterError(desc.name, "'on' or 'off'");
      return b;
    }
    case "number": {
      if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
      const s = String(value);
      if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(s)) throw new InvalidParameterError(desc.name, "a number");
      return Number(s);
    }
    case "size": {
      if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
      const n = typeof value === "string" ? parseSize(value) : void 0;
      if (n === void 0) throw new InvalidParameterError(desc.name, "a non-negative number below 2^64");
      return n;
    }
    case "string": {
      const s = String(value);
      if (desc.values && !desc.values.includes(s)) {
        throw new InvalidParameterError(desc.name, `one of ${desc.values.map((v) => `'${v}'`).join(", ")}`);
      }
      return s;
    }
  }
}
function checkOptions(driver, schema, dict) {
  const byName = new Map(schema.map((d) => [d.name, d]));
  const out = {};
  for (const [key, value] of Object.entries(dict)) {
    const desc = byName.get(key);
    if (desc === void 0) {
      throw new UnknownOptionError(driver.formatName, key, driver.protocolName !== void 0 || driver.formatName === "file" ? "protocol" : "format");
    }
    out[key] = parseOptionValue(desc, value);
  }
  for (const desc of schema) {
    if (out[desc.name] === void 0) {
      if (desc.required) throw new MissingParameterError(desc.name);
      if (desc.default !== void 0) out[desc.name] = desc.default;
    }
  }
  return out;
}
function splitGenericOptions(dict) {
  const names = new Set(GENERIC_BLOCK_OPTIONS.map((d) => d.name));
  const generic = {};
  const driver = {};
  for (const [k, v] of Object.entries(dict)) {
    if (names.has(k)) generic[k] = v;
    else driver[k] = v;
  }
  return { generic, driver };
}
function opt(options, name, fallback) {
  const v = options[name];
  return v === void 0 ? fallback : v;
}

// src/block/block-registry.ts
var registered = [];
function registerBlockDriver(driver) {
  if (driver.spec !== BLOCK_DRIVER_SPEC) {
    throw new BlockError(`Block driver '${driver.formatName}' implements contract version ${String(driver.spec)}, this block layer needs ${BLOCK_DRIVER_SPEC}`);
  }
  registered.unshift(driver);
}
function blockDrivers() {
  return registered;
}
function findBlockDriver(name) {
  const d = blockDrivers().find((x) => x.formatName === name);
  if (d === void 0) throw new UnknownDriverError(name);
  return d;
}
function findProtocolDriver(filename) {
  const proto = filenameProtocol(filename);
  if (proto === void 0) return findBlockDriver("file");
  const d = blockDrivers().find((x) => x.protocolName === proto);
  if (d === void 0) throw new UnknownProtocolError(proto);
  return d;
}

// src/block/permissions.ts
init_esm_shims();
var BLK_PERM_CONSISTENT_READ = 1;
var BLK_PERM_WRITE = 2;
var BLK_PERM_WRITE_UNCHANGED = 4;
var BLK_PERM_RESIZE = 8;
var BLK_PERM_ALL = 15;
var PERM_NAMES = [
  [BLK_PERM_CONSISTENT_READ, "consistent read"],
  [BLK_PERM_WRITE, "write"],
  [BLK_PERM_WRITE_UNCHANGED, "write unchanged"],
  [BLK_PERM_RESIZE, "resize"]
];
function blkPermNames(perm) {
  return PERM_NAMES.filter(([bit]) => (perm & bit) !== 0).map(([, name]) => name).join(", ");
}
function backendPermissions(how) {
  let perm = how.noIo === true ? 0 : BLK_PERM_CONSISTENT_READ;
  if (!how.readOnly) perm |= BLK_PERM_WRITE;
  if (how.resize === true) perm |= BLK_PERM_RESIZE;
  const shared2 = how.noShare === true ? BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED : BLK_PERM_ALL;
  return { perm, shared: shared2 };
}
var PermissionConflictError = class extends BlockError {
  name = "PermissionConflictError";
};
function bdrvSetPerm(bs, perm, shared2) {
  if (bs.flags.forceShare) shared2 = BLK_PERM_ALL;
  if (bs.checkPerm === void 0) return;
  try {
    bs.checkPerm(perm, shared2);
  } catch (err) {
    bs.abortPerm?.();
    throw err;
  }
  bs.setPerm?.(perm, shared2);
}
function checkForceShare(forceShare, readOnly) {
  if (forceShare && !readOnly) throw new BlockError("force-share=on can only be used with read-only images", Errno.EINVAL);
}

// src/block/block-open.ts
function resolveBlockSpec(spec, how = {}) {
  const dict = { ...typeof spec === "string" ? parseBlockSpec(spec, how.imageOpts ?? false) : spec, ...how.options ?? {} };
  const { generic, driver: rest } = splitGenericOptions(dict);
  const g = checkOptions({ formatName: "block" }, GENERIC_BLOCK_OPTIONS, generic);
  const filename = g["filename"];
  const driverName = g["driver"] ?? how.format;
  if (driverName === "raw") return resolveRaw(dict, how);
  let driver;
  if (driverName !== void 0) driver = findBlockDriver(driverName);
  else if (filename !== void 0) driver = findProtocolDriver(filename);
  else throw new MissingParameterError("driver");
  let own = rest;
  if (filename !== void 0) {
    if (driver.parseFilename) {
      own = { ...driver.parseFilename(filename), ...rest };
    } else if (driver.options.some((d) => d.name === "filename")) {
      own = { filename, ...rest };
    } else {
      throw new UnknownOptionError(driver.formatName, "filename", driver.protocolName !== void 0 ? "protocol" : "format");
    }
  }
  const options = checkOptions(driver, driver.options, own);
  const flags = {
    readOnly: how.readOnly === true || g["read-only"] === true,
    cacheDirect: how.cacheDirect === true || g["cache.direct"] === true,
    cacheNoFlush: how.cacheNoFlush === true || g["cache.no-flush"] === true,
    aio: how.aio ?? "threads",
    forceShare: how.forceShare === true || g["force-share"] === true
  };
  checkForceShare(flags.forceShare === true, flags.readOnly);
  return { driver, options, flags };
}
function resolveRaw(dict, how) {
  const child = {};
  const outer = {};
  for (const [k, v] of Object.entries(dict)) {
    if (k.startsWith("file.")) child[k.slice("file.".length)] = v;
    else if (k !== "driver") outer[k] = v;
  }
  const { format: _raw, options: _extra, ...rest } = how;
  if (Object.keys(child).length > 0) {
    if (outer["filename"] !== void 0) throw new UnknownOptionError("raw", "filename", "format");
    return resolveBlockSpec({ ...outer, ...child }, { ...rest, imageOpts: false });
  }
  return resolveBlockSpec(outer, { ...rest, imageOpts: false });
}
function* bdrvOpen(spec, how = {}) {
  const r = resolveBlockSpec(spec, how);
  return yield* r.driver.open(r.options, r.flags);
}

// src/block/io.ts
init_esm_shims();
import { CoQueue } from "@qco/core";
var NO_FLAGS = Object.freeze({});
var WriteTracker = class {
  inflight = /* @__PURE__ */ new Set();
  waiters = new CoQueue();
  conflicts(t) {
    for (const o of this.inflight) {
      if (o !== t && o.start < t.end && t.start < o.end && (o.serialising || t.serialising)) return true;
    }
    return false;
  }
  *begin(t) {
    while (this.conflicts(t)) yield* this.waiters.wait();
    this.inflight.add(t);
  }
  end(t) {
    this.inflight.delete(t);
    this.waiters.restartAll();
  }
};
var trackers = /* @__PURE__ */ new WeakMap();
function trackerOf(bs) {
  let t = trackers.get(bs);
  if (t === void 0) trackers.set(bs, t = new WriteTracker());
  return t;
}
function checkRequest(offset, bytes) {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(bytes) || offset < 0 || bytes < 0 || offset + bytes > Number.MAX_SAFE_INTEGER) {
    throw new RequestRangeError(`Invalid request: offset ${offset}, ${bytes} bytes`, Errno.EINVAL);
  }
}
function alignDown(n, a) {
  return n - n % a;
}
function alignUp(n, a) {
  const r = n % a;
  return r === 0 ? n : n + (a - r);
}
function* alignedReadv(bs, offset, bytes, qiov, flags) {
  const max = bs.maxTransfer ?? 0;
  if (max === 0 || bytes <= max) return yield* bs.coPreadv(offset, bytes, qiov, flags);
  for (let done = 0; done < bytes; ) {
    const n = Math.min(max, bytes - done);
    yield* bs.coPreadv(offset + done, n, qiov.slice(done, n), flags);
    done += n;
  }
}
function* alignedWritev(bs, offset, bytes, qiov, flags) {
  const max = bs.maxTransfer ?? 0;
  if (max === 0 || bytes <= max) return yield* bs.coPwritev(offset, bytes, qiov, flags);
  for (let done = 0; done < bytes; ) {
    const n = Math.min(max, bytes - done);
    yield* bs.coPwritev(offset + done, n, qiov.slice(done, n), flags);
    done += n;
  }
}
function* bdrvCoPreadv(bs, offset, bytes, qiov, flags = NO_FLAGS) {
  checkRequest(offset, bytes);
  if (bytes === 0) return;
  const a = bs.requestAlignment;
  if (a <= 1 || offset % a === 0 && bytes % a === 0) return yield* alignedReadv(bs, offset, bytes, qiov, flags);
  const start = alignDown(offset, a);
  const end = alignUp(offset + bytes, a);
  const bounce = new Uint8Array(end - start);
  yield* alignedReadv(bs, start, end - start, new IoVector(bounce), flags);
  qiov.fromBuffer(bounce.subarray(offset - start, offset - start + bytes));
}
function* bdrvCoPwritev(bs, offset, bytes, qiov, flags = NO_FLAGS) {
  checkRequest(offset, bytes);
  if (bytes === 0) return;
  const a = bs.requestAlignment;
  if (a <= 1) return yield* alignedWritev(bs, offset, bytes, qiov, flags);
  const aligned = offset % a === 0 && bytes % a === 0;
  const start = alignDown(offset, a);
  const end = alignUp(offset + bytes, a);
  const tracker = trackerOf(bs);
  const t = { start, end, serialising: !aligned };
  yield* tracker.begin(t);
  try {
    if (aligned) return yield* alignedWritev(bs, offset, bytes, qiov, flags);
    const bounce = new Uint8Array(end - start);
    const length = yield* bs.coGetLength();
    const headEnd = Math.min(start + a, end);
    if (start < length) yield* alignedReadv(bs, start, a, new IoVector(bounce.subarray(0, a)), NO_FLAGS);
    if (end - a >= headEnd && end - a < length) {
      yield* alignedReadv(bs, end - a, a, new IoVector(bounce.subarray(end - a - start)), NO_FLAGS);
    }
    qiov.toBufferAt(bounce.subarray(offset - start), 0, bytes);
    yield* alignedWritev(bs, start, end - start, new IoVector(bounce), flags);
  } finally {
    tracker.end(t);
  }
}
function* bdrvCoPwriteZeroes(bs, offset, bytes, flags = NO_FLAGS) {
  checkRequest(offset, bytes);
  if (bytes === 0) return;
  const a = bs.requestAlignment;
  if (bs.coPwriteZeroes !== void 0 && (a <= 1 || offset % a === 0 && bytes % a === 0)) {
    const tracker = a > 1 ? trackerOf(bs) : void 0;
    const t = { start: offset, end: offset + bytes, serialising: false };
    if (tracker) yield* tracker.begin(t);
    try {
      return yield* bs.coPwriteZeroes(offset, bytes, flags);
    } finally {
      tracker?.end(t);
    }
  }
  const chunk = 1 << 20;
  const zeroes = new Uint8Array(Math.min(bytes, chunk));
  for (let done = 0; done < bytes; ) {
    const n = Math.min(chunk, bytes - done);
    yield* bdrvCoPwritev(bs, offset + done, n, new IoVector(zeroes.subarray(0, n)), flags);
    done += n;
  }
}

// src/block/sync-run.ts
init_esm_shims();
import { aioPoll, coroutineCreate, coroutineEnter, getCurrentAioContext } from "@qco/core";
var blockingPoll = () => aioPoll(getCurrentAioContext(), true);
var syncDepth = 0;
function inSyncWait() {
  return syncDepth > 0;
}
function runSync(fn) {
  syncDepth++;
  try {
    return runSyncInner(fn);
  } finally {
    syncDepth--;
  }
}
function runSyncInner(fn) {
  let finished = false;
  let failed = false;
  let value;
  let error;
  const co = coroutineCreate(function* () {
    try {
      value = yield* fn();
    } catch (err) {
      failed = true;
      error = err;
    }
    finished = true;
  });
  coroutineEnter(co);
  let idle = 0;
  while (!finished) {
    if (blockingPoll === void 0) {
      throw new BlockError("This request did not complete at once and no blocking event loop poll is installed; use the Promise face", Errno.ENOTSUP);
    }
    if (blockingPoll()) idle = 0;
    else if (++idle >= 3) {
      throw new BlockError("A synchronous request is waiting for an event a blocking aio_poll cannot see; use the Promise face", Errno.EDEADLK);
    }
  }
  if (failed) throw error;
  return value;
}

// src/block/deferred.ts
init_esm_shims();
import { QEMU_CLOCK_REALTIME, aioBhScheduleOneshot, coSleepNs as coreCoSleepNs, getCurrentAioContext as getCurrentAioContext2 } from "@qco/core";
function scheduleSoon(fn) {
  aioBhScheduleOneshot(getCurrentAioContext2(), fn, void 0);
}
function* coSleepNs(ns) {
  if (ns <= 0) return;
  yield* coreCoSleepNs(QEMU_CLOCK_REALTIME, ns);
}

// src/block/block-backend.ts
var NO_FLAGS2 = Object.freeze({});
function toBlockError(err) {
  if (err instanceof BlockError) return err;
  const e = err;
  return new BlockError(e?.message ?? String(err), Errno.EIO, { cause: err });
}
function runPromise(fn) {
  return new Promise((resolve, reject) => {
    const co = coroutineCreate2(function* () {
      try {
        resolve(yield* fn());
      } catch (err) {
        reject(err);
      }
    });
    coroutineEnter2(co);
  });
}
function* aioEntry(req) {
  const blk = req.blk;
  try {
    if (req.kind === 2) yield* blk.coFlush();
    else yield* blk.coRw(req.kind === 1, req.offset, req.qiov.size, req.qiov, req.flags);
  } catch (e) {
    req.err = toBlockError(e);
  }
  if (req.returned) req.cb(req.err);
  else blk.deferCompletion(req);
}
var BlockBackend = class _BlockBackend {
  /** Wrap an already open node (taking no permissions; see setPerm). */
  constructor(bs) {
    this.bs = bs;
  }
  bs;
  closed = false;
  inflight = 0;
  length = -1;
  completions = [];
  completionBhScheduled = false;
  permBits = 0;
  sharedBits = BLK_PERM_ALL;
  /**
   * blk_new_open's second half: take the permissions the open flags imply
   * (backendPermissions) on the new node, closing it again when another user
   * of the image conflicts.
   */
  static *coAttach(bs, how) {
    const blk = new _BlockBackend(bs);
    const p = backendPermissions({ readOnly: bs.flags.readOnly, noIo: how.noIo === true, resize: how.resize === true, noShare: how.noShare === true });
    try {
      blk.setPerm(p.perm, p.shared);
    } catch (err) {
      yield* bs.coClose();
      throw err;
    }
    return blk;
  }
  /** Open `spec` (a filename, `json:{…}`, or with imageOpts a `driver=…,…` string) as a coroutine_fn. */
  static *coOpen(spec, how = {}) {
    return yield* _BlockBackend.coAttach(yield* bdrvOpen(spec, how), how);
  }
  /** blk_set_perm: hold `perm` and share `shared` (BLK_PERM_* bits); throws PermissionConflictError, keeping the old ones. */
  setPerm(perm, shared2) {
    bdrvSetPerm(this.bs, perm, shared2);
    this.permBits = perm;
    this.sharedBits = shared2;
  }
  /** The permissions held (BLK_PERM_* bits). */
  get perm() {
    return this.permBits;
  }
  /** The permissions shared with other users. */
  get sharedPerm() {
    return this.sharedBits;
  }
  /** Open `spec`; resolves to a BlockBackend. */
  static open(spec, how = {}) {
    return runPromise(() => _BlockBackend.coOpen(spec, how));
  }
  /** Open `spec` synchronously (drivers whose completions do not need the event loop). */
  static openSync(spec, how = {}) {
    const r = resolveBlockSpec(spec, how);
    if (r.driver.completions === "event-loop") throw new SyncUnsupportedError(r.driver.formatName);
    return runSync(function* () {
      return yield* _BlockBackend.coAttach(yield* r.driver.open(r.options, r.flags), how);
    });
  }
  /** The driver's format name ('null-co', 'file', …). */
  get driverName() {
    return this.bs.driver.formatName;
  }
  /** Whether the node was opened read-only. */
  get readOnly() {
    return this.bs.flags.readOnly;
  }
  /** Requests started and not yet finished. */
  get inFlight() {
    return this.inflight;
  }
  /**
   * blk_check_byte_request. The length is read once and then kept, as QEMU
   * keeps bs->total_sectors; truncate through this handle refreshes it.
   */
  *checkByteRequest(offset, bytes) {
    if (this.length < 0) this.length = yield* this.bs.coGetLength();
    this.checkRange(offset, bytes);
  }
  checkRange(offset, bytes) {
    if (this.closed) throw new BlockError("Block backend is closed", Errno.EBADF);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(bytes) || offset < 0 || bytes < 0) {
      throw new RequestRangeError(`Invalid request: offset ${offset}, ${bytes} bytes`, Errno.EIO);
    }
    const len = this.length;
    if (offset > len || len - offset < bytes) throw new RequestRangeError("Input/output error", Errno.EIO);
  }
  /** @internal The request path shared by every read and write face. */
  *coRw(write2, offset, bytes, qiov, flags) {
    if (write2) this.checkWritable();
    if (this.length < 0) this.length = yield* this.bs.coGetLength();
    this.checkRange(offset, bytes);
    if (qiov.size < bytes) throw new RequestRangeError(`I/O vector of ${qiov.size} bytes is shorter than the request (${bytes} bytes)`, Errno.EINVAL);
    if (qiov.size > bytes) qiov = qiov.slice(0, bytes);
    const bs = this.bs;
    this.inflight++;
    try {
      if (bytes === 0) return;
      if (bs.requestAlignment <= 1 && (bs.maxTransfer === void 0 || bs.maxTransfer === 0 || bytes <= bs.maxTransfer)) {
        if (write2) yield* bs.coPwritev(offset, bytes, qiov, flags);
        else yield* bs.coPreadv(offset, bytes, qiov, flags);
      } else if (write2) {
        yield* bdrvCoPwritev(bs, offset, bytes, qiov, flags);
      } else {
        yield* bdrvCoPreadv(bs, offset, bytes, qiov, flags);
      }
    } finally {
      this.inflight--;
    }
  }
  /** @internal Queue a callback-face completion that finished before its submitting call returned. */
  deferCompletion(req) {
    this.completions.push(req);
    if (this.completionBhScheduled) return;
    this.completionBhScheduled = true;
    scheduleSoon(() => {
      this.completionBhScheduled = false;
      const batch = this.completions.splice(0, this.completions.length);
      for (const r of batch) r.cb(r.err);
    });
  }
  checkWritable() {
    if (this.bs.flags.readOnly) throw new ReadOnlyError();
  }
  // ----- coroutine face -------------------------------------------------------
  /** blk_co_preadv: read `bytes` at `offset` into `qiov`. */
  *coPreadv(offset, bytes, qiov, flags = NO_FLAGS2) {
    yield* this.coRw(false, offset, bytes, qiov, flags);
  }
  /** blk_co_pread: read `bytes` at `offset` into a new buffer (or into `into`). */
  *coPread(offset, bytes, into) {
    const buf = into ?? new Uint8Array(bytes);
    yield* this.coPreadv(offset, bytes, new IoVector(buf.subarray(0, bytes)));
    return buf;
  }
  /** blk_co_pwritev: write `bytes` of `qiov` at `offset`. */
  *coPwritev(offset, bytes, qiov, flags = NO_FLAGS2) {
    yield* this.coRw(true, offset, bytes, qiov, flags);
  }
  /** blk_co_pwrite: write `data` at `offset`. */
  *coPwrite(offset, data, flags = NO_FLAGS2) {
    yield* this.coPwritev(offset, data.length, new IoVector(data), flags);
  }
  /** blk_co_pwrite_zeroes: write `bytes` zero bytes at `offset`. */
  *coPwriteZeroes(offset, bytes, flags = NO_FLAGS2) {
    this.checkWritable();
    yield* this.checkByteRequest(offset, bytes);
    this.inflight++;
    try {
      yield* bdrvCoPwriteZeroes(this.bs, offset, bytes, flags);
    } finally {
      this.inflight--;
    }
  }
  /** blk_co_flush */
  *coFlush() {
    if (this.closed) throw new BlockError("Block backend is closed", Errno.EBADF);
    if (this.bs.flags.cacheNoFlush) return;
    yield* this.bs.coFlush();
  }
  /** blk_co_getlength */
  *coGetLength() {
    this.length = yield* this.bs.coGetLength();
    return this.length;
  }
  /** blk_co_truncate: resize the image (drivers whose protocol can). */
  *coTruncate(offset, exact = true, prealloc = "off") {
    this.checkWritable();
    if (!Number.isSafeInteger(offset) || offset < 0) throw new BlockError("Image size cannot be negative", Errno.EINVAL);
    if (this.bs.coTruncate === void 0) throw new NotSupportedError("Image format driver does not support resize");
    try {
      yield* this.bs.coTruncate(offset, exact, prealloc);
    } finally {
      this.length = -1;
    }
  }
  /**
   * bdrv_co_block_status on the node: the allocation of the range starting at
   * `offset` (at most `bytes` long). A driver without block status reports
   * everything as allocated data.
   */
  *coBlockStatus(offset, bytes) {
    yield* this.checkByteRequest(offset, bytes);
    if (bytes === 0) return { flags: 0, bytes: 0 };
    if (this.bs.coBlockStatus === void 0) {
      return { flags: BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID, bytes, map: offset, file: this.bs };
    }
    const st = yield* this.bs.coBlockStatus(offset, bytes, true);
    return st.bytes > bytes ? { ...st, bytes } : st;
  }
  /**
   * bdrv_block_status_above through the backing chain, with the allocation
   * depth (1 = this node, 0 = allocated nowhere).
   */
  *coBlockStatusAbove(offset, bytes) {
    const st = yield* this.coBlockStatus(offset, bytes);
    return { ...st, depth: st.flags & BDRV_BLOCK_ALLOCATED ? 1 : 0 };
  }
  /** bdrv_co_get_info */
  *coGetInfo() {
    return this.bs.coGetInfo ? yield* this.bs.coGetInfo() : {};
  }
  /** blk_unref: close the node (once). */
  *coClose() {
    if (this.closed) return;
    this.closed = true;
    yield* this.bs.coClose();
  }
  // ----- Promise face ---------------------------------------------------------
  /** Read `bytes` at `offset`. */
  pread(offset, bytes, into) {
    return runPromise(() => this.coPread(offset, bytes, into));
  }
  /** Read into `qiov`. */
  preadv(offset, qiov, flags = NO_FLAGS2) {
    return runPromise(() => this.coPreadv(offset, qiov.size, qiov, flags));
  }
  /** Write `data` at `offset`. */
  pwrite(offset, data, flags = NO_FLAGS2) {
    return runPromise(() => this.coPwrite(offset, data, flags));
  }
  /** Write `qiov` at `offset`. */
  pwritev(offset, qiov, flags = NO_FLAGS2) {
    return runPromise(() => this.coPwritev(offset, qiov.size, qiov, flags));
  }
  /** Write zeroes. */
  pwriteZeroes(offset, bytes, flags = NO_FLAGS2) {
    return runPromise(() => this.coPwriteZeroes(offset, bytes, flags));
  }
  /** Flush. */
  flush() {
    return runPromise(() => this.coFlush());
  }
  /** Image length in bytes. */
  getLength() {
    return runPromise(() => this.coGetLength());
  }
  /** Resize. */
  truncate(offset, exact = true, prealloc = "off") {
    return runPromise(() => this.coTruncate(offset, exact, prealloc));
  }
  /** Driver facts for info output. */
  getInfo() {
    return runPromise(() => this.coGetInfo());
  }
  /** Close the node. */
  close() {
    return runPromise(() => this.coClose());
  }
  // ----- callback face (QEMU's blk_aio_*) --------------------------------------
  aio(kind, offset, qiov, flags, cb) {
    const req = { blk: this, kind, offset, qiov, flags, cb, returned: false, err: null };
    coroutineEnter2(coroutineCreate2(aioEntry, req));
    req.returned = true;
  }
  /** blk_aio_preadv: start a read; `cb` runs after this call returns. */
  aioPreadv(offset, qiov, flags, cb) {
    this.aio(0, offset, qiov, flags, cb);
  }
  /** blk_aio_pwritev: start a write; `cb` runs after this call returns. */
  aioPwritev(offset, qiov, flags, cb) {
    this.aio(1, offset, qiov, flags, cb);
  }
  /** blk_aio_flush */
  aioFlush(cb) {
    this.aio(2, 0, null, NO_FLAGS2, cb);
  }
  // ----- synchronous face (QEMU's co_wrapper) -----------------------------------
  sync(fn) {
    if (this.bs.driver.completions === "event-loop") throw new SyncUnsupportedError(this.bs.driver.formatName);
    return runSync(fn);
  }
  /** blk_pread: read `bytes` at `offset`, blocking. */
  preadSync(offset, bytes, into) {
    return this.sync(() => this.coPread(offset, bytes, into));
  }
  /** blk_pwrite: write `data` at `offset`, blocking. */
  pwriteSync(offset, data, flags = NO_FLAGS2) {
    this.sync(() => this.coPwrite(offset, data, flags));
  }
  /** blk_preadv, blocking. */
  preadvSync(offset, qiov) {
    this.sync(() => this.coPreadv(offset, qiov.size, qiov));
  }
  /** blk_pwritev, blocking. */
  pwritevSync(offset, qiov) {
    this.sync(() => this.coPwritev(offset, qiov.size, qiov));
  }
  /** blk_pwrite_zeroes, blocking. */
  pwriteZeroesSync(offset, bytes, flags = NO_FLAGS2) {
    this.sync(() => this.coPwriteZeroes(offset, bytes, flags));
  }
  /** blk_flush, blocking. */
  flushSync() {
    this.sync(() => this.coFlush());
  }
  /** blk_getlength, blocking. */
  getLengthSync() {
    return this.sync(() => this.coGetLength());
  }
  /** blk_truncate, blocking. */
  truncateSync(offset, exact = true, prealloc = "off") {
    this.sync(() => this.coTruncate(offset, exact, prealloc));
  }
  /** Close, blocking. */
  closeSync() {
    this.sync(() => this.coClose());
  }
};

// src/index.ts
init_esm_shims();

// src/drivers/builtin.ts
init_esm_shims();

// src/drivers/file/file-driver.ts
init_esm_shims();
import { constants, closeSync, fdatasync, fstatSync, ftruncateSync, openSync, read, readSync, write } from "fs";

// src/block/co-wait.ts
init_esm_shims();
import { coroutineSelf, coroutineWake, coroutineYield, inCoroutine } from "@qco/core";
function* coWaitFor(start) {
  if (!inCoroutine()) throw new BlockError("coWaitFor must be called from a coroutine");
  const self = coroutineSelf();
  let finished = false;
  let waiting = false;
  let error;
  let value;
  start((err, v) => {
    if (finished) return;
    finished = true;
    error = err;
    value = v;
    if (waiting) {
      waiting = false;
      coroutineWake(self);
    }
  });
  while (!finished) {
    waiting = true;
    yield* coroutineYield();
  }
  if (error) throw error;
  return value;
}
function coAwait(promise) {
  return coWaitFor((done) => {
    promise.then(
      (v) => done(null, v),
      (e) => done(e instanceof Error ? e : new Error(String(e)))
    );
  });
}

// src/drivers/file/aligned-memory.ts
init_esm_shims();
var WASM_PAGE = 65536;
function allocAligned(length) {
  const pages = Math.max(1, Math.ceil(length / WASM_PAGE));
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }).buffer;
}

// src/drivers/file/file-io-pool.ts
init_esm_shims();
import { Worker } from "worker_threads";
import {
  EventNotifier,
  aioCoWake,
  aioSetEventNotifier,
  coroutineSelf as coroutineSelf2,
  coroutineYield as coroutineYield2,
  getCurrentAioContext as getCurrentAioContext3
} from "@qco/core";

// src/drivers/file/file-io-worker-source.ts
init_esm_shims();
var CTL = { SQ_PRODUCED: 0, SQ_CONSUMED: 1, CQ_RESERVED: 2, STOP: 3, WORDS: 4 };
var SLOT_WORDS = 8;
var SLOT = { OP: 0, FD: 1, LEN: 2, MEM: 3, RESULT: 4 };
var OP = { READ: 0, WRITE: 1, FLUSH: 2, WRITE_FUA: 3 };
var FILE_IO_WORKER_SOURCE = `
'use strict';
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { ctl, sq, cq, slots, pos, mem, flag, wake, port, depth } = workerData;
const bytes = new Uint8Array(mem);
function errnoOf(e) {
  return e && typeof e.errno === 'number' && e.errno !== 0 ? -Math.abs(e.errno) : -5;
}
function run(idx) {
  const b = idx * 8;
  const op = slots[b], fd = slots[b + 1], len = slots[b + 2], off = slots[b + 3];
  const at = pos[idx];
  try {
    if (op === 2) { fs.fdatasyncSync(fd); return 0; }
    const view = bytes.subarray(off, off + len);
    let done = 0;
    if (op === 0) {
      while (done < len) {
        const n = fs.readSync(fd, view, done, len - done, at + done);
        if (n === 0) { view.fill(0, done); break; }
        done += n;
      }
    } else {
      while (done < len) {
        const n = fs.writeSync(fd, view, done, len - done, at + done);
        if (n === 0) return -28;
        done += n;
      }
      if (op === 3) fs.fdatasyncSync(fd);
    }
    return len;
  } catch (e) {
    return errnoOf(e);
  }
}
for (;;) {
  if (Atomics.load(ctl, 3) !== 0) break;
  const c = Atomics.load(ctl, 1);
  const p = Atomics.load(ctl, 0);
  if (c === p) { Atomics.wait(ctl, 0, p); continue; }
  if (Atomics.compareExchange(ctl, 1, c, c + 1) !== c) continue;
  const idx = sq[c % depth];
  slots[idx * 8 + 4] = run(idx);
  const r = Atomics.add(ctl, 2, 1);
  Atomics.store(cq, r % depth, idx + 1);
  if (Atomics.exchange(flag, 0, 1) === 0) port.postMessage(0);
  Atomics.add(wake, 0, 1);
  Atomics.notify(wake, 0);
}
`;

// src/drivers/file/file-io-pool.ts
var FILE_IO_DEPTH = 128;
var FILE_IO_SLOT_BYTES = 256 * 1024;
var FILE_IO_MAX_WORKERS = 32;
var FileIoPool = class {
  ctl = new Int32Array(new SharedArrayBuffer(CTL.WORDS * 4));
  sq = new Int32Array(new SharedArrayBuffer(FILE_IO_DEPTH * 4));
  cq = new Int32Array(new SharedArrayBuffer(FILE_IO_DEPTH * 4));
  slots = new Int32Array(new SharedArrayBuffer(FILE_IO_DEPTH * SLOT_WORDS * 4));
  pos = new Float64Array(new SharedArrayBuffer(FILE_IO_DEPTH * 8));
  mem = allocAligned(FILE_IO_DEPTH * FILE_IO_SLOT_BYTES);
  free = [];
  waiting = /* @__PURE__ */ new Map();
  slotWaiters = [];
  views = [];
  workers = [];
  notifier = new EventNotifier();
  cqConsumed = 0;
  inflight = 0;
  ctx = null;
  keepAlive = null;
  constructor() {
    for (let i = FILE_IO_DEPTH - 1; i >= 0; i--) {
      this.free.push(i);
      this.views[i] = new Uint8Array(this.mem, i * FILE_IO_SLOT_BYTES, FILE_IO_SLOT_BYTES);
    }
  }
  /** Take a free slot, waiting (in the coroutine) while all are busy. */
  *acquire() {
    let idx = this.free.pop();
    while (idx === void 0) {
      this.slotWaiters.push(coroutineSelf2());
      yield* coroutineYield2();
      idx = this.free.pop();
    }
    return { index: idx, bytes: this.views[idx] };
  }
  /** Give a slot back. */
  release(slot) {
    this.free.push(slot.index);
    const w = this.slotWaiters.shift();
    if (w !== void 0) aioCoWake(w);
  }
  /** Run one operation on `slot` in a worker and yield until it is done; returns bytes or -errno. */
  *run(slot, op, fd, pos, len) {
    const i = slot.index;
    const b = i * SLOT_WORDS;
    this.slots[b + SLOT.OP] = op;
    this.slots[b + SLOT.FD] = fd;
    this.slots[b + SLOT.LEN] = len;
    this.slots[b + SLOT.MEM] = i * FILE_IO_SLOT_BYTES;
    this.pos[i] = pos;
    this.waiting.set(i, coroutineSelf2());
    if (this.inflight++ === 0) this.activate();
    if (this.workers.length < FILE_IO_MAX_WORKERS && this.workers.length < this.inflight) this.spawn();
    const p = this.ctl[CTL.SQ_PRODUCED];
    this.sq[p % FILE_IO_DEPTH] = i;
    Atomics.store(this.ctl, CTL.SQ_PRODUCED, p + 1);
    Atomics.notify(this.ctl, CTL.SQ_PRODUCED, 1);
    while (this.waiting.has(i)) yield* coroutineYield2();
    return this.slots[b + SLOT.RESULT];
  }
  activate() {
    this.ctx = getCurrentAioContext3();
    aioSetEventNotifier(this.ctx, this.notifier, () => this.drain());
    for (const w of this.workers) w.ref();
    this.keepAlive = setInterval(() => void 0, 1 << 30);
  }
  deactivate() {
    if (this.ctx) aioSetEventNotifier(this.ctx, this.notifier, null);
    this.ctx = null;
    for (const w of this.workers) w.unref();
    if (this.keepAlive !== null) clearInterval(this.keepAlive);
    this.keepAlive = null;
  }
  /** The notifier's handler: take every published completion and wake its coroutine. */
  drain() {
    this.notifier.testAndClear();
    for (; ; ) {
      const at = this.cqConsumed % FILE_IO_DEPTH;
      const v = Atomics.load(this.cq, at);
      if (v === 0) break;
      Atomics.store(this.cq, at, 0);
      this.cqConsumed++;
      const i = v - 1;
      const co = this.waiting.get(i);
      this.waiting.delete(i);
      if (--this.inflight === 0) this.deactivate();
      if (co !== void 0) aioCoWake(co);
    }
  }
  spawn() {
    const shared2 = this.notifier.share();
    const w = new Worker(FILE_IO_WORKER_SOURCE, {
      eval: true,
      workerData: {
        ctl: this.ctl,
        sq: this.sq,
        cq: this.cq,
        slots: this.slots,
        pos: this.pos,
        mem: this.mem,
        flag: shared2.flag,
        wake: shared2.wake,
        port: shared2.port,
        depth: FILE_IO_DEPTH
      },
      transferList: [shared2.port]
    });
    if (this.inflight === 0) w.unref();
    this.workers.push(w);
  }
};
var pool;
function fileIoPool() {
  return pool ??= new FileIoPool();
}

// src/drivers/file/linux-aio.ts
init_esm_shims();

// src/drivers/file/native-addon.ts
init_esm_shims();
import { createRequire } from "module";
function loadPackageAddon(name) {
  if (process.platform !== "linux") return null;
  const req = createRequire(typeof __filename === "string" ? __filename : import.meta.url);
  for (const rel of [`../build/Release/${name}.node`, `../../../build/Release/${name}.node`]) {
    try {
      return req(rel);
    } catch {
    }
  }
  return null;
}

// src/drivers/file/linux-aio.ts
import { aioCoWake as aioCoWake2, coroutineSelf as coroutineSelf3, coroutineYield as coroutineYield3, deferCall, deferCallBegin, deferCallEnd } from "@qco/core";
var LINUX_AIO_MAX_BATCH = 32;
var addon;
function loadAddon() {
  if (addon === void 0) addon = loadPackageAddon("qco_linux_aio");
  return addon;
}
var PENDING = 1;
var DONE = 2;
var NATIVE_POOL_MAX_THREADS = 64;
var LinuxAioContext = class {
  constructor(a, depth, mode = 0) {
    this.a = a;
    this.ids = new Int32Array(depth);
    this.res = new Int32Array(depth);
    this.results = new Int32Array(depth);
    this.state = new Uint8Array(depth);
    this.waiters = new Array(depth).fill(null);
    this.maxBatch = mode === 2 ? depth : LINUX_AIO_MAX_BATCH;
    this.handle = a.open(depth, (n) => this.complete(n), this.ids, this.res, mode, NATIVE_POOL_MAX_THREADS);
  }
  a;
  ids;
  res;
  results;
  state;
  waiters;
  pending = [];
  handle;
  maxBatch;
  /** Batches handed to the kernel (io_submit / io_uring_enter calls), for the batching counters. */
  submits = 0;
  /** Requests handed to the kernel. */
  submitted = 0;
  /** Read (op 0), write (op 1) or, on the thread pool and io_uring, flush (op 2) `len` bytes of `buf` at `pos` of `fd` on `slot`; yields until done; returns bytes or -errno. */
  *run(slot, op, fd, buf, pos, len) {
    this.a.prep(this.handle, slot, op, fd, buf, len, pos);
    this.state[slot] = PENDING;
    this.waiters[slot] = coroutineSelf3();
    this.pending.push(slot);
    if (this.pending.length >= this.maxBatch) this.flush();
    else deferCall(flushContext, this);
    while (this.state[slot] !== DONE) yield* coroutineYield3();
    this.state[slot] = 0;
    this.waiters[slot] = null;
    return this.results[slot];
  }
  /** io_submit everything prepared; requests the kernel refused complete with its errno. */
  flush() {
    const n = this.pending.length;
    if (n === 0) return;
    const done = this.a.submit(this.handle);
    this.submits++;
    this.submitted += done;
    const refused = this.pending.splice(0, n).slice(done);
    if (refused.length > 0) {
      const errno = this.a.lastError(this.handle) || 11;
      for (const slot of refused) this.finish(slot, -errno);
    }
  }
  finish(slot, ret) {
    this.results[slot] = ret;
    this.state[slot] = DONE;
    const co = this.waiters[slot];
    if (co) aioCoWake2(co);
  }
  /** Called by the addon with `n` completions in ids/res. */
  complete(n) {
    deferCallBegin();
    try {
      for (let i = 0; i < n; i++) this.finish(this.ids[i], this.res[i]);
    } finally {
      deferCallEnd();
    }
  }
  /** Release the io_context. */
  close() {
    this.a.close(this.handle);
  }
};
function flushContext(ctx) {
  ctx.flush();
}
var shared;
var sharedPool;
var sharedRing;
function linuxAio(depth) {
  if (shared !== void 0) return shared;
  const a = loadAddon();
  try {
    shared = a ? new LinuxAioContext(a, depth, 0) : null;
  } catch {
    shared = null;
  }
  return shared;
}
function ioUring(depth) {
  if (sharedRing !== void 0) return sharedRing;
  const a = loadAddon();
  try {
    sharedRing = a ? new LinuxAioContext(a, depth, 2) : null;
  } catch {
    sharedRing = null;
  }
  return sharedRing;
}
function nativeThreadPool(depth) {
  if (sharedPool !== void 0) return sharedPool;
  const a = loadAddon();
  sharedPool = a ? new LinuxAioContext(a, depth, 1) : null;
  return sharedPool;
}

// src/drivers/file/file-lock.ts
init_esm_shims();
var RAW_LOCK_PERM_BASE = 100;
var RAW_LOCK_SHARED_BASE = 200;
var UNLOCK = 0;
var READ_LOCK = 1;
var addon2;
function fileLockAddon() {
  if (addon2 === void 0) addon2 = loadPackageAddon("qco_file_lock");
  return addon2;
}
function useLocking(mode, fd) {
  if (mode === "off") return false;
  const a = fileLockAddon();
  const works = a !== null && a.available(fd);
  if (mode === "on" && !works) warnNoLocking();
  return works;
}
var warned = false;
function warnNoLocking() {
  if (warned) return;
  warned = true;
  process.stderr.write("warning: File lock requested but OFD locking syscall is unavailable; the image is not locked\n");
}
function lockFailure(message, ret) {
  const errno = -ret;
  if (errno === Errno.EAGAIN || errno === Errno.EACCES) return new PermissionConflictError(message, errno);
  return new BlockError(`${message}: ${strerror(errno)}`, errno);
}
var ImageLocks = class {
  constructor(fd, filename, lib) {
    this.fd = fd;
    this.filename = filename;
    this.lib = lib;
  }
  fd;
  filename;
  lib;
  /** Committed permissions. */
  perm = 0;
  shared = BLK_PERM_ALL;
  /** Bits whose bytes are locked now. */
  lockedPerm = 0;
  lockedShared = 0;
  /** Bytes this description holds now, as [offset, …] (for tests and diagnostics). */
  heldBytes() {
    const out = [];
    for (let i = 0; 1 << i <= BLK_PERM_ALL; i++) if (this.lockedPerm & 1 << i) out.push(RAW_LOCK_PERM_BASE + i);
    for (let i = 0; 1 << i <= BLK_PERM_ALL; i++) if (this.lockedShared & 1 << i) out.push(RAW_LOCK_SHARED_BASE + i);
    return out;
  }
  /**
   * raw_apply_lock_bytes: lock the bytes of `permBits` and of `unsharedBits`
   * not yet locked; with `unlock`, release the locked ones no longer wanted.
   */
  apply(permBits, unsharedBits, unlock) {
    this.applyBase(RAW_LOCK_PERM_BASE, permBits, unlock, "perm");
    this.applyBase(RAW_LOCK_SHARED_BASE, unsharedBits, unlock, "shared");
  }
  applyBase(base, wanted, unlock, which) {
    for (let i = 0; 1 << i <= BLK_PERM_ALL; i++) {
      const bit = 1 << i;
      const locked = which === "perm" ? this.lockedPerm : this.lockedShared;
      const off = base + i;
      if (wanted & bit && !(locked & bit)) {
        const ret = this.lib.setLock(this.fd, off, 1, READ_LOCK);
        if (ret !== 0) throw lockFailure(`Failed to lock byte ${off}`, ret);
        this.mark(which, locked | bit);
      } else if (unlock && locked & bit && !(wanted & bit)) {
        const ret = this.lib.setLock(this.fd, off, 1, UNLOCK);
        if (ret !== 0) throw new BlockError(`Failed to unlock byte ${off}: ${strerror(-ret)}`, -ret);
        this.mark(which, locked & ~bit);
      }
    }
  }
  mark(which, bits) {
    if (which === "perm") this.lockedPerm = bits;
    else this.lockedShared = bits;
  }
  /** raw_check_lock_bytes: does anyone else refuse to share what `perm` takes, or hold what `shared` withholds? */
  check(perm, shared2) {
    for (let i = 0; 1 << i <= BLK_PERM_ALL; i++) {
      const bit = 1 << i;
      if (!(perm & bit)) continue;
      const ret = this.lib.testLock(this.fd, RAW_LOCK_SHARED_BASE + i, 1, 1);
      if (ret !== 0) throw lockFailure(`Failed to get "${blkPermNames(bit)}" lock`, ret);
    }
    for (let i = 0; 1 << i <= BLK_PERM_ALL; i++) {
      const bit = 1 << i;
      if (shared2 & bit) continue;
      const ret = this.lib.testLock(this.fd, RAW_LOCK_PERM_BASE + i, 1, 1);
      if (ret !== 0) throw lockFailure(`Failed to get shared "${blkPermNames(bit)}" lock`, ret);
    }
  }
  withHint(err) {
    if (err instanceof PermissionConflictError) {
      return new PermissionConflictError(`${err.message}
Is another process using the image [${this.filename}]?`, err.errno);
    }
    return err;
  }
  /** RAW_PL_PREPARE: lock for the union of old and new, then check nobody else conflicts; on failure back to the old bytes. */
  prepare(perm, shared2) {
    if ((this.perm | perm) === this.perm && (this.shared & shared2) === this.shared) return;
    try {
      this.apply(this.perm | perm, ~this.shared | ~shared2, false);
    } catch (err) {
      this.abort();
      throw err;
    }
    try {
      this.check(perm, shared2);
    } catch (err) {
      this.abort();
      throw this.withHint(err);
    }
  }
  /** RAW_PL_COMMIT: hold exactly the bytes of the new state. */
  commit(perm, shared2) {
    this.apply(perm, ~shared2, true);
    this.perm = perm;
    this.shared = shared2;
  }
  /** RAW_PL_ABORT: back to the bytes of the committed state (only releases, so it cannot conflict). */
  abort() {
    try {
      this.apply(this.perm, ~this.shared, true);
    } catch (err) {
      process.stderr.write(`warning: ${err.message}
`);
    }
  }
  /** Release every byte (before close, and when a create is refused). */
  releaseAll() {
    this.perm = 0;
    this.shared = BLK_PERM_ALL;
    this.abort();
  }
};
function lockForCreate(fd, filename) {
  const lib = fileLockAddon();
  if (lib === null || !lib.available(fd)) return null;
  const locks = new ImageLocks(fd, filename, lib);
  const perm = BLK_PERM_WRITE | BLK_PERM_RESIZE;
  locks.prepare(perm, BLK_PERM_ALL & ~BLK_PERM_RESIZE);
  locks.commit(perm, BLK_PERM_ALL & ~BLK_PERM_RESIZE);
  return locks;
}

// src/drivers/file/file-driver.ts
var FILE_OPTIONS = [
  { name: "filename", type: "string", help: "File name of the image", required: true },
  { name: "aio", type: "string", help: "host AIO implementation (threads, native, io_uring)", values: ["threads", "native", "io_uring"] },
  { name: "aio-max-batch", type: "number", help: "AIO max batch size (0 = auto handled by AIO backend, default: 0)", default: 0 },
  { name: "locking", type: "string", help: "file locking mode (on/off/auto, default: auto)", values: ["on", "off", "auto"], default: "auto" },
  { name: "drop-cache", type: "bool", help: "invalidate page cache during live migration (default: on)", default: true }
];
function sysErrno(err) {
  const e = err;
  if (typeof e?.errno === "number" && e.errno !== 0) return Math.abs(e.errno);
  return errnoFromCode(e?.code);
}
function* libuvIo(op, fd, buf, pos, len) {
  try {
    if (op === OP.FLUSH) {
      yield* coWaitFor((done2) => fdatasync(fd, done2));
      return 0;
    }
    let done = 0;
    while (done < len) {
      const at = done;
      const n = op === OP.READ ? yield* coWaitFor((cb) => read(fd, buf, at, len - at, pos + at, cb)) : yield* coWaitFor((cb) => write(fd, buf, at, len - at, pos + at, cb));
      if (n === 0) {
        if (op !== OP.READ) return -Errno.ENOSPC;
        buf.fill(0, done, len);
        break;
      }
      done += n;
    }
    if (op === OP.WRITE_FUA) yield* coWaitFor((cb) => fdatasync(fd, cb));
    return len;
  } catch (err) {
    return -sysErrno(err);
  }
}
function probeAlignment(fd) {
  const sab = allocAligned(4096);
  for (const size of [512, 1024, 2048, 4096]) {
    try {
      readSync(fd, new Uint8Array(sab, 0, size), 0, size, 0);
      return size;
    } catch (err) {
      if (sysErrno(err) !== Errno.EINVAL) return size;
    }
  }
  return 4096;
}
var FileBlockDriverState = class {
  constructor(driver, filename, options, flags, fd) {
    this.driver = driver;
    this.filename = filename;
    this.options = options;
    this.flags = flags;
    this.fd = fd;
    this.length = fstatSync(fd).size;
    this.requestAlignment = flags.cacheDirect ? probeAlignment(fd) : 1;
    this.memAlignment = flags.cacheDirect ? 4096 : 1;
    this.maxTransfer = flags.cacheDirect ? FILE_IO_SLOT_BYTES : 0;
    const aio = options["aio"] ?? flags.aio;
    this.ring = aio === "io_uring" ? ioUring(FILE_IO_DEPTH) : null;
    this.native = this.ring ?? (aio === "native" || aio === "io_uring" && flags.cacheDirect ? linuxAio(FILE_IO_DEPTH) : null);
    this.threads = this.native === null ? nativeThreadPool(FILE_IO_DEPTH) : null;
    const lib = useLocking(opt(options, "locking", "auto"), fd) ? fileLockAddon() : null;
    this.locks = lib === null ? null : new ImageLocks(fd, filename, lib);
  }
  driver;
  filename;
  options;
  flags;
  requestAlignment;
  memAlignment;
  growable = true;
  /**
   * O_DIRECT requests are split to fit one aligned bounce slot of the I/O pool;
   * buffered ones go straight from the caller's memory in one piece, as QEMU's
   * raw_co_prw hands its iovec to preadv.
   */
  maxTransfer;
  pool = fileIoPool();
  /** The io_uring when aio=io_uring asked for it and the addon (with liburing) and kernel have it. */
  ring;
  /** The native submission context (the io_uring, else linux-aio) when aio=native / io_uring asked for one. */
  native;
  /** The addon's pthread pool for aio=threads, when the addon is here. */
  threads;
  length;
  fd;
  /** The image's lock bytes (null with locking=off, or where OFD locks are unavailable). */
  locks;
  /** raw_check_perm: lock the bytes of the new permissions and check nobody else conflicts. */
  checkPerm(perm, shared2) {
    this.locks?.prepare(perm, shared2);
  }
  /** raw_set_perm: keep exactly the new permissions' bytes. */
  setPerm(perm, shared2) {
    this.locks?.commit(perm, shared2);
  }
  /** raw_abort_perm_update. */
  abortPerm() {
    this.locks?.abort();
  }
  /** The lock bytes this open holds, e.g. [100, 101] for a read-write user sharing everything. */
  get lockedBytes() {
    return this.locks?.heldBytes() ?? [];
  }
  /** @internal The native submission context, for the batching counters in tests. */
  get nativeContext() {
    return this.native;
  }
  /** Which submission path requests take: io_uring, linux-aio, the addon's pthread pool, or libuv's pool. */
  get aioPath() {
    return this.ring ? "io_uring" : this.native ? "native" : this.threads ? "threads" : "libuv-threads";
  }
  /**
   * Run one operation; throws BlockIoError on -errno. Asynchronous callers go
   * through libuv's thread pool (fs.read / fs.write / fs.fdatasync: C threads,
   * the cheapest hand-off Node has); a synchronous-face caller, whose blocking
   * aio_poll cannot run libuv callbacks, goes through the shared-memory worker
   * pool, whose completions wake that poll.
   */
  *io(op, offset, bytes, qiov) {
    if (this.fd < 0) throw new BlockIoError(Errno.EBADF);
    const slot = yield* this.pool.acquire();
    try {
      const sync = inSyncWait();
      if (!sync && !this.flags.cacheDirect && qiov !== null && qiov.niov === 1) {
        const ret = yield* this.run(slot.index, op, qiov.iov[0].subarray(0, bytes), offset, bytes);
        if (ret < 0) throw new BlockIoError(-ret);
        return;
      }
      let done = 0;
      do {
        const n = Math.min(FILE_IO_SLOT_BYTES, bytes - done);
        if (qiov !== null && op !== OP.READ) qiov.toBufferAt(slot.bytes, done, n);
        const ret = sync ? yield* this.pool.run(slot, op, this.fd, offset + done, n) : yield* this.run(slot.index, op, slot.bytes, offset + done, n);
        if (ret < 0) throw new BlockIoError(-ret);
        if (qiov !== null && op === OP.READ) qiov.fromBuffer(slot.bytes.subarray(0, n), done);
        done += n;
      } while (done < bytes);
    } finally {
      this.pool.release(slot);
    }
  }
  /** One operation on the asynchronous path: linux-aio, the addon's pthread pool, else libuv's. */
  *run(slot, op, buf, offset, bytes) {
    if (this.ring !== null) return yield* this.ringIo(this.ring, slot, op, buf, offset, bytes);
    if (this.native !== null && op !== OP.FLUSH) return yield* this.nativeIo(slot, op, buf, offset, bytes);
    if (this.threads !== null) return yield* this.threadIo(slot, op, buf, offset, bytes);
    return yield* libuvIo(op, this.fd, buf, offset, bytes);
  }
  /** linux-aio: a short read is zero-filled and a short write is -ENOSPC, as QEMU's laio does; FUA adds an fdatasync. */
  *nativeIo(slot, op, buf, offset, bytes) {
    const ret = yield* this.native.run(slot, op === OP.READ ? 0 : 1, this.fd, buf, offset, bytes);
    if (ret < 0) return ret;
    if (ret < bytes) {
      if (op !== OP.READ) return -Errno.ENOSPC;
      buf.fill(0, ret, bytes);
    }
    if (op === OP.WRITE_FUA) return yield* libuvIo(OP.FLUSH, this.fd, buf, 0, 0);
    return bytes;
  }
  /**
   * io_uring: a short read is resubmitted for the rest (buffered reads may
   * stop short before the end), zero-filled only at end of file; a short
   * write is -ENOSPC; flush and FUA's flush are IORING_OP_FSYNC (datasync).
   */
  *ringIo(ring, slot, op, buf, offset, bytes) {
    if (op === OP.FLUSH) return yield* ring.run(slot, 2, this.fd, buf, 0, 0);
    let done = 0;
    while (done < bytes) {
      const ret = yield* ring.run(slot, op === OP.READ ? 0 : 1, this.fd, buf.subarray(done), offset + done, bytes - done);
      if (ret < 0) return ret;
      if (ret === 0) {
        if (op !== OP.READ) return -Errno.ENOSPC;
        buf.fill(0, done, bytes);
        break;
      }
      if (op !== OP.READ && ret < bytes - done) return -Errno.ENOSPC;
      done += ret;
    }
    if (op === OP.WRITE_FUA) return yield* ring.run(slot, 2, this.fd, buf, 0, 0);
    return bytes;
  }
  /** The addon's pthread pool: the C worker already loops over short transfers. */
  *threadIo(slot, op, buf, offset, bytes) {
    const pool2 = this.threads;
    const code = op === OP.READ ? 0 : op === OP.FLUSH ? 2 : 1;
    const ret = yield* pool2.run(slot, code, this.fd, buf, offset, op === OP.FLUSH ? 0 : bytes);
    if (ret < 0 || op !== OP.WRITE_FUA) return ret;
    return yield* pool2.run(slot, 2, this.fd, buf, 0, 0);
  }
  *coPreadv(offset, bytes, qiov, _flags) {
    yield* this.io(OP.READ, offset, bytes, qiov);
  }
  *coPwritev(offset, bytes, qiov, flags) {
    yield* this.io(flags.fua === true ? OP.WRITE_FUA : OP.WRITE, offset, bytes, qiov);
    if (offset + bytes > this.length) this.length = offset + bytes;
  }
  *coFlush() {
    yield* this.io(OP.FLUSH, 0, 0, null);
  }
  *coGetLength() {
    return this.length;
  }
  *coTruncate(offset, _exact, prealloc) {
    if (prealloc !== "off" && prealloc !== "full") throw new NotSupportedError(`Unsupported preallocation mode '${prealloc}'`);
    const old = this.length;
    try {
      ftruncateSync(this.fd, offset);
    } catch (err) {
      throw new BlockError(`Failed to resize file: ${err.message}`, sysErrno(err));
    }
    this.length = offset;
    if (prealloc === "full" && offset > old) {
      const zero = new IoVector(new Uint8Array(FILE_IO_SLOT_BYTES));
      for (let at = old; at < offset; at += FILE_IO_SLOT_BYTES) {
        const n = Math.min(FILE_IO_SLOT_BYTES, offset - at);
        yield* this.io(OP.WRITE, at, n, zero.slice(0, n));
      }
    }
  }
  *coGetInfo() {
    const st = fstatSync(this.fd);
    const asked = this.options["aio"] ?? this.flags.aio;
    return asked === "threads" ? { allocatedSize: st.blocks * 512 } : { allocatedSize: st.blocks * 512, extra: { "aio path": this.aioPath } };
  }
  *coClose() {
    if (this.fd < 0) return;
    this.locks?.releaseAll();
    closeSync(this.fd);
    this.fd = -1;
  }
};
var fileDriver = {
  spec: BLOCK_DRIVER_SPEC,
  formatName: "file",
  protocolName: "file",
  options: FILE_OPTIONS,
  completions: "threads",
  parseFilename(filename) {
    return { filename: filename.startsWith("file:") ? filename.slice("file:".length) : filename };
  },
  *open(options, flags) {
    const filename = opt(options, "filename", "");
    const aio = options["aio"] ?? flags.aio;
    if (aio === "native" && !flags.cacheDirect) {
      throw new BlockError("aio=native was specified, but it requires cache.direct=on, which was not specified.", Errno.EINVAL);
    }
    let mode = flags.readOnly ? constants.O_RDONLY : constants.O_RDWR;
    if (flags.cacheDirect) mode |= constants.O_DIRECT;
    let fd;
    try {
      fd = openSync(filename, mode);
    } catch (err) {
      throw new CouldNotOpenError(filename, sysErrno(err), void 0, { cause: err });
    }
    try {
      if (fstatSync(fd).isDirectory()) throw new CouldNotOpenError(filename, Errno.EISDIR);
      return new FileBlockDriverState(fileDriver, filename, options, flags, fd);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  },
  *create(options, size) {
    const filename = opt(options, "filename", "");
    let fd;
    try {
      fd = openSync(filename, constants.O_RDWR | constants.O_CREAT, 420);
    } catch (err) {
      throw new BlockError(`Could not create '${filename}': ${strerror(sysErrno(err))}`, sysErrno(err));
    }
    try {
      lockForCreate(fd, filename);
      ftruncateSync(fd, 0);
      ftruncateSync(fd, size);
    } finally {
      closeSync(fd);
    }
  }
};

// src/drivers/null/null-driver.ts
init_esm_shims();
import { QEMU_CLOCK_REALTIME as QEMU_CLOCK_REALTIME2, aioCoWake as aioCoWake3, coroutineSelf as coroutineSelf4, coroutineYield as coroutineYield4, timerNewNs, qemuClockGetNs } from "@qco/core";
var NULL_DEFAULT_SIZE = 1 << 30;
var NULL_OPTIONS = [
  { name: "size", type: "size", help: "size of the null block", default: NULL_DEFAULT_SIZE },
  { name: "latency-ns", type: "number", help: "nanoseconds (approximated) to wait before completing request", default: 0 },
  { name: "read-zeroes", type: "bool", help: "return zeroes when read", default: false }
];
var NullBlockDriverState = class {
  constructor(driver, options, flags, aio) {
    this.driver = driver;
    this.options = options;
    this.flags = flags;
    this.aio = aio;
    this.filename = `${driver.formatName}://`;
    this.size = opt(options, "size", NULL_DEFAULT_SIZE);
    this.latencyNs = opt(options, "latency-ns", 0);
    this.readZeroes = opt(options, "read-zeroes", false);
    this.immediate = !aio && this.latencyNs === 0;
  }
  driver;
  options;
  flags;
  aio;
  requestAlignment = 1;
  filename;
  size;
  latencyNs;
  readZeroes;
  /** null-co without latency: requests finish where they start. */
  immediate;
  /** How a request finishes: in place (null-co) or from a later callback (null-aio). */
  *complete() {
    if (!this.aio) {
      if (this.latencyNs > 0) yield* coSleepNs(this.latencyNs);
      return;
    }
    const self = coroutineSelf4();
    let done = false;
    const cb = () => {
      done = true;
      aioCoWake3(self);
    };
    if (this.latencyNs > 0) {
      const timer = timerNewNs(QEMU_CLOCK_REALTIME2, cb, void 0);
      timer.modNs(qemuClockGetNs(QEMU_CLOCK_REALTIME2) + this.latencyNs);
    } else {
      scheduleSoon(cb);
    }
    while (!done) yield* coroutineYield4();
  }
  *coPreadv(_offset, _bytes, qiov, _flags) {
    if (this.readZeroes) qiov.fill(0);
    if (this.immediate) return;
    yield* this.complete();
  }
  *coPwritev(_offset, _bytes, _qiov, _flags) {
    if (this.immediate) return;
    yield* this.complete();
  }
  *coPwriteZeroes(_offset, _bytes, _flags) {
    yield* this.complete();
  }
  *coFlush() {
    yield* this.complete();
  }
  *coGetLength() {
    return this.size;
  }
  *coGetInfo() {
    return { allocatedSize: 0 };
  }
  *coClose() {
  }
};
function makeNullDriver(name) {
  const allowed = `${name}://`;
  const driver = {
    spec: BLOCK_DRIVER_SPEC,
    formatName: name,
    protocolName: name,
    options: NULL_OPTIONS,
    completions: name === "null-co" ? "inline" : "threads",
    parseFilename(filename) {
      if (filename !== allowed) throw new InvalidFilenameError(`The only allowed filename for this driver is '${allowed}'`, Errno.EINVAL);
      return {};
    },
    *open(options, flags) {
      return new NullBlockDriverState(driver, options, flags, name === "null-aio");
    }
  };
  return driver;
}
var nullCoDriver = makeNullDriver("null-co");
var nullAioDriver = makeNullDriver("null-aio");

// src/drivers/ssh/ssh-driver.ts
init_esm_shims();
import { CoMutex } from "@qco/core";

// src/drivers/ssh/sftp-pipe.ts
init_esm_shims();
import { CoQueue as CoQueue2 } from "@qco/core";

// src/drivers/ssh/co-event.ts
init_esm_shims();
import { CoroutineError, aioCoWake as aioCoWake4, coroutineSelf as coroutineSelf5, coroutineYield as coroutineYield5, inCoroutine as inCoroutine2 } from "@qco/core";
function wakeFromCallback(co) {
  try {
    aioCoWake4(co);
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
  }
}
var CoEvent = class {
  waiter = null;
  /** Yield until the next notify (call it in a `while (!condition)` loop). */
  *wait() {
    if (!inCoroutine2()) throw new CoroutineError("CoEvent.wait must be called from a coroutine");
    this.waiter = coroutineSelf5();
    try {
      yield* coroutineYield5();
    } finally {
      this.waiter = null;
    }
  }
  /** Wake the waiter if one is yielded here; otherwise nothing (its loop will see the new state). */
  notify() {
    const w = this.waiter;
    if (w === null) return;
    this.waiter = null;
    wakeFromCallback(w);
  }
};

// src/drivers/ssh/sftp-pipe.ts
var DEFAULT_PIPE_BUDGET = 16 * 1024 * 1024;
var Budget = class {
  constructor(max) {
    this.max = max;
  }
  max;
  inFlight = 0;
  waiters = new CoQueue2();
  /** Take `n` bytes, yielding while the budget is spent (one chunk may always go). */
  *take(n) {
    while (this.inFlight > 0 && this.inFlight + n > this.max) yield* this.waiters.wait();
    this.inFlight += n;
    if (this.inFlight < this.max && !this.waiters.isEmpty()) this.waiters.next();
  }
  /** Give `n` bytes back and restart a waiter. */
  give(n) {
    this.inFlight -= n;
    if (!this.waiters.isEmpty()) this.waiters.next();
  }
};
var Batch = class {
  pending = 0;
  error = null;
  done = new CoEvent();
  finish(err) {
    if (err && this.error === null) this.error = err;
    if (--this.pending === 0) this.done.notify();
  }
  *wait() {
    while (this.pending > 0) yield* this.done.wait();
    if (this.error !== null) throw this.error;
  }
};
function asBuffer(u8) {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}
var SftpPipe = class {
  constructor(conn, limits = {}) {
    this.conn = conn;
    this.readChunk = Math.min(limits.readChunk ?? conn.maxRead, conn.maxRead);
    this.writeChunk = Math.min(limits.writeChunk ?? conn.maxWrite, conn.maxWrite);
    this.reads = new Budget(limits.readBudget ?? DEFAULT_PIPE_BUDGET);
    this.writes = new Budget(limits.writeBudget ?? DEFAULT_PIPE_BUDGET);
    this.windowTarget = limits.window ?? 0;
  }
  conn;
  readChunk;
  writeChunk;
  reads;
  /** SSH channel window to keep open for replies (0: leave ssh2's default). */
  windowTarget;
  writes;
  /** Bytes currently in flight per direction (for tests). */
  get inFlight() {
    return { read: this.reads.inFlight, write: this.writes.inFlight };
  }
  /** Read `bytes` at `offset` into `qiov` (coroutine_fn). */
  *read(offset, bytes, qiov) {
    const batch = new Batch();
    for (let at = 0; at < bytes && batch.error === null; ) {
      const len = Math.min(this.readChunk, bytes - at);
      yield* this.reads.take(len);
      if (batch.error !== null) {
        this.reads.give(len);
        break;
      }
      batch.pending++;
      if (this.windowTarget > 0) this.conn.topUpWindow(this.windowTarget);
      this.readChunkInto(offset + at, len, qiov, at, (err) => {
        this.reads.give(len);
        batch.finish(err);
      });
      at += len;
    }
    yield* batch.wait();
  }
  /** Write `bytes` from `qiov` at `offset` (coroutine_fn); returns once the server acknowledged every byte. */
  *write(offset, bytes, qiov) {
    const batch = new Batch();
    for (let at = 0; at < bytes && batch.error === null; ) {
      const len = Math.min(this.writeChunk, bytes - at);
      yield* this.writes.take(len);
      if (batch.error !== null) {
        this.writes.give(len);
        break;
      }
      const part = qiov.slice(at, len);
      const data = asBuffer(part.niov === 1 ? part.iov[0] : part.toBuffer());
      batch.pending++;
      const pos = offset + at;
      this.conn.request(
        (cb) => this.conn.sftp.write(this.conn.handle, data, 0, len, pos, cb),
        (err) => {
          this.writes.give(len);
          batch.finish(err);
        }
      );
      at += len;
    }
    yield* batch.wait();
  }
  /** One read chunk: into the caller's memory when it is contiguous there, else through a bounce buffer. */
  readChunkInto(pos, len, qiov, qiovAt, done) {
    const part = qiov.slice(qiovAt, len);
    const direct = part.niov === 1;
    const buf = direct ? asBuffer(part.iov[0]) : Buffer.allocUnsafe(len);
    let got = 0;
    const step = () => {
      this.conn.request(
        (cb) => this.conn.sftp.read(this.conn.handle, buf, got, len - got, pos + got, cb),
        (err, n) => {
          if (err) return done(err);
          const nb = n;
          if (nb > len - got) return done(new SshIoError(`server sent more data than requested (server ${this.conn.hostport})`));
          if (nb === 0) {
            buf.fill(0, got, len);
            got = len;
          } else {
            got += nb;
          }
          if (got < len) return step();
          if (!direct) qiov.fromBuffer(buf, qiovAt);
          done(null);
        }
      );
    };
    step();
  }
};

// src/drivers/ssh/ssh-options.ts
init_esm_shims();
import { homedir, userInfo } from "os";
var SSH_OPTIONS = [
  { name: "server.host", type: "string", help: "Host to connect to", required: true },
  { name: "server.port", type: "number", help: "Port to connect to", default: 22 },
  { name: "path", type: "string", help: "Path of the image on the host", required: true },
  { name: "user", type: "string", help: "User as which to connect" },
  { name: "host-key-check.mode", type: "string", help: "How to check the host key", values: ["none", "hash", "known_hosts"] },
  { name: "host-key-check.type", type: "string", help: "Hash type of host-key-check.hash", values: ["md5", "sha1", "sha256"] },
  { name: "host-key-check.hash", type: "string", help: "Expected host key hash (hex, colons allowed)" },
  { name: "host_key_check", type: "string", help: "Legacy: no | yes | md5:HEX | sha1:HEX | sha256:HEX" },
  { name: "identity-file", type: "string", help: "Private key file to authenticate with (besides ssh-agent)" }
];
function parseLegacyHostKeyCheck(value) {
  if (value === "no") return { mode: "none" };
  if (value === "yes") return { mode: "known_hosts" };
  for (const type of ["md5", "sha1", "sha256"]) {
    if (value.startsWith(`${type}:`)) return { mode: "hash", type, hash: value.slice(type.length + 1) };
  }
  throw new SshOptionError(`unknown host_key_check setting (${value})`);
}
function str(options, name) {
  const v = options[name];
  return v === void 0 ? void 0 : String(v);
}
function sshConfigFromOptions(options, env = process.env) {
  const host = str(options, "server.host");
  if (host === void 0 || host === "") throw new SshOptionError("No hostname was specified");
  const path = str(options, "path");
  if (path === void 0 || path === "") throw new SshOptionError("No path was specified");
  const portValue = options["server.port"] ?? 22;
  const port = Number(portValue);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SshOptionError(`Parameter 'server.port' expects a port number (got '${portValue}')`);
  const mode = str(options, "host-key-check.mode");
  const legacy = str(options, "host_key_check");
  let hostKeyCheck;
  if (mode !== void 0 && legacy !== void 0) {
    throw new SshOptionError("host_key_check cannot be used at the same time as host-key-check");
  } else if (legacy !== void 0) {
    hostKeyCheck = parseLegacyHostKeyCheck(legacy);
  } else if (mode === void 0 || mode === "known_hosts") {
    hostKeyCheck = { mode: "known_hosts" };
  } else if (mode === "none") {
    hostKeyCheck = { mode: "none" };
  } else if (mode === "hash") {
    const type = str(options, "host-key-check.type");
    const hash = str(options, "host-key-check.hash");
    if (type === void 0) throw new SshOptionError("Parameter 'host-key-check.type' is missing");
    if (hash === void 0) throw new SshOptionError("Parameter 'host-key-check.hash' is missing");
    if (type !== "md5" && type !== "sha1" && type !== "sha256") throw new SshOptionError("Parameter 'host-key-check.type' does not accept value '" + type + "'");
    hostKeyCheck = { mode: "hash", type, hash };
  } else {
    throw new SshOptionError(`Parameter 'host-key-check.mode' does not accept value '${mode}'`);
  }
  const home = env["HOME"] ?? homedir();
  const identityFile = str(options, "identity-file");
  const agentSocket = env["SSH_AUTH_SOCK"];
  return {
    host,
    port,
    path,
    user: str(options, "user") ?? env["USER"] ?? userInfo().username,
    hostKeyCheck,
    ...identityFile !== void 0 ? { identityFile } : {},
    ...agentSocket !== void 0 && agentSocket !== "" ? { agentSocket } : {},
    knownHostsFiles: [`${home}/.ssh/known_hosts`, "/etc/ssh/ssh_known_hosts"]
  };
}
function parseSshFilename(filename) {
  let uri;
  try {
    uri = new URL(filename);
  } catch {
    throw new SshOptionError(`could not parse URI '${filename}'`);
  }
  if (uri.protocol !== "ssh:") throw new SshOptionError("URI scheme must be 'ssh'");
  if (uri.hostname === "") throw new SshOptionError("missing hostname in URI");
  if (uri.pathname === "") throw new SshOptionError("missing remote path in URI");
  const out = {};
  if (uri.username !== "") out["user"] = decodeURIComponent(uri.username);
  out["server.host"] = uri.hostname.startsWith("[") ? uri.hostname.slice(1, -1) : uri.hostname;
  if (uri.port !== "") out["server.port"] = Number(uri.port);
  out["path"] = decodeURIComponent(uri.pathname);
  const hkc = uri.searchParams.get("host_key_check");
  if (hkc !== null) out["host_key_check"] = hkc;
  return out;
}
function sshFilename(config) {
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return `ssh://${encodeURIComponent(config.user)}@${host}:${config.port}${encodeURI(config.path)}`;
}

// src/drivers/ssh/ssh-driver.ts
var tuning = {};
var sshWarn = (message) => {
  process.stderr.write(`warning: ${message}
`);
};
var SshBlockDriverState = class {
  /** @internal Nodes are made by the driver's open. */
  constructor(driver, options, flags, config, conn, limits) {
    this.driver = driver;
    this.options = options;
    this.flags = flags;
    this.config = config;
    this.conn = conn;
    this.filename = sshFilename(config);
    this.size = conn.initialSize;
    this.pipe = new SftpPipe(conn, limits);
  }
  driver;
  options;
  flags;
  config;
  conn;
  requestAlignment = 1;
  growable = true;
  filename;
  /** Serialises size changes, fsync and close (see the module comment). */
  lock = new CoMutex();
  size;
  unsafeFlushWarned = false;
  closed = false;
  /** @internal */
  pipe;
  /** bdrv_co_preadv */
  *coPreadv(offset, bytes, qiov, _flags) {
    yield* this.pipe.read(offset, bytes, qiov);
  }
  /** bdrv_co_pwritev: done when the server acknowledged every byte; FUA adds an fsync. */
  *coPwritev(offset, bytes, qiov, flags) {
    yield* this.pipe.write(offset, bytes, qiov);
    if (offset + bytes > this.size) this.size = offset + bytes;
    if (flags.fua) yield* this.coFlush();
  }
  /** bdrv_co_flush: fsync@openssh.com, or a one-time warning when the server lacks it. */
  *coFlush() {
    if (!this.conn.hasFsync) {
      if (!this.unsafeFlushWarned) {
        this.unsafeFlushWarned = true;
        sshWarn(`ssh server ${this.conn.hostport} does not support fsync`);
        sshWarn("to support fsync, you need OpenSSH >= 6.3");
      }
      return;
    }
    yield* this.lock.lock();
    try {
      yield* coWaitFor((done) => this.conn.request((cb) => this.conn.sftp.ext_openssh_fsync(this.conn.handle, cb), (err) => done(err)));
    } finally {
      this.lock.unlock();
    }
  }
  /** bdrv_co_getlength: the size at open, grown by writes and truncate since. */
  *coGetLength() {
    return this.size;
  }
  /** bdrv_co_truncate: grow only, as QEMU's ssh driver (SFTP fsetstat of the size). */
  *coTruncate(offset, _exact, prealloc) {
    if (prealloc !== "off") throw new NotSupportedError(`Unsupported preallocation mode '${prealloc}'`);
    yield* this.lock.lock();
    try {
      if (offset < this.size) throw new NotSupportedError("ssh driver does not support shrinking files");
      if (offset === this.size) return;
      yield* coWaitFor((done) => this.conn.request((cb) => this.conn.sftp.fsetstat(this.conn.handle, { size: offset }, cb), (err) => done(err)));
      this.size = offset;
    } finally {
      this.lock.unlock();
    }
  }
  /** Facts for `info`. */
  *coGetInfo() {
    return {
      extra: {
        "sftp max read": String(this.pipe.readChunk),
        "sftp max write": String(this.pipe.writeChunk),
        "fsync@openssh.com": this.conn.hasFsync ? "yes" : "no"
      }
    };
  }
  /** bdrv_close: close the remote file and the connection. */
  *coClose() {
    if (this.closed) return;
    this.closed = true;
    yield* this.lock.lock();
    try {
      yield* coAwait(this.conn.close());
    } finally {
      this.lock.unlock();
    }
  }
};
function* connect(options, mode) {
  const config = sshConfigFromOptions(options);
  const { SshConnection } = yield* coAwait(import("./ssh-connection-32CRTKC3.js"));
  const conn = yield* coAwait(SshConnection.open(config, mode, tuning));
  return { config, conn };
}
var sshDriver = {
  spec: BLOCK_DRIVER_SPEC,
  formatName: "ssh",
  protocolName: "ssh",
  options: SSH_OPTIONS,
  completions: "event-loop",
  parseFilename: parseSshFilename,
  *open(options, flags) {
    const { config, conn } = yield* connect(options, { write: !flags.readOnly });
    return new SshBlockDriverState(sshDriver, options, flags, config, conn, tuning);
  },
  /** bdrv_co_create: create (or truncate) the remote file and grow it to `size`. */
  *create(options, size) {
    const { conn } = yield* connect(options, { write: true, create: true });
    try {
      if (size > 0) {
        yield* coWaitFor((done) => conn.request((cb) => conn.sftp.fsetstat(conn.handle, { size }, cb), (err) => done(err)));
      }
    } finally {
      yield* coAwait(conn.close());
    }
  }
};

// src/drivers/nvme/nvme-driver.ts
init_esm_shims();
import {
  aioCoWake as aioCoWake5,
  aioSetEventNotifier as aioSetEventNotifier2,
  aioWaitWhile,
  coroutineCreate as coroutineCreate3,
  coroutineEnter as coroutineEnter3,
  coroutineSelf as coroutineSelf6,
  coroutineYield as coroutineYield6,
  CoQueue as CoQueue4,
  EventNotifier as EventNotifier2,
  aioTimerNew,
  getCurrentAioContext as getCurrentAioContext4,
  inCoroutine as inCoroutine3,
  qemuClockGetMs,
  QEMU_CLOCK_REALTIME as QEMU_CLOCK_REALTIME3,
  SCALE_MS
} from "@qco/core";
import { DmaOutOfMemoryError } from "@qco/nvme-emulator";

// src/drivers/nvme/nvme-devices.ts
init_esm_shims();
import { EmulatedNvmeController } from "@qco/nvme-emulator";
var devices = /* @__PURE__ */ new Map();
var claimed = /* @__PURE__ */ new Set();
function claimNvmeDevice(device, extra) {
  let ctrl;
  let owned = false;
  if (device.startsWith("mem:")) {
    const size = parseSize(device.slice(4));
    if (size === void 0 || size <= 0) throw new BlockError(`Invalid NVMe device '${device}': expected mem:<size>`, Errno.EINVAL);
    ctrl = new EmulatedNvmeController({ ...extra, size });
    owned = true;
  } else if (device.startsWith("file:")) {
    ctrl = new EmulatedNvmeController({ ...extra, file: device.slice(5) });
    owned = true;
  } else {
    const found = devices.get(device);
    if (found === void 0) throw new BlockError(`Failed to open PCI device '${device}': no such emulated NVMe controller`, Errno.ENOENT);
    ctrl = found;
  }
  if (claimed.has(ctrl)) throw new BlockError(`NVMe device '${device}' is already in use`, Errno.EBUSY);
  claimed.add(ctrl);
  let released = false;
  return {
    ctrl,
    owned,
    release() {
      if (released) return;
      released = true;
      claimed.delete(ctrl);
      if (owned) void ctrl.close();
    }
  };
}

// src/drivers/nvme/nvme-queue-pair.ts
init_esm_shims();
import { aioBhScheduleOneshot as aioBhScheduleOneshot2, CoQueue as CoQueue3, deferCall as deferCall2 } from "@qco/core";
import { Cqe, NVME_CQ_ENTRY_BYTES, NVME_SQ_ENTRY_BYTES, Sqe, nvmeDoorbellOffset } from "@qco/nvme-emulator/spec";

// src/drivers/nvme/nvme-status.ts
init_esm_shims();
import { NvmeGenericStatus, NvmeSct, nvmeStatusSc, nvmeStatusSct } from "@qco/nvme-emulator/spec";
function nvmeTranslateError(status) {
  const sc = nvmeStatusSc(status);
  const sct = nvmeStatusSct(status);
  if (sct === NvmeSct.GENERIC) {
    if (sc === NvmeGenericStatus.SUCCESS) return 0;
    if (sc === NvmeGenericStatus.INVALID_OPCODE) return -Errno.ENOSYS;
    if (sc === NvmeGenericStatus.INVALID_FIELD) return -Errno.EINVAL;
  }
  return -Errno.EIO;
}

// src/drivers/nvme/nvme-queue-pair.ts
var NvmeRequest = class {
  constructor(cid, prpList, bounce) {
    this.cid = cid;
    this.prpList = prpList;
    this.bounce = bounce;
  }
  cid;
  prpList;
  bounce;
  /** Set while a command owns the slot. */
  busy = false;
  /** Completion callback of the command in flight. */
  cb = null;
  /** The submitted entry, kept to resubmit it after a controller reset. */
  sqe = new Uint8Array(NVME_SQ_ENTRY_BYTES);
};
var NvmeQueuePair = class {
  constructor(bar, dma, ctx, index, size, bounceBytes, maxBatch = 0) {
    this.bar = bar;
    this.dma = dma;
    this.ctx = ctx;
    this.index = index;
    this.size = size;
    this.maxBatch = maxBatch;
    this.view = dma.view;
    this.sq = dma.alloc(size * NVME_SQ_ENTRY_BYTES);
    this.cq = dma.alloc(size * NVME_CQ_ENTRY_BYTES);
    for (let i = 0; i < size - 1; i++) {
      this.reqs.push(new NvmeRequest(i + 1, dma.alloc(4096), bounceBytes > 0 ? dma.alloc(bounceBytes) : null));
    }
    this.sqDoorbell = nvmeDoorbellOffset(index, false);
    this.cqDoorbell = nvmeDoorbellOffset(index, true);
  }
  bar;
  dma;
  ctx;
  index;
  size;
  maxBatch;
  sq;
  cq;
  sqTail = 0;
  cqHead = 0;
  /** Phase tag a new completion entry carries; flips at each wrap. */
  cqPhase = 1;
  reqs = [];
  freeReqQueue = new CoQueue3();
  /** Commands the device has been told about and not completed. */
  inflight = 0;
  /** Entries written since the last doorbell. */
  needKick = 0;
  /** Re-entrancy guard of processCompletion. */
  busy = false;
  freeWakePending = false;
  sqDoorbell;
  cqDoorbell;
  view;
  kickFn = (q) => q.kick();
  /** A free slot without waiting, or null (QEMU's nvme_get_free_req outside a coroutine). */
  tryGetFreeReq() {
    for (const r of this.reqs) {
      if (!r.busy) {
        r.busy = true;
        return r;
      }
    }
    return null;
  }
  /** A free slot, waiting on the free-request queue while all are busy. */
  *getFreeReq() {
    for (; ; ) {
      const r = this.tryGetFreeReq();
      if (r !== null) return r;
      yield* this.freeReqQueue.wait();
    }
  }
  /** Give a slot back and let a waiter have it. */
  putReq(req) {
    req.busy = false;
    req.cb = null;
    if (!this.freeReqQueue.isEmpty() && !this.freeWakePending) {
      this.freeWakePending = true;
      aioBhScheduleOneshot2(this.ctx, (q) => {
        q.freeWakePending = false;
        while (q.reqs.some((r) => !r.busy) && q.freeReqQueue.enterNext()) ;
      }, this);
    }
  }
  /** Waiters for a free slot (for tests). */
  get waiting() {
    return this.freeReqQueue.length;
  }
  /**
   * nvme_submit_command: put `cmd` (64 bytes) at the tail with the slot's CID and
   * arrange the doorbell write — at once outside a defer-call section, at its end
   * inside one.
   */
  submit(req, cmd, cb) {
    req.cb = cb;
    new DataView(cmd.buffer, cmd.byteOffset, NVME_SQ_ENTRY_BYTES).setUint16(Sqe.CDW0 + 2, req.cid, true);
    req.sqe.set(cmd);
    this.place(req);
    if (this.maxBatch > 0 && this.needKick >= this.maxBatch) this.kick();
    else deferCall2(this.kickFn, this);
  }
  place(req) {
    this.dma.u8.set(req.sqe, this.sq.iova + this.sqTail * NVME_SQ_ENTRY_BYTES);
    this.sqTail = (this.sqTail + 1) % this.size;
    this.needKick++;
  }
  /** nvme_kick: tell the device about every entry written since the last doorbell. */
  kick() {
    if (this.needKick === 0) return;
    this.bar.write32(this.sqDoorbell, this.sqTail);
    this.inflight += this.needKick;
    this.needKick = 0;
  }
  /**
   * nvme_process_completion: consume completion entries whose phase tag is the
   * current one, run their callbacks, then write the head doorbell once.
   */
  processCompletion() {
    if (this.busy) return false;
    this.busy = true;
    let progress = false;
    let failed = false;
    let failure;
    try {
      const i32 = this.dma.i32;
      while (this.inflight > 0) {
        const at = this.cq.iova + this.cqHead * NVME_CQ_ENTRY_BYTES;
        const dw3 = Atomics.load(i32, at + Cqe.CID_STATUS >> 2);
        if ((dw3 >>> 16 & 1) !== this.cqPhase) break;
        this.cqHead++;
        if (this.cqHead === this.size) {
          this.cqHead = 0;
          this.cqPhase ^= 1;
        }
        const cid = dw3 & 65535;
        const req = cid >= 1 && cid <= this.reqs.length ? this.reqs[cid - 1] : void 0;
        if (req === void 0 || req.cb === null) {
          console.error(`Unexpected CID in completion queue: ${cid}`);
          continue;
        }
        this.inflight--;
        const cb = req.cb;
        req.cb = null;
        progress = true;
        try {
          cb(nvmeTranslateError(dw3 >>> 17), this.view.getUint32(at + Cqe.RESULT, true));
        } catch (err) {
          if (!failed) failure = err;
          failed = true;
        }
      }
      if (progress) this.bar.write32(this.cqDoorbell, this.cqHead);
    } finally {
      this.busy = false;
    }
    if (failed) throw failure;
    return progress;
  }
  /**
   * After a controller reset: empty rings, phase 1 again. Commands in flight are
   * returned (oldest first) so the caller can resubmit or fail them.
   */
  resetRings() {
    this.sq.bytes.fill(0);
    this.cq.bytes.fill(0);
    this.sqTail = 0;
    this.cqHead = 0;
    this.cqPhase = 1;
    this.inflight = 0;
    this.needKick = 0;
    return this.reqs.filter((r) => r.busy && r.cb !== null);
  }
  /** Put previously submitted commands back on the (reset) ring and ring the doorbell once. */
  resubmit(reqs) {
    for (const r of reqs) this.place(r);
    this.kick();
  }
  /** Complete commands that will never finish (device gone) with -EIO. */
  failAll(reqs, errno = Errno.EIO) {
    for (const r of reqs) {
      const cb = r.cb;
      r.cb = null;
      cb?.(-errno, 0);
    }
  }
  /** Release the rings and slots back to DMA memory. */
  free() {
    for (const r of this.reqs) {
      this.dma.release(r.prpList);
      if (r.bounce) this.dma.release(r.bounce);
    }
    this.dma.release(this.sq);
    this.dma.release(this.cq);
  }
};

// src/drivers/nvme/nvme-driver.ts
import {
  NVME_CQ_ENTRY_BYTES as NVME_CQ_ENTRY_BYTES2,
  NVME_PAGE_SIZE,
  NVME_SQ_ENTRY_BYTES as NVME_SQ_ENTRY_BYTES2,
  NvmeAdminOpcode,
  NvmeCc,
  NvmeCsts,
  NvmeFeature,
  NvmeIdentifyCns,
  NvmeIoOpcode,
  NvmeReg,
  Sqe as Sqe2
} from "@qco/nvme-emulator/spec";
var IN_PROGRESS = -115;
var NVME_QUEUE_SIZE = 128;
var NVME_AIO_MAX_BATCH = 16;
var NVME_IRQ_COALESCING = 8;
var NVME_MAX_TRANSFER = 128 * 1024;
var NVME_WATCHDOG_MS = 500;
var NVME_MAX_BLOCKS_PER_CMD = 65536;
var NVME_OPTIONS = [
  { name: "device", type: "string", help: "NVMe PCI device address (here: an emulated controller, mem:<size> or file:<path>)", required: true },
  { name: "namespace", type: "number", help: "NVMe namespace", default: 1 },
  { name: "queue-size", type: "number", help: "Entries of the admin and I/O queues", default: NVME_QUEUE_SIZE },
  { name: "aio-max-batch", type: "number", help: "Most submissions one SQ doorbell write announces (0: a whole defer-call section)", default: NVME_AIO_MAX_BATCH },
  { name: "irq-coalescing", type: "number", help: "Completions per interrupt the device aggregates (NVMe Interrupt Coalescing; 0: off)", default: NVME_IRQ_COALESCING }
];
function nvmeParseFilename(filename) {
  const pref = "nvme://";
  if (!filename.startsWith(pref) || filename.length === pref.length) {
    throw new InvalidFilenameError(`Invalid NVMe filename '${filename}': expected nvme://<device>[/<namespace>]`, Errno.EINVAL);
  }
  const rest = filename.slice(pref.length);
  const slash = rest.lastIndexOf("/");
  if (slash < 0 || rest.startsWith("file:")) {
    const m = rest.startsWith("file:") ? /^(.*)\/(\d+)$/.exec(rest) : null;
    if (m) return { device: m[1], namespace: m[2] };
    return { device: rest };
  }
  const device = rest.slice(0, slash);
  const ns = rest.slice(slash + 1);
  if (ns !== "" && !/^\d+$/.test(ns)) throw new InvalidFilenameError(`Invalid namespace '${ns}', positive number expected`, Errno.EINVAL);
  return { device, namespace: ns === "" ? "1" : ns };
}
var NvmeBlockDriverState = class {
  constructor(driver, options, flags) {
    this.driver = driver;
    this.options = options;
    this.flags = flags;
    const device = opt(options, "device", "");
    this.nsid = opt(options, "namespace", 1);
    this.queueSize = opt(options, "queue-size", NVME_QUEUE_SIZE);
    this.maxBatch = opt(options, "aio-max-batch", NVME_AIO_MAX_BATCH);
    this.irqCoalescing = opt(options, "irq-coalescing", NVME_IRQ_COALESCING);
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 0) throw new BlockError(`Invalid aio-max-batch ${this.maxBatch}: expected 0 or more`, Errno.EINVAL);
    if (!Number.isInteger(this.irqCoalescing) || this.irqCoalescing < 0 || this.irqCoalescing > 256) {
      throw new BlockError(`Invalid irq-coalescing ${this.irqCoalescing}: expected 0 to 256`, Errno.EINVAL);
    }
    if (!Number.isInteger(this.nsid) || this.nsid < 1) throw new BlockError(`Invalid namespace '${this.nsid}', positive number expected`, Errno.EINVAL);
    if (!Number.isInteger(this.queueSize) || this.queueSize < 2 || this.queueSize > 1024) {
      throw new BlockError(`Invalid queue-size ${this.queueSize}: expected 2 to 1024 entries`, Errno.EINVAL);
    }
    this.filename = `nvme://${device}/${this.nsid}`;
    this.ctx = getCurrentAioContext4();
    this.watchdog = aioTimerNew(this.ctx, QEMU_CLOCK_REALTIME3, SCALE_MS, (s) => s.watchdogTick(), this);
    this.claim = claimNvmeDevice(device, { dmaBytes: (2 << 20) + this.queueSize * (2 * NVME_PAGE_SIZE + NVME_MAX_TRANSFER) });
    this.ctrl = this.claim.ctrl;
  }
  driver;
  options;
  flags;
  requestAlignment = 512;
  maxTransfer = NVME_MAX_TRANSFER;
  memAlignment = NVME_PAGE_SIZE;
  filename;
  /** The controller this node drives. */
  ctrl;
  /** Namespace id. */
  nsid;
  /** Entries per queue. */
  queueSize;
  /** aio-max-batch: most submissions one doorbell write announces (0: the whole section). */
  maxBatch;
  /** irq-coalescing: completions per interrupt (0: the device's default, one per pass). */
  irqCoalescing;
  /** queues[0] is the admin queue, queues[1] the I/O queue. */
  queues = [];
  /** Namespace size in logical blocks (Identify Namespace NSZE). */
  nsze = 0;
  /** log2 of the logical block size. */
  blkshift = 9;
  /** Identify Controller VWC bit 0. */
  writeCacheSupported = false;
  /** ONCS: Write Zeroes / Dataset Management supported. */
  supportsWriteZeroes = false;
  supportsDiscard = false;
  /** Serial and model from Identify Controller. */
  serial = "";
  model = "";
  /** Controller resets the driver recovered from. */
  recoveries = 0;
  ctx;
  irq = new EventNotifier2();
  claim;
  cmd = new Uint8Array(NVME_SQ_ENTRY_BYTES2);
  cmdView = new DataView(this.cmd.buffer);
  timeoutMs = 0;
  recovering = false;
  recoveryWaiters = new CoQueue4();
  closed = false;
  /** Commands a coroutine waits for; the watchdog runs while there are any. */
  pending = 0;
  /** Set when recovery failed: the device is gone, close does not wait for it. */
  deviceDead = false;
  watchdog;
  /** The I/O queue pair. */
  get ioQueue() {
    return this.queues[1];
  }
  // ---------------------------------------------------------------------------
  // Initialisation (NVMe 1.4 §7.6.1)
  /** nvme_init: bring the controller up and create the I/O queue. */
  *init() {
    const bar = this.ctrl.bar;
    const capLo = bar.read32(NvmeReg.CAP);
    const capHi = bar.read32(NvmeReg.CAP + 4);
    if (!(capHi & 1 << 37 - 32)) throw new BlockError("Device doesn't support NVMe command set", Errno.EINVAL);
    if ((capHi >> 16 & 15) !== 0) throw new BlockError("Device needs a memory page size above 4 KiB", Errno.EINVAL);
    if ((capHi & 15) !== 0) throw new BlockError("Device uses a doorbell stride other than 4 bytes", Errno.EINVAL);
    if ((capLo & 65535) + 1 < this.queueSize) throw new BlockError(`Device supports at most ${(capLo & 65535) + 1} queue entries`, Errno.EINVAL);
    this.timeoutMs = Math.min(500 * (capLo >>> 24 & 255), 3e4);
    this.disable();
    try {
      this.queues[0] = new NvmeQueuePair(bar, this.ctrl.dma, this.ctx, 0, this.queueSize, 0);
    } catch (err) {
      if (err instanceof DmaOutOfMemoryError) throw new BlockError("Cannot allocate queue", Errno.ENOMEM);
      throw err;
    }
    this.enable();
    aioSetEventNotifier2(this.ctx, this.irq, () => this.handleEvent());
    this.ctrl.setIrqNotifier(this.irq.share());
    yield* this.identify();
    yield* this.addIoQueue();
  }
  /** CC.EN = 0 and wait for CSTS.RDY = 0: a controller reset. */
  disable() {
    const bar = this.ctrl.bar;
    bar.write32(NvmeReg.CC, bar.read32(NvmeReg.CC) & ~NvmeCc.EN);
    this.waitCsts((csts) => (csts & NvmeCsts.RDY) === 0, `Timeout while waiting for device to reset (${this.timeoutMs} ms)`);
  }
  /** Program the admin queue, set CC.EN = 1, wait for CSTS.RDY = 1. */
  enable() {
    const bar = this.ctrl.bar;
    const admin = this.queues[0];
    bar.write32(NvmeReg.AQA, admin.size - 1 << 16 | admin.size - 1);
    bar.write64(NvmeReg.ASQ, admin.sq.iova);
    bar.write64(NvmeReg.ACQ, admin.cq.iova);
    bar.write32(NvmeReg.CC, Math.log2(NVME_CQ_ENTRY_BYTES2) << NvmeCc.IOCQES_SHIFT | Math.log2(NVME_SQ_ENTRY_BYTES2) << NvmeCc.IOSQES_SHIFT | NvmeCc.EN);
    this.waitCsts((csts) => (csts & NvmeCsts.RDY) !== 0 && (csts & NvmeCsts.CFS) === 0, `Timeout while waiting for device to start (${this.timeoutMs} ms)`);
  }
  /** Spin on CSTS (the device notifies every change) until `ok` or the CAP.TO timeout. */
  waitCsts(ok, message) {
    const deadline = Date.now() + this.timeoutMs;
    for (; ; ) {
      const csts = this.ctrl.bar.read32(NvmeReg.CSTS);
      if (ok(csts)) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new BlockError(message, Errno.ETIMEDOUT);
      this.ctrl.waitCstsChange(csts, Math.min(left, 50));
    }
  }
  *identify() {
    let resp;
    try {
      resp = this.ctrl.dma.alloc(4096);
    } catch {
      throw new BlockError("Cannot allocate buffer for identify response", Errno.ENOMEM);
    }
    try {
      const v = new DataView(resp.bytes.buffer, resp.bytes.byteOffset, 4096);
      let r = yield* this.adminCmd((c) => {
        c.setUint8(Sqe2.CDW0, NvmeAdminOpcode.IDENTIFY);
        c.setUint32(Sqe2.PRP1, resp.iova, true);
        c.setUint32(Sqe2.CDW10, NvmeIdentifyCns.CONTROLLER, true);
      });
      if (r.ret !== 0) throw new BlockError("Failed to identify controller", -r.ret);
      if (v.getUint32(516, true) < this.nsid) throw new BlockError("Invalid namespace", Errno.EINVAL);
      this.writeCacheSupported = (v.getUint8(525) & 1) !== 0;
      const oncs = v.getUint16(520, true);
      this.supportsWriteZeroes = (oncs & 1 << 3) !== 0;
      this.supportsDiscard = (oncs & 1 << 2) !== 0;
      const mdts = v.getUint8(77);
      const ascii = (at, len) => String.fromCharCode(...resp.bytes.subarray(at, at + len)).trimEnd();
      this.serial = ascii(4, 20);
      this.model = ascii(24, 40);
      if (mdts !== 0) this.maxTransfer = Math.min(this.maxTransfer, 2 ** mdts * NVME_PAGE_SIZE);
      resp.bytes.fill(0);
      r = yield* this.adminCmd((c) => {
        c.setUint8(Sqe2.CDW0, NvmeAdminOpcode.IDENTIFY);
        c.setUint32(Sqe2.NSID, this.nsid, true);
        c.setUint32(Sqe2.PRP1, resp.iova, true);
        c.setUint32(Sqe2.CDW10, NvmeIdentifyCns.NAMESPACE, true);
      });
      if (r.ret !== 0) throw new BlockError("Failed to identify namespace", -r.ret);
      this.nsze = v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32;
      const flbas = v.getUint8(26) & 15;
      const lbaf = v.getUint32(128 + 4 * flbas, true);
      if ((lbaf & 65535) !== 0) throw new BlockError("Namespaces with metadata are not yet supported", Errno.EINVAL);
      const lbads = lbaf >> 16 & 255;
      if (lbads < 9 || lbads > 12) throw new BlockError(`Namespace has unsupported block size (${2 ** lbads})`, Errno.EINVAL);
      this.blkshift = lbads;
      this.requestAlignment = 2 ** lbads;
    } finally {
      this.ctrl.dma.release(resp);
    }
  }
  /** nvme_add_io_queue: Create I/O CQ then I/O SQ for queue 1. */
  *addIoQueue() {
    const n = 1;
    if (this.queues[n] === void 0) {
      try {
        this.queues[n] = new NvmeQueuePair(this.ctrl.bar, this.ctrl.dma, this.ctx, n, this.queueSize, NVME_MAX_TRANSFER, this.maxBatch);
      } catch (err) {
        if (err instanceof DmaOutOfMemoryError) throw new BlockError("Cannot allocate queue", Errno.ENOMEM);
        throw err;
      }
    }
    const q = this.queues[n];
    let r = yield* this.adminCmd((c) => {
      c.setUint8(Sqe2.CDW0, NvmeAdminOpcode.CREATE_IO_CQ);
      c.setUint32(Sqe2.PRP1, q.cq.iova, true);
      c.setUint32(Sqe2.CDW10, q.size - 1 << 16 | n, true);
      c.setUint32(Sqe2.CDW11, 3, true);
    });
    if (r.ret !== 0) throw new BlockError(`Failed to create CQ io queue [${n}]`, -r.ret);
    r = yield* this.adminCmd((c) => {
      c.setUint8(Sqe2.CDW0, NvmeAdminOpcode.CREATE_IO_SQ);
      c.setUint32(Sqe2.PRP1, q.sq.iova, true);
      c.setUint32(Sqe2.CDW10, q.size - 1 << 16 | n, true);
      c.setUint32(Sqe2.CDW11, 1 | n << 16, true);
    });
    if (r.ret !== 0) throw new BlockError(`Failed to create SQ io queue [${n}]`, -r.ret);
    if (this.irqCoalescing > 0) {
      r = yield* this.adminCmd((c) => {
        c.setUint8(Sqe2.CDW0, NvmeAdminOpcode.SET_FEATURES);
        c.setUint32(Sqe2.CDW10, NvmeFeature.INTERRUPT_COALESCING, true);
        c.setUint32(Sqe2.CDW11, this.irqCoalescing - 1 | 1 << 8, true);
      });
      if (r.ret !== 0) throw new BlockError("Failed to set interrupt coalescing", -r.ret);
    }
  }
  // ---------------------------------------------------------------------------
  // Commands
  /**
   * An admin command, synchronously: yields until it completes when called from
   * a coroutine, polls the AioContext with AIO_WAIT_WHILE otherwise.
   */
  *adminCmd(fill) {
    const q = this.queues[0];
    const req = q.tryGetFreeReq();
    if (req === null) return { ret: -Errno.EBUSY, result: 0 };
    try {
      this.cmd.fill(0);
      fill(this.cmdView);
      return yield* this.waitCommand(q, req, this.cmd);
    } finally {
      q.putReq(req);
    }
  }
  /** nvme_cmd_sync outside any coroutine: submit and AIO_WAIT_WHILE until it completes. */
  adminCmdSync(fill) {
    const q = this.queues[0];
    const req = q.tryGetFreeReq();
    if (req === null) return { ret: -Errno.EBUSY, result: 0 };
    let ret = IN_PROGRESS;
    let result = 0;
    try {
      this.cmd.fill(0);
      fill(this.cmdView);
      q.submit(req, this.cmd, (r, res) => {
        ret = r;
        result = res;
      });
      aioWaitWhile(this.ctx, () => ret === IN_PROGRESS);
      return { ret, result };
    } finally {
      q.putReq(req);
    }
  }
  /** Submit on `q` and wait (yielding) for the completion. */
  *waitCommand(q, req, cmd) {
    if (!inCoroutine3()) throw new BlockError("NVMe commands wait from a coroutine", Errno.EINVAL);
    const self = coroutineSelf6();
    let done = false;
    let waiting = false;
    let ret = 0;
    let result = 0;
    this.ctrl.hold();
    if (this.pending++ === 0) this.watchdog.mod(qemuClockGetMs(QEMU_CLOCK_REALTIME3) + NVME_WATCHDOG_MS);
    q.submit(req, cmd, (r, res) => {
      this.ctrl.unhold();
      if (--this.pending === 0) this.watchdog.del();
      ret = r;
      result = res;
      done = true;
      if (waiting) {
        waiting = false;
        aioCoWake5(self);
      }
    });
    while (!done) {
      waiting = true;
      yield* coroutineYield6();
    }
    return { ret, result };
  }
  /** Wait while the controller is being re-initialised. */
  *waitRecovery() {
    while (this.recovering) yield* this.recoveryWaiters.wait();
    if (this.closed) throw new BlockIoError(Errno.EIO, "NVMe device is closed");
  }
  /** nvme_co_prw_aligned through the slot's bounce buffer. */
  *coPrw(offset, bytes, qiov, isWrite, fua) {
    yield* this.waitRecovery();
    const q = this.ioQueue;
    const req = yield* q.getFreeReq();
    try {
      const buf = req.bounce;
      if (isWrite) qiov.toBufferAt(buf.bytes, 0, bytes);
      const c = this.cmdView;
      this.cmd.fill(0);
      const lba = offset / 2 ** this.blkshift;
      c.setUint8(Sqe2.CDW0, isWrite ? NvmeIoOpcode.WRITE : NvmeIoOpcode.READ);
      c.setUint32(Sqe2.NSID, this.nsid, true);
      c.setUint32(Sqe2.CDW10, lba >>> 0, true);
      c.setUint32(Sqe2.CDW11, Math.floor(lba / 2 ** 32), true);
      c.setUint32(Sqe2.CDW12, (bytes >> this.blkshift) - 1 | (fua ? 1 << 30 : 0), true);
      this.mapPrps(req, buf.iova, bytes);
      const r = yield* this.waitCommand(q, req, this.cmd);
      if (r.ret !== 0) throw new BlockIoError(-r.ret);
      if (!isWrite) qiov.fromBuffer(buf.bytes.subarray(0, bytes));
    } finally {
      q.putReq(req);
    }
  }
  /** Fill PRP1/PRP2 of the scratch command for a contiguous buffer at `iova` (page aligned). */
  mapPrps(req, iova, bytes) {
    const c = this.cmdView;
    c.setUint32(Sqe2.PRP1, iova, true);
    const pages = Math.ceil(bytes / NVME_PAGE_SIZE);
    if (pages === 2) c.setUint32(Sqe2.PRP2, iova + NVME_PAGE_SIZE, true);
    else if (pages > 2) {
      const list = new DataView(req.prpList.bytes.buffer, req.prpList.bytes.byteOffset, NVME_PAGE_SIZE);
      for (let i = 1; i < pages; i++) {
        list.setUint32((i - 1) * 8, iova + i * NVME_PAGE_SIZE, true);
        list.setUint32((i - 1) * 8 + 4, 0, true);
      }
      c.setUint32(Sqe2.PRP2, req.prpList.iova, true);
    }
  }
  *coPreadv(offset, bytes, qiov, _flags) {
    yield* this.coPrw(offset, bytes, qiov, false, false);
  }
  *coPwritev(offset, bytes, qiov, flags) {
    yield* this.coPrw(offset, bytes, qiov, true, flags.fua === true);
  }
  /** A data-less I/O command on the I/O queue. */
  *ioCmd(fill) {
    yield* this.waitRecovery();
    const q = this.ioQueue;
    const req = yield* q.getFreeReq();
    try {
      this.cmd.fill(0);
      this.cmdView.setUint32(Sqe2.NSID, this.nsid, true);
      fill(this.cmdView);
      const r = yield* this.waitCommand(q, req, this.cmd);
      if (r.ret !== 0) throw new BlockIoError(-r.ret);
    } finally {
      q.putReq(req);
    }
  }
  *coFlush() {
    yield* this.ioCmd((c) => c.setUint8(Sqe2.CDW0, NvmeIoOpcode.FLUSH));
  }
  *coPwriteZeroes(offset, bytes, flags) {
    if (!this.supportsWriteZeroes) throw new BlockIoError(Errno.ENOTSUP);
    let lba = Math.floor(offset / 2 ** this.blkshift);
    let left = Math.floor(bytes / 2 ** this.blkshift);
    while (left > 0) {
      const n = Math.min(left, NVME_MAX_BLOCKS_PER_CMD);
      const at = lba;
      yield* this.ioCmd((c) => {
        c.setUint8(Sqe2.CDW0, NvmeIoOpcode.WRITE_ZEROES);
        c.setUint32(Sqe2.CDW10, at >>> 0, true);
        c.setUint32(Sqe2.CDW11, Math.floor(at / 2 ** 32), true);
        c.setUint32(Sqe2.CDW12, n - 1 | (flags.mayUnmap ? 1 << 25 : 0) | (flags.fua ? 1 << 30 : 0), true);
      });
      lba += n;
      left -= n;
    }
  }
  /** nvme_co_pdiscard: Dataset Management with the deallocate attribute, one range. */
  *coPdiscard(offset, bytes) {
    if (!this.supportsDiscard) throw new BlockIoError(Errno.ENOTSUP);
    if (offset % this.requestAlignment !== 0 || bytes % this.requestAlignment !== 0) throw new BlockIoError(Errno.EINVAL);
    if (bytes / 2 ** this.blkshift > 4294967295) throw new BlockIoError(Errno.EINVAL);
    yield* this.waitRecovery();
    const q = this.ioQueue;
    const req = yield* q.getFreeReq();
    try {
      const buf = req.bounce;
      const range = new DataView(buf.bytes.buffer, buf.bytes.byteOffset, 16);
      const lba = Math.floor(offset / 2 ** this.blkshift);
      range.setUint32(0, 0, true);
      range.setUint32(4, Math.floor(bytes / 2 ** this.blkshift), true);
      range.setUint32(8, lba >>> 0, true);
      range.setUint32(12, Math.floor(lba / 2 ** 32), true);
      this.cmd.fill(0);
      const c = this.cmdView;
      c.setUint8(Sqe2.CDW0, NvmeIoOpcode.DATASET_MANAGEMENT);
      c.setUint32(Sqe2.NSID, this.nsid, true);
      c.setUint32(Sqe2.PRP1, buf.iova, true);
      c.setUint32(Sqe2.CDW10, 0, true);
      c.setUint32(Sqe2.CDW11, 1 << 2, true);
      const r = yield* this.waitCommand(q, req, this.cmd);
      if (r.ret !== 0) throw new BlockIoError(-r.ret);
    } finally {
      q.putReq(req);
    }
  }
  *coGetLength() {
    return this.nsze * 2 ** this.blkshift;
  }
  *coGetInfo() {
    return {
      extra: {
        serial: this.serial,
        model: this.model,
        namespace: String(this.nsid),
        "queue size": String(this.queueSize),
        "write cache": this.writeCacheSupported ? "present" : "absent"
      }
    };
  }
  // ---------------------------------------------------------------------------
  // Interrupts and recovery
  /** nvme_handle_event: clear the notifier, check the controller, reap every queue. */
  handleEvent() {
    this.irq.testAndClear();
    for (const q of this.queues) while (q.processCompletion()) ;
    const csts = this.ctrl.bar.read32(NvmeReg.CSTS);
    if ((csts & NvmeCsts.CFS) !== 0 && !this.recovering && !this.closed) this.startRecovery();
  }
  /** The controller may have died without a word: look at CSTS, as a host's timeout handler does. */
  watchdogTick() {
    if ((this.ctrl.bar.read32(NvmeReg.CSTS) & NvmeCsts.CFS) !== 0 && !this.recovering && !this.closed) this.startRecovery();
    if (this.pending > 0) this.watchdog.mod(qemuClockGetMs(QEMU_CLOCK_REALTIME3) + NVME_WATCHDOG_MS);
  }
  startRecovery() {
    this.recovering = true;
    coroutineEnter3(coroutineCreate3(function* (s) {
      yield* s.recover();
    }, this));
  }
  /**
   * Controller fatal status (§10.5): reset, set the admin queue up again,
   * recreate the I/O queue and resubmit what was in flight there. Admin
   * commands in flight are failed: they were part of a configuration that is gone.
   */
  *recover() {
    try {
      const admin = this.queues[0];
      const io = this.queues[1];
      this.disable();
      admin.failAll(admin.resetRings());
      const lost = io ? io.resetRings() : [];
      this.enable();
      if (io) {
        yield* this.addIoQueue();
        io.resubmit(lost);
      }
      this.recoveries++;
    } catch (err) {
      for (const q of this.queues) q.failAll(q.resetRings());
      this.closed = true;
      this.deviceDead = true;
      console.error(`nvme: controller recovery failed: ${err.message}`);
    } finally {
      this.recovering = false;
      this.recoveryWaiters.restartAll();
    }
  }
  /** nvme_close: delete the I/O queue, shut the controller down, release the device. */
  *coClose() {
    if (this.closed && this.queues.length === 0) return;
    const wasClosed = this.closed;
    this.closed = true;
    try {
      if (!wasClosed && this.queues[1] !== void 0 && !this.recovering) {
        yield* this.adminCmd((c) => {
          c.setUint8(Sqe2.CDW0, NvmeAdminOpcode.DELETE_IO_SQ);
          c.setUint32(Sqe2.CDW10, 1, true);
        });
        yield* this.adminCmd((c) => {
          c.setUint8(Sqe2.CDW0, NvmeAdminOpcode.DELETE_IO_CQ);
          c.setUint32(Sqe2.CDW10, 1, true);
        });
      }
      if (!this.deviceDead) {
        const bar = this.ctrl.bar;
        bar.write32(NvmeReg.CC, bar.read32(NvmeReg.CC) & ~(3 << NvmeCc.SHN_SHIFT) | 1 << NvmeCc.SHN_SHIFT);
        try {
          this.waitCsts((csts) => (csts & 3 << 2) === NvmeCsts.SHST_COMPLETE, "Timeout while waiting for device shutdown");
        } catch {
        }
      }
    } finally {
      this.watchdog.del();
      aioSetEventNotifier2(this.ctx, this.irq, null);
      this.irq.cleanup();
      try {
        this.ctrl.setIrqNotifier(null);
      } catch {
      }
      for (const q of this.queues.splice(0)) q.free();
      this.claim.release();
    }
  }
  /** Release the device after a failed open. */
  abandon() {
    this.closed = true;
    this.watchdog.del();
    aioSetEventNotifier2(this.ctx, this.irq, null);
    this.irq.cleanup();
    for (const q of this.queues.splice(0)) q.free();
    this.claim.release();
  }
};
var nvmeDriver = {
  spec: BLOCK_DRIVER_SPEC,
  formatName: "nvme",
  protocolName: "nvme",
  options: NVME_OPTIONS,
  completions: "threads",
  parseFilename: nvmeParseFilename,
  *open(options, flags) {
    const s = new NvmeBlockDriverState(nvmeDriver, options, flags);
    try {
      yield* s.init();
    } catch (err) {
      s.abandon();
      throw err;
    }
    return s;
  }
};

// src/drivers/nfs/nfs-driver.ts
init_esm_shims();

// src/drivers/nfs/uri.ts
init_esm_shims();
var NfsUriError = class extends InvalidFilenameError {
  name = "NfsUriError";
  constructor(message) {
    super(message, 22);
  }
};
var PARAMS = {
  uid: "user",
  gid: "group",
  "tcp-syn-cnt": "tcp-syn-count",
  "tcp-syncnt": "tcp-syn-count",
  "readahead-size": "readahead-size",
  readahead: "readahead-size",
  "page-cache-size": "page-cache-size",
  pagecache: "page-cache-size",
  debug: "debug"
};
function parseUint(s) {
  if (!/^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(s)) return void 0;
  const v = s.length > 1 && s[0] === "0" && s[1] !== "x" && s[1] !== "X" ? parseInt(s, 8) : Number(s);
  return Number.isSafeInteger(v) ? v : void 0;
}
function parseNfsUri(filename) {
  let url;
  try {
    url = new URL(filename);
  } catch {
    throw new NfsUriError("Invalid URI specified");
  }
  if (url.protocol !== "nfs:") throw new NfsUriError("URI scheme must be 'nfs'");
  if (url.hostname === "") throw new NfsUriError("missing hostname in URI");
  const path = decodeURIComponent(url.pathname);
  if (path === "") throw new NfsUriError("missing file path in URI");
  const opts = { "server.host": url.hostname.replace(/^\[|\]$/g, ""), "server.type": "inet", path };
  if (url.port !== "") opts["server.port"] = Number(url.port);
  const query = url.search.startsWith("?") ? url.search.slice(1) : "";
  if (query !== "") {
    for (const part of query.split("&")) {
      if (part === "") continue;
      const eq = part.indexOf("=");
      const name = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      if (name === "") throw new NfsUriError("Failed to parse NFS parameter");
      if (eq < 0) throw new NfsUriError(`Value for NFS parameter expected: ${name}`);
      const value = parseUint(decodeURIComponent(part.slice(eq + 1)));
      if (value === void 0) throw new NfsUriError(`Invalid value for NFS parameter: ${name}`);
      const key = PARAMS[name];
      if (key === void 0) throw new NfsUriError(`Unknown NFS parameter name: ${name}`);
      opts[key] = value;
    }
  }
  return opts;
}

// src/drivers/nfs/nfs-driver.ts
var MAX_READAHEAD = 1048576;
var MAX_PAGECACHE = 8388608 / 512;
var MAX_DEBUG = 2;
var NFS_OPTIONS = [
  { name: "server.host", type: "string", help: "Host of the NFS server", required: true },
  { name: "server.type", type: "string", help: "Address type", values: ["inet"] },
  { name: "server.port", type: "number", help: "NFS port (default: ask the portmapper)" },
  { name: "path", type: "string", help: "Path of the image on the host", required: true },
  { name: "user", type: "number", help: "UID value to use when talking to the server" },
  { name: "group", type: "number", help: "GID value to use when talking to the server" },
  { name: "tcp-syn-count", type: "number", help: "Number of SYNs to send during the session establish" },
  { name: "readahead-size", type: "number", help: "Set the readahead size in bytes" },
  { name: "page-cache-size", type: "number", help: "Set the pagecache size in bytes" },
  { name: "debug", type: "number", help: "Set the NFS debug level (max 2)" }
];
var tuning2 = {};
var nfsWarn = (message) => {
  process.stderr.write(`${message}
`);
};
function num(options, key) {
  const v = options[key];
  return typeof v === "number" ? v : typeof v === "string" && v !== "" ? Number(v) : void 0;
}
function nfsFilename(options) {
  const port = num(options, "server.port");
  const uid = num(options, "user");
  const gid = num(options, "group");
  const q = [uid ? `uid=${uid}` : "", gid ? `gid=${gid}` : ""].filter((x) => x !== "").join("&");
  return `nfs://${String(options["server.host"])}${port !== void 0 ? `:${port}` : ""}${String(options["path"])}${q ? `?${q}` : ""}`;
}
function fileOptions(options, flags, create) {
  const host = options["server.host"];
  if (typeof host !== "string" || host === "") throw new NfsOpenError("NFS server address missing", 22);
  const path = options["path"];
  if (typeof path !== "string" || path === "") throw new NfsOpenError("No path was specified", 22);
  const readahead = num(options, "readahead-size");
  if (readahead !== void 0) {
    if (flags?.cacheDirect) throw new NfsOpenError("Cannot enable NFS readahead if cache.direct = on", 22);
    if (readahead > MAX_READAHEAD) nfsWarn(`NFS Warning: Truncating NFS readahead size to ${MAX_READAHEAD}`);
  }
  const pagecache = num(options, "page-cache-size");
  if (pagecache !== void 0) {
    if (flags?.cacheDirect) throw new NfsOpenError("Cannot enable NFS pagecache if cache.direct = on", 22);
    if (pagecache > MAX_PAGECACHE) nfsWarn(`NFS Warning: Truncating NFS pagecache size to ${MAX_PAGECACHE} pages`);
  }
  const debug = num(options, "debug");
  if (debug !== void 0 && debug > MAX_DEBUG) nfsWarn(`NFS Warning: Limiting NFS debug level to ${MAX_DEBUG}`);
  const port = num(options, "server.port");
  const uid = num(options, "user");
  const gid = num(options, "group");
  return {
    host,
    path,
    create,
    ...port !== void 0 ? { port } : {},
    ...uid !== void 0 ? { uid } : {},
    ...gid !== void 0 ? { gid } : {},
    ...tuning2.timeoutMs !== void 0 ? { timeoutMs: tuning2.timeoutMs } : {},
    ...tuning2.maxInFlight !== void 0 ? { maxInFlight: tuning2.maxInFlight } : {},
    ...tuning2.maxTransfer !== void 0 ? { maxTransfer: tuning2.maxTransfer } : {},
    ...tuning2.maxUncommitted !== void 0 ? { maxUncommitted: tuning2.maxUncommitted } : {}
  };
}
function ioError(err) {
  if (err instanceof RpcError) return new BlockIoError(err.errno, void 0, { cause: err });
  if (err instanceof BlockError) return err;
  return new BlockIoError(5, void 0, { cause: err });
}
var NfsBlockDriverState = class {
  /** @internal Nodes are made by the driver's open. */
  constructor(driver, options, flags, file) {
    this.driver = driver;
    this.options = options;
    this.flags = flags;
    this.file = file;
    this.filename = nfsFilename(options);
  }
  driver;
  options;
  flags;
  file;
  requestAlignment = 1;
  growable = true;
  filename;
  closed = false;
  /** bdrv_co_preadv: rsize chunks in flight together; reads past EOF give zeroes. */
  *coPreadv(offset, bytes, qiov, _flags) {
    try {
      if (qiov.niov === 1) {
        yield* this.file.pread(offset, qiov.iov[0].subarray(0, bytes));
      } else {
        const buf = new Uint8Array(bytes);
        yield* this.file.pread(offset, buf);
        qiov.fromBuffer(buf);
      }
    } catch (err) {
      throw ioError(err);
    }
  }
  /** bdrv_co_pwritev: wsize chunks UNSTABLE; FUA adds a COMMIT. A short write is EIO. */
  *coPwritev(offset, bytes, qiov, flags) {
    try {
      const src = qiov.toBuffer();
      yield* this.file.pwrite(offset, bytes === src.length ? src : src.subarray(0, bytes));
      if (flags.fua) yield* this.file.flush();
    } catch (err) {
      throw ioError(err);
    }
  }
  /** bdrv_co_flush_to_disk: COMMIT and verify the write verifiers. */
  *coFlush() {
    try {
      yield* this.file.flush();
    } catch (err) {
      throw ioError(err);
    }
  }
  /** bdrv_co_getlength: the size rounded up to a sector, as QEMU's total_sectors. */
  *coGetLength() {
    return Math.ceil(this.file.size / 512) * 512;
  }
  /** bdrv_co_truncate: SETATTR size. */
  *coTruncate(offset, _exact, prealloc) {
    if (prealloc !== "off") throw new NotSupportedError(`Unsupported preallocation mode '${prealloc}'`);
    try {
      yield* this.file.truncate(offset);
    } catch (err) {
      throw new BlockError(`Failed to truncate file: ${err.message}`, err instanceof RpcError ? err.errno : 5, { cause: err });
    }
  }
  /** Facts for `info`: the bytes the file uses on the server (QEMU's get_allocated_file_size, from GETATTR), rsize and wsize. */
  *coGetInfo() {
    const extra = { "nfs rsize": String(this.file.rsize), "nfs wsize": String(this.file.wsize) };
    try {
      const { used } = yield* this.file.getattrSizes();
      return { allocatedSize: used, extra };
    } catch {
      return { extra };
    }
  }
  /** bdrv_close: COMMIT what is pending, UMNT, close the connection. */
  *coClose() {
    if (this.closed) return;
    this.closed = true;
    yield* this.file.close();
  }
};
function* openNfsFile(o) {
  const { NfsFile } = yield* coAwait(import("./nfs-file-Y44LFUS4.js"));
  return yield* NfsFile.open(o);
}
var nfsDriver = {
  spec: BLOCK_DRIVER_SPEC,
  formatName: "nfs",
  protocolName: "nfs",
  options: NFS_OPTIONS,
  completions: "event-loop",
  parseFilename: parseNfsUri,
  *open(options, flags) {
    const file = yield* openNfsFile(fileOptions(options, flags, false));
    return new NfsBlockDriverState(nfsDriver, options, flags, file);
  },
  /** bdrv_co_create: create the file (mode 0600) and set its size, as QEMU's nfs_file_create. */
  *create(options, size) {
    const file = yield* openNfsFile(fileOptions(options, null, true));
    try {
      yield* file.truncate(Math.ceil(size / 512) * 512);
    } finally {
      yield* file.close();
    }
  }
};

// src/drivers/nbd/nbd-driver.ts
init_esm_shims();

// src/nbd/constants.ts
init_esm_shims();
var NBD_INIT_MAGIC = 0x4e42444d41474943n;
var NBD_OPTS_MAGIC = 0x49484156454f5054n;
var NBD_CLIENT_MAGIC = 0x00420281861253n;
var NBD_REP_MAGIC = 0x3e889045565a9n;
var NBD_REQUEST_MAGIC = 627086611;
var NBD_SIMPLE_REPLY_MAGIC = 1732535960;
var NBD_STRUCTURED_REPLY_MAGIC = 1720595439;
var NBD_FLAG_FIXED_NEWSTYLE = 1 << 0;
var NBD_FLAG_NO_ZEROES = 1 << 1;
var NBD_FLAG_C_FIXED_NEWSTYLE = 1 << 0;
var NBD_FLAG_C_NO_ZEROES = 1 << 1;
var NBD_FLAG_HAS_FLAGS = 1 << 0;
var NBD_FLAG_READ_ONLY = 1 << 1;
var NBD_FLAG_SEND_FLUSH = 1 << 2;
var NBD_FLAG_SEND_FUA = 1 << 3;
var NBD_FLAG_ROTATIONAL = 1 << 4;
var NBD_FLAG_SEND_TRIM = 1 << 5;
var NBD_FLAG_SEND_WRITE_ZEROES = 1 << 6;
var NBD_FLAG_SEND_DF = 1 << 7;
var NBD_FLAG_CAN_MULTI_CONN = 1 << 8;
var NBD_FLAG_SEND_RESIZE = 1 << 9;
var NBD_FLAG_SEND_CACHE = 1 << 10;
var NBD_FLAG_SEND_FAST_ZERO = 1 << 11;
var NBD_OPT_EXPORT_NAME = 1;
var NBD_OPT_ABORT = 2;
var NBD_OPT_STARTTLS = 5;
var NBD_OPT_GO = 7;
var NBD_OPT_STRUCTURED_REPLY = 8;
var NBD_OPT_SET_META_CONTEXT = 10;
var NBD_REP_ACK = 1;
var NBD_REP_INFO = 3;
var NBD_REP_META_CONTEXT = 4;
var ERR = 2147483648;
var NBD_REP_FLAG_ERROR = ERR;
var NBD_REP_ERR_UNSUP = (ERR | 1) >>> 0;
var NBD_REP_ERR_POLICY = (ERR | 2) >>> 0;
var NBD_REP_ERR_INVALID = (ERR | 3) >>> 0;
var NBD_REP_ERR_PLATFORM = (ERR | 4) >>> 0;
var NBD_REP_ERR_TLS_REQD = (ERR | 5) >>> 0;
var NBD_REP_ERR_UNKNOWN = (ERR | 6) >>> 0;
var NBD_REP_ERR_SHUTDOWN = (ERR | 7) >>> 0;
var NBD_REP_ERR_BLOCK_SIZE_REQD = (ERR | 8) >>> 0;
var NBD_REP_ERR_TOO_BIG = (ERR | 9) >>> 0;
var NBD_INFO_EXPORT = 0;
var NBD_INFO_BLOCK_SIZE = 3;
var NBD_CMD_READ = 0;
var NBD_CMD_WRITE = 1;
var NBD_CMD_FLUSH = 3;
var NBD_CMD_WRITE_ZEROES = 6;
var NBD_CMD_BLOCK_STATUS = 7;
var NBD_CMD_FLAG_FUA = 1 << 0;
var NBD_CMD_FLAG_NO_HOLE = 1 << 1;
var NBD_CMD_FLAG_DF = 1 << 2;
var NBD_CMD_FLAG_REQ_ONE = 1 << 3;
var NBD_CMD_FLAG_FAST_ZERO = 1 << 4;
var NBD_REPLY_FLAG_DONE = 1 << 0;
var NBD_REPLY_TYPE_NONE = 0;
var NBD_REPLY_TYPE_OFFSET_DATA = 1;
var NBD_REPLY_TYPE_OFFSET_HOLE = 2;
var NBD_REPLY_TYPE_BLOCK_STATUS = 5;
var NBD_REPLY_TYPE_ERROR_BIT = 1 << 15;
var NBD_REPLY_TYPE_ERROR = NBD_REPLY_TYPE_ERROR_BIT | 1;
var NBD_REPLY_TYPE_ERROR_OFFSET = NBD_REPLY_TYPE_ERROR_BIT | 2;
var NBD_SUCCESS = 0;
var NBD_EPERM = 1;
var NBD_EIO = 5;
var NBD_ENOMEM = 12;
var NBD_EINVAL = 22;
var NBD_ENOSPC = 28;
var NBD_EOVERFLOW = 75;
var NBD_ENOTSUP = 95;
var NBD_ESHUTDOWN = 108;
var NBD_STATE_HOLE = 1 << 0;
var NBD_STATE_ZERO = 1 << 1;
var BASE_ALLOCATION = "base:allocation";
var NBD_DEFAULT_PORT = 10809;
var NBD_MAX_BUFFER_SIZE = 32 * 1024 * 1024;
var NBD_MAX_OPTION_SIZE = 64 * 1024;
var NBD_REQUEST_SIZE = 28;
var NBD_OPT_NAMES = {
  1: "export name",
  2: "abort",
  3: "list",
  4: "peek export",
  5: "starttls",
  6: "info",
  7: "go",
  8: "structured reply",
  9: "list meta context",
  10: "set meta context",
  11: "extended headers"
};

// src/nbd/tls-creds.ts
init_esm_shims();
import { X509Certificate } from "crypto";
import { readFileSync } from "fs";
import { join } from "path";
var NbdTlsError = class extends Error {
  name = "NbdTlsError";
};
var tlsObjects = /* @__PURE__ */ new Map();
function findTlsCreds(id, endpoint) {
  const c = tlsObjects.get(id);
  if (c === void 0) throw new NbdTlsError(`No TLS credentials with id '${id}'`);
  if (endpoint !== void 0 && c.endpoint !== endpoint) {
    throw new NbdTlsError(`Expecting TLS credentials with a ${endpoint} endpoint`);
  }
  return c;
}

// src/drivers/nbd/nbd-client.ts
init_esm_shims();
import { connect as netConnect } from "net";
import { connect as tlsConnect } from "tls";
import { coroutineCreate as coroutineCreate4, coroutineEnter as coroutineEnter4, coroutineSelf as coroutineSelf8, coroutineWake as coroutineWake3, coroutineYield as coroutineYield8 } from "@qco/core";

// src/nbd/codec.ts
init_esm_shims();
function encodeOptionRequest(opt2, data = EMPTY) {
  const b = Buffer.allocUnsafe(16 + data.length);
  b.writeBigUInt64BE(NBD_OPTS_MAGIC, 0);
  b.writeUInt32BE(opt2 >>> 0, 8);
  b.writeUInt32BE(data.length, 12);
  b.set(data, 16);
  return b;
}
var EMPTY = new Uint8Array(0);
function encodeString32(s) {
  const str2 = Buffer.from(s, "utf8");
  const b = Buffer.allocUnsafe(4 + str2.length);
  b.writeUInt32BE(str2.length, 0);
  b.set(str2, 4);
  return b;
}
function encodeGoPayload(name, infos) {
  const n = encodeString32(name);
  const b = Buffer.allocUnsafe(n.length + 2 + 2 * infos.length);
  b.set(n, 0);
  b.writeUInt16BE(infos.length, n.length);
  infos.forEach((t, i) => b.writeUInt16BE(t, n.length + 2 + 2 * i));
  return b;
}
function encodeMetaContextPayload(exportName2, queries) {
  const parts = [encodeString32(exportName2), u32(queries.length), ...queries.map(encodeString32)];
  return Buffer.concat(parts);
}
function u32(v) {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}
function encodeRequest(r) {
  const b = Buffer.allocUnsafe(NBD_REQUEST_SIZE);
  b.writeUInt32BE(NBD_REQUEST_MAGIC, 0);
  b.writeUInt16BE(r.flags, 4);
  b.writeUInt16BE(r.type, 6);
  b.writeBigUInt64BE(r.cookie, 8);
  b.writeBigUInt64BE(BigInt(r.offset), 16);
  b.writeUInt32BE(r.length >>> 0, 24);
  return b;
}

// src/nbd/errno.ts
init_esm_shims();
function errnoFromNbdError(err) {
  switch (err) {
    case NBD_SUCCESS:
    case NBD_EPERM:
    case NBD_EIO:
    case NBD_ENOMEM:
    case NBD_ENOSPC:
    case NBD_EOVERFLOW:
    case NBD_ENOTSUP:
    case NBD_ESHUTDOWN:
      return err;
    default:
      return NBD_EINVAL;
  }
}

// src/nbd/stream.ts
init_esm_shims();
import { coroutineSelf as coroutineSelf7, coroutineWake as coroutineWake2, coroutineYield as coroutineYield7 } from "@qco/core";
var NbdStreamClosedError = class extends Error {
  name = "NbdStreamClosedError";
};
var DEFAULT_HIGH_WATER = 4 * 1024 * 1024;
var NbdStream = class {
  constructor(socket, highWater = DEFAULT_HIGH_WATER) {
    this.socket = socket;
    this.highWater = highWater;
    this.attach(socket);
  }
  socket;
  highWater;
  chunks = [];
  head = 0;
  buffered = 0;
  waiter = null;
  want = 0;
  paused = false;
  drainWaiters = [];
  closedErr = null;
  onData = (chunk) => this.push(chunk);
  onClose = () => this.fail(new NbdStreamClosedError("Connection closed"));
  onError = (err) => this.fail(err);
  onDrain = () => this.wakeDrain();
  /** Whether the connection is gone. */
  get closed() {
    return this.closedErr !== null;
  }
  /** Bytes received and not yet read. */
  get pending() {
    return this.buffered;
  }
  attach(s) {
    this.socket = s;
    s.on("data", this.onData);
    s.on("close", this.onClose);
    s.on("end", this.onClose);
    s.on("error", this.onError);
    s.on("drain", this.onDrain);
  }
  /** Stop listening to the socket and give it back (for a TLS upgrade); queued bytes are dropped. */
  detach() {
    const s = this.socket;
    s.off("data", this.onData);
    s.off("close", this.onClose);
    s.off("end", this.onClose);
    s.off("error", this.onError);
    s.off("drain", this.onDrain);
    if (this.paused) s.resume();
    this.paused = false;
    this.chunks = [];
    this.head = 0;
    this.buffered = 0;
    return s;
  }
  /** Listen to another socket from now on (the TLS socket wrapping the old one). */
  reattach(s) {
    this.attach(s);
  }
  push(chunk) {
    if (this.closedErr !== null) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered > Math.max(this.highWater, this.want) && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    if (this.waiter !== null && this.buffered >= this.want) {
      const w = this.waiter;
      this.waiter = null;
      coroutineWake2(w);
    }
  }
  fail(err) {
    if (this.closedErr !== null) return;
    this.closedErr = err instanceof NbdStreamClosedError ? err : new NbdStreamClosedError(err.message, { cause: err });
    const w = this.waiter;
    this.waiter = null;
    if (w !== null) coroutineWake2(w);
    this.wakeDrain();
  }
  wakeDrain() {
    const list = this.drainWaiters;
    if (list.length === 0) return;
    this.drainWaiters = [];
    for (const co of list) coroutineWake2(co);
  }
  /** Yield until `n` bytes are queued (or the stream closed: throws). */
  *waitFor(n) {
    while (this.buffered < n) {
      if (this.closedErr !== null) throw this.closedErr;
      this.want = n;
      if (this.paused) {
        this.paused = false;
        this.socket.resume();
      }
      this.waiter = coroutineSelf7();
      yield* coroutineYield7();
    }
    this.want = 0;
  }
  /** Read exactly `n` bytes. */
  *read(n) {
    if (this.buffered < n) yield* this.waitFor(n);
    const first = this.chunks[0];
    if (first !== void 0 && first.length - this.head >= n) {
      const out2 = first.subarray(this.head, this.head + n);
      this.consume(n);
      return out2;
    }
    const out = Buffer.allocUnsafe(n);
    this.copyOut(out, 0, n);
    return out;
  }
  /** Read exactly `dst.length` bytes into `dst`. Long reads are taken in pieces so the queue never holds them whole. */
  *readInto(dst) {
    let done = 0;
    while (done < dst.length) {
      if (this.buffered === 0) yield* this.waitFor(1);
      const n = Math.min(this.buffered, dst.length - done);
      this.copyOut(dst, done, n);
      done += n;
    }
  }
  /** Read and drop `n` bytes. */
  *skip(n) {
    while (n > 0) {
      if (this.buffered === 0) yield* this.waitFor(1);
      const k = Math.min(this.buffered, n);
      this.consume(k);
      n -= k;
    }
  }
  copyOut(dst, at, n) {
    let off = at;
    let left = n;
    while (left > 0) {
      const c = this.chunks[0];
      const k = Math.min(c.length - this.head, left);
      dst.set(k === c.length && this.head === 0 ? c : c.subarray(this.head, this.head + k), off);
      off += k;
      left -= k;
      this.consume(k);
    }
  }
  consume(n) {
    this.buffered -= n;
    while (n > 0) {
      const c = this.chunks[0];
      const rest = c.length - this.head;
      if (n < rest) {
        this.head += n;
        break;
      }
      n -= rest;
      this.chunks.shift();
      this.head = 0;
    }
    if (this.paused && this.buffered <= this.highWater) {
      this.paused = false;
      this.socket.resume();
    }
  }
  /** Queue bytes for sending; false when the socket's buffer is full (then `drain`). */
  write(buf) {
    if (this.closedErr !== null) return false;
    return this.socket.write(buf);
  }
  /** Yield until the socket's send buffer has room again (returns at once when it has; throws once closed). */
  *drain() {
    while (this.socket.writableNeedDrain) {
      if (this.closedErr !== null) throw this.closedErr;
      this.drainWaiters.push(coroutineSelf7());
      yield* coroutineYield7();
    }
    if (this.closedErr !== null) throw this.closedErr;
  }
  /** Cork the socket (several writes leave in one segment). */
  cork() {
    this.socket.cork?.();
  }
  /** Uncork. */
  uncork() {
    this.socket.uncork?.();
  }
  /** Close after queued writes went out. */
  end() {
    this.socket.end();
  }
  /** Drop the connection now. */
  destroy() {
    this.socket.destroy();
    this.fail(new NbdStreamClosedError("Connection closed"));
  }
};

// src/drivers/nbd/nbd-client-handshake.ts
init_esm_shims();

// src/drivers/nbd/nbd-errors.ts
init_esm_shims();
var NbdClientError = class extends BlockError {
  name = "NbdClientError";
};
function optionErrorMessage(opt2, type, serverMessage) {
  const o = `${opt2} (${NBD_OPT_NAMES[opt2] ?? "unknown"})`;
  let msg;
  switch (type) {
    case NBD_REP_ERR_UNSUP:
      msg = `Unsupported option type ${o}`;
      break;
    case NBD_REP_ERR_POLICY:
      msg = `Denied by server for option ${o}`;
      break;
    case NBD_REP_ERR_INVALID:
      msg = `Server rejected invalid option ${o}`;
      break;
    case NBD_REP_ERR_PLATFORM:
      msg = `Server lacks support for option ${o}`;
      break;
    case NBD_REP_ERR_TLS_REQD:
      msg = `TLS negotiation required before option ${o}`;
      break;
    case NBD_REP_ERR_UNKNOWN:
      msg = "Requested export not available";
      break;
    case NBD_REP_ERR_SHUTDOWN:
      msg = `Server shutting down before option ${o}`;
      break;
    case NBD_REP_ERR_BLOCK_SIZE_REQD:
      msg = `Server requires INFO_BLOCK_SIZE for option ${o}`;
      break;
    default:
      msg = `Unknown error code when asking for option ${o}`;
  }
  if (serverMessage !== "") msg += `
server reported: ${serverMessage}`;
  if (type === NBD_REP_ERR_TLS_REQD) msg += "\nDid you forget a valid tls-creds?";
  return msg;
}

// src/drivers/nbd/nbd-client-handshake.ts
function* readReply(stream, opt2) {
  const hdr = yield* stream.read(20);
  if (hdr.readBigUInt64BE(0) !== NBD_REP_MAGIC) throw new NbdClientError("Unexpected option reply magic");
  const ropt = hdr.readUInt32BE(8);
  if (ropt !== opt2) throw new NbdClientError(`Unexpected option type ${ropt}, expected ${opt2}`);
  const type = hdr.readUInt32BE(12);
  const len = hdr.readUInt32BE(16);
  if (len > NBD_MAX_OPTION_SIZE) throw new NbdClientError(`server's reply of ${len} bytes is too long`);
  const data = len === 0 ? Buffer.alloc(0) : Buffer.from(yield* stream.read(len));
  return { type, data };
}
function replyError(opt2, r) {
  return new NbdClientError(optionErrorMessage(opt2, r.type, r.data.toString("utf8")), 22);
}
function* clientHandshake(stream, o) {
  const hello = yield* stream.read(16);
  if (hello.readBigUInt64BE(0) !== NBD_INIT_MAGIC) throw new NbdClientError("Invalid magic received");
  const magic = hello.readBigUInt64BE(8);
  if (magic === NBD_CLIENT_MAGIC) throw new NbdClientError("Server does not support non-zero-length export names (oldstyle negotiation)");
  if (magic !== NBD_OPTS_MAGIC) throw new NbdClientError("Bad server magic received");
  const sflags = (yield* stream.read(2)).readUInt16BE(0);
  const fixed = (sflags & NBD_FLAG_FIXED_NEWSTYLE) !== 0;
  const noZeroes = (sflags & NBD_FLAG_NO_ZEROES) !== 0;
  const cflags = Buffer.allocUnsafe(4);
  cflags.writeUInt32BE((fixed ? NBD_FLAG_C_FIXED_NEWSTYLE : 0) | (noZeroes ? NBD_FLAG_C_NO_ZEROES : 0), 0);
  stream.write(cflags);
  if (o.starttls !== void 0) {
    if (!fixed) throw new NbdClientError("Server does not support STARTTLS");
    stream.write(encodeOptionRequest(NBD_OPT_STARTTLS));
    const r = yield* readReply(stream, NBD_OPT_STARTTLS);
    if (r.type !== NBD_REP_ACK) {
      if (r.type & NBD_REP_FLAG_ERROR) throw replyError(NBD_OPT_STARTTLS, r);
      throw new NbdClientError(`Server rejected request to start TLS ${r.type}`);
    }
    yield* o.starttls(stream);
  }
  if (!fixed) return yield* exportName(stream, o.exportName, false, noZeroes);
  let structured = false;
  stream.write(encodeOptionRequest(NBD_OPT_STRUCTURED_REPLY));
  {
    const r = yield* readReply(stream, NBD_OPT_STRUCTURED_REPLY);
    if (r.type === NBD_REP_ACK) structured = true;
    else if (r.type !== NBD_REP_ERR_UNSUP) throw replyError(NBD_OPT_STRUCTURED_REPLY, r);
  }
  let allocationContext = null;
  if (structured) {
    stream.write(encodeOptionRequest(NBD_OPT_SET_META_CONTEXT, encodeMetaContextPayload(o.exportName, [BASE_ALLOCATION])));
    for (; ; ) {
      const r = yield* readReply(stream, NBD_OPT_SET_META_CONTEXT);
      if (r.type === NBD_REP_ACK) break;
      if (r.type === NBD_REP_META_CONTEXT) {
        if (r.data.length < 4) throw new NbdClientError("Invalid meta context reply");
        if (r.data.toString("utf8", 4) === BASE_ALLOCATION) allocationContext = r.data.readUInt32BE(0);
        continue;
      }
      break;
    }
  }
  stream.write(encodeOptionRequest(NBD_OPT_GO, encodeGoPayload(o.exportName, [NBD_INFO_BLOCK_SIZE])));
  let size = -1;
  let flags = 0;
  let minBlock = 1;
  let preferredBlock = 4096;
  let maxBlock = NBD_MAX_BUFFER_SIZE;
  for (; ; ) {
    const r = yield* readReply(stream, NBD_OPT_GO);
    if (r.type === NBD_REP_ACK) break;
    if (r.type === NBD_REP_ERR_UNSUP) return yield* exportName(stream, o.exportName, structured, noZeroes, allocationContext);
    if (r.type & NBD_REP_FLAG_ERROR) throw replyError(NBD_OPT_GO, r);
    if (r.type !== NBD_REP_INFO) throw new NbdClientError(`Unexpected reply type ${r.type} to option ${NBD_OPT_GO} (go)`);
    if (r.data.length < 2) throw new NbdClientError("Invalid NBD_REP_INFO reply");
    const info = r.data.readUInt16BE(0);
    if (info === NBD_INFO_EXPORT) {
      if (r.data.length !== 12) throw new NbdClientError(`Incorrect info length ${r.data.length} for NBD_INFO_EXPORT`);
      size = Number(r.data.readBigUInt64BE(2));
      flags = r.data.readUInt16BE(10);
    } else if (info === NBD_INFO_BLOCK_SIZE) {
      if (r.data.length !== 14) throw new NbdClientError(`Incorrect info length ${r.data.length} for NBD_INFO_BLOCK_SIZE`);
      minBlock = r.data.readUInt32BE(2);
      preferredBlock = r.data.readUInt32BE(6);
      maxBlock = r.data.readUInt32BE(10);
      if (minBlock === 0 || (minBlock & minBlock - 1) !== 0 || minBlock > 65536) {
        throw new NbdClientError(`server minimum block size ${minBlock} is not a power of two`);
      }
    }
  }
  if (size < 0) throw new NbdClientError("Server did not send NBD_INFO_EXPORT");
  if (!Number.isSafeInteger(size)) throw new NbdClientError(`export size ${size} is too large`);
  return { size, flags, structured, allocationContext, minBlock, preferredBlock, maxBlock: Math.min(maxBlock, NBD_MAX_BUFFER_SIZE) };
}
function* exportName(stream, name, structured, noZeroes, allocationContext = null) {
  stream.write(encodeOptionRequest(NBD_OPT_EXPORT_NAME, Buffer.from(name, "utf8")));
  const tail = yield* stream.read(noZeroes ? 10 : 134);
  const size = Number(tail.readBigUInt64BE(0));
  return {
    size,
    flags: tail.readUInt16BE(8),
    structured,
    allocationContext,
    minBlock: 1,
    preferredBlock: 4096,
    maxBlock: NBD_MAX_BUFFER_SIZE
  };
}

// src/drivers/nbd/nbd-client.ts
var sleep = (ms) => coWaitFor((done) => setTimeout(() => done(null), ms).unref());
var NbdClient = class {
  constructor(opts) {
    this.opts = opts;
  }
  opts;
  /** What the server said about the export (after connect). */
  info;
  stream = null;
  state = "reconnecting";
  cookie = 1n;
  pending = /* @__PURE__ */ new Map();
  slotWaiters = [];
  lostAt = 0;
  delayTimer = null;
  failFast = false;
  reconnecting = false;
  /** Successful connections (the first one included). */
  connects = 0;
  /** Requests waiting for a reply. */
  get inFlight() {
    return this.pending.size;
  }
  /** Connect and negotiate (coroutine_fn). */
  *connect() {
    const deadline = Date.now() + (this.opts.openTimeoutMs ?? 0);
    for (let backoff = 50; ; backoff = Math.min(backoff * 2, 1e3)) {
      try {
        yield* this.establish(true);
        return;
      } catch (e) {
        if (this.state === "closed" || Date.now() + backoff > deadline || e instanceof NbdClientError) {
          this.state = "closed";
          throw e;
        }
        yield* sleep(backoff);
      }
    }
  }
  *openSocket() {
    const a = this.opts.server;
    return yield* coWaitFor((done) => {
      const s = a.type === "unix" ? netConnect({ path: a.path }) : netConnect({ host: a.host, port: a.port, noDelay: true });
      const onErr = (err) => {
        done(new BlockError(`Failed to connect to '${a.type === "unix" ? a.path : `${a.host}:${a.port}`}': ${err.message.replace(/^connect /, "")}`, errnoCode(err.code)));
      };
      s.once("error", onErr);
      s.once("connect", () => {
        s.off("error", onErr);
        done(null, s);
      });
    });
  }
  *establish(first) {
    const sock = yield* this.openSocket();
    const stream = new NbdStream(sock);
    try {
      const creds = this.opts.tlsCreds;
      const info = yield* clientHandshake(stream, {
        exportName: this.opts.exportName,
        ...creds !== void 0 ? { starttls: (st) => this.starttls(st, creds) } : {}
      });
      if (!first && info.size !== this.info.size) throw new NbdClientError("Export size changed across reconnection");
      this.info = info;
    } catch (e) {
      if (e instanceof NbdClientError && !stream.closed) {
        stream.write(encodeOptionRequest(NBD_OPT_ABORT));
        stream.end();
      } else {
        stream.destroy();
      }
      throw e;
    }
    this.stream = stream;
    this.state = "connected";
    this.failFast = false;
    this.connects++;
    if (this.delayTimer !== null) clearTimeout(this.delayTimer);
    this.delayTimer = null;
    coroutineEnter4(coroutineCreate4(replyEntry, { c: this, stream }));
    for (const r of this.pending.values()) if (!r.sent) this.transmit(r);
  }
  *starttls(stream, creds) {
    const raw = stream.detach();
    const host = this.opts.tlsHostname ?? (this.opts.server.type === "inet" ? this.opts.server.host : "localhost");
    const tls = tlsConnect({
      socket: raw,
      ...creds.secureContextOptions(),
      // The certificate is checked against `host` (IP literals against IP SANs); SNI only for names.
      host,
      .../^[0-9.:]+$/.test(host) ? {} : { servername: host },
      rejectUnauthorized: creds.verifyPeer,
      ...creds.verifyPeer ? {} : { checkServerIdentity: () => void 0 }
    });
    yield* coWaitFor((done) => {
      const onErr = (err) => done(new NbdClientError(`TLS handshake failed: ${err.message}`, 5));
      tls.once("error", onErr);
      tls.once("secureConnect", () => {
        tls.off("error", onErr);
        done(null);
      });
    });
    stream.reattach(tls);
  }
  /** Send a request and wait for its reply (coroutine_fn). Throws BlockIoError with the errno the server (or the connection) gave. */
  *request(type, flags, offset, length, payload, dst) {
    while (this.pending.size >= (this.opts.maxInFlight ?? 64) && this.state !== "closed") {
      this.slotWaiters.push(coroutineSelf8());
      yield* coroutineYield8();
    }
    this.checkUsable();
    const r = {
      type,
      flags,
      offset,
      length,
      payload,
      dst,
      cookie: this.cookie++,
      done: false,
      sent: false,
      errno: 0,
      message: "",
      extents: null,
      waiter: null
    };
    this.pending.set(r.cookie, r);
    if (this.state === "connected") this.transmit(r);
    try {
      if (this.state === "connected" && this.stream.socket.writableNeedDrain) yield* this.stream.drain();
    } catch {
    }
    while (!r.done) {
      r.waiter = coroutineSelf8();
      yield* coroutineYield8();
    }
    if (r.errno !== 0) throw new BlockIoError(r.errno, r.message !== "" ? r.message : void 0);
    return { extents: r.extents };
  }
  checkUsable() {
    if (this.state === "closed") throw new BlockIoError(Errno.EIO, "NBD connection closed");
    if (this.state === "failed" || this.failFast) throw new BlockIoError(Errno.EIO);
  }
  transmit(r) {
    const s = this.stream;
    const hdr = encodeRequest({ flags: r.flags, type: r.type, cookie: r.cookie, offset: r.offset, length: r.length });
    r.sent = true;
    if (r.payload !== null) {
      s.cork();
      s.write(hdr);
      s.write(r.payload);
      s.uncork();
    } else {
      s.write(hdr);
    }
  }
  finish(r, errno, message = "") {
    if (r.done) return;
    r.done = true;
    if (errno !== 0 && r.errno === 0) {
      r.errno = errno;
      r.message = message;
    }
    this.pending.delete(r.cookie);
    if (r.waiter !== null) {
      const w = r.waiter;
      r.waiter = null;
      coroutineWake3(w);
    }
    const next = this.slotWaiters.shift();
    if (next !== void 0) coroutineWake3(next);
  }
  /** @internal The reply loop of one connection (coroutine_fn). */
  *receive(stream) {
    try {
      for (; ; ) {
        const hdr = yield* stream.read(4);
        const magic = hdr.readUInt32BE(0);
        if (magic === NBD_SIMPLE_REPLY_MAGIC) {
          const rest = yield* stream.read(12);
          const err = rest.readUInt32BE(0);
          const r = this.lookup(rest.readBigUInt64BE(4));
          if (err === 0 && r.type === NBD_CMD_READ) {
            if (this.info.structured) throw new NbdClientError("server sent a simple reply to a READ after structured replies were negotiated");
            yield* stream.readInto(r.dst);
          }
          this.finish(r, errnoFromNbdError(err));
        } else if (magic === NBD_STRUCTURED_REPLY_MAGIC) {
          yield* this.chunk(stream, yield* stream.read(16));
        } else {
          throw new NbdClientError(`invalid reply magic 0x${magic.toString(16)}`);
        }
      }
    } catch (e) {
      if (this.stream === stream) this.lost(e);
      stream.destroy();
    }
  }
  lookup(cookie) {
    const r = this.pending.get(cookie);
    if (r === void 0 || !r.sent) throw new NbdClientError(`server sent a reply for unknown cookie ${cookie}`);
    return r;
  }
  *chunk(stream, h) {
    const flags = h.readUInt16BE(0);
    const type = h.readUInt16BE(2);
    const r = this.lookup(h.readBigUInt64BE(4));
    const len = h.readUInt32BE(12);
    const bad2 = (what) => {
      throw new NbdClientError(`Protocol error: invalid payload for ${what}`);
    };
    if (type === NBD_REPLY_TYPE_NONE) {
      if (len !== 0 || !(flags & NBD_REPLY_FLAG_DONE)) bad2("NBD_REPLY_TYPE_NONE");
    } else if (type === NBD_REPLY_TYPE_OFFSET_DATA) {
      if (r.type !== NBD_CMD_READ || len < 9 || len - 8 > r.length) bad2("NBD_REPLY_TYPE_OFFSET_DATA");
      const off = Number((yield* stream.read(8)).readBigUInt64BE(0));
      const n = len - 8;
      if (off < r.offset || off + n > r.offset + r.length) bad2("NBD_REPLY_TYPE_OFFSET_DATA");
      yield* stream.readInto(r.dst.subarray(off - r.offset, off - r.offset + n));
    } else if (type === NBD_REPLY_TYPE_OFFSET_HOLE) {
      if (r.type !== NBD_CMD_READ || len !== 12) bad2("NBD_REPLY_TYPE_OFFSET_HOLE");
      const p = yield* stream.read(12);
      const off = Number(p.readBigUInt64BE(0));
      const n = p.readUInt32BE(8);
      if (n === 0 || off < r.offset || off + n > r.offset + r.length) bad2("NBD_REPLY_TYPE_OFFSET_HOLE");
      r.dst.fill(0, off - r.offset, off - r.offset + n);
    } else if (type === NBD_REPLY_TYPE_BLOCK_STATUS) {
      if (r.type !== NBD_CMD_BLOCK_STATUS || len < 12 || (len - 4) % 8 !== 0 || len > 4 + 8 * 1024) bad2("NBD_REPLY_TYPE_BLOCK_STATUS");
      const p = yield* stream.read(len);
      if (p.readUInt32BE(0) === this.info.allocationContext) {
        const ext = [];
        for (let at = 4; at < len; at += 8) ext.push([p.readUInt32BE(at), p.readUInt32BE(at + 4)]);
        if (ext.some(([n]) => n === 0)) bad2("NBD_REPLY_TYPE_BLOCK_STATUS");
        r.extents = ext;
      }
    } else if (type & NBD_REPLY_TYPE_ERROR_BIT) {
      if (len < 6 || len > 6 + 4096 + 8) bad2("error chunk");
      const p = yield* stream.read(len);
      const err = p.readUInt32BE(0);
      const mlen = p.readUInt16BE(4);
      if (err === 0 || mlen > len - 6 || type === NBD_REPLY_TYPE_ERROR_OFFSET && mlen + 14 > len) bad2("error chunk");
      if (r.errno === 0) {
        r.errno = errnoFromNbdError(err);
        r.message = p.toString("utf8", 6, 6 + mlen);
      }
    } else {
      throw new NbdClientError(`server sent unexpected chunk type ${type}`);
    }
    if (flags & NBD_REPLY_FLAG_DONE) {
      if (r.type === NBD_CMD_BLOCK_STATUS && r.errno === 0 && r.extents === null) bad2("NBD_CMD_BLOCK_STATUS (no extents)");
      this.finish(r, r.errno, r.message);
    }
  }
  /** The connection is gone: keep requests for a reconnection, or fail them. */
  lost(_why) {
    this.stream = null;
    if (this.state === "closed") return;
    const delay = this.opts.reconnectDelayMs ?? 0;
    if (delay <= 0) {
      this.state = "failed";
      for (const r of [...this.pending.values()]) this.finish(r, Errno.EIO);
      return;
    }
    this.state = "reconnecting";
    this.lostAt = Date.now();
    for (const r of this.pending.values()) r.sent = false;
    this.delayTimer = setTimeout(() => {
      this.delayTimer = null;
      if (this.state !== "reconnecting") return;
      this.failFast = true;
      for (const r of [...this.pending.values()]) this.finish(r, Errno.EIO);
    }, delay);
    this.delayTimer.unref();
    if (!this.reconnecting) coroutineEnter4(coroutineCreate4(reconnectEntry, this));
  }
  /** @internal Reconnect until it works or the client closes (coroutine_fn). */
  *reconnectLoop() {
    this.reconnecting = true;
    try {
      for (let backoff = 50; this.state === "reconnecting"; backoff = Math.min(backoff * 2, 1e3)) {
        try {
          yield* this.establish(false);
          return;
        } catch {
          if (this.state === "closed") return;
          yield* sleep(backoff);
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }
  /** Milliseconds since the connection was lost (0 when connected). */
  get disconnectedMs() {
    return this.state === "reconnecting" ? Date.now() - this.lostAt : 0;
  }
  /** Drop the TCP connection as a network failure would (fault injection in tests). */
  breakConnection() {
    this.stream?.destroy();
  }
  /** Send NBD_CMD_DISC and close; requests still waiting fail. */
  close() {
    if (this.state === "closed") return;
    const s = this.stream;
    this.state = "closed";
    this.stream = null;
    if (this.delayTimer !== null) clearTimeout(this.delayTimer);
    if (s !== null && !s.closed) {
      s.write(encodeRequest({ flags: 0, type: 2, cookie: 0n, offset: 0, length: 0 }));
      s.end();
    }
    for (const r of [...this.pending.values()]) this.finish(r, Errno.EIO, "NBD connection closed");
    for (const w of this.slotWaiters.splice(0)) coroutineWake3(w);
  }
};
function errnoCode(code) {
  switch (code) {
    case "ECONNREFUSED":
      return Errno.ECONNREFUSED;
    case "ENOENT":
      return Errno.ENOENT;
    case "ETIMEDOUT":
      return Errno.ETIMEDOUT;
    case "EHOSTUNREACH":
      return Errno.EHOSTUNREACH;
    default:
      return Errno.EIO;
  }
}
function* replyEntry(o) {
  yield* o.c.receive(o.stream);
}
function* reconnectEntry(c) {
  yield* c.reconnectLoop();
}

// src/drivers/nbd/nbd-uri.ts
init_esm_shims();
function bad(message) {
  throw new InvalidFilenameError(message, 22);
}
function parseUri(filename) {
  let url;
  try {
    url = new URL(filename);
  } catch {
    return bad("No valid URL specified");
  }
  const scheme = url.protocol.slice(0, -1);
  let unix;
  if (scheme === "nbd" || scheme === "nbd+tcp") unix = false;
  else if (scheme === "nbd+unix") unix = true;
  else return bad("No valid URL specified");
  const path = decodeURIComponent(url.pathname);
  const exportName2 = path.startsWith("/") ? path.slice(1) : path;
  const opts = {};
  if (exportName2 !== "") opts["export"] = exportName2;
  const params = [...url.searchParams.entries()];
  if (unix) {
    if (url.hostname !== "" || url.port !== "") return bad("No valid URL specified");
    if (params.length !== 1 || params[0]?.[0] !== "socket") return bad("No valid URL specified");
    opts["server.type"] = "unix";
    opts["server.path"] = params[0][1];
  } else {
    if (params.length !== 0) return bad("No valid URL specified");
    if (url.hostname === "") return bad("No valid URL specified");
    opts["server.type"] = "inet";
    opts["server.host"] = url.hostname.replace(/^\[|\]$/g, "");
    opts["server.port"] = url.port !== "" ? Number(url.port) : NBD_DEFAULT_PORT;
  }
  return opts;
}
function parseLegacy(filename) {
  const rest = filename.slice("nbd:".length);
  const opts = {};
  let spec = rest;
  const ex = rest.indexOf(":exportname=");
  if (ex >= 0) {
    opts["export"] = rest.slice(ex + ":exportname=".length);
    spec = rest.slice(0, ex);
  }
  if (spec.startsWith("unix:")) {
    opts["server.type"] = "unix";
    opts["server.path"] = spec.slice("unix:".length);
    return opts;
  }
  const colon = spec.lastIndexOf(":");
  const host = colon >= 0 ? spec.slice(0, colon) : spec;
  const port = colon >= 0 ? spec.slice(colon + 1) : String(NBD_DEFAULT_PORT);
  if (host === "" || !/^[0-9]+$/.test(port)) return bad("No valid URL specified");
  opts["server.type"] = "inet";
  opts["server.host"] = host.replace(/^\[|\]$/g, "");
  opts["server.port"] = Number(port);
  return opts;
}
function parseNbdFilename(filename) {
  return filename.includes("://") ? parseUri(filename) : filename.startsWith("nbd:") ? parseLegacy(filename) : bad("No valid URL specified");
}

// src/drivers/nbd/nbd-driver.ts
var NBD_OPTIONS = [
  { name: "server.type", type: "string", help: "Address type", values: ["inet", "unix"] },
  { name: "server.host", type: "string", help: "Host of the NBD server" },
  { name: "server.port", type: "number", help: "Port of the NBD server" },
  { name: "server.path", type: "string", help: "Unix socket of the NBD server" },
  { name: "export", type: "string", help: "Name of the NBD export to open" },
  { name: "tls-creds", type: "string", help: "ID of the TLS credentials to use" },
  { name: "tls-hostname", type: "string", help: "Override hostname for validating TLS x509 certificate" },
  { name: "reconnect-delay", type: "number", help: "Seconds requests wait for a reconnection before failing", default: 0 },
  { name: "open-timeout", type: "number", help: "Seconds the first connection may take, retrying", default: 0 },
  { name: "multi-conn", type: "number", help: "Connections to use where the server offers multi-conn (1-16)", default: 1 }
];
var MAX_MULTI_CONN = 16;
function address(options) {
  const path = options["server.path"];
  const host = options["server.host"];
  const type = options["server.type"] ?? (path !== void 0 ? "unix" : "inet");
  if (type === "unix") {
    if (typeof path !== "string" || path === "") throw new BlockError("Parameter 'server.path' is missing", Errno.EINVAL);
    return { type: "unix", path };
  }
  if (typeof host !== "string" || host === "") throw new BlockError("Parameter 'server.host' is missing", Errno.EINVAL);
  const port = options["server.port"];
  return { type: "inet", host, port: typeof port === "number" ? port : NBD_DEFAULT_PORT };
}
function nbdFilename(a, exportName2) {
  const ex = exportName2 === "" ? "" : `/${exportName2}`;
  if (a.type === "unix") return `nbd+unix://${ex}?socket=${a.path}`;
  const host = a.host.includes(":") ? `[${a.host}]` : a.host;
  return `nbd://${host}:${a.port}${ex}`;
}
var NbdBlockDriverState = class {
  constructor(driver, options, flags, clients) {
    this.driver = driver;
    this.options = options;
    this.flags = flags;
    this.clients = clients;
    const c = clients[0];
    this.filename = nbdFilename(c.opts.server, c.opts.exportName);
    this.requestAlignment = c.info.minBlock;
    this.maxTransfer = Math.max(c.info.minBlock, c.info.maxBlock - c.info.maxBlock % c.info.minBlock);
    if (c.info.flags & NBD_FLAG_SEND_WRITE_ZEROES) this.coPwriteZeroes = (o, b, f) => this.writeZeroes(o, b, f);
  }
  driver;
  options;
  flags;
  clients;
  filename;
  requestAlignment;
  maxTransfer;
  growable = false;
  /** Present only when the server can write zeroes. */
  coPwriteZeroes;
  closed = false;
  get info() {
    return this.clients[0].info;
  }
  /** The connection with the fewest requests out. */
  pick() {
    let best = this.clients[0];
    for (const c of this.clients) if (c.inFlight < best.inFlight) best = c;
    return best;
  }
  /** bdrv_co_preadv */
  *coPreadv(offset, bytes, qiov, _flags) {
    const direct = qiov.niov === 1 && qiov.iov[0].length >= bytes;
    const dst = direct ? qiov.iov[0].subarray(0, bytes) : new Uint8Array(bytes);
    yield* this.pick().request(NBD_CMD_READ, 0, offset, bytes, null, dst);
    if (!direct) qiov.fromBuffer(dst);
  }
  /** bdrv_co_pwritev: FUA on the wire when the server has it, else a flush after. */
  *coPwritev(offset, bytes, qiov, flags) {
    const src = qiov.toBuffer();
    const fuaWire = flags.fua === true && (this.info.flags & NBD_FLAG_SEND_FUA) !== 0;
    yield* this.pick().request(NBD_CMD_WRITE, fuaWire ? NBD_CMD_FLAG_FUA : 0, offset, bytes, src.length === bytes ? src : src.subarray(0, bytes), null);
    if (flags.fua === true && !fuaWire) yield* this.coFlush();
  }
  *writeZeroes(offset, bytes, flags) {
    const f = this.info.flags;
    if (flags.noFallback && !(f & NBD_FLAG_SEND_FAST_ZERO)) throw new BlockIoError(Errno.ENOTSUP);
    let cmdFlags = flags.mayUnmap ? 0 : NBD_CMD_FLAG_NO_HOLE;
    if (flags.noFallback) cmdFlags |= NBD_CMD_FLAG_FAST_ZERO;
    if (flags.fua && f & NBD_FLAG_SEND_FUA) cmdFlags |= NBD_CMD_FLAG_FUA;
    const step = 2147483648 - 2147483648 % this.requestAlignment;
    for (let done = 0; done < bytes; ) {
      const n = Math.min(step, bytes - done);
      yield* this.pick().request(NBD_CMD_WRITE_ZEROES, cmdFlags, offset + done, n, null, null);
      done += n;
    }
    if (flags.fua && !(f & NBD_FLAG_SEND_FUA)) yield* this.coFlush();
  }
  /** bdrv_co_flush: NBD_CMD_FLUSH where offered (on one connection: multi-conn makes it cover all). */
  *coFlush() {
    if (!(this.info.flags & NBD_FLAG_SEND_FLUSH)) return;
    yield* this.pick().request(NBD_CMD_FLUSH, 0, 0, 0, null, null);
  }
  /** bdrv_co_getlength */
  *coGetLength() {
    return this.info.size;
  }
  /** bdrv_co_block_status from base:allocation (QEMU's nbd_client_co_block_status). */
  *coBlockStatus(offset, bytes, _wantZero) {
    const info = this.info;
    const len = Math.min(bytes, 2147483648 - info.minBlock, info.size - offset);
    if (info.allocationContext === null || len <= 0) {
      return { flags: BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID, bytes: Math.max(len, 0), map: offset, file: this };
    }
    const { extents } = yield* this.pick().request(NBD_CMD_BLOCK_STATUS, NBD_CMD_FLAG_REQ_ONE, offset, len, null, null);
    const e = extents?.[0];
    if (e === void 0) throw new BlockIoError(Errno.EIO, "Protocol error: empty block status reply");
    const [n, st] = e;
    let flags = BDRV_BLOCK_OFFSET_VALID;
    if (!(st & NBD_STATE_HOLE)) flags |= BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED;
    if (st & NBD_STATE_ZERO) flags |= BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED;
    return { flags, bytes: Math.min(n, len), map: offset, file: this };
  }
  /** Facts for info. */
  *coGetInfo() {
    return { extra: { "nbd connections": String(this.clients.length) } };
  }
  /** bdrv_close: NBD_CMD_DISC on every connection. */
  *coClose() {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.clients) c.close();
  }
};
function clientOptions(options) {
  const tlsId = options["tls-creds"];
  const tlsHostname = options["tls-hostname"];
  const reconnect = options["reconnect-delay"] ?? 0;
  const openTimeout = options["open-timeout"] ?? 0;
  const exportName2 = options["export"];
  return {
    server: address(options),
    exportName: typeof exportName2 === "string" ? exportName2 : "",
    ...typeof tlsId === "string" && tlsId !== "" ? { tlsCreds: findTlsCreds(tlsId, "client") } : {},
    ...typeof tlsHostname === "string" ? { tlsHostname } : {},
    reconnectDelayMs: reconnect * 1e3,
    openTimeoutMs: openTimeout * 1e3
  };
}
var nbdDriver = {
  spec: BLOCK_DRIVER_SPEC,
  formatName: "nbd",
  protocolName: "nbd",
  options: NBD_OPTIONS,
  completions: "event-loop",
  parseFilename: parseNbdFilename,
  *open(options, flags) {
    const o = clientOptions(options);
    const want = options["multi-conn"] ?? 1;
    if (want < 1 || want > MAX_MULTI_CONN) throw new BlockError(`multi-conn must be between 1 and ${MAX_MULTI_CONN}`, Errno.EINVAL);
    const first = new NbdClient(o);
    yield* first.connect();
    const clients = [first];
    try {
      if (first.info.flags & NBD_FLAG_READ_ONLY && !flags.readOnly) throw new BlockError("NBD export is read-only", Errno.EACCES);
      if (want > 1 && first.info.flags & NBD_FLAG_CAN_MULTI_CONN) {
        for (let i = 1; i < want; i++) {
          const c = new NbdClient(o);
          yield* c.connect();
          clients.push(c);
        }
      }
    } catch (e) {
      for (const c of clients) c.close();
      throw e;
    }
    return new NbdBlockDriverState(nbdDriver, options, flags, clients);
  }
};
var nbdTcpDriver = { ...nbdDriver, protocolName: "nbd+tcp" };
var nbdUnixDriver = { ...nbdDriver, protocolName: "nbd+unix" };

// src/drivers/builtin.ts
var builtinBlockDrivers = [
  nullCoDriver,
  nullAioDriver,
  fileDriver,
  sshDriver,
  nvmeDriver,
  nfsDriver,
  nbdDriver,
  nbdTcpDriver,
  nbdUnixDriver
];
var registered2 = false;
function registerBuiltinBlockDrivers() {
  if (registered2) return;
  registered2 = true;
  for (const d of [...builtinBlockDrivers].reverse()) registerBlockDriver(d);
}

// src/index.ts
registerBuiltinBlockDrivers();

export {
  IoVector,
  BlockBackend
};
//# sourceMappingURL=chunk-PQGAAP2A.js.map