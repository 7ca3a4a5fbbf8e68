/**
 * The transmission phase of one client (QEMU's nbd_trip per request): the
 * receive coroutine reads request headers (and a WRITE's payload, so the
 * stream stays in step) and starts one coroutine per request; each does its
 * I/O on the export's BlockBackend and sends its reply under the client's
 * send CoMutex, waiting for the socket to drain before giving the lock up,
 * so replies never interleave and a slow reader holds back only its own
 * requests. At most `maxRequests` requests and `maxPayloadBytes` of WRITE
 * payload are in flight; beyond that the receive coroutine stops reading and
 * TCP holds the client back. Malformed requests (bad magic, oversized
 * writes) drop the connection with a logged reason.
 */
import { CoMutex, coroutineCreate, coroutineEnter, coroutineSelf, coroutineWake, coroutineYield, deferCallBegin, deferCallEnd, type Co, type Coroutine } from '@qco/core';
import { BDRV_BLOCK_ZERO, type BlockRequestFlags } from '../../block/block-driver.js';
import type { BlockStatusAbove } from '../../block/block-status.js';
import { BlockError } from '../../block/errors.js';
import { IoVector } from '../../block/iov.js';
import {
  NBD_CMD_BLOCK_STATUS,
  NBD_CMD_CACHE,
  NBD_CMD_DISC,
  NBD_CMD_FLAG_DF,
  NBD_CMD_FLAG_FAST_ZERO,
  NBD_CMD_FLAG_FUA,
  NBD_CMD_FLAG_NO_HOLE,
  NBD_CMD_FLAG_REQ_ONE,
  NBD_CMD_FLUSH,
  NBD_CMD_READ,
  NBD_CMD_TRIM,
  NBD_CMD_WRITE,
  NBD_CMD_WRITE_ZEROES,
  NBD_EINVAL,
  NBD_EIO,
  NBD_ENOTSUP,
  NBD_EPERM,
  NBD_MAX_BUFFER_SIZE,
  NBD_REPLY_FLAG_DONE,
  NBD_REPLY_TYPE_BLOCK_STATUS,
  NBD_REPLY_TYPE_ERROR,
  NBD_REPLY_TYPE_NONE,
  NBD_REPLY_TYPE_OFFSET_DATA,
  NBD_REPLY_TYPE_OFFSET_HOLE,
  NBD_REQUEST_SIZE,
  NBD_SIMPLE_REPLY_SIZE,
  NBD_STRUCTURED_REPLY_SIZE,
} from '../../nbd/constants.js';
import {
  NbdProtocolError,
  decodeRequest,
  encodeChunkHeader,
  encodeErrorChunk,
  encodeSimpleReply,
  writeChunkHeader,
  writeSimpleReply,
  writeUint64BE,
  type NbdRequest,
} from '../../nbd/codec.js';
import { nbdErrorFromErrno } from '../../nbd/errno.js';
import type { NbdStream } from '../../nbd/stream.js';
import { contextExtents } from './meta-contexts.js';
import { giveReadBuffer, takeReadBuffer } from './read-buffers.js';
import type { NegotiatedSession } from './server-handshake.js';

/** Limits of one client's transmission phase. */
export interface TransmissionLimits {
  /** Requests worked on at once (default 64). */
  readonly maxRequests: number;
  /** WRITE payload bytes held at once (default 64 MiB; one request may always be in flight). */
  readonly maxPayloadBytes: number;
}

/** READ replies up to this size go out as one buffer, header and data together. */
const INLINE_REPLY_MAX = 64 * 1024;

/** A request that fails with an NBD error value and a message for the error chunk. */
class RequestError extends Error {
  constructor(
    readonly nbdError: number,
    message: string,
  ) {
    super(message);
  }
}

const VALID_FLAGS: Readonly<Partial<Record<number, number>>> = {
  [NBD_CMD_READ]: NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_DF,
  [NBD_CMD_WRITE]: NBD_CMD_FLAG_FUA,
  [NBD_CMD_FLUSH]: NBD_CMD_FLAG_FUA,
  [NBD_CMD_TRIM]: NBD_CMD_FLAG_FUA,
  [NBD_CMD_CACHE]: NBD_CMD_FLAG_FUA,
  [NBD_CMD_WRITE_ZEROES]: NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_NO_HOLE | NBD_CMD_FLAG_FAST_ZERO,
  [NBD_CMD_BLOCK_STATUS]: NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_REQ_ONE,
};

/** One client's transmission phase. */
export class ServerTransmission {
  private readonly sendLock = new CoMutex();
  private inFlight = 0;
  private payloadBytes = 0;
  private receiver: Coroutine | null = null;
  private idleWaiter: Coroutine | null = null;
  /** Requests served (for tests and stats). */
  served = 0;

  constructor(
    private readonly stream: NbdStream,
    private readonly session: NegotiatedSession,
    private readonly limits: TransmissionLimits,
  ) {}

  /** The receive loop (coroutine_fn): returns on NBD_CMD_DISC once in-flight requests are answered; throws on a broken stream or protocol. */
  *run(): Co {
    // Requests that arrived together are started in one defer-call section, so
    // their I/O reaches the node's submission queue as one batch (one submit
    // for the thread pool or io_uring) instead of one per request. The section
    // is closed before this coroutine can yield: nothing else runs inside it.
    let batch = false;
    const endBatch = (): void => {
      if (batch) {
        batch = false;
        deferCallEnd();
      }
    };
    try {
      for (;;) {
        if (this.stream.pending < NBD_REQUEST_SIZE || this.inFlight >= this.limits.maxRequests) endBatch();
        while (this.inFlight >= this.limits.maxRequests) yield* this.waitSlot();
        const hdr = yield* this.stream.read(NBD_REQUEST_SIZE);
        const req = decodeRequest(hdr);
        if (req.type === NBD_CMD_DISC) break;
        let payload: Buffer | null = null;
        if (req.type === NBD_CMD_WRITE) {
          if (req.length > NBD_MAX_BUFFER_SIZE) {
            throw new NbdProtocolError(`len (${req.length}) is larger than max len (${NBD_MAX_BUFFER_SIZE})`);
          }
          if (this.stream.pending < req.length || (this.inFlight > 0 && this.payloadBytes + req.length > this.limits.maxPayloadBytes)) endBatch();
          while (this.inFlight > 0 && this.payloadBytes + req.length > this.limits.maxPayloadBytes) yield* this.waitSlot();
          // read() allocates once the bytes are here, so a length claimed and never sent costs nothing.
          payload = req.length === 0 ? Buffer.alloc(0) : yield* this.stream.read(req.length);
          this.payloadBytes += req.length;
        }
        if (!batch) {
          batch = true;
          deferCallBegin();
        }
        this.inFlight++;
        coroutineEnter(coroutineCreate(requestEntry, { t: this, req, payload }));
      }
    } finally {
      endBatch();
      yield* this.waitIdle();
    }
  }

  private *waitSlot(): Co {
    this.receiver = coroutineSelf();
    yield* coroutineYield();
  }

  private *waitIdle(): Co {
    while (this.inFlight > 0) {
      this.idleWaiter = coroutineSelf();
      yield* coroutineYield();
    }
  }

  /** @internal A request coroutine finished. */
  finished(payload: Buffer | null): void {
    this.inFlight--;
    this.served++;
    if (payload !== null) this.payloadBytes -= payload.length;
    const r = this.receiver;
    if (r !== null) {
      this.receiver = null;
      coroutineWake(r);
    }
    if (this.inFlight === 0 && this.idleWaiter !== null) {
      const w = this.idleWaiter;
      this.idleWaiter = null;
      coroutineWake(w);
    }
  }

  /** @internal Handle one request and send its reply. */
  *handle(req: NbdRequest, payload: Buffer | null): Co {
    const { exp, structured } = this.session;
    try {
      this.check(req);
      switch (req.type) {
        case NBD_CMD_READ:
          return yield* this.read(req);
        case NBD_CMD_WRITE:
          yield* exp.blk.coPwrite(req.offset, payload as Buffer, fua(req));
          break;
        case NBD_CMD_FLUSH:
          yield* exp.blk.coFlush();
          break;
        case NBD_CMD_TRIM:
          // Advisory (proto.md): the node deallocates where it can; FUA makes it durable.
          yield* exp.blk.coPdiscard(req.offset, req.length);
          if (req.flags & NBD_CMD_FLAG_FUA) yield* exp.blk.coFlush();
          break;
        case NBD_CMD_CACHE:
          break;
        case NBD_CMD_WRITE_ZEROES: {
          const flags: BlockRequestFlags = {
            fua: (req.flags & NBD_CMD_FLAG_FUA) !== 0,
            mayUnmap: (req.flags & NBD_CMD_FLAG_NO_HOLE) === 0,
            noFallback: (req.flags & NBD_CMD_FLAG_FAST_ZERO) !== 0,
          };
          // A node without a zero write would write zero buffers: not fast, so refuse as proto.md asks.
          if (flags.noFallback && exp.blk.bs.coPwriteZeroes === undefined) throw new RequestError(NBD_ENOTSUP, 'fast zero not supported');
          yield* exp.blk.coPwriteZeroes(req.offset, req.length, flags);
          if (flags.fua) yield* exp.blk.coFlush();
          break;
        }
        case NBD_CMD_BLOCK_STATUS:
          return yield* this.blockStatus(req);
      }
      yield* this.sendSimple(req.cookie, 0);
    } catch (e) {
      const [err, msg] = toNbdError(e);
      if (structured) yield* this.send([encodeErrorChunk(NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_ERROR, req.cookie, err, msg)]);
      else yield* this.sendSimple(req.cookie, err);
    }
  }

  /** QEMU's nbd_co_receive_request checks. */
  private check(req: NbdRequest): void {
    const { exp, structured, contexts } = this.session;
    const valid = VALID_FLAGS[req.type];
    if (valid === undefined) throw new RequestError(NBD_EINVAL, `unsupported command ${req.type}`);
    if (req.flags & ~valid) throw new RequestError(NBD_EINVAL, `unsupported flags 0x${req.flags.toString(16)} for command ${req.type}`);
    if (req.flags & NBD_CMD_FLAG_DF && !structured) throw new RequestError(NBD_EINVAL, 'DF flag without structured replies');
    const writes = req.type === NBD_CMD_WRITE || req.type === NBD_CMD_TRIM || req.type === NBD_CMD_WRITE_ZEROES;
    if (writes && exp.readOnly) throw new RequestError(NBD_EPERM, 'Export is read only');
    if (req.type !== NBD_CMD_FLUSH && (req.offset > exp.size || req.length > exp.size - req.offset)) {
      throw new RequestError(NBD_EINVAL, 'operation past EOF');
    }
    if (req.type === NBD_CMD_READ && req.length > NBD_MAX_BUFFER_SIZE) {
      throw new RequestError(NBD_EINVAL, `len (${req.length}) is larger than max len (${NBD_MAX_BUFFER_SIZE})`);
    }
    if (req.type === NBD_CMD_BLOCK_STATUS) {
      if (contexts.size === 0) throw new RequestError(NBD_EINVAL, 'CMD_BLOCK_STATUS not negotiated');
      if (req.length === 0) throw new RequestError(NBD_EINVAL, 'need non-zero length');
    }
  }

  private *read(req: NbdRequest): Co {
    const { exp, structured } = this.session;
    if (structured && req.length > 0 && !(req.flags & NBD_CMD_FLAG_DF) && exp.blk.bs.coBlockStatus !== undefined) {
      const st = yield* exp.blk.coBlockStatusAbove(req.offset, req.length);
      // Data all the way (a raw file, a fully allocated range): one OFFSET_DATA chunk from a pooled buffer.
      if ((st.flags & BDRV_BLOCK_ZERO) !== 0 || st.bytes < req.length) return yield* this.sparseRead(req, st);
    }
    if (structured && req.length === 0) {
      if (req.flags & NBD_CMD_FLAG_FUA) yield* exp.blk.coFlush();
      yield* this.send([encodeChunkHeader(NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE, req.cookie, 0)]);
      return;
    }
    // A small reply is read in behind its header and leaves as one buffer (one
    // socket write instead of two: at 4 KiB the writes cost more than the bytes).
    // Large ones, and O_DIRECT nodes that want aligned buffers, keep them apart.
    const hlen = structured ? NBD_STRUCTURED_REPLY_SIZE + 8 : NBD_SIMPLE_REPLY_SIZE;
    const inline = req.length <= INLINE_REPLY_MAX && !exp.blk.bs.flags.cacheDirect;
    const whole = takeReadBuffer(inline ? hlen + req.length : req.length);
    let handedOver = false;
    try {
      const buf = inline ? whole.subarray(hlen, hlen + req.length) : whole.subarray(0, req.length);
      if (req.length > 0) yield* exp.blk.coPreadv(req.offset, req.length, new IoVector(buf));
      if (req.flags & NBD_CMD_FLAG_FUA) yield* exp.blk.coFlush();
      const hdr = inline ? whole.subarray(0, hlen) : Buffer.allocUnsafe(hlen);
      if (structured) {
        writeChunkHeader(hdr, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_OFFSET_DATA, req.cookie, 8 + req.length);
        writeUint64BE(hdr, req.offset, NBD_STRUCTURED_REPLY_SIZE);
      } else {
        writeSimpleReply(hdr, 0, req.cookie);
      }
      handedOver = true;
      yield* this.send(inline ? [whole.subarray(0, hlen + req.length)] : [hdr, buf], () => giveReadBuffer(whole));
    } finally {
      if (!handedOver) giveReadBuffer(whole);
    }
  }

  /**
   * QEMU's nbd_co_send_sparse_read: where the node knows its allocation, a
   * structured READ answers zero ranges with OFFSET_HOLE chunks instead of
   * their bytes, and only the data ranges are read and sent.
   */
  private *sparseRead(req: NbdRequest, first: BlockStatusAbove): Co {
    const { exp } = this.session;
    const chunks: Buffer[] = [];
    const pooled: Buffer[] = [];
    const end = req.offset + req.length;
    let handedOver = false;
    try {
      for (let at = req.offset; at < end; ) {
        const st = at === req.offset ? first : yield* exp.blk.coBlockStatusAbove(at, end - at);
        const n = Math.max(1, Math.min(st.bytes, end - at));
        const last = at + n >= end ? NBD_REPLY_FLAG_DONE : 0;
        if (st.flags & BDRV_BLOCK_ZERO) {
          const h = encodeChunkHeader(last, NBD_REPLY_TYPE_OFFSET_HOLE, req.cookie, 12, 12);
          writeUint64BE(h, at, 20);
          h.writeUInt32BE(n, 28);
          chunks.push(h);
        } else {
          const h = encodeChunkHeader(last, NBD_REPLY_TYPE_OFFSET_DATA, req.cookie, 8 + n, 8);
          writeUint64BE(h, at, 20);
          const whole = takeReadBuffer(n);
          pooled.push(whole);
          const data = whole.subarray(0, n);
          yield* exp.blk.coPreadv(at, n, new IoVector(data));
          chunks.push(h, data);
        }
        at += n;
      }
      if (req.flags & NBD_CMD_FLAG_FUA) yield* exp.blk.coFlush();
      handedOver = true;
      yield* this.send(chunks, () => pooled.forEach(giveReadBuffer));
    } finally {
      if (!handedOver) pooled.forEach(giveReadBuffer);
    }
  }

  private *blockStatus(req: NbdRequest): Co {
    const { exp, contexts } = this.session;
    const one = (req.flags & NBD_CMD_FLAG_REQ_ONE) !== 0;
    const chunks: Buffer[] = [];
    let i = 0;
    for (const [id, name] of contexts) {
      const extents = yield* contextExtents(exp, name, req.offset, req.length, one);
      const payload = 4 + 8 * extents.length;
      const last = ++i === contexts.size;
      const b = encodeChunkHeader(last ? NBD_REPLY_FLAG_DONE : 0, NBD_REPLY_TYPE_BLOCK_STATUS, req.cookie, payload, payload);
      b.writeUInt32BE(id, 20);
      extents.forEach(([len, flags], k) => {
        b.writeUInt32BE(len >>> 0, 24 + 8 * k);
        b.writeUInt32BE(flags >>> 0, 28 + 8 * k);
      });
      chunks.push(b);
    }
    yield* this.send(chunks);
  }

  private *sendSimple(cookie: bigint, err: number): Co {
    yield* this.send([encodeSimpleReply(err, cookie)]);
  }

  /** Send one whole reply under the send lock; wait for the socket to drain before releasing it. */
  private *send(bufs: Buffer[], sent?: () => void): Co {
    if (this.stream.closed) {
      sent?.();
      return;
    }
    yield* this.sendLock.lock();
    try {
      if (bufs.length > 1) this.stream.cork();
      const last = bufs.length - 1;
      bufs.forEach((b, i) => this.stream.write(b, i === last ? sent : undefined));
      if (bufs.length > 1) this.stream.uncork();
      yield* this.stream.drain();
    } catch {
      // The client went away: nothing more to tell it.
    } finally {
      this.sendLock.unlock();
    }
  }
}

function fua(req: NbdRequest): BlockRequestFlags {
  return req.flags & NBD_CMD_FLAG_FUA ? { fua: true } : {};
}

function toNbdError(e: unknown): [number, string] {
  if (e instanceof RequestError) return [e.nbdError, e.message];
  if (e instanceof BlockError) {
    const err = nbdErrorFromErrno(e.errno);
    return [err === 0 ? NBD_EIO : err, e.message];
  }
  return [NBD_EIO, e instanceof Error ? e.message : String(e)];
}


interface RequestOpaque {
  t: ServerTransmission;
  req: NbdRequest;
  payload: Buffer | null;
}

function* requestEntry(o: RequestOpaque): Co {
  try {
    yield* o.t.handle(o.req, o.payload);
  } finally {
    o.t.finished(o.payload);
  }
}
