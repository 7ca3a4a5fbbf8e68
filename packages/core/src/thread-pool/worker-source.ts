/**
 * The code a thread-pool worker runs, as a string for `new Worker(code, { eval:
 * true })`: the pool then needs no worker file to be found next to whichever
 * build (ESM, CJS, TypeScript sources under vitest) is running. A worker runs one
 * request at a time: it imports the work function's module (once), awaits the
 * function, posts { id, ret, value, error } on its completion port and then bumps
 * and notifies the submitting thread's wake word, so a blocking aio_poll wakes.
 */

import { Errno } from '../errno.js';

/**
 * Source of the thread-pool worker, evaluated. It must run as a script or as a
 * module (workers inherit --input-type), hence getBuiltinModule, not require.
 */
export const THREAD_POOL_WORKER_SOURCE = `
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
const { port, wake } = workerData;
const modules = new Map();
const EIO = ${Errno.EIO};
parentPort.on('message', async (m) => {
  let ret = 0;
  let value;
  let error;
  try {
    let mod = modules.get(m.module);
    if (mod === undefined) {
      mod = await import(m.module);
      modules.set(m.module, mod);
    }
    const fn = mod[m.name];
    if (typeof fn !== 'function') throw new Error('thread pool: ' + m.module + ' has no exported function "' + m.name + '"');
    const r = await fn(m.arg);
    if (typeof r === 'number') ret = r | 0;
    else value = r;
  } catch (e) {
    ret = e && typeof e.errno === 'number' && e.errno !== 0 ? -Math.abs(e.errno) : -EIO;
    error = String((e && e.stack) || e);
  }
  try {
    port.postMessage({ id: m.id, ret, value, error });
  } catch (e) {
    port.postMessage({ id: m.id, ret: -EIO, error: 'thread pool: result could not be cloned: ' + e });
  }
  Atomics.add(wake, 0, 1);
  Atomics.notify(wake, 0);
});
`;
