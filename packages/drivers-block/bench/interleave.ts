/**
 * Same-run A/B on a shared, loaded machine: the two sides run alternately in
 * one process, so a change of load hits both alike, and the case reports the
 * median of the per-round ratios (never one side's absolute time).
 */
import { loadavg } from 'node:os';
import type { Measured } from '@qco/bench';

/** Seconds one run of a side took. */
export type TimedRun = () => number | Promise<number>;

/** The median of `xs` (the mean of the middle two for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const mid = s.length >> 1;
  if (s.length === 0) return Number.NaN;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** How the sides' own figures are shown beside the result: seconds as ms by default. */
export interface SideUnit {
  readonly label: string;
  readonly scale: number;
}

/**
 * One warm-up of each side, then `rounds` rounds, a first in even rounds and
 * b first in odd ones (so neither side always runs just after the other: a
 * server's or the page cache's state left by one run is met by both alike);
 * each round's figure is `ratio(ta, tb)` (default tb / ta: a's speed over b's). The result
 * is the median, with both sides' medians (ms, or `unit`, under `names`) and the load beside it.
 */
export async function interleavedRatio(
  rounds: number,
  a: TimedRun,
  b: TimedRun,
  ratio: (ta: number, tb: number) => number = (ta, tb) => tb / ta,
  names: readonly [string, string] = ['a', 'b'],
  unit: SideUnit = { label: 'ms', scale: 1000 },
): Promise<Measured> {
  await a();
  await b();
  const ta: number[] = [];
  const tb: number[] = [];
  const r: number[] = [];
  const loadBefore = loadavg()[0];
  for (let i = 0; i < rounds; i++) {
    let x: number;
    let y: number;
    if (i % 2 === 0) {
      x = await a();
      y = await b();
    } else {
      y = await b();
      x = await a();
    }
    ta.push(x);
    tb.push(y);
    r.push(ratio(x, y));
  }
  const m = median(r);
  const mean = r.reduce((s, v) => s + v, 0) / r.length;
  const sd = r.length > 1 ? Math.sqrt(r.reduce((s, v) => s + (v - mean) ** 2, 0) / (r.length - 1)) : 0;
  return {
    hz: m,
    rme: mean > 0 ? (100 * 1.96 * sd) / Math.sqrt(r.length) / mean : 0,
    samples: r.length,
    info: {
      [`${names[0]} median ${unit.label}`]: Number((median(ta) * unit.scale).toFixed(2)),
      [`${names[1]} median ${unit.label}`]: Number((median(tb) * unit.scale).toFixed(2)),
      rounds: r.map((v) => v.toFixed(2)).join(' '),
      load: `${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)}`,
    },
  };
}
