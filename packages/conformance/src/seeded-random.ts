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
