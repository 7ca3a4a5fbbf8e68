/**
 * Configure-time backend selection. A consuming package names its backend in its
 * own package.json (`"qco": { "backend": "native-ucontext" }`), QCO_BACKEND
 * overrides it, and `generator` is the default. The consuming package is found
 * from what runs, never from the working directory:
 *
 * 1. the package whose script the package manager runs (`npm_package_json`, as
 *    `pnpm --filter app start` or `npm run` set it), so a shared bin started from
 *    a package's script follows that package;
 * 2. else the package of the program's entry module (the nearest package.json
 *    above the main script);
 * 3. else (no main script: `node -e`, a REPL) the package of the first module
 *    that calls into the core, and for code typed at the REPL or passed to -e
 *    the directory Node resolves its imports from.
 *
 * One backend serves the whole process. When another of those packages names a
 * different backend, the first one wins and a warning naming both is emitted
 * once. Backends are found by name, in a registry filled by `registerBackend`
 * or, for a name not registered, as the package `@qco/backend-<name>` resolved
 * from the consumer and then from here; so a new backend plugs in without
 * editing the core.
 */
import { fs } from './node-fs.js';
import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKEND_SPECIFICATION_VERSION, type BackendModule, type CoroutineBackend } from './backend.js';
import { BackendNotAvailableError, BackendSpecificationError } from './errors.js';
import { claimCore } from './one-core.js';
import { generatorBackendModule } from '@qco/backend-generator';

const { existsSync, readdirSync, readFileSync, realpathSync } = fs;

claimCore(import.meta.url);

/** The backend used when nothing is configured. */
export const DEFAULT_BACKEND = 'generator';

/** Where a backend choice came from. */
export type BackendChoiceSource = 'QCO_BACKEND' | 'package.json' | 'default' | 'useBackend';

/** How the consuming package was found: the running package script, the entry module, the first caller, or an eval/REPL's directory. */
export type ConsumerRule = 'package-script' | 'entry-module' | 'first-caller' | 'eval-directory';

/** The package whose choice counts, and how it was found. */
export interface ConsumerPackage {
  /** Its package.json. */
  readonly packageJson: string;
  /** Which rule found it. */
  readonly rule: ConsumerRule;
  /** The backend it names, if any. */
  readonly backend?: string;
}

/** The backend a process uses, and why. */
export interface BackendChoice {
  readonly name: string;
  readonly source: BackendChoiceSource;
  /** The package.json that named it, when source is 'package.json'. */
  readonly packageJson?: string;
}

/** What `coroutineBackendInfo()` tells: the choice, the consuming package, and a sentence saying why. */
export interface BackendInfo extends BackendChoice {
  /** The consuming package, when one was found. */
  readonly consumer?: ConsumerPackage;
  /** Packages of this process that name another backend (each also reported once as a warning). */
  readonly conflicts: readonly ConsumerPackage[];
  /** One sentence: which backend and why. */
  readonly reason: string;
}

// The default backend is a dependency of the core, so it is always registered.
const registry = new Map<string, BackendModule>([[generatorBackendModule.backendName, generatorBackendModule]]);

/** Make a backend findable by name (backend packages need not call this: they are found by package name). */
export function registerBackend(module: BackendModule): void {
  registry.set(module.backendName, module);
}

function readManifest(file: string): { name?: unknown; qco?: { backend?: unknown } } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; qco?: { backend?: unknown } };
  } catch {
    return undefined;
  }
}

function backendOf(file: string): string | undefined {
  const name = readManifest(file)?.qco?.backend;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** The nearest package.json above `dir` that describes a package (a bare `{"type": …}` marker in dist/ does not). */
function packageAbove(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const file = join(d, 'package.json');
    if (existsSync(file)) {
      const m = readManifest(file);
      if (m && (typeof m.name === 'string' || m.qco !== undefined)) return file;
    }
    if (dirname(d) === d) return undefined;
  }
}

function real(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

const here = fileURLToPath(import.meta.url);
const corePackageJson = packageAbove(dirname(here));

/** The first file on the call stack outside this package (the module that called into the core). */
function firstCallerFile(): string | undefined {
  const coreDir = corePackageJson ? dirname(corePackageJson) : dirname(here);
  for (const name of callerFileNames()) {
    const file = name.startsWith('file:') ? fileURLToPath(name) : name;
    if (file.startsWith('/') && !real(file).startsWith(coreDir + '/')) return file;
  }
  return undefined;
}

/** The file of each frame on the stack, innermost first: V8's call sites, not a formatted stack (formatting it cost ms at start-up). */
function callerFileNames(): string[] {
  const prepare = Object.getOwnPropertyDescriptor(Error, 'prepareStackTrace');
  const limit = Error.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  try {
    Error.prepareStackTrace = (_err, sites) => sites;
    Error.stackTraceLimit = 64;
    Error.captureStackTrace(holder, callerFileNames);
    const sites = holder.stack as NodeJS.CallSite[] | undefined;
    return (sites ?? []).map((site) => site.getFileName() ?? '').filter((f) => f !== '');
  } finally {
    if (prepare !== undefined) Object.defineProperty(Error, 'prepareStackTrace', prepare);
    else Reflect.deleteProperty(Error, 'prepareStackTrace');
    Error.stackTraceLimit = limit;
  }
}

/** Every package of this process that may state a choice, best first. */
export function consumerPackages(): ConsumerPackage[] {
  const found: ConsumerPackage[] = [];
  const add = (packageJson: string | undefined, rule: ConsumerRule): void => {
    if (packageJson === undefined || found.some((p) => p.packageJson === packageJson)) return;
    const backend = backendOf(packageJson);
    found.push(backend === undefined ? { packageJson, rule } : { packageJson, rule, backend });
  };
  const script = process.env['npm_package_json'];
  if (script && existsSync(script)) add(resolve(script), 'package-script');
  const main = process.argv.at(1);
  const isScript = main !== undefined && isAbsolute(resolve(main)) && existsSync(main) && !process.execArgv.some((a) => a === '-e' || a === '--eval' || a === '-p' || a === '--print');
  if (isScript) add(packageAbove(dirname(real(resolve(main)))), 'entry-module');
  const caller = firstCallerFile();
  // An eval or REPL script is given a name in the directory it resolves from (`<cwd>/[eval1]`).
  if (caller !== undefined) add(packageAbove(dirname(real(caller))), /^\[eval\d*\]$|^\[stdin\]$/.test(basename(caller)) ? 'eval-directory' : 'first-caller');
  if (!isScript) add(packageAbove(process.cwd()), 'eval-directory');
  return found;
}

/** The consuming package's package.json (see the module comment for the rule), or undefined. */
export function findConsumerPackageJson(): string | undefined {
  const all = consumerPackages();
  return (all.find((p) => p.backend !== undefined) ?? all.at(0))?.packageJson;
}

function sentence(info: Omit<BackendInfo, 'reason'>): string {
  const how: Record<ConsumerRule, string> = {
    'package-script': 'the package whose script the package manager runs (npm_package_json)',
    'entry-module': "the package of the program's entry module",
    'first-caller': 'the package of the first module that called @qco/core',
    'eval-directory': 'the package of the directory an eval or REPL script resolves from',
  };
  switch (info.source) {
    case 'QCO_BACKEND':
      return `"${info.name}" from the environment (QCO_BACKEND)`;
    case 'useBackend':
      return `"${info.name}" set by useBackend()`;
    case 'package.json':
      return `"${info.name}" from ${info.packageJson ?? '?'}, ${info.consumer ? how[info.consumer.rule] : 'the consuming package'}`;
    case 'default':
      return `"${info.name}", the default: ${info.consumer ? `${info.consumer.packageJson} (${how[info.consumer.rule]}) names no backend` : 'no consuming package found'}`;
  }
}

/** Fill in the why of a choice. */
export function describeChoice(choice: BackendChoice, consumer?: ConsumerPackage, conflicts: readonly ConsumerPackage[] = []): BackendInfo {
  const base = { ...choice, conflicts, ...(consumer ? { consumer } : {}) };
  return { ...base, reason: sentence(base) };
}

let warned = false;

/** Which backend this process should use, and why. */
export function requestedBackend(): BackendInfo {
  const all = consumerPackages();
  const stating = all.filter((p) => p.backend !== undefined);
  const consumer = stating.at(0) ?? all.at(0);
  const env = process.env['QCO_BACKEND'];
  let info: BackendInfo;
  if (env) info = describeChoice({ name: env, source: 'QCO_BACKEND' }, consumer);
  else if (consumer?.backend !== undefined) {
    const conflicts = stating.filter((p) => p.backend !== consumer.backend);
    info = describeChoice({ name: consumer.backend, source: 'package.json', packageJson: consumer.packageJson }, consumer, conflicts);
  } else info = describeChoice({ name: DEFAULT_BACKEND, source: 'default' }, consumer);
  if (info.conflicts.length > 0 && !warned) {
    warned = true;
    const other = info.conflicts.map((p) => `"${p.backend ?? ''}" in ${p.packageJson}`).join(', ');
    process.emitWarning(`qco: one backend per process: using "${info.name}" from ${info.packageJson ?? '?'}; ignoring ${other}`, 'QcoBackendConflict');
  }
  return info;
}

function resolvers(): NodeJS.Require[] {
  const list: NodeJS.Require[] = [];
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
      const found: BackendModule = {
        backendName: mod.backendName ?? name,
        isAvailable: mod.isAvailable,
        createBackend: mod.createBackend,
        ...(typeof mod.unavailableReason === 'function' ? { unavailableReason: mod.unavailableReason } : {}),
      };
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
  // A backend is loaded at run time: its version is whatever it says, not what its type promises.
  const version: number = backend.specificationVersion;
  if (version !== BACKEND_SPECIFICATION_VERSION) {
    throw new BackendSpecificationError(
      `Backend "${backend.name}" implements backend specification v${version}, but @qco/core expects v${BACKEND_SPECIFICATION_VERSION}`,
    );
  }
  return backend;
}

/** Create the named backend, or fail with QEMU's "backend requested but not available" error, saying why. */
export function createNamedBackend(name: string): CoroutineBackend {
  let mod: BackendModule | undefined;
  let reason = '';
  try {
    mod = loadModule(name);
    if (!mod) reason = `no package @qco/backend-${name} is installed where the consumer or @qco/core can resolve it`;
  } catch (err) {
    reason = `@qco/backend-${name} failed to load: ${(err as Error).message}`;
  }
  let available = false;
  if (mod) {
    try {
      available = mod.isAvailable();
      if (!available) reason = mod.unavailableReason?.() || 'the backend says it cannot run here';
    } catch (err) {
      reason = (err as Error).message;
    }
  }
  if (!mod || !available) throw new BackendNotAvailableError(name, availableBackends(), reason);
  return checkBackend(mod.createBackend());
}
