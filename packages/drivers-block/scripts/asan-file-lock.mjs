#!/usr/bin/env node
// Drive the file-lock addon built under AddressSanitizer (by qco-asan, which runs
// this script) from node with libasan preloaded:
// locks taken, seen from a second open file description, released, and every
// kind of misuse the addon must refuse without crashing (missing, non-number,
// negative, fractional and huge arguments, bad kinds, closed descriptors).
// Exit status 0 only when all of it ran clean.
import { join } from 'node:path';
import { asanScratchDir, runAsanExercise } from '@qco/native-common/asan-exercise';

const out = asanScratchDir();

runAsanExercise({ target: 'qco_file_lock', name: 'exercise-file-lock.cjs', body: `
const fs = require('node:fs');
const file = ${JSON.stringify(join(out, 'lock.img'))};
fs.writeFileSync(file, Buffer.alloc(4096));
const fd1 = fs.openSync(file, 'r+');
const fd2 = fs.openSync(file, 'r');
assert(a.available(fd1) === true, 'OFD locks available');
assert(a.setLock(fd1, 100, 1, 1) === 0, 'read lock on byte 100');
assert(a.testLock(fd2, 100, 1, 1) === -11, 'exclusive test sees the read lock from another description');
assert(a.testLock(fd2, 100, 1, 0) === 0, 'shared test does not conflict with a read lock');
assert(a.testLock(fd1, 100, 1, 1) === 0, 'own description never conflicts');
assert(a.testLock(fd2, 101, 1, 1) === 0, 'neighbouring byte is free');
assert(a.setLock(fd2, 100, 1, 2) === -9, 'a write lock needs a descriptor open for writing (EBADF)');
const fd3 = fs.openSync(file, 'r+');
{ const r = a.setLock(fd3, 100, 1, 2); assert(r === -11 || r === -13, 'write lock refused while a read lock is held elsewhere: ' + r); }
fs.closeSync(fd3);
assert(a.setLock(fd1, 100, 1, 0) === 0, 'unlock');
assert(a.testLock(fd2, 100, 1, 1) === 0, 'free after unlock');
assert(a.setLock(fd1, 200, 16, 2) === 0, 'write lock over a range');
assert(a.testLock(fd2, 207, 1, 0) === -11, 'shared test conflicts with a write lock');
// misuse: refused with a JS exception or -errno, never a crash
throws(() => a.setLock(), 'no arguments');
throws(() => a.setLock(fd1), 'missing arguments');
throws(() => a.setLock('3', 0, 1, 1), 'fd not a number');
throws(() => a.setLock(fd1, -1, 1, 1), 'negative start');
throws(() => a.setLock(fd1, 0.5, 1, 1), 'fractional start');
throws(() => a.setLock(fd1, 2 ** 60, 1, 1), 'start beyond 2^53');
throws(() => a.setLock(fd1, NaN, 1, 1), 'NaN start');
throws(() => a.setLock(fd1, 0, Infinity, 1), 'infinite length');
throws(() => a.setLock(fd1, 0, 1, 3), 'bad kind');
throws(() => a.setLock(-1, 0, 1, 1), 'negative fd');
throws(() => a.testLock(fd1, 0, 1, 2), 'bad exclusive flag');
throws(() => a.testLock({}, 0, 1, 1), 'object fd');
throws(() => a.available(), 'available without fd');
assert(a.setLock(987654, 0, 1, 1) === -9, 'EBADF for a descriptor that is not open');
assert(a.testLock(987654, 0, 1, 1) === -9, 'EBADF on test');
assert(a.available(987654) === true, 'available on a bad fd is not an EINVAL');
fs.closeSync(fd1);
assert(a.testLock(fd2, 200, 1, 1) === 0, 'closing the description drops its locks');
fs.closeSync(fd2);
console.log('file-lock addon: all checks passed under AddressSanitizer');
` });
