/**
 * A small seeded pseudo-random generator (mulberry32) for the tests that make
 * random cases (the differential suite's programs, and through @qco/test-utils
 * the block tests' fuzzers): the same seed gives the same cases, so a failure
 * replays. A subpath of its own (`@qco/conformance/seeded-random`) so that a
 * user of it does not load vitest with the suites.
 */

/** A generator of numbers in [0, 1) starting from `seed`. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One xorshift32 step (Marsaglia's 13, 17, 5). */
function xorshiftStep(x: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x;
}

/** A generator of numbers in [0, 1) by xorshift32 from `seed` (0 counts as 1). */
export function xorshiftRandom(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x = xorshiftStep(x);
    return (x >>> 0) / 2 ** 32;
  };
}

/** `n` bytes of a deterministic pattern: the low byte of each xorshift32 state from `seed` (0 counts as 1). */
export function seededBytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x = xorshiftStep(x);
    b[i] = x & 0xff;
  }
  return b;
}
