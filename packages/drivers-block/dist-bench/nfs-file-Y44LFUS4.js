import {
  AUTH_NONE,
  AUTH_UNIX,
  CreateMode,
  DONT_CHANGE,
  IPPROTO_TCP,
  MOUNT_PROGRAM,
  MOUNT_VERSION,
  MountProcNo,
  MountStatusError,
  NFS_PROGRAM,
  NFS_VERSION,
  Nfs3ProcNo,
  NfsOpenError,
  NfsStatusError,
  PMAP_PORT,
  PMAP_PROC_GETPORT,
  PMAP_PROGRAM,
  PMAP_VERSION,
  RpcClosedError,
  RpcConnectionError,
  RpcDecodeError,
  RpcError,
  RpcRejectedError,
  RpcTimeoutError,
  StableHow
} from "./chunk-L5Q22D6J.js";
import {
  init_esm_shims
} from "./chunk-DXPUYVZG.js";

// src/drivers/nfs/nfs-file.ts
init_esm_shims();
import { CoRwlock } from "@qco/core";

// src/drivers/nfs/nfs3/nfs3-calls.ts
init_esm_shims();
import { Reader } from "@jsonjoy.com/buffers/lib/Reader.js";
import { XdrDecoder, XdrEncoder } from "@jsonjoy.com/json-pack/lib/xdr/index.js";
import { MountDecoder } from "@jsonjoy.com/json-pack/lib/nfs/v3/mount/MountDecoder.js";
import { MountEncoder } from "@jsonjoy.com/json-pack/lib/nfs/v3/mount/MountEncoder.js";
import { MountMntRequest, MountMntResponse, MountUmntRequest } from "@jsonjoy.com/json-pack/lib/nfs/v3/mount/messages.js";
import {
  Nfsv3CommitRequest,
  Nfsv3CreateHow,
  Nfsv3CreateRequest,
  Nfsv3Decoder,
  Nfsv3DirOpArgs,
  Nfsv3Encoder,
  Nfsv3Fh,
  Nfsv3FsinfoRequest,
  Nfsv3GetattrRequest,
  Nfsv3LookupRequest,
  Nfsv3ReadRequest,
  Nfsv3Sattr,
  Nfsv3SattrGuard,
  Nfsv3SetAtime,
  Nfsv3SetattrRequest,
  Nfsv3SetGid,
  Nfsv3SetMode,
  Nfsv3SetMtime,
  Nfsv3SetSize,
  Nfsv3SetUid,
  Nfsv3WriteRequest
} from "@jsonjoy.com/json-pack/lib/nfs/v3/index.js";
var nfsDecoder = new Nfsv3Decoder();
var mountDecoder = new MountDecoder();
function overran(r) {
  return r.x > r.end || r.end > r.uint8.length;
}
function decodeNfs3Results(proc, results) {
  let msg;
  try {
    msg = nfsDecoder.decodeMessage(results, proc, false);
  } catch (err) {
    throw new RpcDecodeError(`Malformed NFSv3 reply: ${err.message}`, 5, { cause: err });
  }
  if (msg === void 0 || overran(results)) throw new RpcDecodeError(`Truncated NFSv3 reply to procedure ${proc}`);
  return msg;
}
function decodeMntResults(results) {
  let msg;
  try {
    msg = mountDecoder.decodeMessage(results, MountProcNo.MNT, false);
  } catch (err) {
    throw new RpcDecodeError(`Malformed MOUNT reply: ${err.message}`, 5, { cause: err });
  }
  if (!(msg instanceof MountMntResponse) || overran(results)) throw new RpcDecodeError("Truncated MOUNT reply");
  return msg;
}
function nfsArgs(proc, req) {
  return (w) => new Nfsv3Encoder(w).writeMessage(req, proc, true);
}
function* pmapGetPort(client, prog, vers) {
  const r = yield* client.call(
    PMAP_PROGRAM,
    PMAP_VERSION,
    PMAP_PROC_GETPORT,
    (w) => {
      const x = new XdrEncoder(w);
      x.writeUnsignedInt(prog);
      x.writeUnsignedInt(vers);
      x.writeUnsignedInt(IPPROTO_TCP);
      x.writeUnsignedInt(0);
    },
    { what: "portmapper GETPORT" }
  );
  if (r.size() < 4) throw new RpcDecodeError("Truncated portmapper reply");
  return new XdrDecoder(r).readUnsignedInt();
}
function* mountMnt(client, dirpath) {
  const r = yield* client.call(MOUNT_PROGRAM, MOUNT_VERSION, MountProcNo.MNT, (w) => new MountEncoder(w).writeMessage(new MountMntRequest(dirpath), MountProcNo.MNT, true), {
    what: "MNT"
  });
  const res = decodeMntResults(r);
  if (res.status !== 0 || res.mountinfo === void 0) throw new MountStatusError(res.status);
  return res.mountinfo.fhandle.data.subarray().slice();
}
function* mountUmnt(client, dirpath) {
  yield* client.call(MOUNT_PROGRAM, MOUNT_VERSION, MountProcNo.UMNT, (w) => new MountEncoder(w).writeMessage(new MountUmntRequest(dirpath), MountProcNo.UMNT, true), {
    what: "UMNT"
  });
}
function* nfsCall(client, proc, req, what, idempotent = true) {
  const r = yield* client.call(NFS_PROGRAM, NFS_VERSION, proc, nfsArgs(proc, req), { what, idempotent });
  return decodeNfs3Results(proc, r);
}
function* nfsLookup(client, dir, name, path = name) {
  const res = yield* nfsCall(client, Nfs3ProcNo.LOOKUP, new Nfsv3LookupRequest(new Nfsv3DirOpArgs(new Nfsv3Fh(dir), name)), "LOOKUP");
  if (res.status !== 0 || res.resok === void 0) throw new NfsStatusError(`Lookup of ${path}`, res.status);
  return { fh: res.resok.object.data.slice(), attr: res.resok.objAttributes.attributes };
}
function* nfsGetattr(client, fh) {
  const res = yield* nfsCall(client, Nfs3ProcNo.GETATTR, new Nfsv3GetattrRequest(new Nfsv3Fh(fh)), "GETATTR");
  if (res.status !== 0 || res.resok === void 0) throw new NfsStatusError("GETATTR", res.status);
  return res.resok.objAttributes;
}
function* nfsFsinfo(client, fh) {
  const res = yield* nfsCall(client, Nfs3ProcNo.FSINFO, new Nfsv3FsinfoRequest(new Nfsv3Fh(fh)), "FSINFO");
  if (res.status !== 0 || res.resok === void 0) throw new NfsStatusError("FSINFO", res.status);
  const ok = res.resok;
  return { rtmax: ok.rtmax, rtpref: ok.rtpref, wtmax: ok.wtmax, wtpref: ok.wtpref };
}
function sattr(mode, size) {
  return new Nfsv3Sattr(
    new Nfsv3SetMode(mode !== void 0, mode),
    new Nfsv3SetUid(false),
    new Nfsv3SetGid(false),
    new Nfsv3SetSize(size !== void 0, size),
    new Nfsv3SetAtime(DONT_CHANGE),
    new Nfsv3SetMtime(DONT_CHANGE)
  );
}
function* nfsSetSize(client, fh, size) {
  const req = new Nfsv3SetattrRequest(new Nfsv3Fh(fh), sattr(void 0, BigInt(size)), new Nfsv3SattrGuard(false));
  const res = yield* nfsCall(client, Nfs3ProcNo.SETATTR, req, "SETATTR");
  if (res.status !== 0) throw new NfsStatusError("SETATTR", res.status);
}
function* nfsCreate(client, dir, name, mode) {
  const req = new Nfsv3CreateRequest(new Nfsv3DirOpArgs(new Nfsv3Fh(dir), name), new Nfsv3CreateHow(CreateMode.UNCHECKED, sattr(mode, void 0)));
  const res = yield* nfsCall(client, Nfs3ProcNo.CREATE, req, "CREATE");
  if (res.status !== 0 || res.resok === void 0) throw new NfsStatusError(`Create of ${name}`, res.status);
  const h = res.resok.obj;
  if (h.handleFollows && h.handle !== void 0) return h.handle.data.slice();
  return (yield* nfsLookup(client, dir, name)).fh;
}
function* startRead(client, fh, offset, count) {
  return yield* client.start(NFS_PROGRAM, NFS_VERSION, Nfs3ProcNo.READ, nfsArgs(Nfs3ProcNo.READ, new Nfsv3ReadRequest(new Nfsv3Fh(fh), BigInt(offset), count)), { what: "READ" });
}
function* finishRead(client, call, count) {
  const r = yield* client.wait(call);
  const res = decodeNfs3Results(Nfs3ProcNo.READ, r);
  if (res.status !== 0 || res.resok === void 0) throw new NfsStatusError("READ", res.status);
  const ok = res.resok;
  if (ok.data.length !== ok.count || ok.count > count) throw new RpcDecodeError(`READ reply with ${ok.data.length} data bytes for count ${ok.count} (asked ${count})`);
  return { data: ok.data, eof: ok.eof };
}
function* startWrite(client, fh, offset, data, stable) {
  const req = new Nfsv3WriteRequest(new Nfsv3Fh(fh), BigInt(offset), data.length, stable, data);
  return yield* client.start(NFS_PROGRAM, NFS_VERSION, Nfs3ProcNo.WRITE, nfsArgs(Nfs3ProcNo.WRITE, req), { what: "WRITE", sizeHint: data.length + 1024 });
}
function* finishWrite(client, call) {
  const r = yield* client.wait(call);
  const res = decodeNfs3Results(Nfs3ProcNo.WRITE, r);
  if (res.status !== 0 || res.resok === void 0) throw new NfsStatusError("WRITE", res.status);
  const ok = res.resok;
  return { count: ok.count, committed: ok.committed, verf: ok.verf.slice() };
}
function* nfsCommit(client, fh) {
  const res = yield* nfsCall(client, Nfs3ProcNo.COMMIT, new Nfsv3CommitRequest(new Nfsv3Fh(fh), 0n, 0), "COMMIT");
  if (res.status !== 0 || res.resok === void 0) throw new NfsStatusError("COMMIT", res.status);
  return res.resok.verf.slice();
}

// src/drivers/nfs/rpc/rpc-client.ts
init_esm_shims();
import { connect } from "net";
import { hostname } from "os";
import { Writer } from "@jsonjoy.com/buffers/lib/Writer.js";
import { Reader as Reader3 } from "@jsonjoy.com/buffers/lib/Reader.js";
import { RpcMessageEncoder, RpcOpaqueAuth } from "@jsonjoy.com/json-pack/lib/rpc/index.js";
import { RmRecordEncoder } from "@jsonjoy.com/json-pack/lib/rm/index.js";
import { XdrEncoder as XdrEncoder2 } from "@jsonjoy.com/json-pack/lib/xdr/index.js";
import { aioCoWake, coroutineSelf, coroutineYield } from "@qco/core";

// src/drivers/nfs/rpc/record-marking.ts
init_esm_shims();
var DEFAULT_MAX_RECORD = 16 * 1024 * 1024 + 64 * 1024;
var RecordReader = class {
  constructor(maxRecord = DEFAULT_MAX_RECORD) {
    this.maxRecord = maxRecord;
  }
  maxRecord;
  header = new Uint8Array(4);
  headerHave = 0;
  frag = null;
  fragHave = 0;
  last = false;
  fragments = [];
  fragmentsBytes = 0;
  /**
   * Feed `src` (which may be reused by the caller afterwards) and return the
   * records it completed, in order. Throws RpcDecodeError on an oversized fragment.
   */
  push(src, out = []) {
    let off = 0;
    const n = src.length;
    while (off < n) {
      if (this.frag === null) {
        const take = Math.min(4 - this.headerHave, n - off);
        for (let i = 0; i < take; i++) this.header[this.headerHave++] = src[off + i];
        off += take;
        if (this.headerHave < 4) break;
        this.headerHave = 0;
        const h = this.header;
        const word = (h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3]) >>> 0;
        this.last = word >= 2147483648;
        const len = word & 2147483647;
        if (len + this.fragmentsBytes > this.maxRecord) {
          throw new RpcDecodeError(`RPC record of ${len + this.fragmentsBytes} bytes exceeds the limit of ${this.maxRecord}`);
        }
        this.frag = Buffer.allocUnsafe(len);
        this.fragHave = 0;
      } else {
        const frag = this.frag;
        const take = Math.min(frag.length - this.fragHave, n - off);
        if (take > 0) {
          frag.set(take === n && off === 0 ? src : src.subarray(off, off + take), this.fragHave);
          this.fragHave += take;
          off += take;
        }
      }
      if (this.frag !== null && this.fragHave === this.frag.length) this.endFragment(out);
    }
    if (this.frag !== null && this.fragHave === this.frag.length) this.endFragment(out);
    return out;
  }
  endFragment(out) {
    const frag = this.frag;
    this.frag = null;
    if (!this.last) {
      this.fragments.push(frag);
      this.fragmentsBytes += frag.length;
      return;
    }
    if (this.fragments.length === 0) {
      out.push(frag);
      return;
    }
    this.fragments.push(frag);
    out.push(Buffer.concat(this.fragments));
    this.fragments.length = 0;
    this.fragmentsBytes = 0;
  }
  /** Drop any partial record (after the connection was lost). */
  reset() {
    this.headerHave = 0;
    this.frag = null;
    this.fragments.length = 0;
    this.fragmentsBytes = 0;
  }
};

// src/drivers/nfs/rpc/rpc-reply.ts
init_esm_shims();
import { Reader as Reader2 } from "@jsonjoy.com/buffers/lib/Reader.js";
import { RpcAcceptedReplyMessage, RpcMessageDecoder, RpcRejectedReplyMessage } from "@jsonjoy.com/json-pack/lib/rpc/index.js";
var ACCEPT_STAT = ["SUCCESS", "PROG_UNAVAIL", "PROG_MISMATCH", "PROC_UNAVAIL", "GARBAGE_ARGS", "SYSTEM_ERR"];
var REJECT_STAT = ["RPC_MISMATCH", "AUTH_ERROR"];
var EMPTY = new Uint8Array(0);
var decoder = new RpcMessageDecoder();
function decodeRpcReply(record) {
  const reader = new Reader2(record);
  let msg;
  try {
    msg = decoder.decodeMessage(reader);
  } catch (err) {
    throw new RpcDecodeError(`Malformed RPC reply: ${err.message}`, 5, { cause: err });
  }
  if (msg === void 0) throw new RpcDecodeError(`Truncated RPC reply (${record.length} bytes)`);
  if (msg instanceof RpcAcceptedReplyMessage) {
    if (msg.stat !== 0) {
      const name = ACCEPT_STAT[msg.stat] ?? `accept_stat ${msg.stat}`;
      return { xid: msg.xid, error: new RpcRejectedError(`RPC call refused: ${name}`) };
    }
    return { xid: msg.xid, results: msg.results ?? new Reader2(EMPTY) };
  }
  if (msg instanceof RpcRejectedReplyMessage) {
    const name = REJECT_STAT[msg.stat] ?? `reject_stat ${msg.stat}`;
    const auth = msg.authStat !== void 0 ? ` (auth_stat ${msg.authStat})` : "";
    return { xid: msg.xid, error: new RpcRejectedError(`RPC call denied: ${name}${auth}`, 13) };
  }
  throw new RpcDecodeError("Received an RPC call where a reply was expected");
}

// src/drivers/nfs/rpc/rpc-client.ts
var RpcCall = class {
  constructor(xid, bytes, deadline, idempotent, what) {
    this.xid = xid;
    this.bytes = bytes;
    this.deadline = deadline;
    this.idempotent = idempotent;
    this.what = what;
  }
  xid;
  bytes;
  deadline;
  idempotent;
  what;
  /** Reply results once it succeeded. */
  results = void 0;
  /** Error once it failed. */
  error = void 0;
  /** Whether it finished (reply, failure or timeout). */
  done = false;
  /** @internal The coroutine waiting in `wait`, if any. */
  waiter = null;
};
var AUTH_NONE_CRED = new RpcOpaqueAuth(AUTH_NONE, new Reader3(new Uint8Array(0)));
function authUnix(uid, gid, machine = hostname()) {
  const writer = new Writer(512);
  const xdr = new XdrEncoder2(writer);
  xdr.writeUnsignedInt(Math.floor(Date.now() / 1e3) >>> 0);
  xdr.writeStr(machine.slice(0, 255));
  xdr.writeUnsignedInt(uid >>> 0);
  xdr.writeUnsignedInt(gid >>> 0);
  xdr.writeUnsignedInt(1);
  xdr.writeUnsignedInt(gid >>> 0);
  return new RpcOpaqueAuth(AUTH_UNIX, new Reader3(writer.flush().slice()));
}
var RpcClient = class {
  host;
  port;
  timeoutMs;
  maxInFlight;
  cred;
  reconnectEnabled;
  connectTimeoutMs;
  state = "idle";
  socket = null;
  reader;
  readBuf = Buffer.allocUnsafe(1024 * 1024);
  writer;
  rm;
  rpc;
  xid = Math.random() * 4294967296 >>> 0;
  pending = /* @__PURE__ */ new Map();
  inFlight = 0;
  slotWaiters = [];
  connectWaiters = [];
  connectError = null;
  toWake = [];
  timer = null;
  reconnectTimer = null;
  reconnectDelay = 50;
  records = [];
  /** Times the connection was (re)established; for tests. */
  connects = 0;
  constructor(opts) {
    this.host = opts.host;
    this.port = opts.port;
    this.timeoutMs = opts.timeoutMs ?? 3e4;
    this.maxInFlight = opts.maxInFlight ?? 64;
    this.cred = opts.cred ?? AUTH_NONE_CRED;
    this.reconnectEnabled = opts.reconnect ?? true;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? Math.min(this.timeoutMs, 1e4);
    this.reader = new RecordReader(opts.maxRecord ?? DEFAULT_MAX_RECORD);
    this.writer = new Writer(opts.bufferSize ?? 8 * 1024 * 1024);
    this.rm = new RmRecordEncoder(this.writer);
    this.rpc = new RpcMessageEncoder(this.writer);
  }
  /** Connect (coroutine_fn); throws RpcConnectionError when the server cannot be reached. */
  *connect() {
    if (this.state === "closed") throw new RpcClosedError();
    if (this.state === "connected") return;
    if (this.state === "idle") this.openSocket();
    this.connectError = null;
    const self = coroutineSelf();
    this.connectWaiters.push(self);
    while (this.state === "connecting" && this.connectWaiters.includes(self)) yield* coroutineYield();
    if (this.state !== "connected") {
      throw this.connectError ?? new RpcConnectionError(`Could not connect to ${this.host}:${this.port}`);
    }
  }
  /** Number of calls waiting for their reply. */
  get pendingCalls() {
    return this.pending.size;
  }
  /**
   * Encode and send a call (coroutine_fn: waits for a slot when `maxInFlight`
   * calls are out). `encodeArgs` writes the procedure's arguments with
   * json-pack encoders sharing `writer`.
   */
  *start(prog, vers, proc, encodeArgs, opts = {}) {
    while (this.inFlight >= this.maxInFlight && this.state !== "closed") {
      this.slotWaiters.push(coroutineSelf());
      yield* coroutineYield();
    }
    if (this.state === "closed") throw new RpcClosedError();
    const xid = this.xid = this.xid + 1 >>> 0;
    const bytes = this.encode(xid, prog, vers, proc, encodeArgs, opts.sizeHint ?? 1024);
    const call = new RpcCall(xid, bytes, Date.now() + this.timeoutMs, opts.idempotent ?? true, opts.what ?? `RPC ${prog}/${vers}/${proc}`);
    this.pending.set(xid, call);
    this.inFlight++;
    this.armTimer();
    if (this.state === "connected") this.socket.write(bytes);
    else if (this.state === "idle") this.openSocket();
    return call;
  }
  /**
   * Encode one record. RmRecordEncoder patches the record marker in place at an
   * absolute position, so the Writer must not move its buffer in between: room
   * is reserved first, and should the arguments still outgrow it, the record
   * is encoded again with the size it really needed.
   */
  encode(xid, prog, vers, proc, encodeArgs, hint) {
    const w = this.writer;
    for (let room = hint + 512; ; room *= 2) {
      w.ensureCapacity(room);
      const buf = w.uint8;
      const at = this.rm.startRecord();
      this.rpc.writeCall(xid, prog, vers, proc, this.cred, AUTH_NONE_CRED);
      if (encodeArgs !== null) encodeArgs(w);
      if (w.uint8 === buf) {
        this.rm.endRecord(at);
        return w.flush();
      }
      room = Math.max(room, w.x - w.x0);
      w.x = w.x0 = 0;
    }
  }
  /** Wait (coroutine_fn) for a started call's reply; returns its results or throws its error. */
  *wait(call) {
    while (!call.done) {
      call.waiter = coroutineSelf();
      yield* coroutineYield();
    }
    call.waiter = null;
    if (call.error !== void 0) throw call.error;
    return call.results;
  }
  /** start + wait. */
  *call(prog, vers, proc, encodeArgs, opts = {}) {
    const c = yield* this.start(prog, vers, proc, encodeArgs, opts);
    return yield* this.wait(c);
  }
  /** Fail every pending call and close the connection for good. */
  close() {
    if (this.state === "closed") return;
    this.state = "closed";
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.socket?.destroy();
    this.socket = null;
    for (const call of [...this.pending.values()]) this.finish(call, void 0, new RpcClosedError());
    this.toWake.push(...this.slotWaiters.splice(0), ...this.connectWaiters.splice(0));
    this.disarmTimer();
    this.flushWakes();
  }
  /** Drop the connection as if the network had failed (tests: fault injection). */
  breakConnection() {
    this.socket?.destroy();
  }
  // -------------------------------------------------------------------------
  openSocket() {
    this.state = "connecting";
    const s = connect({
      host: this.host,
      port: this.port,
      noDelay: true,
      onread: {
        buffer: this.readBuf,
        callback: (n, buf) => {
          if (this.socket === s) this.onBytes(buf.subarray(0, n));
          return true;
        }
      }
    });
    this.socket = s;
    const connectTimer = setTimeout(() => s.destroy(new RpcConnectionError(`Timed out connecting to ${this.host}:${this.port}`, 110)), this.connectTimeoutMs);
    s.once("connect", () => {
      clearTimeout(connectTimer);
      if (this.socket !== s) return;
      this.state = "connected";
      this.connectError = null;
      this.connects++;
      this.reconnectDelay = 50;
      s.cork();
      for (const call of this.pending.values()) s.write(call.bytes);
      s.uncork();
      this.toWake.push(...this.connectWaiters.splice(0));
      this.flushWakes();
    });
    s.on("error", (err) => {
      if (this.socket === s) this.connectError = toRpcError(err, this.host, this.port);
    });
    s.once("close", () => {
      clearTimeout(connectTimer);
      if (this.socket !== s) return;
      this.socket = null;
      this.onDisconnect();
    });
  }
  onDisconnect() {
    if (this.state === "closed") return;
    const wasConnecting = this.state === "connecting";
    this.state = "idle";
    this.reader.reset();
    const why = this.connectError ?? new RpcConnectionError(`Connection to ${this.host}:${this.port} lost`, 104);
    for (const call of [...this.pending.values()]) {
      if (!call.idempotent || !this.reconnectEnabled) this.finish(call, void 0, why);
    }
    if (wasConnecting) this.toWake.push(...this.connectWaiters.splice(0));
    if (this.pending.size > 0) {
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        if (this.state === "idle" && this.pending.size > 0) this.openSocket();
      }, this.reconnectDelay);
      this.reconnectDelay = Math.min(this.reconnectDelay * 2, 1e3);
    }
    this.flushWakes();
  }
  onBytes(chunk) {
    const records = this.records;
    records.length = 0;
    try {
      this.reader.push(chunk, records);
    } catch (err) {
      this.streamBroken(err);
      return;
    }
    for (const record of records) {
      let reply;
      try {
        reply = decodeRpcReply(record);
      } catch (err) {
        this.streamBroken(err);
        break;
      }
      const call = this.pending.get(reply.xid);
      if (call === void 0) continue;
      this.finish(call, reply.results, reply.error);
    }
    records.length = 0;
    this.flushWakes();
  }
  /** The byte stream cannot be trusted any more: drop it; pending calls are retried or fail. */
  streamBroken(err) {
    this.connectError = err instanceof RpcError ? err : new RpcDecodeError(err.message);
    this.socket?.destroy();
  }
  finish(call, results, error) {
    if (call.done) return;
    call.done = true;
    call.results = results;
    call.error = error;
    this.pending.delete(call.xid);
    this.inFlight--;
    if (call.waiter !== null) {
      this.toWake.push(call.waiter);
      call.waiter = null;
    }
    const next = this.slotWaiters.shift();
    if (next !== void 0) this.toWake.push(next);
    if (this.pending.size === 0) this.disarmTimer();
  }
  /** Wake the coroutines whose calls finished, with the socket corked so their next requests go out together. */
  flushWakes() {
    if (this.toWake.length === 0) return;
    const list = this.toWake;
    this.toWake = [];
    const s = this.state === "connected" ? this.socket : null;
    s?.cork();
    let failure = void 0;
    let failed = false;
    for (const co of list) {
      try {
        aioCoWake(co);
      } catch (err) {
        if (!failed) {
          failed = true;
          failure = err;
        }
      }
    }
    s?.uncork();
    if (failed) throw failure;
  }
  armTimer() {
    if (this.timer !== null) return;
    const period = Math.max(10, Math.min(500, this.timeoutMs / 4));
    this.timer = setInterval(() => this.checkDeadlines(), period);
  }
  disarmTimer() {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
  checkDeadlines() {
    const now = Date.now();
    for (const call of [...this.pending.values()]) {
      if (call.deadline <= now) {
        const cause = this.state === "connected" ? void 0 : this.connectError;
        const err = new RpcTimeoutError(`${call.what} to ${this.host}:${this.port}`, this.timeoutMs);
        if (cause) err.message += ` (${cause.message})`;
        this.finish(call, void 0, err);
      }
    }
    this.flushWakes();
  }
};
function toRpcError(err, host, port) {
  if (err instanceof RpcError) return err;
  const errno = err.code === "ECONNREFUSED" ? 111 : err.code === "ETIMEDOUT" ? 110 : err.code === "EHOSTUNREACH" ? 113 : err.code === "ECONNRESET" ? 104 : 5;
  return new RpcConnectionError(`Failed to connect to ${host}:${port}: ${err.message}`, errno, { cause: err });
}

// src/drivers/nfs/nfs-file.ts
function sameVerf(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function splitPath(path) {
  const i = path.lastIndexOf("/");
  if (i < 0) throw new NfsOpenError("Invalid URL specified", 22);
  return { dir: i === 0 ? "/" : path.slice(0, i), name: path.slice(i + 1) };
}
var NfsFile = class _NfsFile {
  constructor(client, fh, mount, size, sizes, maxUncommitted) {
    this.client = client;
    this.fh = fh;
    this.mount = mount;
    this.maxUncommitted = maxUncommitted;
    this.size = size;
    this.rsize = sizes.rsize;
    this.wsize = sizes.wsize;
  }
  client;
  fh;
  mount;
  maxUncommitted;
  /** rsize and wsize in use. */
  rsize;
  wsize;
  /** Size in bytes (as of open, truncate and writes past the end). */
  size;
  stats = { commits: 0, verifierChanges: 0, resentWrites: 0 };
  uncommitted = [];
  uncommittedBytes = 0;
  lock = new CoRwlock();
  closed = false;
  /** Open (coroutine_fn): portmapper, MNT, LOOKUP/CREATE, GETATTR, FSINFO. Throws NfsOpenError with QEMU's messages. */
  static *open(o) {
    const { dir, name } = splitPath(o.path);
    const uid = o.uid ?? process.getuid?.() ?? 0;
    const gid = o.gid ?? process.getgid?.() ?? 0;
    const cred = authUnix(uid, gid);
    const timeoutMs = o.timeoutMs ?? 6e4;
    const small = { timeoutMs: Math.min(timeoutMs, 15e3), cred, bufferSize: 64 * 1024, reconnect: false };
    let mountPort;
    let nfsPort;
    let root;
    let walk;
    try {
      const pmap = new RpcClient({ host: o.host, port: PMAP_PORT, ...small });
      try {
        yield* pmap.connect();
        mountPort = yield* pmapGetPort(pmap, MOUNT_PROGRAM, MOUNT_VERSION);
        nfsPort = o.port ?? (yield* pmapGetPort(pmap, NFS_PROGRAM, NFS_VERSION));
      } catch (err) {
        if (o.port === void 0) throw err;
        mountPort = nfsPort = o.port;
      } finally {
        pmap.close();
      }
      if (mountPort === 0 && o.port !== void 0) mountPort = o.port;
      if (mountPort === 0) throw new RpcConnectionError("MOUNT v3 over TCP is not registered with the portmapper", 111);
      if (nfsPort === 0) throw new RpcConnectionError("NFS v3 over TCP is not registered with the portmapper", 111);
      try {
        ({ root, walk } = yield* _NfsFile.mountExport(o.host, mountPort, dir, small));
      } catch (err) {
        if (!(err instanceof RpcConnectionError) || o.port === void 0 || mountPort === o.port) throw err;
        mountPort = o.port;
        ({ root, walk } = yield* _NfsFile.mountExport(o.host, mountPort, dir, small));
      }
    } catch (err) {
      throw new NfsOpenError(`Failed to mount nfs share: ${err.message}`, errnoOf(err), { cause: err });
    }
    const client = new RpcClient({ host: o.host, port: nfsPort, timeoutMs, cred, maxInFlight: o.maxInFlight ?? 64 });
    try {
      try {
        yield* client.connect();
      } catch (err) {
        throw new NfsOpenError(`Failed to mount nfs share: ${err.message}`, errnoOf(err), { cause: err });
      }
      let dirFh = root;
      let walked = "";
      let fh;
      try {
        for (const part of walk) {
          walked += `/${part}`;
          dirFh = (yield* nfsLookup(client, dirFh, part, walked)).fh;
        }
      } catch (err) {
        throw new NfsOpenError(`Failed to mount nfs share: ${err.message}`, errnoOf(err), { cause: err });
      }
      if (o.create) {
        try {
          fh = yield* nfsCreate(client, dirFh, name, 384);
        } catch (err) {
          throw new NfsOpenError(`Failed to create file: ${err.message}`, errnoOf(err), { cause: err });
        }
      } else {
        try {
          fh = (yield* nfsLookup(client, dirFh, name, `/${name}`)).fh;
        } catch (err) {
          throw new NfsOpenError(`Failed to open file : open call failed with "${err.message}"`, errnoOf(err), { cause: err });
        }
      }
      let size;
      try {
        const attr = yield* nfsGetattr(client, fh);
        size = Number(attr.size);
      } catch (err) {
        throw new NfsOpenError(`Failed to fstat file: ${err.message}`, errnoOf(err), { cause: err });
      }
      const cap = o.maxTransfer ?? 1024 * 1024;
      let rsize = 64 * 1024;
      let wsize = 64 * 1024;
      try {
        const t = yield* nfsFsinfo(client, fh);
        if (t.rtmax > 0) rsize = Math.min(t.rtmax, cap);
        if (t.wtmax > 0) wsize = Math.min(t.wtmax, cap);
      } catch {
      }
      return new _NfsFile(client, fh, { host: o.host, port: mountPort, dir, uid, gid }, size, { rsize, wsize }, o.maxUncommitted ?? 64 * 1024 * 1024);
    } catch (err) {
      client.close();
      throw err;
    }
  }
  /** MNT `dir`, or the longest exported prefix of it; returns the root handle and the components left to LOOKUP. */
  static *mountExport(host, port, dir, opts) {
    const mnt = new RpcClient({ host, port, ...opts });
    try {
      yield* mnt.connect();
      const parts = dir.split("/").filter((p) => p !== "");
      let first = void 0;
      for (let keep = parts.length; keep >= 0; keep--) {
        const exportPath = "/" + parts.slice(0, keep).join("/");
        try {
          const root = yield* mountMnt(mnt, exportPath);
          return { root, walk: parts.slice(keep) };
        } catch (err) {
          if (!(err instanceof MountStatusError)) throw err;
          first ??= err;
        }
      }
      throw first;
    } finally {
      mnt.close();
    }
  }
  /** Read `dst.length` bytes at `offset` (coroutine_fn); bytes past the end of the file read as zeroes, as in QEMU. */
  *pread(offset, dst) {
    const total = dst.length;
    const calls = [];
    for (let at = 0; at < total; at += this.rsize) {
      const count = Math.min(this.rsize, total - at);
      calls.push({ call: yield* startRead(this.client, this.fh, offset + at, count), at, count });
    }
    for (const c of calls) {
      let at = c.at;
      let left = c.count;
      let r = yield* finishRead(this.client, c.call, left);
      for (; ; ) {
        dst.set(r.data, at);
        at += r.data.length;
        left -= r.data.length;
        if (left === 0) break;
        if (r.eof || r.data.length === 0) {
          dst.fill(0, at, at + left);
          break;
        }
        const call = yield* startRead(this.client, this.fh, offset + at, left);
        r = yield* finishRead(this.client, call, left);
      }
    }
  }
  /** Write `src` at `offset` (coroutine_fn), UNSTABLE, in wsize chunks. A short write is EIO. */
  *pwrite(offset, src) {
    if (this.uncommittedBytes >= this.maxUncommitted) yield* this.flush();
    yield* this.lock.rdlock();
    try {
      const calls = [];
      for (let at = 0; at < src.length; at += this.wsize) {
        const data = src.slice(at, Math.min(src.length, at + this.wsize));
        calls.push({ call: yield* startWrite(this.client, this.fh, offset + at, data, StableHow.UNSTABLE), offset: offset + at, data });
      }
      let failure = void 0;
      for (const c of calls) {
        try {
          const r = yield* finishWrite(this.client, c.call);
          if (r.count !== c.data.length) throw new RpcError(`NFS: short write (${r.count} of ${c.data.length} bytes at offset ${c.offset})`, 5);
          if (r.committed === StableHow.UNSTABLE) {
            this.uncommitted.push({ offset: c.offset, data: c.data, verf: r.verf });
            this.uncommittedBytes += c.data.length;
          }
        } catch (err) {
          failure ??= err;
        }
      }
      if (failure !== void 0) throw failure;
      if (offset + src.length > this.size) this.size = offset + src.length;
    } finally {
      this.lock.unlock();
    }
  }
  /**
   * COMMIT (coroutine_fn) and check every acknowledged write's verifier;
   * writes the server may have lost are sent again FILE_SYNC.
   */
  *flush() {
    yield* this.lock.wrlock();
    try {
      if (this.uncommitted.length === 0) return;
      const snapshot = this.uncommitted;
      this.stats.commits++;
      const verf = yield* nfsCommit(this.client, this.fh);
      if (snapshot.some((w) => !sameVerf(w.verf, verf))) {
        this.stats.verifierChanges++;
        for (const w of snapshot) {
          const call = yield* startWrite(this.client, this.fh, w.offset, w.data, StableHow.FILE_SYNC);
          const r = yield* finishWrite(this.client, call);
          if (r.count !== w.data.length) throw new RpcError(`NFS: short write (${r.count} of ${w.data.length} bytes at offset ${w.offset})`, 5);
          this.stats.resentWrites++;
        }
      }
      this.uncommitted = [];
      this.uncommittedBytes = 0;
    } finally {
      this.lock.unlock();
    }
  }
  /** Resize the file (SETATTR size). */
  *truncate(size) {
    yield* this.flush();
    yield* nfsSetSize(this.client, this.fh, size);
    this.size = size;
  }
  /** Size and bytes used on the server now (GETATTR: size, used). */
  *getattrSizes() {
    const attr = yield* nfsGetattr(this.client, this.fh);
    return { size: Number(attr.size), used: Number(attr.used) };
  }
  /** Flush what awaits COMMIT, UMNT (best effort) and close the connection. */
  *close() {
    if (this.closed) return;
    this.closed = true;
    try {
      yield* this.flush();
    } finally {
      this.client.close();
      const m = this.mount;
      const mnt = new RpcClient({ host: m.host, port: m.port, timeoutMs: 2e3, cred: authUnix(m.uid, m.gid), bufferSize: 4096, reconnect: false });
      try {
        yield* mnt.connect();
        yield* mountUmnt(mnt, m.dir);
      } catch {
      } finally {
        mnt.close();
      }
    }
  }
  /** Bytes acknowledged but not yet known to be on the server's disk. */
  get pendingCommitBytes() {
    return this.uncommittedBytes;
  }
};
function errnoOf(err) {
  return err instanceof RpcError ? err.errno : 5;
}
export {
  NfsFile,
  errnoOf
};
//# sourceMappingURL=nfs-file-Y44LFUS4.js.map