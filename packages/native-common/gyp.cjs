// What a backend's binding.gyp needs from the shared native sources. Paths are
// relative to the directory gyp runs the command in (the binding.gyp's), because
// gyp's make generator places object files by source path.
const path = require('node:path');

const csrc = path.join(__dirname, 'csrc');
const rel = (f) => path.relative(process.cwd(), f);
const common = ['stack.c', 'coroutine.c', 'routines.c', 'native-suite.c', 'addon.cc'];

/** Shared C sources of both native backends (the start method is the backend's own). */
exports.sources = common.map((f) => rel(path.join(csrc, f))).join(' ');
/** Include directories: the shared headers and node-addon-api. */
exports.include = [rel(csrc), rel(require('node-addon-api').include_dir.replace(/^"|"$/g, ''))].join(' ');
/** Sources of the AddressSanitizer program (asan-main.c + the C part of the above), absolute. */
exports.asanSources = ['stack.c', 'coroutine.c', 'routines.c', 'native-suite.c', 'asan-main.c'].map((f) => path.join(csrc, f));
exports.csrc = csrc;
