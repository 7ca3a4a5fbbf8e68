/**
 * Opening a node from what a user typed (QEMU's bdrv_open for protocol
 * drivers): parse the spec, pick the driver (driver= / -f, else the filename's
 * protocol prefix, else 'file'), let the driver turn the filename into options,
 * split off the generic options, check the rest against the driver's schema
 * with QEMU's messages, then call the driver's open coroutine_fn.
 */
import type { Co } from '@qco/core';
import type { BlockAioMode, BlockDriver, BlockDriverState, BlockOpenFlags, BlockOptionsDict } from './block-driver.js';
import { findBlockDriver, findProtocolDriver } from './block-registry.js';
import { BlockError, MissingParameterError, UnknownOptionError } from './errors.js';
import { Errno } from './errno.js';
import { checkForceShare } from './permissions.js';
import { emptyOptions, GENERIC_BLOCK_OPTIONS, checkOptions, parseBlockSpec, splitGenericOptions } from './options.js';

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

/** QEMU's -t cache modes → (cache.direct, cache.no-flush). */
export function parseCacheMode(mode: string): { cacheDirect: boolean; cacheNoFlush: boolean } {
  switch (mode) {
    case 'none':
    case 'off':
      return { cacheDirect: true, cacheNoFlush: false };
    case 'directsync':
      return { cacheDirect: true, cacheNoFlush: false };
    case 'writeback':
    case 'writethrough':
      return { cacheDirect: false, cacheNoFlush: false };
    case 'unsafe':
      return { cacheDirect: false, cacheNoFlush: true };
    default:
      throw new BlockError(`Invalid cache option: ${mode}`, Errno.EINVAL);
  }
}

/** QEMU's -i / aio= values. */
export function parseAioMode(mode: string): BlockAioMode {
  if (mode === 'threads' || mode === 'native' || mode === 'io_uring') return mode;
  throw new BlockError(`Invalid aio option: ${mode}`, Errno.EINVAL);
}

/** Resolve a spec to its driver, checked options and flags, without opening anything. */
export function resolveBlockSpec(spec: string | BlockOptionsDict, how: BlockOpenOptions = {}): ResolvedBlockSpec {
  const dict: BlockOptionsDict = { ...(typeof spec === 'string' ? parseBlockSpec(spec, how.imageOpts ?? false) : spec), ...(how.options ?? {}) };
  const { generic, driver: rest } = splitGenericOptions(dict);
  const g = checkOptions({ formatName: 'block' }, GENERIC_BLOCK_OPTIONS, generic);
  const filename = g['filename'] as string | undefined;
  const driverName = (g['driver'] as string | undefined) ?? how.format;
  // A json: document names its driver (or a file child); only plain filenames are probed.
  if (driverName === undefined && typeof spec === 'string' && spec.startsWith('json:')) throw new BlockError('Must specify either driver or file', Errno.EINVAL);
  if (driverName === 'raw') return resolveRaw(dict, how);
  let driver: BlockDriver;
  if (driverName !== undefined) driver = findBlockDriver(driverName);
  else if (filename !== undefined) driver = findProtocolDriver(filename);
  else throw new MissingParameterError('driver');

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
  const flags: BlockOpenFlags = {
    readOnly: how.readOnly === true || g['read-only'] === true,
    cacheDirect: how.cacheDirect === true || g['cache.direct'] === true,
    cacheNoFlush: how.cacheNoFlush === true || g['cache.no-flush'] === true,
    aio: how.aio ?? 'threads',
    forceShare: how.forceShare === true || g['force-share'] === true,
  };
  checkForceShare(flags.forceShare === true, flags.readOnly);
  return { driver, options, flags };
}

/**
 * The raw format is the identity over its protocol node and we keep no format
 * layer: `-f raw` / driver=raw opens the protocol node itself, taken from the
 * `file.*` options (json:{"driver":"raw","file":{…}}) or from the filename.
 */
function resolveRaw(dict: BlockOptionsDict, how: BlockOpenOptions): ResolvedBlockSpec {
  const child = emptyOptions();
  const outer = emptyOptions();
  for (const [k, v] of Object.entries(dict)) {
    if (k.startsWith('file.')) child[k.slice('file.'.length)] = v;
    else if (k !== 'driver') outer[k] = v;
  }
  const { format: _raw, options: _extra, ...rest } = how;
  if (Object.keys(child).length > 0) {
    if (outer['filename'] !== undefined) throw new UnknownOptionError('raw', 'filename', 'format');
    return resolveBlockSpec({ ...outer, ...child }, { ...rest, imageOpts: false });
  }
  return resolveBlockSpec(outer, { ...rest, imageOpts: false });
}

/** bdrv_open: resolve the spec and open the node (a coroutine_fn). */
export function* bdrvOpen(spec: string | BlockOptionsDict, how: BlockOpenOptions = {}): Co<BlockDriverState> {
  const r = resolveBlockSpec(spec, how);
  return yield* r.driver.open(r.options, r.flags);
}
