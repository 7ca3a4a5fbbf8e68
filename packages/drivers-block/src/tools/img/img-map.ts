/**
 * qco-img map: the allocation of every byte of an image through its backing
 * chain (bdrv_co_block_status_above), merged into runs as qemu-img merges
 * them, in its human table or its JSON lines.
 */
import {
  BDRV_BLOCK_ALLOCATED,
  BDRV_BLOCK_DATA,
  BDRV_BLOCK_OFFSET_VALID,
  BDRV_BLOCK_ZERO,
} from '../../block/block-driver.js';
import type { CliStreams } from '../common/streams.js';
import { ImgError, checkImageOpts, formatAndCache, openImage, parseOpts, sizeArg } from './img-common.js';

/** One run of qemu-img map's output. */
export interface MapEntry {
  start: number;
  length: number;
  depth: number;
  present: boolean;
  zero: boolean;
  data: boolean;
  offset?: number;
  filename?: string;
}

function mergeable(a: MapEntry, b: MapEntry): boolean {
  if (a.depth !== b.depth || a.present !== b.present || a.zero !== b.zero || a.data !== b.data || a.filename !== b.filename) return false;
  if ((a.offset === undefined) !== (b.offset === undefined)) return false;
  return a.offset === undefined || a.offset + a.length === b.offset;
}

function hexPad(n: number): string {
  return (n === 0 ? '0' : `0x${n.toString(16)}`).padEnd(16);
}

/** qemu-img map */
export async function imgMap(args: readonly string[], io: CliStreams): Promise<void> {
  const { opts: o, operands } = parseOpts(args, 'f:hU', ['image-opts', 'output=', 'format=', 'force-share', 'help', 'start-offset=', 'max-length=']);
  const imageOpts = checkImageOpts(o);
  if (operands.length !== 1) throw new ImgError('Expecting one image file name');
  const name = operands[0];
  const output = o.get('output') ?? 'human';
  if (output !== 'human' && output !== 'json') throw new ImgError('--output must be used with human or json as argument.');
  const blk = await openImage(name, { ...formatAndCache(o), readOnly: true }, imageOpts, io);
  try {
    const size = await blk.getLength();
    const start = o.has('start-offset') ? sizeArg('start offset', o.get('start-offset') as string) : 0;
    const end = o.has('max-length') ? Math.min(size, start + sizeArg('max length', o.get('max-length') as string)) : size;
    const entries: MapEntry[] = [];
    for (let at = start; at < end; ) {
      const st = await blk.blockStatusAbove(at, Math.min(end - at, 1 << 30));
      const e: MapEntry = {
        start: at,
        length: st.bytes,
        depth: st.layer,
        present: (st.flags & BDRV_BLOCK_ALLOCATED) !== 0,
        zero: (st.flags & BDRV_BLOCK_ZERO) !== 0,
        data: (st.flags & BDRV_BLOCK_DATA) !== 0,
      };
      if ((st.flags & BDRV_BLOCK_OFFSET_VALID) !== 0 && st.map !== undefined) {
        e.offset = st.map;
        e.filename = st.file?.filename ?? name;
      }
      const last = entries.at(-1);
      if (last !== undefined && mergeable(last, e)) last.length += e.length;
      else entries.push(e);
      at += st.bytes;
    }
    if (output === 'json') {
      const lines = entries.map(
        (e) =>
          `{ "start": ${e.start}, "length": ${e.length}, "depth": ${e.depth}, "present": ${e.present}, "zero": ${e.zero}, "data": ${e.data}${e.offset !== undefined ? `, "offset": ${e.offset}` : ''}}`,
      );
      io.out(`[${lines.join(',\n')}]\n`);
    } else {
      io.out('Offset          Length          Mapped to       File\n');
      for (const e of entries) {
        // qemu-img's human map cannot show data without a host offset.
        if (e.data && e.offset === undefined) throw new ImgError('File contains external, encrypted or compressed clusters.');
        if (e.offset !== undefined && e.data) io.out(`${hexPad(e.start)}${hexPad(e.length)}${hexPad(e.offset)}${e.filename ?? name}\n`);
      }
    }
  } finally {
    await blk.close();
  }
}
