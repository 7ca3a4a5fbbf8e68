// Shared by the nvme tests: a registered controller per test and a way to run coroutine_fns.
import { coroutineCreate, coroutineEnter, type Co } from '@qco/core';
import { BlockBackend, EmulatedNvmeController, registerNvmeDevice, unregisterNvmeDevice, type NvmeBlockDriverState } from '../src/index.js';

let seq = 0;

/** A fresh controller registered under a unique name, and a backend open on it. */
export async function openNvme(opts: { size?: number; queueSize?: number } = {}): Promise<{
  ctrl: EmulatedNvmeController;
  blk: BlockBackend;
  bs: NvmeBlockDriverState;
  close(): Promise<void>;
}> {
  const name = `test${++seq}`;
  const ctrl = new EmulatedNvmeController({ size: opts.size ?? 8 << 20, dmaBytes: 48 << 20 });
  registerNvmeDevice(name, ctrl);
  const spec = opts.queueSize === undefined ? `nvme://${name}/1` : `driver=nvme,device=${name},queue-size=${opts.queueSize}`;
  const blk = await BlockBackend.open(spec, opts.queueSize === undefined ? {} : { imageOpts: true });
  return {
    ctrl,
    blk,
    bs: blk.bs as NvmeBlockDriverState,
    async close() {
      await blk.close();
      unregisterNvmeDevice(name);
      await ctrl.close();
    },
  };
}

/** Start a coroutine running `fn` now; the Promise settles with its result. */
export function startCo<T>(fn: () => Co<T>): Promise<T> {
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

/** A deterministic byte pattern for request `id`. */
export function pattern(id: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = (id * 2654435761) >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A small seeded PRNG (xorshift32) for offsets and sizes. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
