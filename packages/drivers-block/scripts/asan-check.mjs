#!/usr/bin/env node
// Drive the linux-aio addon built under AddressSanitizer (by qco-asan, which runs
// this script) from node with libasan preloaded:
// reads and writes with completions (vectored ones too), then every kind of misuse the addon must
// refuse without crashing (bad handles, slots out of range, short buffers,
// use after close, double close). Exit status 0 only when all of it ran clean.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { asanScratchDir, runAsanExercise } from '@qco/native-common/asan-exercise';

const out = asanScratchDir();
// Built with liburing where binding.gyp found its header (have_liburing).
const uring = existsSync('/usr/include/liburing.h');
if (!uring) console.log('liburing.h not found (Debian liburing-dev): the io_uring mode is not built or checked');

runAsanExercise({ target: 'qco_linux_aio', name: 'exercise.cjs', body: `
const fs = require('node:fs');
assert(a.available(), 'io_setup available');
const file = ${JSON.stringify(join(out, 'asan.img'))};
fs.writeFileSync(file, Buffer.alloc(1 << 20, 7));
const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_DIRECT);
const mem = new Uint8Array(new WebAssembly.Memory({ initial: 16, maximum: 16, shared: true }).buffer);
const ids = new Int32Array(8), res = new Int32Array(8);
// readNow: a cached buffered read on this thread, and its misuse refused.
const bfd = fs.openSync(file, 'r');
const got = new Uint8Array(8192);
const now = a.readNow(bfd, got, 8192, 4096);
assert(now === 8192 || now === -11, 'readNow of a cached range: ' + now);
if (now === 8192) assert(got.every((x) => x === 7), 'readNow data');
assert(a.readNow(bfd, got, 8192, 1 << 20) === 0, 'readNow at the end of the file reads nothing');
assert(a.readNow(987654, got, 512, 0) === -9, 'readNow on a closed descriptor: EBADF');
throws(() => a.readNow(bfd, got, 8193, 0), 'readNow past the buffer');
throws(() => a.readNow(bfd, new Float64Array(4), 8, 0), 'readNow into a non-Uint8Array');
throws(() => a.readNow(bfd, got, -1, 0), 'readNow negative length');
throws(() => a.readNow(bfd, got, 512, -1), 'readNow negative position');
throws(() => a.readNow(-1, got, 512, 0), 'readNow negative fd');
throws(() => a.readNow(bfd, got), 'readNow missing arguments');
fs.closeSync(bfd);
let seen = 0;
const h = a.open(8, (n) => { for (let i = 0; i < n; i++) assert(res[i] === 4096, 'result ' + res[i]); seen += n; if (seen === 16) finish(); }, ids, res);
throws(() => a.open(0, () => {}, ids, res), 'depth 0');
throws(() => a.open(8, 'x', ids, res), 'callback not a function');
throws(() => a.open(16, () => {}, ids, res), 'arrays shorter than depth');
throws(() => a.prep({}, 0, 0, fd, mem, 4096, 0), 'bad handle');
throws(() => a.prep(h, 8, 0, fd, mem, 4096, 0), 'slot out of range');
throws(() => a.prep(h, -1, 0, fd, mem, 4096, 0), 'negative slot');
throws(() => a.prep(h, 0, 5, fd, mem, 4096, 0), 'bad op');
throws(() => a.prep(h, 0, 0, fd, mem.subarray(0, 100), 4096, 0), 'short buffer');
throws(() => a.prep(h, 0, 0, fd, new Float64Array(512), 4096, 0), 'not a Uint8Array');
throws(() => a.submit(42), 'submit on a number');
for (let i = 0; i < 8; i++) a.prep(h, i, 1, fd, mem.subarray(i * 4096), 4096, i * 4096);
assert(a.submit(h) === 8, 'submitted 8 writes');
let round = 0;
function finish() {
  if (round++ === 0) return;
}
const t = setInterval(() => {
  if (seen === 8 && round === 0) {
    round = 1;
    for (let i = 0; i < 8; i++) a.prep(h, i, 0, fd, mem.subarray(i * 4096), 4096, i * 4096);
    assert(a.submit(h) === 8, 'submitted 8 reads');
  }
  if (seen === 16) {
    clearInterval(t);
    a.close(h);
    a.close(h);
    throws(() => a.prep(h, 0, 0, fd, mem, 4096, 0), 'prep after close');
    throws(() => a.submit(h), 'submit after close');
    fs.closeSync(fd);
    vectoredMode(0, () => vectoredMode(1, () => (${JSON.stringify(uring)} ? vectoredMode(2, threadsMode) : threadsMode())));
  }
}, 5);

// prepv: vectored writes then reads straight from scattered aligned segments (and prepSpans:
// the same as spans of one buffer), the refusals
// (misaligned, too many segments) and the misuse, on linux-aio (mode 0), the thread pool's
// preadv / pwritev (mode 1) or io_uring (mode 2).
function vectoredMode(mode, next) {
  const idsv = new Int32Array(4), resv = new Int32Array(4);
  const fdv = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_DIRECT);
  const segs = (base) => [mem.subarray(base, base + 4096), mem.subarray(base + 3 * 4096, base + 5 * 4096)];
  let phase = 0;
  const v = a.open(4, (n) => {
    for (let i = 0; i < n; i++) assert(resv[i] === 3 * 4096, 'vectored result ' + resv[i]);
    if (++phase === 1) {
      mem.fill(0, 16 * 4096, 32 * 4096);
      assert(a.prepv(v, 1, 0, fdv, segs(16 * 4096), 65536, 4096) === true, 'vectored read queued');
      assert(a.submit(v) === 1, 'vectored read submitted');
      return;
    }
    if (phase === 2) {
      // one aligned segment through prep with align: the same 3 pages read back in one piece
      assert(a.prep(v, 2, 0, fdv, mem.subarray(24 * 4096, 27 * 4096), 3 * 4096, 65536, 4096) === true, 'aligned prep queued');
      assert(a.submit(v) === 1, 'aligned prep submitted');
      return;
    }
    if (phase === 3) {
      // prepSpans: the same two segments as (offset, length) spans of one buffer, read back elsewhere
      mem.fill(0, 40 * 4096, 45 * 4096);
      const spans = new Float64Array([40 * 4096, 4096, 43 * 4096, 2 * 4096, 0, 0]);
      assert(a.prepSpans(v, 3, 0, fdv, mem, spans, 2, 65536, 4096) === true, 'spans read queued');
      assert(a.submit(v) === 1, 'spans read submitted');
      return;
    }
    assert(mem[40 * 4096] === 9 && mem[41 * 4096 - 1] === 9 && mem[43 * 4096] === 9 && mem[45 * 4096 - 1] === 9, 'spans read back');
    assert(mem[41 * 4096] === 0, 'gap between spans untouched');
    const sp = (...x) => new Float64Array(x);
    throws(() => a.prepSpans({}, 0, 0, fdv, mem, sp(0, 4096), 1, 0, 4096), 'prepSpans: bad handle');
    throws(() => a.prepSpans(v, 4, 0, fdv, mem, sp(0, 4096), 1, 0, 4096), 'prepSpans: slot out of range');
    throws(() => a.prepSpans(v, 0, 2, fdv, mem, sp(0, 4096), 1, 0, 4096), 'prepSpans: flush op');
    throws(() => a.prepSpans(v, 0, 0, fdv, new Float64Array(8), sp(0, 4096), 1, 0, 4096), 'prepSpans: base not a Uint8Array');
    throws(() => a.prepSpans(v, 0, 0, fdv, mem, new Uint32Array(2), 1, 0, 4096), 'prepSpans: spans not a Float64Array');
    throws(() => a.prepSpans(v, 0, 0, fdv, mem, sp(0, 4096), 2, 0, 4096), 'prepSpans: n past the spans');
    throws(() => a.prepSpans(v, 0, 0, fdv, mem, sp(0, 4096), -1, 0, 4096), 'prepSpans: negative n');
    throws(() => a.prepSpans(v, 0, 0, fdv, mem, sp(mem.length - 4096, 8192), 1, 0, 4096), 'prepSpans: span past the end of base');
    throws(() => a.prepSpans(v, 0, 0, fdv, mem, sp(mem.length + 4096, 4096), 1, 0, 4096), 'prepSpans: span starting past base');
    throws(() => a.prepSpans(v, 0, 0, fdv, mem, sp(-4096, 8192), 1, 0, 4096), 'prepSpans: negative offset');
    throws(() => a.prepSpans(v, 0, 0, fdv, mem, sp(NaN, 4096), 1, 0, 4096), 'prepSpans: NaN offset');
    throws(() => a.prepSpans(v, 0, 0, fdv, mem, sp(0.5, 4096), 1, 0, 4096), 'prepSpans: fractional offset');
    throws(() => a.prepSpans(v, 0, 0, fdv, mem.subarray(4096, 8192), sp(0, 8192), 1, 0, 4096), 'prepSpans: span past a sub-view base');
    throws(() => a.prepSpans(v, 0, 0, fdv, mem, sp(0, 4096), 1, 0, 3000), 'prepSpans: align not a power of two');
    assert(a.prepSpans(v, 0, 0, fdv, mem, sp(512, 4096), 1, 0, 4096) === false, 'prepSpans: misaligned address refused');
    assert(a.prepSpans(v, 0, 0, fdv, mem, sp(0, 1000), 1, 0, 4096) === false, 'prepSpans: misaligned length refused');
    assert(a.prepSpans(v, 0, 0, fdv, mem, sp(0, 0), 1, 0, 4096) === false, 'prepSpans: empty span refused');
    assert(a.prepSpans(v, 0, 0, fdv, mem, sp(), 0, 0, 4096) === false, 'prepSpans: no spans refused');
    assert(a.prepSpans(v, 0, 0, fdv, mem, new Float64Array(2 * 257).fill(4096), 257, 0, 4096) === false, 'prepSpans: too many spans refused');
    assert(mem[24 * 4096] === 9 && mem[27 * 4096 - 1] === 9, 'aligned prep read back');
    assert(mem[16 * 4096] === 9 && mem[16 * 4096 + 4095] === 9 && mem[19 * 4096] === 9 && mem[21 * 4096 - 1] === 9, 'vectored read back');
    assert(mem[17 * 4096] === 0, 'gap between segments untouched');
    throws(() => a.prepv({}, 0, 0, fdv, segs(0), 0, 4096), 'prepv: bad handle');
    throws(() => a.prepv(v, 4, 0, fdv, segs(0), 0, 4096), 'prepv: slot out of range');
    throws(() => a.prepv(v, 0, 2, fdv, segs(0), 0, 4096), 'prepv: flush op');
    throws(() => a.prepv(v, 0, 0, fdv, mem, 0, 4096), 'prepv: not an array');
    throws(() => a.prepv(v, 0, 0, fdv, [mem, new Float64Array(8)], 0, 4096), 'prepv: element not a Uint8Array');
    throws(() => a.prepv(v, 0, 0, fdv, segs(0), 0, 3000), 'prepv: align not a power of two');
    assert(a.prepv(v, 0, 0, fdv, [mem.subarray(512, 4608)], 0, 4096) === false, 'prepv: misaligned address refused');
    assert(a.prepv(v, 0, 0, fdv, [mem.subarray(0, 1000)], 0, 4096) === false, 'prepv: misaligned length refused');
    assert(a.prepv(v, 0, 0, fdv, Array.from({ length: 257 }, () => mem.subarray(0, 4096)), 0, 4096) === false, 'prepv: too many segments refused');
    assert(a.prepv(v, 0, 0, fdv, [], 0, 4096) === false, 'prepv: no segments refused');
    assert(a.prep(v, 0, 0, fdv, mem.subarray(512, 4608), 4096, 0, 4096) === false, 'prep with align: misaligned address refused');
    assert(a.prep(v, 0, 0, fdv, mem, 1000, 0, 4096) === false, 'prep with align: misaligned length refused');
    assert(a.prep(v, 0, 0, fdv, mem, 0, 0, 4096) === false, 'prep with align: empty refused');
    throws(() => a.prep(v, 0, 0, fdv, mem, 4096, 0, 3000), 'prep: align not a power of two');
    throws(() => a.prep(v, 0, 0, fdv, mem, 4096, 0, 'x'), 'prep: align not a number');
    a.close(v);
    throws(() => a.prepv(v, 0, 0, fdv, segs(0), 0, 4096), 'prepv after close');
    throws(() => a.prepSpans(v, 0, 0, fdv, mem, new Float64Array([0, 4096]), 1, 0, 4096), 'prepSpans after close');
    fs.closeSync(fdv);
    next();
  }, idsv, resv, mode);
  mem.fill(9, 0, 8 * 4096);
  assert(a.prepv(v, 0, 1, fdv, segs(0), 65536, 4096) === true, 'vectored write queued');
  assert(a.submit(v) === 1, 'vectored write submitted');
}

// mode 1: the pthread pool, writes then reads then a flush, then close with idle threads.
function threadsMode() {
  const ids2 = new Int32Array(8), res2 = new Int32Array(8);
  let got = 0;
  const p = a.open(8, (n) => {
    for (let i = 0; i < n; i++) assert(got + i >= 16 ? res2[i] === 262144 : res2[i] === (ids2[i] === 7 && got + i >= 8 ? 0 : 4096), 'threads result ' + res2[i]);
    got += n;
    if (got === 8) {
      for (let i = 0; i < 7; i++) a.prep(p, i, 0, fd2, mem.subarray(i * 4096), 4096, i * 4096);
      a.prep(p, 7, 2, fd2, mem, 0, 0);
      assert(a.submit(p) === 8, 'threads: submitted reads + flush');
    } else if (got === 16) {
      for (let i = 0; i < 7; i++) assert(mem[i * 4096] === 9, 'threads: read back');
      // Buffered writes of 256 KiB and more take turns on the file's stripe lock: three plain, one vectored, in flight at once.
      for (let i = 0; i < 4; i++) mem.fill(20 + i, i * 262144, (i + 1) * 262144);
      for (let i = 0; i < 3; i++) a.prep(p, i, 1, fd2, mem.subarray(i * 262144), 262144, i * 262144);
      assert(a.prepv(p, 3, 1, fd2, [mem.subarray(3 * 262144, 3 * 262144 + 131072), mem.subarray(3 * 262144 + 131072, 4 * 262144)], 3 * 262144, 4096) === true, 'threads: big vectored write queued');
      assert(a.submit(p) === 4, 'threads: submitted 4 big writes');
    } else if (got === 20) {
      const back = Buffer.alloc(1 << 20);
      assert(fs.readSync(fd2, back, 0, back.length, 0) === back.length, 'threads: big writes read back whole');
      for (let i = 0; i < 4; i++) assert(back[i * 262144] === 20 + i && back[(i + 1) * 262144 - 1] === 20 + i, 'threads: big write ' + i + ' landed');
      a.close(p);
      throws(() => a.submit(p), 'threads: submit after close');
      throws(() => a.open(8, () => {}, ids2, res2, 3), 'bad mode');
      throws(() => a.open(8, () => {}, ids2, res2, 1, 0), 'zero threads');
      fs.closeSync(fd2);
      if (${JSON.stringify(uring)}) ringMode();
      else console.log('linux-aio addon: all checks passed under AddressSanitizer');
    }
  }, ids2, res2, 1, 4);
  const fd2 = fs.openSync(file, fs.constants.O_RDWR);
  mem.fill(9, 0, 8 * 4096);
  throws(() => a.prep(h, 0, 2, fd2, mem, 0, 0), 'flush op on a linux-aio context');
  for (let i = 0; i < 8; i++) a.prep(p, i, 1, fd2, mem.subarray(i * 4096), 4096, i * 4096);
  assert(a.submit(p) === 8, 'threads: submitted 8 writes');
}

// mode 2: io_uring, writes then reads + a flush in one batch, misuse, double close.
function ringMode() {
  const ids3 = new Int32Array(8), res3 = new Int32Array(8);
  let got = 0;
  const fd3 = fs.openSync(file, fs.constants.O_RDWR);
  const q = a.open(8, (n) => {
    for (let i = 0; i < n; i++) assert(res3[i] === (ids3[i] === 7 && got + i >= 8 ? 0 : 4096), 'io_uring result ' + res3[i] + ' slot ' + ids3[i]);
    got += n;
    if (got === 8) {
      mem.fill(0, 0, 8 * 4096);
      for (let i = 0; i < 7; i++) a.prep(q, i, 0, fd3, mem.subarray(i * 4096), 4096, i * 4096);
      a.prep(q, 7, 2, fd3, mem, 0, 0);
      assert(a.submit(q) === 8, 'io_uring: submitted reads + flush');
    } else if (got === 16) {
      for (let i = 0; i < 7; i++) assert(mem[i * 4096] === 5, 'io_uring: read back');
      throws(() => a.prep(q, 8, 0, fd3, mem, 4096, 0), 'io_uring: slot out of range');
      throws(() => a.prep(q, 0, 7, fd3, mem, 4096, 0), 'io_uring: bad op');
      throws(() => a.prep(q, 0, 0, fd3, mem.subarray(0, 10), 4096, 0), 'io_uring: short buffer');
      a.close(q);
      a.close(q);
      throws(() => a.submit(q), 'io_uring: submit after close');
      fs.closeSync(fd3);
      console.log('linux-aio addon: all checks passed under AddressSanitizer (io_uring included)');
    }
  }, ids3, res3, 2);
  mem.fill(5, 0, 8 * 4096);
  for (let i = 0; i < 8; i++) a.prep(q, i, 1, fd3, mem.subarray(i * 4096), 4096, i * 4096);
  assert(a.submit(q) === 8, 'io_uring: submitted 8 writes');
}
` });
