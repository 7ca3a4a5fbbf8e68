/**
 * Pipelined SFTP reads and writes. SFTP tags every request with an id, so any
 * number can be outstanding on the one channel; what limits throughput is how
 * much is in flight, not the per-request size. A request is cut into chunks of
 * the server's limits (OpenSSH's limits@openssh.com allows ~255 KiB, well above
 * QEMU's 16 KiB reads and 128 KiB writes), and every chunk takes bytes from a
 * per-direction budget (16 MiB by default) shared by all requests of the node,
 * so many chunks are outstanding where QEMU has one.
 * When the budget is spent the coroutine would block: it waits on a CoQueue and
 * the completion of an earlier chunk — delivered by the channel's readable
 * handler — re-enters it through aio_co_wake. A request completes when all its
 * chunks are answered; it fails with -EIO if any chunk fails or the connection
 * dies, and never reports success for a chunk the server did not acknowledge.
 * Reads past the end of the file return zeroes (QEMU's ssh_read pads a short
 * read at EOF); a short read before EOF is continued where it stopped.
 */
import { CoQueue, coWaitFor, type Co, type NodeCallback } from '@qco/core';
import type { IoVector } from '../../block/iov.js';
import type { SshConnection } from './ssh-connection.js';
import { SshIoError } from './ssh-errors.js';

/** How much a node keeps in flight per direction. */
export interface SftpPipeLimits {
  /** Bytes of reads outstanding at most (default 16 MiB). */
  readonly readBudget?: number;
  /** Bytes of writes outstanding at most (default 16 MiB). */
  readonly writeBudget?: number;
  /** SSH channel window kept open for read replies, bytes (0: ssh2's own 2 MiB). */
  readonly window?: number;
  /** Read chunk size (default: the server's max read length). */
  readonly readChunk?: number;
  /** Write chunk size (default: the server's max write length). */
  readonly writeChunk?: number;
}

/** Default per-direction budget: enough to keep the pipe full at loopback speeds. */
export const DEFAULT_PIPE_BUDGET = 16 * 1024 * 1024;

/** One direction's budget of bytes in flight and the coroutines waiting for some. */
class Budget {
  inFlight = 0;
  readonly waiters = new CoQueue();
  constructor(readonly max: number) {}

  /** Take `n` bytes, yielding while the budget is spent (one chunk may always go). */
  *take(n: number): Co {
    while (this.inFlight > 0 && this.inFlight + n > this.max) yield* this.waiters.wait();
    this.inFlight += n;
    // Budget left over: let the next waiter try too, so waiters are not serialised behind one wake per completion.
    if (this.inFlight < this.max && !this.waiters.isEmpty()) this.waiters.next();
  }

  /** Give `n` bytes back and restart a waiter. */
  give(n: number): void {
    this.inFlight -= n;
    if (!this.waiters.isEmpty()) this.waiters.next();
  }
}

/** The chunks of one request: how many are outstanding and the first error. */
class Batch {
  pending = 0;
  error: Error | null = null;
  /** The waiting coroutine's completion, set while wait() is yielded. */
  private idle: NodeCallback<void> | null = null;

  finish(err: Error | null | undefined): void {
    if (err && this.error === null) this.error = err;
    if (--this.pending > 0 || this.idle === null) return;
    const done = this.idle;
    this.idle = null;
    done(null);
  }

  /** Whether a chunk failed (a method: chunks complete while the issuing loop is yielded). */
  failed(): boolean {
    return this.error !== null;
  }

  /** Yield until every chunk is answered (a chunk completes from ssh2's channel handler), then throw the first error. */
  *wait(): Co {
    while (this.pending > 0) {
      yield* coWaitFor((done) => {
        this.idle = done;
      });
    }
    if (this.error !== null) throw this.error;
  }
}

/** A Node Buffer over the same memory (ssh2 insists on Buffers). */
function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

/** Pipelined I/O over one connection's open file. */
export class SftpPipe {
  readonly readChunk: number;
  readonly writeChunk: number;
  private readonly reads: Budget;
  /** SSH channel window to keep open for replies (0: leave ssh2's default). */
  private readonly windowTarget: number;
  private readonly writes: Budget;

  constructor(
    readonly conn: SshConnection,
    limits: SftpPipeLimits = {},
  ) {
    this.readChunk = Math.min(limits.readChunk ?? conn.maxRead, conn.maxRead);
    this.writeChunk = Math.min(limits.writeChunk ?? conn.maxWrite, conn.maxWrite);
    this.reads = new Budget(limits.readBudget ?? DEFAULT_PIPE_BUDGET);
    this.writes = new Budget(limits.writeBudget ?? DEFAULT_PIPE_BUDGET);
    this.windowTarget = limits.window ?? 0;
  }

  /** Bytes currently in flight per direction (for tests). */
  get inFlight(): { read: number; write: number } {
    return { read: this.reads.inFlight, write: this.writes.inFlight };
  }

  /** Read `bytes` at `offset` into `qiov` (coroutine_fn). */
  *read(offset: number, bytes: number, qiov: IoVector): Co {
    yield* this.pipelined(this.reads, this.readChunk, offset, bytes, (pos, len, at, done) => {
      if (this.windowTarget > 0) this.conn.topUpWindow(this.windowTarget);
      this.readChunkInto(pos, len, qiov, at, done);
    });
  }

  /** Write `bytes` from `qiov` at `offset` (coroutine_fn); returns once the server acknowledged every byte. */
  *write(offset: number, bytes: number, qiov: IoVector): Co {
    yield* this.pipelined(this.writes, this.writeChunk, offset, bytes, (pos, len, at, done) => {
      const part = qiov.slice(at, len);
      const data = asBuffer(part.niov === 1 ? (part.iov[0]) : part.toBuffer());
      this.conn.request((cb) => this.conn.sftp.write(this.conn.handle, data, 0, len, pos, cb), done);
    });
  }

  /**
   * One request as chunks of at most `chunk` bytes, each issued once `budget`
   * has room for it and given back when it completes; the first error fails
   * the request and stops issuing more. `issue(pos, len, at, done)` sends the
   * chunk at file offset `pos`, `at` bytes into the request.
   */
  private *pipelined(budget: Budget, chunk: number, offset: number, bytes: number, issue: (pos: number, len: number, at: number, done: (err?: Error | null) => void) => void): Co {
    const batch = new Batch();
    for (let at = 0; at < bytes && !batch.failed(); ) {
      const len = Math.min(chunk, bytes - at);
      yield* budget.take(len);
      if (batch.failed()) {
        budget.give(len);
        break;
      }
      batch.pending++;
      issue(offset + at, len, at, (err) => {
        budget.give(len);
        batch.finish(err);
      });
      at += len;
    }
    yield* batch.wait();
  }

  /** One read chunk: into the caller's memory when it is contiguous there, else through a bounce buffer. */
  private readChunkInto(pos: number, len: number, qiov: IoVector, qiovAt: number, done: (err: Error | null) => void): void {
    const part = qiov.slice(qiovAt, len);
    const direct = part.niov === 1;
    const buf = direct ? asBuffer(part.iov[0]) : Buffer.allocUnsafe(len);
    let got = 0;
    const step = (): void => {
      this.conn.request(
        (cb) => this.conn.sftp.read(this.conn.handle, buf, got, len - got, pos + got, cb),
        (err, n) => {
          if (err) { done(err); return; }
          const nb = n as number;
          if (nb > len - got) { done(new SshIoError(`server sent more data than requested (server ${this.conn.hostport})`)); return; }
          if (nb === 0) {
            // End of file: the rest reads as zeroes.
            buf.fill(0, got, len);
            got = len;
          } else {
            got += nb;
          }
          if (got < len) { step(); return; }
          if (!direct) qiov.fromBuffer(buf, qiovAt);
          done(null);
        },
      );
    };
    step();
  }
}
