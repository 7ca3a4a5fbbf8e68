/**
 * BlockBackend (QEMU's block/block-backend.c): the handle users hold. Every
 * request exists once, as a coroutine_fn (`coPread`, `coPwrite`, …), which
 * checks the request against the image (QEMU's blk_check_byte_request: -EIO
 * past the end), refuses writes on a read-only node, and goes through the
 * generic request path. The other faces wrap that same coroutine_fn: a
 * Promise face (`await blk.pread(off, len)`), a callback face for
 * queue-depth loops (`aioPreadv`, completion always after the call returns,
 * as QEMU's blk_aio_* guarantee), and a synchronous face (`preadSync`) that
 * runs the coroutine and polls the event loop until it is done — QEMU's
 * co_wrapper. Drivers whose completions need libuv callbacks (sockets) refuse
 * the synchronous face with SyncUnsupportedError before anything is sent.
 */
import { coroutineCreate, coroutineEnter, coroutineRun, type Co } from '@qco/core';
import type { BlockCheckResult, BlockDriverInfo, BlockDriverState, BlockOptionsDict, BlockRequestFlags, BlockStatus, PreallocMode } from './block-driver.js';
import { bdrvOpen, graphNodes, resolveBlockSpec, type BlockOpenOptions } from './block-open.js';
import { bdrvCreate, type BlockCreateOptions } from './block-create.js';
import { bdrvCoBlockStatus, bdrvCoBlockStatusAbove, type BlockStatusAbove } from './block-status.js';
import { BlockError, NotSupportedError, ReadOnlyError, RequestRangeError, SyncUnsupportedError } from './errors.js';
import { Errno } from './errno.js';
import { bdrvCoPreadv, bdrvCoPwritev, bdrvCoPwriteZeroes } from './io.js';
import { IoVector } from './iov.js';
import { runSync } from './sync-run.js';
import { BLK_PERM_ALL, backendPermissions, bdrvSetPerm } from './permissions.js';
import { parseBlockSpec } from './options.js';
import { scheduleSoon } from './deferred.js';

const NO_FLAGS: BlockRequestFlags = Object.freeze({});

/** Completion callback of the callback face: `err` is null on success. */
export type BlockAioCallback = (err: BlockError | null) => void;

function toBlockError(err: unknown): BlockError {
  if (err instanceof BlockError) return err;
  return new BlockError(err instanceof Error ? err.message : String(err), Errno.EIO, { cause: err });
}


/** The user-facing handle on an open node. */
/** One callback-face request (QEMU's BlkAioEmAIOCB), reused as the coroutine's opaque. */
interface AioRequest {
  blk: BlockBackend;
  kind: 0 | 1 | 2; // read, write, flush
  offset: number;
  qiov: IoVector | null;
  flags: BlockRequestFlags;
  cb: BlockAioCallback;
  returned: boolean;
  err: BlockError | null;
}

/** The coroutine body of every callback-face request. */
function* aioEntry(req: AioRequest): Co {
  const blk = req.blk;
  try {
    if (req.kind === 2) yield* blk.coFlush();
    else yield* blk.coRw(req.kind === 1, req.offset, (req.qiov as IoVector).size, req.qiov as IoVector, req.flags);
  } catch (e) {
    req.err = toBlockError(e);
  }
  // Like blk_aio_complete: never call back before the submitting call has returned.
  if (req.returned) req.cb(req.err);
  else blk.deferCompletion(req);
}

/** The protocol driver at the bottom of what `spec` opens (whose completions the synchronous face depends on). */
function leafDriver(spec: string | BlockOptionsDict, how: BlockOpenOptions): { completions: string; formatName: string } {
  let dict: BlockOptionsDict = typeof spec === 'string' ? { ...(resolveDictOf(spec, how)) } : { ...spec };
  for (let depth = 0; depth < 8; depth++) {
    const r = resolveBlockSpec(dict, { ...how, options: {} });
    if (r.driver.isFormat !== true) return r.driver;
    const child: BlockOptionsDict = {};
    for (const [k, v] of Object.entries(dict)) if (k.startsWith('file.')) child[k.slice(5)] = v;
    if (Object.keys(child).length === 0) child['filename'] = dict['filename'];
    dict = child;
    how = {};
  }
  return { completions: 'inline', formatName: '' };
}

function resolveDictOf(spec: string, how: BlockOpenOptions): BlockOptionsDict {
  return { ...parseBlockSpec(spec, how.imageOpts ?? false), ...(how.options ?? {}) };
}

export class BlockBackend {
  private closed = false;
  private inflight = 0;
  private length = -1;
  private readonly completions: AioRequest[] = [];
  private completionBhScheduled = false;

  private permBits = 0;
  private sharedBits = BLK_PERM_ALL;

  /** Wrap an already open node (taking no permissions; see setPerm). */
  constructor(readonly bs: BlockDriverState) {}

  /**
   * blk_new_open's second half: take the permissions the open flags imply
   * (backendPermissions) on the new node, closing it again when another user
   * of the image conflicts.
   */
  private static *coAttach(bs: BlockDriverState, how: BlockOpenOptions): Co<BlockBackend> {
    const blk = new BlockBackend(bs);
    const p = backendPermissions({ readOnly: bs.flags.readOnly, noIo: how.noIo === true, resize: how.resize === true, noShare: how.noShare === true });
    try {
      blk.setPerm(p.perm, p.shared);
    } catch (err) {
      yield* bs.coClose();
      throw err;
    }
    return blk;
  }

  /** Open `spec` (a filename, `json:{…}`, or with imageOpts a `driver=…,…` string) as a coroutine_fn. */
  static *coOpen(spec: string | BlockOptionsDict, how: BlockOpenOptions = {}): Co<BlockBackend> {
    return yield* BlockBackend.coAttach(yield* bdrvOpen(spec, how), how);
  }

  /** blk_set_perm: hold `perm` and share `shared` (BLK_PERM_* bits); throws PermissionConflictError, keeping the old ones. */
  setPerm(perm: number, shared: number): void {
    bdrvSetPerm(this.bs, perm, shared);
    this.permBits = perm;
    this.sharedBits = shared;
  }

  /** The permissions held (BLK_PERM_* bits). */
  get perm(): number {
    return this.permBits;
  }

  /** The permissions shared with other users. */
  get sharedPerm(): number {
    return this.sharedBits;
  }

  /** Open `spec`; resolves to a BlockBackend. */
  static open(spec: string | BlockOptionsDict, how: BlockOpenOptions = {}): Promise<BlockBackend> {
    return coroutineRun(() => BlockBackend.coOpen(spec, how));
  }

  /** Open `spec` synchronously (drivers whose completions do not need the event loop). */
  static openSync(spec: string | BlockOptionsDict, how: BlockOpenOptions = {}): BlockBackend {
    const leaf = leafDriver(spec, how);
    if (leaf.completions === 'event-loop') throw new SyncUnsupportedError(leaf.formatName);
    return runSync(function* () {
      return yield* BlockBackend.coAttach(yield* bdrvOpen(spec, how), how);
    });
  }

  /** Create an image (qemu-img create): `{ filename, format: 'qcow2', size, backingFile }`. */
  static create(options: BlockCreateOptions): Promise<void> {
    return coroutineRun(() => bdrvCreate(options));
  }

  /** Create an image as a coroutine_fn. */
  static *coCreate(options: BlockCreateOptions): Co {
    yield* bdrvCreate(options);
  }

  /** The driver's format name ('null-co', 'file', …). */
  get driverName(): string {
    return this.bs.driver.formatName;
  }

  /** Whether the node was opened read-only. */
  get readOnly(): boolean {
    return this.bs.flags.readOnly;
  }

  /** Requests started and not yet finished. */
  get inFlight(): number {
    return this.inflight;
  }

  /**
   * blk_check_byte_request. The length is read once and then kept, as QEMU
   * keeps bs->total_sectors; truncate through this handle refreshes it.
   */
  private *checkByteRequest(offset: number, bytes: number): Co {
    if (this.length < 0) this.length = yield* this.bs.coGetLength();
    this.checkRange(offset, bytes);
  }

  private checkRange(offset: number, bytes: number): void {
    if (this.closed) throw new BlockError('Block backend is closed', Errno.EBADF);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(bytes) || offset < 0 || bytes < 0) {
      throw new RequestRangeError(`Invalid request: offset ${offset}, ${bytes} bytes`, Errno.EIO);
    }
    const len = this.length;
    if (offset > len || len - offset < bytes) throw new RequestRangeError('Input/output error', Errno.EIO);
  }

  /** @internal The request path shared by every read and write face. */
  *coRw(write: boolean, offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags): Co {
    if (write) this.checkWritable();
    if (this.length < 0) this.length = yield* this.bs.coGetLength();
    this.checkRange(offset, bytes);
    if (qiov.size < bytes) throw new RequestRangeError(`I/O vector of ${qiov.size} bytes is shorter than the request (${bytes} bytes)`, Errno.EINVAL);
    if (qiov.size > bytes) qiov = qiov.slice(0, bytes);
    const bs = this.bs;
    this.inflight++;
    try {
      if (bytes === 0) return;
      // Fast path: nothing to pad or split, straight to the driver (an aligned read
      // needs nothing of bdrv_co_preadv either; a write may need its tracking).
      const a = bs.requestAlignment;
      if ((a <= 1 || (!write && offset % a === 0 && bytes % a === 0)) && (bs.maxTransfer === undefined || bs.maxTransfer === 0 || bytes <= bs.maxTransfer)) {
        if (write) yield* bs.coPwritev(offset, bytes, qiov, flags);
        else yield* bs.coPreadv(offset, bytes, qiov, flags);
      } else if (write) {
        yield* bdrvCoPwritev(bs, offset, bytes, qiov, flags);
      } else {
        yield* bdrvCoPreadv(bs, offset, bytes, qiov, flags);
      }
    } finally {
      this.inflight--;
    }
  }

  /** @internal Queue a callback-face completion that finished before its submitting call returned. */
  deferCompletion(req: AioRequest): void {
    this.completions.push(req);
    if (this.completionBhScheduled) return;
    this.completionBhScheduled = true;
    scheduleSoon(() => {
      this.completionBhScheduled = false;
      // One BH for every completion queued so far; ones queued while running wait for the next.
      const batch = this.completions.splice(0, this.completions.length);
      for (const r of batch) r.cb(r.err);
    });
  }

  private checkWritable(): void {
    if (this.bs.flags.readOnly) throw new ReadOnlyError();
  }

  // ----- coroutine face -------------------------------------------------------

  /** blk_co_preadv: read `bytes` at `offset` into `qiov`. */
  *coPreadv(offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags = NO_FLAGS): Co {
    yield* this.coRw(false, offset, bytes, qiov, flags);
  }

  /** blk_co_pread: read `bytes` at `offset` into a new buffer (or into `into`). */
  *coPread(offset: number, bytes: number, into?: Uint8Array): Co<Uint8Array> {
    const buf = into ?? new Uint8Array(bytes);
    yield* this.coPreadv(offset, bytes, new IoVector(buf.subarray(0, bytes)));
    return buf;
  }

  /** blk_co_pwritev: write `bytes` of `qiov` at `offset`. */
  *coPwritev(offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags = NO_FLAGS): Co {
    yield* this.coRw(true, offset, bytes, qiov, flags);
  }

  /** blk_co_pwrite: write `data` at `offset`. */
  *coPwrite(offset: number, data: Uint8Array, flags: BlockRequestFlags = NO_FLAGS): Co {
    yield* this.coPwritev(offset, data.length, new IoVector(data), flags);
  }

  /** blk_co_pwrite_zeroes: write `bytes` zero bytes at `offset`. */
  *coPwriteZeroes(offset: number, bytes: number, flags: BlockRequestFlags = NO_FLAGS): Co {
    this.checkWritable();
    yield* this.checkByteRequest(offset, bytes);
    this.inflight++;
    try {
      yield* bdrvCoPwriteZeroes(this.bs, offset, bytes, flags);
    } finally {
      this.inflight--;
    }
  }

  /** blk_co_flush */
  *coFlush(): Co {
    if (this.closed) throw new BlockError('Block backend is closed', Errno.EBADF);
    if (this.bs.flags.cacheNoFlush) return;
    yield* this.bs.coFlush();
  }

  /** blk_co_getlength */
  *coGetLength(): Co<number> {
    this.length = yield* this.bs.coGetLength();
    return this.length;
  }

  /** blk_co_truncate: resize the image (drivers whose protocol can). */
  *coTruncate(offset: number, exact = true, prealloc: PreallocMode = 'off'): Co {
    this.checkWritable();
    if (!Number.isSafeInteger(offset) || offset < 0) throw new BlockError('Image size cannot be negative', Errno.EINVAL);
    if (this.bs.coTruncate === undefined) throw new NotSupportedError('Image format driver does not support resize');
    try {
      yield* this.bs.coTruncate(offset, exact, prealloc);
    } finally {
      this.length = -1;
    }
  }

  /** bdrv_co_get_info */
  *coGetInfo(): Co<BlockDriverInfo> {
    return this.bs.coGetInfo ? yield* this.bs.coGetInfo() : {};
  }

  /** bdrv_co_block_status of the top node (through a raw format to its file). */
  *coBlockStatus(offset: number, bytes: number): Co<BlockStatus> {
    yield* this.checkByteRequest(offset, bytes);
    if (bytes === 0) return { flags: 0, bytes: 0 };
    const st = yield* bdrvCoBlockStatus(this.bs, offset, bytes);
    return st.bytes > bytes ? { ...st, bytes } : st;
  }

  /** bdrv_co_block_status_above: through the backing chain, with the depth the answer came from. */
  *coBlockStatusAbove(offset: number, bytes: number): Co<BlockStatusAbove> {
    yield* this.checkByteRequest(offset, bytes);
    if (bytes === 0) return { flags: 0, bytes: 0, depth: 0, layer: 0 };
    return yield* bdrvCoBlockStatusAbove(this.bs, offset, bytes);
  }

  /** blk_co_pdiscard: let the node deallocate the range (a no-op where it cannot). */
  *coPdiscard(offset: number, bytes: number): Co {
    this.checkWritable();
    yield* this.checkByteRequest(offset, bytes);
    if (this.bs.coPdiscard === undefined || bytes === 0) return;
    this.inflight++;
    try {
      yield* this.bs.coPdiscard(offset, bytes);
    } finally {
      this.inflight--;
    }
  }

  /** blk_co_pwritev_compressed: whole clusters, compressed (formats that can). */
  *coPwriteCompressed(offset: number, data: Uint8Array): Co {
    this.checkWritable();
    yield* this.checkByteRequest(offset, data.length);
    if (this.bs.coPwritevCompressed === undefined) throw new NotSupportedError('Compression is not supported for this drive');
    this.inflight++;
    try {
      yield* this.bs.coPwritevCompressed(offset, data.length, new IoVector(data));
    } finally {
      this.inflight--;
    }
  }

  /** bdrv_make_empty */
  *coMakeEmpty(): Co {
    this.checkWritable();
    if (this.bs.coMakeEmpty === undefined) throw new NotSupportedError('Image format does not support emptying');
    yield* this.bs.coMakeEmpty();
  }

  /** bdrv_change_backing_file: record another backing file (undefined: none) in the image. */
  *coChangeBackingFile(backingFile: string | undefined, backingFormat: string | undefined): Co {
    this.checkWritable();
    if (this.bs.coChangeBackingFile === undefined) throw new NotSupportedError('Operation not supported');
    yield* this.bs.coChangeBackingFile(backingFile, backingFormat);
  }

  /** bdrv_co_check: consistency check (formats that have one). */
  *coCheck(repair: 'none' | 'leaks' | 'all' = 'none'): Co<BlockCheckResult> {
    if (this.bs.coCheck === undefined) throw new NotSupportedError("This image format does not support checks");
    return yield* this.bs.coCheck(repair);
  }

  /** blk_unref: close the node (once). */
  *coClose(): Co {
    if (this.closed) return;
    this.closed = true;
    yield* this.bs.coClose();
  }

  // ----- Promise face ---------------------------------------------------------

  /** Read `bytes` at `offset`. */
  pread(offset: number, bytes: number, into?: Uint8Array): Promise<Uint8Array> {
    return coroutineRun(() => this.coPread(offset, bytes, into));
  }
  /** Read into `qiov`. */
  preadv(offset: number, qiov: IoVector, flags: BlockRequestFlags = NO_FLAGS): Promise<void> {
    return coroutineRun(() => this.coPreadv(offset, qiov.size, qiov, flags));
  }
  /** Write `data` at `offset`. */
  pwrite(offset: number, data: Uint8Array, flags: BlockRequestFlags = NO_FLAGS): Promise<void> {
    return coroutineRun(() => this.coPwrite(offset, data, flags));
  }
  /** Write `qiov` at `offset`. */
  pwritev(offset: number, qiov: IoVector, flags: BlockRequestFlags = NO_FLAGS): Promise<void> {
    return coroutineRun(() => this.coPwritev(offset, qiov.size, qiov, flags));
  }
  /** Write zeroes. */
  pwriteZeroes(offset: number, bytes: number, flags: BlockRequestFlags = NO_FLAGS): Promise<void> {
    return coroutineRun(() => this.coPwriteZeroes(offset, bytes, flags));
  }
  /** Flush. */
  flush(): Promise<void> {
    return coroutineRun(() => this.coFlush());
  }
  /** Image length in bytes. */
  getLength(): Promise<number> {
    return coroutineRun(() => this.coGetLength());
  }
  /** Resize. */
  truncate(offset: number, exact = true, prealloc: PreallocMode = 'off'): Promise<void> {
    return coroutineRun(() => this.coTruncate(offset, exact, prealloc));
  }
  /** Driver facts for info output. */
  getInfo(): Promise<BlockDriverInfo> {
    return coroutineRun(() => this.coGetInfo());
  }
  /** Block status of the top node. */
  blockStatus(offset: number, bytes: number): Promise<BlockStatus> {
    return coroutineRun(() => this.coBlockStatus(offset, bytes));
  }
  /** Block status through the backing chain. */
  blockStatusAbove(offset: number, bytes: number): Promise<BlockStatusAbove> {
    return coroutineRun(() => this.coBlockStatusAbove(offset, bytes));
  }
  /** Write whole clusters compressed. */
  pwriteCompressed(offset: number, data: Uint8Array): Promise<void> {
    return coroutineRun(() => this.coPwriteCompressed(offset, data));
  }
  /** Discard. */
  pdiscard(offset: number, bytes: number): Promise<void> {
    return coroutineRun(() => this.coPdiscard(offset, bytes));
  }
  /** Empty the image. */
  makeEmpty(): Promise<void> {
    return coroutineRun(() => this.coMakeEmpty());
  }
  /** Record another backing file. */
  changeBackingFile(backingFile: string | undefined, backingFormat: string | undefined): Promise<void> {
    return coroutineRun(() => this.coChangeBackingFile(backingFile, backingFormat));
  }
  /** Consistency check. */
  check(repair: 'none' | 'leaks' | 'all' = 'none'): Promise<BlockCheckResult> {
    return coroutineRun(() => this.coCheck(repair));
  }
  /** Close the node. */
  close(): Promise<void> {
    return coroutineRun(() => this.coClose());
  }

  // ----- callback face (QEMU's blk_aio_*) --------------------------------------

  private aio(kind: 0 | 1 | 2, offset: number, qiov: IoVector | null, flags: BlockRequestFlags, cb: BlockAioCallback): void {
    const req: AioRequest = { blk: this, kind, offset, qiov, flags, cb, returned: false, err: null };
    coroutineEnter(coroutineCreate(aioEntry, req));
    req.returned = true;
  }

  /** blk_aio_preadv: start a read; `cb` runs after this call returns. */
  aioPreadv(offset: number, qiov: IoVector, flags: BlockRequestFlags, cb: BlockAioCallback): void {
    this.aio(0, offset, qiov, flags, cb);
  }
  /** blk_aio_pwritev: start a write; `cb` runs after this call returns. */
  aioPwritev(offset: number, qiov: IoVector, flags: BlockRequestFlags, cb: BlockAioCallback): void {
    this.aio(1, offset, qiov, flags, cb);
  }
  /** blk_aio_flush */
  aioFlush(cb: BlockAioCallback): void {
    this.aio(2, 0, null, NO_FLAGS, cb);
  }

  // ----- synchronous face (QEMU's co_wrapper) -----------------------------------

  private sync<T>(fn: () => Co<T>): T {
    const loop = graphNodes(this.bs).find((n) => n.driver.completions === 'event-loop');
    if (loop !== undefined) throw new SyncUnsupportedError(loop.driver.formatName);
    return runSync(fn);
  }
  /** blk_pread: read `bytes` at `offset`, blocking. */
  preadSync(offset: number, bytes: number, into?: Uint8Array): Uint8Array {
    return this.sync(() => this.coPread(offset, bytes, into));
  }
  /** blk_pwrite: write `data` at `offset`, blocking. */
  pwriteSync(offset: number, data: Uint8Array, flags: BlockRequestFlags = NO_FLAGS): void {
    this.sync(() => this.coPwrite(offset, data, flags));
  }
  /** blk_preadv, blocking. */
  preadvSync(offset: number, qiov: IoVector): void {
    this.sync(() => this.coPreadv(offset, qiov.size, qiov));
  }
  /** blk_pwritev, blocking. */
  pwritevSync(offset: number, qiov: IoVector): void {
    this.sync(() => this.coPwritev(offset, qiov.size, qiov));
  }
  /** blk_pwrite_zeroes, blocking. */
  pwriteZeroesSync(offset: number, bytes: number, flags: BlockRequestFlags = NO_FLAGS): void {
    this.sync(() => this.coPwriteZeroes(offset, bytes, flags));
  }
  /** blk_flush, blocking. */
  flushSync(): void {
    this.sync(() => this.coFlush());
  }
  /** blk_getlength, blocking. */
  getLengthSync(): number {
    return this.sync(() => this.coGetLength());
  }
  /** blk_truncate, blocking. */
  truncateSync(offset: number, exact = true, prealloc: PreallocMode = 'off'): void {
    this.sync(() => this.coTruncate(offset, exact, prealloc));
  }
  /** Close, blocking. */
  closeSync(): void {
    this.sync(() => this.coClose());
  }
}
