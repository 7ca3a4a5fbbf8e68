/**
 * What every qco-img subcommand shares: the user-worded error it exits
 * with, option parsing, opening an image the way qemu-img does (-f, -t,
 * --image-opts, probing warnings on standard error) and running a
 * coroutine_fn to a Promise.
 */
import { BlockBackend } from '../../block/block-backend.js';
import type { BlockOptionsDict } from '../../block/block-driver.js';
import { parseAioMode, parseCacheMode, type BlockOpenOptions } from '../../block/block-open.js';
import { parseBool, parseQemuOptsString, parseSize } from '../../block/options.js';
import { createObjectFromSpec } from '../../nbd/tls-creds.js';
import { GetoptError, getopt } from '../common/getopt.js';
import type { CliStreams } from '../common/streams.js';
import { ImgError, usageError } from './img-error.js';

export { ImgError, usageError };

/** The spec an operand stands for: a filename, or with --image-opts a QemuOpts string. */
export function specOf(name: string, imageOpts: boolean): string | BlockOptionsDict {
  return imageOpts ? parseQemuOptsString(name) : name;
}

/** Open an image as qemu-img does; failures read "Could not open 'x': …". */
export async function openImage(name: string, how: BlockOpenOptions, imageOpts: boolean, io?: CliStreams): Promise<BlockBackend> {
  try {
    return await BlockBackend.open(specOf(name, imageOpts), io ? { onWarning: (m) => io.err(m), ...how } : how);
  } catch (err) {
    throw new ImgError(`Could not open '${name}': ${(err as Error).message}`);
  }
}

/** getopt with qemu-img's error wording (it words getopt's complaints itself, naming the word as typed). */
export function parseOpts(args: readonly string[], short: string, long: string[]): ReturnType<typeof getopt> {
  try {
    return getopt(args, short, long, true);
  } catch (err) {
    const e = err as GetoptError;
    throw usageError(e.kind === 'missing' ? `missing argument for option '${e.arg}'` : `unrecognized option '${e.arg}'`);
  }
}

/**
 * --object type,id=…,… (tls-creds-x509, authz-simple), accepted by every
 * subcommand as qemu-img accepts it: the objects are created and the
 * remaining arguments returned.
 */
export function takeObjects(args: readonly string[]): string[] {
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      rest.push(...args.slice(i));
      break;
    }
    let spec: string | undefined;
    if (a === '--object') {
      spec = args.at(++i);
      if (spec === undefined) throw usageError("missing argument for option '--object'");
    } else if (a.startsWith('--object=')) {
      spec = a.slice('--object='.length);
    } else {
      rest.push(a);
      continue;
    }
    try {
      createObjectFromSpec(spec);
    } catch (err) {
      throw new ImgError((err as Error).message);
    }
  }
  return rest;
}

/** -t / -T: QEMU's cache modes, with the wording of the command that reads them. */
export function cacheMode(mode: string, message: string): { cacheDirect: boolean; cacheNoFlush: boolean } {
  try {
    return parseCacheMode(mode);
  } catch {
    throw new ImgError(message.includes('option') ? `${message}: ${mode}` : message);
  }
}

/** -f / -t / -U / -n / -i as open options. */
export function formatAndCache(o: Map<string, string>, cacheError = 'Invalid cache mode'): BlockOpenOptions {
  let how: BlockOpenOptions = {};
  const f = o.get('f') ?? o.get('format');
  if (f !== undefined) how = { ...how, format: f };
  if (o.has('t')) how = { ...how, ...cacheMode(o.get('t') as string, cacheError) };
  if (o.has('U') || o.has('force-share')) how = { ...how, forceShare: true };
  if (o.has('n') || o.has('nocache')) how = { ...how, cacheDirect: true };
  if (o.has('i')) how = { ...how, aio: parseAioMode(o.get('i') as string) };
  return how;
}

/** --image-opts, refused together with -f, and -U against an explicit force-share=off (img_open_opts). */
export function checkImageOpts(o: Map<string, string>, name?: string): boolean {
  const imageOpts = o.has('image-opts');
  if (imageOpts && (o.has('f') || o.has('format'))) throw new ImgError('--image-opts and --format are mutually exclusive');
  if (imageOpts && name !== undefined && (o.has('U') || o.has('force-share'))) {
    const v = parseQemuOptsString(name)['force-share'];
    if (v !== undefined && parseBool(v) !== true) throw new ImgError('--force-share/-U conflicts with image options');
  }
  return imageOpts;
}

/** A size operand (k/M/G… suffixes). */
export function sizeArg(what: string, v: string): number {
  const n = parseSize(v);
  if (n === undefined) throw new ImgError(`Invalid ${what} specified. You may use k, M, G, T, P or E suffixes for\nqco-img: kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.`);
  return n;
}

/** qemu_strtoui with base 0 (decimal, 0x hex, 0 octal), bounded by `max`; undefined when it does not parse. */
export function uintArg(v: string, max = 0xffffffff): number | undefined {
  if (!/^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(v)) return undefined;
  const n = /^0[0-7]+$/.test(v) ? Number.parseInt(v, 8) : Number(v);
  return n <= max ? n : undefined;
}

/** An integer operand of at least `min`. */
export function intArg(what: string, v: string, min = 1): number {
  const n = uintArg(v, 0x7fffffff);
  if (n === undefined || n < min) throw new ImgError(`Invalid ${what} specified`);
  return n;
}

/** Parse `-o a=b,c=d` (several -o accumulate) into options. */
export function createOptionsArg(values: readonly string[]): BlockOptionsDict {
  const out: BlockOptionsDict = {};
  for (const v of values) Object.assign(out, parseQemuOptsString(v));
  return out;
}
