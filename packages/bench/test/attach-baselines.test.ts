import { describe, expect, it } from 'vitest';
import { attachBaselines } from '../src/attach-baselines.js';
import type { BenchResult } from '../src/types.js';

const row = (suite: string, name: string, backend: string | null, opsPerSec: number, baseline?: string): BenchResult => ({
  suite,
  case: name,
  backend,
  unit: 'op',
  hz: opsPerSec,
  rme: 1,
  samples: 5,
  opsPerSec,
  nsPerOp: 1e9 / opsPerSec,
  ...(baseline ? { baseline: { case: baseline, backend } } : {}),
});

describe('attachBaselines', () => {
  it('divides by one baseline shared by every suite that names it, so ratios keep the order of the rates', () => {
    const rows = attachBaselines([
      row('coroutine', 'baseline/generator-next', null, 100),
      row('native/a', 'c-body/round-trip', 'a', 20, 'baseline/generator-next'),
      row('native/b', 'c-body/round-trip', 'b', 25, 'baseline/generator-next'),
    ]);
    expect(rows[1]?.ratio).toBe(0.2);
    expect(rows[2]?.ratio).toBe(0.25);
    expect(rows[1]?.baseline).toEqual({ case: 'baseline/generator-next', backend: null });
  });

  it('prefers the same suite and the same backend', () => {
    const rows = attachBaselines([
      row('x', 'c-body/function-call', 'a', 1000),
      row('y', 'c-body/function-call', 'a', 500),
      row('y', 'c-body/function-call', 'b', 400),
      row('y', 'c-body/round-trip', 'a', 50, 'c-body/function-call'),
    ]);
    expect(rows[3]?.ratio).toBe(0.1);
  });

  it('leaves no baseline when the named one failed or is missing', () => {
    const failed: BenchResult = { ...row('s', 'base', null, 0), error: 'boom' };
    const rows = attachBaselines([failed, row('s', 'case', 'a', 5, 'base'), row('s', 'other', 'a', 5, 'nowhere')]);
    expect(rows[1]?.ratio).toBeUndefined();
    expect(rows[1]?.baseline).toBeUndefined();
    expect(rows[2]?.baseline).toBeUndefined();
  });

  it('adds a ratio to every case a row is compared with', () => {
    const rows = attachBaselines([row('s', 'b1', null, 10), row('s', 'b2', null, 40), row('s', 'c', 'x', 20, 'b1')], [undefined, undefined, ['b2']]);
    expect(rows[2]?.ratios).toEqual({ b1: 2, b2: 0.5 });
  });
});
