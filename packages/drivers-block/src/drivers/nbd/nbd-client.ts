/**
 * One NBD client connection with reconnection (QEMU's block/nbd.c): requests
 * are sent whole (header and WRITE payload in one corked write) by the
 * coroutine that makes them, which then yields; one reply coroutine per
 * connection reads reply headers, matches cookies, reads READ data straight
 * into the caller's buffer and wakes the request's coroutine when its last
 * chunk arrived. At most `maxInFlight` requests are out; more wait.
 *
 * When the connection drops, requests stay queued if `reconnectDelayMs` > 0:
 * a reconnect loop (backing off to 1 s) negotiates again and resends every
 * request still waiting, under its cookie, so callers see nothing while the
 * delay lasts; once it has passed, waiting and new requests fail with EIO
 * (reconnection goes on in the background, as QEMU's does). With no delay, a
 * lost connection fails everything at once and for good.
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { coroutineCreate, coroutineEnter, coroutineSelf, coroutineWake, coroutineYield, type Co, type Coroutine } from '@qco/core';
import { coAwait, coWaitFor } from '@qco/core';
import { BlockError, BlockIoError } from '../../block/errors.js';
import { Errno } from '../../block/errno.js';
import {
  NBD_CMD_BLOCK_STATUS,
  NBD_CMD_READ,
  NBD_OPT_ABORT,
  NBD_REPLY_FLAG_DONE,
  NBD_REPLY_TYPE_BLOCK_STATUS,
  NBD_REPLY_TYPE_ERROR_BIT,
  NBD_REPLY_TYPE_ERROR_OFFSET,
  NBD_REPLY_TYPE_NONE,
  NBD_REPLY_TYPE_OFFSET_DATA,
  NBD_REPLY_TYPE_OFFSET_HOLE,
  NBD_SIMPLE_REPLY_MAGIC,
  NBD_STRUCTURED_REPLY_MAGIC,
} from '../../nbd/constants.js';
import { encodeOptionRequest, encodeRequest } from '../../nbd/codec.js';
import { errnoFromNbdError } from '../../nbd/errno.js';
import { NbdStream } from '../../nbd/stream.js';
import { tcpQuickAck } from '../../nbd/tcp-quickack.js';
import type { TlsCredsX509 } from '../../nbd/tls-creds.js';
import { clientHandshake, type NbdExportInfo } from './nbd-client-handshake.js';
import { NbdClientError } from './nbd-errors.js';

/** Where the server is. */
export type NbdServerAddress = { readonly type: 'inet'; readonly host: string; readonly port: number } | { readonly type: 'unix'; readonly path: string };

/** Options of one client. */
export interface NbdClientOptions {
  /** Server address. */
  readonly server: NbdServerAddress;
  /** Export name. */
  readonly exportName: string;
  /** TLS credentials (endpoint=client). */
  readonly tlsCreds?: TlsCredsX509;
  /** Name the server certificate must carry (default: the host). */
  readonly tlsHostname?: string;
  /** How long requests wait for a reconnection (QEMU's reconnect-delay, here in ms; 0: fail at once). */
  readonly reconnectDelayMs?: number;
  /** How long the first connection may take, retrying (QEMU's open-timeout, ms; 0: one try). */
  readonly openTimeoutMs?: number;
  /** Requests in flight at most (default 64). */
  readonly maxInFlight?: number;
}

/** One request, kept until its reply (and resent after a reconnect). */
interface ClientRequest {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly length: number;
  readonly payload: Uint8Array | null;
  readonly dst: Uint8Array | null;
  readonly cookie: bigint;
  done: boolean;
  sent: boolean;
  errno: number;
  message: string;
  extents: Array<[number, number]> | null;
  waiter: Coroutine | null;
}

/** What a finished request gives back. */
export interface NbdRequestResult {
  /** BLOCK_STATUS: the extents of the base:allocation context. */
  readonly extents: ReadonlyArray<readonly [number, number]> | null;
}

type State = 'connected' | 'reconnecting' | 'failed' | 'closed';

const sleep = (ms: number): Co => coWaitFor((done) => setTimeout(() => done(null), ms).unref());

/** An NBD client connection. */
export class NbdClient {
  /** What the server said about the export (after connect). */
  info!: NbdExportInfo;
  private stream: NbdStream | null = null;
  private state: State = 'reconnecting';
  private cookie = 1n;
  private readonly pending = new Map<bigint, ClientRequest>();
  private readonly slotWaiters: Coroutine[] = [];
  private lostAt = 0;
  private delayTimer: NodeJS.Timeout | null = null;
  private failFast = false;
  private reconnecting = false;
  /** Successful connections (the first one included). */
  connects = 0;

  constructor(readonly opts: NbdClientOptions) {}

  /** Requests waiting for a reply. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Connect and negotiate (coroutine_fn). */
  *connect(): Co {
    const deadline = Date.now() + (this.opts.openTimeoutMs ?? 0);
    for (let backoff = 50; ; backoff = Math.min(backoff * 2, 1000)) {
      try {
        yield* this.establish(true);
        return;
      } catch (e) {
        if (this.state === 'closed' || Date.now() + backoff > deadline || e instanceof NbdClientError) {
          this.state = 'closed';
          throw e;
        }
        yield* sleep(backoff);
      }
    }
  }

  /**
   * Connect. Without TLS the socket reads through net's `onread`: while a
   * READ's payload is awaited the kernel reads straight into the caller's
   * buffer (NbdStream.nextReadBuffer), otherwise into the stream's recycled
   * receive buffers once negotiation is over, and before that into one
   * reused buffer, whose bytes go to `sink`.
   */
  private *openSocket(sink: { stream: NbdStream | null; early: Buffer[] } | null): Co<Socket> {
    const a = this.opts.server;
    const fallback = Buffer.allocUnsafe(16 * 1024);
    const onread =
      sink === null
        ? undefined
        : {
            buffer: (): Uint8Array => (sink.stream !== null ? sink.stream.nextReadBuffer(fallback) : fallback),
            callback: (n: number, buf: Uint8Array): boolean => {
              if (sink.stream !== null) sink.stream.pushFrom(buf, n);
              else sink.early.push(Buffer.from(buf.subarray(0, n)));
              return true;
            },
          };
    return yield* coWaitFor<Socket>((done) => {
      const s =
        a.type === 'unix'
          ? netConnect({ path: a.path, ...(onread ? { onread } : {}) })
          : netConnect({ host: a.host, port: a.port, noDelay: true, ...(onread ? { onread } : {}) });
      const onErr = (err: NodeJS.ErrnoException): void => {
        done(new BlockError(`Failed to connect to '${a.type === 'unix' ? a.path : `${a.host}:${a.port}`}': ${err.message.replace(/^connect /, '')}`, errnoCode(err.code)));
      };
      s.once('error', onErr);
      s.once('connect', () => {
        s.off('error', onErr);
        done(null, s);
      });
    });
  }

  private *establish(first: boolean): Co {
    const sink = this.opts.tlsCreds === undefined ? { stream: null as NbdStream | null, early: [] as Buffer[] } : null;
    const sock = yield* this.openSocket(sink);
    const stream = new NbdStream(sock);
    if (sink !== null) {
      sink.stream = stream;
      for (const b of sink.early.splice(0)) stream.pushFrom(b, b.length);
    }
    try {
      const creds = this.opts.tlsCreds;
      const info = yield* clientHandshake(stream, {
        exportName: this.opts.exportName,
        ...(this.opts.server.type === 'inet' ? { awaitingReply: () => tcpQuickAck(sock) } : {}),
        ...(creds !== undefined ? { starttls: (st: NbdStream) => this.starttls(st, creds) } : {}),
      });
      if (!first && info.size !== this.info.size) throw new NbdClientError('Export size changed across reconnection');
      this.info = info;
    } catch (e) {
      // As QEMU's client: tell a server that refused us that we are leaving (NBD_OPT_ABORT) rather than just hanging up.
      if (e instanceof NbdClientError && !stream.closed) {
        stream.write(encodeOptionRequest(NBD_OPT_ABORT));
        stream.end();
      } else {
        stream.destroy();
      }
      throw e;
    }
    // The reply loop parses each header as soon as it has read it: the socket may read into recycled buffers.
    if (sink !== null) stream.recycleReceiveBuffers();
    this.stream = stream;
    this.state = 'connected';
    this.failFast = false;
    this.connects++;
    if (this.delayTimer !== null) clearTimeout(this.delayTimer);
    this.delayTimer = null;
    coroutineEnter(coroutineCreate(replyEntry, { c: this, stream }));
    // Resend what the lost connection left unanswered, in cookie order.
    for (const r of this.pending.values()) if (!r.sent) this.transmit(r);
  }

  private *starttls(stream: NbdStream, creds: TlsCredsX509): Co {
    // Loaded only here: most connections never upgrade, and node:tls is one of the heavier modules to load.
    const { connect: tlsConnect } = yield* coAwait(import('node:tls'));
    const raw = stream.detach() as Socket;
    const host = this.opts.tlsHostname ?? (this.opts.server.type === 'inet' ? this.opts.server.host : 'localhost');
    const tls: TLSSocket = tlsConnect({
      socket: raw,
      ...creds.secureContextOptions(),
      // The certificate is checked against `host` (IP literals against IP SANs); SNI only for names.
      host,
      ...(/^[0-9.:]+$/.test(host) ? {} : { servername: host }),
      rejectUnauthorized: creds.verifyPeer,
      ...(creds.verifyPeer ? {} : { checkServerIdentity: () => undefined }),
    });
    yield* coWaitFor((done) => {
      const onErr = (err: Error): void => done(new NbdClientError(`TLS handshake failed: ${err.message}`, 5));
      tls.once('error', onErr);
      tls.once('secureConnect', () => {
        tls.off('error', onErr);
        done(null);
      });
    });
    stream.reattach(tls);
  }

  /** Send a request and wait for its reply (coroutine_fn). Throws BlockIoError with the errno the server (or the connection) gave. */
  *request(type: number, flags: number, offset: number, length: number, payload: Uint8Array | null, dst: Uint8Array | null): Co<NbdRequestResult> {
    while (this.pending.size >= (this.opts.maxInFlight ?? 64) && this.state !== 'closed') {
      this.slotWaiters.push(coroutineSelf());
      yield* coroutineYield();
    }
    this.checkUsable();
    const r: ClientRequest = {
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
      message: '',
      extents: null,
      waiter: null,
    };
    this.pending.set(r.cookie, r);
    if (this.state === 'connected') this.transmit(r);
    try {
      if (this.state === 'connected') yield* (this.stream as NbdStream).drain();
    } catch {
      // The connection broke while sending: the reply coroutine's failure handles the request.
    }
    while (!r.done) {
      r.waiter = coroutineSelf();
      yield* coroutineYield();
    }
    if (r.errno !== 0) throw new BlockIoError(r.errno, r.message !== '' ? r.message : undefined);
    return { extents: r.extents };
  }

  private checkUsable(): void {
    if (this.state === 'closed') throw new BlockIoError(Errno.EIO, 'NBD connection closed');
    if (this.state === 'failed' || this.failFast) throw new BlockIoError(Errno.EIO);
  }

  private transmit(r: ClientRequest): void {
    const s = this.stream as NbdStream;
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

  private finish(r: ClientRequest, errno: number, message = ''): void {
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
      coroutineWake(w);
    }
    const next = this.slotWaiters.shift();
    if (next !== undefined) coroutineWake(next);
  }

  /** @internal The reply loop of one connection (coroutine_fn). */
  *receive(stream: NbdStream): Co {
    try {
      for (;;) {
        const hdr = yield* stream.read(4);
        const magic = hdr.readUInt32BE(0);
        if (magic === NBD_SIMPLE_REPLY_MAGIC) {
          const rest = yield* stream.read(12);
          const err = rest.readUInt32BE(0);
          const r = this.lookup(rest.readBigUInt64BE(4));
          if (err === 0 && r.type === NBD_CMD_READ) {
            if (this.info.structured) throw new NbdClientError('server sent a simple reply to a READ after structured replies were negotiated');
            yield* stream.readInto(r.dst as Uint8Array);
          }
          this.finish(r, errnoFromNbdError(err));
        } else if (magic === NBD_STRUCTURED_REPLY_MAGIC) {
          yield* this.chunk(stream, yield* stream.read(16));
        } else {
          throw new NbdClientError(`invalid reply magic 0x${magic.toString(16)}`);
        }
      }
    } catch (e) {
      if (this.stream === stream) this.lost(e as Error);
      stream.destroy();
    }
  }

  private lookup(cookie: bigint): ClientRequest {
    const r = this.pending.get(cookie);
    if (r === undefined || !r.sent) throw new NbdClientError(`server sent a reply for unknown cookie ${cookie}`);
    return r;
  }

  private *chunk(stream: NbdStream, h: Buffer): Co {
    const flags = h.readUInt16BE(0);
    const type = h.readUInt16BE(2);
    const r = this.lookup(h.readBigUInt64BE(4));
    const len = h.readUInt32BE(12);
    const bad = (what: string): never => {
      throw new NbdClientError(`Protocol error: invalid payload for ${what}`);
    };
    if (type === NBD_REPLY_TYPE_NONE) {
      if (len !== 0 || !(flags & NBD_REPLY_FLAG_DONE)) bad('NBD_REPLY_TYPE_NONE');
    } else if (type === NBD_REPLY_TYPE_OFFSET_DATA) {
      if (r.type !== NBD_CMD_READ || len < 9 || len - 8 > r.length) bad('NBD_REPLY_TYPE_OFFSET_DATA');
      const off = Number((yield* stream.read(8)).readBigUInt64BE(0));
      const n = len - 8;
      if (off < r.offset || off + n > r.offset + r.length) bad('NBD_REPLY_TYPE_OFFSET_DATA');
      yield* stream.readInto((r.dst as Uint8Array).subarray(off - r.offset, off - r.offset + n));
    } else if (type === NBD_REPLY_TYPE_OFFSET_HOLE) {
      if (r.type !== NBD_CMD_READ || len !== 12) bad('NBD_REPLY_TYPE_OFFSET_HOLE');
      const p = yield* stream.read(12);
      const off = Number(p.readBigUInt64BE(0));
      const n = p.readUInt32BE(8);
      if (n === 0 || off < r.offset || off + n > r.offset + r.length) bad('NBD_REPLY_TYPE_OFFSET_HOLE');
      (r.dst as Uint8Array).fill(0, off - r.offset, off - r.offset + n);
    } else if (type === NBD_REPLY_TYPE_BLOCK_STATUS) {
      // Bounded: one extent per context is all we ask for (REQ_ONE), a few more are tolerated.
      if (r.type !== NBD_CMD_BLOCK_STATUS || len < 12 || (len - 4) % 8 !== 0 || len > 4 + 8 * 1024) bad('NBD_REPLY_TYPE_BLOCK_STATUS');
      const p = yield* stream.read(len);
      if (p.readUInt32BE(0) === this.info.allocationContext) {
        const ext: Array<[number, number]> = [];
        for (let at = 4; at < len; at += 8) ext.push([p.readUInt32BE(at), p.readUInt32BE(at + 4)]);
        if (ext.some(([n]) => n === 0)) bad('NBD_REPLY_TYPE_BLOCK_STATUS');
        r.extents = ext;
      }
    } else if (type & NBD_REPLY_TYPE_ERROR_BIT) {
      if (len < 6 || len > 6 + 4096 + 8) bad('error chunk');
      const p = yield* stream.read(len);
      const err = p.readUInt32BE(0);
      const mlen = p.readUInt16BE(4);
      if (err === 0 || mlen > len - 6 || (type === NBD_REPLY_TYPE_ERROR_OFFSET && mlen + 14 > len)) bad('error chunk');
      if (r.errno === 0) {
        r.errno = errnoFromNbdError(err);
        r.message = p.toString('utf8', 6, 6 + mlen);
      }
    } else {
      throw new NbdClientError(`server sent unexpected chunk type ${type}`);
    }
    if (flags & NBD_REPLY_FLAG_DONE) {
      // A READ answered by nothing but DONE: fine (zero length); a BLOCK_STATUS without our context is not.
      if (r.type === NBD_CMD_BLOCK_STATUS && r.errno === 0 && r.extents === null) bad('NBD_CMD_BLOCK_STATUS (no extents)');
      this.finish(r, r.errno, r.message);
    }
  }

  /** The connection is gone: keep requests for a reconnection, or fail them. */
  private lost(_why: Error): void {
    this.stream = null;
    if (this.state === 'closed') return;
    const delay = this.opts.reconnectDelayMs ?? 0;
    if (delay <= 0) {
      this.state = 'failed';
      for (const r of [...this.pending.values()]) this.finish(r, Errno.EIO);
      return;
    }
    this.state = 'reconnecting';
    this.lostAt = Date.now();
    for (const r of this.pending.values()) r.sent = false;
    this.delayTimer = setTimeout(() => {
      this.delayTimer = null;
      if (this.state !== 'reconnecting') return;
      this.failFast = true;
      for (const r of [...this.pending.values()]) this.finish(r, Errno.EIO);
    }, delay);
    this.delayTimer.unref();
    if (!this.reconnecting) coroutineEnter(coroutineCreate(reconnectEntry, this));
  }

  /** @internal Reconnect until it works or the client closes (coroutine_fn). */
  *reconnectLoop(): Co {
    this.reconnecting = true;
    try {
      for (let backoff = 50; this.state === 'reconnecting'; backoff = Math.min(backoff * 2, 1000)) {
        try {
          yield* this.establish(false);
          return;
        } catch {
          if ((this.state as State) === 'closed') return;
          yield* sleep(backoff);
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  /** Milliseconds since the connection was lost (0 when connected). */
  get disconnectedMs(): number {
    return this.state === 'reconnecting' ? Date.now() - this.lostAt : 0;
  }

  /** Drop the TCP connection as a network failure would (fault injection in tests). */
  breakConnection(): void {
    this.stream?.destroy();
  }

  /** Send NBD_CMD_DISC and close; requests still waiting fail. */
  close(): void {
    if (this.state === 'closed') return;
    const s = this.stream;
    this.state = 'closed';
    this.stream = null;
    if (this.delayTimer !== null) clearTimeout(this.delayTimer);
    if (s !== null && !s.closed) {
      s.write(encodeRequest({ flags: 0, type: 2, cookie: 0n, offset: 0, length: 0 }));
      s.end();
    }
    for (const r of [...this.pending.values()]) this.finish(r, Errno.EIO, 'NBD connection closed');
    for (const w of this.slotWaiters.splice(0)) coroutineWake(w);
  }
}

function errnoCode(code: string | undefined): number {
  switch (code) {
    case 'ECONNREFUSED':
      return Errno.ECONNREFUSED;
    case 'ENOENT':
      return Errno.ENOENT;
    case 'ETIMEDOUT':
      return Errno.ETIMEDOUT;
    case 'EHOSTUNREACH':
      return Errno.EHOSTUNREACH;
    default:
      return Errno.EIO;
  }
}

function* replyEntry(o: { c: NbdClient; stream: NbdStream }): Co {
  yield* o.c.receive(o.stream);
}

function* reconnectEntry(c: NbdClient): Co {
  yield* c.reconnectLoop();
}

