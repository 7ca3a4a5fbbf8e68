/**
 * The loop a file I/O worker thread runs, as CommonJS source for `new
 * Worker(code, { eval: true })`, so no worker file has to be found beside
 * whichever build is running. A worker claims request slots from a shared
 * submission ring, does the blocking pread / pwrite / fdatasync into the
 * request's page-aligned memory, publishes the slot on the completion ring and
 * sets the completion notifier (posting to the owning thread only when the
 * notifier goes from clear to set, so a burst costs one message). Errors go
 * back as -errno in the slot.
 */

import { Errno } from '../../block/errno.js';

/** Layout of the control words (Int32Array over a SharedArrayBuffer). */
export const CTL = { SQ_PRODUCED: 0, SQ_CONSUMED: 1, CQ_RESERVED: 2, STOP: 3, WORDS: 4 } as const;
/** Int32 fields per request slot: op, fd, len, memOffset, result. */
export const SLOT_WORDS = 8;
/** Slot field offsets. */
export const SLOT = { OP: 0, FD: 1, LEN: 2, MEM: 3, RESULT: 4 } as const;
/** Operations. */
export const OP = { READ: 0, WRITE: 1, FLUSH: 2, WRITE_FUA: 3 } as const;

/** Source of the worker loop (CommonJS, evaluated). */
export const FILE_IO_WORKER_SOURCE = `
'use strict';
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { ctl, sq, cq, slots, pos, mem, flag, wake, port, depth } = workerData;
const bytes = new Uint8Array(mem);
function errnoOf(e) {
  return e && typeof e.errno === 'number' && e.errno !== 0 ? -Math.abs(e.errno) : -${Errno.EIO};
}
function run(idx) {
  const b = idx * 8;
  const op = slots[b], fd = slots[b + 1], len = slots[b + 2], off = slots[b + 3];
  const at = pos[idx];
  try {
    if (op === 2) { fs.fdatasyncSync(fd); return 0; }
    const view = bytes.subarray(off, off + len);
    let done = 0;
    if (op === 0) {
      while (done < len) {
        const n = fs.readSync(fd, view, done, len - done, at + done);
        if (n === 0) { view.fill(0, done); break; }
        done += n;
      }
    } else {
      while (done < len) {
        const n = fs.writeSync(fd, view, done, len - done, at + done);
        if (n === 0) return -${Errno.ENOSPC};
        done += n;
      }
      if (op === 3) fs.fdatasyncSync(fd);
    }
    return len;
  } catch (e) {
    return errnoOf(e);
  }
}
for (;;) {
  if (Atomics.load(ctl, 3) !== 0) break;
  const c = Atomics.load(ctl, 1);
  const p = Atomics.load(ctl, 0);
  if (c === p) { Atomics.wait(ctl, 0, p); continue; }
  if (Atomics.compareExchange(ctl, 1, c, c + 1) !== c) continue;
  const idx = sq[c % depth];
  slots[idx * 8 + 4] = run(idx);
  const r = Atomics.add(ctl, 2, 1);
  Atomics.store(cq, r % depth, idx + 1);
  if (Atomics.exchange(flag, 0, 1) === 0) port.postMessage(0);
  Atomics.add(wake, 0, 1);
  Atomics.notify(wake, 0);
}
`;
