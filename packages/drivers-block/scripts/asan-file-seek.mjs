#!/usr/bin/env node
// Drive the file-seek addon built under AddressSanitizer (by qco-asan, which runs
// this script) from node with libasan preloaded: data and holes found in a
// sparse file, the end of the file as the last hole, ENXIO past the end, and
// every kind of misuse the addon must refuse without crashing.
// Exit status 0 only when all of it ran clean.
import { join } from 'node:path';
import { asanScratchDir, runAsanExercise } from '@qco/native-common/asan-exercise';

const out = asanScratchDir();

runAsanExercise({ target: 'qco_file_seek', name: 'exercise-file-seek.cjs', body: `
const fs = require('node:fs');
const file = ${JSON.stringify(join(out, 'sparse.img'))};
const M = 1 << 20;
fs.writeFileSync(file, '');
const fd = fs.openSync(file, 'r+');
fs.ftruncateSync(fd, 8 * M);
fs.writeSync(fd, Buffer.alloc(M, 1), 0, M, 2 * M);
const d = a.seekData(fd, 0);
// A file system without SEEK_DATA reports all data (0); others find the write at 2 MiB.
assert(d === 0 || d === 2 * M, 'first data: ' + d);
if (d === 2 * M) {
  assert(a.seekHole(fd, 2 * M) === 3 * M, 'hole after the data');
  assert(a.seekData(fd, 3 * M) === -6, 'no data after 3 MiB (ENXIO)');
}
assert(a.seekHole(fd, 7 * M) === 8 * M || a.seekHole(fd, 7 * M) === 7 * M, 'the end counts as a hole');
assert(a.seekData(fd, 9 * M) === -6, 'ENXIO past the end');
assert(a.seekHole(fd, 9 * M) === -6, 'ENXIO past the end (hole)');
throws(() => a.seekData(), 'no arguments');
throws(() => a.seekData(fd), 'missing offset');
throws(() => a.seekData('3', 0), 'fd not a number');
throws(() => a.seekHole(fd, -1), 'negative offset');
throws(() => a.seekHole(fd, 0.5), 'fractional offset');
throws(() => a.seekHole(fd, 2 ** 60), 'offset beyond 2^53');
throws(() => a.seekHole(fd, NaN), 'NaN offset');
throws(() => a.seekHole(-1, 0), 'negative fd');
assert(a.seekData(987654, 0) === -9, 'EBADF for a descriptor that is not open');
fs.closeSync(fd);
console.log('file-seek addon: all checks passed under AddressSanitizer');
` });
