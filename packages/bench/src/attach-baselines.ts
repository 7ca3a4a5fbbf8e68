/**
 * Ratios to same-run baselines. A baseline is looked up by case name: on the
 * same backend or backend-less, in the same suite first and then in any suite,
 * so cases of several suites can share one baseline measured once per run.
 */
import type { BenchResult } from './types.js';

/** Fill in each result's ratio to its same-run baseline (and to the cases it is compared with). */
export function attachBaselines(rows: readonly BenchResult[], compareWith: readonly (readonly string[] | undefined)[] = []): BenchResult[] {
  const ok = rows.filter((r) => !r.error && r.opsPerSec > 0);
  const find = (suite: string, name: string, backend: string | null): BenchResult | undefined =>
    ok.find((r) => r.suite === suite && r.case === name && r.backend === backend) ??
    ok.find((r) => r.suite === suite && r.case === name && r.backend === null) ??
    ok.find((r) => r.case === name && r.backend === backend) ??
    ok.find((r) => r.case === name && r.backend === null);
  return rows.map((r, i) => {
    if (r.error) return r;
    const names = [...(r.baseline ? [r.baseline.case] : []), ...(compareWith[i] ?? [])];
    const ratios: Record<string, number> = {};
    for (const name of names) {
      const other = find(r.suite, name, r.backend);
      if (other) ratios[name] = r.opsPerSec / other.opsPerSec;
    }
    const base = r.baseline ? find(r.suite, r.baseline.case, r.backend) : undefined;
    const { baseline: _declared, ...rest } = r;
    return {
      ...(base ? r : rest),
      ...(base ? { baseline: { case: base.case, backend: base.backend }, ratio: r.opsPerSec / base.opsPerSec } : {}),
      ...(Object.keys(ratios).length ? { ratios } : {}),
    };
  });
}
