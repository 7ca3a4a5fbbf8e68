/**
 * How numbers are written on the dashboard: three significant digits, an SI
 * prefix for rates, MiB/s for byte rates, × for ratios, plain numbers for counts.
 * The page and its tests use these functions, so a figure reads the same wherever
 * it appears.
 */

/** `x` rounded to three significant digits, as a plain decimal (never exponent notation). */
export function sig3(x: number): string {
  if (!Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
  const r = Number(x.toPrecision(3));
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(r))));
  return r.toFixed(Math.min(digits, 12));
}

/** A rate with an SI prefix: 31.5 M, 9.08 k, 812. */
export function formatSi(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e9) return `${sig3(x / 1e9)} G`;
  if (a >= 1e6) return `${sig3(x / 1e6)} M`;
  if (a >= 1e3) return `${sig3(x / 1e3)} k`;
  return sig3(x);
}

/** Nanoseconds in a readable unit: 31.7 ns, 9.08 µs, 2.10 ms. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  if (ns >= 1e9) return `${sig3(ns / 1e9)} s`;
  if (ns >= 1e6) return `${sig3(ns / 1e6)} ms`;
  if (ns >= 1e3) return `${sig3(ns / 1e3)} µs`;
  return `${sig3(ns)} ns`;
}
