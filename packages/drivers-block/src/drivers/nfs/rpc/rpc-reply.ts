/**
 * Decoding of one ONC RPC reply record, kept apart from the socket so it can be
 * fuzzed on its own. The RPC header goes through json-pack's RpcMessageDecoder;
 * a record whose header does not decode is a broken stream (the caller drops the
 * connection), while a well-formed header with a refusal becomes an error for
 * that one call. Whatever the bytes, the result is a value or an RpcError —
 * never another exception, never a loop.
 */
import { Reader } from '@jsonjoy.com/buffers/lib/Reader.js';
import { RpcMessageDecoder } from '@jsonjoy.com/json-pack/lib/rpc/RpcMessageDecoder.js';
import { RpcAcceptedReplyMessage, RpcRejectedReplyMessage } from '@jsonjoy.com/json-pack/lib/rpc/messages.js';
import { RpcDecodeError, RpcRejectedError, type RpcError } from '../errors.js';

/** A decoded reply: its xid and either the procedure's results or the RPC-level refusal. */
export interface RpcReply {
  /** Transaction id it answers. */
  readonly xid: number;
  /** The procedure's results (reader positioned at them), when accepted with SUCCESS. */
  readonly results?: Reader;
  /** Why the call was refused, when it was. */
  readonly error?: RpcError;
}

const ACCEPT_STAT = ['SUCCESS', 'PROG_UNAVAIL', 'PROG_MISMATCH', 'PROC_UNAVAIL', 'GARBAGE_ARGS', 'SYSTEM_ERR'];
const REJECT_STAT = ['RPC_MISMATCH', 'AUTH_ERROR'];
const EMPTY = new Uint8Array(0);
const decoder = new RpcMessageDecoder();

/** Decode one reply record; throws RpcDecodeError when its header is malformed. */
export function decodeRpcReply(record: Uint8Array): RpcReply {
  const reader = new Reader(record);
  let msg;
  try {
    msg = decoder.decodeMessage(reader);
  } catch (err) {
    throw new RpcDecodeError(`Malformed RPC reply: ${(err as Error).message}`, 5, { cause: err });
  }
  if (msg === undefined) throw new RpcDecodeError(`Truncated RPC reply (${record.length} bytes)`);
  if (msg instanceof RpcAcceptedReplyMessage) {
    if (msg.stat !== 0) {
      const name = ACCEPT_STAT[msg.stat] ?? `accept_stat ${msg.stat}`;
      return { xid: msg.xid, error: new RpcRejectedError(`RPC call refused: ${name}`) };
    }
    return { xid: msg.xid, results: msg.results ?? new Reader(EMPTY) };
  }
  if (msg instanceof RpcRejectedReplyMessage) {
    const name = REJECT_STAT[msg.stat] ?? `reject_stat ${msg.stat}`;
    const auth = msg.authStat !== undefined ? ` (auth_stat ${msg.authStat})` : '';
    return { xid: msg.xid, error: new RpcRejectedError(`RPC call denied: ${name}${auth}`, 13) };
  }
  throw new RpcDecodeError('Received an RPC call where a reply was expected');
}
