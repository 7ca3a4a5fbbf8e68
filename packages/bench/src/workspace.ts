/**
 * Finds what a benchmark run covers in this workspace: backend packages (built,
 * loaded by path and registered with the core, so every backend is reachable
 * whatever the consumer depends on) and the bench modules packages declare in
 * their package.json (`"qcoBench": ["bench/x.bench.ts"]`). The package groups
 * come from pnpm-workspace.yaml.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { registerBackend, type BackendModule } from '@qco/core';

/** The workspace root (the directory holding pnpm-workspace.yaml). */
export function workspaceRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no pnpm-workspace.yaml above ${from}`);
  }
}

/** A workspace package as the harness sees it. */
export interface PackageInfo {
  readonly dir: string;
  readonly name: string;
  readonly qcoBench: readonly string[];
}

/** The `dir/*` groups pnpm-workspace.yaml lists under `packages:`. */
export function workspaceGroups(root = workspaceRoot()): string[] {
  const groups: string[] = [];
  let inPackages = false;
  for (const line of readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8').split('\n')) {
    if (/^\S/.test(line)) inPackages = /^packages:/.test(line);
    const m = inPackages ? /^\s+-\s+['"]?([^'"*\s]+)\/\*['"]?\s*$/.exec(line) : null;
    if (m?.[1]) groups.push(m[1]);
  }
  return groups;
}

/** Every workspace package, group by group. */
export function workspacePackages(root = workspaceRoot()): PackageInfo[] {
  const out: PackageInfo[] = [];
  for (const group of workspaceGroups(root)) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base).sort()) {
      const file = join(base, entry, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; qcoBench?: string[] };
      out.push({ dir: join(base, entry), name: pkg.name ?? entry, qcoBench: pkg.qcoBench ?? [] });
    }
  }
  return out;
}

/** Built backend packages: their directories, generator first. */
export function backendPackageDirs(root = workspaceRoot()): string[] {
  return workspacePackages(root)
    .filter((p) => /^@qco\/backend-/.test(p.name) && p.name !== '@qco/backend-api' && existsSync(join(p.dir, 'dist', 'index.js')))
    .sort((a, b) => (a.name === '@qco/backend-generator' ? -1 : b.name === '@qco/backend-generator' ? 1 : a.name.localeCompare(b.name)))
    .map((p) => p.dir);
}

/** A backend package's module and whether it can run here. */
export interface LoadedBackend {
  readonly name: string;
  readonly dir: string;
  readonly available: boolean;
  readonly reason?: string;
}

/** Load backend packages by path, register them with the core, and probe availability. */
export async function registerBackends(dirs: readonly string[]): Promise<LoadedBackend[]> {
  const loaded: LoadedBackend[] = [];
  for (const dir of dirs) {
    const fallback = dir.split('/').pop()?.replace(/^backend-/, '') ?? dir;
    try {
      const mod = (await import(pathToFileURL(join(dir, 'dist', 'index.js')).href)) as Partial<BackendModule>;
      if (typeof mod.createBackend !== 'function' || typeof mod.isAvailable !== 'function') {
        loaded.push({ name: fallback, dir, available: false, reason: 'not a backend module' });
        continue;
      }
      const module: BackendModule = { backendName: mod.backendName ?? fallback, isAvailable: mod.isAvailable, createBackend: mod.createBackend };
      registerBackend(module);
      let available = false;
      let reason: string | undefined;
      try {
        available = module.isAvailable();
        if (!available) reason = 'isAvailable() is false (native part not built here?)';
      } catch (err) {
        reason = err instanceof Error ? err.message : String(err);
      }
      loaded.push({ name: module.backendName, dir, available, ...(reason ? { reason } : {}) });
    } catch (err) {
      loaded.push({ name: fallback, dir, available: false, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return loaded;
}

/** A declared bench module: its package and its file. */
export interface BenchModuleEntry {
  readonly packageDir: string;
  readonly path: string;
}

/** Every declared bench module that exists (TypeScript sources under bench/, or built .js files). */
export function benchModuleEntries(root = workspaceRoot()): BenchModuleEntry[] {
  const out: BenchModuleEntry[] = [];
  for (const p of workspacePackages(root)) {
    for (const rel of p.qcoBench) {
      const file = join(p.dir, rel);
      if (existsSync(file)) out.push({ packageDir: p.dir, path: file });
    }
  }
  return out;
}
