/**
 * qco-img check: the format's consistency check, printed as qemu-img prints
 * it (the per-cluster lines on standard error, the summary, "Image end
 * offset"), with -r leaks|all repairs and qemu-img's exit codes: 0 clean,
 * 1 check failed, 2 corruptions, 3 leaks only.
 */
import type { BlockCheckResult } from '../../block/block-driver.js';
import type { CliStreams } from '../common/streams.js';
import { qemuJson } from './img-info.js';
import { ImgError, checkImageOpts, formatAndCache, openImage, parseOpts } from './img-common.js';

function pct(a: number, b: number): string {
  return ((a * 100) / b).toFixed(2);
}

function human(r: BlockCheckResult): string {
  let out = '';
  if (r.corruptions === 0 && r.leaks === 0 && r.checkErrors === 0) out += 'No errors were found on the image.\n';
  else {
    if (r.corruptions > 0) out += `\n${r.corruptions} errors were found on the image.\nData may be corrupted, or further writes to the image may corrupt it.\n`;
    if (r.leaks > 0) out += `\n${r.leaks} leaked clusters were found on the image.\nThis means waste of disk space, but no harm to data.\n`;
    if (r.checkErrors > 0) out += `\n${r.checkErrors} internal errors have occurred during the check.\n`;
  }
  if (r.totalClusters > 0 && r.allocatedClusters > 0) {
    out += `${r.allocatedClusters}/${r.totalClusters} = ${pct(r.allocatedClusters, r.totalClusters)}% allocated, ${pct(r.fragmentedClusters, r.allocatedClusters)}% fragmented, ${pct(r.compressedClusters, r.allocatedClusters)}% compressed clusters\n`;
  }
  if (r.imageEndOffset > 0) out += `Image end offset: ${r.imageEndOffset}\n`;
  return out;
}

function json(r: BlockCheckResult, name: string, format: string): string {
  const j: Record<string, unknown> = { 'image-end-offset': r.imageEndOffset, 'total-clusters': r.totalClusters };
  if (r.corruptions > 0) j['corruptions'] = r.corruptions;
  j['check-errors'] = r.checkErrors;
  if (r.leaks > 0) j['leaks'] = r.leaks;
  if (r.corruptionsFixed > 0) j['corruptions-fixed'] = r.corruptionsFixed;
  if (r.leaksFixed > 0) j['leaks-fixed'] = r.leaksFixed;
  if (r.allocatedClusters > 0) j['allocated-clusters'] = r.allocatedClusters;
  if (r.fragmentedClusters > 0) j['fragmented-clusters'] = r.fragmentedClusters;
  if (r.compressedClusters > 0) j['compressed-clusters'] = r.compressedClusters;
  j['filename'] = name;
  j['format'] = format;
  return qemuJson(j) + '\n';
}

/** qemu-img check; resolves to the exit status. */
export async function imgCheck(args: readonly string[], io: CliStreams): Promise<number> {
  const { opts: o, operands } = parseOpts(args, 'hf:r:T:qU', ['image-opts', 'output=', 'repair=', 'format=', 'force-share', 'help', 'object=']);
  const imageOpts = checkImageOpts(o);
  if (operands.length !== 1) throw new ImgError('Expecting one image file name');
  const name = operands[0];
  const repairArg = o.get('r') ?? o.get('repair');
  if (repairArg !== undefined && repairArg !== 'leaks' && repairArg !== 'all') throw new ImgError(`Unknown option value for -r (expecting 'leaks' or 'all'): ${repairArg}`);
  const repair = repairArg ?? 'none';
  const output = o.get('output') ?? 'human';
  if (output !== 'human' && output !== 'json') throw new ImgError('--output must be used with human or json as argument.');
  const blk = await openImage(name, { ...formatAndCache(o), readOnly: repair === 'none' }, imageOpts, io);
  try {
    if (blk.bs.coCheck === undefined) throw new ImgError(`This image format does not support checks`, 63);
    let r = await blk.check(repair);
    for (const m of r.messages) io.err(m + '\n');
    if (r.leaksFixed > 0 || r.corruptionsFixed > 0) {
      if (output === 'human') {
        io.out(`The following inconsistencies were found and repaired:\n\n    ${r.leaksFixed} leaked clusters\n    ${r.corruptionsFixed} corruptions\n\nDouble checking the fixed image now...\n`);
      }
      r = await blk.check('none');
      for (const m of r.messages) io.err(m + '\n');
    }
    if (!o.has('q')) io.out(output === 'json' ? json(r, name, blk.driverName) : human(r));
    if (r.checkErrors > 0) return 1;
    if (r.corruptions > 0) return 2;
    if (r.leaks > 0) return 3;
    return 0;
  } finally {
    await blk.close();
  }
}
