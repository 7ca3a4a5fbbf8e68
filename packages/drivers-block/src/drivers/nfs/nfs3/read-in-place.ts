/**
 * A READ whose data is received straight into the caller's buffer: from the
 * first bytes of the reply record it finds where the data starts (RFC 5531's
 * accepted-reply header, then RFC 1813's READ3resok: status, post_op_attr,
 * count, eof, the data's length). Only the plain successful shape qualifies —
 * any other status, a verifier that does not fit the prefix, lengths that do
 * not add up to the record exactly — and then the reply is decoded the
 * ordinary way (json-pack) with its ordinary errors.
 */
import type { DirectReply } from '../rpc/rpc-client.js';

const MSG_REPLY = 1;
const MSG_ACCEPTED = 0;
const SUCCESS = 0;
const NFS3_OK = 0;
/** fattr3: type, mode, nlink, uid, gid (4 bytes each), size, used, rdev, fsid, fileid, atime, mtime, ctime (8 each). */
const FATTR3_BYTES = 84;
/** Longest opaque_auth body (RFC 5531). */
const MAX_AUTH_BYTES = 400;

function u32(b: Uint8Array, at: number): number {
  return (((b[at]) << 24) | ((b[at + 1]) << 16) | ((b[at + 2]) << 8) | (b[at + 3])) >>> 0;
}

/** The DirectReply of one READ of up to `sink.length` bytes; after it, `count` and `eof` say what came. */
export class ReadInPlace implements DirectReply {
  received = false;
  /** Data bytes the server returned. */
  count = 0;
  /** Whether the server reported end of file. */
  eof = false;

  constructor(readonly sink: Uint8Array) {}

  locate(p: Uint8Array, recordLength: number): { start: number; length: number } | null {
    if (p.length < 28 || u32(p, 4) !== MSG_REPLY || u32(p, 8) !== MSG_ACCEPTED) return null;
    const verf = u32(p, 16);
    if (verf > MAX_AUTH_BYTES) return null;
    let at = 20 + ((verf + 3) & ~3);
    if (at + 12 > p.length || u32(p, at) !== SUCCESS || u32(p, at + 4) !== NFS3_OK) return null;
    const attrs = u32(p, at + 8);
    if (attrs > 1) return null;
    at += 12 + (attrs === 1 ? FATTR3_BYTES : 0);
    if (at + 12 > p.length) return null;
    const count = u32(p, at);
    const eof = u32(p, at + 4);
    const len = u32(p, at + 8);
    at += 12;
    if (eof > 1 || len !== count || count > this.sink.length || at + ((count + 3) & ~3) !== recordLength) return null;
    this.count = count;
    this.eof = eof === 1;
    return { start: at, length: count };
  }
}
