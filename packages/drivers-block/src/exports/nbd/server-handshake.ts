/**
 * The server side of the fixed-newstyle handshake (proto.md "Option
 * haggling", QEMU's nbd_negotiate_options): greeting, client flags, then one
 * option after another until NBD_OPT_GO or NBD_OPT_EXPORT_NAME picks an
 * export. Options are length-checked before their payload is read: anything
 * larger than NBD_MAX_OPTION_SIZE drops the connection, so a client cannot
 * make us allocate what it claims. A server that requires TLS answers every
 * option but STARTTLS and ABORT with NBD_REP_ERR_TLS_REQD until TLS is up.
 */
import type { Co } from '@qco/core';
import {
  NBD_FLAG_C_FIXED_NEWSTYLE,
  NBD_FLAG_C_NO_ZEROES,
  NBD_FLAG_FIXED_NEWSTYLE,
  NBD_FLAG_NO_ZEROES,
  NBD_INFO_BLOCK_SIZE,
  NBD_INFO_DESCRIPTION,
  NBD_INFO_NAME,
  NBD_INIT_MAGIC,
  NBD_MAX_BUFFER_SIZE,
  NBD_MAX_OPTION_SIZE,
  NBD_MAX_STRING_SIZE,
  NBD_OPTS_MAGIC,
  NBD_OPT_ABORT,
  NBD_OPT_EXPORT_NAME,
  NBD_OPT_GO,
  NBD_OPT_INFO,
  NBD_OPT_LIST,
  NBD_OPT_LIST_META_CONTEXT,
  NBD_OPT_NAMES,
  NBD_OPT_SET_META_CONTEXT,
  NBD_OPT_STARTTLS,
  NBD_OPT_STRUCTURED_REPLY,
  NBD_REP_ACK,
  NBD_REP_ERR_BLOCK_SIZE_REQD,
  NBD_REP_ERR_INVALID,
  NBD_REP_ERR_POLICY,
  NBD_REP_ERR_TLS_REQD,
  NBD_REP_ERR_UNKNOWN,
  NBD_REP_ERR_UNSUP,
  NBD_REP_INFO,
  NBD_REP_META_CONTEXT,
  NBD_REP_SERVER,
} from '../../nbd/constants.js';
import {
  NbdProtocolError,
  decodeGoPayload,
  decodeMetaContextPayload,
  encodeInfoBlockSize,
  encodeInfoExport,
  encodeInfoString,
  encodeOptionReply,
  encodeString32,
  u32,
} from '../../nbd/codec.js';
import type { NbdStream } from '../../nbd/stream.js';
import { META_CONTEXT_IDS, matchContexts } from './meta-contexts.js';
import { transmissionFlags, type NbdExport } from './nbd-export.js';

/** What the handshake settled for the transmission phase. */
export interface NegotiatedSession {
  /** The export chosen. */
  readonly exp: NbdExport;
  /** Structured replies negotiated. */
  readonly structured: boolean;
  /** Selected metadata contexts: id → name. */
  readonly contexts: ReadonlyMap<number, string>;
}

/** What the handshake needs from the server. */
export interface HandshakeHost {
  /** Find an export by name. */
  findExport(name: string): NbdExport | undefined;
  /** Every export, for NBD_OPT_LIST. */
  exports(): Iterable<NbdExport>;
  /** Whether TLS is configured, and whether it is required. */
  readonly tls: 'off' | 'required';
  /** Upgrade the stream to TLS (after NBD_REP_ACK went out); throws when the handshake or authz fails. */
  starttls(stream: NbdStream): Co;
}

function* send(stream: NbdStream, buf: Buffer): Co {
  stream.write(buf);
  yield* stream.drain();
}

/** Run the handshake on a fresh connection; returns the negotiated session, or null when the client aborted. */
export function* serverHandshake(stream: NbdStream, host: HandshakeHost): Co<NegotiatedSession | null> {
  const greeting = Buffer.allocUnsafe(18);
  greeting.writeBigUInt64BE(NBD_INIT_MAGIC, 0);
  greeting.writeBigUInt64BE(NBD_OPTS_MAGIC, 8);
  greeting.writeUInt16BE(NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES, 16);
  yield* send(stream, greeting);

  const cflags = (yield* stream.read(4)).readUInt32BE(0);
  if (cflags & ~(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES)) {
    throw new NbdProtocolError(`Unknown client flags 0x${cflags.toString(16)} received`);
  }
  const fixed = (cflags & NBD_FLAG_C_FIXED_NEWSTYLE) !== 0;
  const noZeroes = (cflags & NBD_FLAG_C_NO_ZEROES) !== 0;

  let tlsUp = false;
  let structured = false;
  let metaExport: string | null = null;
  let contexts = new Map<number, string>();

  for (;;) {
    const hdr = yield* stream.read(16);
    const magic = hdr.readBigUInt64BE(0);
    if (magic !== NBD_OPTS_MAGIC) throw new NbdProtocolError('Bad magic received');
    const opt = hdr.readUInt32BE(8);
    const len = hdr.readUInt32BE(12);
    if (len > NBD_MAX_OPTION_SIZE) throw new NbdProtocolError(`Option ${opt} length ${len} is larger than max length ${NBD_MAX_OPTION_SIZE}`);
    const data = len === 0 ? Buffer.alloc(0) : Buffer.from(yield* stream.read(len));
    const reply = (type: number, payload?: Uint8Array): Co => send(stream, encodeOptionReply(opt, type, payload));
    const error = (type: number, message: string): Co => send(stream, encodeOptionReply(opt, type, Buffer.from(message)));
    /** The option's payload decoded and the export it names; undefined once the error reply (bad payload, unknown export) is sent. */
    const forExport = function* <R>(decode: (payload: Buffer) => R, nameOf: (req: R) => string): Co<{ req: R; exp: NbdExport } | undefined> {
      let req: R;
      try {
        req = decode(data);
      } catch (e) {
        yield* error(NBD_REP_ERR_INVALID, (e as Error).message);
        return undefined;
      }
      const exp = host.findExport(nameOf(req));
      if (exp === undefined) {
        yield* error(NBD_REP_ERR_UNKNOWN, `export '${nameOf(req)}' not present`);
        return undefined;
      }
      return { req, exp };
    };

    if (!fixed && opt !== NBD_OPT_EXPORT_NAME) throw new NbdProtocolError(`Unsupported option 0x${opt.toString(16)} without fixed newstyle`);

    if (host.tls === 'required' && !tlsUp && opt !== NBD_OPT_STARTTLS && opt !== NBD_OPT_ABORT) {
      if (opt === NBD_OPT_EXPORT_NAME) throw new NbdProtocolError('Option 0x1 not permitted before TLS');
      yield* error(NBD_REP_ERR_TLS_REQD, `Option 0x${opt.toString(16)} not permitted before TLS`);
      continue;
    }

    switch (opt) {
      case NBD_OPT_EXPORT_NAME: {
        if (len > NBD_MAX_STRING_SIZE) throw new NbdProtocolError('Bad length received');
        const exp = host.findExport(data.toString('utf8'));
        if (exp === undefined) throw new NbdProtocolError(`export '${data.toString('utf8')}' not present`);
        const tail = Buffer.alloc(noZeroes ? 10 : 134);
        tail.writeBigUInt64BE(BigInt(exp.size), 0);
        tail.writeUInt16BE(transmissionFlags(exp, structured), 8);
        yield* send(stream, tail);
        return { exp, structured, contexts: metaExport === exp.name ? contexts : new Map() };
      }
      case NBD_OPT_ABORT:
        // QEMU replies ACK and closes; a client that already left just makes the write fail.
        stream.write(encodeOptionReply(opt, NBD_REP_ACK));
        return null;
      case NBD_OPT_LIST:
        if (len !== 0) {
          yield* error(NBD_REP_ERR_INVALID, 'option \'list\' has unexpected length');
          break;
        }
        for (const exp of host.exports()) {
          const name = encodeString32(exp.name);
          yield* reply(NBD_REP_SERVER, exp.description !== '' ? Buffer.concat([name, Buffer.from(exp.description)]) : name);
        }
        yield* reply(NBD_REP_ACK);
        break;
      case NBD_OPT_STARTTLS:
        if (len !== 0) {
          yield* error(NBD_REP_ERR_INVALID, 'option \'starttls\' has unexpected length');
          break;
        }
        if (tlsUp) {
          yield* error(NBD_REP_ERR_INVALID, 'TLS already enabled');
          break;
        }
        if (host.tls === 'off') {
          yield* error(NBD_REP_ERR_POLICY, 'TLS not configured');
          break;
        }
        yield* reply(NBD_REP_ACK);
        yield* host.starttls(stream);
        tlsUp = true;
        // proto.md: nothing negotiated before STARTTLS survives it.
        structured = false;
        metaExport = null;
        contexts = new Map();
        break;
      case NBD_OPT_STRUCTURED_REPLY:
        if (len !== 0) yield* error(NBD_REP_ERR_INVALID, 'option \'structured reply\' has unexpected length');
        else if (structured) yield* error(NBD_REP_ERR_INVALID, 'structured reply already negotiated');
        else {
          structured = true;
          yield* reply(NBD_REP_ACK);
        }
        break;
      case NBD_OPT_INFO:
      case NBD_OPT_GO: {
        const found = yield* forExport(decodeGoPayload, (r) => r.name);
        if (found === undefined) break;
        const { req, exp } = found;
        const askedBlockSize = req.infos.includes(NBD_INFO_BLOCK_SIZE);
        if (req.infos.includes(NBD_INFO_NAME)) yield* reply(NBD_REP_INFO, encodeInfoString(NBD_INFO_NAME, exp.name));
        if (req.infos.includes(NBD_INFO_DESCRIPTION) && exp.description !== '') {
          yield* reply(NBD_REP_INFO, encodeInfoString(NBD_INFO_DESCRIPTION, exp.description));
        }
        // As QEMU: minimum 1 unless the client promised to honour sizes; preferred 4 KiB or the node's alignment.
        const align = exp.blk.bs.requestAlignment;
        const min = askedBlockSize ? align : 1;
        yield* reply(NBD_REP_INFO, encodeInfoBlockSize(min, Math.max(4096, align), NBD_MAX_BUFFER_SIZE));
        yield* reply(NBD_REP_INFO, encodeInfoExport(exp.size, transmissionFlags(exp, structured)));
        if (opt === NBD_OPT_GO && !askedBlockSize && align > 1) {
          yield* error(NBD_REP_ERR_BLOCK_SIZE_REQD, 'request NBD_INFO_BLOCK_SIZE to use this export');
          break;
        }
        yield* reply(NBD_REP_ACK);
        if (opt === NBD_OPT_GO) return { exp, structured, contexts: metaExport === exp.name ? contexts : new Map() };
        break;
      }
      case NBD_OPT_LIST_META_CONTEXT:
      case NBD_OPT_SET_META_CONTEXT: {
        const set = opt === NBD_OPT_SET_META_CONTEXT;
        if (set) {
          // proto.md: SET replaces the selection even when it fails.
          metaExport = null;
          contexts = new Map();
        }
        if (!structured) {
          yield* error(NBD_REP_ERR_INVALID, 'request structured replies first');
          break;
        }
        const found = yield* forExport(decodeMetaContextPayload, (r) => r.exportName);
        if (found === undefined) break;
        const { req, exp } = found;
        const names = matchContexts(exp, req.queries, !set);
        for (const name of names) {
          const id = set ? (META_CONTEXT_IDS[name]) : 0;
          yield* reply(NBD_REP_META_CONTEXT, Buffer.concat([u32(id), Buffer.from(name)]));
          if (set) contexts.set(id, name);
        }
        if (set) metaExport = exp.name;
        yield* reply(NBD_REP_ACK);
        break;
      }
      default:
        yield* error(NBD_REP_ERR_UNSUP, `Unsupported option 0x${opt.toString(16)} (${NBD_OPT_NAMES[opt] ?? 'unknown'})`);
    }
  }
}
