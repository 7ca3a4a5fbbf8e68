/**
 * Our ONC RPC client over one TCP connection: record marking, xid matching and
 * many calls in flight. A call is a coroutine_fn — `start` encodes and sends it
 * (waiting only for a free slot when `maxInFlight` calls are out), `wait` yields
 * until the socket's read handler has matched the reply by xid and woken the
 * coroutine with aio_co_wake (so it resumes in the AioContext it last ran in).
 * The read handler is the socket's own libuv read callback into one reused
 * 1 MiB buffer (net `onread`) rather than a 'readable' stream handler: each
 * byte is copied once, straight into its record — so one coroutine can keep dozens of READs or WRITEs in flight
 * and collect them in order. Replies are handled in batches: every reply of one
 * socket read is decoded first, then the waiting coroutines are woken with the
 * socket corked, so the requests they issue next leave in one write.
 *
 * Faults: when the connection drops, the client reconnects and retransmits
 * every pending idempotent call with its original xid (NFS over TCP semantics:
 * the server's duplicate request cache recognises it); non-idempotent calls
 * fail. A call without a reply within `timeoutMs` of its first transmission
 * fails with RpcTimeoutError, so a dead server yields an error, never a hang.
 * Encoding is json-pack's (RpcMessageEncoder + RmRecordEncoder on one Writer).
 */
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { Writer } from '@jsonjoy.com/buffers/lib/Writer.js';
import { Reader } from '@jsonjoy.com/buffers/lib/Reader.js';
// json-pack's modules by their own files: its index files re-export every codec, which a bundle would then carry whole.
import { RpcMessageEncoder } from '@jsonjoy.com/json-pack/lib/rpc/RpcMessageEncoder.js';
import { RpcOpaqueAuth } from '@jsonjoy.com/json-pack/lib/rpc/messages.js';
import { RmRecordEncoder } from '@jsonjoy.com/json-pack/lib/rm/RmRecordEncoder.js';
import { XdrEncoder } from '@jsonjoy.com/json-pack/lib/xdr/XdrEncoder.js';
import { aioCoWake, coroutineSelf, coroutineYield, type Co, type Coroutine } from '@qco/core';
import { Errno, errnoFromCode } from '../../../block/errno.js';
import { AUTH_NONE, AUTH_UNIX } from '../constants.js';
import { RpcClosedError, RpcConnectionError, RpcDecodeError, RpcError, RpcTimeoutError } from '../errors.js';
import { DEFAULT_MAX_RECORD, DIRECT_PREFIX, RecordReader, type DirectPayload } from './record-marking.js';
import { decodeRpcReply } from './rpc-reply.js';

/** How a client reaches its server and how patient it is. */
export interface RpcClientOptions {
  /** Server address (IPv4/IPv6 literal or name). */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** A call fails when no reply came this long after it was first sent (default 30 s). */
  readonly timeoutMs?: number;
  /** Calls in flight at most; more wait for a slot (default 64). */
  readonly maxInFlight?: number;
  /** Credential sent with every call (default AUTH_NONE). */
  readonly cred?: RpcOpaqueAuth;
  /** Reconnect and retransmit when the connection drops (default true). */
  readonly reconnect?: boolean;
  /** Largest reply record accepted. */
  readonly maxRecord?: number;
  /** Give up connecting after this long (default min(timeoutMs, 10 s)). */
  readonly connectTimeoutMs?: number;
  /** Bytes the encoder allocates at a time (default 8 MiB: room for several 1 MiB WRITEs). */
  readonly bufferSize?: number;
}

/** Per-call options. */
export interface RpcCallOptions {
  /** Safe to send twice (default true): retransmitted after a reconnect instead of failed. */
  readonly idempotent?: boolean;
  /** Name for error messages ("READ", "MNT"). */
  readonly what?: string;
  /** Bytes the arguments take at most (e.g. a WRITE's data length + 512); default 1 KiB. */
  readonly sizeHint?: number;
  /** Receive the reply's payload straight into a buffer (a READ's data). */
  readonly direct?: DirectReply;
  /**
   * Bytes sent after the encoded arguments as the opaque they end with (a
   * WRITE's data): the arguments are encoded with that opaque empty, and the
   * client sets its length and sends the bytes from `payload` itself, so they
   * are never copied into the encoder. The caller must not change them until
   * the call is done.
   */
  readonly payload?: Uint8Array;
}

const XDR_PAD = new Uint8Array(3);

/**
 * A call whose reply payload goes straight into `sink` instead of into an
 * assembled record: `locate` reads the reply's first bytes and says where the
 * payload starts and how long it is (null: decode the reply normally, e.g. an
 * error status). `received` is set once the payload is in place.
 */
export interface DirectReply {
  /** Destination of the payload. */
  readonly sink: Uint8Array;
  /** From the reply's first bytes (the RPC header included) and its length: the payload's start and length in it, or null. */
  locate(prefix: Uint8Array, recordLength: number): { start: number; length: number } | null;
  /** Set by the client once the payload was received into the sink. */
  received: boolean;
}

/** One call in flight. */
export class RpcCall {
  /** Reply results once it succeeded. */
  results: Reader | undefined = undefined;
  /** Error once it failed. */
  error: Error | undefined = undefined;
  /** Whether it finished (reply, failure or timeout). */
  done = false;
  /** @internal The coroutine waiting in `wait`, if any. */
  waiter: Coroutine | null = null;
  /** Where the reply's payload goes, when the caller asked for that. */
  direct: DirectReply | null = null;
  constructor(
    /** Transaction id. */
    readonly xid: number,
    /** The whole record (marker included), in the pieces it is written in; kept for retransmission with the same xid. */
    readonly chunks: readonly Uint8Array[],
    /** Deadline (ms since epoch) for the reply. */
    readonly deadline: number,
    /** Retransmitted after a reconnect when true. */
    readonly idempotent: boolean,
    /** Name for messages. */
    readonly what: string,
  ) {}
}

const AUTH_NONE_CRED = new RpcOpaqueAuth(AUTH_NONE, new Reader(new Uint8Array(0)));

/** AUTH_NONE. */
export function authNone(): RpcOpaqueAuth {
  return AUTH_NONE_CRED;
}

/** AUTH_UNIX (AUTH_SYS) credential for uid/gid, encoded with json-pack's XDR encoder. */
export function authUnix(uid: number, gid: number, machine: string = hostname()): RpcOpaqueAuth {
  const writer = new Writer(512);
  const xdr = new XdrEncoder(writer);
  xdr.writeUnsignedInt(Math.floor(Date.now() / 1000) >>> 0);
  xdr.writeStr(machine.slice(0, 255));
  xdr.writeUnsignedInt(uid >>> 0);
  xdr.writeUnsignedInt(gid >>> 0);
  xdr.writeUnsignedInt(1);
  xdr.writeUnsignedInt(gid >>> 0);
  return new RpcOpaqueAuth(AUTH_UNIX, new Reader(writer.flush().slice()));
}

type State = 'idle' | 'connecting' | 'connected' | 'closed';

/** An ONC RPC client on one TCP connection. */
export class RpcClient {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  readonly maxInFlight: number;
  private readonly cred: RpcOpaqueAuth;
  private readonly reconnectEnabled: boolean;
  private readonly connectTimeoutMs: number;

  private state: State = 'idle';
  private socket: Socket | null = null;
  private readonly reader: RecordReader;
  private readonly readBuf = Buffer.allocUnsafe(1024 * 1024);
  /**
   * While replies are wanted in place, reads stop after the next record's
   * marker and first bytes, so the payload behind them can be read straight
   * into its sink instead of being copied out of `readBuf`.
   */
  private readonly headBuf = this.readBuf.subarray(0, 4 + DIRECT_PREFIX);
  /** Pending calls that want their reply's payload in place. */
  private directPending = 0;
  private readonly writer: Writer;
  private readonly rm: RmRecordEncoder<Writer>;
  private readonly rpc: RpcMessageEncoder<Writer>;
  private xid = (Math.random() * 0x100000000) >>> 0;
  private readonly pending = new Map<number, RpcCall>();
  private inFlight = 0;
  private readonly slotWaiters: Coroutine[] = [];
  private readonly connectWaiters: Coroutine[] = [];
  private connectError: Error | null = null;
  private toWake: Coroutine[] = [];
  private timer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectDelay = 50;
  private readonly records: Uint8Array[] = [];
  /** Times the connection was (re)established; for tests. */
  connects = 0;
  /** Replies whose payload was received in place (DirectReply); for tests. */
  inPlaceReplies = 0;
  /** Bytes the socket read straight into such payloads; for tests. */
  bytesReadInPlace = 0;

  constructor(opts: RpcClientOptions) {
    this.host = opts.host;
    this.port = opts.port;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxInFlight = opts.maxInFlight ?? 64;
    this.cred = opts.cred ?? AUTH_NONE_CRED;
    this.reconnectEnabled = opts.reconnect ?? true;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? Math.min(this.timeoutMs, 10_000);
    this.reader = new RecordReader(opts.maxRecord ?? DEFAULT_MAX_RECORD);
    this.reader.locate = (prefix, len) => this.locateDirect(prefix, len);
    this.writer = new Writer(opts.bufferSize ?? 8 * 1024 * 1024);
    this.rm = new RmRecordEncoder(this.writer);
    this.rpc = new RpcMessageEncoder(this.writer);
  }

  /** Connect (coroutine_fn); throws RpcConnectionError when the server cannot be reached. */
  *connect(): Co {
    if (this.state === 'closed') throw new RpcClosedError();
    if (this.state === 'connected') return;
    if (this.state === 'idle') this.openSocket();
    this.connectError = null;
    const self = coroutineSelf();
    this.connectWaiters.push(self);
    while (this.state === 'connecting' && this.connectWaiters.includes(self)) yield* coroutineYield();
    if ((this.state as State) !== 'connected') {
      // Set by the socket's handlers while this coroutine was yielded.
      throw (this.connectError as Error | null) ?? new RpcConnectionError(`Could not connect to ${this.host}:${this.port}`);
    }
  }

  /** Number of calls waiting for their reply. */
  get pendingCalls(): number {
    return this.pending.size;
  }

  /**
   * Encode and send a call (coroutine_fn: waits for a slot when `maxInFlight`
   * calls are out). `encodeArgs` writes the procedure's arguments with
   * json-pack encoders sharing `writer`.
   */
  *start(prog: number, vers: number, proc: number, encodeArgs: ((writer: Writer) => void) | null, opts: RpcCallOptions = {}): Co<RpcCall> {
    while (this.inFlight >= this.maxInFlight && this.state !== 'closed') {
      this.slotWaiters.push(coroutineSelf());
      yield* coroutineYield();
    }
    if (this.state === 'closed') throw new RpcClosedError();
    const xid = (this.xid = (this.xid + 1) >>> 0);
    const head = this.encode(xid, prog, vers, proc, encodeArgs, opts.sizeHint ?? 1024);
    const chunks = opts.payload === undefined ? [head] : withPayload(head, opts.payload);
    const call = new RpcCall(xid, chunks, Date.now() + this.timeoutMs, opts.idempotent ?? true, opts.what ?? `RPC ${prog}/${vers}/${proc}`);
    if (opts.direct !== undefined) {
      call.direct = opts.direct;
      this.directPending++;
    }
    this.pending.set(xid, call);
    this.inFlight++;
    this.armTimer();
    if (this.state === 'connected') writeChunks(this.socket as Socket, chunks);
    else if (this.state === 'idle') this.openSocket();
    return call;
  }

  /**
   * Encode one record. RmRecordEncoder patches the record marker in place at an
   * absolute position, so the Writer must not move its buffer in between: room
   * is reserved first, and should the arguments still outgrow it, the record
   * is encoded again with the size it really needed.
   */
  private encode(xid: number, prog: number, vers: number, proc: number, encodeArgs: ((writer: Writer) => void) | null, hint: number): Uint8Array {
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
      // The buffer moved under the record: drop it and try again with more room.
      room = Math.max(room, w.x - w.x0);
      w.x = w.x0 = 0;
    }
  }

  /** Wait (coroutine_fn) for a started call's reply; returns its results or throws its error. */
  *wait(call: RpcCall): Co<Reader> {
    while (!call.done) {
      call.waiter = coroutineSelf();
      yield* coroutineYield();
    }
    call.waiter = null;
    if (call.error !== undefined) throw call.error;
    return call.results as Reader;
  }

  /** start + wait. */
  *call(prog: number, vers: number, proc: number, encodeArgs: ((writer: Writer) => void) | null, opts: RpcCallOptions = {}): Co<Reader> {
    const c = yield* this.start(prog, vers, proc, encodeArgs, opts);
    return yield* this.wait(c);
  }

  /** Fail every pending call and close the connection for good. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.socket?.destroy();
    this.socket = null;
    for (const call of [...this.pending.values()]) this.finish(call, undefined, new RpcClosedError());
    this.toWake.push(...this.slotWaiters.splice(0), ...this.connectWaiters.splice(0));
    this.disarmTimer();
    this.flushWakes();
  }

  /** Drop the connection as if the network had failed (tests: fault injection). */
  breakConnection(): void {
    this.socket?.destroy();
  }

  // -------------------------------------------------------------------------

  private openSocket(): void {
    this.state = 'connecting';
    const s = connect({
      host: this.host,
      port: this.port,
      noDelay: true,
      onread: {
        // Asked before every read: the rest of a READ payload being received in place, else our buffer.
        buffer: () => this.reader.lend() ?? (this.directPending > 0 ? this.headBuf : this.readBuf),
        callback: (n: number, buf: Uint8Array): boolean => {
          if (this.socket !== s) return true;
          if (this.reader.isLent(buf)) this.onLentBytes(n);
          else this.onBytes(buf.subarray(0, n));
          return true;
        },
      },
    });
    this.socket = s;
    const connectTimer = setTimeout(() => s.destroy(new RpcConnectionError(`Timed out connecting to ${this.host}:${this.port}`, Errno.ETIMEDOUT)), this.connectTimeoutMs);
    s.once('connect', () => {
      clearTimeout(connectTimer);
      if (this.socket !== s) return;
      this.state = 'connected';
      this.connectError = null;
      this.connects++;
      this.reconnectDelay = 50;
      s.cork();
      for (const call of this.pending.values()) writeChunks(s, call.chunks);
      s.uncork();
      this.toWake.push(...this.connectWaiters.splice(0));
      this.flushWakes();
    });
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (this.socket === s) this.connectError = toRpcError(err, this.host, this.port);
    });
    s.once('close', () => {
      clearTimeout(connectTimer);
      if (this.socket !== s) return;
      this.socket = null;
      this.onDisconnect();
    });
  }

  private onDisconnect(): void {
    if (this.state === 'closed') return;
    const wasConnecting = this.state === 'connecting';
    this.state = 'idle';
    this.reader.reset();
    const why = this.connectError ?? new RpcConnectionError(`Connection to ${this.host}:${this.port} lost`, Errno.ECONNRESET);
    for (const call of [...this.pending.values()]) {
      if (!call.idempotent || !this.reconnectEnabled) this.finish(call, undefined, why);
    }
    if (wasConnecting) this.toWake.push(...this.connectWaiters.splice(0));
    if (this.pending.size > 0) {
      // Keep trying until the calls' own deadlines fail them.
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        if (this.state === 'idle' && this.pending.size > 0) this.openSocket();
      }, this.reconnectDelay);
      this.reconnectDelay = Math.min(this.reconnectDelay * 2, 1000);
    }
    this.flushWakes();
  }

  private onBytes(chunk: Uint8Array): void {
    const records = this.records;
    records.length = 0;
    try {
      this.reader.push(chunk, records);
    } catch (err) {
      this.streamBroken(err as Error);
      return;
    }
    for (const record of records) {
      let reply;
      try {
        reply = decodeRpcReply(record);
      } catch (err) {
        this.streamBroken(err as Error);
        break;
      }
      const call = this.pending.get(reply.xid);
      if (call === undefined) continue; // a late duplicate of a retransmitted call
      this.finish(call, reply.results, reply.error);
    }
    records.length = 0;
    this.flushWakes();
  }

  /** The socket read `n` payload bytes straight into a call's sink. */
  private onLentBytes(n: number): void {
    this.bytesReadInPlace += n;
    try {
      this.reader.receivedLent(n);
    } catch (err) {
      this.streamBroken(err as Error);
      return;
    }
    this.flushWakes();
  }

  /** The reader's question for a reply's first bytes: does a pending call want its payload in place? */
  private locateDirect(prefix: Uint8Array, recordLength: number): DirectPayload | null {
    if (prefix.length < 4) return null;
    const xid = ((prefix[0]) * 0x1000000 + (((prefix[1]) << 16) | ((prefix[2]) << 8) | (prefix[3]))) >>> 0;
    const call = this.pending.get(xid);
    const direct = call?.direct;
    if (call === undefined || direct === null || direct === undefined || call.done) return null;
    const at = direct.locate(prefix, recordLength);
    if (at === null || at.length > direct.sink.length) return null;
    return {
      sink: direct.sink.subarray(0, at.length),
      start: at.start,
      done: () => {
        direct.received = true;
        this.inPlaceReplies++;
        this.finish(call, undefined, undefined);
      },
    };
  }

  /** The byte stream cannot be trusted any more: drop it; pending calls are retried or fail. */
  private streamBroken(err: Error): void {
    this.connectError = err instanceof RpcError ? err : new RpcDecodeError(err.message);
    this.socket?.destroy();
  }

  private finish(call: RpcCall, results: Reader | undefined, error: Error | undefined): void {
    if (call.done) return;
    call.done = true;
    if (call.direct !== null) this.directPending--;
    // A failed call's buffer is the caller's again: nothing more may land in it.
    if (error !== undefined && call.direct !== null && !call.direct.received && this.reader.cancel(call.direct.sink)) this.socket?.destroy();
    call.results = results;
    call.error = error;
    this.pending.delete(call.xid);
    this.inFlight--;
    if (call.waiter !== null) {
      this.toWake.push(call.waiter);
      call.waiter = null;
    }
    const next = this.slotWaiters.shift();
    if (next !== undefined) this.toWake.push(next);
    if (this.pending.size === 0) this.disarmTimer();
  }

  /** Wake the coroutines whose calls finished, with the socket corked so their next requests go out together. */
  private flushWakes(): void {
    if (this.toWake.length === 0) return;
    const list = this.toWake;
    this.toWake = [];
    const s = this.state === 'connected' ? this.socket : null;
    s?.cork();
    let failure: unknown = undefined;
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

  private armTimer(): void {
    if (this.timer !== null) return;
    const period = Math.max(10, Math.min(500, this.timeoutMs / 4));
    this.timer = setInterval(() => this.checkDeadlines(), period);
  }

  private disarmTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private checkDeadlines(): void {
    const now = Date.now();
    for (const call of [...this.pending.values()]) {
      if (call.deadline <= now) {
        const cause = this.state === 'connected' ? undefined : this.connectError;
        const err = new RpcTimeoutError(`${call.what} to ${this.host}:${this.port}`, this.timeoutMs);
        if (cause) err.message += ` (${cause.message})`;
        this.finish(call, undefined, err);
      }
    }
    this.flushWakes();
  }
}

/**
 * A record whose arguments end with an empty opaque, grown by `payload`: the
 * opaque's length and the record marker are patched, the bytes follow as
 * their own pieces (and XDR's padding to four bytes).
 */
function withPayload(head: Uint8Array, payload: Uint8Array): Uint8Array[] {
  const dv = new DataView(head.buffer, head.byteOffset, head.length);
  const marker = dv.getUint32(0);
  const pad = (4 - (payload.length & 3)) & 3;
  const len = (marker & 0x7fffffff) + payload.length + pad;
  if (head.length < 8 || marker < 0x80000000 || dv.getUint32(head.length - 4) !== 0 || len > 0x7fffffff) {
    throw new RpcError('RPC payload: the arguments must end with an empty opaque, in one record fragment');
  }
  dv.setUint32(head.length - 4, payload.length);
  dv.setUint32(0, (0x80000000 | len) >>> 0);
  return pad === 0 ? [head, payload] : [head, payload, XDR_PAD.subarray(0, pad)];
}

/** Write a record's pieces; corked, so they leave in one writev. */
function writeChunks(s: Socket, chunks: readonly Uint8Array[]): void {
  if (chunks.length === 1) {
    s.write(chunks[0]);
    return;
  }
  s.cork();
  for (const c of chunks) s.write(c);
  s.uncork();
}

function toRpcError(err: NodeJS.ErrnoException, host: string, port: number): RpcError {
  if (err instanceof RpcError) return err;
  return new RpcConnectionError(`Failed to connect to ${host}:${port}: ${err.message}`, errnoFromCode(err.code), { cause: err });
}
