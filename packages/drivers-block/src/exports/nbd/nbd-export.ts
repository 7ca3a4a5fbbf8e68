/**
 * One export of an NBD server: a name, the BlockBackend it serves and what
 * it offers. The transmission flags follow from the node: read-only exports
 * offer no writes; everything else is offered always, because the block layer
 * has a fallback for each (zero writes without a driver zero write, trim as
 * a discard the node may ignore, a flush per request for FUA). One shared
 * BlockBackend serves every connection, with no per-connection cache, so
 * flushes are visible everywhere: multi-conn is on unless disabled.
 */
import type { BlockBackend } from '../../block/block-backend.js';
import {
  NBD_FLAG_CAN_MULTI_CONN,
  NBD_FLAG_HAS_FLAGS,
  NBD_FLAG_READ_ONLY,
  NBD_FLAG_SEND_CACHE,
  NBD_FLAG_SEND_DF,
  NBD_FLAG_SEND_FAST_ZERO,
  NBD_FLAG_SEND_FLUSH,
  NBD_FLAG_SEND_FUA,
  NBD_FLAG_SEND_TRIM,
  NBD_FLAG_SEND_WRITE_ZEROES,
} from '../../nbd/constants.js';

/** What to export under one name. */
export interface NbdExportOptions {
  /** Export name ('' is the default export). */
  readonly name: string;
  /** The node to serve. */
  readonly blk: BlockBackend;
  /** NBD_INFO_DESCRIPTION / the text after the name in NBD_OPT_LIST (-D). */
  readonly description?: string;
  /** Serve read-only even if the node is writable (-r). */
  readonly readOnly?: boolean;
  /** Offer NBD_FLAG_CAN_MULTI_CONN (default true). */
  readonly multiConn?: boolean;
  /** Offer the qemu:allocation-depth context (default true). */
  readonly allocationDepth?: boolean;
}

/** An export as the server uses it. */
export interface NbdExport {
  /** Name. */
  readonly name: string;
  /** Node. */
  readonly blk: BlockBackend;
  /** Description, '' when none. */
  readonly description: string;
  /** Read-only? */
  readonly readOnly: boolean;
  /** Size in bytes (read when the server starts). */
  size: number;
  /** Offer multi-conn. */
  readonly multiConn: boolean;
  /** Offer qemu:allocation-depth. */
  readonly allocationDepth: boolean;
  /**
   * A range block status last found to be data throughout ([dataStart,
   * dataEnd)), so a READ inside it skips the lookup (QEMU's file-posix keeps
   * the same one-extent cache). Writes through the export forget it; a range
   * that became a hole some other way only goes out as zeroes in an
   * OFFSET_DATA chunk instead of an OFFSET_HOLE: the same bytes either way.
   */
  dataStart: number;
  /** End of the known-data range (dataStart when none is known). */
  dataEnd: number;
}

/** Normalise the options of one export. */
export function makeExport(o: NbdExportOptions, size: number): NbdExport {
  return {
    name: o.name,
    blk: o.blk,
    description: o.description ?? '',
    readOnly: o.readOnly === true || o.blk.readOnly,
    size,
    multiConn: o.multiConn ?? true,
    allocationDepth: o.allocationDepth ?? true,
    dataStart: 0,
    dataEnd: 0,
  };
}

/** The transmission flags of an export for a client that did (not) negotiate structured replies. */
export function transmissionFlags(exp: NbdExport, structured: boolean): number {
  let f = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA | NBD_FLAG_SEND_CACHE;
  if (exp.readOnly) f |= NBD_FLAG_READ_ONLY;
  else f |= NBD_FLAG_SEND_TRIM | NBD_FLAG_SEND_WRITE_ZEROES | NBD_FLAG_SEND_FAST_ZERO;
  if (structured) f |= NBD_FLAG_SEND_DF;
  if (exp.multiConn) f |= NBD_FLAG_CAN_MULTI_CONN;
  return f;
}
