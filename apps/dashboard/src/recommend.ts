/**
 * The choosing part of the dashboard, computed from a report: what each backend
 * can do (the bodies it ran in this run, the nesting depth and live coroutines its
 * probes reached, worker threads, whether it builds native code) and, for each job
 * a reader may have, the backend with the best figure and its lead over the next.
 */
import type { BenchReport, BenchResult } from '@qco/bench';
import { betterOf, formatValue } from './model.js';

/** What one backend showed it can do in a run. */
export interface Capabilities {
  readonly backend: string;
  readonly available: boolean;
  readonly reason?: string;
  readonly generatorBodies: boolean;
  readonly plainBodies: boolean;
  readonly cBodies: boolean;
  readonly nestingDepth?: number;
  readonly liveCoroutines?: number;
  readonly workerThreads?: boolean;
  readonly nativeAddon?: boolean;
}

const ok = (r: BenchResult): boolean => !r.error && r.opsPerSec > 0;

/** The capability matrix: one entry per backend the run found. */
export function capabilities(report: BenchReport): Capabilities[] {
  return report.backends.map((b) => {
    const mine = report.results.filter((r) => r.backend === b.name);
    const has = (prefix: string): boolean => mine.some((r) => r.case.startsWith(prefix) && ok(r));
    const probe = (name: string): number | undefined => {
      const r = mine.find((x) => x.case === name && !x.error);
      return r === undefined ? undefined : r.opsPerSec;
    };
    const worker = probe('capability/worker-threads');
    const depth = probe('capability/nesting-depth');
    const live = probe('capability/live-coroutines');
    return {
      backend: b.name,
      available: b.available,
      ...(b.reason ? { reason: b.reason } : {}),
      generatorBodies: has('/perf/'),
      plainBodies: has('plain-body/'),
      cBodies: has('c-body/'),
      ...(depth !== undefined ? { nestingDepth: depth } : {}),
      ...(live !== undefined ? { liveCoroutines: live } : {}),
      ...(worker !== undefined ? { workerThreads: worker === 1 } : {}),
      ...(b.nativeAddon !== undefined ? { nativeAddon: b.nativeAddon } : {}),
    };
  });
}

/** A job a reader may have, and the cases that decide it (first one measured wins). */
export interface Job {
  readonly job: string;
  readonly detail: string;
  readonly cases: readonly string[];
}

/** The jobs the choosing table answers. */
export const JOBS: readonly Job[] = [
  { job: 'JS coroutines only', detail: 'generator bodies: enter + yield round trip (/perf/yield)', cases: ['/perf/yield'] },
  { job: 'C code that must yield from deep inside', detail: 'C bodies: enter + yield round trip (c-body/round-trip)', cases: ['c-body/round-trip'] },
  { job: 'Plain functions that block', detail: 'plain-function bodies that yield from any depth (plain-body/round-trip/depth-50)', cases: ['plain-body/round-trip/depth-50', 'plain-body/round-trip'] },
  { job: 'Block I/O', detail: 'qco-img bench null-co, depth 64, 4 KiB (qco-img/null-co)', cases: ['qco-img/null-co'] },
];

/** The answer for one job. */
export interface Recommendation {
  readonly job: string;
  readonly detail: string;
  /** The case that decided it, or null when no backend measured any of the job's cases. */
  readonly case: string | null;
  readonly best?: BenchResult;
  readonly runnerUp?: BenchResult;
  /** How many times better the best figure is than the runner-up's (≥ 1). */
  readonly lead?: number;
  /** The lead is inside the two figures' margins of error. */
  readonly withinNoise?: boolean;
  /** Every backend measured, best first. */
  readonly ranking: readonly BenchResult[];
}

/** For each job: the backend whose figure is best, and by how much. */
export function recommendations(report: BenchReport, jobs: readonly Job[] = JOBS): Recommendation[] {
  return jobs.map((j) => {
    for (const name of j.cases) {
      const rows = report.results.filter((r) => r.case === name && r.backend !== null && ok(r));
      if (rows.length === 0) continue;
      const higher = betterOf(rows[0]) === 'higher';
      const ranking = [...rows].sort((a, b) => (higher ? b.opsPerSec - a.opsPerSec : a.opsPerSec - b.opsPerSec));
      const [best, runnerUp] = ranking as [BenchResult, BenchResult | undefined];
      if (!runnerUp) return { job: j.job, detail: j.detail, case: name, best, ranking };
      const lead = higher ? best.opsPerSec / runnerUp.opsPerSec : runnerUp.opsPerSec / best.opsPerSec;
      const withinNoise = lead - 1 < (best.rme + runnerUp.rme) / 100;
      return { job: j.job, detail: j.detail, case: name, best, runnerUp, lead, withinNoise, ranking };
    }
    return { job: j.job, detail: j.detail, case: null, ranking: [] };
  });
}

/** One sentence for a recommendation. */
export function recommendationText(rec: Recommendation): string {
  if (!rec.best) return 'not measured in this run';
  if (!rec.runnerUp) return `${rec.best.backend ?? ''} (the only backend that ran it here: ${formatValue(rec.best)})`;
  const lead = rec.lead ?? 1;
  return `${rec.best.backend ?? ''}: ${formatValue(rec.best)}, ${lead.toFixed(2)}× ${rec.runnerUp.backend ?? ''}'s ${formatValue(rec.runnerUp)}${rec.withinNoise ? ' (within the margins of error)' : ''}`;
}
