/**
 * Opening a node graph from what a user typed (QEMU's bdrv_open): parse the
 * spec, pick the driver (driver= / -f, else the filename's protocol prefix,
 * else 'file'), let the driver turn the filename into options, split off the
 * generic options, check the rest against the driver's schema with QEMU's
 * messages, then call the driver's open coroutine_fn. A format driver first
 * gets its `file` child (from `file.*` options or the filename), and after it
 * opened, the backing chain it names (`backing.*` options override it).
 * Without a format, the protocol node's first bytes choose one (probing,
 * raw when nothing else matches, with QEMU's warning).
 */
import { resolve as resolvePath } from 'node:path';
import type { Co } from '@qco/core';
import type { BlockAioMode, BlockDriver, BlockDriverState, BlockOpenFlags, BlockOptionsDict } from './block-driver.js';
import { blockDrivers, findBlockDriver, findProtocolDriver } from './block-registry.js';
import { BlockError, CouldNotOpenError, MissingParameterError, UnknownOptionError, errnoOf } from './errors.js';
import { Errno } from './errno.js';
import { checkForceShare } from './permissions.js';
import { bdrvCoPreadv } from './io.js';
import { IoVector } from './iov.js';
export { parseAioMode, parseCacheMode } from './options.js';
import { emptyOptions, GENERIC_BLOCK_OPTIONS, checkOptions, filenameProtocol, parseBlockSpec, splitGenericOptions } from './options.js';

/** How to open: the flags of qemu-io / qemu-img (-f, --image-opts, -r, -t, -i, -o). */
export interface BlockOpenOptions {
  /** -f: driver name, when the spec does not say driver=. */
  readonly format?: string;
  /** --image-opts: the spec is a `key=value,…` string rather than a filename. */
  readonly imageOpts?: boolean;
  /** -r: read-only. */
  readonly readOnly?: boolean;
  /** -n / -t none: cache.direct=on. */
  readonly cacheDirect?: boolean;
  /** -t unsafe: cache.no-flush=on. */
  readonly cacheNoFlush?: boolean;
  /** -i: threads | native | io_uring. */
  readonly aio?: BlockAioMode;
  /** -o / extra options merged over the spec's. */
  readonly options?: BlockOptionsDict;
  /** -U / force-share: let others take any permission (read-only only). */
  readonly forceShare?: boolean;
  /** BDRV_O_NO_SHARE: share only reads and unchanged writes (qemu-img convert's source). */
  readonly noShare?: boolean;
  /** BDRV_O_NO_IO: the node is only inspected (qemu-img info), so no permission is taken. */
  readonly noIo?: boolean;
  /** BDRV_O_RESIZE: take the resize permission too. */
  readonly resize?: boolean;
  /** Where warnings go (the probed-raw warning); default: standard error. */
  readonly onWarning?: (message: string) => void;
  /** Open the protocol node only, never a format over it (QEMU's BDRV_O_PROTOCOL). */
  readonly protocolOnly?: boolean;
  /**
   * blockdev-add's child references (bdrv_lookup_bs): with this set, a string
   * `file=` / `backing=` names an already open node instead of a filename.
   */
  readonly lookupNode?: (nodeName: string) => BlockDriverState | undefined;
}

/** A child reference naming no open node (QEMU's bdrv_lookup_bs wording). */
export class NodeNotFoundError extends BlockError {
  override name = 'NodeNotFoundError';
  constructor(readonly reference: string) {
    super(`Cannot find device='${reference}' nor node-name='${reference}'`, Errno.EINVAL);
  }
}

/** The driver and checked options a spec resolves to, before opening (for tools that need to know the driver first). */
export interface ResolvedBlockSpec {
  /** The driver that will open it. */
  readonly driver: BlockDriver;
  /** The driver's checked options. */
  readonly options: Record<string, string | number | boolean | undefined>;
  /** Generic flags. */
  readonly flags: BlockOpenFlags;
}

/** Resolve a spec to its driver, checked options and flags, without opening anything (children stay unresolved). */
export function resolveBlockSpec(spec: string | BlockOptionsDict, how: BlockOpenOptions = {}): ResolvedBlockSpec {
  return resolveDict(specDict(spec, how), how).resolved;
}

/** The flat options a spec stands for; a json: document must name its driver (only plain filenames are probed). */
function specDict(spec: string | BlockOptionsDict, how: BlockOpenOptions): BlockOptionsDict {
  const dict: BlockOptionsDict = Object.assign(emptyOptions(), typeof spec === 'string' ? parseBlockSpec(spec, how.imageOpts ?? false) : spec, how.options ?? {});
  if (dict['driver'] === undefined && how.format === undefined && typeof spec === 'string' && spec.startsWith('json:')) {
    throw new BlockError('Must specify either driver or file', Errno.EINVAL);
  }
  return dict;
}

interface Resolution {
  readonly resolved: ResolvedBlockSpec;
  /** A format's file child spec, when the driver is a format. */
  readonly fileSpec?: BlockOptionsDict;
  /** `backing.*` options, or null for backing=null / backing="" (no backing file). */
  readonly backingSpec?: BlockOptionsDict | null;
  /** An open node named by file=<node-name> (lookupNode): the format's file child, owned by whoever opened it. */
  readonly fileNode?: BlockDriverState;
  /** An open node named by backing=<node-name> (lookupNode). */
  readonly backingNode?: BlockDriverState;
  readonly nodeName?: string;
}

function openFlags(how: BlockOpenOptions, g: Record<string, unknown>): BlockOpenFlags {
  return {
    readOnly: how.readOnly === true || g['read-only'] === true,
    cacheDirect: how.cacheDirect === true || g['cache.direct'] === true,
    cacheNoFlush: how.cacheNoFlush === true || g['cache.no-flush'] === true,
    aio: how.aio ?? 'threads',
    forceShare: how.forceShare === true || g['force-share'] === true,
  };
}

/** Take the `prefix.*` keys out of `dict`, without the prefix. */
function takeChild(dict: BlockOptionsDict, prefix: string): BlockOptionsDict | undefined {
  let child: BlockOptionsDict | undefined;
  for (const [k, v] of Object.entries(dict)) {
    if (!k.startsWith(`${prefix}.`)) continue;
    (child ??= emptyOptions())[k.slice(prefix.length + 1)] = v;
    // Option dictionaries are null-prototype records keyed by option name (QEMU's QDict): taking a key out is the operation.
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
    delete dict[k];
  }
  return child;
}

function resolveDict(input: BlockOptionsDict, how: BlockOpenOptions): Resolution {
  const dict: BlockOptionsDict = Object.assign(emptyOptions(), input);
  const { generic, driver: rest } = splitGenericOptions(dict);
  const g = checkOptions({ formatName: 'block' }, GENERIC_BLOCK_OPTIONS, generic);
  const filename = g['filename'] as string | undefined;
  const driverName = (g['driver'] as string | undefined) ?? how.format;
  let driver: BlockDriver;
  if (driverName !== undefined) driver = findBlockDriver(driverName);
  else if (filename !== undefined) driver = findProtocolDriver(filename);
  else throw new MissingParameterError('driver');
  const flags = openFlags(how, g);
  checkForceShare(flags.forceShare === true, flags.readOnly);
  const nodeName = g['node-name'] as string | undefined;

  if (driver.isFormat === true) {
    const own = Object.assign(emptyOptions(), rest);
    let fileSpec = takeChild(own, 'file');
    let fileNode: BlockDriverState | undefined;
    let backingNode: BlockDriverState | undefined;
    if (typeof own['file'] === 'string' && how.lookupNode !== undefined && fileSpec === undefined) {
      fileNode = lookup(how, own['file']);
      delete own['file'];
    } else if (typeof own['file'] === 'string') {
      // file=<filename>: QEMU takes a node name here; a filename is what users mean on our command lines.
      fileSpec = { ...(fileSpec ?? {}), filename: own['file'] };
      delete own['file'];
    }
    if ((fileSpec !== undefined || fileNode !== undefined) && filename !== undefined) throw new UnknownOptionError(driver.formatName, 'filename', 'format');
    if (fileSpec === undefined && fileNode === undefined) {
      if (filename === undefined) throw new BlockError('A block device must be specified for "file"', Errno.EINVAL);
      fileSpec = { filename };
    }
    let backingSpec: BlockOptionsDict | null | undefined = takeChild(own, 'backing');
    if ('backing' in own) {
      const b = own['backing'];
      delete own['backing'];
      if (b === '' || b === 'null' || b === false) backingSpec = null;
      else if (how.lookupNode !== undefined && backingSpec === undefined) backingNode = lookup(how, String(b), 'Could not open backing file: ');
      else backingSpec = { ...(backingSpec ?? {}), filename: String(b) };
    }
    const options = checkOptions(driver, driver.options, own);
    return {
      resolved: { driver, options, flags },
      ...(fileSpec !== undefined ? { fileSpec } : {}),
      ...(fileNode !== undefined ? { fileNode } : {}),
      ...(backingNode !== undefined ? { backingNode } : {}),
      ...(backingSpec !== undefined ? { backingSpec } : {}),
      ...(nodeName !== undefined ? { nodeName } : {}),
    };
  }

  let own: BlockOptionsDict = rest;
  if (filename !== undefined) {
    if (driver.parseFilename) {
      own = { ...driver.parseFilename(filename), ...rest };
    } else if (driver.options.some((d) => d.name === 'filename')) {
      own = { filename, ...rest };
    } else {
      throw new UnknownOptionError(driver.formatName, 'filename', driver.protocolName !== undefined ? 'protocol' : 'format');
    }
  }
  const options = checkOptions(driver, driver.options, own);
  return { resolved: { driver, options, flags }, ...(nodeName !== undefined ? { nodeName } : {}) };
}

/** The open node a child reference names. */
function lookup(how: BlockOpenOptions, reference: string, context = ''): BlockDriverState {
  const bs = how.lookupNode?.(reference);
  if (bs === undefined) {
    const err = new NodeNotFoundError(reference);
    if (context !== '') err.message = context + err.message;
    throw err;
  }
  return bs;
}

/** The three lines QEMU prints when probing guessed raw. */
export function probedRawWarning(filename: string): string {
  return (
    `WARNING: Image format was not specified for '${filename}' and probing guessed raw.\n` +
    `         Automatically detecting the format is dangerous for raw images, write operations on block 0 will be restricted.\n` +
    `         Specify the 'raw' format explicitly to remove the restrictions.\n`
  );
}

/** Bytes of an image's start that probing looks at (QEMU's BLOCK_PROBE_BUF_SIZE). */
export const BLOCK_PROBE_BUF_SIZE = 2048;

/** bdrv_probe_all: the format driver that claims `buf` most surely, or undefined (raw). */
export function probeFormat(buf: Uint8Array, filename: string): BlockDriver | undefined {
  let best: BlockDriver | undefined;
  let score = 0;
  for (const d of blockDrivers()) {
    if (d.isFormat !== true || d.probe === undefined) continue;
    const s = d.probe(buf, filename);
    if (s > score) {
      score = s;
      best = d;
    }
  }
  return score > 1 ? best : undefined;
}

let nodeCounter = 0;

function* closeQuietly(bs: BlockDriverState): Co {
  try {
    yield* bs.coClose();
  } catch {
    // The open error is what the caller needs to see.
  }
}

/** Where a relative backing file name points: beside the overlay, as QEMU resolves it. */
export function backingFilename(backing: string, overlay: string): string {
  if (backing.startsWith('/') || filenameProtocol(backing) !== undefined || backing.startsWith('json:')) return backing;
  const slash = overlay.lastIndexOf('/');
  if (slash < 0 || filenameProtocol(overlay) !== undefined) {
    const p = filenameProtocol(overlay);
    if (p === undefined) return backing;
    // A URL: replace its last path component, keeping the query (the same server and connection settings).
    const q = overlay.indexOf('?');
    const path = q < 0 ? overlay : overlay.slice(0, q);
    return path.slice(0, path.lastIndexOf('/') + 1) + backing + (q < 0 ? '' : overlay.slice(q));
  }
  return overlay.slice(0, slash + 1) + backing;
}

/**
 * The spec of a backing file named relative to its overlay: beside it on the
 * same protocol node's server, with the overlay's connection options (a
 * protocol whose image is named by a `path` option: ssh, nfs), else a
 * filename resolved like QEMU's bdrv_get_full_backing_filename.
 */
function backingSpecBeside(backing: string, file: BlockDriverState): BlockOptionsDict {
  const path = file.options['path'];
  const relative = !backing.startsWith('/') && filenameProtocol(backing) === undefined && !backing.startsWith('json:');
  if (!relative || typeof path !== 'string' || file.driver.protocolName === undefined) return { filename: backingFilename(backing, file.filename) };
  const spec = emptyOptions();
  spec['file.driver'] = file.driver.formatName;
  for (const [k, v] of Object.entries(file.options)) if (v !== undefined) spec[`file.${k}`] = v;
  spec['file.path'] = path.slice(0, path.lastIndexOf('/') + 1) + backing;
  return spec;
}

/** A name to compare files by: local paths made absolute. */
function sameFile(name: string): string {
  return filenameProtocol(name) === undefined && !name.startsWith('json:') ? resolvePath(name) : name;
}

/** Longest backing chain we follow before calling it a loop. */
const MAX_BACKING_DEPTH = 128;

/** bdrv_open: resolve the spec and open the node graph (a coroutine_fn). */
export function* bdrvOpen(spec: string | BlockOptionsDict, how: BlockOpenOptions = {}): Co<BlockDriverState> {
  return yield* openDict(specDict(spec, how), how, []);
}

function* openDict(input: BlockOptionsDict, how: BlockOpenOptions, chain: string[]): Co<BlockDriverState> {
  const dict: BlockOptionsDict = Object.assign(emptyOptions(), input);
  // Without a format, the backing options are the probed format's, not the protocol's.
  const probing = how.protocolOnly !== true && (dict['driver'] ?? how.format) === undefined;
  const formatOwn: BlockOptionsDict = emptyOptions();
  if (probing) {
    for (const k of Object.keys(dict)) {
      if (k === 'backing' || k.startsWith('backing.')) {
        formatOwn[k] = dict[k];
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a null-prototype option record, as in takeChild
        delete dict[k];
      }
    }
  }
  const r = resolveDict(dict, how);
  const { driver, options, flags } = r.resolved;
  if (driver.isFormat !== true) {
    const bs = yield* driver.open(options, flags);
    bs.nodeName = r.nodeName ?? `#block${++nodeCounter}`;
    const explicit = (dict['driver'] ?? how.format) !== undefined;
    if (how.protocolOnly === true || explicit) return bs;
    return yield* probeAndOpen(bs, how, chain, formatOwn);
  }
  if (r.fileNode !== undefined) return yield* openFormat(driver, options, flags, r.fileNode, r, how, chain);
  const childHow: BlockOpenOptions = { ...how, protocolOnly: true, options: {} };
  delete (childHow as { format?: string }).format;
  const file = yield* openDict(r.fileSpec as BlockOptionsDict, childHow, chain);
  return yield* openFormat(driver, options, flags, file, r, how, chain);
}

/** Probe the protocol node's first bytes for a format; open it (or raw) over the node. */
function* probeAndOpen(file: BlockDriverState, how: BlockOpenOptions, chain: string[], formatOwn: BlockOptionsDict): Co<BlockDriverState> {
  const len = yield* file.coGetLength();
  const buf = new Uint8Array(Math.min(BLOCK_PROBE_BUF_SIZE, len));
  if (buf.length > 0) {
    try {
      yield* bdrvCoPreadv(file, 0, buf.length, new IoVector(buf));
    } catch (err) {
      yield* closeQuietly(file);
      throw new BlockError(`Could not read image for determining its format: ${(err as Error).message}`, errnoOf(err));
    }
  }
  let driver = probeFormat(buf, file.filename);
  const probedRaw = driver === undefined;
  if (driver === undefined) driver = findBlockDriver('raw');
  // QEMU warns only where the restriction matters: a writable image.
  if (probedRaw && !file.flags.readOnly) (how.onWarning ?? ((m: string) => process.stderr.write(m)))(probedRawWarning(file.filename));
  const options = checkOptions(driver, driver.options, {});
  let backingSpec: BlockOptionsDict | null | undefined = takeChild(formatOwn, 'backing');
  if ('backing' in formatOwn) {
    const b = formatOwn['backing'];
    backingSpec = b === '' || b === 'null' || b === false ? null : { ...(backingSpec ?? {}), filename: String(b) };
  }
  const r: Resolution = { resolved: { driver, options, flags: file.flags }, ...(backingSpec !== undefined ? { backingSpec } : {}) };
  const bs = yield* openFormat(driver, options, file.flags, file, r, how, chain);
  bs.probed = true;
  return bs;
}

function* openFormat(
  driver: BlockDriver,
  options: Record<string, string | number | boolean | undefined>,
  flags: BlockOpenFlags,
  file: BlockDriverState,
  r: Resolution,
  how: BlockOpenOptions,
  chain: string[],
): Co<BlockDriverState> {
  let bs: BlockDriverState;
  try {
    bs = yield* driver.open(options, flags, file);
  } catch (err) {
    // A referenced node stays with whoever opened it.
    if (r.fileNode === undefined) yield* closeQuietly(file);
    throw err;
  }
  bs.nodeName = r.nodeName ?? `#block${++nodeCounter}`;
  if (bs.attachBacking === undefined || r.backingSpec === null) return bs;
  if (r.backingNode !== undefined) {
    yield* bs.attachBacking(r.backingNode);
    return bs;
  }
  let spec = r.backingSpec;
  if (spec === undefined) {
    if (bs.backingFile === undefined || bs.backingFile === '') return bs;
    const fmt = bs.backingFormat !== undefined && bs.backingFormat !== '' ? bs.backingFormat : undefined;
    spec = fmt !== undefined ? backingSpecBeside(bs.backingFile, file) : { filename: backingFilename(bs.backingFile, file.filename) };
    if (fmt !== undefined) spec['driver'] = fmt;
  }
  const name = String(spec['filename'] ?? spec['file.filename'] ?? (spec['file.path'] !== undefined ? backingFilename(bs.backingFile ?? '', file.filename) : JSON.stringify(spec)));
  try {
    if (chain.includes(sameFile(name)) || sameFile(name) === sameFile(file.filename) || chain.length >= MAX_BACKING_DEPTH) {
      throw new BlockError(`Backing file '${bs.backingFile ?? name}' creates an infinite loop.`, Errno.ELOOP);
    }
    const backingHow: BlockOpenOptions = { readOnly: true, ...(how.onWarning ? { onWarning: how.onWarning } : {}), cacheNoFlush: flags.cacheNoFlush, aio: flags.aio };
    let backing: BlockDriverState;
    try {
      backing = yield* openDict(spec, backingHow, [...chain, sameFile(file.filename)]);
    } catch (err) {
      if (err instanceof BlockError && err.errno === Errno.ELOOP) throw err;
      const msg = err instanceof CouldNotOpenError || /^Could not open/.test((err as Error).message) ? (err as Error).message : `Could not open '${name}': ${(err as Error).message}`;
      throw new BlockError(`Could not open backing file: ${msg}`, errnoOf(err), { cause: err });
    }
    yield* bs.attachBacking(backing);
  } catch (err) {
    yield* closeQuietly(bs);
    throw err;
  }
  return bs;
}

/**
 * Every node of the graph under `bs` (itself first, then its children, depth first).
 */
export function graphNodes(bs: BlockDriverState): BlockDriverState[] {
  const out: BlockDriverState[] = [bs];
  for (const c of bs.children ?? []) out.push(...graphNodes(c.bs));
  return out;
}

/** The child of `bs` with `role`, if any. */
export function childOf(bs: BlockDriverState, role: string): BlockDriverState | undefined {
  return bs.children?.find((c) => c.role === role)?.bs;
}
