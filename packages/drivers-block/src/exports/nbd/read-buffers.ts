/**
 * Reused buffers for READ replies. A reply buffer is handed back once the
 * socket has taken its bytes (the write callback), so a busy export reads
 * into the same few buffers instead of allocating (and collecting) one per
 * request. Sizes are rounded up to powers of two; at most 64 MiB is kept.
 */

const MIN_CLASS = 12; // 4 KiB
const MAX_KEPT_BYTES = 64 * 1024 * 1024;
const PER_CLASS = 128;
const free = new Map<number, Buffer[]>();
let kept = 0;

function sizeClass(n: number): number {
  return Math.max(MIN_CLASS, 32 - Math.clz32(Math.max(1, n) - 1));
}

/** A buffer of at least `n` bytes (give it back with `giveReadBuffer` once nothing uses it). */
export function takeReadBuffer(n: number): Buffer {
  const list = free.get(sizeClass(n));
  const b = list?.pop();
  if (b !== undefined) {
    kept -= b.length;
    return b;
  }
  return Buffer.allocUnsafeSlow(1 << sizeClass(n));
}

/** Return a buffer from `takeReadBuffer`. */
export function giveReadBuffer(b: Buffer): void {
  const c = sizeClass(b.length);
  if (b.length !== 1 << c || kept + b.length > MAX_KEPT_BYTES) return;
  let list = free.get(c);
  if (list === undefined) free.set(c, (list = []));
  if (list.length >= PER_CLASS) return;
  list.push(b);
  kept += b.length;
}
