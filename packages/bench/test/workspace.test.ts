import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchModuleEntries, workspaceGroups, workspacePackages, workspaceRoot } from '../src/workspace.js';

describe('workspace discovery', () => {
  it('takes the package groups from pnpm-workspace.yaml', () => {
    const root = workspaceRoot();
    expect(workspaceGroups(root)).toEqual(expect.arrayContaining(['packages', 'apps']));
    expect(workspacePackages(root).map((p) => p.name)).toEqual(expect.arrayContaining(['@qco/bench', '@qco/core', '@qco/dashboard']));
  });

  it('finds every declared bench module: TypeScript under the package bench/ folder, never in src/ or dist/', () => {
    const root = workspaceRoot();
    for (const p of workspacePackages(root)) for (const rel of p.qcoBench) expect(rel, `${p.name} ${rel}`).toMatch(/^bench\/[\w.-]+\.bench\.ts$/);
    const declared = workspacePackages(root).flatMap((p) => p.qcoBench.map((rel) => join(p.dir, rel)));
    expect(declared.length).toBeGreaterThan(0);
    for (const file of declared) expect(existsSync(file), file).toBe(true);
    expect(benchModuleEntries(root).map((e) => e.path)).toEqual(declared);
  });
});
