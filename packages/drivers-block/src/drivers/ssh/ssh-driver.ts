/**
 * The ssh protocol driver (QEMU's block/ssh.c) over SFTP with the ssh2
 * package. Opening makes a fresh connection every time — so an open after a
 * fault simply reconnects — and the node keeps it until close. Data requests
 * go through SftpPipe and run concurrently (that is the point: many requests in
 * flight per direction); the node's CoMutex serialises what the protocol does
 * need in order: changing the file's size (truncate) against the size
 * bookkeeping of extending writes, fsync, and close. flush uses
 * fsync@openssh.com when the server offers it and otherwise warns once, like
 * QEMU. A dead connection fails every later request with -EIO.
 */
import { CoMutex, type Co } from '@qco/core';
import {
  BLOCK_DRIVER_SPEC,
  type BlockDriver,
  type BlockDriverInfo,
  type BlockDriverOptions,
  type BlockDriverState,
  type BlockOpenFlags,
  type BlockRequestFlags,
  type PreallocMode,
} from '../../block/block-driver.js';
import { coAwait, coWaitFor } from '@qco/core';
import { NotSupportedError } from '../../block/errors.js';
import type { IoVector } from '../../block/iov.js';
import { SftpPipe, type SftpPipeLimits } from './sftp-pipe.js';
import type { SftpOpenMode, SshConnection, SshConnectionTuning } from './ssh-connection.js';
import { SSH_OPTIONS, parseSshFilename, sshConfigFromOptions, sshFilename, type SshConfig } from './ssh-options.js';
import { LazyImplementation } from '../lazy-implementation.js';

/** The SSH session code and ssh2, loaded when a node is first opened, not with the driver list. */
const sshConnection = new LazyImplementation('ssh', () => import('./ssh-connection.js'));

/** Tuning shared by every ssh node opened afterwards (benchmarks and fault tests adjust it). */
export interface SshDriverTuning extends SshConnectionTuning, SftpPipeLimits {}

let tuning: SshDriverTuning = {};

/** Change the connection and pipelining parameters of ssh nodes opened from now on. */
export function setSshDriverTuning(t: SshDriverTuning): void {
  tuning = { ...t };
}

/** Where warnings go (QEMU's warn_report); replaceable for tests and tools. */
let sshWarn: (message: string) => void = (message) => {
  process.stderr.write(`warning: ${message}\n`);
};

/** Send the driver's warnings somewhere else. */
export function setSshWarningHandler(fn: (message: string) => void): void {
  sshWarn = fn;
}

/** An open ssh node. */
export class SshBlockDriverState implements BlockDriverState {
  readonly requestAlignment = 1;
  readonly growable = true;
  readonly filename: string;
  /** Serialises size changes, fsync and close (see the module comment). */
  readonly lock = new CoMutex();
  private size: number;
  private unsafeFlushWarned = false;
  private closed = false;
  /** @internal */
  readonly pipe: SftpPipe;

  /** @internal Nodes are made by the driver's open. */
  constructor(
    readonly driver: BlockDriver,
    readonly options: BlockDriverOptions,
    readonly flags: BlockOpenFlags,
    readonly config: SshConfig,
    /** @internal The SSH session (ssh2 types stay out of the public declarations). */
    readonly conn: SshConnection,
    limits: SftpPipeLimits,
  ) {
    this.filename = sshFilename(config);
    this.size = conn.initialSize;
    this.pipe = new SftpPipe(conn, limits);
  }

  /** bdrv_co_preadv */
  *coPreadv(offset: number, bytes: number, qiov: IoVector, _flags: BlockRequestFlags): Co {
    yield* this.pipe.read(offset, bytes, qiov);
  }

  /** bdrv_co_pwritev: done when the server acknowledged every byte; FUA adds an fsync. */
  *coPwritev(offset: number, bytes: number, qiov: IoVector, flags: BlockRequestFlags): Co {
    yield* this.pipe.write(offset, bytes, qiov);
    if (offset + bytes > this.size) this.size = offset + bytes;
    if (flags.fua) yield* this.coFlush();
  }

  /** bdrv_co_flush: fsync@openssh.com, or a one-time warning when the server lacks it. */
  *coFlush(): Co {
    if (!this.conn.hasFsync) {
      if (!this.unsafeFlushWarned) {
        this.unsafeFlushWarned = true;
        sshWarn(`ssh server ${this.conn.hostport} does not support fsync`);
        sshWarn('to support fsync, you need OpenSSH >= 6.3');
      }
      return;
    }
    yield* this.lock.lock();
    try {
      yield* coWaitFor((done) => this.conn.request((cb) => this.conn.sftp.ext_openssh_fsync(this.conn.handle, cb), (err) => done(err)));
    } finally {
      this.lock.unlock();
    }
  }

  /** bdrv_co_getlength: the size at open, grown by writes and truncate since. */
  *coGetLength(): Co<number> {
    return this.size;
  }

  /** bdrv_co_truncate: grow only, as QEMU's ssh driver (SFTP fsetstat of the size). */
  *coTruncate(offset: number, _exact: boolean, prealloc: PreallocMode): Co {
    if (prealloc !== 'off') throw new NotSupportedError(`Unsupported preallocation mode '${prealloc}'`);
    yield* this.lock.lock();
    try {
      if (offset < this.size) throw new NotSupportedError('ssh driver does not support shrinking files');
      if (offset === this.size) return;
      yield* coWaitFor((done) => this.conn.request((cb) => this.conn.sftp.fsetstat(this.conn.handle, { size: offset }, cb), (err) => done(err)));
      this.size = offset;
    } finally {
      this.lock.unlock();
    }
  }

  /** Facts for `info`. */
  *coGetInfo(): Co<BlockDriverInfo> {
    return {
      extra: {
        'sftp max read': String(this.pipe.readChunk),
        'sftp max write': String(this.pipe.writeChunk),
        'fsync@openssh.com': this.conn.hasFsync ? 'yes' : 'no',
      },
    };
  }

  /** bdrv_close: close the remote file and the connection. */
  *coClose(): Co {
    if (this.closed) return;
    this.closed = true;
    yield* this.lock.lock();
    try {
      yield* coAwait(this.conn.close());
    } finally {
      this.lock.unlock();
    }
  }
}

function* connect(options: BlockDriverOptions, mode: SftpOpenMode): Co<{ config: SshConfig; conn: SshConnection }> {
  const config = sshConfigFromOptions(options);
  const { SshConnection } = yield* sshConnection.get();
  const conn = yield* coAwait(SshConnection.open(config, mode, tuning));
  return { config, conn };
}

/** The ssh protocol driver: `ssh://user@host:port/path` or driver=ssh with server.host, path, … */
export const sshDriver: BlockDriver = {
  spec: BLOCK_DRIVER_SPEC,
  formatName: 'ssh',
  protocolName: 'ssh',
  options: SSH_OPTIONS,
  completions: 'event-loop',
  parseFilename: parseSshFilename,
  *open(options: BlockDriverOptions, flags: BlockOpenFlags): Co<BlockDriverState> {
    const { config, conn } = yield* connect(options, { write: !flags.readOnly });
    return new SshBlockDriverState(sshDriver, options, flags, config, conn, tuning);
  },
  /** bdrv_co_create: create (or truncate) the remote file and grow it to `size`. */
  *create(options: BlockDriverOptions, size: number): Co {
    const { conn } = yield* connect(options, { write: true, create: true });
    try {
      if (size > 0) {
        yield* coWaitFor((done) => conn.request((cb) => conn.sftp.fsetstat(conn.handle, { size }, cb), (err) => done(err)));
      }
    } finally {
      yield* coAwait(conn.close());
    }
  },
};
