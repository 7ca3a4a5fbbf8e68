/**
 * The commands' V8 code cache. A qco command loads about 750 KB of bundled
 * JavaScript, and compiling it is most of what the command costs above a bare
 * Node start. So each command keeps V8's compiled code of its own bundle
 * files in the user's cache directory: the first run of a build compiles as
 * usual and writes the cache when it ends; later runs start from it. Node 22
 * has this built in (module.enableCompileCache); Node 20 does not, so the
 * loader is here, for the commands only (the library's faces are loaded by
 * their consumers, as those choose).
 *
 * The cache is taken after the code has run, not at compile time, so it
 * holds the functions a run needed as well as the top level: that is what
 * makes it worth having (6 ms more saved on `qco-img info`). A cache belongs
 * to one command word and one set of V8 flags (V8 refuses a cache made under
 * other flags, and `convert` sets its own), so the key has both.
 *
 * QCO_COMPILE_CACHE names another directory, or turns the cache off with 0.
 * A directory that is not the user's own, or that others may write, is not
 * used: a cache is code.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import Module from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

interface LoadingModule {
  exports: unknown;
  require(id: string): unknown;
  _compile: (this: LoadingModule, content: string, filename: string, format?: string) => unknown;
}

/** Node's internals that a CommonJS `require` function is made of. */
interface ModuleInternals {
  prototype: LoadingModule;
  _cache: Record<string, unknown>;
  _resolveFilename(request: string, parent: LoadingModule, isMain: boolean, options?: { paths?: string[] }): string;
}

/**
 * Smaller files compile faster than their cache is found and read: `qco-img
 * --version` loads three of 0.5–5 KB, and through the cache it took 2 ms longer.
 */
const MIN_CACHED_BYTES = 16 * 1024;

/** How many cache files a directory keeps before the oldest half is removed. */
const MAX_FILES = 256;

/**
 * 64 bits of FNV-1a over `text`, as hex: a file name, not a secret. node:crypto
 * would cost 3 ms to load, more than `qco-img --version` takes to run.
 */
function hash64(text: string): string {
  let a = 0x811c9dc5;
  let b = 0xcbf29ce4;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193 ^ 0x5bd1e995) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

function cacheDirectory(): string | undefined {
  const asked = process.env['QCO_COMPILE_CACHE'];
  if (asked === '0' || asked === 'off') return undefined;
  if (asked) return asked;
  // HOME, not os.homedir(): node:os is not loaded at start-up, and a command without HOME goes uncached.
  const home = process.env['HOME'];
  const base = process.env['XDG_CACHE_HOME'] || (home ? join(home, '.cache') : '');
  return base ? join(base, 'qco', 'compile-cache') : undefined;
}

/** The directory, made if missing, when it is this user's alone; otherwise undefined. */
function ownDirectory(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    const uid = process.getuid?.();
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

function writeAtomically(file: string, data: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

function prune(dir: string): void {
  const names = readdirSync(dir);
  if (names.length <= MAX_FILES) return;
  const dated = names.map((n) => {
    try {
      return { n, t: statSync(join(dir, n)).mtimeMs };
    } catch {
      return { n, t: 0 };
    }
  });
  dated.sort((a, b) => a.t - b.t);
  for (const { n } of dated.slice(0, dated.length >> 1)) {
    try {
      unlinkSync(join(dir, n));
    } catch {
      // another process removed it first
    }
  }
}

/** The `require` a module's code is given (what createRequire makes, without its 17 µs of search-path set-up per file). */
function requireFor(M: ModuleInternals, mod: LoadingModule): NodeJS.Require {
  const req = ((id: string) => mod.require(id)) as NodeJS.Require;
  req.resolve = ((request: string, options?: { paths?: string[] }) => M._resolveFilename(request, mod, false, options)) as NodeJS.RequireResolve;
  req.cache = M._cache as NodeJS.Require['cache'];
  req.main = typeof require === 'undefined' ? undefined : require.main;
  return req;
}

/**
 * Load this command's bundle files (those beside the entry at `entryUrl`)
 * through the code cache, keyed by the command word of `argv` (its first
 * argument, when it looks like one) and the V8 flags the entry set.
 */
export function useCompileCache(entryUrl: string, argv: readonly string[], v8Flags = ''): void {
  const word = argv[0] ?? '';
  // Anything else shares one key, so a mistyped word adds no file.
  const tag = `${/^-{0,2}[a-z][a-z-]{0,23}$/.test(word) ? word : '?'}\0${v8Flags}`;
  const entryFile = fileURLToPath(entryUrl);
  const wanted = cacheDirectory();
  if (wanted === undefined) return;
  // The directory is looked at when the first file big enough to cache is loaded.
  let dir: string | null | undefined;
  const bundleDir = dirname(entryFile) + '/';
  const flavour = [process.version, process.arch, tag, process.env['NODE_OPTIONS'] ?? '', ...process.execArgv].join('\0');
  const pending: { script: Script; file: string }[] = [];
  const M = Module as unknown as ModuleInternals;
  const compile = M.prototype._compile;

  M.prototype._compile = function (this: LoadingModule, content: string, filename: string, format?: string): unknown {
    if (format === 'module' || content.length < MIN_CACHED_BYTES || !filename.startsWith(bundleDir) || !filename.endsWith('.cjs')) return compile.apply(this, [content, filename, format]);
    if (dir === undefined) dir = ownDirectory(wanted) ?? null;
    if (dir === null) return compile.apply(this, [content, filename, format]);
    // A rebuilt file has a new mtime; a chunk's name already changes with its content.
    const st = statSync(filename);
    const file = join(dir, `${basename(filename, '.cjs')}-${st.size}-${hash64(`${flavour}\0${filename}\0${st.mtimeMs}\0${st.ino}`)}.v8`);
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(file);
    } catch {
      cachedData = undefined;
    }
    const script = new Script(Module.wrap(content), cachedData === undefined ? { filename } : { filename, cachedData });
    if (cachedData === undefined || script.cachedDataRejected === true) pending.push({ script, file });
    const body = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return body.call(this.exports, this.exports, requireFor(M, this), this, filename, dirname(filename));
  };

  const flush = (): void => {
    if (pending.length === 0) return;
    try {
      for (const { script, file } of pending.splice(0)) writeAtomically(file, script.createCachedData());
      if (dir) prune(dir);
    } catch {
      // a full or read-only disk costs only the next start's speed
    }
  };
  process.once('exit', flush);
  // Servers are usually stopped by a signal, when 'exit' does not come.
  setTimeout(flush, 2000).unref();
}
