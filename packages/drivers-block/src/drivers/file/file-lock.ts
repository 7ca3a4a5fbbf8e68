/**
 * Image locking for the file driver, on the bytes QEMU's file-posix uses, so
 * qco and qemu-io / qemu-img / a running QEMU exclude each other: permission
 * bit i held → a shared OFD lock on byte 100 + i; permission bit i *not*
 * shared → a shared OFD lock on byte 200 + i. Taking a permission then means
 * "nobody else locks 200 + i" (nobody refuses to share it), and refusing to
 * share one means "nobody else locks 100 + i" (nobody holds it); both are
 * probed with an exclusive F_OFD_GETLK, which only locks held through other
 * open file descriptions answer — other processes, or this process's other
 * opens of the same file (qemu-img convert of a file onto itself). The locks
 * come from a small addon (native/file-lock.c), Node having no fcntl; without
 * it, locking=auto means no locking, as QEMU's does where OFD locks are missing.
 */
import { loadPackageAddon } from './native-addon.js';
import { BLK_PERM_ALL, BLK_PERM_RESIZE, BLK_PERM_WRITE, PermissionConflictError, blkPermNames } from '../../block/permissions.js';
import { BlockError } from '../../block/errors.js';
import { Errno, strerror } from '../../block/errno.js';

/** What native/file-lock.c exports. */
interface FileLockAddon {
  setLock(fd: number, start: number, len: number, kind: 0 | 1 | 2): number;
  testLock(fd: number, start: number, len: number, exclusive: 0 | 1): number;
  available(fd: number): boolean;
}

/** First byte of the "permission held" locks (QEMU's RAW_LOCK_PERM_BASE; libvirt keeps byte 0). */
export const RAW_LOCK_PERM_BASE = 100;
/** First byte of the "permission not shared" locks (QEMU's RAW_LOCK_SHARED_BASE). */
export const RAW_LOCK_SHARED_BASE = 200;

const UNLOCK = 0;
const READ_LOCK = 1;

let addon: FileLockAddon | null | undefined;

/** The lock addon, or null where it did not build (then nothing is locked). */
export function fileLockAddon(): FileLockAddon | null {
  if (addon === undefined) addon = loadPackageAddon('qco_file_lock') as FileLockAddon | null;
  return addon;
}

/** locking=on|off|auto → whether this descriptor's image is locked (auto: when OFD locks work here). */
export function useLocking(mode: string, fd: number): boolean {
  if (mode === 'off') return false;
  const a = fileLockAddon();
  const works = a !== null && a.available(fd);
  if (mode === 'on' && !works) warnNoLocking();
  return works;
}

let warned = false;
function warnNoLocking(): void {
  if (warned) return;
  warned = true;
  process.stderr.write('warning: File lock requested but OFD locking syscall is unavailable; the image is not locked\n');
}

/** Lock errors: EAGAIN / EACCES mean "held elsewhere" and are not spelled out, as QEMU elides them. */
function lockFailure(message: string, ret: number): BlockError {
  const errno = -ret;
  if (errno === Errno.EAGAIN || errno === Errno.EACCES) return new PermissionConflictError(message, errno);
  return new BlockError(`${message}: ${strerror(errno)}`, errno);
}

/** The lock state of one open file description (QEMU's BDRVRawState perm / locked_perm fields). */
export class ImageLocks {
  /** Committed permissions. */
  private perm = 0;
  private shared = BLK_PERM_ALL;
  /** Bits whose bytes are locked now. */
  private lockedPerm = 0;
  private lockedShared = 0;

  constructor(
    private readonly fd: number,
    private readonly filename: string,
    private readonly lib: FileLockAddon,
  ) {}

  /** Bytes this description holds now, as [offset, …] (for tests and diagnostics). */
  heldBytes(): number[] {
    const out: number[] = [];
    for (let i = 0; 1 << i <= BLK_PERM_ALL; i++) if (this.lockedPerm & (1 << i)) out.push(RAW_LOCK_PERM_BASE + i);
    for (let i = 0; 1 << i <= BLK_PERM_ALL; i++) if (this.lockedShared & (1 << i)) out.push(RAW_LOCK_SHARED_BASE + i);
    return out;
  }

  /**
   * raw_apply_lock_bytes: lock the bytes of `permBits` and of `unsharedBits`
   * not yet locked; with `unlock`, release the locked ones no longer wanted.
   */
  private apply(permBits: number, unsharedBits: number, unlock: boolean): void {
    this.applyBase(RAW_LOCK_PERM_BASE, permBits, unlock, 'perm');
    this.applyBase(RAW_LOCK_SHARED_BASE, unsharedBits, unlock, 'shared');
  }

  private applyBase(base: number, wanted: number, unlock: boolean, which: 'perm' | 'shared'): void {
    for (let i = 0; 1 << i <= BLK_PERM_ALL; i++) {
      const bit = 1 << i;
      const locked = which === 'perm' ? this.lockedPerm : this.lockedShared;
      const off = base + i;
      if (wanted & bit && !(locked & bit)) {
        const ret = this.lib.setLock(this.fd, off, 1, READ_LOCK);
        if (ret !== 0) throw lockFailure(`Failed to lock byte ${off}`, ret);
        this.mark(which, locked | bit);
      } else if (unlock && locked & bit && !(wanted & bit)) {
        const ret = this.lib.setLock(this.fd, off, 1, UNLOCK);
        if (ret !== 0) throw new BlockError(`Failed to unlock byte ${off}: ${strerror(-ret)}`, -ret);
        this.mark(which, locked & ~bit);
      }
    }
  }

  private mark(which: 'perm' | 'shared', bits: number): void {
    if (which === 'perm') this.lockedPerm = bits;
    else this.lockedShared = bits;
  }

  /** raw_check_lock_bytes: does anyone else refuse to share what `perm` takes, or hold what `shared` withholds? */
  private check(perm: number, shared: number): void {
    for (let i = 0; 1 << i <= BLK_PERM_ALL; i++) {
      const bit = 1 << i;
      if (!(perm & bit)) continue;
      const ret = this.lib.testLock(this.fd, RAW_LOCK_SHARED_BASE + i, 1, 1);
      if (ret !== 0) throw lockFailure(`Failed to get "${blkPermNames(bit)}" lock`, ret);
    }
    for (let i = 0; 1 << i <= BLK_PERM_ALL; i++) {
      const bit = 1 << i;
      if (shared & bit) continue;
      const ret = this.lib.testLock(this.fd, RAW_LOCK_PERM_BASE + i, 1, 1);
      if (ret !== 0) throw lockFailure(`Failed to get shared "${blkPermNames(bit)}" lock`, ret);
    }
  }

  private withHint(err: unknown): unknown {
    if (err instanceof PermissionConflictError) {
      return new PermissionConflictError(`${err.message}\nIs another process using the image [${this.filename}]?`, err.errno);
    }
    return err;
  }

  /** RAW_PL_PREPARE: lock for the union of old and new, then check nobody else conflicts; on failure back to the old bytes. */
  prepare(perm: number, shared: number): void {
    if ((this.perm | perm) === this.perm && (this.shared & shared) === this.shared) return; // only releasing
    try {
      this.apply(this.perm | perm, ~this.shared | ~shared, false);
    } catch (err) {
      this.abort();
      throw err;
    }
    try {
      this.check(perm, shared);
    } catch (err) {
      this.abort();
      throw this.withHint(err);
    }
  }

  /** RAW_PL_COMMIT: hold exactly the bytes of the new state. */
  commit(perm: number, shared: number): void {
    this.apply(perm, ~shared, true);
    this.perm = perm;
    this.shared = shared;
  }

  /** RAW_PL_ABORT: back to the bytes of the committed state (only releases, so it cannot conflict). */
  abort(): void {
    try {
      this.apply(this.perm, ~this.shared, true);
    } catch (err) {
      process.stderr.write(`warning: ${(err as Error).message}\n`);
    }
  }

  /** Release every byte (before close, and when a create is refused). */
  releaseAll(): void {
    this.perm = 0;
    this.shared = BLK_PERM_ALL;
    this.abort();
  }
}

/**
 * raw_co_create's locking: before the file is cleared, take WRITE and RESIZE
 * and refuse to share RESIZE, and check nobody else holds or withholds them
 * (a reader that does not share writes, e.g. qemu-img convert's source);
 * throws with QEMU's text and hint, releasing what it took. The returned
 * locks last until the descriptor is closed.
 */
export function lockForCreate(fd: number, filename: string): ImageLocks | null {
  const lib = fileLockAddon();
  if (lib === null || !lib.available(fd)) return null;
  const locks = new ImageLocks(fd, filename, lib);
  const perm = BLK_PERM_WRITE | BLK_PERM_RESIZE;
  locks.prepare(perm, BLK_PERM_ALL & ~BLK_PERM_RESIZE);
  locks.commit(perm, BLK_PERM_ALL & ~BLK_PERM_RESIZE);
  return locks;
}
