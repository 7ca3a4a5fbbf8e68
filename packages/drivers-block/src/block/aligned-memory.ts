/**
 * Page-aligned shared memory for file I/O. O_DIRECT needs buffers aligned to
 * the device's logical block size, which JavaScript cannot ask of an
 * ArrayBuffer; a shared WebAssembly.Memory is page-aligned and is a
 * SharedArrayBuffer, so a worker thread can read into it and the requesting
 * thread sees the bytes without another copy through postMessage. Small
 * requests take a slot from a fixed pool; large ones get memory of their own.
 */

const WASM_PAGE = 65536;

/** The one WebAssembly API used here (the lib settings carry no WebAssembly types). */
declare const WebAssembly: {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer };
};

/** A region of page-aligned shared memory. */
export interface AlignedBuffer {
  /** The SharedArrayBuffer it lives in. */
  readonly sab: SharedArrayBuffer;
  /** Byte offset of the region in `sab` (a multiple of 4096). */
  readonly offset: number;
  /** Region length. */
  readonly length: number;
  /** A view of the region. */
  readonly bytes: Uint8Array;
  /** Give it back. */
  release(): void;
}

/** Allocate `length` bytes of page-aligned shared memory. */
export function allocAligned(length: number): SharedArrayBuffer {
  const pages = Math.max(1, Math.ceil(length / WASM_PAGE));
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }).buffer;
}

/** A pool of fixed-size aligned slots in one shared memory. */
export class AlignedPool {
  private readonly sab: SharedArrayBuffer;
  private readonly free: number[] = [];

  constructor(
    readonly slotSize: number,
    readonly slots: number,
  ) {
    this.sab = allocAligned(slotSize * slots);
    for (let i = slots - 1; i >= 0; i--) this.free.push(i);
  }

  /** A region of at least `length` bytes: a pool slot when it fits and one is free, else its own memory. */
  get(length: number): AlignedBuffer {
    if (length <= this.slotSize) {
      const slot = this.free.pop();
      if (slot !== undefined) {
        const offset = slot * this.slotSize;
        return {
          sab: this.sab,
          offset,
          length,
          bytes: new Uint8Array(this.sab, offset, length),
          release: () => void this.free.push(slot),
        };
      }
    }
    const sab = allocAligned(length);
    return { sab, offset: 0, length, bytes: new Uint8Array(sab, 0, length), release: () => undefined };
  }
}
