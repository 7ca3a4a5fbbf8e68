/**
 * An open nbd node (QEMU's block/nbd.c BDRVNBDState) and its opening, plus multi-conn:
 * with `multi-conn=N` and a server that offers NBD_FLAG_CAN_MULTI_CONN,
 * requests are spread over N connections. Block status comes from the
 * server's base:allocation context (one extent per query, as QEMU asks), and
 * requests follow the server's block size constraints.
 */
import type { Co } from '@qco/core';
import {
  BDRV_BLOCK_ALLOCATED,
  BDRV_BLOCK_DATA,
  BDRV_BLOCK_OFFSET_VALID,
  BDRV_BLOCK_ZERO,
  type BlockDriver,
  type BlockDriverInfo,
  type BlockDriverOptions,
  type BlockDriverState,
  type BlockOpenFlags,
  type BlockRequestFlags,
  type BlockStatus,
} from '../../block/block-driver.js';
import { BlockError, BlockIoError } from '../../block/errors.js';
import { Errno } from '../../block/errno.js';
import type { IoVector } from '../../block/iov.js';
import {
  NBD_CMD_BLOCK_STATUS,
  NBD_CMD_FLAG_FAST_ZERO,
  NBD_CMD_FLAG_FUA,
  NBD_CMD_FLAG_NO_HOLE,
  NBD_CMD_FLAG_REQ_ONE,
  NBD_CMD_FLUSH,
  NBD_CMD_READ,
  NBD_CMD_WRITE,
  NBD_CMD_WRITE_ZEROES,
  NBD_DEFAULT_PORT,
  NBD_FLAG_CAN_MULTI_CONN,
  NBD_FLAG_READ_ONLY,
  NBD_FLAG_SEND_FAST_ZERO,
  NBD_FLAG_SEND_FLUSH,
  NBD_FLAG_SEND_FUA,
  NBD_FLAG_SEND_WRITE_ZEROES,
  NBD_STATE_HOLE,
  NBD_STATE_ZERO,
} from '../../nbd/constants.js';
import { findTlsCreds } from '../../nbd/tls-creds.js';
import { NbdClient, type NbdClientOptions, type NbdServerAddress } from './nbd-client.js';
import { nbdFilename } from './nbd-uri.js';

const MAX_MULTI_CONN = 16;

function address(options: BlockDriverOptions): NbdServerAddress {
  const path = options['server.path'];
  const host = options['server.host'];
  const type = options['server.type'] ?? (path !== undefined ? 'unix' : 'inet');
  if (type === 'unix') {
    if (typeof path !== 'string' || path === '') throw new BlockError("Parameter 'server.path' is missing", Errno.EINVAL);
    return { type: 'unix', path };
  }
  if (typeof host !== 'string' || host === '') throw new BlockError("Parameter 'server.host' is missing", Errno.EINVAL);
  const port = options['server.port'];
  return { type: 'inet', host, port: typeof port === 'number' ? port : NBD_DEFAULT_PORT };
}

/** An open nbd node. */
export class NbdBlockDriverState implements BlockDriverState {
  readonly filename: string;
  readonly requestAlignment: number;
  readonly maxTransfer: number;
  readonly growable = false;
  /** Present only when the server can write zeroes. */
  coPwriteZeroes?: (offset: number, bytes: number, flags: BlockRequestFlags) => Co;
  private closed = false;

  constructor(
    readonly driver: BlockDriver,
    readonly options: BlockDriverOptions,
    readonly flags: BlockOpenFlags,
    /** The connections (more than one with multi-conn). */
    readonly clients: NbdClient[],
  ) {
    const c = clients[0];
    this.filename = nbdFilename(c.opts.server, c.opts.exportName);
    this.requestAlignment = c.info.minBlock;
    this.maxTransfer = Math.max(c.info.minBlock, c.info.maxBlock - (c.info.maxBlock % c.info.minBlock));
    if (c.info.flags & NBD_FLAG_SEND_WRITE_ZEROES) this.coPwriteZeroes = (o, b, f) => this.writeZeroes(o, b, f);
  }

  private get info() {
    return (this.clients[0]).info;
  }

  /** The connection with the fewest requests out. */
  private pick(): NbdClient {
    let best = this.clients[0];
    for (const c of this.clients) if (c.inFlight < best.inFlight) best = c;
    return best;
  }

  /** bdrv_co_preadv */
  *coPreadv(offset: number, bytes: number, qiov: IoVector, _flags: BlockRequestFlags): Co {
    const direct = qiov.niov === 1 && (qiov.iov[0]).length >= bytes;
    const dst = direct ? (qiov.iov[0]).subarray(0, bytes) : new Uint8Array(bytes);
    yield* this.pick().request(NBD_CMD_READ, 0, offset, bytes, null, dst);
    if (!direct) qiov.fromBuffer(dst);
  }

  /** bdrv_co_pwritev: FUA on the wire when the server has it, else a flush after. */
  *coPwritev(offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags): Co {
    const src = qiov.toBuffer();
    const fuaWire = flags.fua === true && (this.info.flags & NBD_FLAG_SEND_FUA) !== 0;
    yield* this.pick().request(NBD_CMD_WRITE, fuaWire ? NBD_CMD_FLAG_FUA : 0, offset, bytes, src.length === bytes ? src : src.subarray(0, bytes), null);
    if (flags.fua === true && !fuaWire) yield* this.coFlush();
  }

  private *writeZeroes(offset: number, bytes: number, flags: BlockRequestFlags): Co {
    const f = this.info.flags;
    if (flags.noFallback && !(f & NBD_FLAG_SEND_FAST_ZERO)) throw new BlockIoError(Errno.ENOTSUP);
    let cmdFlags = flags.mayUnmap ? 0 : NBD_CMD_FLAG_NO_HOLE;
    if (flags.noFallback) cmdFlags |= NBD_CMD_FLAG_FAST_ZERO;
    if (flags.fua && f & NBD_FLAG_SEND_FUA) cmdFlags |= NBD_CMD_FLAG_FUA;
    // The wire length is 32-bit: split at 2 GiB (aligned).
    const step = 0x80000000 - (0x80000000 % this.requestAlignment);
    for (let done = 0; done < bytes; ) {
      const n = Math.min(step, bytes - done);
      yield* this.pick().request(NBD_CMD_WRITE_ZEROES, cmdFlags, offset + done, n, null, null);
      done += n;
    }
    if (flags.fua && !(f & NBD_FLAG_SEND_FUA)) yield* this.coFlush();
  }

  /** bdrv_co_flush: NBD_CMD_FLUSH where offered (on one connection: multi-conn makes it cover all). */
  *coFlush(): Co {
    if (!(this.info.flags & NBD_FLAG_SEND_FLUSH)) return;
    yield* this.pick().request(NBD_CMD_FLUSH, 0, 0, 0, null, null);
  }

  /** bdrv_co_getlength */
  *coGetLength(): Co<number> {
    return this.info.size;
  }

  /** bdrv_co_block_status from base:allocation (QEMU's nbd_client_co_block_status). */
  *coBlockStatus(offset: number, bytes: number, _wantZero: boolean): Co<BlockStatus> {
    const info = this.info;
    const len = Math.min(bytes, 0x80000000 - info.minBlock, info.size - offset);
    if (info.allocationContext === null || len <= 0) {
      return { flags: BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID, bytes: Math.max(len, 0), map: offset, file: this };
    }
    const { extents } = yield* this.pick().request(NBD_CMD_BLOCK_STATUS, NBD_CMD_FLAG_REQ_ONE, offset, len, null, null);
    const e = extents?.[0];
    if (e === undefined) throw new BlockIoError(Errno.EIO, 'Protocol error: empty block status reply');
    const [n, st] = e;
    let flags = BDRV_BLOCK_OFFSET_VALID;
    if (!(st & NBD_STATE_HOLE)) flags |= BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED;
    if (st & NBD_STATE_ZERO) flags |= BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED;
    return { flags, bytes: Math.min(n, len), map: offset, file: this };
  }

  /** Facts for info. */
  *coGetInfo(): Co<BlockDriverInfo> {
    return { extra: { 'nbd connections': String(this.clients.length) } };
  }

  /** bdrv_close: NBD_CMD_DISC on every connection. */
  *coClose(): Co {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.clients) c.close();
  }
}

function clientOptions(options: BlockDriverOptions): NbdClientOptions {
  const tlsId = options['tls-creds'];
  const tlsHostname = options['tls-hostname'];
  const reconnect = (options['reconnect-delay'] as number | undefined) ?? 0;
  const openTimeout = (options['open-timeout'] as number | undefined) ?? 0;
  const exportName = options['export'];
  return {
    server: address(options),
    exportName: typeof exportName === 'string' ? exportName : '',
    ...(typeof tlsId === 'string' && tlsId !== '' ? { tlsCreds: findTlsCreds(tlsId, 'client') } : {}),
    ...(typeof tlsHostname === 'string' ? { tlsHostname } : {}),
    reconnectDelayMs: reconnect * 1000,
    openTimeoutMs: openTimeout * 1000,
  };
}

/** bdrv_open of the nbd driver: connect (more connections with multi-conn) and make the node. */
export function* nbdOpen(driver: BlockDriver, options: BlockDriverOptions, flags: BlockOpenFlags): Co<BlockDriverState> {
  const o = clientOptions(options);
  const want = (options['multi-conn'] as number | undefined) ?? 1;
  if (want < 1 || want > MAX_MULTI_CONN) throw new BlockError(`multi-conn must be between 1 and ${MAX_MULTI_CONN}`, Errno.EINVAL);
  const first = new NbdClient(o);
  yield* first.connect();
  const clients = [first];
  try {
    if (first.info.flags & NBD_FLAG_READ_ONLY && !flags.readOnly) throw new BlockError('NBD export is read-only', Errno.EACCES);
    if (want > 1 && first.info.flags & NBD_FLAG_CAN_MULTI_CONN) {
      for (let i = 1; i < want; i++) {
        const c = new NbdClient(o);
        yield* c.connect();
        clients.push(c);
      }
    }
  } catch (e) {
    for (const c of clients) c.close();
    throw e;
  }
  return new NbdBlockDriverState(driver, options, flags, clients);
}
