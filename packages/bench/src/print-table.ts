/** The table qco-perf prints at the end of a run. */
import type { BenchResult } from './types.js';

function fmtRate(ops: number): string {
  if (ops >= 1e9) return `${(ops / 1e9).toFixed(2)} G`;
  if (ops >= 1e6) return `${(ops / 1e6).toFixed(2)} M`;
  if (ops >= 1e3) return `${(ops / 1e3).toFixed(2)} k`;
  return ops.toFixed(2);
}

function fmtNs(ns: number): string {
  if (!Number.isFinite(ns)) return '-';
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}

function value(r: BenchResult): string {
  if (r.error) return 'FAILED';
  const measure = r.measure ?? 'rate';
  if (measure === 'ratio') return `${r.opsPerSec.toPrecision(3)}×`;
  if (measure === 'count') return `${Number.isInteger(r.opsPerSec) ? String(r.opsPerSec) : r.opsPerSec.toPrecision(3)} ${r.unit}`;
  if (r.unit === 'byte') return `${(r.opsPerSec / 2 ** 20).toFixed(1)} MiB/s`;
  return `${fmtRate(r.opsPerSec)}${r.unit === 'op' ? '' : ` ${r.unit}`}/s`;
}

/** Print one line per result: value, time per op, margin of error, ratios. */
export function printTable(rows: readonly BenchResult[]): void {
  const header = ['suite', 'case', 'backend', 'value', 'per op', '±%', 'tries', 'vs same-run baselines'];
  const body = rows.map((r) => [
    r.suite,
    r.case,
    r.backend ?? '-',
    value(r),
    r.error ? r.error.slice(0, 40) : fmtNs(r.nsPerOp),
    r.error ? '' : `${r.rme.toFixed(1)}${r.noisy ? ' noisy' : ''}`,
    String(r.tries ?? 1),
    Object.entries(r.ratios ?? {})
      .map(([name, x]) => `${x.toPrecision(3)}× ${name}`)
      .join(', '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const b of body) console.log(line(b));
}
