/**
 * Baselines several suites time beside their own cases, written once so every
 * suite compares with the same thing.
 */
import type { BenchFn } from './types.js';

/**
 * A Promise round trip between two async functions, `perCall` times per call:
 * a partner waits on a Promise, and each round trip resolves it and awaits the
 * partner's answer — two hand-offs, the async/await analogue of enter + yield.
 */
export async function promiseRoundTrip(perCall: number): Promise<BenchFn> {
  let wakePartner: () => void = () => {};
  let wakeMain: () => void = () => {};
  void (async () => {
    for (;;) {
      await new Promise<void>((r) => (wakePartner = r));
      wakeMain();
    }
  })();
  await Promise.resolve();
  return {
    kind: 'async',
    fn: async () => {
      for (let i = 0; i < perCall; i++) {
        const back = new Promise<void>((r) => (wakeMain = r));
        wakePartner();
        await back;
      }
    },
  };
}
