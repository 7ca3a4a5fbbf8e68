/**
 * The client side of the fixed-newstyle handshake (QEMU's
 * nbd_receive_negotiate): optional STARTTLS, structured replies, the
 * `base:allocation` context, then NBD_OPT_GO asking for block sizes — or
 * NBD_OPT_EXPORT_NAME against servers that answer GO with UNSUP. Every reply
 * length is bounded before it is read, so a hostile server cannot make us
 * allocate what it claims.
 */
import type { Co } from '@qco/core';
import {
  BASE_ALLOCATION,
  NBD_CLIENT_MAGIC,
  NBD_FLAG_C_FIXED_NEWSTYLE,
  NBD_FLAG_C_NO_ZEROES,
  NBD_FLAG_FIXED_NEWSTYLE,
  NBD_FLAG_NO_ZEROES,
  NBD_INFO_BLOCK_SIZE,
  NBD_INFO_EXPORT,
  NBD_INIT_MAGIC,
  NBD_MAX_BUFFER_SIZE,
  NBD_MAX_OPTION_SIZE,
  NBD_OPTS_MAGIC,
  NBD_OPT_EXPORT_NAME,
  NBD_OPT_GO,
  NBD_OPT_SET_META_CONTEXT,
  NBD_OPT_STARTTLS,
  NBD_OPT_STRUCTURED_REPLY,
  NBD_REP_ACK,
  NBD_REP_ERR_UNSUP,
  NBD_REP_FLAG_ERROR,
  NBD_REP_INFO,
  NBD_REP_MAGIC,
  NBD_REP_META_CONTEXT,
} from '../../nbd/constants.js';
import { encodeGoPayload, encodeMetaContextPayload, encodeOptionRequest } from '../../nbd/codec.js';
import type { NbdStream } from '../../nbd/stream.js';
import { NbdClientError, optionErrorMessage } from './nbd-errors.js';

/** What the handshake learnt about the export. */
export interface NbdExportInfo {
  /** Export size in bytes. */
  readonly size: number;
  /** Transmission flags. */
  readonly flags: number;
  /** Structured replies in use. */
  readonly structured: boolean;
  /** Context id of base:allocation, or null when not negotiated. */
  readonly allocationContext: number | null;
  /** Minimum block size (1 when the server named none). */
  readonly minBlock: number;
  /** Preferred block size. */
  readonly preferredBlock: number;
  /** Maximum payload. */
  readonly maxBlock: number;
}

/** What to negotiate. */
export interface ClientHandshakeOptions {
  /** Export name. */
  readonly exportName: string;
  /** Upgrade to TLS first (called after the server's ACK). */
  readonly starttls?: (stream: NbdStream) => Co;
  /** Called whenever part of an option reply is still to come (the client asks the kernel to acknowledge promptly there). */
  readonly awaitingReply?: () => void;
}

interface OptionReply {
  readonly type: number;
  readonly data: Buffer;
}

/** Read `n` bytes of a reply; when they are not all here yet, the caller's awaitingReply runs first. */
function* readPart(stream: NbdStream, n: number, o: ClientHandshakeOptions): Co<Buffer> {
  if (stream.pending < n) o.awaitingReply?.();
  return yield* stream.read(n);
}

function* readReply(stream: NbdStream, opt: number, o: ClientHandshakeOptions): Co<OptionReply> {
  const hdr = yield* readPart(stream, 20, o);
  if (hdr.readBigUInt64BE(0) !== NBD_REP_MAGIC) throw new NbdClientError('Unexpected option reply magic');
  const ropt = hdr.readUInt32BE(8);
  if (ropt !== opt) throw new NbdClientError(`Unexpected option type ${ropt}, expected ${opt}`);
  const type = hdr.readUInt32BE(12);
  const len = hdr.readUInt32BE(16);
  if (len > NBD_MAX_OPTION_SIZE) throw new NbdClientError(`server's reply of ${len} bytes is too long`);
  const data = len === 0 ? Buffer.alloc(0) : Buffer.from(yield* readPart(stream, len, o));
  return { type, data };
}

function replyError(opt: number, r: OptionReply): NbdClientError {
  return new NbdClientError(optionErrorMessage(opt, r.type, r.data.toString('utf8')), 22);
}

/** Negotiate; leaves the stream at the start of the transmission phase. */
export function* clientHandshake(stream: NbdStream, o: ClientHandshakeOptions): Co<NbdExportInfo> {
  const hello = yield* stream.read(16);
  if (hello.readBigUInt64BE(0) !== NBD_INIT_MAGIC) throw new NbdClientError('Invalid magic received');
  const magic = hello.readBigUInt64BE(8);
  if (magic === NBD_CLIENT_MAGIC) throw new NbdClientError('Server does not support non-zero-length export names (oldstyle negotiation)');
  if (magic !== NBD_OPTS_MAGIC) throw new NbdClientError('Bad server magic received');
  const sflags = (yield* stream.read(2)).readUInt16BE(0);
  const fixed = (sflags & NBD_FLAG_FIXED_NEWSTYLE) !== 0;
  const noZeroes = (sflags & NBD_FLAG_NO_ZEROES) !== 0;
  const cflags = Buffer.allocUnsafe(4);
  cflags.writeUInt32BE((fixed ? NBD_FLAG_C_FIXED_NEWSTYLE : 0) | (noZeroes ? NBD_FLAG_C_NO_ZEROES : 0), 0);
  stream.write(cflags);

  if (o.starttls !== undefined) {
    if (!fixed) throw new NbdClientError('Server does not support STARTTLS');
    stream.write(encodeOptionRequest(NBD_OPT_STARTTLS));
    const r = yield* readReply(stream, NBD_OPT_STARTTLS, o);
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
    const r = yield* readReply(stream, NBD_OPT_STRUCTURED_REPLY, o);
    if (r.type === NBD_REP_ACK) structured = true;
    else if (r.type !== NBD_REP_ERR_UNSUP) throw replyError(NBD_OPT_STRUCTURED_REPLY, r);
  }

  let allocationContext: number | null = null;
  if (structured) {
    stream.write(encodeOptionRequest(NBD_OPT_SET_META_CONTEXT, encodeMetaContextPayload(o.exportName, [BASE_ALLOCATION])));
    for (;;) {
      const r = yield* readReply(stream, NBD_OPT_SET_META_CONTEXT, o);
      if (r.type === NBD_REP_ACK) break;
      if (r.type === NBD_REP_META_CONTEXT) {
        if (r.data.length < 4) throw new NbdClientError('Invalid meta context reply');
        if (r.data.toString('utf8', 4) === BASE_ALLOCATION) allocationContext = r.data.readUInt32BE(0);
        continue;
      }
      // An unknown export surfaces in GO with its own message; any other refusal means no block status.
      break;
    }
  }

  stream.write(encodeOptionRequest(NBD_OPT_GO, encodeGoPayload(o.exportName, [NBD_INFO_BLOCK_SIZE])));
  let size = -1;
  let flags = 0;
  let minBlock = 1;
  let preferredBlock = 4096;
  let maxBlock = NBD_MAX_BUFFER_SIZE;
  for (;;) {
    const r = yield* readReply(stream, NBD_OPT_GO, o);
    if (r.type === NBD_REP_ACK) break;
    if (r.type === NBD_REP_ERR_UNSUP) return yield* exportName(stream, o.exportName, structured, noZeroes, allocationContext);
    if (r.type & NBD_REP_FLAG_ERROR) throw replyError(NBD_OPT_GO, r);
    if (r.type !== NBD_REP_INFO) throw new NbdClientError(`Unexpected reply type ${r.type} to option ${NBD_OPT_GO} (go)`);
    if (r.data.length < 2) throw new NbdClientError('Invalid NBD_REP_INFO reply');
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
      if (minBlock === 0 || (minBlock & (minBlock - 1)) !== 0 || minBlock > 65536) {
        throw new NbdClientError(`server minimum block size ${minBlock} is not a power of two`);
      }
    }
  }
  if (size < 0) throw new NbdClientError('Server did not send NBD_INFO_EXPORT');
  if (!Number.isSafeInteger(size)) throw new NbdClientError(`export size ${size} is too large`);
  return { size, flags, structured, allocationContext, minBlock, preferredBlock, maxBlock: Math.min(maxBlock, NBD_MAX_BUFFER_SIZE) };
}

function* exportName(stream: NbdStream, name: string, structured: boolean, noZeroes: boolean, allocationContext: number | null = null): Co<NbdExportInfo> {
  stream.write(encodeOptionRequest(NBD_OPT_EXPORT_NAME, Buffer.from(name, 'utf8')));
  const tail = yield* stream.read(noZeroes ? 10 : 134);
  const size = Number(tail.readBigUInt64BE(0));
  return {
    size,
    flags: tail.readUInt16BE(8),
    structured,
    allocationContext,
    minBlock: 1,
    preferredBlock: 4096,
    maxBlock: NBD_MAX_BUFFER_SIZE,
  };
}
