/**
 * The driver contract (QEMU's BlockDriver and BlockDriverState). A driver is a
 * plain object naming itself, its protocol prefix, its option schema and an
 * `open` coroutine_fn; what `open` returns is a BlockDriverState whose request
 * methods are coroutine_fns (generator functions called with `yield*`). Drivers
 * see only requests the block layer has already checked: in range, and aligned
 * to `requestAlignment` (the generic layer in io.ts does read-modify-write for
 * the rest), so each driver stays small. Failures are thrown as BlockError with
 * an errno, where QEMU returns -errno.
 */
import type { Co } from '@qco/core';
import type { IoVector } from './iov.js';

/** Version of this contract; a driver declaring another one is refused at registration. */
export const BLOCK_DRIVER_SPEC = 1;

/** Type of an option value (QEMU's QemuOptType; 'size' takes k/M/G/T/P/E suffixes). */
export type BlockOptionType = 'string' | 'bool' | 'number' | 'size';

/** One option a driver takes (QEMU's QemuOptDesc). Nested options use dotted names ('server.host'). */
export interface BlockOptionDesc {
  /** Dotted name, as in `server.host` or `read-zeroes`. */
  readonly name: string;
  /** How the value is parsed. */
  readonly type: BlockOptionType;
  /** One-line help text. */
  readonly help?: string;
  /** Value used when the option is absent. */
  readonly default?: string | number | boolean;
  /** Refuse to open without it (QEMU: "Parameter 'x' is required"). */
  readonly required?: boolean;
  /** Accepted values for an enum-like string option. */
  readonly values?: readonly string[];
  /** The driver reads `values` with qapi_enum_parse, whose refusal reads "invalid parameter value: X". */
  readonly enumParse?: boolean;
}

/** Parsed option values, flat with dotted keys (QEMU's flattened QDict). */
export type BlockOptionValue = string | number | boolean;
/** Options as given by the user, flat with dotted keys, values not yet type-checked. */
export type BlockOptionsDict = Partial<Record<string, BlockOptionValue>>;
/** Options after checking against a driver's schema: typed, defaults applied. */
export type BlockDriverOptions = Readonly<Record<string, BlockOptionValue | undefined>>;

/** Generic open flags (QEMU's BDRV_O_* and the cache.* / read-only / aio options). */
export interface BlockOpenFlags {
  /** Open read-only (BDRV_O_RDWR clear). */
  readonly readOnly: boolean;
  /** cache.direct: bypass the host page cache (O_DIRECT). */
  readonly cacheDirect: boolean;
  /** cache.no-flush: flush requests succeed without reaching the disk. */
  readonly cacheNoFlush: boolean;
  /** Submission path the caller asked for (-i / aio=): threads, native (linux-aio) or io_uring. */
  readonly aio: BlockAioMode;
  /** force-share (-U): other users may take any permission (read-only nodes only). */
  readonly forceShare?: boolean;
}

/** Submission path (QEMU's BlockdevAioOptions). */
export type BlockAioMode = 'threads' | 'native' | 'io_uring';

/** Flags of one request (QEMU's BdrvRequestFlags). */
export interface BlockRequestFlags {
  /** BDRV_REQ_FUA: the write is durable when it completes. */
  readonly fua?: boolean;
  /** BDRV_REQ_MAY_UNMAP: a zero write may deallocate. */
  readonly mayUnmap?: boolean;
  /** BDRV_REQ_NO_FALLBACK: fail with ENOTSUP rather than write zero buffers. */
  readonly noFallback?: boolean;
}

/** BDRV_BLOCK_* bits of BlockStatus.flags. */
export const BDRV_BLOCK_DATA = 1;
/** Reads as zeroes. */
export const BDRV_BLOCK_ZERO = 2;
/** `map` is valid. */
export const BDRV_BLOCK_OFFSET_VALID = 4;
/** The protocol layer should be asked (raw passthrough). */
export const BDRV_BLOCK_RAW = 8;
/** Allocated in this layer. */
export const BDRV_BLOCK_ALLOCATED = 16;
/** The range reaches the end of the image. */
export const BDRV_BLOCK_EOF = 32;
/** Ask `file` for the details. */
export const BDRV_BLOCK_RECURSE = 64;

/** What bdrv_co_block_status says about the start of a range. */
export interface BlockStatus {
  /** BDRV_BLOCK_* bits. */
  flags: number;
  /** How many bytes from the queried offset share these flags (> 0). */
  bytes: number;
  /** Offset in `file` when OFFSET_VALID. */
  map?: number;
  /** The node `map` refers to. */
  file?: BlockDriverState;
}

/** Preallocation mode of truncate (QEMU's PreallocMode). */
export type PreallocMode = 'off' | 'metadata' | 'falloc' | 'full';

/** An internal snapshot of an image (QEMU's QEMUSnapshotInfo). */
export interface BlockSnapshotInfo {
  readonly id: string;
  readonly name: string;
  readonly vmStateSize: number;
  readonly dateSec: number;
  readonly dateNsec: number;
  readonly vmClockNsec: number;
  readonly icount?: number;
}

/** What `qco-img info` and `qco-io info` print about a node. */
export interface BlockDriverInfo {
  /** Bytes the image takes on the host, when known ("disk size"). */
  readonly allocatedSize?: number;
  /** Cluster size, when the driver has one. */
  readonly clusterSize?: number;
  /** Extra "key: value" lines for info output. */
  readonly extra?: Readonly<Record<string, string>>;
  /** ImageInfoSpecific: `{ type, data }` as qemu-img's json prints it under "format-specific". */
  readonly formatSpecific?: { readonly type: string; readonly data: Readonly<Record<string, string | number | boolean>> };
  /** The image's dirty flag ("dirty-flag"). */
  readonly dirty?: boolean;
  /** Internal snapshots. */
  readonly snapshots?: readonly BlockSnapshotInfo[];
}

/** A node's link to a child node (QEMU's BdrvChild): the format's `file`, the overlay's `backing`. */
export interface BdrvChild {
  /** What the child is to its parent. */
  readonly role: 'file' | 'backing' | (string & {});
  /** The child's name in the parent's options ('file', 'backing'). */
  readonly name: string;
  /** The child node. */
  readonly bs: BlockDriverState;
}

/** Compressed data (no host offset to map to). */
export const BDRV_BLOCK_COMPRESSED = 128;

/** Result of a consistency check (QEMU's BdrvCheckResult). */
export interface BlockCheckResult {
  corruptions: number;
  leaks: number;
  checkErrors: number;
  corruptionsFixed: number;
  leaksFixed: number;
  imageEndOffset: number;
  totalClusters: number;
  allocatedClusters: number;
  fragmentedClusters: number;
  compressedClusters: number;
  /** Lines the check prints while it runs ("Leaked cluster …", "ERROR …"). */
  messages: string[];
}

/**
 * An open image node (QEMU's BlockDriverState + its driver's methods). Every
 * request method is a coroutine_fn. The block layer calls them only with
 * offsets and lengths that are multiples of `requestAlignment` and inside the
 * image (writes may grow it only where the driver says `growable`).
 */
export interface BlockDriverState {
  /** The driver that opened it. */
  readonly driver: BlockDriver;
  /** Filename as QEMU would print it (e.g. 'null-co://', 'ssh://host/path', '/tmp/x.img'). */
  readonly filename: string;
  /** The checked options it was opened with. */
  readonly options: BlockDriverOptions;
  /** The flags it was opened with. */
  readonly flags: BlockOpenFlags;
  /** bl.request_alignment: every request's offset and length are multiples of this (power of two, ≥ 1). */
  readonly requestAlignment: number;
  /** bl.max_transfer: the block layer splits larger requests (0 = no limit). */
  readonly maxTransfer?: number;
  /** Memory alignment the driver wants for buffers (O_DIRECT); informational. */
  readonly memAlignment?: number;
  /** Whether writes past the end grow the image (file protocol semantics). */
  readonly growable?: boolean;

  /** bdrv_co_preadv: fill `qiov` (exactly `bytes` long) with the data at `offset`. */
  coPreadv(offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags): Co;
  /** bdrv_co_pwritev: write `qiov` (exactly `bytes` long) at `offset`. */
  coPwritev(offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags): Co;
  /** bdrv_co_flush: make completed writes durable. */
  coFlush(): Co;
  /** bdrv_co_getlength: the image length in bytes. */
  coGetLength(): Co<number>;
  /** bdrv_co_pwrite_zeroes, where the protocol can write zeroes without a buffer. */
  coPwriteZeroes?(offset: number, bytes: number, flags: BlockRequestFlags): Co;
  /** bdrv_co_truncate, where the protocol can resize. */
  coTruncate?(offset: number, exact: boolean, prealloc: PreallocMode): Co;
  /** bdrv_co_block_status: allocation of the range starting at `offset` (without it: DATA|ALLOCATED|OFFSET_VALID for all bytes). */
  coBlockStatus?(offset: number, bytes: number, wantZero: boolean): Co<BlockStatus>;
  /** bdrv_co_get_info: extra facts for `info`. */
  coGetInfo?(): Co<BlockDriverInfo>;
  /** bdrv_close: release what it holds (a format closes its children). Called once. */
  coClose(): Co;

  /**
   * Permission prepare (QEMU's bdrv_check_perm reaching the driver): take what
   * `perm` (BLK_PERM_* bits, block/permissions.ts) and `shared` need beyond what
   * is held, and check no other user conflicts; throws PermissionConflictError
   * with QEMU's text. Drivers without it take no part in permissions.
   */
  checkPerm?(perm: number, shared: number): void;
  /** Permission commit (bdrv_set_perm): hold exactly `perm` / `shared`, releasing the rest. */
  setPerm?(perm: number, shared: number): void;
  /** Permission abort (bdrv_abort_perm_update): back to the committed state. */
  abortPerm?(): void;
  /** The node's children (a format's `file`, an overlay's `backing`); none for protocol nodes. */
  readonly children?: readonly BdrvChild[];
  /** node-name: given with node-name=, else generated ('#block123'); set by the block layer. */
  nodeName?: string;
  /** Set by the block layer when the format was probed rather than given (QEMU's bs->probed). */
  probed?: boolean;
  /** bdrv_co_pdiscard: the range may be deallocated (reads of it become zeroes or the backing file's data). */
  coPdiscard?(offset: number, bytes: number): Co;
  /** bdrv_co_pwritev_compressed: whole clusters, compressed (formats that can). */
  coPwritevCompressed?(offset: number, bytes: number, qiov: IoVector): Co;
  /** bdrv_snapshot_create: an internal snapshot of the image now, named `name` (formats that have them). */
  coSnapshotCreate?(name: string, dateSec: number, dateNsec: number): Co<BlockSnapshotInfo>;
  /** bdrv_snapshot_goto: revert the image to the snapshot with this id, else this name. */
  coSnapshotGoto?(idOrName: string): Co;
  /** bdrv_snapshot_delete: delete the snapshot with this id and name. */
  coSnapshotDelete?(id: string, name: string): Co;
  /** The backing file name the image records (formats with backing files). */
  readonly backingFile?: string | undefined;
  /** The backing file's format the image records. */
  readonly backingFormat?: string | undefined;
  /** Attach the backing node the block layer opened (or detach with undefined). */
  attachBacking?(bs: BlockDriverState | undefined): Co;
  /** bdrv_co_change_backing_file: record another backing file name / format in the image. */
  coChangeBackingFile?(backingFile: string | undefined, backingFormat: string | undefined): Co;
  /** bdrv_make_empty: drop every allocation (reads fall through to the backing file again). */
  coMakeEmpty?(): Co;
  /** bdrv_co_check: count (with repair, fix) leaks and corruptions. */
  coCheck?(repair: 'none' | 'leaks' | 'all'): Co<BlockCheckResult>;
}

/**
 * A block driver (QEMU's BlockDriver). Plain data plus `open`; it holds no
 * state of its own, so importing one does nothing.
 */
export interface BlockDriver {
  /** BLOCK_DRIVER_SPEC this driver implements. */
  readonly spec: typeof BLOCK_DRIVER_SPEC;
  /** format_name: the name used with driver= and -f ('null-co', 'file', 'ssh'). */
  readonly formatName: string;
  /** protocol_name: filenames starting with '<protocolName>:' select this driver ('null-co', 'ssh', 'nfs'). */
  readonly protocolName?: string;
  /** Runtime options it takes (QEMU's runtime_opts), without the generic ones (driver, filename, read-only, cache.*, aio, node-name). */
  readonly options: readonly BlockOptionDesc[];
  /**
   * bdrv_parse_filename: turn a filename into options (merged under explicit
   * ones). Throw InvalidFilenameError for filenames it cannot take. Without it,
   * `filename` must be one of `options` or is refused as an unknown option.
   */
  parseFilename?(filename: string): BlockOptionsDict;
  /**
   * Where completions come from: 'inline' (the calling thread), 'threads'
   * (worker threads / SharedArrayBuffer, so a blocked caller can still see
   * them) or 'event-loop' (libuv sockets and callbacks: the synchronous face
   * refuses such drivers with SyncUnsupportedError).
   */
  readonly completions: 'inline' | 'threads' | 'event-loop';
  /**
   * bdrv_open: open a node with checked options. A format driver gets its
   * `file` child, already opened by the block layer. Throws BlockError (e.g.
   * CouldNotOpenError).
   */
  open(options: BlockDriverOptions, flags: BlockOpenFlags, file?: BlockDriverState): Co<BlockDriverState>;
  /** bdrv_co_create_opts: create an image of `size` bytes (qco-img create / convert's target). */
  create?(options: BlockDriverOptions, size: number): Co;
  /** A format driver: it reaches its image through a `file` child the block layer opens for it. */
  readonly isFormat?: boolean;
  /** bdrv_probe: how sure the driver is that `buf` (the image's first bytes) is its format (0..100). */
  probe?(buf: Uint8Array, filename: string): number;
  /** A format's create: lay the format out on a protocol node the block layer created and opened. */
  createOnFile?(file: BlockDriverState, options: BlockDriverOptions, size: number): Co;
  /** The -o options a format's create takes (QEMU's create_opts). */
  readonly createOptions?: readonly BlockOptionDesc[];
}
