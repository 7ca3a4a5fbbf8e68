/**
 * Encoders and decoders of NBD's wire structures (big-endian throughout):
 * option requests and replies of the fixed-newstyle handshake, the payloads
 * of NBD_OPT_GO / INFO / *_META_CONTEXT and NBD_REP_INFO, transmission
 * requests, simple replies and structured reply chunks. Decoders of peer
 * input check every length against the enclosing one and throw
 * NbdProtocolError rather than read past it.
 */
import {
  NBD_INFO_BLOCK_SIZE,
  NBD_INFO_DESCRIPTION,
  NBD_INFO_EXPORT,
  NBD_INFO_NAME,
  NBD_MAX_STRING_SIZE,
  NBD_OPTS_MAGIC,
  NBD_REP_MAGIC,
  NBD_REQUEST_MAGIC,
  NBD_REQUEST_SIZE,
  NBD_SIMPLE_REPLY_MAGIC,
  NBD_SIMPLE_REPLY_SIZE,
  NBD_STRUCTURED_REPLY_MAGIC,
  NBD_STRUCTURED_REPLY_SIZE,
} from './constants.js';

/** The peer broke the protocol (bad magic, lengths that do not add up, …). */
export class NbdProtocolError extends Error {
  override readonly name = 'NbdProtocolError';
}

/** An option request header plus its payload. */
export function encodeOptionRequest(opt: number, data: Uint8Array = EMPTY): Buffer {
  const b = Buffer.allocUnsafe(16 + data.length);
  b.writeBigUInt64BE(NBD_OPTS_MAGIC, 0);
  b.writeUInt32BE(opt >>> 0, 8);
  b.writeUInt32BE(data.length, 12);
  b.set(data, 16);
  return b;
}

/** An option reply header plus its payload. */
export function encodeOptionReply(opt: number, type: number, data: Uint8Array = EMPTY): Buffer {
  const b = Buffer.allocUnsafe(20 + data.length);
  b.writeBigUInt64BE(NBD_REP_MAGIC, 0);
  b.writeUInt32BE(opt >>> 0, 8);
  b.writeUInt32BE(type >>> 0, 12);
  b.writeUInt32BE(data.length, 16);
  b.set(data, 20);
  return b;
}

const EMPTY = new Uint8Array(0);

/** A length-prefixed (32-bit) UTF-8 string. */
export function encodeString32(s: string): Buffer {
  const str = Buffer.from(s, 'utf8');
  const b = Buffer.allocUnsafe(4 + str.length);
  b.writeUInt32BE(str.length, 0);
  b.set(str, 4);
  return b;
}

/** NBD_OPT_GO / NBD_OPT_INFO payload. */
export function encodeGoPayload(name: string, infos: readonly number[]): Buffer {
  const n = encodeString32(name);
  const b = Buffer.allocUnsafe(n.length + 2 + 2 * infos.length);
  b.set(n, 0);
  b.writeUInt16BE(infos.length, n.length);
  infos.forEach((t, i) => b.writeUInt16BE(t, n.length + 2 + 2 * i));
  return b;
}

/** What an NBD_OPT_GO / NBD_OPT_INFO asks for. */
export interface GoRequest {
  /** Export name. */
  readonly name: string;
  /** NBD_INFO_* items requested. */
  readonly infos: readonly number[];
}

/** Decode an NBD_OPT_GO / NBD_OPT_INFO payload (throws NbdProtocolError when lengths do not add up). */
export function decodeGoPayload(data: Buffer): GoRequest {
  if (data.length < 6) throw new NbdProtocolError('option too short');
  const nameLen = data.readUInt32BE(0);
  if (nameLen > data.length - 6) throw new NbdProtocolError('name length is incorrect');
  if (nameLen > NBD_MAX_STRING_SIZE) throw new NbdProtocolError('name too long');
  const name = data.toString('utf8', 4, 4 + nameLen);
  const n = data.readUInt16BE(4 + nameLen);
  if (data.length !== 4 + nameLen + 2 + 2 * n) throw new NbdProtocolError('request data length is incorrect');
  const infos: number[] = [];
  for (let i = 0; i < n; i++) infos.push(data.readUInt16BE(6 + nameLen + 2 * i));
  return { name, infos };
}

/** NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT payload. */
export function encodeMetaContextPayload(exportName: string, queries: readonly string[]): Buffer {
  const parts = [encodeString32(exportName), u32(queries.length), ...queries.map(encodeString32)];
  return Buffer.concat(parts);
}

/** What a *_META_CONTEXT option asks for. */
export interface MetaContextRequest {
  /** Export the contexts are for. */
  readonly exportName: string;
  /** The queries ('base:allocation', 'qemu:', …). */
  readonly queries: readonly string[];
}

/** Decode a *_META_CONTEXT payload. */
export function decodeMetaContextPayload(data: Buffer): MetaContextRequest {
  let at = 0;
  const str = (): string => {
    if (data.length - at < 4) throw new NbdProtocolError('option too short');
    const len = data.readUInt32BE(at);
    at += 4;
    if (len > data.length - at) throw new NbdProtocolError('string length is incorrect');
    if (len > NBD_MAX_STRING_SIZE) throw new NbdProtocolError('string too long');
    const s = data.toString('utf8', at, at + len);
    at += len;
    return s;
  };
  const exportName = str();
  if (data.length - at < 4) throw new NbdProtocolError('option too short');
  const count = data.readUInt32BE(at);
  at += 4;
  // Each query takes at least 4 bytes: a count larger than that is a lie, not an allocation.
  if (count > (data.length - at) / 4) throw new NbdProtocolError('query count is incorrect');
  const queries: string[] = [];
  for (let i = 0; i < count; i++) queries.push(str());
  if (at !== data.length) throw new NbdProtocolError('request data length is incorrect');
  return { exportName, queries };
}

/** 32-bit big-endian. */
export function u32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

/** NBD_INFO_EXPORT payload: size and transmission flags. */
export function encodeInfoExport(size: number, flags: number): Buffer {
  const b = Buffer.allocUnsafe(12);
  b.writeUInt16BE(NBD_INFO_EXPORT, 0);
  b.writeBigUInt64BE(BigInt(size), 2);
  b.writeUInt16BE(flags, 10);
  return b;
}

/** NBD_INFO_NAME / NBD_INFO_DESCRIPTION payload. */
export function encodeInfoString(type: typeof NBD_INFO_NAME | typeof NBD_INFO_DESCRIPTION, s: string): Buffer {
  const str = Buffer.from(s, 'utf8');
  const b = Buffer.allocUnsafe(2 + str.length);
  b.writeUInt16BE(type, 0);
  b.set(str, 2);
  return b;
}

/** NBD_INFO_BLOCK_SIZE payload. */
export function encodeInfoBlockSize(min: number, preferred: number, max: number): Buffer {
  const b = Buffer.allocUnsafe(14);
  b.writeUInt16BE(NBD_INFO_BLOCK_SIZE, 0);
  b.writeUInt32BE(min, 2);
  b.writeUInt32BE(preferred, 6);
  b.writeUInt32BE(max, 10);
  return b;
}

/** A transmission request header (the caller sends a WRITE's payload after it). */
export interface NbdRequest {
  /** NBD_CMD_FLAG_* bits. */
  readonly flags: number;
  /** NBD_CMD_*. */
  readonly type: number;
  /** Opaque cookie echoed in the reply. */
  readonly cookie: bigint;
  /** Byte offset. */
  readonly offset: number;
  /** Byte length (payload length of a WRITE). */
  readonly length: number;
}

/** Write a 64-bit offset or size (below 2^53) big-endian without making a BigInt (it is on every request's path). */
export function writeUint64BE(b: Buffer, value: number, at: number): void {
  b.writeUInt32BE(Math.floor(value / 0x100000000), at);
  b.writeUInt32BE(value >>> 0, at + 4);
}

/** Encode a request header into a fresh 28-byte buffer. */
export function encodeRequest(r: NbdRequest): Buffer {
  const b = Buffer.allocUnsafe(NBD_REQUEST_SIZE);
  b.writeUInt32BE(NBD_REQUEST_MAGIC, 0);
  b.writeUInt16BE(r.flags, 4);
  b.writeUInt16BE(r.type, 6);
  b.writeBigUInt64BE(r.cookie, 8);
  writeUint64BE(b, r.offset, 16);
  b.writeUInt32BE(r.length >>> 0, 24);
  return b;
}

/** A request's cookie as its two 32-bit halves: the server echoes it and never interprets it, so it never becomes a BigInt. */
export interface NbdCookie {
  /** Bytes 0-3 of the cookie. */
  cookieHi: number;
  /** Bytes 4-7 of the cookie. */
  cookieLo: number;
}

/** A request header as the server parses it in place. */
export interface NbdRequestHeader extends NbdCookie {
  /** NBD_CMD_FLAG_* bits. */
  flags: number;
  /** NBD_CMD_*. */
  type: number;
  /** Byte offset (values above 2^53 lose precision and fail range checks). */
  offset: number;
  /** Byte length (payload length of a WRITE). */
  length: number;
}

/** Parse the request header at `b[at..at+28)` into `into` (no copy, no allocation); throws NbdProtocolError on a bad magic. */
export function decodeRequestInto(b: Buffer, at: number, into: NbdRequestHeader): void {
  const magic = b.readUInt32BE(at);
  if (magic !== NBD_REQUEST_MAGIC) throw new NbdProtocolError(`invalid magic (got 0x${magic.toString(16)})`);
  into.flags = b.readUInt16BE(at + 4);
  into.type = b.readUInt16BE(at + 6);
  into.cookieHi = b.readUInt32BE(at + 8);
  into.cookieLo = b.readUInt32BE(at + 12);
  into.offset = b.readUInt32BE(at + 16) * 0x100000000 + b.readUInt32BE(at + 20);
  into.length = b.readUInt32BE(at + 24);
}

/** A simple reply header. */
export function encodeSimpleReply(error: number, cookie: NbdCookie): Buffer {
  const b = Buffer.allocUnsafe(NBD_SIMPLE_REPLY_SIZE);
  writeSimpleReply(b, error, cookie);
  return b;
}

/** Write a simple reply header into the first 16 bytes of `b`. */
export function writeSimpleReply(b: Buffer, error: number, cookie: NbdCookie): void {
  b.writeUInt32BE(NBD_SIMPLE_REPLY_MAGIC, 0);
  b.writeUInt32BE(error >>> 0, 4);
  b.writeUInt32BE(cookie.cookieHi, 8);
  b.writeUInt32BE(cookie.cookieLo, 12);
}

/** A structured reply chunk header for a payload of `length` bytes. */
export function encodeChunkHeader(flags: number, type: number, cookie: NbdCookie, length: number, extra = 0): Buffer {
  const b = Buffer.allocUnsafe(NBD_STRUCTURED_REPLY_SIZE + extra);
  writeChunkHeader(b, flags, type, cookie, length);
  return b;
}

/** Write a structured reply chunk header into the first 20 bytes of `b`. */
export function writeChunkHeader(b: Buffer, flags: number, type: number, cookie: NbdCookie, length: number): void {
  b.writeUInt32BE(NBD_STRUCTURED_REPLY_MAGIC, 0);
  b.writeUInt16BE(flags, 4);
  b.writeUInt16BE(type, 6);
  b.writeUInt32BE(cookie.cookieHi, 8);
  b.writeUInt32BE(cookie.cookieLo, 12);
  b.writeUInt32BE(length >>> 0, 16);
}

/** An NBD_REPLY_TYPE_ERROR chunk (header and payload). */
export function encodeErrorChunk(flags: number, type: number, cookie: NbdCookie, error: number, message: string): Buffer {
  const msg = Buffer.from(message.slice(0, NBD_MAX_STRING_SIZE), 'utf8').subarray(0, NBD_MAX_STRING_SIZE);
  const b = encodeChunkHeader(flags, type, cookie, 6 + msg.length, 6 + msg.length);
  b.writeUInt32BE(error >>> 0, 20);
  b.writeUInt16BE(msg.length, 24);
  b.set(msg, 26);
  return b;
}

/** A reply header as received (simple or structured). */
export interface NbdReplyHeader {
  /** Whether it is a structured chunk. */
  readonly structured: boolean;
  /** Simple: the error; structured: 0. */
  readonly error: number;
  /** Structured: flags. */
  readonly flags: number;
  /** Structured: chunk type. */
  readonly type: number;
  /** Cookie of the request. */
  readonly cookie: bigint;
  /** Structured: payload length. */
  readonly length: number;
}
