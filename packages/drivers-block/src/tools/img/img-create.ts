/**
 * qco-img create: any format over any protocol that can create files, with
 * qemu-img's -o options, -b / -F backing files, -u, and its "Formatting"
 * line (options in qemu-img's order).
 */
import { BlockBackend } from '../../block/block-backend.js';
import { findBlockDriver } from '../../block/block-registry.js';
import { backingFilename } from '../../block/block-open.js';
import type { BlockOptionsDict } from '../../block/block-driver.js';
import type { CliStreams } from '../common/streams.js';
import { parseSize } from '../../block/options.js';
import { ImgError, createOptionsArg, parseOpts, sizeArg, usageError } from './img-common.js';

/** The create options qemu-img prints, in its order, with their defaults. */
const QCOW2_LINE: readonly [string, string | undefined][] = [
  ['cluster_size', '65536'],
  ['extended_l2', 'off'],
  ['preallocation', undefined],
  ['compression_type', 'zlib'],
  ['size', undefined],
  ['compat', undefined],
  ['backing_file', undefined],
  ['backing_fmt', undefined],
  ['lazy_refcounts', 'off'],
  ['refcount_bits', '16'],
];

function onOff(v: unknown): string {
  return v === true || v === 'on' || v === 'true' ? 'on' : v === false || v === 'off' || v === 'false' ? 'off' : String(v);
}

/** The "Formatting '…', fmt=… …" line. */
export function formattingLine(name: string, fmt: string, size: number, opts: BlockOptionsDict): string {
  if (fmt !== 'qcow2') return `Formatting '${name}', fmt=${fmt} size=${size}\n`;
  const parts = QCOW2_LINE.flatMap(([k, def]) => {
    const v = k === 'size' ? size : opts[k];
    if (v === undefined) return def === undefined ? [] : [`${k}=${def}`];
    return [`${k}=${k === 'lazy_refcounts' || k === 'extended_l2' ? onOff(v) : String(v)}`];
  });
  return `Formatting '${name}', fmt=${fmt} ${parts.join(' ')}\n`;
}

/** qemu-img create */
export async function imgCreate(args: readonly string[], io: CliStreams): Promise<void> {
  const { opts: o, operands } = parseOpts(args, 'F:b:f:ho:quU', ['format=', 'object=', 'help']);
  if (operands.length < 1) throw usageError('Expecting image file name');
  const name = operands[0];
  const sizeText = operands.at(1);
  // A size in the right syntax but beyond int64 is a range error in qemu-img, not a syntax one.
  const tooLarge = sizeText !== undefined && /^\s*[0-9]+(\.[0-9]*)?\s*[kKmMgGtTpPeE]?\s*$/.test(sizeText) && parseSize(sizeText) === undefined;
  if (tooLarge) throw new ImgError('Invalid image size specified. Must be between 0 and 9223372036854775807.');
  const size = sizeText !== undefined ? sizeArg('image size', sizeText) : undefined;
  const format = o.get('f') ?? o.get('format') ?? 'raw';
  const opts = o.has('o') ? createOptionsArg([o.get('o') as string]) : {};
  const backingFile = o.get('b') ?? (opts['backing_file'] as string | undefined);
  const backingFormat = o.get('F') ?? (opts['backing_fmt'] as string | undefined);
  delete opts['backing_file'];
  delete opts['backing_fmt'];
  if (opts['size'] !== undefined && parseSize(String(opts['size'])) === undefined) throw new ImgError(`${name}: Parameter 'size' expects a non-negative number below 2^64`);
  const givenSize = size ?? (opts['size'] !== undefined ? parseSize(String(opts['size'])) : undefined);
  delete opts['size'];
  let driver;
  try {
    driver = findBlockDriver(format);
  } catch {
    throw new ImgError(`${name}: Unknown file format '${format}'`);
  }
  // -o takes the format's creation options (raw over file: only size).
  for (const k of Object.keys(opts)) {
    if (!(driver.createOptions ?? []).some((d) => d.name === k)) throw new ImgError(`${name}: Invalid parameter '${k}'`);
  }
  if (backingFile === undefined && givenSize === undefined) throw new ImgError(`${name}: Image creation needs a size parameter`);
  if (givenSize !== undefined && givenSize > 2 ** 63 - 1) throw new ImgError('Invalid image size specified. Must be between 0 and 9223372036854775807.');
  let shownSize = givenSize;
  try {
    if (shownSize === undefined && backingFile !== undefined && !o.has('u')) {
      // Size from the backing file: qemu-img opens it first (errors are reported the same way below).
      const b = await BlockBackend.open(backingFilename(backingFile, name), { readOnly: true, ...(backingFormat ? { format: backingFormat } : {}), onWarning: () => {} }).catch(() => undefined);
      if (b !== undefined) {
        shownSize = await b.getLength();
        await b.close();
      }
    }
    if (!o.has('q') && (shownSize !== undefined || backingFile === undefined)) {
      const line: BlockOptionsDict = { ...opts };
      if (backingFile !== undefined) line['backing_file'] = backingFile;
      if (backingFormat !== undefined) line['backing_fmt'] = backingFormat;
      io.out(formattingLine(name, format, shownSize ?? 0, line));
    }
    await BlockBackend.create({
      filename: name,
      format,
      ...(givenSize !== undefined ? { size: givenSize } : {}),
      ...(backingFile !== undefined ? { backingFile } : {}),
      ...(backingFormat !== undefined ? { backingFormat } : {}),
      options: opts,
      unsafe: o.has('u'),
    });
  } catch (err) {
    throw new ImgError(`${name}: ${(err as Error).message}`);
  }
}
