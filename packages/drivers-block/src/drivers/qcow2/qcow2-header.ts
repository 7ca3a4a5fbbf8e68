/**
 * The qcow2 header (docs/interop/qcow2.txt): the fixed fields of versions 2
 * and 3, the header extensions that follow them in cluster 0, and the backing
 * file name. Parsing validates everything a later table walk relies on
 * (cluster size, table offsets inside sane bounds, sizes that fit), so a
 * hostile image fails here with QEMU's wording instead of deeper down.
 */
import { Qcow2Error } from './qcow2-errors.js';
import { QCOW2_MAGIC } from './qcow2-probe.js';

/** Header extension types. */
export const EXT_END = 0;
export const EXT_BACKING_FORMAT = 0xe2792aca;
export const EXT_FEATURE_TABLE = 0x6803f857;
export const EXT_BITMAPS = 0x23852875;
export const EXT_CRYPTO = 0x0537be77;
export const EXT_DATA_FILE = 0x44415441;

/** Incompatible feature bits. */
export const INCOMPAT_DIRTY = 1;
export const INCOMPAT_CORRUPT = 2;
export const INCOMPAT_DATA_FILE = 4;
export const INCOMPAT_COMPRESSION = 8;
export const INCOMPAT_EXTL2 = 16;
/** Compatible feature bits. */
export const COMPAT_LAZY_REFCOUNTS = 1;
/** Autoclear feature bits. */
export const AUTOCLEAR_BITMAPS = 1;
export const AUTOCLEAR_DATA_FILE_RAW = 2;

/** Incompatible bits this driver implements. */
const KNOWN_INCOMPAT = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_COMPRESSION;

const MIN_CLUSTER_BITS = 9;
const MAX_CLUSTER_BITS = 21;
/** QEMU's limits: the L1 table at most 32 MiB, the refcount table at most 8 MiB. */
export const QCOW_MAX_L1_SIZE = 0x2000000;
export const QCOW_MAX_REFTABLE_SIZE = 0x800000;
const MAX_BACKING_FILE_NAME = 1023;

/** One entry of the feature name table. */
export interface FeatureName {
  readonly type: 0 | 1 | 2;
  readonly bit: number;
  readonly name: string;
}

/** A parsed qcow2 header (all offsets in bytes). */
export interface Qcow2Header {
  version: 2 | 3;
  backingFileOffset: number;
  backingFileSize: number;
  clusterBits: number;
  size: number;
  cryptMethod: number;
  l1Size: number;
  l1TableOffset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  nbSnapshots: number;
  snapshotsOffset: number;
  incompatibleFeatures: number;
  compatibleFeatures: number;
  autoclearFeatures: number;
  refcountOrder: number;
  headerLength: number;
  compressionType: number;
  /** From the header extensions. */
  backingFormat?: string;
  backingFile?: string;
  featureNames: FeatureName[];
  /** Extensions we do not interpret, kept verbatim so a rewrite preserves them. */
  unknownExtensions: { type: number; data: Uint8Array }[];
}

/** The feature names QEMU writes, in its order. */
export const FEATURE_NAMES: readonly FeatureName[] = [
  { type: 0, bit: 0, name: 'dirty bit' },
  { type: 0, bit: 1, name: 'corrupt bit' },
  { type: 0, bit: 2, name: 'external data file' },
  { type: 0, bit: 3, name: 'compression type' },
  { type: 0, bit: 4, name: 'extended L2 entries' },
  { type: 1, bit: 0, name: 'lazy refcounts' },
  { type: 2, bit: 0, name: 'bitmaps' },
  { type: 2, bit: 1, name: 'raw external data' },
];

/** readU64 through a view the caller keeps: for loops over a table, which would otherwise make a view per entry. */
export function u64(dv: DataView, at: number): number {
  const hi = dv.getUint32(at);
  const lo = dv.getUint32(at + 4);
  if (hi >= 0x200000) return Number.POSITIVE_INFINITY; // beyond 2^53: refused by the bound checks
  return hi * 0x100000000 + lo;
}

function setU64(dv: DataView, at: number, v: number): void {
  dv.setUint32(at, Math.floor(v / 0x100000000));
  dv.setUint32(at + 4, v >>> 0);
}

/** Read a big-endian u64 that must fit a JavaScript number (else Infinity). */
export function readU64(b: Uint8Array, at: number): number {
  return u64(new DataView(b.buffer, b.byteOffset, b.byteLength), at);
}

/** Write a big-endian u64. */
export function writeU64(b: Uint8Array, at: number, v: number): void {
  setU64(new DataView(b.buffer, b.byteOffset, b.byteLength), at, v);
}

function featureList(h: Qcow2Header, mask: number): string {
  const out: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if ((mask & 2 ** bit) === 0) continue;
    const named = h.featureNames.find((f) => f.type === 0 && f.bit === bit);
    out.push(named ? named.name : `Unknown incompatible feature: ${(2 ** bit).toString(16)}`);
  }
  return out.join(', ');
}

/**
 * Parse cluster 0's header. `data` must hold at least the first cluster (or
 * the whole file when shorter); `fileSize` bounds the offsets.
 */
export function parseHeader(data: Uint8Array, fileSize: number): Qcow2Header {
  if (data.length < 72) throw new Qcow2Error('Image is not in qcow2 format');
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (dv.getUint32(0) !== QCOW2_MAGIC) throw new Qcow2Error('Image is not in qcow2 format');
  const version = dv.getUint32(4);
  if (version < 2 || version > 3) throw new Qcow2Error(`Unsupported qcow2 version ${version}`, 'ENOTSUP');
  const clusterBits = dv.getUint32(20);
  if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
    throw new Qcow2Error(`Unsupported cluster size: 2^${clusterBits}`);
  }
  const clusterSize = 2 ** clusterBits;
  const h: Qcow2Header = {
    version: version as 2 | 3,
    backingFileOffset: u64(dv, 8),
    backingFileSize: dv.getUint32(16),
    clusterBits,
    size: u64(dv, 24),
    cryptMethod: dv.getUint32(32),
    l1Size: dv.getUint32(36),
    l1TableOffset: u64(dv, 40),
    refcountTableOffset: u64(dv, 48),
    refcountTableClusters: dv.getUint32(56),
    nbSnapshots: dv.getUint32(60),
    snapshotsOffset: u64(dv, 64),
    incompatibleFeatures: 0,
    compatibleFeatures: 0,
    autoclearFeatures: 0,
    refcountOrder: 4,
    headerLength: 72,
    compressionType: 0,
    featureNames: [],
    unknownExtensions: [],
  };
  if (version === 3) {
    if (data.length < 104) throw new Qcow2Error('qcow2 header too short');
    const hiIncompat = dv.getUint32(72);
    h.incompatibleFeatures = dv.getUint32(76);
    h.compatibleFeatures = dv.getUint32(84);
    h.autoclearFeatures = dv.getUint32(92);
    h.refcountOrder = dv.getUint32(96);
    h.headerLength = dv.getUint32(100);
    if (h.headerLength < 104) throw new Qcow2Error('qcow2 header too short');
    if (h.headerLength > clusterSize) throw new Qcow2Error('qcow2 header exceeds cluster size');
    if (h.headerLength > 104) h.compressionType = data.length > 104 ? data[104] : 0;
    if (hiIncompat !== 0) throw new Qcow2Error(`Unsupported qcow2 feature(s): Unknown incompatible feature: ${hiIncompat.toString(16)}00000000`, 'ENOTSUP');
  }
  if (h.refcountOrder > 6) throw new Qcow2Error('Reference count entry width too large; may not exceed 64 bits');
  if (h.size === Number.POSITIVE_INFINITY || h.size > 2 ** 53 - clusterSize) throw new Qcow2Error('Image size too large');
  if (h.cryptMethod !== 0) throw new Qcow2Error('Encrypted qcow2 images are not supported by this driver', 'ENOTSUP');

  const extEnd = Math.min(data.length, clusterSize, h.backingFileOffset > 0 ? h.backingFileOffset : clusterSize);
  parseExtensions(h, data, h.headerLength, extEnd);

  if ((h.incompatibleFeatures & INCOMPAT_DATA_FILE) !== 0) throw new Qcow2Error("'data-file' is required for this image", 'ENOTSUP');
  const unsupported = h.incompatibleFeatures & ~KNOWN_INCOMPAT;
  if (unsupported !== 0) throw new Qcow2Error(`Unsupported qcow2 feature(s): ${featureList(h, unsupported)}`, 'ENOTSUP');
  if (h.compressionType !== 0) {
    // Only zlib (0) is implemented here.
    throw new Qcow2Error(`Unknown compression type '${h.compressionType}'`, 'ENOTSUP');
  }

  const tableBound = (off: number, bytes: number, what: string): void => {
    if (off % clusterSize !== 0) throw new Qcow2Error(`Invalid ${what} offset`);
    if (!Number.isFinite(off) || off + bytes > 2 ** 53) throw new Qcow2Error(`Invalid ${what} offset`);
  };
  if (h.refcountTableClusters * clusterSize > QCOW_MAX_REFTABLE_SIZE || h.refcountTableClusters === 0) {
    throw new Qcow2Error(h.refcountTableClusters === 0 ? 'Image does not contain a reference count table' : 'Reference count table too large');
  }
  tableBound(h.refcountTableOffset, h.refcountTableClusters * clusterSize, 'reference count table');
  if (h.l1Size * 8 > QCOW_MAX_L1_SIZE) throw new Qcow2Error('Active L1 table too large');
  const l2Bits = clusterBits - 3;
  const minL1 = Math.ceil(h.size / 2 ** (clusterBits + l2Bits));
  if (h.l1Size < minL1) throw new Qcow2Error('L1 table is too small');
  if (h.l1Size > 0) tableBound(h.l1TableOffset, h.l1Size * 8, 'L1 table');
  if (h.nbSnapshots > 65536) throw new Qcow2Error('Too many snapshots');
  if (h.nbSnapshots > 0) tableBound(h.snapshotsOffset, 0, 'snapshot table');

  if (h.backingFileOffset > 0) {
    if (h.backingFileSize > MAX_BACKING_FILE_NAME || h.backingFileOffset + h.backingFileSize > clusterSize) {
      throw new Qcow2Error('Backing file name too long');
    }
    if (h.backingFileOffset + h.backingFileSize > Math.min(data.length, fileSize)) throw new Qcow2Error('Backing file name too long');
    h.backingFile = new TextDecoder().decode(data.subarray(h.backingFileOffset, h.backingFileOffset + h.backingFileSize));
  }
  return h;
}

function parseExtensions(h: Qcow2Header, data: Uint8Array, start: number, end: number): void {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = start;
  while (at + 8 <= end) {
    const type = dv.getUint32(at);
    const len = dv.getUint32(at + 4);
    at += 8;
    if (type === EXT_END) return;
    if (len > end - at) throw new Qcow2Error('Invalid header extension size');
    const body = data.subarray(at, at + len);
    if (type === EXT_BACKING_FORMAT) {
      if (len > 1023) throw new Qcow2Error('Backing format name too long');
      h.backingFormat = new TextDecoder().decode(body).replace(/\0.*$/s, '');
    } else if (type === EXT_FEATURE_TABLE) {
      for (let i = 0; i + 48 <= len; i += 48) {
        const t = body[i];
        if (t > 2) continue;
        const name = new TextDecoder().decode(body.subarray(i + 2, i + 48)).replace(/\0.*$/s, '');
        h.featureNames.push({ type: t as 0 | 1 | 2, bit: body[i + 1], name });
      }
    } else if (type === EXT_DATA_FILE) {
      throw new Qcow2Error('External data files are not supported by this driver', 'ENOTSUP');
    } else {
      h.unknownExtensions.push({ type, data: body.slice() });
    }
    at += (len + 7) & ~7;
  }
}

/** Bytes of the fixed header for a version. */
function fixedLength(h: Qcow2Header): number {
  return h.version === 2 ? 72 : 112;
}

/**
 * Serialise the header, its extensions and the backing file name into one
 * cluster-0 buffer (the layout QEMU writes: fixed fields, backing format,
 * feature table, other kept extensions, end marker, then the backing name).
 * Sets backingFileOffset/Size and headerLength. Throws when it does not fit.
 */
export function serializeHeader(h: Qcow2Header): Uint8Array {
  const clusterSize = 2 ** h.clusterBits;
  const buf = new Uint8Array(clusterSize);
  const dv = new DataView(buf.buffer);
  const fixed = fixedLength(h);
  h.headerLength = fixed;
  const enc = new TextEncoder();
  let at = fixed;
  const ext = (type: number, body: Uint8Array): void => {
    if (at + 8 + ((body.length + 7) & ~7) + 8 > clusterSize) throw new Qcow2Error('Header extensions do not fit in the first cluster');
    dv.setUint32(at, type);
    dv.setUint32(at + 4, body.length);
    buf.set(body, at + 8);
    at += 8 + ((body.length + 7) & ~7);
  };
  if (h.backingFormat !== undefined && h.backingFile !== undefined) ext(EXT_BACKING_FORMAT, enc.encode(h.backingFormat));
  if (h.version === 3) {
    const table = new Uint8Array(48 * FEATURE_NAMES.length);
    FEATURE_NAMES.forEach((f, i) => {
      table[i * 48] = f.type;
      table[i * 48 + 1] = f.bit;
      table.set(enc.encode(f.name).subarray(0, 46), i * 48 + 2);
    });
    ext(EXT_FEATURE_TABLE, table);
  }
  for (const u of h.unknownExtensions) ext(u.type, u.data);
  at += 8; // end marker (zeroes)
  if (h.backingFile !== undefined) {
    const name = enc.encode(h.backingFile);
    if (name.length > MAX_BACKING_FILE_NAME || at + name.length > clusterSize) throw new Qcow2Error('Backing file name too long');
    buf.set(name, at);
    h.backingFileOffset = at;
    h.backingFileSize = name.length;
  } else {
    h.backingFileOffset = 0;
    h.backingFileSize = 0;
  }
  dv.setUint32(0, QCOW2_MAGIC);
  dv.setUint32(4, h.version);
  setU64(dv, 8, h.backingFileOffset);
  dv.setUint32(16, h.backingFileSize);
  dv.setUint32(20, h.clusterBits);
  setU64(dv, 24, h.size);
  dv.setUint32(32, h.cryptMethod);
  dv.setUint32(36, h.l1Size);
  setU64(dv, 40, h.l1TableOffset);
  setU64(dv, 48, h.refcountTableOffset);
  dv.setUint32(56, h.refcountTableClusters);
  dv.setUint32(60, h.nbSnapshots);
  setU64(dv, 64, h.snapshotsOffset);
  if (h.version === 3) {
    dv.setUint32(76, h.incompatibleFeatures);
    dv.setUint32(84, h.compatibleFeatures);
    dv.setUint32(92, h.autoclearFeatures);
    dv.setUint32(96, h.refcountOrder);
    dv.setUint32(100, h.headerLength);
    buf[104] = h.compressionType;
  }
  return buf;
}

/** A fresh header with QEMU's defaults for `qemu-img create -f qcow2`. */
export function defaultHeader(size: number, clusterBits = 16, version: 2 | 3 = 3): Qcow2Header {
  return {
    version,
    backingFileOffset: 0,
    backingFileSize: 0,
    clusterBits,
    size,
    cryptMethod: 0,
    l1Size: 0,
    l1TableOffset: 0,
    refcountTableOffset: 0,
    refcountTableClusters: 0,
    nbSnapshots: 0,
    snapshotsOffset: 0,
    incompatibleFeatures: 0,
    compatibleFeatures: 0,
    autoclearFeatures: 0,
    refcountOrder: 4,
    headerLength: version === 2 ? 72 : 112,
    compressionType: 0,
    featureNames: [],
    unknownExtensions: [],
  };
}
