/**
 * A byte stream that coroutines read from: the socket's 'data' chunks are
 * queued, and `read(n)` / `readInto(buf)` yield until that many bytes are
 * there. Both ends of NBD use it (the server's per-client receive coroutine,
 * the client's reply coroutine). Memory stays bounded whatever the peer sends:
 * the socket is paused once more than `highWater` bytes (or the one read being
 * waited for) are queued, so a peer that floods us is held by TCP flow control,
 * never by our heap. The socket can be handed over (STARTTLS) with `detach`.
 */
import type { Duplex } from 'node:stream';
import { coroutineSelf, coroutineWake, coroutineYield, type Co, type Coroutine } from '@qco/core';

/** The peer closed the connection (or it failed) before the bytes we wait for arrived. */
export class NbdStreamClosedError extends Error {
  override readonly name = 'NbdStreamClosedError';
}

const DEFAULT_HIGH_WATER = 4 * 1024 * 1024;
/** Bytes queued for sending before writers wait. */
const SEND_QUEUE_LIMIT = 4 * 1024 * 1024;

/** A coroutine-readable view of one socket. */
export class NbdStream {
  private chunks: Buffer[] = [];
  private head = 0;
  private buffered = 0;
  private waiter: Coroutine | null = null;
  private want = 0;
  private paused = false;
  private drainWaiters: Coroutine[] = [];
  private closedErr: Error | null = null;
  private readonly onData = (chunk: Buffer): void => this.push(chunk);
  private readonly onClose = (): void => this.fail(new NbdStreamClosedError('Connection closed'));
  private readonly onError = (err: Error): void => this.fail(err);

  constructor(
    /** The socket (net.Socket or tls.TLSSocket). */
    public socket: Duplex,
    private readonly highWater = DEFAULT_HIGH_WATER,
  ) {
    this.attach(socket);
  }

  /** Whether the connection is gone. */
  get closed(): boolean {
    return this.closedErr !== null;
  }

  /** Bytes received and not yet read. */
  get pending(): number {
    return this.buffered;
  }

  private attach(s: Duplex): void {
    this.socket = s;
    s.on('data', this.onData);
    s.on('close', this.onClose);
    s.on('end', this.onClose);
    s.on('error', this.onError);
  }

  /** Stop listening to the socket and give it back (for a TLS upgrade); queued bytes are dropped. */
  detach(): Duplex {
    const s = this.socket;
    // Let what is queued go out on this socket before it is handed over.
    if (this.batching) {
      this.batching = false;
      this.uncork();
    }
    s.off('data', this.onData);
    s.off('close', this.onClose);
    s.off('end', this.onClose);
    s.off('error', this.onError);
    if (this.paused) s.resume();
    this.paused = false;
    this.chunks = [];
    this.head = 0;
    this.buffered = 0;
    return s;
  }

  /** Listen to another socket from now on (the TLS socket wrapping the old one). */
  reattach(s: Duplex): void {
    this.attach(s);
  }

  /**
   * Bytes from a socket read into a buffer the caller reuses (net's `onread`):
   * they go straight into a waiting `readInto` destination where there is
   * one, and only the rest is copied into the queue.
   */
  pushFrom(buf: Uint8Array, n: number): void {
    if (this.closedErr !== null) return;
    let at = 0;
    const d = this.direct;
    if (d !== null && buf.buffer === d.dst.buffer && buf.byteOffset === d.dst.byteOffset + d.at) {
      // The kernel read straight into the destination (nextReadBuffer): nothing to copy.
      d.at += n;
      if (d.at === d.dst.length) this.wakeReader();
      return;
    }
    if (d !== null && this.buffered === 0) {
      at = Math.min(n, d.dst.length - d.at);
      d.dst.set(at === buf.length ? buf : buf.subarray(0, at), d.at);
      d.at += at;
      if (d.at === d.dst.length) this.wakeReader();
    }
    if (at < n) this.push(Buffer.from(buf.subarray(at, n)));
  }

  /**
   * Where the socket's next read should land (net's `onread` buffer
   * function): the rest of a waiting `readInto` destination when nothing
   * is queued ahead of it, so a READ's payload goes from the kernel into the
   * caller's buffer with no copy in between; else `fallback`.
   */
  nextReadBuffer(fallback: Buffer): Uint8Array {
    const d = this.direct;
    if (d === null || this.buffered !== 0 || this.closedErr !== null) return fallback;
    return d.dst.subarray(d.at);
  }

  private wakeReader(): void {
    const w = this.waiter;
    if (w === null) return;
    this.waiter = null;
    coroutineWake(w);
  }

  /** A readInto waiting for bytes to land in its buffer. */
  private direct: { dst: Uint8Array; at: number } | null = null;

  private push(chunk: Buffer): void {
    if (this.closedErr !== null) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered > Math.max(this.highWater, this.want) && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    if (this.waiter !== null && this.buffered >= this.want) {
      const w = this.waiter;
      this.waiter = null;
      coroutineWake(w);
    }
  }

  private fail(err: Error): void {
    if (this.closedErr !== null) return;
    this.closedErr = err instanceof NbdStreamClosedError ? err : new NbdStreamClosedError(err.message, { cause: err });
    const w = this.waiter;
    this.waiter = null;
    if (w !== null) coroutineWake(w);
    this.wakeDrain();
  }

  private wakeDrain(): void {
    const list = this.drainWaiters;
    if (list.length === 0) return;
    this.drainWaiters = [];
    for (const co of list) coroutineWake(co);
  }

  /** Yield until `n` bytes are queued (or the stream closed: throws). */
  private *waitFor(n: number): Co {
    while (this.buffered < n) {
      if (this.closedErr !== null) throw this.closedErr;
      this.want = n;
      if (this.paused) {
        this.paused = false;
        this.socket.resume();
      }
      this.waiter = coroutineSelf();
      yield* coroutineYield();
    }
    this.want = 0;
  }

  /** Read exactly `n` bytes. */
  *read(n: number): Co<Buffer> {
    if (this.buffered < n) yield* this.waitFor(n);
    const first = this.chunks.at(0);
    if (first !== undefined && first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.consume(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    this.copyOut(out, 0, n);
    return out;
  }

  /** Read exactly `dst.length` bytes into `dst`. Long reads are taken in pieces so the queue never holds them whole. */
  *readInto(dst: Uint8Array): Co {
    const queued = Math.min(this.buffered, dst.length);
    if (queued > 0) this.copyOut(dst, 0, queued);
    if (queued === dst.length) return;
    if (this.direct !== null) throw new Error('NbdStream: one reader at a time');
    const d = { dst, at: queued };
    this.direct = d;
    try {
      while (d.at < dst.length) {
        // Bytes queued meanwhile (a 'data' event, or the rest of an onread) are taken first.
        if (this.buffered > 0) {
          const n = Math.min(this.buffered, dst.length - d.at);
          this.copyOut(dst, d.at, n);
          d.at += n;
          continue;
        }
        if (this.closedErr !== null) throw this.closedErr;
        if (this.paused) {
          this.paused = false;
          this.socket.resume();
        }
        this.want = 1;
        this.waiter = coroutineSelf();
        yield* coroutineYield();
      }
    } finally {
      this.direct = null;
      this.want = 0;
    }
  }

  /** Read and drop `n` bytes. */
  *skip(n: number): Co {
    while (n > 0) {
      if (this.buffered === 0) yield* this.waitFor(1);
      const k = Math.min(this.buffered, n);
      this.consume(k);
      n -= k;
    }
  }

  private copyOut(dst: Uint8Array, at: number, n: number): void {
    let off = at;
    let left = n;
    while (left > 0) {
      const c = this.chunks[0];
      const k = Math.min(c.length - this.head, left);
      dst.set(k === c.length && this.head === 0 ? c : c.subarray(this.head, this.head + k), off);
      off += k;
      left -= k;
      this.consume(k);
    }
  }

  private consume(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const c = this.chunks[0];
      const rest = c.length - this.head;
      if (n < rest) {
        this.head += n;
        break;
      }
      n -= rest;
      this.chunks.shift();
      this.head = 0;
    }
    if (this.paused && this.buffered <= this.highWater) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /**
   * Queue bytes for sending; false when the socket's buffer is full (then
   * `drain`). Writes of one event-loop turn leave together: the first corks
   * the socket and an immediate uncorks it, so 64 replies (or requests)
   * finishing in one turn cost one writev instead of 64 syscalls.
   */
  write(buf: Uint8Array, written?: () => void): boolean {
    if (this.closedErr !== null) {
      written?.();
      return false;
    }
    if (!this.batching) {
      this.batching = true;
      this.cork();
      setImmediate(this.endBatch);
    }
    this.unflushed += buf.length;
    const n = buf.length;
    return this.socket.write(buf, () => {
      this.unflushed -= n;
      if (this.unflushed <= SEND_QUEUE_LIMIT) this.wakeDrain();
      written?.();
    });
  }

  /** Bytes handed to write() that the socket has not passed to the kernel yet. */
  private unflushed = 0;

  private batching = false;
  private readonly endBatch = (): void => {
    if (!this.batching) return;
    this.batching = false;
    this.uncork();
  };

  /**
   * Yield while more than `limit` bytes wait in the socket's send queue
   * (returns at once otherwise; throws once closed). The queue is counted
   * through the write callbacks, so a writer resumes as soon as it is below
   * the limit again, not only once it is empty ('drain'); Node's own
   * high-water mark (16 KiB) is far below one NBD reply.
   */
  *drain(limit = SEND_QUEUE_LIMIT): Co {
    while (this.unflushed > limit) {
      if (this.closedErr !== null) throw this.closedErr;
      this.drainWaiters.push(coroutineSelf());
      yield* coroutineYield();
    }
    if (this.closedErr !== null) throw this.closedErr;
  }

  /** Cork the socket (several writes leave in one segment). */
  cork(): void {
    (this.socket as { cork?: () => void }).cork?.();
  }

  /** Uncork. */
  uncork(): void {
    (this.socket as { uncork?: () => void }).uncork?.();
  }

  /** Close after queued writes went out. */
  end(): void {
    this.socket.end();
  }

  /** Drop the connection now. */
  destroy(): void {
    this.socket.destroy();
    this.fail(new NbdStreamClosedError('Connection closed'));
  }
}
