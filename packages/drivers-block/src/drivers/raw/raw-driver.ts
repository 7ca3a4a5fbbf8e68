/**
 * The raw format (QEMU's block/raw-format.c): a format node that passes
 * requests to its `file` child, optionally over a window of it (`offset`,
 * `size`). When raw was probed rather than asked for, a write to the first
 * sector that would make the image probe as another format is refused with
 * EPERM, as QEMU restricts it: otherwise a guest could turn its raw disk into
 * a qcow2 header pointing at host files.
 */
import type { Co } from '@qco/core';
import {
  BDRV_BLOCK_OFFSET_VALID,
  BDRV_BLOCK_RAW,
  BLOCK_DRIVER_SPEC,
  type BdrvChild,
  type BlockDriver,
  type BlockDriverInfo,
  type BlockDriverOptions,
  type BlockDriverState,
  type BlockOpenFlags,
  type BlockOptionDesc,
  type BlockRequestFlags,
  type BlockStatus,
  type PreallocMode,
} from '../../block/block-driver.js';
import { probeFormat } from '../../block/block-open.js';
import { BlockError, BlockIoError, NotSupportedError } from '../../block/errors.js';
import { Errno } from '../../block/errno.js';
import { bdrvCoPreadv, bdrvCoPwritev, bdrvCoPwriteZeroes } from '../../block/io.js';
import { IoVector } from '../../block/iov.js';

const RAW_OPTIONS: readonly BlockOptionDesc[] = [
  { name: 'offset', type: 'size', help: 'offset in the disk where the image starts' },
  { name: 'size', type: 'size', help: 'virtual disk size' },
];

/** An open raw node. */
export class RawBlockDriverState implements BlockDriverState {
  readonly children: BdrvChild[];
  readonly requestAlignment: number;
  readonly maxTransfer?: number;
  readonly growable: boolean;
  nodeName = '';
  probed = false;
  /** Whether requests go straight to the child (offset aligned for it, no window). */
  private readonly direct: boolean;

  constructor(
    readonly driver: BlockDriver,
    readonly options: BlockDriverOptions,
    readonly flags: BlockOpenFlags,
    readonly file: BlockDriverState,
    private readonly base: number,
    private readonly size: number | undefined,
  ) {
    this.children = [{ role: 'file', name: 'file', bs: file }];
    this.direct = base % file.requestAlignment === 0;
    this.requestAlignment = this.direct ? file.requestAlignment : 1;
    if (this.direct && file.maxTransfer !== undefined) this.maxTransfer = file.maxTransfer;
    this.growable = size === undefined && base === 0 && file.growable === true;
  }

  get filename(): string {
    return this.file.filename;
  }

  /** The child's read itself, returned rather than delegated to: no frame of ours on every resume. */
  coPreadv(offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags): Co {
    if (this.direct) return this.file.coPreadv(this.base + offset, bytes, qiov, flags);
    return bdrvCoPreadv(this.file, this.base + offset, bytes, qiov, flags);
  }

  /** raw_co_pwritev's probing guard: the first sector may not turn into another format's header. */
  private *checkBlockZero(offset: number, bytes: number, qiov: IoVector): Co {
    if (!this.probed || offset >= 512 || bytes === 0) return;
    const head = new Uint8Array(512);
    const len = yield* this.coGetLength();
    if (len > 0) yield* bdrvCoPreadv(this.file, this.base, Math.min(512, len), new IoVector(head.subarray(0, Math.min(512, len))));
    qiov.toBufferAt(head.subarray(offset), 0, Math.min(bytes, 512 - offset));
    if (probeFormat(head, this.filename) !== undefined) throw new BlockIoError(Errno.EPERM);
  }

  *coPwritev(offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags): Co {
    yield* this.checkBlockZero(offset, bytes, qiov);
    if (this.direct) return yield* this.file.coPwritev(this.base + offset, bytes, qiov, flags);
    yield* bdrvCoPwritev(this.file, this.base + offset, bytes, qiov, flags);
  }

  *coPwriteZeroes(offset: number, bytes: number, flags: BlockRequestFlags): Co {
    if (this.probed && offset < 512) yield* this.checkBlockZero(offset, bytes, new IoVector(new Uint8Array(Math.min(bytes, 512))));
    yield* bdrvCoPwriteZeroes(this.file, this.base + offset, bytes, flags);
  }

  *coPdiscard(offset: number, bytes: number): Co {
    if (this.file.coPdiscard !== undefined) yield* this.file.coPdiscard(this.base + offset, bytes);
  }

  *coBlockStatus(offset: number, bytes: number, _wantZero: boolean): Co<BlockStatus> {
    return { flags: BDRV_BLOCK_RAW | BDRV_BLOCK_OFFSET_VALID, bytes, map: this.base + offset, file: this.file };
  }

  *coFlush(): Co {
    yield* this.file.coFlush();
  }

  *coGetLength(): Co<number> {
    if (this.size !== undefined) return this.size;
    return Math.max(0, (yield* this.file.coGetLength()) - this.base);
  }

  *coTruncate(offset: number, exact: boolean, prealloc: PreallocMode): Co {
    if (this.size !== undefined || this.base !== 0) throw new NotSupportedError('The raw format cannot be resized with offset or size set');
    if (this.file.coTruncate === undefined) throw new NotSupportedError('Image format driver does not support resize');
    yield* this.file.coTruncate(offset, exact, prealloc);
  }

  *coGetInfo(): Co<BlockDriverInfo> {
    return this.file.coGetInfo ? yield* this.file.coGetInfo() : {};
  }

  *coClose(): Co {
    yield* this.file.coClose();
  }
}

/** The raw format driver. */
export const rawDriver: BlockDriver = {
  spec: BLOCK_DRIVER_SPEC,
  formatName: 'raw',
  isFormat: true,
  options: RAW_OPTIONS,
  completions: 'inline',
  probe(): number {
    return 1;
  },
  *open(options: BlockDriverOptions, flags: BlockOpenFlags, file?: BlockDriverState): Co<BlockDriverState> {
    if (file === undefined) throw new BlockError('A block device must be specified for "file"', Errno.EINVAL);
    const base = (options['offset'] as number | undefined) ?? 0;
    const size = options['size'] as number | undefined;
    const fileLen = yield* file.coGetLength();
    if (base > fileLen) throw new BlockError(`The sum of offset (${base}) and size (0) has to be smaller or equal to the  actual size of the containing file (${fileLen})`, Errno.EINVAL);
    if (size !== undefined && base + size > fileLen) {
      throw new BlockError(`The sum of offset (${base}) and size (${size}) has to be smaller or equal to the  actual size of the containing file (${fileLen})`, Errno.EINVAL);
    }
    return new RawBlockDriverState(rawDriver, options, flags, file, base, size);
  },
  *createOnFile(file: BlockDriverState, _options: BlockDriverOptions, size: number): Co {
    if (file.coTruncate !== undefined) yield* file.coTruncate(size, true, 'off');
  },
};
