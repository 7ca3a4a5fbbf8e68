/**
 * Where the emulated namespace keeps its bytes: a SharedArrayBuffer (so a test
 * can look at the medium directly) or a file accessed with positioned
 * synchronous I/O — the controller runs in its own worker thread, where blocking
 * is what a device's firmware does anyway.
 */
import { closeSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';

/** The medium behind namespace 1. */
export interface NamespaceBacking {
  /** Size in bytes. */
  readonly size: number;
  /** Copy `dst.length` bytes at `offset` into `dst`. */
  read(offset: number, dst: Uint8Array): void;
  /** Copy `src` to `offset`. */
  write(offset: number, src: Uint8Array): void;
  /** Set `bytes` bytes at `offset` to zero. */
  zero(offset: number, bytes: number): void;
  /** Make written data durable. */
  flush(): void;
  /** Release the medium. */
  close(): void;
}

/** A namespace held in shared memory. */
export class MemoryBacking implements NamespaceBacking {
  private readonly u8: Uint8Array;
  readonly size: number;
  constructor(sab: SharedArrayBuffer) {
    this.u8 = new Uint8Array(sab);
    this.size = sab.byteLength;
  }
  read(offset: number, dst: Uint8Array): void {
    dst.set(this.u8.subarray(offset, offset + dst.length));
  }
  write(offset: number, src: Uint8Array): void {
    this.u8.set(src, offset);
  }
  zero(offset: number, bytes: number): void {
    this.u8.fill(0, offset, offset + bytes);
  }
  flush(): void {}
  close(): void {}
}

const ZERO_CHUNK = new Uint8Array(1 << 20);

/** A namespace stored in a regular file. */
export class FileBacking implements NamespaceBacking {
  private fd: number;
  constructor(
    path: string,
    readonly size: number,
    readOnly: boolean,
  ) {
    this.fd = openSync(path, readOnly ? 'r' : 'r+');
  }
  read(offset: number, dst: Uint8Array): void {
    let done = 0;
    while (done < dst.length) {
      const n = readSync(this.fd, dst, done, dst.length - done, offset + done);
      if (n === 0) {
        dst.fill(0, done); // past EOF of a sparse/short file reads as zeroes
        return;
      }
      done += n;
    }
  }
  write(offset: number, src: Uint8Array): void {
    let done = 0;
    while (done < src.length) done += writeSync(this.fd, src, done, src.length - done, offset + done);
  }
  zero(offset: number, bytes: number): void {
    for (let at = 0; at < bytes; at += ZERO_CHUNK.length) {
      this.write(offset + at, ZERO_CHUNK.subarray(0, Math.min(ZERO_CHUNK.length, bytes - at)));
    }
  }
  flush(): void {
    fsyncSync(this.fd);
  }
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
