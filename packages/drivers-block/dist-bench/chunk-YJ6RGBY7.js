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

// src/block/block-open.ts
init_esm_shims();

// src/block/block-registry.ts
init_esm_shims();

// src/block/block-driver.ts
init_esm_shims();
var BLOCK_DRIVER_SPEC = 1;

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
    aio: how.aio ?? "threads"
  };
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
  /** Wrap an already open node. */
  constructor(bs) {
    this.bs = bs;
  }
  bs;
  closed = false;
  inflight = 0;
  length = -1;
  completions = [];
  completionBhScheduled = false;
  /** Open `spec` (a filename, `json:{…}`, or with imageOpts a `driver=…,…` string) as a coroutine_fn. */
  static *coOpen(spec, how = {}) {
    return new _BlockBackend(yield* bdrvOpen(spec, how));
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
      return new _BlockBackend(yield* r.driver.open(r.options, r.flags));
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
import { createRequire } from "module";
import { aioCoWake as aioCoWake2, coroutineSelf as coroutineSelf3, coroutineYield as coroutineYield3, deferCall, deferCallBegin, deferCallEnd } from "@qco/core";
var LINUX_AIO_MAX_BATCH = 32;
var addon;
function loadAddon() {
  if (addon !== void 0) return addon;
  addon = null;
  if (process.platform !== "linux") return null;
  for (const rel of ["../build/Release/qco_linux_aio.node", "../../../build/Release/qco_linux_aio.node"]) {
    try {
      const req = createRequire(typeof __filename === "string" ? __filename : import.meta.url);
      addon = req(rel);
      return addon;
    } catch {
    }
  }
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
  /** Read (op 0), write (op 1) or, on the thread pool, flush (op 2) `len` bytes of `buf` at `pos` of `fd` on `slot`; yields until done; returns bytes or -errno. */
  *run(slot, op, fd, buf, pos, len) {
    this.a.prep(this.handle, slot, op, fd, buf, len, pos);
    this.state[slot] = PENDING;
    this.waiters[slot] = coroutineSelf3();
    this.pending.push(slot);
    if (this.pending.length >= LINUX_AIO_MAX_BATCH) this.flush();
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
function nativeThreadPool(depth) {
  if (sharedPool !== void 0) return sharedPool;
  const a = loadAddon();
  sharedPool = a ? new LinuxAioContext(a, depth, 1) : null;
  return sharedPool;
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
    this.native = aio === "native" || aio === "io_uring" ? linuxAio(FILE_IO_DEPTH) : null;
    this.threads = this.native === null ? nativeThreadPool(FILE_IO_DEPTH) : null;
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
  /** The native AIO context when aio=native / io_uring asked for it and the addon is here. */
  native;
  /** The addon's pthread pool for aio=threads, when the addon is here. */
  threads;
  length;
  fd;
  /** Which submission path requests take: linux-aio, the addon's pthread pool, or libuv's pool. */
  get aioPath() {
    return this.native ? "native" : this.threads ? "threads" : "libuv-threads";
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
    return { allocatedSize: st.blocks * 512 };
  }
  *coClose() {
    if (this.fd < 0) return;
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
      fd = openSync(filename, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 420);
    } catch (err) {
      throw new BlockError(`Could not create '${filename}': ${strerror(sysErrno(err))}`, sysErrno(err));
    }
    try {
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
  constructor(bar, dma, ctx, index, size, bounceBytes) {
    this.bar = bar;
    this.dma = dma;
    this.ctx = ctx;
    this.index = index;
    this.size = size;
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
    deferCall2(this.kickFn, this);
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
  NvmeIdentifyCns,
  NvmeIoOpcode,
  NvmeReg,
  Sqe as Sqe2
} from "@qco/nvme-emulator/spec";
var IN_PROGRESS = -115;
var NVME_QUEUE_SIZE = 128;
var NVME_MAX_TRANSFER = 128 * 1024;
var NVME_WATCHDOG_MS = 500;
var NVME_MAX_BLOCKS_PER_CMD = 65536;
var NVME_OPTIONS = [
  { name: "device", type: "string", help: "NVMe PCI device address (here: an emulated controller, mem:<size> or file:<path>)", required: true },
  { name: "namespace", type: "number", help: "NVMe namespace", default: 1 },
  { name: "queue-size", type: "number", help: "Entries of the admin and I/O queues", default: NVME_QUEUE_SIZE }
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
        this.queues[n] = new NvmeQueuePair(this.ctrl.bar, this.ctrl.dma, this.ctx, n, this.queueSize, NVME_MAX_TRANSFER);
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

// src/drivers/builtin.ts
var builtinBlockDrivers = [
  nullCoDriver,
  nullAioDriver,
  fileDriver,
  sshDriver,
  nvmeDriver,
  nfsDriver
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
//# sourceMappingURL=chunk-YJ6RGBY7.js.map