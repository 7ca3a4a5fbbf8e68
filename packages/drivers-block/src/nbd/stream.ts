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
/** One receive buffer: many small replies per read, little of a READ's payload behind its header. */
const RECEIVE_BUFFER_SIZE = 64 * 1024;
/** Receive buffers kept for reuse; more are lent only while a burst of replies is queued. */
const MAX_SPARE_RECEIVE_BUFFERS = 8;

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
      this.flushWrites();
    }
    s.off('data', this.onData);
    s.off('close', this.onClose);
    s.off('end', this.onClose);
    s.off('error', this.onError);
    if (this.paused) s.resume();
    this.paused = false;
    this.chunks = [];
    this.lent.clear();
    this.recv = null;
    this.head = 0;
    this.buffered = 0;
    return s;
  }

  /** Listen to another socket from now on (the TLS socket wrapping the old one). */
  reattach(s: Duplex): void {
    this.attach(s);
  }

  /**
   * Bytes from a socket read (net's `onread`): they go straight into a
   * waiting `readInto` destination where there is one. The rest is queued:
   * without copying when they lie in one of this stream's receive buffers
   * (nextReadBuffer), which is then lent to the queue until they are read;
   * else copied, as `buf` is the caller's to reuse.
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
    if (at === n) return;
    const own = this.recv;
    if (own !== null && buf.buffer === own.buffer) {
      this.recv = null;
      this.lent.add(own.buffer);
      this.push(own.subarray(at, n));
      return;
    }
    // allocUnsafe, as Buffer.from would zero it first.
    const rest = Buffer.allocUnsafe(n - at);
    rest.set(buf.subarray(at, n));
    this.push(rest);
  }

  /**
   * Where the socket's next read should land (net's `onread` buffer
   * function): the rest of a waiting `readInto` destination when nothing
   * is queued ahead of it, so a READ's payload goes from the kernel into the
   * caller's buffer with no copy in between; else one of the stream's
   * receive buffers (`fallback` when it has none: see `recycleReceiveBuffers`).
   */
  nextReadBuffer(fallback: Buffer): Uint8Array {
    const d = this.direct;
    if (d === null || this.buffered !== 0 || this.closedErr !== null) {
      if (!this.recycle) return fallback;
      this.recv ??= this.spare.pop() ?? Buffer.allocUnsafeSlow(RECEIVE_BUFFER_SIZE);
      return this.recv;
    }
    return d.dst.subarray(d.at);
  }

  /**
   * From now on the socket reads (when no `readInto` waits) into receive
   * buffers of the stream's own, queued as they are and reused once read,
   * instead of into the caller's buffer and copied out of it: no allocation,
   * no copy and no fresh pages per read. The price is a shorter life for
   * what `read` and `take` return: a view into a receive buffer, valid only
   * until the reader next yields (a later socket read may reuse the buffer).
   * For readers that parse what they read at once, as the NBD client's
   * reply loop does.
   */
  recycleReceiveBuffers(): void {
    this.recycle = true;
  }

  private recycle = false;
  /** The receive buffer the socket's next read lands in, when not lent to the queue. */
  private recv: Buffer | null = null;
  /** Receive buffers lent to the queue (by their memory), returned to `spare` once read. */
  private readonly lent = new Set<ArrayBufferLike>();
  private readonly spare: Buffer[] = [];

  /** A chunk of the queue has been read: its receive buffer (if it was one) can take the next read. */
  private release(c: Buffer): void {
    if (!this.lent.delete(c.buffer)) return;
    if (this.spare.length < MAX_SPARE_RECEIVE_BUFFERS) this.spare.push(Buffer.from(c.buffer, 0, RECEIVE_BUFFER_SIZE));
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
    return this.take(n);
  }

  /** Yield until at least `n` bytes are queued (throws once closed before they came). */
  *fill(n: number): Co {
    if (this.buffered < n) yield* this.waitFor(n);
  }

  /** The next `n` queued bytes without waiting (`pending` must be at least `n`): a view of the received chunk when one holds them, else a copy. */
  take(n: number): Buffer {
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

  /**
   * The received chunk holding the next `n` queued bytes, when one does, for
   * parsing them in place (they start at `readOffset`; `advance(n)` once
   * done): no view and no copy per request header. Null when they straddle
   * chunks or have not all arrived.
   */
  peek(n: number): Buffer | null {
    const first = this.chunks.at(0);
    return first !== undefined && first.length - this.head >= n ? first : null;
  }

  /** Where the next queued byte lies in the chunk `peek` gave. */
  get readOffset(): number {
    return this.head;
  }

  /** Drop `n` queued bytes (at most `pending`), as after parsing them in place. */
  advance(n: number): void {
    this.consume(n);
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
      if (this.lent.size > 0) this.release(c);
      this.head = 0;
    }
    if (this.paused && this.buffered <= this.highWater) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /**
   * Queue bytes for sending (false once the stream is closed). Writes of one
   * event-loop turn leave together: they are collected here and an immediate
   * hands them to the socket in one corked run, so 64 replies (or requests)
   * finishing in one turn cost one writev instead of 64 syscalls, and one
   * write callback for the whole run instead of one closure per write.
   * `owner`, when given, is handed to `onWritten` once the socket has taken
   * the bytes (the buffer `buf` lies in, back to its pool).
   */
  write(buf: Uint8Array, owner?: Buffer): boolean {
    if (this.closedErr !== null) {
      if (owner !== undefined) this.onWritten?.(owner);
      return false;
    }
    if (!this.batching) {
      this.batching = true;
      setImmediate(this.endBatch);
    }
    this.outBufs.push(buf);
    if (owner !== undefined) this.outOwners.push(owner);
    this.outBytes += buf.length;
    this.unflushed += buf.length;
    return true;
  }

  /** Hand `owner` to `onWritten` once the writes queued so far are written (at once when none is queued or the stream is closed). */
  releaseAfterWrites(owner: Buffer): void {
    if (this.closedErr === null && this.outBufs.length > 0) this.outOwners.push(owner);
    else this.onWritten?.(owner);
  }

  /** Called with each `owner` given to write() once its bytes are written (or dropped with the connection). */
  onWritten: ((owner: Buffer) => void) | null = null;

  /** Bytes handed to write() that the socket has not passed to the kernel yet. */
  private unflushed = 0;
  /** This turn's writes, not yet given to the socket. */
  private outBufs: Uint8Array[] = [];
  private outOwners: Buffer[] = [];
  private outBytes = 0;

  private batching = false;
  private readonly endBatch = (): void => {
    if (!this.batching) return;
    this.batching = false;
    this.flushWrites();
  };

  /** Give this turn's writes to the socket, corked when there are several, with one callback for them all. */
  private flushWrites(): void {
    const bufs = this.outBufs;
    if (bufs.length === 0) return;
    const owners = this.outOwners;
    const bytes = this.outBytes;
    this.outBufs = [];
    this.outOwners = [];
    this.outBytes = 0;
    const done = (): void => {
      this.unflushed -= bytes;
      const release = this.onWritten;
      if (release !== null) for (const o of owners) release(o);
      if (this.unflushed <= SEND_QUEUE_LIMIT) this.wakeDrain();
    };
    if (this.closedErr !== null) {
      done();
      return;
    }
    const s = this.socket;
    const last = bufs.length - 1;
    if (last > 0) this.cork();
    for (let i = 0; i < last; i++) s.write(bufs[i]);
    s.write(bufs[last], done);
    if (last > 0) this.uncork();
  }

  /** Whether a writer would not wait in `drain` now (open, and the send queue below its limit). */
  get writable(): boolean {
    return this.closedErr === null && this.unflushed <= SEND_QUEUE_LIMIT;
  }

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
    this.endBatch();
    this.socket.end();
  }

  /** Drop the connection now. */
  destroy(): void {
    this.socket.destroy();
    this.fail(new NbdStreamClosedError('Connection closed'));
  }
}
