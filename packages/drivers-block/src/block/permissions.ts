/**
 * Permissions on a node (QEMU's BLK_PERM_* and bdrv_child_try_set_perm for a
 * node with one parent): a user of a node states what it will do (`perm`)
 * and what it lets others do at the same time (`shared`). A protocol driver
 * that can make this visible to other processes (the file driver's OFD
 * byte-range locks) implements checkPerm / setPerm / abortPerm; the block
 * layer calls them in QEMU's two steps, prepare then commit, and rolls back
 * on failure. The bit values are QEMU's, because the file driver's lock bytes
 * derive from them and must match qemu-io's and qemu-img's.
 */
import type { BlockDriverState } from './block-driver.js';
import { BlockError } from './errors.js';
import { Errno } from './errno.js';

/** BLK_PERM_CONSISTENT_READ: reads see what the image holds (no one is rewriting it underneath). */
export const BLK_PERM_CONSISTENT_READ = 0x01;
/** BLK_PERM_WRITE: writes that change what a reader sees. */
export const BLK_PERM_WRITE = 0x02;
/** BLK_PERM_WRITE_UNCHANGED: writes that leave the visible data as it was (copy-on-read, zero-writes of zeroes). */
export const BLK_PERM_WRITE_UNCHANGED = 0x04;
/** BLK_PERM_RESIZE: changing the length. */
export const BLK_PERM_RESIZE = 0x08;
/** Every permission QEMU 6.2+ knows (GRAPH_MOD, 0x10, is gone and never locked). */
export const BLK_PERM_ALL = 0x0f;

const PERM_NAMES: readonly (readonly [number, string])[] = [
  [BLK_PERM_CONSISTENT_READ, 'consistent read'],
  [BLK_PERM_WRITE, 'write'],
  [BLK_PERM_WRITE_UNCHANGED, 'write unchanged'],
  [BLK_PERM_RESIZE, 'resize'],
];

/** bdrv_perm_names: "consistent read, write" for CONSISTENT_READ | WRITE. */
export function blkPermNames(perm: number): string {
  return PERM_NAMES.filter(([bit]) => (perm & bit) !== 0)
    .map(([, name]) => name)
    .join(', ');
}

/** What a user of a node holds: its own permissions and those it shares with others. */
export interface BlockPermissions {
  /** Permissions taken (BLK_PERM_* bits). */
  readonly perm: number;
  /** Permissions other users may hold at the same time. */
  readonly shared: number;
}

/**
 * The permissions blk_new_open asks for: CONSISTENT_READ (unless the node is
 * only inspected), WRITE when read-write, RESIZE when asked; everything shared,
 * or with `noShare` (BDRV_O_NO_SHARE, qemu-img convert's source) only reads and
 * unchanged writes.
 */
export function backendPermissions(how: { readOnly: boolean; noIo?: boolean; resize?: boolean; noShare?: boolean }): BlockPermissions {
  let perm = how.noIo === true ? 0 : BLK_PERM_CONSISTENT_READ;
  if (!how.readOnly) perm |= BLK_PERM_WRITE;
  if (how.resize === true) perm |= BLK_PERM_RESIZE;
  const shared = how.noShare === true ? BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED : BLK_PERM_ALL;
  return { perm, shared };
}

/** Another user of the image holds what this one needs (QEMU's lock failure, with its hint line). */
export class PermissionConflictError extends BlockError {
  override name = 'PermissionConflictError';
}

/**
 * bdrv_child_try_set_perm for a node's only parent: prepare (the driver takes
 * what the union of old and new needs and checks for conflicts), then commit
 * (it keeps exactly the new set); a failed prepare is rolled back. With
 * force-share on the node, the parent's shared set is widened to everything,
 * as QEMU's bdrv_child_perm does.
 */
export function bdrvSetPerm(bs: BlockDriverState, perm: number, shared: number): void {
  if (bs.flags.forceShare) shared = BLK_PERM_ALL;
  if (bs.checkPerm === undefined) {
    // A format node passes the permissions to its file child; a backing file is only read.
    for (const c of bs.children ?? []) {
      if (c.role === 'file') bdrvSetPerm(c.bs, perm, shared);
      else if (c.role === 'backing') bdrvSetPerm(c.bs, perm & BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    }
    return;
  }
  try {
    bs.checkPerm(perm, shared);
  } catch (err) {
    bs.abortPerm?.();
    throw err;
  }
  bs.setPerm?.(perm, shared);
}

/** bdrv_open_common's check: force-share needs a read-only node. */
export function checkForceShare(forceShare: boolean, readOnly: boolean): void {
  if (forceShare && !readOnly) throw new BlockError('force-share=on can only be used with read-only images', Errno.EINVAL);
}
