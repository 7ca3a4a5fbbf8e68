/**
 * qco-img bench: qemu-img bench's request loop — `depth` requests in flight
 * through the callback face, each completion submitting the next, offsets
 * stepping and wrapping over the image — so the two tools measure the same
 * thing; the benchmarks drive `runBench` in-process too.
 */
import { deferCallBegin, deferCallEnd } from '@qco/core';
import { allocAligned } from '../../block/aligned-memory.js';
import type { BlockBackend } from '../../block/block-backend.js';
import type { BlockError } from '../../block/errors.js';
import { strerror } from '../../block/errno.js';
import { IoVector } from '../../block/iov.js';
import type { CliStreams } from '../common/streams.js';
import { ImgError, checkImageOpts, formatAndCache, intArg, openImage, parseOpts, sizeArg, uintArg, usageError } from './img-common.js';

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
        // Page-aligned, as qemu-img bench's blk_blockalign: O_DIRECT then reads and writes it in place, with no bounce copy.
        const buf = new Uint8Array(allocAligned(p.depth * p.bufsize), 0, p.depth * p.bufsize).fill(p.write ? p.pattern : 0);
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
          const qiov = qiovs[slot];
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
        if (p.count === 0) {
          finish();
          return;
        }
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

/** qco-img bench with its command-line arguments. */
export async function imgBench(args: readonly string[], io: CliStreams): Promise<void> {
  const { opts: o, operands } = parseOpts(args, 'hc:d:f:ni:o:qs:S:t:wU', ['image-opts', 'pattern=', 'flush-interval=', 'no-drain', 'format=', 'force-share', 'help']);
  if (operands.length !== 1) throw usageError('Expecting one image file name');
  const name = operands[0];
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
  const blk = await openImage(name, { ...formatAndCache(o), readOnly: !write }, imageOpts, io);
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
