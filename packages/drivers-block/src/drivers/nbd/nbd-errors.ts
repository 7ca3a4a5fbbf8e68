/**
 * Errors of the nbd client driver, with QEMU's wording (nbd/client.c): option
 * errors name the option ("Denied by server for option 7 (go)"), an unknown
 * export is "Requested export not available", and a message the server sent
 * follows on its own line as "server reported: …".
 */
import { BlockError } from '../../block/errors.js';
import {
  NBD_OPT_NAMES,
  NBD_REP_ERR_BLOCK_SIZE_REQD,
  NBD_REP_ERR_INVALID,
  NBD_REP_ERR_PLATFORM,
  NBD_REP_ERR_POLICY,
  NBD_REP_ERR_SHUTDOWN,
  NBD_REP_ERR_TLS_REQD,
  NBD_REP_ERR_UNKNOWN,
  NBD_REP_ERR_UNSUP,
} from '../../nbd/constants.js';

/** The handshake with the server failed (errno EINVAL unless the socket said otherwise). */
export class NbdClientError extends BlockError {
  override name = 'NbdClientError';
}

/** QEMU's nbd_handle_reply_err text for an error reply to option `opt`. */
export function optionErrorMessage(opt: number, type: number, serverMessage: string): string {
  const o = `${opt} (${NBD_OPT_NAMES[opt] ?? 'unknown'})`;
  let msg: string;
  switch (type) {
    case NBD_REP_ERR_UNSUP:
      msg = `Unsupported option type ${o}`;
      break;
    case NBD_REP_ERR_POLICY:
      msg = `Denied by server for option ${o}`;
      break;
    case NBD_REP_ERR_INVALID:
      msg = `Server rejected invalid option ${o}`;
      break;
    case NBD_REP_ERR_PLATFORM:
      msg = `Server lacks support for option ${o}`;
      break;
    case NBD_REP_ERR_TLS_REQD:
      msg = `TLS negotiation required before option ${o}`;
      break;
    case NBD_REP_ERR_UNKNOWN:
      msg = 'Requested export not available';
      break;
    case NBD_REP_ERR_SHUTDOWN:
      msg = `Server shutting down before option ${o}`;
      break;
    case NBD_REP_ERR_BLOCK_SIZE_REQD:
      msg = `Server requires INFO_BLOCK_SIZE for option ${o}`;
      break;
    default:
      msg = `Unknown error code when asking for option ${o}`;
  }
  if (serverMessage !== '') msg += `\nserver reported: ${serverMessage}`;
  if (type === NBD_REP_ERR_TLS_REQD) msg += '\nDid you forget a valid tls-creds?';
  return msg;
}
