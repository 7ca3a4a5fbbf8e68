/**
 * qco-io's commands (qemu-io-cmds.c's job): the command table with qemu-io's
 * syntax, output lines and errors, and the Session they run against. Commands
 * go through the BlockBackend's Promise face, so every driver works here,
 * socket drivers included; aio_* commands start requests without waiting and
 * print their report when they complete (aio_flush waits for all of them).
 */
import type { BlockBackend } from '../block/block-backend.js';
import type { BlockOpenOptions } from '../block/block-open.js';
import { BlockError } from '../block/errors.js';
import { strerror } from '../block/errno.js';
import { IoVector } from '../block/iov.js';
import { parseAioMode, parseCacheMode, parseQemuOptsString, parseSize } from '../block/options.js';
import { cvtstr, hexdump, report } from './common/format.js';
import { GetoptError, getopt } from './common/getopt.js';
import type { CliStreams } from './common/streams.js';
/** BDRV_REQUEST_MAX_BYTES: the largest single request qemu-io accepts. */
const REQUEST_MAX_BYTES = 2147483136;

/** A command failed; qemu-io has already printed why. */
export class CommandFailed extends Error {}

/** One qco-io command (qemu-io's cmdinfo_t). */
export interface Command {
  readonly name: string;
  readonly alt?: string;
  readonly args: string;
  readonly oneline: string;
  readonly min: number;
  readonly max: number;
  readonly needsImage: boolean;
  readonly writes?: boolean;
  run(s: Session, args: string[]): Promise<void>;
}

/** One qco-io run: the open image and the requests still in flight. */
export class Session {
  blk: BlockBackend | undefined;
  name = '';
  readonly aio = new Set<Promise<void>>();
  quit = false;
  constructor(
    readonly io: CliStreams,
    readonly defaults: BlockOpenOptions,
  ) {}

  out(s: string): void {
    this.io.out(s);
  }
  /** The open image; without one the command fails as qemu-io's dispatcher does (commands marked needsImage never get here without one). */
  image(): BlockBackend {
    if (this.blk === undefined) this.fail("no file open, try 'help open'");
    return this.blk;
  }
  /** Print `line` (stdout, or stderr with or without the program prefix, as qemu-io does for it) and fail the command. */
  fail(line: string, toStderr: boolean | 'bare' = false): never {
    if (toStderr === 'bare') this.io.err(`${line}\n`);
    else if (toStderr) this.io.err(`qco-io: ${line}\n`);
    else this.io.out(`${line}\n`);
    throw new CommandFailed(line);
  }

  async open(name: string | undefined, how: BlockOpenOptions, imageOpts: boolean): Promise<void> {
    if (this.blk) this.fail('file open already, try \'help close\'');
    try {
      const spec = imageOpts ? parseQemuOptsString(name ?? '') : name !== undefined ? name : { ...(how.options ?? {}) };
      // The block layer and the drivers load with the first image, not at start-up.
      const [{ BlockBackend }] = await Promise.all([import('../block/block-backend.js'), import('../drivers/builtin.js').then((b) => b.registerBuiltinBlockDrivers())]);
      this.blk = await BlockBackend.open(spec, { onWarning: (m: string) => this.io.err(m), ...how, imageOpts: false });
      this.name = name ?? '';
    } catch (err) {
      const where = imageOpts || name === undefined ? '' : ` device ${name}`;
      this.fail(`can't open${where}: ${(err as Error).message}`, true);
    }
  }
}

/** qemu-io's cvtnum: a byte count with an optional suffix, or a "Parsing error" and failure. */
/** @internal shared with the block-status commands */
export function cvtnum(s: Session, arg: string): number {
  const n = parseSize(arg);
  if (n === undefined) s.fail(`Parsing error: non-numeric argument, or extraneous/unrecognized suffix -- ${arg}`);
  if (n > Number.MAX_SAFE_INTEGER) s.fail(`Parsing error: argument too large -- ${arg}`);
  return n;
}

/** qemu-io's parse_pattern: a byte 0..255 in C notation (0xab, 0253, 171). */
function parsePattern(s: Session, arg: string): number {
  const v = /^0x[0-9a-f]+$/i.test(arg) ? Number.parseInt(arg, 16) : /^0[0-7]*$/.test(arg) ? Number.parseInt(arg, 8) : /^[0-9]+$/.test(arg) ? Number(arg) : Number.NaN;
  if (!(v >= 0 && v <= 255)) s.fail(`${arg} is not a valid pattern byte`);
  return v;
}

/** qemuio_command_usage: the command's synopsis line, on stdout, and the command fails. */
function usage(s: Session, cmd: Command): never {
  s.fail(`${cmd.name} ${cmd.args} -- ${cmd.oneline}`);
}

/** @internal shared with the block-status commands */
export function opts(s: Session, cmd: Command, args: string[], optstring: string): { o: Map<string, string>; rest: string[] } {
  try {
    // glibc's getopt permutes, so `read 0 -1` sees -1 as an option, as qemu-io does.
    const r = getopt(args, optstring, [], true);
    return { o: r.opts, rest: r.operands };
  } catch (err) {
    s.io.err(`${cmd.name}: ${(err as GetoptError).message}\n`);
    usage(s, cmd);
  }
}

/** A command's own operand check (optind against argc): a wrong count prints its usage, as qemu-io's commands do. */
/** @internal shared with the block-status commands */
export function operandCount(s: Session, cmd: Command, n: number, min: number, max: number): void {
  if (n < min || (max >= 0 && n > max)) usage(s, cmd);
}

/** @internal shared with the block-status commands */
export function checkCount(s: Session, cmd: Command, n: number, min: number, max: number): void {
  if (n >= min && (max < 0 || n <= max)) return;
  const expected = max < 0 ? `at least ${min} arguments` : min === max ? `${min} arguments` : `between ${min} and ${max} arguments`;
  s.fail(`bad argument count ${n} to ${cmd.name}, expected ${expected}`, 'bare');
}

/** @internal shared with the block-status commands */
export function requestFailed(s: Session, what: string, err: unknown): never {
  const errno = err instanceof BlockError ? err.errno : 5;
  s.fail(`${what} failed: ${strerror(errno)}`);
}

/**
 * @internal shared with the block-status commands.
 * A write-side request (write, writev, discard): timed, a failure reported as
 * "<what> failed: <reason>", the report line printed unless -q (-C: in qemu-io's terse form).
 */
export async function timedRequest(s: Session, o: Map<string, string>, what: string, verb: string, offset: number, bytes: number, request: () => Promise<void>): Promise<void> {
  const t0 = now();
  try {
    await request();
  } catch (err) {
    requestFailed(s, what, err);
  }
  if (!o.has('q')) s.out(report(verb, now() - t0, offset, bytes, bytes, 1, o.has('C')));
}

function ioFailure(err: unknown): string {
  return strerror(err instanceof BlockError ? err.errno : 5);
}

/** @internal shared with the block-status commands */
export function now(): number {
  return performance.now() / 1000;
}

function firstMismatch(buf: Uint8Array, pattern: number): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i] !== pattern) return true;
  return false;
}

function lengths(s: Session, args: string[]): number[] {
  return args.map((a) => {
    const n = cvtnum(s, a);
    if (n > REQUEST_MAX_BYTES) s.fail(`length cannot exceed ${REQUEST_MAX_BYTES}, given ${a}`);
    return n;
  });
}

function makeIov(lens: number[], fill: number): IoVector {
  return new IoVector(lens.map((n) => new Uint8Array(n).fill(fill)));
}

/** The command table; other files add to it. */
export const commands: Command[] = [];

commands.push({
  name: 'read',
  alt: 'r',
  args: '[-abCqv] [-P pattern [-s off] [-l len]] off len',
  oneline: 'reads a number of bytes at a specified offset',
  min: 2,
  max: -1,
  needsImage: true,
  async run(s, args) {
    const { o, rest } = opts(s, this, args, 'abCl:pP:qs:v');
    operandCount(s, this, rest.length, 2, 2);
    const pattern = o.has('P') ? parsePattern(s, o.get('P') as string) : undefined;
    if (o.has('b')) s.fail('read failed: Operation not supported');
    const offset = cvtnum(s, rest[0]);
    const count = cvtnum(s, rest[1]);
    if (count > REQUEST_MAX_BYTES) s.fail(`length cannot exceed ${REQUEST_MAX_BYTES}, given ${rest[1]}`);
    const patOff = o.has('s') ? cvtnum(s, o.get('s') as string) : 0;
    const patLen = o.has('l') ? cvtnum(s, o.get('l') as string) : count - patOff;
    if (pattern === undefined && (o.has('s') || o.has('l'))) s.fail(`${this.name} ${this.args} -- ${this.oneline}`);
    if (patLen < 0 || patOff + patLen > count) s.fail('pattern verification range exceeds end of read data');
    const buf = new Uint8Array(count).fill(0xab);
    const t0 = now();
    try {
      await s.image().pread(offset, count, buf);
    } catch (err) {
      requestFailed(s, 'read', err);
    }
    const t = now() - t0;
    let failed = false;
    if (pattern !== undefined && firstMismatch(buf.subarray(patOff, patOff + patLen), pattern)) {
      s.out(`Pattern verification failed at offset ${offset + patOff}, ${patLen} bytes\n`);
      failed = true;
    }
    if (!o.has('q')) {
      if (o.has('v')) s.out(hexdump(buf, offset));
      s.out(report('read', t, offset, count, count, 1, o.has('C')));
    }
    if (failed) throw new CommandFailed('pattern');
  },
});

commands.push({
  name: 'readv',
  args: '[-Cqv] [-P pattern] off len [len..]',
  oneline: 'reads a number of bytes at a specified offset',
  min: 2,
  max: -1,
  needsImage: true,
  async run(s, args) {
    const { o, rest } = opts(s, this, args, 'CP:qv');
    operandCount(s, this, rest.length, 2, -1);
    const pattern = o.has('P') ? parsePattern(s, o.get('P') as string) : undefined;
    const offset = cvtnum(s, rest[0]);
    const qiov = makeIov(lengths(s, rest.slice(1)), 0xab);
    const t0 = now();
    try {
      await s.image().preadv(offset, qiov);
    } catch (err) {
      requestFailed(s, 'readv', err);
    }
    const t = now() - t0;
    let failed = false;
    const buf = qiov.toBuffer();
    if (pattern !== undefined && firstMismatch(buf, pattern)) {
      s.out(`Pattern verification failed at offset ${offset}, ${qiov.size} bytes\n`);
      failed = true;
    }
    if (!o.has('q')) {
      if (o.has('v')) s.out(hexdump(buf, offset));
      s.out(report('read', t, offset, qiov.size, qiov.size, 1, o.has('C')));
    }
    if (failed) throw new CommandFailed('pattern');
  },
});

commands.push({
  name: 'write',
  alt: 'w',
  args: '[-bcCfnquz] [-P pattern] off len',
  oneline: 'writes a number of bytes at a specified offset',
  min: 2,
  max: -1,
  needsImage: true,
  writes: true,
  async run(s, args) {
    const { o, rest } = opts(s, this, args, 'bcCfnpP:quz');
    operandCount(s, this, rest.length, 2, 2);
    const zero = o.has('z');
    if (zero && o.has('P')) s.fail('Only one of -z, -P, and -s can be specified at the same time');
    if (o.has('u') && !zero) s.fail('-u requires -z to be specified');
    if (o.has('n') && !zero) s.fail('-n requires -z to be specified');
    if (o.has('b')) s.fail('write failed: Operation not supported');
    if (o.has('c') && zero) s.fail('-c and -z cannot be specified at the same time');
    const pattern = o.has('P') ? parsePattern(s, o.get('P') as string) : 0xcd;
    const offset = cvtnum(s, rest[0]);
    const count = cvtnum(s, rest[1]);
    if (count > REQUEST_MAX_BYTES && !zero) s.fail(`length cannot exceed ${REQUEST_MAX_BYTES}, given ${rest[1]}`);
    const flags = { fua: o.has('f'), mayUnmap: o.has('u'), noFallback: o.has('n') };
    await timedRequest(s, o, 'write', 'wrote', offset, count, async () => {
      if (zero) await s.image().pwriteZeroes(offset, count, flags);
      else if (o.has('c')) await s.image().pwriteCompressed(offset, new Uint8Array(count).fill(pattern));
      else await s.image().pwrite(offset, new Uint8Array(count).fill(pattern), flags);
    });
  },
});

commands.push({
  name: 'writev',
  args: '[-Cfq] [-P pattern] off len [len..]',
  oneline: 'writes a number of bytes at a specified offset',
  min: 2,
  max: -1,
  needsImage: true,
  writes: true,
  async run(s, args) {
    const { o, rest } = opts(s, this, args, 'CfqP:');
    operandCount(s, this, rest.length, 2, -1);
    const pattern = o.has('P') ? parsePattern(s, o.get('P') as string) : 0xcd;
    const offset = cvtnum(s, rest[0]);
    const qiov = makeIov(lengths(s, rest.slice(1)), pattern);
    await timedRequest(s, o, 'writev', 'wrote', offset, qiov.size, () => s.image().pwritev(offset, qiov, { fua: o.has('f') }));
  },
});

function track(s: Session, p: Promise<void>): void {
  const q = p.finally(() => s.aio.delete(q));
  s.aio.add(q);
}

commands.push({
  name: 'aio_read',
  args: '[-Cqv] [-i] [-P pattern] off len [len..]',
  oneline: 'asynchronously reads a number of bytes',
  min: 2,
  max: -1,
  needsImage: true,
  run(s, args) {
    const { o, rest } = opts(s, this, args, 'CiP:qv');
    operandCount(s, this, rest.length, 2, -1);
    if (o.has('i')) s.fail('aio_read: -i is not supported');
    const pattern = o.has('P') ? parsePattern(s, o.get('P') as string) : undefined;
    const offset = cvtnum(s, rest[0]);
    const qiov = makeIov(lengths(s, rest.slice(1)), 0xab);
    const t0 = now();
    track(
      s,
      s.image().preadv(offset, qiov).then(
        () => {
          const t = now() - t0;
          const buf = qiov.toBuffer();
          if (pattern !== undefined && firstMismatch(buf, pattern)) {
            s.out(`Pattern verification failed at offset ${offset}, ${qiov.size} bytes\n`);
          }
          if (o.has('q')) return;
          if (o.has('v')) s.out(hexdump(buf, offset));
          s.out(report('read', t, offset, qiov.size, qiov.size, 1, o.has('C')));
        },
        (err: unknown) => s.out(`readv failed: ${ioFailure(err)}\n`),
      ),
    );
    return Promise.resolve();
  },
});

commands.push({
  name: 'aio_write',
  args: '[-Cfiquz] [-P pattern] off len [len..]',
  oneline: 'asynchronously writes a number of bytes',
  min: 2,
  max: -1,
  needsImage: true,
  writes: true,
  run(s, args) {
    const { o, rest } = opts(s, this, args, 'CfiqP:uz');
    operandCount(s, this, rest.length, 2, -1);
    const zero = o.has('z');
    if (zero && o.has('P')) s.fail('Only one of -z, -P, and -s can be specified at the same time');
    if (o.has('u') && !zero) s.fail('-u requires -z to be specified');
    if (o.has('i')) s.fail('aio_write: -i is not supported');
    const pattern = o.has('P') ? parsePattern(s, o.get('P') as string) : 0xcd;
    const offset = cvtnum(s, rest[0]);
    const lens = lengths(s, rest.slice(1));
    if (zero && lens.length !== 1) s.fail('aio_write: -z supports only a single length parameter');
    const size = lens.reduce((a, b) => a + b, 0);
    const t0 = now();
    const flags = { fua: o.has('f'), mayUnmap: o.has('u') };
    const p = zero ? s.image().pwriteZeroes(offset, size, flags) : s.image().pwritev(offset, makeIov(lens, pattern), flags);
    track(
      s,
      p.then(
        () => {
          if (!o.has('q')) s.out(report('wrote', now() - t0, offset, size, size, 1, o.has('C')));
        },
        (err: unknown) => s.out(`aio_write failed: ${ioFailure(err)}\n`),
      ),
    );
    return Promise.resolve();
  },
});

export async function drain(s: Session): Promise<void> {
  while (s.aio.size > 0) await Promise.all([...s.aio]);
}

/** bdrv_flush on the open image; a failure is reported as `what` failed. */
async function flushImage(s: Session, what: string): Promise<void> {
  try {
    await s.image().flush();
  } catch (err) {
    requestFailed(s, what, err);
  }
}

commands.push({
  name: 'aio_flush',
  args: '',
  oneline: 'completes all outstanding aio requests',
  min: 0,
  max: 0,
  needsImage: true,
  async run(s) {
    await drain(s);
    await flushImage(s, 'aio_flush');
  },
});

commands.push({
  name: 'flush',
  alt: 'f',
  args: '',
  oneline: 'flush all in-core file state to disk',
  min: 0,
  max: 0,
  needsImage: true,
  run(s) {
    return flushImage(s, 'flush');
  },
});

commands.push({
  name: 'length',
  alt: 'l',
  args: '',
  oneline: 'gets the length of the current file',
  min: 0,
  max: 0,
  needsImage: true,
  async run(s) {
    let size = 0;
    try {
      size = await s.image().getLength();
    } catch (err) {
      s.fail(`getlength: ${ioFailure(err)}`);
    }
    s.out(`${cvtstr(size)}\n`);
  },
});

commands.push({
  name: 'info',
  alt: 'i',
  args: '',
  oneline: 'prints information about the current file',
  min: 0,
  max: 0,
  needsImage: true,
  async run(s) {
    s.out(`format name: ${s.image().driverName}\n`);
    const info = await s.image().getInfo();
    s.out(`cluster size: ${cvtstr(info.clusterSize ?? 0)}\n`);
    s.out(`vm state offset: ${cvtstr(0)}\n`);
    for (const [k, v] of Object.entries(info.extra ?? {})) s.out(`${k}: ${v}\n`);
  },
});

commands.push({
  name: 'truncate',
  alt: 't',
  args: '[-m prealloc_mode] off',
  oneline: 'truncates the current file at the given offset',
  min: 1,
  max: 3,
  needsImage: true,
  writes: true,
  async run(s, args) {
    const { o, rest } = opts(s, this, args, 'm:');
    operandCount(s, this, rest.length, 1, 1);
    const mode = o.get('m') ?? 'off';
    if (!['off', 'metadata', 'falloc', 'full'].includes(mode)) s.fail(`Invalid preallocation mode '${mode}'`);
    const offset = cvtnum(s, rest[0]);
    try {
      await s.image().truncate(offset, false, mode as 'off');
    } catch (err) {
      s.fail((err as Error).message, true);
    }
  },
});

commands.push({
  name: 'open',
  alt: 'o',
  args: '[-rsCnkU] [-t cache] [-d discard] [-o options] [path]',
  oneline: 'open the file specified by path',
  min: 1,
  max: -1,
  needsImage: false,
  async run(s, args) {
    const { o, rest } = opts(s, this, args, 'rsCnkUt:d:o:i:');
    let how: BlockOpenOptions = { ...s.defaults };
    if (o.has('r')) how = { ...how, readOnly: true };
    if (o.has('n')) how = { ...how, cacheDirect: true };
    if (o.has('t')) how = { ...how, ...parseCacheMode(o.get('t') as string) };
    if (o.has('k')) how = { ...how, aio: 'native' };
    if (o.has('U')) how = { ...how, forceShare: true };
    if (o.has('i')) how = { ...how, aio: parseAioMode(o.get('i') as string) };
    if (o.has('o')) how = { ...how, options: parseQemuOptsString(o.get('o') as string) };
    await s.open(rest[0], how, false);
  },
});

commands.push({
  name: 'close',
  alt: 'c',
  args: '',
  oneline: 'close the current open file',
  min: 0,
  max: 0,
  needsImage: true,
  async run(s) {
    await drain(s);
    await s.image().close();
    s.blk = undefined;
  },
});

commands.push({
  name: 'quit',
  alt: 'q',
  args: '',
  oneline: 'exit the program',
  min: 0,
  max: 0,
  needsImage: false,
  run(s) {
    s.quit = true;
    return Promise.resolve();
  },
});

commands.push({
  name: 'help',
  alt: '?',
  args: '[command]',
  oneline: 'help for one or all commands',
  min: 0,
  max: 1,
  needsImage: false,
  run(s, args) {
    const list = args.length ? commands.filter((c) => c.name === args[0] || c.alt === args[0]) : commands;
    if (args.length && list.length === 0) s.fail(`command ${args[0]} not found`);
    for (const c of list) s.out(`${c.name}${c.alt ? ` (or ${c.alt})` : ''} ${c.args} -- ${c.oneline}\n`);
    if (!args.length) s.out('\nUse \'help commandname\' for extended help.\n');
    return Promise.resolve();
  },
});

/** Split a command line into words, honouring single and double quotes (qemu-io's breakline). */
function breakline(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    // A group whose alternative did not match is undefined (the lib types say string); a bare word is the whole match.
    const groups: readonly (string | undefined)[] = m;
    out.push(groups[1] ?? groups[2] ?? m[0]);
  }
  return out;
}

/** Run one command line; true when it succeeded. */
export async function runCommand(s: Session, line: string): Promise<boolean> {
  const words = breakline(line);
  if (words.length === 0) return true;
  const [name, ...args] = words as [string, ...string[]];
  const cmd = commands.find((c) => c.name === name || c.alt === name);
  try {
    if (cmd === undefined) s.fail(`command "${name}" not found`, 'bare');
    if (cmd.needsImage) s.image();
    if (cmd.writes && s.image().readOnly) s.fail('Block node is read-only', true);
    checkCount(s, cmd, args.length, cmd.min, cmd.max);
    await cmd.run(s, args);
    return true;
  } catch (err) {
    if (err instanceof CommandFailed) return false;
    s.io.err(`qco-io: ${(err as Error).message}\n`);
    return false;
  }
}
