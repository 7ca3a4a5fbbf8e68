/**
 * qco-img commit and rebase, the two backing-chain operations of qemu-img:
 * commit copies what an overlay allocates into its backing file and empties
 * the overlay (unless -d); rebase points an overlay at another backing file,
 * first copying into the overlay every range where the old and new backing
 * contents differ (unless -u, which only rewrites the name).
 */
import { BlockBackend } from '../../block/block-backend.js';
import { BDRV_BLOCK_ALLOCATED, BDRV_BLOCK_ZERO } from '../../block/block-driver.js';
import { backingFilename, childOf } from '../../block/block-open.js';
import { createProgress } from '../common/progress.js';
import type { CliStreams } from '../common/streams.js';
import { ImgError, openImage, parseOpts } from './img-common.js';

const CHUNK = 1 << 20;

/** qemu-img commit */
export async function imgCommit(args: readonly string[], io: CliStreams): Promise<void> {
  const { opts: o, operands } = parseOpts(args, 'f:ht:b:dpqr:U', ['image-opts', 'object=', 'help']);
  if (operands.length !== 1) throw new ImgError('Expecting one image file name');
  const name = operands[0];
  const top = await openImage(name, { readOnly: true, ...(o.has('f') ? { format: o.get('f') as string } : {}) }, false, io);
  let baseName: string;
  let baseFmt: string | undefined;
  try {
    if (top.bs.backingFile === undefined || childOf(top.bs, 'backing') === undefined) throw new ImgError('Image does not have a backing file');
    baseName = backingFilename(top.bs.backingFile, name);
    baseFmt = childOf(top.bs, 'backing')?.driver.formatName;
    if (o.has('b') && backingFilename(o.get('b') as string, '') !== baseName && o.get('b') !== top.bs.backingFile) {
      throw new ImgError('commit -b is only supported for the immediate backing file here');
    }
  } catch (err) {
    await top.close();
    throw err;
  }
  let base: BlockBackend;
  try {
    base = await BlockBackend.open(baseName, { ...(baseFmt ? { format: baseFmt } : {}), options: { backing: '' } });
  } catch (err) {
    await top.close();
    throw new ImgError(`Could not open '${baseName}': ${(err as Error).message}`);
  }
  const size = await top.getLength();
  const progress = createProgress(io, size, o.has('p') && !o.has('q'));
  try {
    if ((await base.getLength()) < size) await base.truncate(size);
    for (let at = 0; at < size; ) {
      const st = await top.blockStatus(at, Math.min(CHUNK, size - at));
      if ((st.flags & BDRV_BLOCK_ZERO) !== 0) await base.pwriteZeroes(at, st.bytes, { mayUnmap: true });
      else if ((st.flags & BDRV_BLOCK_ALLOCATED) !== 0) await base.pwrite(at, await top.pread(at, st.bytes));
      at += st.bytes;
      progress.update(at);
    }
    await base.flush();
  } finally {
    progress.stop();
    await base.close();
    await top.close();
  }
  if (!o.has('d')) {
    const rw = await BlockBackend.open(name, { ...(o.has('f') ? { format: o.get('f') as string } : { format: top.bs.driver.formatName }), options: { backing: '' } });
    try {
      if (rw.bs.coMakeEmpty !== undefined) await rw.makeEmpty();
    } finally {
      await rw.close();
    }
  }
  if (!o.has('q')) io.out('Image committed.\n');
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** qemu-img rebase */
export async function imgRebase(args: readonly string[], io: CliStreams): Promise<void> {
  const { opts: o, operands } = parseOpts(args, 'hf:F:b:upt:T:qU', ['image-opts', 'object=', 'help', 'force-share', 'compress']);
  if (operands.length !== 1) throw new ImgError('Expecting one image file name');
  if (!o.has('b')) throw new ImgError('Must specify backing file (-b) or use unsafe mode (-u)');
  const name = operands[0];
  const newBacking = o.get('b') as string;
  const newFmt = o.get('F');
  const unsafe = o.has('u');
  const fmt = o.get('f');
  const blk = await openImage(name, { ...(fmt ? { format: fmt } : {}), ...(unsafe ? { options: { backing: '' } } : {}) }, false, io);
  try {
    if (blk.bs.coChangeBackingFile === undefined) throw new ImgError(`Could not change the backing file to '${newBacking}': Operation not supported`);
    let recordedFmt = newFmt;
    if (!unsafe) {
      let nb: BlockBackend | undefined;
      if (newBacking !== '') {
        try {
          nb = await BlockBackend.open(backingFilename(newBacking, name), { readOnly: true, ...(newFmt ? { format: newFmt } : {}), onWarning: () => {} });
        } catch (err) {
          throw new ImgError(`Could not open new backing file '${backingFilename(newBacking, name)}': ${(err as Error).message}`);
        }
        recordedFmt ??= nb.driverName;
      }
      try {
        const size = await blk.getLength();
        const nbSize = nb ? await nb.getLength() : 0;
        const progress = createProgress(io, size, o.has('p') && !o.has('q'));
        for (let at = 0; at < size; ) {
          const st = await blk.blockStatus(at, Math.min(CHUNK, size - at));
          const n = st.bytes;
          if ((st.flags & BDRV_BLOCK_ALLOCATED) === 0) {
            const old = await blk.pread(at, n);
            const now = new Uint8Array(n);
            if (nb !== undefined && at < nbSize) now.set(await nb.pread(at, Math.min(n, nbSize - at)));
            if (!same(old, now)) await blk.pwrite(at, old);
          }
          at += n;
          progress.update(at);
        }
        progress.stop();
      } finally {
        if (nb !== undefined) await nb.close();
      }
    }
    await blk.changeBackingFile(newBacking === '' ? undefined : newBacking, newBacking === '' ? undefined : recordedFmt);
  } finally {
    await blk.close();
  }
}
