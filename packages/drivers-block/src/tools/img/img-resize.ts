/**
 * qco-img resize: set an image's virtual size (absolute, or +/- relative),
 * refusing to shrink without --shrink as qemu-img does.
 */
import type { CliStreams } from '../common/streams.js';
import { ImgError, openImage, parseOpts, sizeArg } from './img-common.js';

/** qemu-img resize */
export async function imgResize(args: readonly string[], io: CliStreams): Promise<void> {
  // A negative size looks like an option to getopt: take it out first.
  const sizeIdx = args.findIndex((a, i) => i === args.length - 1 && /^[+-]/.test(a));
  const rest = sizeIdx >= 0 ? args.slice(0, sizeIdx) : args;
  const { opts: o, operands } = parseOpts(rest, 'f:hqU', ['image-opts', 'object=', 'help', 'shrink', 'preallocation=']);
  const sizeText = sizeIdx >= 0 ? args[sizeIdx] : operands.at(1);
  const name = operands.at(0);
  if (name === undefined || sizeText === undefined) throw new ImgError('Expecting image file name and size');
  const prealloc = o.get('preallocation') ?? 'off';
  if (!['off', 'metadata', 'falloc', 'full'].includes(prealloc)) throw new ImgError(`Invalid preallocation mode '${prealloc}'`);
  const blk = await openImage(name, o.has('f') ? { format: o.get('f') as string } : {}, false, io);
  try {
    const cur = await blk.getLength();
    const rel = sizeText[0] === '+' ? 1 : sizeText[0] === '-' ? -1 : 0;
    const n = sizeArg('image size', rel !== 0 ? sizeText.slice(1) : sizeText);
    const size = rel === 0 ? n : cur + rel * n;
    if (size < 0) throw new ImgError('New image size must be positive');
    if (size < cur && !o.has('shrink')) {
      io.err("qco-img: warning: Shrinking an image will delete all data beyond the shrunken image's end. Before performing such an operation, make sure there is no important data there.\n");
      throw new ImgError('Use the --shrink option to perform a shrink operation.');
    }
    try {
      await blk.truncate(size, false, prealloc as 'off' | 'metadata' | 'falloc' | 'full');
    } catch (err) {
      throw new ImgError((err as Error).message);
    }
    if (!o.has('q')) io.out('Image resized.\n');
  } finally {
    await blk.close();
  }
}
