/**
 * fd handlers (aio_set_fd_handler) over Node streams. JavaScript has no poll(2):
 * a descriptor is readable or writable only as libuv reports it on the stream
 * wrapping it (net.Socket, a pipe, any Duplex). So a handler is registered on a
 * stream: 'readable' events mark it readable (the stream is in paused mode and
 * io_read consumes with `stream.read()`), and it counts as readable while data is
 * buffered, so handlers see QEMU's level-triggered readiness; a writable stream
 * without write backpressure is always writable, and 'drain' wakes the loop.
 * Readiness arrives only through libuv callbacks, so a blocking aio_poll sees what
 * was reported before it started but cannot wait for a stream to become ready.
 */
import type { Readable, Writable } from 'node:stream';

/** A stream standing for a file descriptor. */
export type AioFd = Readable | Writable;

/** An fd handler callback (IOHandler). */
export type IOHandler<T = unknown> = (opaque: T) => void;

/** One registered stream. */
export class AioFdHandler {
  /** A 'readable' event came and io_read has not run since. */
  readReady = false;
  private readonly onReadable = (): void => {
    this.readReady = true;
    this.wake();
  };
  private readonly onDrain = (): void => this.wake();
  private readonly onEnd = (): void => {
    this.readReady = true;
    this.wake();
  };

  constructor(
    readonly stream: AioFd,
    public ioRead: IOHandler | null,
    public ioWrite: IOHandler | null,
    public opaque: unknown,
    private readonly wake: () => void,
  ) {}

  /** Attach the stream listeners that the current handlers need. */
  attach(): void {
    this.detach();
    const s = this.stream as Readable & Writable;
    if (this.ioRead) {
      s.on('readable', this.onReadable);
      s.on('end', this.onEnd);
      if (s.readableLength > 0) this.readReady = true;
    }
    if (this.ioWrite) s.on('drain', this.onDrain);
  }

  /** Remove its listeners from the stream. */
  detach(): void {
    const s = this.stream as Readable & Writable;
    s.off('readable', this.onReadable);
    s.off('end', this.onEnd);
    s.off('drain', this.onDrain);
  }

  /** Whether io_read should run now. */
  readable(): boolean {
    if (this.ioRead === null) return false;
    const s = this.stream as Readable;
    return this.readReady || s.readableLength > 0;
  }

  /** Whether io_write should run now. */
  writable(): boolean {
    if (this.ioWrite === null) return false;
    const s = this.stream as Writable;
    return s.writable && !s.writableNeedDrain;
  }

  /** Run the ready handlers once; true when any ran. */
  dispatch(): boolean {
    let progress = false;
    if (this.readable()) {
      this.readReady = false;
      progress = true;
      (this.ioRead as IOHandler)(this.opaque);
    }
    if (this.writable()) {
      progress = true;
      (this.ioWrite as IOHandler)(this.opaque);
    }
    return progress;
  }
}
