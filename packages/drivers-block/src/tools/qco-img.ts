/**
 * qco-img: qemu-img's info, create, bench and convert over our drivers, with
 * qemu-img's options, output lines and error wording. bench drives requests
 * the way qemu-img bench does — `depth` requests in flight through the
 * callback face, each completion submitting the next, offsets stepping and
 * wrapping over the image — so the two tools measure the same thing. convert
 * copies between any two registered drivers in chunks with several
 * coroutines in flight, and draws qemu-img's progress line with -p.
 */
import { statSync } from 'node:fs';
import { coroutineCreate, coroutineEnter, deferCallBegin, deferCallEnd, type Co } from '@qco/core';
import { BlockBackend } from '../block/block-backend.js';
import { registerBuiltinBlockDrivers } from '../drivers/builtin.js';
import { parseAioMode, parseCacheMode, resolveBlockSpec, type BlockOpenOptions } from '../block/block-open.js';
import { BlockError, UnknownDriverError } from '../block/errors.js';
import { strerror } from '../block/errno.js';
import { IoVector } from '../block/iov.js';
import { parseBool, parseQemuOptsString, parseSize } from '../block/options.js';
import { GetoptError, getopt } from './common/getopt.js';
import { createProgress } from './common/progress.js';
import { sizeToStr } from './common/format.js';
import { processStreams, type CliStreams } from './common/streams.js';
import { BDRV_BLOCK_ALLOCATED, BDRV_BLOCK_DATA, BDRV_BLOCK_OFFSET_VALID, BDRV_BLOCK_ZERO, type BlockOptionsDict } from '../block/block-driver.js';

/** A failure already worded for the user; the tool prints "qco-img: <message>" and exits 1. */
class ImgError extends Error {}

function specOf(name: string, imageOpts: boolean): string | BlockOptionsDict {
  return imageOpts ? parseQemuOptsString(name) : name;
}

async function openImage(name: string, how: BlockOpenOptions, imageOpts: boolean): Promise<BlockBackend> {
  try {
    return await BlockBackend.open(specOf(name, imageOpts), how);
  } catch (err) {
    throw new ImgError(`Could not open '${name}': ${(err as Error).message}`);
  }
}

function formatName(blk: BlockBackend): string {
  // Our file driver is qemu-img's raw format over the file protocol.
  return blk.driverName === 'file' ? 'raw' : blk.driverName;
}

/** qemu-img's error_exit: the message, then where to find help. */
function usageError(message: string): ImgError {
  return new ImgError(`${message}\nTry 'qco-img --help' for more information`);
}

function parseOpts(args: readonly string[], short: string, long: string[]): ReturnType<typeof getopt> {
  try {
    return getopt(args, short, long, true);
  } catch (err) {
    // qemu-img words getopt's complaints itself, naming the word as typed.
    const e = err as GetoptError;
    throw usageError(e.kind === 'missing' ? `missing argument for option '${e.arg}'` : `unrecognized option '${e.arg}'`);
  }
}

function formatAndCache(o: Map<string, string>, cacheError = 'Invalid cache mode'): BlockOpenOptions {
  let how: BlockOpenOptions = {};
  const f = o.get('f') ?? o.get('format');
  if (f !== undefined && f !== 'raw') how = { ...how, format: f };
  if (o.has('t')) how = { ...how, ...cacheMode(o.get('t') as string, cacheError) };
  if (o.has('U') || o.has('force-share')) how = { ...how, forceShare: true };
  if (o.has('n') || o.has('nocache')) how = { ...how, cacheDirect: true };
  if (o.has('i')) how = { ...how, aio: parseAioMode(o.get('i') as string) };
  return how;
}

/** -t / -T: QEMU's cache modes, with the wording of the command that reads them. */
function cacheMode(mode: string, message: string): { cacheDirect: boolean; cacheNoFlush: boolean } {
  try {
    return parseCacheMode(mode);
  } catch {
    throw new ImgError(message.includes('option') ? `${message}: ${mode}` : message);
  }
}

function checkImageOpts(o: Map<string, string>, name?: string): boolean {
  const imageOpts = o.has('image-opts');
  if (imageOpts && (o.has('f') || o.has('format'))) throw new ImgError('--image-opts and --format are mutually exclusive');
  // img_open_opts: -U with an explicit force-share=off in the options.
  if (imageOpts && name !== undefined && (o.has('U') || o.has('force-share'))) {
    const v = parseQemuOptsString(name)['force-share'];
    if (v !== undefined && parseBool(v) !== true) throw new ImgError('--force-share/-U conflicts with image options');
  }
  return imageOpts;
}

function sizeArg(what: string, v: string): number {
  const n = parseSize(v);
  if (n === undefined) throw new ImgError(`Invalid ${what} specified. You may use k, M, G, T, P or E suffixes for\nqco-img: kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.`);
  return n;
}

/** qemu_strtoui with base 0 (decimal, 0x hex, 0 octal), bounded by `max`; undefined when it does not parse. */
function uintArg(v: string, max = 0xffffffff): number | undefined {
  if (!/^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(v)) return undefined;
  const n = /^0[0-7]+$/.test(v) ? Number.parseInt(v, 8) : Number(v);
  return n <= max ? n : undefined;
}

function intArg(what: string, v: string, min = 1): number {
  const n = uintArg(v, 0x7fffffff);
  if (n === undefined || n < min) throw new ImgError(`Invalid ${what} specified`);
  return n;
}

// ---------------------------------------------------------------------------

async function imgInfo(args: readonly string[], io: CliStreams): Promise<void> {
  const { opts: o, operands } = parseOpts(args, 'f:hU', ['image-opts', 'output=', 'format=', 'force-share', 'help']);
  if (operands.length !== 1) throw usageError('Expecting one image file name');
  const name = operands[0] as string;
  const output = o.get('output') ?? 'human';
  if (output !== 'human' && output !== 'json') throw new ImgError('--output must be used with human or json as argument.');
  const imageOpts = checkImageOpts(o, name);
  // qemu-img info only inspects the node: it takes no permission, so no lock.
  const blk = await openImage(name, { ...formatAndCache(o), readOnly: true, noIo: true }, imageOpts);
  try {
    const size = await blk.getLength();
    const info = await blk.getInfo();
    const format = formatName(blk);
    if (output === 'json') {
      const j: Record<string, unknown> = { 'virtual-size': size, filename: blk.bs.filename, format };
      if (info.allocatedSize !== undefined) j['actual-size'] = info.allocatedSize;
      j['dirty-flag'] = false;
      const body = Object.entries(j)
        .map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`)
        .join(',\n');
      io.out(`{\n${body}\n}\n`);
      return;
    }
    io.out(`image: ${blk.bs.filename}\n`);
    io.out(`file format: ${format}\n`);
    io.out(`virtual size: ${sizeToStr(size)} (${size} bytes)\n`);
    io.out(`disk size: ${info.allocatedSize === undefined ? 'unavailable' : sizeToStr(info.allocatedSize)}\n`);
    if (info.clusterSize) io.out(`cluster_size: ${info.clusterSize}\n`);
    for (const [k, v] of Object.entries(info.extra ?? {})) io.out(`${k}: ${v}\n`);
  } finally {
    await blk.close();
  }
}

// ---------------------------------------------------------------------------

/**
 * qemu-img map: the allocation of the whole image from block status (through
 * the backing chain), adjacent extents with equal facts merged; JSON lists
 * every extent, the human form only the data that is mapped somewhere.
 */
async function imgMap(args: readonly string[], io: CliStreams): Promise<void> {
  const { opts: o, operands } = parseOpts(args, 'f:hU', ['image-opts', 'output=', 'format=', 'force-share', 'help']);
  if (operands.length !== 1) throw usageError('Expecting one image file name');
  const name = operands[0] as string;
  const output = o.get('output') ?? 'human';
  if (output !== 'human' && output !== 'json') throw new ImgError('--output must be used with human or json as argument.');
  const blk = await openImage(name, { ...formatAndCache(o), readOnly: true }, checkImageOpts(o, name));
  try {
    const size = await blk.getLength();
    interface Extent { start: number; length: number; depth: number; present: boolean; zero: boolean; data: boolean; offset?: number }
    const extents: Extent[] = await runCo(function* () {
      const out: Extent[] = [];
      for (let at = 0; at < size; ) {
        const st = yield* blk.coBlockStatusAbove(at, size - at);
        const e: Extent = {
          start: at,
          length: st.bytes,
          depth: Math.max(0, st.depth - 1),
          present: (st.flags & BDRV_BLOCK_ALLOCATED) !== 0,
          zero: (st.flags & BDRV_BLOCK_ZERO) !== 0,
          data: (st.flags & BDRV_BLOCK_DATA) !== 0,
          ...(st.flags & BDRV_BLOCK_OFFSET_VALID && st.map !== undefined ? { offset: st.map } : {}),
        };
        const last = out[out.length - 1];
        const contiguous = last !== undefined && (last.offset === undefined) === (e.offset === undefined) && (e.offset === undefined || (last.offset as number) + last.length === e.offset);
        if (last !== undefined && contiguous && last.depth === e.depth && last.present === e.present && last.zero === e.zero && last.data === e.data) last.length += e.length;
        else out.push(e);
        at += st.bytes;
      }
      return out;
    });
    if (output === 'json') {
      const lines = extents.map(
        (e) => `{ "start": ${e.start}, "length": ${e.length}, "depth": ${e.depth}, "present": ${e.present}, "zero": ${e.zero}, "data": ${e.data}${e.offset !== undefined ? `, "offset": ${e.offset}` : ''}}`,
      );
      io.out(`[${lines.join(',\n')}]\n`);
      return;
    }
    const hex = (v: number): string => `0x${v.toString(16)}`.padEnd(16);
    io.out(`${'Offset'.padEnd(16)}${'Length'.padEnd(16)}${'Mapped to'.padEnd(16)}File\n`);
    for (const e of extents) if (e.data && e.offset !== undefined) io.out(`${hex(e.start)}${hex(e.length)}${hex(e.offset)}${blk.bs.filename}\n`);
  } finally {
    await blk.close();
  }
}

// ---------------------------------------------------------------------------

async function imgCreate(args: readonly string[], io: CliStreams): Promise<void> {
  const { opts: o, operands } = parseOpts(args, 'f:o:q', ['format=']);
  if (operands.length < 1) throw usageError('Expecting image file name');
  const name = operands[0] as string;
  // A size in the right syntax but beyond int64 is a range error in qemu-img, not a syntax one.
  const tooLarge = operands[1] !== undefined && /^\s*[0-9]+(\.[0-9]*)?\s*[kKmMgGtTpPeE]?\s*$/.test(operands[1]) && parseSize(operands[1]) === undefined;
  if (tooLarge) throw new ImgError('Invalid image size specified. Must be between 0 and 9223372036854775807.');
  let size = operands[1] !== undefined ? sizeArg('image size', operands[1]) : undefined;
  // -o: the creation options; raw over file takes only size.
  for (const [k, v] of Object.entries(o.has('o') ? parseQemuOptsString(o.get('o') as string) : {})) {
    if (k !== 'size') throw new ImgError(`${name}: Invalid parameter '${k}'`);
    const n = parseSize(String(v));
    if (n === undefined) throw new ImgError(`${name}: Parameter 'size' expects a non-negative number below 2^64`);
    size ??= n;
  }
  if (size === undefined) throw new ImgError(`${name}: Image creation needs a size parameter`);
  if (size > 2 ** 63 - 1) throw new ImgError('Invalid image size specified. Must be between 0 and 9223372036854775807.');
  const format = o.get('f') ?? o.get('format');
  let r;
  try {
    r = resolveBlockSpec(name, format !== undefined && format !== 'raw' ? { format } : {});
  } catch (err) {
    if (err instanceof UnknownDriverError) throw new ImgError(`${name}: Unknown file format '${err.driverName}'`);
    throw new ImgError(`${name}: ${(err as Error).message}`);
  }
  if (!o.has('q')) io.out(`Formatting '${name}', fmt=${format ?? 'raw'} size=${size}\n`);
  if (r.driver.create === undefined) throw new ImgError(`${name}: Protocol driver '${r.driver.formatName}' does not support image creation`);
  const create = r.driver.create.bind(r.driver);
  await runCo(() => create(r.options, size)).catch((err: Error) => {
    throw new ImgError(`${name}: ${err.message}`);
  });
}

function runCo<T>(fn: () => Co<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    coroutineEnter(
      coroutineCreate(function* () {
        try {
          resolve(yield* fn());
        } catch (err) {
          reject(err);
        }
      }),
    );
  });
}

// ---------------------------------------------------------------------------

/** What a bench run did, for tools and benchmarks that drive it in-process. */
export interface BenchResult {
  /** Requests completed. */
  readonly requests: number;
  /** Wall time of the run in seconds. */
  readonly seconds: number;
}

/** Parameters of qemu-img bench. */
export interface BenchParams {
  readonly count: number;
  readonly depth: number;
  readonly bufsize: number;
  readonly offset: number;
  readonly step: number;
  readonly write: boolean;
  readonly pattern: number;
  readonly flushInterval: number;
  readonly drain: boolean;
}

/** Run qemu-img bench's request loop on an open backend. */
export function runBench(blk: BlockBackend, p: BenchParams): Promise<BenchResult> {
  return blk.getLength().then(
    (imageSize) =>
      new Promise<BenchResult>((resolve, reject) => {
        const buf = new Uint8Array(p.depth * p.bufsize).fill(p.write ? p.pattern : 0);
        const qiovs = Array.from({ length: p.depth }, (_, i) => new IoVector(buf.subarray(i * p.bufsize, (i + 1) * p.bufsize)));
        let offset = p.offset;
        let submitted = 0;
        let completed = 0;
        let inFlight = 0;
        let inFlush = false;
        let failed = false;
        const t0 = performance.now();
        const advance = (): number => {
          const at = offset;
          offset += p.step;
          if (imageSize <= p.bufsize) offset = 0;
          else offset %= imageSize - p.bufsize;
          return at;
        };
        const finish = (): void => resolve({ requests: completed, seconds: (performance.now() - t0) / 1000 });
        const submit = (slot: number): void => {
          const qiov = qiovs[slot] as IoVector;
          const at = advance();
          submitted++;
          inFlight++;
          const done = (err: BlockError | null): void => {
            inFlight--;
            if (failed) return;
            if (err) {
              failed = true;
              reject(new ImgError(`Failed request: ${strerror(err.errno)}`));
              return;
            }
            completed++;
            if (completed >= p.count) {
              if (inFlight === 0) finish();
              return;
            }
            if (p.flushInterval > 0 && p.write && submitted % p.flushInterval === 0 && !inFlush) {
              inFlush = true;
              blk.aioFlush((e) => {
                inFlush = false;
                if (e && !failed) {
                  failed = true;
                  reject(new ImgError(`Failed flush request: ${strerror(e.errno)}`));
                  return;
                }
                if (submitted < p.count) submit(slot);
              });
              return;
            }
            if (submitted < p.count) submit(slot);
            else if (inFlight === 0) finish();
          };
          if (p.write) blk.aioPwritev(at, qiov, {}, done);
          else blk.aioPreadv(at, qiov, {}, done);
        };
        if (p.count === 0) return finish();
        // One defer-call section, so batching drivers submit the first wave together.
        deferCallBegin();
        try {
          for (let i = 0; i < Math.min(p.depth, p.count); i++) submit(i);
        } finally {
          deferCallEnd();
        }
      }),
  );
}

async function imgBench(args: readonly string[], io: CliStreams): Promise<void> {
  const { opts: o, operands } = parseOpts(args, 'hc:d:f:ni:o:qs:S:t:wU', ['image-opts', 'pattern=', 'flush-interval=', 'no-drain', 'format=', 'force-share', 'help']);
  if (operands.length !== 1) throw usageError('Expecting one image file name');
  const name = operands[0] as string;
  const imageOpts = checkImageOpts(o, name);
  const write = o.has('w');
  const uintOpt = (key: string, what: string, max?: number): number => {
    const n = uintArg(o.get(key) as string, max);
    if (n === undefined) throw new ImgError(`Invalid ${what} specified`);
    return n;
  };
  const bufsize = o.has('s') ? sizeArg('buffer size', o.get('s') as string) : 4096;
  const p: BenchParams = {
    count: o.has('c') ? intArg('request count', o.get('c') as string, 0) : 75000,
    depth: o.has('d') ? intArg('queue depth', o.get('d') as string) : 64,
    bufsize,
    offset: o.has('o') ? sizeArg('offset', o.get('o') as string) : 0,
    step: o.has('S') ? sizeArg('step_size', o.get('S') as string) : bufsize,
    write,
    pattern: o.has('pattern') ? uintOpt('pattern', 'pattern byte', 0xff) : 0,
    flushInterval: o.has('flush-interval') ? uintOpt('flush-interval', 'flush interval') : 0,
    drain: !o.has('no-drain'),
  };
  if (p.flushInterval > 0 && !write) throw new ImgError('--flush-interval is only available in write tests');
  const blk = await openImage(name, { ...formatAndCache(o), readOnly: !write }, imageOpts);
  try {
    if (!o.has('q')) {
      io.out(`Sending ${p.count} ${write ? 'write' : 'read'} requests, ${p.bufsize} bytes each, ${p.depth} in parallel (starting at offset ${p.offset}, step size ${p.step})\n`);
      if (p.flushInterval > 0) io.out(`Sending flush every ${p.flushInterval} requests\n`);
    }
    const r = await runBench(blk, p);
    if (!o.has('q')) io.out(`Run completed in ${r.seconds.toFixed(3)} seconds.\n`);
  } finally {
    await blk.close();
  }
}

// ---------------------------------------------------------------------------

/** Copy `size` bytes from `src` to `dst` in `chunk`-sized pieces with `parallel` coroutines; skip zero chunks when `sparse`. */
export async function convertCopy(
  src: BlockBackend,
  dst: BlockBackend,
  size: number,
  opts: { chunk?: number; parallel?: number; sparse?: boolean; onProgress?: (done: number) => void } = {},
): Promise<void> {
  const chunk = opts.chunk ?? 2 * 1024 * 1024;
  const parallel = Math.max(1, opts.parallel ?? 8);
  let next = 0;
  let done = 0;
  const worker = function* (): Co<void> {
    const buf = new Uint8Array(chunk);
    while (next < size) {
      const at = next;
      const n = Math.min(chunk, size - at);
      next += n;
      const view = buf.subarray(0, n);
      try {
        yield* src.coPreadv(at, n, new IoVector(view));
      } catch (err) {
        throw new ImgError(`error while reading at byte ${at}: ${strerror(err instanceof BlockError ? err.errno : 5)}`);
      }
      try {
        if (!(opts.sparse && isZero(view))) yield* dst.coPwritev(at, n, new IoVector(view));
      } catch (err) {
        throw new ImgError(`error while writing at byte ${at}: ${strerror(err instanceof BlockError ? err.errno : 5)}`);
      }
      done += n;
      opts.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: parallel }, () => runCo(worker)));
}

/** Whether `target` names the file `src` has open (same device and inode). */
function sameFile(src: BlockBackend, target: unknown): boolean {
  if (src.driverName !== 'file' || typeof target !== 'string') return false;
  try {
    const a = statSync(src.bs.filename);
    const b = statSync(target);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

function isZero(b: Uint8Array): boolean {
  const words = b.byteOffset % 8 === 0 && b.length % 8 === 0 ? new BigUint64Array(b.buffer, b.byteOffset, b.length / 8) : null;
  if (words) {
    for (let i = 0; i < words.length; i++) if (words[i] !== 0n) return false;
    return true;
  }
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

async function imgConvert(args: readonly string[], io: CliStreams): Promise<void> {
  const { opts: o, operands } = parseOpts(args, 'hf:O:o:npqt:T:m:S:WU', ['image-opts', 'target-image-opts', 'format=', 'force-share', 'help']);
  const targetImageOpts = o.has('target-image-opts');
  if (operands.length !== 2) throw new ImgError('Must specify image file name');
  const [srcName, dstName] = operands as [string, string];
  const imageOpts = checkImageOpts(o, srcName);
  const parallel = o.has('m') ? uintArg(o.get('m') as string) : 8;
  if (parallel === undefined || parallel < 1 || parallel > 16) throw new ImgError('Invalid number of coroutines. Allowed number of coroutines is between 1 and 16');
  if (o.has('S')) sizeArg('buffer size for sparse output', o.get('S') as string);
  // The source shares only reads (BDRV_O_NO_SHARE): nobody may write or resize it while it is copied.
  const srcHow: BlockOpenOptions = {
    ...formatAndCache(new Map([...o].filter(([k]) => ['f', 'format', 'U', 'force-share'].includes(k)))),
    readOnly: true,
    noShare: true,
  };
  const srcCache = o.get('T');
  // qemu-img convert's target cache mode defaults to 'unsafe': no flush at the end.
  const dstCache = cacheMode(o.get('t') ?? 'unsafe', 'Invalid cache option');
  const src = await openImage(srcName, srcCache ? { ...srcHow, ...cacheMode(srcCache, 'Invalid source cache option') } : srcHow, imageOpts);
  try {
    const size = await src.getLength();
    const outFmt = o.get('O');
    const dstHow: BlockOpenOptions = { ...(outFmt !== undefined && outFmt !== 'raw' ? { format: outFmt } : {}), ...dstCache };
    const noCreate = o.has('n');
    let fresh = false;
    if (!noCreate && !targetImageOpts) {
      let r;
      try {
        r = resolveBlockSpec(dstName, dstHow);
      } catch (err) {
        if (err instanceof UnknownDriverError) throw new ImgError(`Unknown file format '${err.driverName}'`);
        throw err;
      }
      if (r.driver.create !== undefined) {
        if (sameFile(src, r.options['filename'])) {
          // Locks already refuse this; without them (locking=off, -U) creating would clear the source.
          throw new ImgError(`${dstName}: error while converting ${outFmt ?? 'raw'}: Failed to get "write" lock\nIs another process using the image [${dstName}]?`);
        }
        const create = r.driver.create.bind(r.driver);
        await runCo(() => create(r.options, size)).catch((err: Error) => {
          throw new ImgError(`${dstName}: error while converting ${outFmt ?? 'raw'}: ${err.message}`);
        });
        fresh = true;
      }
    }
    let dst: BlockBackend;
    try {
      dst = await BlockBackend.open(specOf(dstName, targetImageOpts), dstHow);
    } catch (err) {
      throw new ImgError(`Could not open '${dstName}': ${(err as Error).message}`);
    }
    try {
      const dstSize = await dst.getLength();
      if (dstSize < size) {
        if (dst.bs.coTruncate !== undefined) await dst.truncate(size);
        else throw new ImgError(`${dstName}: Target image is smaller than source (${dstSize} < ${size} bytes)`);
      }
      const progress = createProgress(io, size, o.has('p') && !o.has('q'));
      const sparse = fresh && o.get('S') !== '0';
      try {
        await convertCopy(src, dst, size, { parallel, sparse, onProgress: (d) => progress.update(d) });
        await dst.flush();
      } finally {
        progress.stop();
      }
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}

// ---------------------------------------------------------------------------

const USAGE = `qco-img version 0.1.0
usage: qco-img [standard options] command [command options]
QEMU disk image utility (qco)

Command syntax:
  bench [-c count] [-d depth] [-f fmt] [--flush-interval=flush_interval] [-i aio] [-n] [--no-drain] [-o offset] [--pattern=pattern] [-q] [-s buffer_size] [-S step_size] [-t cache] [-U] [-w] [--image-opts] filename
  convert [-m num_coroutines] [-n] [-p] [-q] [-S sparse_size] [-f fmt] [-O output_fmt] [-t cache] [-T src_cache] [--image-opts] [--target-image-opts] filename output_filename
  create [-f fmt] [-q] filename [size]
  info [-f fmt] [--output=ofmt] [--image-opts] filename
  map [-f fmt] [--output=ofmt] [--image-opts] [-U] filename
`;

/** Run qco-img with `argv` (without node and script); resolves to the exit status. */
export async function qcoImgMain(argv: readonly string[], io: CliStreams = processStreams): Promise<number> {
  registerBuiltinBlockDrivers();
  const [cmd, ...args] = argv;
  try {
    switch (cmd) {
      case undefined:
        throw new ImgError("Not enough arguments\nTry 'qco-img --help' for more information");
      case '-h':
      case '--help':
        io.out(USAGE);
        return 0;
      case '-V':
      case '--version':
        io.out('qco-img version 0.1.0\n');
        return 0;
      case 'info':
        await imgInfo(args, io);
        return 0;
      case 'map':
        await imgMap(args, io);
        return 0;
      case 'create':
        await imgCreate(args, io);
        return 0;
      case 'bench':
        await imgBench(args, io);
        return 0;
      case 'convert':
        await imgConvert(args, io);
        return 0;
      default:
        throw usageError(`Command not found: ${cmd}`);
    }
  } catch (err) {
    io.err(`qco-img: ${(err as Error).message}\n`);
    return 1;
  }
}
