/**
 * The "DMA" region: host memory the emulated controller can reach, as QEMU maps
 * guest memory for a VFIO device. It is one SharedArrayBuffer; an IOVA is a byte
 * offset into it (page 0 is never handed out, so IOVA 0 stays an invalid
 * pointer). The driver allocates its queues, PRP lists and bounce buffers here
 * with a small first-fit allocator over whole pages.
 */
import { NVME_PAGE_SIZE } from './nvme-spec.js';

/** Thrown when the region has no room for an allocation. */
export class DmaOutOfMemoryError extends Error {
  constructor(bytes: number) {
    super(`Cannot allocate ${bytes} bytes of DMA memory`);
    this.name = 'DmaOutOfMemoryError';
  }
}

/** A page-aligned block of the DMA region. */
export interface DmaBuffer {
  /** Its IOVA (byte offset in the region). */
  readonly iova: number;
  /** Its bytes. */
  readonly bytes: Uint8Array;
}

/** A SharedArrayBuffer region with a page allocator. */
export class DmaMemory {
  /** The shared bytes (handed to the controller). */
  readonly sab: SharedArrayBuffer;
  /** All bytes of the region. */
  readonly u8: Uint8Array;
  /** Little-endian view of the region. */
  readonly view: DataView;
  /** Int32 view, for words that must be read with Atomics (CQE phase/status). */
  readonly i32: Int32Array;
  /** Free extents as [firstPage, pageCount], sorted by page. */
  private free: Array<[number, number]>;

  constructor(bytes: number) {
    const pages = Math.ceil(bytes / NVME_PAGE_SIZE) + 1;
    this.sab = new SharedArrayBuffer(pages * NVME_PAGE_SIZE);
    this.u8 = new Uint8Array(this.sab);
    this.view = new DataView(this.sab);
    this.i32 = new Int32Array(this.sab);
    this.free = [[1, pages - 1]];
  }

  /** Allocate `bytes` (rounded up to pages), zeroed. */
  alloc(bytes: number): DmaBuffer {
    const pages = Math.max(1, Math.ceil(bytes / NVME_PAGE_SIZE));
    for (let i = 0; i < this.free.length; i++) {
      const ext = this.free[i];
      if (ext[1] < pages) continue;
      const first = ext[0];
      if (ext[1] === pages) this.free.splice(i, 1);
      else {
        ext[0] += pages;
        ext[1] -= pages;
      }
      const iova = first * NVME_PAGE_SIZE;
      const out = this.u8.subarray(iova, iova + pages * NVME_PAGE_SIZE);
      out.fill(0);
      return { iova, bytes: out };
    }
    throw new DmaOutOfMemoryError(bytes);
  }

  /** Give a buffer back. */
  release(buf: DmaBuffer): void {
    const first = buf.iova / NVME_PAGE_SIZE;
    const pages = buf.bytes.length / NVME_PAGE_SIZE;
    let i = 0;
    while (i < this.free.length && (this.free[i])[0] < first) i++;
    this.free.splice(i, 0, [first, pages]);
    // Merge with neighbours so large allocations stay possible.
    for (let j = Math.max(0, i - 1); j < this.free.length - 1; ) {
      const a = this.free[j];
      const b = this.free[j + 1];
      if (a[0] + a[1] === b[0]) {
        a[1] += b[1];
        this.free.splice(j + 1, 1);
      } else if (j > i) break;
      else j++;
    }
  }
}
