/**
 * Block status through the graph (QEMU's bdrv_co_block_status and
 * bdrv_co_block_status_above): a node answers for itself, or through its
 * file child when it says RAW (the raw format), and a range a node does not
 * allocate is looked up in its backing chain, counting the depth. A node
 * without the method holds data everywhere, at its own offsets.
 */
import type { Co } from '@qco/core';
import {
  BDRV_BLOCK_ALLOCATED,
  BDRV_BLOCK_DATA,
  BDRV_BLOCK_OFFSET_VALID,
  BDRV_BLOCK_RAW,
  BDRV_BLOCK_ZERO,
  type BlockDriverState,
  type BlockStatus,
} from './block-driver.js';
import { childOf } from './block-open.js';

/** A status found somewhere in a backing chain. */
export interface BlockStatusAbove extends BlockStatus {
  /** Allocation depth (qemu:allocation-depth): 1 = the node itself, 2 = its backing file, …; 0 = allocated nowhere. */
  depth: number;
  /** How many backing links down the answer came from (qemu-img map's "depth"; the chain's length when allocated nowhere). */
  layer: number;
}

/** bdrv_co_block_status of one node (RAW answers resolved through the file child). */
export function* bdrvCoBlockStatus(bs: BlockDriverState, offset: number, bytes: number, wantZero = true): Co<BlockStatus> {
  if (bs.coBlockStatus === undefined) {
    return { flags: BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_OFFSET_VALID, bytes, map: offset, file: bs };
  }
  const st = yield* bs.coBlockStatus(offset, bytes, wantZero);
  if ((st.flags & BDRV_BLOCK_RAW) !== 0 && st.file !== undefined && st.map !== undefined) {
    const inner = yield* bdrvCoBlockStatus(st.file, st.map, st.bytes, wantZero);
    return { ...inner, flags: inner.flags | BDRV_BLOCK_ALLOCATED, bytes: Math.min(inner.bytes, st.bytes) };
  }
  return st;
}

/**
 * bdrv_co_block_status_above: the first node of the chain from `bs` down
 * that allocates the start of the range answers; the range is cut where
 * that answer changes. Unallocated at the bottom reads as zeroes.
 */
export function* bdrvCoBlockStatusAbove(bs: BlockDriverState, offset: number, bytes: number, wantZero = true): Co<BlockStatusAbove> {
  let cur: BlockDriverState = bs;
  let depth = 0;
  let n = bytes;
  for (;;) {
    const len = yield* cur.coGetLength();
    if (offset >= len) {
      // Past the end of a (shorter) backing file: zeroes.
      return { flags: BDRV_BLOCK_ZERO, bytes: n, depth: 0, layer: depth };
    }
    n = Math.min(n, len - offset);
    const st = yield* bdrvCoBlockStatus(cur, offset, n, wantZero);
    n = Math.min(n, st.bytes);
    if ((st.flags & BDRV_BLOCK_ALLOCATED) !== 0) return { ...st, bytes: n, depth: depth + 1, layer: depth };
    const backing = childOf(cur, 'backing');
    if (backing === undefined) return { ...st, flags: st.flags | BDRV_BLOCK_ZERO, bytes: n, depth: 0, layer: depth };
    cur = backing;
    depth++;
  }
}
