/**
 * The null drivers (QEMU's block/null.c): an image of `size` bytes that stores
 * nothing, for benchmarking the block layer itself. null-co completes inside
 * the request coroutine (sleeping `latency-ns` there when set); null-aio
 * completes through a callback run later, the way callback-based (AIO) drivers
 * do, and through a timer when a latency is set. Reads leave the buffer as it
 * was unless read-zeroes is on, as QEMU 7.2 (Debian's qemu-utils) does.
 */
import { QEMU_CLOCK_REALTIME, coWaitFor, timerNewNs, qemuClockGetNs, type Co } from '@qco/core';
import {
  BLOCK_DRIVER_SPEC,
  type BlockDriver,
  type BlockDriverInfo,
  type BlockDriverOptions,
  type BlockDriverState,
  type BlockOpenFlags,
  type BlockOptionDesc,
  type BlockRequestFlags,
} from '../../block/block-driver.js';
import { InvalidFilenameError } from '../../block/errors.js';
import { Errno } from '../../block/errno.js';
import type { IoVector } from '../../block/iov.js';
import { opt } from '../../block/options.js';
import { coSleepNs, scheduleSoon } from '../../block/deferred.js';

/** null drivers' default size: 1 GiB (QEMU's null default). */
export const NULL_DEFAULT_SIZE = 1 << 30;

const NULL_OPTIONS: readonly BlockOptionDesc[] = [
  { name: 'size', type: 'size', help: 'size of the null block', default: NULL_DEFAULT_SIZE },
  { name: 'latency-ns', type: 'number', help: 'nanoseconds (approximated) to wait before completing request', default: 0 },
  { name: 'read-zeroes', type: 'bool', help: 'return zeroes when read', default: false },
];

/** An open null image. */
export class NullBlockDriverState implements BlockDriverState {
  readonly requestAlignment = 1;
  readonly filename: string;
  readonly size: number;
  readonly latencyNs: number;
  readonly readZeroes: boolean;

  constructor(
    readonly driver: BlockDriver,
    readonly options: BlockDriverOptions,
    readonly flags: BlockOpenFlags,
    private readonly aio: boolean,
  ) {
    this.filename = `${driver.formatName}://`;
    this.size = opt(options, 'size', NULL_DEFAULT_SIZE);
    this.latencyNs = opt(options, 'latency-ns', 0);
    this.readZeroes = opt(options, 'read-zeroes', false);
    this.immediate = !aio && this.latencyNs === 0;
  }

  /** null-co without latency: requests finish where they start. */
  private readonly immediate: boolean;

  /** How a request finishes: in place (null-co) or from a later callback (null-aio). */
  private *complete(): Co {
    if (!this.aio) {
      if (this.latencyNs > 0) yield* coSleepNs(this.latencyNs);
      return;
    }
    // null-aio: the completion is a callback run later (a BH, or a timer with latency).
    yield* coWaitFor((done) => {
      const cb = (): void => done(null);
      if (this.latencyNs > 0) {
        const timer = timerNewNs(QEMU_CLOCK_REALTIME, cb, undefined);
        timer.modNs(qemuClockGetNs(QEMU_CLOCK_REALTIME) + this.latencyNs);
      } else {
        scheduleSoon(cb);
      }
    });
  }

  *coPreadv(_offset: number, _bytes: number, qiov: IoVector, _flags: BlockRequestFlags): Co {
    if (this.readZeroes) qiov.fill(0);
    if (this.immediate) return;
    yield* this.complete();
  }

  *coPwritev(_offset: number, _bytes: number, _qiov: IoVector, _flags: BlockRequestFlags): Co {
    if (this.immediate) return;
    yield* this.complete();
  }

  *coPwriteZeroes(_offset: number, _bytes: number, _flags: BlockRequestFlags): Co {
    yield* this.complete();
  }

  *coFlush(): Co {
    yield* this.complete();
  }

  *coGetLength(): Co<number> {
    return this.size;
  }

  *coGetInfo(): Co<BlockDriverInfo> {
    return { allocatedSize: 0 };
  }

  *coClose(): Co {}
}

function makeNullDriver(name: 'null-co' | 'null-aio'): BlockDriver {
  const allowed = `${name}://`;
  const driver: BlockDriver = {
    spec: BLOCK_DRIVER_SPEC,
    formatName: name,
    protocolName: name,
    options: NULL_OPTIONS,
    completions: name === 'null-co' ? 'inline' : 'threads',
    parseFilename(filename: string) {
      if (filename !== allowed) throw new InvalidFilenameError(`The only allowed filename for this driver is '${allowed}'`, Errno.EINVAL);
      return {};
    },
    *open(options: BlockDriverOptions, flags: BlockOpenFlags): Co<BlockDriverState> {
      return new NullBlockDriverState(driver, options, flags, name === 'null-aio');
    },
  };
  return driver;
}

/** null-co: completes in the request coroutine. */
export const nullCoDriver: BlockDriver = makeNullDriver('null-co');
/** null-aio: completes through a later callback (BH or timer). */
export const nullAioDriver: BlockDriver = makeNullDriver('null-aio');
