/**
 * The metadata contexts the server offers (proto.md "Metadata querying"):
 * `base:allocation` from the node's block status (HOLE where the range holds
 * no data, ZERO where it reads as zeroes, as QEMU maps BDRV_BLOCK_DATA and
 * BDRV_BLOCK_ZERO), and QEMU's `qemu:allocation-depth` (0 unallocated, 1 this
 * node, n the n-th backing layer). Queries select by full name or by
 * namespace ('base:', 'qemu:'); unknown namespaces are ignored.
 */
import type { Co } from '@qco/core';
import { BDRV_BLOCK_DATA, BDRV_BLOCK_ZERO } from '../../block/block-driver.js';
import { BASE_ALLOCATION, NBD_STATE_HOLE, NBD_STATE_ZERO, QEMU_ALLOCATION_DEPTH } from '../../nbd/constants.js';
import type { NbdExport } from './nbd-export.js';

/** Context ids as the server hands them out: fixed per name. */
export const META_CONTEXT_IDS: Readonly<Record<string, number>> = {
  [BASE_ALLOCATION]: 1,
  [QEMU_ALLOCATION_DEPTH]: 2,
};

/** The contexts an export has. */
export function exportContexts(exp: NbdExport): string[] {
  return exp.allocationDepth ? [BASE_ALLOCATION, QEMU_ALLOCATION_DEPTH] : [BASE_ALLOCATION];
}

/** Which contexts the queries select (in our order, each once); LIST with no query lists all. */
export function matchContexts(exp: NbdExport, queries: readonly string[], list: boolean): string[] {
  const all = exportContexts(exp);
  if (queries.length === 0) return list ? all : [];
  return all.filter((name) => {
    const ns = name.slice(0, name.indexOf(':') + 1);
    return queries.some((q) => q === name || (list && q === ns));
  });
}

/** Most extents put in one BLOCK_STATUS chunk (proto.md: servers SHOULD NOT send more than 2^20). */
const MAX_EXTENTS = 1 << 16;

/** Extents [length, flags] of one context from `offset`, covering at most `length` bytes (one only with REQ_ONE). */
export function* contextExtents(exp: NbdExport, name: string, offset: number, length: number, one: boolean): Co<Array<[number, number]>> {
  const out: Array<[number, number]> = [];
  const end = offset + length;
  let at = offset;
  while (at < end && out.length < MAX_EXTENTS) {
    // Extent lengths are 32-bit on the wire.
    const want = Math.min(end - at, 0x80000000);
    let len: number;
    let flags: number;
    if (name === BASE_ALLOCATION) {
      // Through the backing chain, as QEMU's server asks: unallocated at the bottom reads as zeroes.
      const st = yield* exp.blk.coBlockStatusAbove(at, want);
      len = st.bytes;
      flags = (st.flags & BDRV_BLOCK_DATA ? 0 : NBD_STATE_HOLE) | (st.flags & BDRV_BLOCK_ZERO ? NBD_STATE_ZERO : 0);
    } else {
      const st = yield* exp.blk.coBlockStatusAbove(at, want);
      len = st.bytes;
      flags = st.depth;
    }
    if (len <= 0) break;
    const last = out.at(-1);
    if (last !== undefined && last[1] === flags && last[0] + len <= 0xffffffff) last[0] += len;
    else out.push([len, flags]);
    at += len;
    if (one) break;
  }
  if (out.length === 0) out.push([Math.max(1, Math.min(length, 0xffffffff)), 0]);
  return out;
}
