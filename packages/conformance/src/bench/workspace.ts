/**
 * Finds what a benchmark run covers in this workspace: backend packages (built,
 * loaded by path and registered with the core, so every backend is reachable
 * whatever the consumer depends on) and the bench modules packages declare in
 * their package.json (`"qcoBench": ["dist/bench/x.bench.js"]`).
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

interface PackageInfo {
  readonly dir: string;
  readonly name: string;
  readonly qcoBench: readonly string[];
}

/** Every workspace package (packages/*, apps/*, examples/*). */
export function workspacePackages(root = workspaceRoot()): PackageInfo[] {
  const out: PackageInfo[] = [];
  for (const group of ['packages', 'apps', 'examples']) {
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

/** Absolute paths of every declared, built bench module. */
export function benchModulePaths(root = workspaceRoot()): string[] {
  const out: string[] = [];
  for (const p of workspacePackages(root)) {
    for (const rel of p.qcoBench) {
      const file = join(p.dir, rel);
      if (existsSync(file)) out.push(file);
    }
  }
  return out;
}
