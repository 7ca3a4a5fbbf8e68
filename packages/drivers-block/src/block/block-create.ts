/**
 * Creating an image (QEMU's bdrv_img_create): the protocol makes an empty
 * file, the format lays itself out on it. Without a size, an overlay takes
 * its backing file's; the backing file must open (with the format given, or
 * probed — then, as in QEMU, the format has to be named: "Backing file
 * specified without backing format").
 */
import type { Co } from '@qco/core';
import type { BlockDriverState, BlockOptionsDict } from './block-driver.js';
import { backingFilename, bdrvOpen, probeFormat, BLOCK_PROBE_BUF_SIZE } from './block-open.js';
import { findBlockDriver, findProtocolDriver } from './block-registry.js';
import { BlockError, NotSupportedError, errnoOf } from './errors.js';
import { Errno } from './errno.js';
import { bdrvCoPreadv } from './io.js';
import { IoVector } from './iov.js';
import { checkOptions } from './options.js';

/** What `BlockBackend.create` takes. */
export interface BlockCreateOptions {
  /** Where the image goes (a filename or URL of any protocol that can create files). */
  readonly filename: string;
  /** Image format: 'qcow2', 'raw' (default). */
  readonly format?: string;
  /** Virtual size in bytes (optional with a backing file: then the backing file's size). */
  readonly size?: number;
  /** Backing file name, recorded as given (relative names are relative to the image). */
  readonly backingFile?: string;
  /** Backing file format (qemu-img requires it with a backing file). */
  readonly backingFormat?: string;
  /** The format's -o options (cluster_size, compat, lazy_refcounts, preallocation, refcount_bits, …). */
  readonly options?: BlockOptionsDict;
  /** -u: do not open the backing file (size must then be given). */
  readonly unsafe?: boolean;
}

function* closeQuietly(bs: BlockDriverState): Co {
  try {
    yield* bs.coClose();
  } catch {
    // best effort
  }
}

/** Open the backing file (read-only) for its size and, when not given, its detected format. */
function* inspectBacking(o: BlockCreateOptions): Co<{ size: number; detected: string }> {
  const name = backingFilename(o.backingFile as string, o.filename);
  let probeBs: BlockDriverState | undefined;
  try {
    probeBs = yield* bdrvOpen(name, { readOnly: true, protocolOnly: true });
    const buf = new Uint8Array(Math.min(BLOCK_PROBE_BUF_SIZE, yield* probeBs.coGetLength()));
    if (buf.length > 0) yield* bdrvCoPreadv(probeBs, 0, buf.length, new IoVector(buf));
    const detected = probeFormat(buf, name)?.formatName ?? 'raw';
    yield* closeQuietly(probeBs);
    probeBs = undefined;
    const bs = yield* bdrvOpen(name, { readOnly: true, format: o.backingFormat ?? detected, onWarning: () => {} });
    try {
      return { size: yield* bs.coGetLength(), detected };
    } finally {
      yield* closeQuietly(bs);
    }
  } catch (err) {
    if (probeBs !== undefined) yield* closeQuietly(probeBs);
    throw new BlockError(`${(err as Error).message}\nCould not open backing image.`, errnoOf(err), { cause: err });
  }
}

/** bdrv_img_create as a coroutine_fn. */
export function* bdrvCreate(o: BlockCreateOptions): Co {
  const format = findBlockDriver(o.format ?? 'raw');
  if (format.isFormat !== true) {
    // A protocol driver asked for directly (-f file): it creates the file itself.
    if (format.create === undefined) throw new NotSupportedError(`Driver '${format.formatName}' does not support image creation`);
    if (o.size === undefined) throw new BlockError('Image creation needs a size parameter', Errno.EINVAL);
    const size = o.size;
    return yield* format.create(checkOptions(format, format.options, format.parseFilename ? format.parseFilename(o.filename) : { filename: o.filename }), size);
  }
  if (format.createOnFile === undefined) throw new NotSupportedError(`Format driver '${format.formatName}' does not support image creation`);
  let size = o.size;
  const own: BlockOptionsDict = { ...(o.options ?? {}) };
  if (o.backingFile !== undefined) {
    own['backing_file'] = o.backingFile;
    if (o.backingFormat !== undefined) own['backing_fmt'] = o.backingFormat;
    if (o.unsafe !== true) {
      const b = yield* inspectBacking(o);
      if (o.backingFormat === undefined) {
        throw new BlockError(`Backing file specified without backing format\nDetected format of ${b.detected}.`, Errno.EINVAL);
      }
      size ??= b.size;
    } else if (o.backingFormat === undefined) {
      throw new BlockError('Backing file specified without backing format', Errno.EINVAL);
    }
  }
  if (size === undefined) throw new BlockError('Image creation needs a size parameter', Errno.EINVAL);
  const createOptions = checkOptions(format, format.createOptions ?? [], own);
  const protocol = findProtocolDriver(o.filename);
  if (protocol.create === undefined) throw new NotSupportedError(`Protocol driver '${protocol.formatName}' does not support image creation`);
  const popts = checkOptions(protocol, protocol.options, protocol.parseFilename ? protocol.parseFilename(o.filename) : { filename: o.filename });
  yield* protocol.create(popts, 0);
  const file = yield* bdrvOpen(o.filename, { protocolOnly: true });
  try {
    // No flush of our own: a format that needs its new metadata durable flushes it (qcow2 does);
    // a raw image is only a length, which qemu-img create does not sync either.
    yield* format.createOnFile(file, createOptions, size);
  } finally {
    yield* file.coClose();
  }
}
