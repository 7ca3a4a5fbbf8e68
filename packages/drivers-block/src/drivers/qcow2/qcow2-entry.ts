/**
 * L1 and L2 entries (docs/interop/qcow2.txt, "Cluster mapping"): 64-bit
 * big-endian words read and written in place in their tables. Offsets are
 * JavaScript numbers (exact below 2^53, far above any image we open); an
 * entry's flags live in its high word, its zero flag in bit 0.
 */

/** L1/L2 entry flag: refcount is exactly one (writes may go in place). */
export const OFLAG_COPIED_HI = 0x80000000;
/** L2 entry flag: compressed cluster. */
export const OFLAG_COMPRESSED_HI = 0x40000000;
/** L2 entry flag (v3): the cluster reads as zeroes. */
export const OFLAG_ZERO_LO = 1;
/** Bits 9..55 of an L1 / standard L2 entry. */
const OFFSET_HI_MASK = 0x00ffffff;
const OFFSET_LO_MASK = 0xfffffe00;
/** Reserved bits of a standard L2 entry: 1..8 and 56..61. */
const L2_RESERVED_LO = 0x1fe;
const L2_RESERVED_HI = 0x3f000000;

/** What a guest cluster is (QEMU's QCow2ClusterType). */
export const enum ClusterType {
  Unallocated = 0,
  ZeroPlain = 1,
  ZeroAlloc = 2,
  Normal = 3,
  Compressed = 4,
}

/** A decoded L2 entry. */
export interface L2Entry {
  readonly type: ClusterType;
  /** Host offset of the cluster (standard) or of the compressed data. */
  readonly offset: number;
  /** COPIED flag. */
  readonly copied: boolean;
  /** Compressed: bytes of host data to read (whole 512-byte sectors). */
  readonly compressedBytes: number;
  /** Reserved bits set (corruption for standard entries). */
  readonly reserved: boolean;
}

// Plain byte arithmetic: a DataView per entry was a measurable share of every mapped request.
function wordAt(t: Uint8Array, at: number): number {
  return (((t[at]) << 24) | ((t[at + 1]) << 16) | ((t[at + 2]) << 8) | (t[at + 3])) >>> 0;
}

/** The high word (flags and offset bits 32..55) of entry `i`. */
export function entryHi(t: Uint8Array, i: number): number {
  return wordAt(t, i * 8);
}

/** The low word (offset bits 9..31 and the zero flag) of entry `i`. */
export function entryLo(t: Uint8Array, i: number): number {
  return wordAt(t, i * 8 + 4);
}

/** The raw (hi, lo) words of entry `i`. */
export function entryWords(t: Uint8Array, i: number): [number, number] {
  return [wordAt(t, i * 8), wordAt(t, i * 8 + 4)];
}

/** Set entry `i` from (hi, lo). */
export function setEntryWords(t: Uint8Array, i: number, hi: number, lo: number): void {
  const at = i * 8;
  t[at] = hi >>> 24;
  t[at + 1] = hi >>> 16;
  t[at + 2] = hi >>> 8;
  t[at + 3] = hi;
  t[at + 4] = lo >>> 24;
  t[at + 5] = lo >>> 16;
  t[at + 6] = lo >>> 8;
  t[at + 7] = lo;
}

/** The host offset in an L1 or standard L2 entry. */
export function entryOffset(hi: number, lo: number): number {
  return (hi & OFFSET_HI_MASK) * 0x100000000 + ((lo & OFFSET_LO_MASK) >>> 0);
}

/** Encode a standard entry: host offset plus flags. */
export function makeEntry(offset: number, copied: boolean, zero = false): [number, number] {
  const hi = (Math.floor(offset / 0x100000000) & OFFSET_HI_MASK) | (copied ? OFLAG_COPIED_HI : 0);
  return [hi >>> 0, ((offset >>> 0) | (zero ? OFLAG_ZERO_LO : 0)) >>> 0];
}

/** Set entry `i` to a standard entry for host `offset` (makeEntry without the pair it returns). */
export function setStandardEntry(t: Uint8Array, i: number, offset: number, copied: boolean): void {
  setEntryWords(t, i, (Math.floor(offset / 0x100000000) & OFFSET_HI_MASK) | (copied ? OFLAG_COPIED_HI : 0), offset >>> 0);
}

/** Decode L1 entry `i`: the L2 table offset (0 = none) and its COPIED flag. */
export function l1Entry(t: Uint8Array, i: number): { offset: number; copied: boolean; reserved: boolean } {
  const hi = entryHi(t, i);
  const lo = entryLo(t, i);
  return { offset: entryOffset(hi, lo), copied: (hi & OFLAG_COPIED_HI) !== 0, reserved: (lo & 0x1ff) !== 0 || (hi & 0x7f000000) !== 0 };
}

/** Decode L2 entry `i` of a table for clusters of 2^clusterBits bytes. */
export function l2Entry(t: Uint8Array, i: number, clusterBits: number): L2Entry {
  const hi = entryHi(t, i);
  const lo = entryLo(t, i);
  const copied = (hi & OFLAG_COPIED_HI) !== 0;
  if ((hi & OFLAG_COMPRESSED_HI) !== 0) {
    // Bits 0..x-1: host offset; x..61: additional 512-byte sectors; x = 62 - (cluster_bits - 8).
    const x = 62 - (clusterBits - 8);
    const v = (BigInt(hi & 0x3fffffff) << 32n) | BigInt(lo);
    const offset = Number(v & ((1n << BigInt(x)) - 1n));
    const sectors = Number(v >> BigInt(x)) + 1;
    const compressedBytes = sectors * 512 - (offset & 511);
    return { type: ClusterType.Compressed, offset, copied, compressedBytes, reserved: copied };
  }
  const offset = entryOffset(hi, lo);
  const zero = (lo & OFLAG_ZERO_LO) !== 0;
  const reserved = (lo & L2_RESERVED_LO) !== 0 || (hi & L2_RESERVED_HI) !== 0;
  let type: ClusterType;
  if (zero) type = offset === 0 ? ClusterType.ZeroPlain : ClusterType.ZeroAlloc;
  else type = offset === 0 ? ClusterType.Unallocated : ClusterType.Normal;
  return { type, offset, copied, compressedBytes: 0, reserved };
}

/** Encode a compressed L2 entry for `bytes` of data at host `offset`. */
export function makeCompressedEntry(offset: number, bytes: number, clusterBits: number): [number, number] {
  const x = 62 - (clusterBits - 8);
  const sectors = Math.floor((offset + bytes - 1) / 512) - Math.floor(offset / 512);
  const v = (1n << 62n) | (BigInt(sectors) << BigInt(x)) | BigInt(offset);
  return [Number(v >> 32n) >>> 0, Number(v & 0xffffffffn) >>> 0];
}

/** Host clusters a compressed entry's data touches: [first cluster offset, count]. */
export function compressedClusters(e: L2Entry, clusterSize: number): [number, number] {
  const first = Math.floor(e.offset / clusterSize) * clusterSize;
  const last = Math.floor((e.offset + e.compressedBytes - 1) / clusterSize) * clusterSize;
  return [first, (last - first) / clusterSize + 1];
}
