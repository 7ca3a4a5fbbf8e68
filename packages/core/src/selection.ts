/**
 * Configure-time backend selection. A consuming package names its backend in its
 * own package.json (`"qco": { "backend": "native-ucontext" }`), QCO_BACKEND
 * overrides it, and `generator` is the default. Backends are found by name, in a
 * registry filled by `registerBackend` or, for a name not registered, as the
 * package `@qco/backend-<name>` resolved from the consumer and then from here;
 * so a new backend plugs in without editing the core.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BACKEND_SPECIFICATION_VERSION, type BackendModule, type CoroutineBackend } from './backend.js';
import { BackendNotAvailableError, BackendSpecificationError } from './errors.js';
import { generatorBackendModule } from '@qco/backend-generator';

/** The backend used when nothing is configured. */
export const DEFAULT_BACKEND = 'generator';

/** Where a backend choice came from. */
export type BackendChoiceSource = 'QCO_BACKEND' | 'package.json' | 'default' | 'useBackend';

/** The backend a package asked for, and where that was said. */
export interface BackendChoice {
  readonly name: string;
  readonly source: BackendChoiceSource;
  /** The package.json that named it, when source is 'package.json'. */
  readonly packageJson?: string;
}

// The default backend is a dependency of the core, so it is always registered.
const registry = new Map<string, BackendModule>([[generatorBackendModule.backendName, generatorBackendModule]]);

/** Make a backend findable by name (backend packages need not call this: they are found by package name). */
export function registerBackend(module: BackendModule): void {
  registry.set(module.backendName, module);
}

function readQcoField(file: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { qco?: { backend?: unknown } };
    const name = pkg.qco?.backend;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/** The consuming package's package.json: the one pnpm/npm is running a script of, else the nearest above cwd. */
export function findConsumerPackageJson(cwd = process.cwd()): string | undefined {
  const fromRunner = process.env['npm_package_json'];
  if (fromRunner && existsSync(fromRunner)) return fromRunner;
  for (let dir = cwd; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return file;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Which backend this process should use, and why. */
export function requestedBackend(): BackendChoice {
  const env = process.env['QCO_BACKEND'];
  if (env) return { name: env, source: 'QCO_BACKEND' };
  const pkg = findConsumerPackageJson();
  const name = pkg ? readQcoField(pkg) : undefined;
  if (pkg && name) return { name, source: 'package.json', packageJson: pkg };
  return { name: DEFAULT_BACKEND, source: 'default' };
}

function resolvers(): NodeRequire[] {
  const list: NodeRequire[] = [];
  const pkg = findConsumerPackageJson();
  if (pkg) list.push(createRequire(pkg));
  list.push(createRequire(import.meta.url));
  return list;
}

function loadModule(name: string): BackendModule | undefined {
  const known = registry.get(name);
  if (known) return known;
  for (const req of resolvers()) {
    let mod: Partial<BackendModule>;
    try {
      // Load the package's published CommonJS entry (its `main`), whatever export
      // conditions this process runs with: test runners add source conditions that
      // would hand require() a TypeScript file.
      const manifest = req.resolve(`@qco/backend-${name}/package.json`);
      const main = (JSON.parse(readFileSync(manifest, 'utf8')) as { main?: string }).main ?? 'index.js';
      mod = req(join(dirname(manifest), main)) as Partial<BackendModule>;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') continue;
      throw err;
    }
    if (typeof mod.createBackend === 'function' && typeof mod.isAvailable === 'function') {
      const found: BackendModule = { backendName: mod.backendName ?? name, isAvailable: mod.isAvailable, createBackend: mod.createBackend };
      registry.set(name, found);
      return found;
    }
  }
  return undefined;
}

/** Names of every backend that can run here: registered ones and `@qco/backend-*` packages the consumer or the core can resolve. */
export function availableBackends(): string[] {
  const names = new Set<string>([DEFAULT_BACKEND, ...registry.keys()]);
  for (const req of resolvers()) {
    for (const base of req.resolve.paths('@qco/backend-x') ?? []) {
      const scope = join(base, '@qco');
      if (!existsSync(scope)) continue;
      for (const dir of readdirSync(scope)) {
        if (dir.startsWith('backend-') && dir !== 'backend-api') names.add(dir.slice('backend-'.length));
      }
    }
  }
  return [...names].filter((n) => {
    try {
      return loadModule(n)?.isAvailable() === true;
    } catch {
      return false;
    }
  });
}

/** Check that a backend implements the contract version this core speaks. */
export function checkBackend(backend: CoroutineBackend): CoroutineBackend {
  if (backend.specificationVersion !== BACKEND_SPECIFICATION_VERSION) {
    throw new BackendSpecificationError(
      `Backend "${backend.name}" implements backend specification v${String(backend.specificationVersion)}, but @qco/core expects v${BACKEND_SPECIFICATION_VERSION}`,
    );
  }
  return backend;
}

/** Create the named backend, or fail with QEMU's "backend requested but not available" error. */
export function createNamedBackend(name: string): CoroutineBackend {
  const mod = loadModule(name);
  let available = false;
  try {
    available = mod?.isAvailable() === true;
  } catch {
    available = false;
  }
  if (!mod || !available) throw new BackendNotAvailableError(name, availableBackends());
  return checkBackend(mod.createBackend());
}
