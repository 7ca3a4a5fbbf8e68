/**
 * One open file on an NFSv3 server: everything QEMU's nfs driver gets from
 * libnfs, built on our RPC client. Opening finds the ports through the
 * portmapper (unless the URI names the NFS port), MOUNTs the export (the path
 * up to its last '/', as QEMU splits it; shorter prefixes are tried and the rest
 * walked with LOOKUP when the server exports a parent), LOOKUPs or CREATEs the
 * file and GETATTRs its size. Reads and writes go in rsize/wsize chunks with up
 * to 64 calls in flight. Writes are UNSTABLE; each acknowledged write keeps its
 * data and the server's write verifier until a COMMIT returns the same
 * verifier. A different verifier means the server restarted and may have lost
 * them, so they are sent again (FILE_SYNC) before flush reports success: after
 * a successful flush every acknowledged byte is on the server's disk. A
 * CoRwlock keeps writes out while a flush takes its snapshot and resends, so
 * overlapping writes can never be replayed out of order.
 */
import { CoRwlock, type Co } from '@qco/core';
import { Errno } from '../../block/errno.js';
import { MOUNT_PROGRAM, MOUNT_VERSION, NFS_PROGRAM, NFS_VERSION, PMAP_PORT, StableHow } from './constants.js';
import { MountStatusError, NfsOpenError, RpcError, RpcConnectionError, type NfsStatusError } from './errors.js';
import {
  finishRead,
  finishWrite,
  mountMnt,
  mountUmnt,
  nfsCommit,
  nfsCreate,
  nfsFsinfo,
  nfsGetattr,
  nfsLookup,
  nfsSetSize,
  pmapGetPort,
  startRead,
  startWrite,
} from './nfs3/nfs3-calls.js';
import { authUnix, RpcClient, type RpcCall } from './rpc/rpc-client.js';

/** How to reach and open the file. */
export interface NfsFileOptions {
  /** Server host. */
  readonly host: string;
  /** NFS port; when absent the portmapper is asked (as for MOUNT always). */
  readonly port?: number;
  /** Absolute path: export directory + '/' + file name. */
  readonly path: string;
  /** AUTH_UNIX uid / gid (default: this process's). */
  readonly uid?: number;
  readonly gid?: number;
  /** Create the file (mode 0600) if missing instead of failing. */
  readonly create?: boolean;
  /** Per-call reply timeout (ms). */
  readonly timeoutMs?: number;
  /** Calls in flight at most (default 64). */
  readonly maxInFlight?: number;
  /** Cap for rsize / wsize (default 1 MiB). */
  readonly maxTransfer?: number;
  /** Flush by itself when this many acknowledged bytes await COMMIT (default 64 MiB). */
  readonly maxUncommitted?: number;
  /**
   * Keep acknowledged UNSTABLE writes until a COMMIT (default true). False for
   * cache.no-flush (-t unsafe), where nothing ever flushes: writes then go
   * from the caller's buffer with no copy kept, and no COMMIT is sent, as
   * QEMU's nfs driver (libnfs) writes — a server restart may lose them, as a
   * host crash may under that cache mode.
   */
  readonly keepUncommitted?: boolean;
}

interface UncommittedWrite {
  readonly offset: number;
  readonly data: Uint8Array;
  readonly verf: Uint8Array;
}

/** Counters for tests and benchmarks. */
export interface NfsFileStats {
  /** COMMIT calls sent. */
  commits: number;
  /** COMMITs whose verifier differed from a write's (server lost unstable data). */
  verifierChanges: number;
  /** Writes sent again because of a changed verifier. */
  resentWrites: number;
}

function sameVerf(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function splitPath(path: string): { dir: string; name: string } {
  const i = path.lastIndexOf('/');
  if (i < 0) throw new NfsOpenError('Invalid URL specified', 22);
  return { dir: i === 0 ? '/' : path.slice(0, i), name: path.slice(i + 1) };
}

/** An open NFSv3 file. */
export class NfsFile {
  /** rsize and wsize in use. */
  readonly rsize: number;
  readonly wsize: number;
  /** Size in bytes (as of open, truncate and writes past the end). */
  size: number;
  readonly stats: NfsFileStats = { commits: 0, verifierChanges: 0, resentWrites: 0 };
  private uncommitted: UncommittedWrite[] = [];
  private uncommittedBytes = 0;
  private readonly lock = new CoRwlock();
  private closed = false;
  /** wsize buffers whose writes were committed, for the next writes' copies (no fresh pages per WRITE). */
  private readonly spare: Uint8Array[] = [];

  private constructor(
    readonly client: RpcClient,
    readonly fh: Uint8Array,
    private readonly mount: { host: string; port: number; dir: string; uid: number; gid: number },
    size: number,
    sizes: { rsize: number; wsize: number },
    private readonly maxUncommitted: number,
    private readonly keepUncommitted: boolean,
  ) {
    this.size = size;
    this.rsize = sizes.rsize;
    this.wsize = sizes.wsize;
  }

  /** Open (coroutine_fn): portmapper, MNT, LOOKUP/CREATE, GETATTR, FSINFO. Throws NfsOpenError with QEMU's messages. */
  static *open(o: NfsFileOptions): Co<NfsFile> {
    const { dir, name } = splitPath(o.path);
    const uid = o.uid ?? process.getuid?.() ?? 0;
    const gid = o.gid ?? process.getgid?.() ?? 0;
    const cred = authUnix(uid, gid);
    const timeoutMs = o.timeoutMs ?? 60_000;
    const small = { timeoutMs: Math.min(timeoutMs, 15_000), cred, bufferSize: 64 * 1024, reconnect: false };

    // Ports: the portmapper knows MOUNT's; NFS's too unless the URI gave it.
    let mountPort: number;
    let nfsPort: number;
    let root: Uint8Array;
    let walk: string[];
    try {
      const pmap = new RpcClient({ host: o.host, port: PMAP_PORT, ...small });
      try {
        yield* pmap.connect();
        mountPort = yield* pmapGetPort(pmap, MOUNT_PROGRAM, MOUNT_VERSION);
        // Not `??`: the CJS build turns its right side into an arrow function, where yield is a syntax error.
        nfsPort = o.port !== undefined ? o.port : yield* pmapGetPort(pmap, NFS_PROGRAM, NFS_VERSION);
      } catch (err) {
        if (o.port === undefined) throw err;
        // No portmapper but an explicit port: try MOUNT on the NFS port.
        mountPort = nfsPort = o.port;
      } finally {
        pmap.close();
      }
      // A server reached on an explicit port may serve MOUNT there too.
      if (mountPort === 0 && o.port !== undefined) mountPort = o.port;
      if (mountPort === 0) throw new RpcConnectionError('MOUNT v3 over TCP is not registered with the portmapper', Errno.ECONNREFUSED);
      if (nfsPort === 0) throw new RpcConnectionError('NFS v3 over TCP is not registered with the portmapper', Errno.ECONNREFUSED);
      try {
        ({ root, walk } = yield* NfsFile.mountExport(o.host, mountPort, dir, small));
      } catch (err) {
        // A stale portmapper entry: with an explicit port, MOUNT may live there.
        if (!(err instanceof RpcConnectionError) || o.port === undefined || mountPort === o.port) throw err;
        mountPort = o.port;
        ({ root, walk } = yield* NfsFile.mountExport(o.host, mountPort, dir, small));
      }
    } catch (err) {
      throw new NfsOpenError(`Failed to mount nfs share: ${(err as Error).message}`, errnoOf(err), { cause: err });
    }

    const client = new RpcClient({ host: o.host, port: nfsPort, timeoutMs, cred, maxInFlight: o.maxInFlight ?? 64 });
    try {
      try {
        yield* client.connect();
      } catch (err) {
        throw new NfsOpenError(`Failed to mount nfs share: ${(err as Error).message}`, errnoOf(err), { cause: err });
      }
      let dirFh = root;
      let walked = '';
      let fh: Uint8Array;
      try {
        for (const part of walk) {
          walked += `/${part}`;
          dirFh = (yield* nfsLookup(client, dirFh, part, walked)).fh;
        }
      } catch (err) {
        throw new NfsOpenError(`Failed to mount nfs share: ${(err as Error).message}`, errnoOf(err), { cause: err });
      }
      if (o.create) {
        try {
          fh = yield* nfsCreate(client, dirFh, name, 0o600);
        } catch (err) {
          throw new NfsOpenError(`Failed to create file: ${(err as Error).message}`, errnoOf(err), { cause: err });
        }
      } else {
        try {
          fh = (yield* nfsLookup(client, dirFh, name, `/${name}`)).fh;
        } catch (err) {
          throw new NfsOpenError(`Failed to open file : open call failed with "${(err as Error).message}"`, errnoOf(err), { cause: err });
        }
      }
      let size: number;
      try {
        const attr = yield* nfsGetattr(client, fh);
        size = Number(attr.size);
      } catch (err) {
        throw new NfsOpenError(`Failed to fstat file: ${(err as Error).message}`, errnoOf(err), { cause: err });
      }
      const cap = o.maxTransfer ?? 1024 * 1024;
      let rsize = 64 * 1024;
      let wsize = 64 * 1024;
      try {
        const t = yield* nfsFsinfo(client, fh);
        if (t.rtmax > 0) rsize = Math.min(t.rtmax, cap);
        if (t.wtmax > 0) wsize = Math.min(t.wtmax, cap);
      } catch {
        // FSINFO is optional for us: keep the conservative sizes.
      }
      return new NfsFile(client, fh, { host: o.host, port: mountPort, dir, uid, gid }, size, { rsize, wsize }, o.maxUncommitted ?? 64 * 1024 * 1024, o.keepUncommitted ?? true);
    } catch (err) {
      client.close();
      throw err;
    }
  }

  /** MNT `dir`, or the longest exported prefix of it; returns the root handle and the components left to LOOKUP. */
  private static *mountExport(host: string, port: number, dir: string, opts: object): Co<{ root: Uint8Array; walk: string[] }> {
    const mnt = new RpcClient({ host, port, ...opts });
    try {
      yield* mnt.connect();
      const parts = dir.split('/').filter((p) => p !== '');
      let first: unknown = undefined;
      for (let keep = parts.length; keep >= 0; keep--) {
        const exportPath = '/' + parts.slice(0, keep).join('/');
        try {
          const root = yield* mountMnt(mnt, exportPath);
          return { root, walk: parts.slice(keep) };
        } catch (err) {
          if (!(err instanceof MountStatusError)) throw err;
          first ??= err;
        }
      }
      throw first;
    } finally {
      mnt.close();
    }
  }

  /** Read `dst.length` bytes at `offset` (coroutine_fn); bytes past the end of the file read as zeroes, as in QEMU. */
  *pread(offset: number, dst: Uint8Array): Co {
    const total = dst.length;
    const calls: { call: RpcCall; at: number; count: number }[] = [];
    for (let at = 0; at < total; at += this.rsize) {
      const count = Math.min(this.rsize, total - at);
      calls.push({ call: yield* startRead(this.client, this.fh, offset + at, count, dst.subarray(at, at + count)), at, count });
    }
    for (const c of calls) {
      let at = c.at;
      let left = c.count;
      let r = yield* finishRead(this.client, c.call, left);
      for (;;) {
        if (!r.inPlace) dst.set(r.data, at);
        at += r.data.length;
        left -= r.data.length;
        if (left === 0) break;
        if (r.eof || r.data.length === 0) {
          dst.fill(0, at, at + left);
          break;
        }
        // A short read before EOF: ask for the rest.
        const call = yield* startRead(this.client, this.fh, offset + at, left, dst.subarray(at, at + left));
        r = yield* finishRead(this.client, call, left);
      }
    }
  }

  /** Write `src` at `offset` (coroutine_fn), UNSTABLE, in wsize chunks. A short write is EIO. */
  *pwrite(offset: number, src: Uint8Array): Co {
    if (this.uncommittedBytes >= this.maxUncommitted) yield* this.flush();
    yield* this.lock.rdlock();
    try {
      const calls: { call: RpcCall; offset: number; data: Uint8Array }[] = [];
      for (let at = 0; at < src.length; at += this.wsize) {
        // Our own copy: kept for a resend after a server restart; the caller may reuse its buffer.
        const chunk = src.subarray(at, Math.min(src.length, at + this.wsize));
        const data = this.keepUncommitted ? this.copyOf(chunk) : chunk;
        calls.push({ call: yield* startWrite(this.client, this.fh, offset + at, data, StableHow.UNSTABLE), offset: offset + at, data });
      }
      let failure: unknown = undefined;
      for (const c of calls) {
        try {
          const r = yield* finishWrite(this.client, c.call);
          if (r.count !== c.data.length) throw new RpcError(`NFS: short write (${r.count} of ${c.data.length} bytes at offset ${c.offset})`, 5);
          if (r.committed === StableHow.UNSTABLE && this.keepUncommitted) {
            this.uncommitted.push({ offset: c.offset, data: c.data, verf: r.verf });
            this.uncommittedBytes += c.data.length;
          }
        } catch (err) {
          failure ??= err;
        }
      }
      // The first chunk's failure, rethrown as it was caught.
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      if (failure !== undefined) throw failure;
      if (offset + src.length > this.size) this.size = offset + src.length;
    } finally {
      this.lock.unlock();
    }
  }

  /**
   * COMMIT (coroutine_fn) and check every acknowledged write's verifier;
   * writes the server may have lost are sent again FILE_SYNC.
   */
  *flush(): Co {
    yield* this.lock.wrlock();
    try {
      if (this.uncommitted.length === 0) return;
      const snapshot = this.uncommitted;
      this.stats.commits++;
      const verf = yield* nfsCommit(this.client, this.fh);
      if (snapshot.some((w) => !sameVerf(w.verf, verf))) {
        this.stats.verifierChanges++;
        // In order, one at a time: later writes to the same bytes must land last.
        for (const w of snapshot) {
          const call = yield* startWrite(this.client, this.fh, w.offset, w.data, StableHow.FILE_SYNC);
          const r = yield* finishWrite(this.client, call);
          if (r.count !== w.data.length) throw new RpcError(`NFS: short write (${r.count} of ${w.data.length} bytes at offset ${w.offset})`, 5);
          this.stats.resentWrites++;
        }
      }
      this.uncommitted = [];
      this.uncommittedBytes = 0;
      // On the server's disk now: their copies serve the next writes.
      const keep = Math.ceil(this.maxUncommitted / this.wsize) + 16;
      for (const w of snapshot) if (w.data.length === this.wsize && this.spare.length < keep) this.spare.push(w.data);
    } finally {
      this.lock.unlock();
    }
  }

  /** A copy of `chunk` in a spare buffer when one fits, else in fresh memory that is not zeroed first. */
  private copyOf(chunk: Uint8Array): Uint8Array {
    const b = chunk.length === this.wsize ? this.spare.pop() : undefined;
    const copy = b ?? Buffer.allocUnsafeSlow(chunk.length);
    copy.set(chunk);
    return copy;
  }

  /** Resize the file (SETATTR size). */
  *truncate(size: number): Co {
    yield* this.flush();
    yield* nfsSetSize(this.client, this.fh, size);
    this.size = size;
  }

  /** Size and bytes used on the server now (GETATTR: size, used). */
  *getattrSizes(): Co<{ size: number; used: number }> {
    const attr = yield* nfsGetattr(this.client, this.fh);
    return { size: Number(attr.size), used: Number(attr.used) };
  }

  /** Flush what awaits COMMIT, UMNT (best effort) and close the connection. */
  *close(): Co {
    if (this.closed) return;
    this.closed = true;
    try {
      yield* this.flush();
    } finally {
      this.client.close();
      const m = this.mount;
      const mnt = new RpcClient({ host: m.host, port: m.port, timeoutMs: 2000, cred: authUnix(m.uid, m.gid), bufferSize: 4096, reconnect: false });
      try {
        yield* mnt.connect();
        yield* mountUmnt(mnt, m.dir);
      } catch {
        // UMNT is advisory (the server only updates its mount list).
      } finally {
        mnt.close();
      }
    }
  }

  /** Bytes acknowledged but not yet known to be on the server's disk. */
  get pendingCommitBytes(): number {
    return this.uncommittedBytes;
  }
}

/** The errno an RPC/NFS failure carries (EIO otherwise). */
export function errnoOf(err: unknown): number {
  return err instanceof RpcError ? err.errno : 5;
}

export type { NfsStatusError };
