#!/usr/bin/env node
// Drive the vhost-user addon built under AddressSanitizer + UBSan (by qco-asan,
// which runs this script) from node with libasan preloaded:
// a socket pair passing descriptors both ways, a memfd mapped twice and seen
// through both mappings, eventfds watched through libuv, then every misuse the
// addon must refuse without crashing (wrong types, bad fds, unaligned or
// oversized mappings, munmap twice, views after munmap, unwatch twice, a watch
// dropped without unwatch and collected). Exit status 0 only when all of it ran clean.
import { join } from 'node:path';
import { asanScratchDir, runAsanExercise } from '@qco/native-common/asan-exercise';

const out = asanScratchDir();

runAsanExercise({ target: 'qco_vhost_user', name: 'exercise-vhost-user.cjs', nodeArgs: ['--expose-gc'], body: `
const path = require('node:path');
const fs = require('node:fs');
const sock = ${JSON.stringify(join(out, 'vu-asan.sock'))};
try { fs.unlinkSync(sock); } catch {}
const l = a.listen(sock);
assert(l >= 0, 'listen ' + l);
assert(a.accept(l) === -11, 'accept with nobody waiting is EAGAIN');
const c = a.connect(sock);
assert(c >= 0, 'connect');
const s = a.accept(l);
assert(s >= 0, 'accept');
// descriptors over the socket
const mfd = a.memfd(1 << 20);
const efd = a.eventfd();
const msg = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
assert(a.send(c, msg, [mfd, efd]) === 12, 'send with fds');
const got = a.recv(s, new Uint8Array(64));
assert(got[0] === 12 && got.length === 3, 'recv with two fds: ' + got);
// the memfd, mapped on both sides, is one memory
const m1 = a.mmap(mfd, 1 << 20, 0), m2 = a.mmap(got[1], 1 << 20, 0);
new Uint8Array(m1)[4095] = 0x5a;
assert(new Uint8Array(m2)[4095] === 0x5a, 'shared mapping');
const view = new Uint8Array(m2, 4096, 16);
assert(a.munmap(m2) === true, 'munmap');
assert(a.munmap(m2) === false, 'munmap twice is refused');
assert(view.length === 0 && m2.byteLength === 0, 'views of an unmapped buffer are empty');
view[0] = 1; // a write to a detached view is a no-op, never a fault
assert(a.munmap(new ArrayBuffer(8)) === false, 'munmap of a plain ArrayBuffer');
throws(() => a.mmap(mfd, 2 << 20, 0), 'mapping past the end of the memfd');
throws(() => a.mmap(mfd, 4096, 100), 'unaligned offset');
throws(() => a.mmap(-1, 4096, 0), 'bad fd');
throws(() => a.mmap(mfd, 0, 0), 'empty mapping');
throws(() => a.mmap('x', 4096, 0), 'fd not a number');
// eventfds through libuv
let kicks = 0;
const w = a.watch(got[2], () => { kicks++; }, true);
assert(a.eventfdWrite(efd) === 0, 'eventfd write');
assert(a.eventfdWrite(-1) === -9, 'EBADF');
assert(a.eventfdRead(a.eventfd()) === -11, 'empty eventfd read is EAGAIN');
throws(() => a.watch(-1, () => {}), 'watch a negative fd');
throws(() => a.watch(efd, 'nope'), 'watch without a callback');
throws(() => a.watch(987654, () => {}), 'watch a closed fd');
throws(() => a.unwatch({}), 'unwatch of a non-handle');
throws(() => a.recv(s, [1, 2]), 'recv into a plain array');
throws(() => a.send(c, msg, [-3]), 'send a negative fd');
throws(() => a.send(c, msg, new Array(40).fill(efd)), 'too many fds');
throws(() => a.listen(''), 'empty path');
throws(() => a.listen('x'.repeat(200)), 'path too long');
assert(a.recv(987654, new Uint8Array(4))[0] === -9, 'recv on a bad fd');
assert(a.close(-1) === -9, 'close(-1)');
// a watch dropped without unwatch is collected safely
(function () { a.watch(a.eventfd(), () => {}); })();
setTimeout(() => {
  assert(kicks === 1, 'one kick seen: ' + kicks);
  a.unwatch(w);
  a.unwatch(w);
  // the peer going away reads as end of stream
  a.close(c);
  assert(a.recv(s, new Uint8Array(4))[0] === 0, 'EOF after the peer closed');
  a.munmap(m1);
  // Three eventfds ready in one poll pass are called back together, in order: the first
  // callback unwatches the second (never called after) and throws nothing; the third still runs.
  const e1 = a.eventfd(), e2 = a.eventfd(), e3 = a.eventfd();
  const seen = [];
  let w2 = null;
  const w1 = a.watch(e1, () => { seen.push(1); a.unwatch(w2); }, true);
  w2 = a.watch(e2, () => { seen.push(2); }, true);
  const w3 = a.watch(e3, () => { seen.push(3); Promise.resolve().then(() => seen.push('microtask')); }, true);
  for (const e of [e1, e2, e3]) a.eventfdWrite(e);
  if (global.gc) global.gc();
  setTimeout(() => {
    assert(seen.join() === '1,3,microtask', 'one pass, an unwatched watch skipped, microtasks drained: ' + seen.join());
    a.unwatch(w1);
    a.unwatch(w3);
    // a watch dropped while its fd is ready (queued, then collected) is safe too
    const e4 = a.eventfd();
    (function () { a.watch(e4, () => {}, true); })();
    a.eventfdWrite(e4);
    if (global.gc) global.gc();
    setTimeout(() => {
      if (global.gc) global.gc();
      for (const fd of [s, l, mfd, efd, got[1], got[2], e1, e2, e3, e4]) a.close(fd);
      console.log('vhost-user addon: all checks passed under AddressSanitizer');
    }, 20);
  }, 30);
}, 50);
` });
