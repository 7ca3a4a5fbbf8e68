/**
 * What the dashboard reads out of qco-perf reports: each result's displayed value
 * and unit, which way is better, the case groups compared side by side (one case
 * name across backends, with the baselines it names), and the machines and runs
 * the history is drawn from. Pure functions over the JSON, shared by the page and
 * the tests.
 */
import type { BenchReport, BenchResult, Better, MeasureKind } from '@qco/bench';
import { formatNs, formatSi, sig3 } from './format.js';

/** A report and the label it gets on the page. */
export interface LoadedReport {
  readonly label: string;
  readonly report: BenchReport;
}

/** How a row is coloured: its backend, a same-run baseline, or a qco case that runs on no backend. */
export type RowRole = 'backend' | 'baseline' | 'qco';

/** One bar of a chart. */
export interface Row {
  /** Stable key: suite, case and backend. */
  readonly key: string;
  readonly label: string;
  readonly role: RowRole;
  readonly result: BenchResult;
  /** The displayed value (MiB/s for byte rates), and its margin-of-error bounds. */
  readonly value: number;
  readonly lo: number;
  readonly hi: number;
  readonly text: string;
}

/** A chart: one case (and unit) across backends, with the baselines it names. */
export interface CaseGroup {
  readonly id: string;
  readonly suite: string;
  readonly name: string;
  readonly unit: string;
  readonly better: Better;
  readonly rows: readonly Row[];
  /** Two or more backends measured this case. */
  readonly crossBackend: boolean;
}

/** Rate, count or ratio (qco-bench/1 reports have only rates). */
export const measureOf = (r: BenchResult): MeasureKind => r.measure ?? 'rate';

/** Which way the row's number is better. */
export const betterOf = (r: BenchResult): Better => r.better ?? (measureOf(r) === 'count' ? 'lower' : 'higher');

/** The unit as displayed: 'MiB/s' for byte rates, 'op/s', 'request/s', '×', 'levels', … */
export function displayUnit(r: BenchResult): string {
  const m = measureOf(r);
  if (m === 'ratio') return '×';
  if (m === 'count') return r.unit;
  return r.unit === 'byte' ? 'MiB/s' : `${r.unit}/s`;
}

/** The value in the displayed unit. */
export function displayValue(r: BenchResult): number {
  return measureOf(r) === 'rate' && r.unit === 'byte' ? r.opsPerSec / 2 ** 20 : r.opsPerSec;
}

/** The value as written on the page, with its unit: '31.5 M op/s', '285 MiB/s', '0.0156×', '1 doorbells/request'. */
export function formatValue(r: BenchResult): string {
  const v = displayValue(r);
  const m = measureOf(r);
  if (m === 'ratio') return `${sig3(v)}×`;
  if (m === 'count') return `${sig3(v)} ${r.unit}`;
  if (r.unit === 'byte') return `${sig3(v)} MiB/s`;
  return `${formatSi(v)} ${r.unit}/s`;
}

/** The label beside a bar: value, ± margin, time per operation, ratio to the baseline, noise flag. */
export function rowText(r: BenchResult): string {
  if (r.error) return `failed: ${r.error.slice(0, 80)}`;
  const parts = [`${formatValue(r)} ±${sig3(r.rme)} %`];
  if (measureOf(r) === 'rate' && r.unit !== 'byte') parts.push(`${formatNs(r.nsPerOp)}/${r.unit}`);
  if (r.ratio !== undefined && r.baseline) parts.push(`${sig3(r.ratio)}× ${r.baseline.case}`);
  if (r.noisy) parts.push('⚠ noisy');
  return parts.join(' · ');
}

/** Key of a result: suite, case and backend. */
export const resultKey = (r: BenchResult): string => `${r.suite}|${r.case}|${r.backend ?? ''}`;

const groupId = (r: BenchResult): string => `${r.case}|${displayUnit(r)}`;

/** Names of every case some row names as its baseline or compares with. */
export function baselineNames(report: BenchReport): Set<string> {
  return new Set(report.results.flatMap((r) => [r.baseline?.case, ...Object.keys(r.ratios ?? {})]).filter((x): x is string => x !== undefined));
}

/** Capability probes go to the matrix, not to charts. */
export const isCapability = (r: BenchResult): boolean => r.case.startsWith('capability/');

function toRow(r: BenchResult, role: RowRole): Row {
  const value = r.error ? 0 : displayValue(r);
  const margin = (value * r.rme) / 100;
  return {
    key: resultKey(r),
    label: role === 'backend' ? (r.backend as string) : r.case,
    role,
    result: r,
    value,
    lo: Math.max(0, value - margin),
    hi: value + margin,
    text: rowText(r),
  };
}

/** The charts of a report: one per case name (and unit), each with its backends and the same-unit baselines it names. */
export function caseGroups(report: BenchReport): CaseGroup[] {
  const bases = baselineNames(report);
  const role = (r: BenchResult): RowRole => (r.backend !== null ? 'backend' : bases.has(r.case) ? 'baseline' : 'qco');
  const order = report.backends.map((b) => b.name);
  const groups = new Map<string, BenchResult[]>();
  for (const r of report.results) {
    if (isCapability(r)) continue;
    if (r.backend === null && bases.has(r.case)) continue; // drawn beside the cases that name it
    const id = groupId(r);
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  // A baseline nobody could be compared with (its cases failed) still gets its own chart.
  for (const r of report.results) {
    if (r.backend !== null || !bases.has(r.case)) continue;
    const used = report.results.some((x) => x !== r && (x.baseline?.case === r.case || x.ratios?.[r.case] !== undefined) && groups.has(groupId(x)));
    if (!used) groups.set(groupId(r), [...(groups.get(groupId(r)) ?? []), r]);
  }
  const out: CaseGroup[] = [];
  for (const [id, members] of groups) {
    members.sort((a, b) => (a.backend === null ? 1 : b.backend === null ? -1 : order.indexOf(a.backend) - order.indexOf(b.backend)));
    const first = members[0];
    const unit = displayUnit(first);
    const rows = members.map((r) => toRow(r, role(r)));
    const named = new Set(members.flatMap((r) => [r.baseline?.case, ...Object.keys(r.ratios ?? {})]).filter((x): x is string => x !== undefined));
    for (const name of named) {
      const base = report.results.find((r) => r.case === name && r.backend === null && !members.includes(r));
      if (base && displayUnit(base) === unit && !rows.some((x) => x.key === resultKey(base))) rows.push(toRow(base, 'baseline'));
    }
    const backends = new Set(members.filter((r) => r.backend !== null && !r.error).map((r) => r.backend));
    out.push({ id, suite: first.suite, name: first.case, unit, better: betterOf(first), rows, crossBackend: backends.size >= 2 });
  }
  return out;
}

/** A machine, as the history tells machines apart. */
export const machineKey = (report: BenchReport): string => `${report.machine.hostname} · ${report.machine.cpus} × ${report.machine.cpuModel}`;

/** Runs grouped by machine, oldest first within each. */
export function runsByMachine(reports: readonly LoadedReport[]): Map<string, LoadedReport[]> {
  const out = new Map<string, LoadedReport[]>();
  for (const l of [...reports].sort((a, b) => a.report.startedAt.localeCompare(b.report.startedAt))) {
    const k = machineKey(l.report);
    out.set(k, [...(out.get(k) ?? []), l]);
  }
  return out;
}
