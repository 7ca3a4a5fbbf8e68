/**
 * The front-end's memory as SET_MEM_TABLE describes it: regions of guest
 * physical address space, each a shared mapping of a memfd the front-end sent,
 * seen here as a Uint8Array over an external ArrayBuffer. Descriptor addresses
 * are guest-physical; vring addresses (SET_VRING_ADDR) are the front-end's own
 * virtual addresses, translated through each region's userspace address.
 * Anything outside every region is refused: a guest cannot make us touch
 * memory it does not own.
 */
import type { VhostUserAddon } from './vhost-user-addon.js';

/** One mapped region. */
export interface GuestRegion {
  readonly gpa: number;
  readonly size: number;
  readonly uva: number;
  /** The region's bytes, byte 0 at `gpa`. */
  readonly bytes: Uint8Array;
  /** The same bytes as one DataView, made once (descriptor tables are read through it). */
  readonly dv: DataView;
  /** The whole mapping (mmap_offset + size), for munmap. */
  readonly mapping: ArrayBuffer;
  /** Where the region starts in `mapping` (its mmap_offset). */
  readonly offset: number;
}

/** The regions of one memory table. */
export class GuestMemory {
  private lastRegion: GuestRegion | null = null;

  constructor(
    private readonly addon: VhostUserAddon,
    readonly regions: readonly GuestRegion[],
  ) {}

  /** Map `count` regions of a SET_MEM_TABLE payload with their fds (the fds are closed either way). */
  static fromMemTable(addon: VhostUserAddon, dv: DataView, fds: number[]): GuestMemory {
    const regions: GuestRegion[] = [];
    try {
      const n = dv.getUint32(0, true);
      if (n === 0 || n > fds.length || 8 + n * 32 > dv.byteLength) throw new Error(`Invalid memory table: ${n} regions with ${fds.length} fds`);
      for (let i = 0; i < n; i++) {
        const at = 8 + i * 32;
        const gpa = Number(dv.getBigUint64(at, true));
        const size = Number(dv.getBigUint64(at + 8, true));
        const uva = Number(dv.getBigUint64(at + 16, true));
        const off = Number(dv.getBigUint64(at + 24, true));
        if (![gpa, size, uva, off].every(Number.isSafeInteger) || size === 0) throw new Error(`Invalid memory region ${i}`);
        const mapping = addon.mmap(fds[i], off + size, 0);
        regions.push({ gpa, size, uva, mapping, offset: off, bytes: new Uint8Array(mapping, off, size), dv: new DataView(mapping, off, size) });
      }
    } catch (err) {
      for (const r of regions) addon.munmap(r.mapping);
      throw err;
    } finally {
      for (const fd of fds) addon.close(fd);
    }
    return new GuestMemory(addon, regions);
  }

  /**
   * Append views of guest-physical [gpa, gpa+len) to `out`, one per region it
   * crosses; false when any byte lies outside guest memory.
   */
  map(gpa: number, len: number, out: Uint8Array[]): boolean {
    while (len > 0) {
      const r = this.regionOf(gpa);
      // An unmapped (detached) region holds nothing.
      if (r === null || r.mapping.byteLength === 0) return false;
      const at = gpa - r.gpa;
      const n = Math.min(len, r.size - at);
      // A view straight on the mapping: a few times cheaper to make than subarray (no species lookup).
      out.push(new Uint8Array(r.mapping, r.offset + at, n));
      gpa += n;
      len -= n;
    }
    return true;
  }

  /** The region holding all of [gpa, gpa+len), or null when it is outside memory or crosses regions. */
  regionFor(gpa: number, len: number): GuestRegion | null {
    const r = this.regionOf(gpa);
    return r !== null && len <= r.size - (gpa - r.gpa) ? r : null;
  }

  /** One contiguous view of [gpa, gpa+len), or null when it is outside memory or crosses regions. */
  view(gpa: number, len: number): Uint8Array | null {
    const r = this.regionOf(gpa);
    if (r === null) return null;
    const at = gpa - r.gpa;
    if (len > r.size - at) return null;
    return r.bytes.subarray(at, at + len);
  }

  /** A front-end virtual address as guest-physical, or -1 when no region holds it. */
  uvaToGpa(uva: number): number {
    for (const r of this.regions) if (uva >= r.uva && uva - r.uva < r.size) return r.gpa + (uva - r.uva);
    return -1;
  }

  /** Unmap every region; views made earlier become empty. */
  unmap(): void {
    for (const r of this.regions) this.addon.munmap(r.mapping);
  }

  private regionOf(gpa: number): GuestRegion | null {
    if (!Number.isSafeInteger(gpa) || gpa < 0) return null;
    // Most descriptors of a chain lie in the region of the one before.
    const last = this.lastRegion;
    if (last !== null && gpa >= last.gpa && gpa - last.gpa < last.size) return last;
    for (const r of this.regions) {
      if (gpa >= r.gpa && gpa - r.gpa < r.size) {
        this.lastRegion = r;
        return r;
      }
    }
    return null;
  }
}
