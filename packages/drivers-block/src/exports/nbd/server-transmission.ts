/**
 * The transmission phase of one client (QEMU's nbd_trip per request): the
 * receive coroutine reads request headers (and a WRITE's payload, so the
 * stream stays in step) and starts one coroutine per request; each does its
 * I/O on the export's BlockBackend and sends its reply under the client's
 * send CoMutex, waiting for the socket to drain before giving the lock up,
 * so replies never interleave and a slow reader holds back only its own
 * requests (a reply that finds the lock free and the socket not backed up
 * is just written: the same order, without a frame per reply). At most `maxRequests` requests and `maxPayloadBytes` of WRITE
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
  decodeRequestInto,
  encodeChunkHeader,
  encodeErrorChunk,
  encodeSimpleReply,
  writeChunkHeader,
  writeSimpleReply,
  writeUint64BE,
  type NbdRequestHeader,
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

/** How far past a READ block status looks for data, so the next reads find it known (NbdExport.dataStart). */
const DATA_PROBE_BYTES = 64 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/** One request being served: its header, parsed in place from the receive buffer, and a WRITE's payload. */
class ServerRequest implements NbdRequestHeader {
  flags = 0;
  type = 0;
  cookieHi = 0;
  cookieLo = 0;
  offset = 0;
  length = 0;
  payload: Buffer | null = null;

  constructor(readonly t: ServerTransmission) {}
}

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
  ) {
    // READ replies lie in pooled buffers: back to the pool once the socket has taken them.
    stream.onWritten = giveReadBuffer;
  }

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
        const stream = this.stream;
        if (stream.pending < NBD_REQUEST_SIZE) yield* stream.fill(NBD_REQUEST_SIZE);
        // The header is parsed where the socket's chunk holds it: no view, no copy, no BigInt.
        const req = new ServerRequest(this);
        const chunk = stream.peek(NBD_REQUEST_SIZE);
        if (chunk !== null) {
          decodeRequestInto(chunk, stream.readOffset, req);
          stream.advance(NBD_REQUEST_SIZE);
        } else {
          decodeRequestInto(stream.take(NBD_REQUEST_SIZE), 0, req);
        }
        if (req.type === NBD_CMD_DISC) break;
        if (req.type === NBD_CMD_WRITE) {
          if (req.length > NBD_MAX_BUFFER_SIZE) {
            throw new NbdProtocolError(`len (${req.length}) is larger than max len (${NBD_MAX_BUFFER_SIZE})`);
          }
          if (stream.pending < req.length || (this.inFlight > 0 && this.payloadBytes + req.length > this.limits.maxPayloadBytes)) endBatch();
          while (this.inFlight > 0 && this.payloadBytes + req.length > this.limits.maxPayloadBytes) yield* this.waitSlot();
          // read() allocates once the bytes are here, so a length claimed and never sent costs nothing.
          if (req.length === 0) req.payload = EMPTY;
          else req.payload = stream.pending >= req.length ? stream.take(req.length) : yield* stream.read(req.length);
          this.payloadBytes += req.length;
        }
        if (!batch) {
          batch = true;
          deferCallBegin();
        }
        this.inFlight++;
        coroutineEnter(coroutineCreate(requestEntry, req));
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
  finished(req: ServerRequest): void {
    this.inFlight--;
    this.served++;
    if (req.payload !== null) this.payloadBytes -= req.payload.length;
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

  /** @internal Every command but READ, and its simple reply. */
  *command(req: ServerRequest): Co {
    const { exp } = this.session;
    switch (req.type) {
      case NBD_CMD_WRITE:
        forgetData(exp);
        yield* exp.blk.coPwrite(req.offset, req.payload as Buffer, fua(req));
        break;
      case NBD_CMD_FLUSH:
        yield* exp.blk.coFlush();
        break;
      case NBD_CMD_TRIM:
        forgetData(exp);
        // Advisory (proto.md): the node deallocates where it can; FUA makes it durable.
        yield* exp.blk.coPdiscard(req.offset, req.length);
        forgetData(exp);
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
        forgetData(exp);
        yield* exp.blk.coPwriteZeroes(req.offset, req.length, flags);
        forgetData(exp);
        if (flags.fua) yield* exp.blk.coFlush();
        break;
      }
      case NBD_CMD_BLOCK_STATUS:
        return yield* this.blockStatus(req);
    }
    yield* this.send([encodeSimpleReply(0, req)]);
  }

  /** @internal The error reply of a failed request. */
  *replyError(req: ServerRequest, e: unknown): Co {
    const [err, msg] = toNbdError(e);
    yield* this.send([this.session.structured ? encodeErrorChunk(NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_ERROR, req, err, msg) : encodeSimpleReply(err, req)]);
  }

  /** @internal QEMU's nbd_co_receive_request checks. */
  check(req: ServerRequest): void {
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

  /** @internal NBD_CMD_READ. */
  *read(req: ServerRequest): Co {
    const { exp, structured } = this.session;
    const len = req.length;
    if (structured && len > 0 && !(req.flags & NBD_CMD_FLAG_DF) && exp.blk.bs.coBlockStatus !== undefined && (req.offset < exp.dataStart || req.offset + len > exp.dataEnd)) {
      const st = yield* exp.blk.coBlockStatusAbove(req.offset, Math.min(exp.size - req.offset, Math.max(len, DATA_PROBE_BYTES)));
      // Data all the way (a raw file, a fully allocated range): one OFFSET_DATA chunk from a pooled buffer.
      if ((st.flags & BDRV_BLOCK_ZERO) !== 0 || st.bytes < len) return yield* this.sparseRead(req, st);
      exp.dataStart = req.offset;
      exp.dataEnd = req.offset + st.bytes;
    }
    if (structured && len === 0) {
      if (req.flags & NBD_CMD_FLAG_FUA) yield* exp.blk.coFlush();
      return yield* this.send([encodeChunkHeader(NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE, req, 0)]);
    }
    // A small reply is read in behind its header and leaves as one buffer (one
    // socket write instead of two: at 4 KiB the writes cost more than the bytes).
    // Large ones, and O_DIRECT nodes that want aligned buffers, keep them apart.
    const hlen = structured ? NBD_STRUCTURED_REPLY_SIZE + 8 : NBD_SIMPLE_REPLY_SIZE;
    const inline = len <= INLINE_REPLY_MAX && !exp.blk.bs.flags.cacheDirect;
    const whole = takeReadBuffer(inline ? hlen + len : len);
    const buf = inline ? whole.subarray(hlen, hlen + len) : whole.subarray(0, len);
    const hdr = inline ? whole : Buffer.allocUnsafe(hlen);
    try {
      if (len > 0) yield* exp.blk.coPreadv(req.offset, len, new IoVector(buf));
      if (req.flags & NBD_CMD_FLAG_FUA) yield* exp.blk.coFlush();
    } catch (e) {
      giveReadBuffer(whole);
      throw e;
    }
    if (structured) {
      writeChunkHeader(hdr, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_OFFSET_DATA, req, 8 + len);
      writeUint64BE(hdr, req.offset, NBD_STRUCTURED_REPLY_SIZE);
    } else {
      writeSimpleReply(hdr, 0, req);
    }
    const out = inline ? whole.subarray(0, hlen + len) : hdr;
    // The common case, a small reply with the lock free: written here, no array and no frame.
    if (inline && this.canReplyNow()) this.stream.write(out, whole);
    else yield* this.sendLocked(inline ? [out] : [out, buf], [whole]);
  }

  /**
   * QEMU's nbd_co_send_sparse_read: where the node knows its allocation, a
   * structured READ answers zero ranges with OFFSET_HOLE chunks instead of
   * their bytes, and only the data ranges are read and sent.
   */
  private *sparseRead(req: ServerRequest, first: BlockStatusAbove): Co {
    const { exp } = this.session;
    const chunks: Buffer[] = [];
    const pooled: Buffer[] = [];
    const end = req.offset + req.length;
    try {
      for (let at = req.offset; at < end; ) {
        const st = at === req.offset ? first : yield* exp.blk.coBlockStatusAbove(at, end - at);
        const n = Math.max(1, Math.min(st.bytes, end - at));
        const last = at + n >= end ? NBD_REPLY_FLAG_DONE : 0;
        if (st.flags & BDRV_BLOCK_ZERO) {
          const h = encodeChunkHeader(last, NBD_REPLY_TYPE_OFFSET_HOLE, req, 12, 12);
          writeUint64BE(h, at, 20);
          h.writeUInt32BE(n, 28);
          chunks.push(h);
        } else {
          const h = encodeChunkHeader(last, NBD_REPLY_TYPE_OFFSET_DATA, req, 8 + n, 8);
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
    } catch (e) {
      pooled.forEach(giveReadBuffer);
      throw e;
    }
    yield* this.send(chunks, pooled);
  }

  private *blockStatus(req: ServerRequest): Co {
    const { exp, contexts } = this.session;
    const one = (req.flags & NBD_CMD_FLAG_REQ_ONE) !== 0;
    const chunks: Buffer[] = [];
    let i = 0;
    for (const [id, name] of contexts) {
      const extents = yield* contextExtents(exp, name, req.offset, req.length, one);
      const payload = 4 + 8 * extents.length;
      const last = ++i === contexts.size;
      const b = encodeChunkHeader(last ? NBD_REPLY_FLAG_DONE : 0, NBD_REPLY_TYPE_BLOCK_STATUS, req, payload, payload);
      b.writeUInt32BE(id, 20);
      extents.forEach(([len, flags], k) => {
        b.writeUInt32BE(len >>> 0, 24 + 8 * k);
        b.writeUInt32BE(flags >>> 0, 28 + 8 * k);
      });
      chunks.push(b);
    }
    yield* this.send(chunks);
  }

  /**
   * Whether a reply can be written at once: no coroutine holds the send lock
   * and the socket is not backed up — then taking the lock, writing, finding
   * nothing to drain and unlocking is just the write, so it costs no frame.
   * Otherwise the request waits its turn in `sendLocked`, still counted in
   * flight, so a client that stops reading replies stops being read too.
   */
  private canReplyNow(): boolean {
    return !this.sendLock.locked && this.stream.writable;
  }

  /** @internal Send a reply of one or more buffers (never interleaved with another's); `owners` go back to the read-buffer pool once written. */
  *send(bufs: Buffer[], owners: Buffer[] = []): Co {
    if (this.canReplyNow()) this.writeParts(bufs, owners);
    else yield* this.sendLocked(bufs, owners);
  }

  private writeParts(bufs: Buffer[], owners: Buffer[]): void {
    for (const b of bufs) this.stream.write(b);
    for (const o of owners) this.stream.releaseAfterWrites(o);
  }

  /** Send one whole reply under the send lock; wait for the socket to drain before releasing it. */
  private *sendLocked(bufs: Buffer[], owners: Buffer[]): Co {
    if (this.stream.closed) {
      this.writeParts(bufs, owners);
      return;
    }
    yield* this.sendLock.lock();
    try {
      this.writeParts(bufs, owners);
      yield* this.stream.drain();
    } catch {
      // The client went away: nothing more to tell it.
    } finally {
      this.sendLock.unlock();
    }
  }
}

function fua(req: ServerRequest): BlockRequestFlags {
  return req.flags & NBD_CMD_FLAG_FUA ? { fua: true } : {};
}

/** Writes through the export may make holes: what block status said about data no longer holds. */
function forgetData(exp: NegotiatedSession['exp']): void {
  exp.dataEnd = exp.dataStart;
}

function toNbdError(e: unknown): [number, string] {
  if (e instanceof RequestError) return [e.nbdError, e.message];
  if (e instanceof BlockError) {
    const err = nbdErrorFromErrno(e.errno);
    return [err === 0 ? NBD_EIO : err, e.message];
  }
  return [NBD_EIO, e instanceof Error ? e.message : String(e)];
}

/** One request's coroutine (QEMU's nbd_trip): check, serve, reply. */
function* requestEntry(req: ServerRequest): Co {
  const t = req.t;
  try {
    t.check(req);
    if (req.type === NBD_CMD_READ) yield* t.read(req);
    else yield* t.command(req);
  } catch (e) {
    yield* t.replyError(req, e);
  } finally {
    t.finished(req);
  }
}

