// The dashboard's reading of a report, without a browser: displayed values and
// units, chart groups across suites, and the per-job pick.
import { describe, expect, it } from 'vitest';
import type { BenchReport, BenchResult } from '@qco/bench';
import { caseGroups, displayUnit, formatValue, runsByMachine } from '../src/model.js';
import { capabilities, recommendations } from '../src/recommend.js';

const res = (over: Partial<BenchResult> & Pick<BenchResult, 'suite' | 'case' | 'opsPerSec'>): BenchResult => ({
  backend: null,
  unit: 'op',
  hz: over.opsPerSec,
  rme: 2,
  samples: 5,
  nsPerOp: 1e9 / over.opsPerSec,
  ...over,
});

const report = (results: BenchResult[], host = 'h'): BenchReport => ({
  schema: 'qco-bench/2',
  startedAt: '2026-12-01T00:00:00.000Z',
  finishedAt: '2026-12-01T00:01:00.000Z',
  machine: { hostname: host, cpus: 2, cpuModel: 'cpu', memGiB: 4, platform: 'linux', arch: 'x64' },
  node: 'v20',
  v8: '11',
  backends: [
    { name: 'a', available: true },
    { name: 'b', available: true, nativeAddon: true },
  ],
  results,
});

describe('dashboard model', () => {
  it('shows byte rates in MiB/s, counts as counts and ratios as ratios', () => {
    expect(formatValue(res({ suite: 's', case: 'c', unit: 'byte', opsPerSec: 300 * 2 ** 20 }))).toBe('300 MiB/s');
    expect(displayUnit(res({ suite: 's', case: 'c', unit: 'byte', opsPerSec: 1 }))).toBe('MiB/s');
    expect(formatValue(res({ suite: 's', case: 'c', unit: 'doorbells/request', measure: 'count', opsPerSec: 0.015625 }))).toBe('0.0156 doorbells/request');
    expect(formatValue(res({ suite: 's', case: 'c', measure: 'ratio', unit: '×', opsPerSec: 0.000412 }))).toBe('0.000412×');
    expect(formatValue(res({ suite: 's', case: 'c', opsPerSec: 31_540_000 }))).toBe('31.5 M op/s');
  });

  it('puts one case name of several suites and backends in one chart, with the baseline it names', () => {
    const groups = caseGroups(
      report([
        res({ suite: 'coroutine', case: 'baseline/generator-next', opsPerSec: 100 }),
        res({ suite: 'native/a', case: 'c-body/round-trip', backend: 'a', opsPerSec: 20, baseline: { case: 'baseline/generator-next', backend: null }, ratio: 0.2 }),
        res({ suite: 'native/b', case: 'c-body/round-trip', backend: 'b', opsPerSec: 25, baseline: { case: 'baseline/generator-next', backend: null }, ratio: 0.25 }),
        res({ suite: 'x', case: 'unknown/new-case', measure: 'count', better: 'lower', unit: 'things', opsPerSec: 3 }),
      ]),
    );
    const c = groups.find((g) => g.name === 'c-body/round-trip');
    expect(c?.crossBackend).toBe(true);
    expect(c?.rows.map((r) => [r.label, r.role])).toEqual([
      ['a', 'backend'],
      ['b', 'backend'],
      ['baseline/generator-next', 'baseline'],
    ]);
    const unknown = groups.find((g) => g.name === 'unknown/new-case');
    expect(unknown?.better).toBe('lower');
    expect(unknown?.rows[0]?.role).toBe('qco');
    expect(groups.some((g) => g.name === 'baseline/generator-next')).toBe(false);
  });

  it('picks the best figure per job, lower-is-better included, and says when the lead is noise', () => {
    const r = report([
      res({ suite: 'coroutine', case: '/perf/yield', backend: 'a', opsPerSec: 10, rme: 1 }),
      res({ suite: 'coroutine', case: '/perf/yield', backend: 'b', opsPerSec: 30, rme: 1 }),
      res({ suite: 'n', case: 'c-body/round-trip', backend: 'a', opsPerSec: 100, rme: 10 }),
      res({ suite: 'n', case: 'c-body/round-trip', backend: 'b', opsPerSec: 101, rme: 10 }),
    ]);
    const picks = recommendations(r);
    const js = picks.at(0);
    const c = picks.at(1);
    const plain = picks.at(2);
    expect(js?.best?.backend).toBe('b');
    expect(js?.lead).toBe(3);
    expect(js?.withinNoise).toBe(false);
    expect(c?.withinNoise).toBe(true);
    expect(plain?.best).toBeUndefined();
    const low = recommendations(r, [{ job: 'j', detail: '', cases: ['x'] }]);
    expect(low[0]?.case).toBeNull();
    const counts = report([res({ suite: 's', case: 'x', backend: 'a', measure: 'count', opsPerSec: 5 }), res({ suite: 's', case: 'x', backend: 'b', measure: 'count', opsPerSec: 2 })]);
    expect(recommendations(counts, [{ job: 'j', detail: '', cases: ['x'] }])[0]?.best?.backend).toBe('b');
  });

  it('reads capabilities from the cases each backend ran and its probes', () => {
    const caps = capabilities(
      report([
        res({ suite: 'n', case: 'c-body/round-trip', backend: 'b', opsPerSec: 5 }),
        res({ suite: 'c', case: '/perf/yield', backend: 'a', opsPerSec: 5 }),
        res({ suite: 'c', case: 'capability/nesting-depth', backend: 'a', measure: 'count', opsPerSec: 1000 }),
        res({ suite: 'c', case: 'capability/worker-threads', backend: 'a', measure: 'count', opsPerSec: 0 }),
      ]),
    );
    expect(caps.find((c) => c.backend === 'a')).toMatchObject({ generatorBodies: true, cBodies: false, nestingDepth: 1000, workerThreads: false });
    expect(caps.find((c) => c.backend === 'b')).toMatchObject({ cBodies: true, generatorBodies: false, nativeAddon: true });
  });

  it('keeps machines apart, runs oldest first', () => {
    const a1 = { label: '1', report: { ...report([]), startedAt: '2026-12-02T00:00:00Z' } };
    const a0 = { label: '0', report: report([]) };
    const b = { label: 'b', report: report([], 'other') };
    const m = runsByMachine([a1, b, a0]);
    expect([...m.keys()]).toHaveLength(2);
    expect(m.get('h · 2 × cpu')?.map((l) => l.label)).toEqual(['0', '1']);
  });
});
