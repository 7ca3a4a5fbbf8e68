/**
 * Open options as QEMU spells them. Three spellings reach the same flat,
 * dot-keyed dictionary: a filename (`/tmp/x.img`, `null-co://`, `ssh://h/p`),
 * a QemuOpts string (`driver=file,filename=/tmp/x.img,cache.direct=on`, commas
 * doubled to escape them) and a `json:{…}` document (nested objects flattened
 * to dotted keys, as QEMU's qdict_flatten does). Values are then checked against
 * the driver's schema with QEMU's parsers and messages (qemu_strtosz for sizes,
 * on/off for booleans), so a driver receives typed values only. Every parsed
 * dictionary has a null prototype, so keys such as `__proto__` and
 * `constructor` are ordinary (and unknown) option names, never inherited
 * properties.
 */
import type { BlockAioMode, BlockDriver, BlockDriverOptions, BlockOptionDesc, BlockOptionValue, BlockOptionsDict } from './block-driver.js';
import { Errno } from './errno.js';
import { BlockError, InvalidParameterError, MissingParameterError, OptionSyntaxError, UnknownOptionError } from './errors.js';

/** Options every node takes, handled by the block layer itself rather than by a driver. */
export const GENERIC_BLOCK_OPTIONS: readonly BlockOptionDesc[] = [
  { name: 'driver', type: 'string', help: 'Driver to use' },
  { name: 'filename', type: 'string', help: 'Image filename' },
  { name: 'node-name', type: 'string', help: 'Node name of the block device node' },
  { name: 'read-only', type: 'bool', help: 'Node is opened in read-only mode', default: false },
  { name: 'auto-read-only', type: 'bool', help: 'Node can become read-only if opening read-write fails', default: false },
  { name: 'cache.direct', type: 'bool', help: 'Bypass software writeback cache on the host', default: false },
  { name: 'cache.no-flush', type: 'bool', help: 'Ignore flush requests', default: false },
  { name: 'discard', type: 'string', help: 'discard operation (ignore/off, unmap/on)', values: ['ignore', 'off', 'unmap', 'on'] },
  { name: 'detect-zeroes', type: 'string', help: 'try to optimize zero writes (off, on, unmap)', values: ['off', 'on', 'unmap'] },
  { name: 'force-share', type: 'bool', help: 'always accept other writers (default: off)', default: false },
];

/** An empty option dictionary without a prototype (keys like '__proto__' stay plain keys). */
export function emptyOptions<T = BlockOptionValue>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Whether a filename names a protocol ("proto:..." with no '/' before the ':'), as QEMU's path_has_protocol. */
export function filenameProtocol(filename: string): string | undefined {
  const m = /^([^:/\\]*):/.exec(filename);
  return m ? m[1] : undefined;
}

/** Split a QEMU option list at its commas, ',,' standing for a literal comma (QemuOpts and keyval alike). */
export function splitQemuOptsList(text: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ',') {
      if (text[i + 1] === ',') {
        cur += ',';
        i++;
        continue;
      }
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts;
}

/**
 * qemu_opts_parse: `key=value,key=value`, with ',,' standing for a literal comma.
 * A bare `key` means `key=on`. With `impliedKey`, a first element without '='
 * is that key's value (QEMU's implied_opt_name).
 */
export function parseQemuOptsString(text: string, impliedKey?: string): BlockOptionsDict {
  const out = emptyOptions();
  const parts = splitQemuOptsList(text);
  parts.forEach((part, index) => {
    if (part === '' && index === parts.length - 1 && index > 0) return;
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (index === 0 && impliedKey !== undefined) out[impliedKey] = part;
      else if (part === '') throw new OptionSyntaxError(`Invalid parameter ''`);
      else out[part] = 'on';
      return;
    }
    const key = part.slice(0, eq);
    if (key === '') throw new OptionSyntaxError(`Invalid parameter ''`);
    out[key] = part.slice(eq + 1);
  });
  return out;
}

/** qdict_flatten: nested objects become dotted keys; arrays become key.0, key.1, … */
export function flattenOptions(obj: Record<string, unknown>, prefix = '', out: BlockOptionsDict = emptyOptions()): BlockOptionsDict {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix + k;
    if (v === null) continue; // QEMU takes a JSON null as the option left out
    if (typeof v === 'object') {
      flattenOptions(v as Record<string, unknown>, `${key}.`, out);
    } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      out[key] = v;
    } else {
      throw new OptionSyntaxError(`Invalid parameter type for '${key}', expected: string, number or boolean`);
    }
  }
  return out;
}

/** Parse a `json:{…}` pseudo-filename into flat options (QEMU's parse_json_filename). */
export function parseJsonFilename(filename: string): BlockOptionsDict {
  const body = filename.slice('json:'.length);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new OptionSyntaxError(`Could not parse the JSON options: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new OptionSyntaxError('Invalid JSON object given');
  }
  return flattenOptions(parsed as Record<string, unknown>);
}

/**
 * Turn what a user typed into flat options: `json:{…}` always; otherwise with
 * `imageOpts` (qemu-io/qemu-img --image-opts) a QemuOpts string, else a plain filename.
 */
export function parseBlockSpec(spec: string, imageOpts = false): BlockOptionsDict {
  if (spec.startsWith('json:')) return parseJsonFilename(spec);
  if (imageOpts) return parseQemuOptsString(spec);
  return { filename: spec };
}

const SIZE_SUFFIX: Record<string, number> = { b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };

/**
 * qemu_strtosz: a non-negative size with an optional k/M/G/T/P/E suffix
 * (binary units; a fraction is allowed with a suffix). Returns undefined if it
 * does not parse.
 */
export function parseSize(text: string, defaultSuffix = 'b'): number | undefined {
  const m = /^\s*(0x[0-9a-f]+|[0-9]+(?:\.[0-9]*)?)\s*([bkmgtpe]?)\s*$/i.exec(text);
  if (!m) return undefined;
  const num = m[1];
  const suffix = ((m[2]) || defaultSuffix).toLowerCase();
  const isHex = /^0x/i.test(num);
  if (isHex && m[2]) return undefined;
  const value = isHex ? Number.parseInt(num, 16) : Number(num);
  if (!isHex && num.includes('.') && suffix === 'b') return undefined;
  const result = Math.floor(value * (SIZE_SUFFIX[suffix]));
  if (!Number.isFinite(result) || result >= 2 ** 64) return undefined;
  return result;
}

/** Parse a boolean the way QEMU's qapi_bool_parse does (on/off, yes/no, true/false). */
export function parseBool(value: BlockOptionValue): boolean | undefined {
  if (typeof value === 'boolean') return value;
  switch (String(value)) {
    case 'on':
    case 'yes':
    case 'true':
    case 'y':
      return true;
    case 'off':
    case 'no':
    case 'false':
    case 'n':
      return false;
    default:
      return undefined;
  }
}

/** Check and convert one value against its description, with QEMU's messages. */
export function parseOptionValue(desc: BlockOptionDesc, value: BlockOptionValue): BlockOptionValue {
  switch (desc.type) {
    case 'bool': {
      const b = parseBool(value);
      if (b === undefined) throw new InvalidParameterError(desc.name, "'on' or 'off'");
      return b;
    }
    case 'number': {
      // JSON numbers too: only exact non-negative integers (QEMU's uint64; ours stops at 2^53).
      if (typeof value === 'number') {
        if (Number.isSafeInteger(value) && value >= 0) return value;
        throw new InvalidParameterError(desc.name, 'a number');
      }
      const s = String(value);
      if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(s) || Number(s) >= 2 ** 64) throw new InvalidParameterError(desc.name, 'a number');
      return Number(s);
    }
    case 'size': {
      if (typeof value === 'number') {
        if (Number.isSafeInteger(value) && value >= 0) return value;
        throw new InvalidParameterError(desc.name, 'a non-negative number below 2^64');
      }
      const n = typeof value === 'string' ? parseSize(value) : undefined;
      if (n === undefined) throw new InvalidParameterError(desc.name, 'a non-negative number below 2^64');
      return n;
    }
    case 'string': {
      const s = String(value);
      if (desc.values && !desc.values.includes(s)) {
        if (desc.enumParse === true) throw new BlockError(`invalid parameter value: ${s}`, Errno.EINVAL);
        throw new InvalidParameterError(desc.name, `one of ${desc.values.map((v) => `'${v}'`).join(', ')}`);
      }
      return s;
    }
  }
}

/**
 * Check `dict` against a schema: every key must be described (else
 * UnknownOptionError naming the driver), values are converted, defaults
 * filled, required ones enforced.
 */
export function checkOptions(
  driver: Pick<BlockDriver, 'formatName' | 'protocolName'>,
  schema: readonly BlockOptionDesc[],
  dict: BlockOptionsDict,
): Record<string, BlockOptionValue | undefined> {
  const byName = new Map(schema.map((d) => [d.name, d]));
  const out = emptyOptions<BlockOptionValue | undefined>();
  for (const [key, value] of Object.entries(dict)) {
    if (value === undefined) continue; // a key set to undefined is an option left out
    const desc = byName.get(key);
    if (desc === undefined) {
      throw new UnknownOptionError(driver.formatName, key, driver.protocolName !== undefined || driver.formatName === 'file' ? 'protocol' : 'format');
    }
    out[key] = parseOptionValue(desc, value);
  }
  for (const desc of schema) {
    if (out[desc.name] === undefined) {
      if (desc.required) throw new MissingParameterError(desc.name);
      if (desc.default !== undefined) out[desc.name] = desc.default;
    }
  }
  return out;
}

/** Split `dict` into the generic options (GENERIC_BLOCK_OPTIONS) and the driver's own. */
export function splitGenericOptions(dict: BlockOptionsDict): { generic: BlockOptionsDict; driver: BlockOptionsDict } {
  const names = new Set(GENERIC_BLOCK_OPTIONS.map((d) => d.name));
  const generic: BlockOptionsDict = emptyOptions();
  const driver: BlockOptionsDict = emptyOptions();
  for (const [k, v] of Object.entries(dict)) {
    if (names.has(k)) generic[k] = v;
    else driver[k] = v;
  }
  return { generic, driver };
}

/** Read a typed option with a fallback, for drivers: `opt(options, 'size', 1 << 30)`. */
export function opt<T extends BlockOptionValue>(options: BlockDriverOptions, name: string, fallback: T): T {
  const v = options[name];
  return (v === undefined ? fallback : v) as T;
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
