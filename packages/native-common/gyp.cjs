// What a qco addon's binding.gyp takes from here, by build variant
// (QCO_ADDON_VARIANT, set by scripts/build-addon.cjs): release is what users
// load; test and asan add the C test suite, the demo C functions and the perf
// loops (QCO_TEST_BUILD), asan adds AddressSanitizer. Paths are relative to the
// directory gyp runs the command in (the binding.gyp's), because gyp's make
// generator places object files by source path.
const path = require('node:path');

const variant = process.env.QCO_ADDON_VARIANT || 'release';
const testBuild = variant === 'test' || variant === 'asan';
const csrc = path.join(__dirname, 'csrc');
const include = path.join(__dirname, 'include');
const rel = (f) => path.relative(process.cwd(), f);
const runtime = ['stack.c', 'coroutine.c', 'functions.c', 'addon.cc'];
const testOnly = ['routines.c', 'native-suite.c'];

/** Shared C sources of both native backends for this variant (the start method is the backend's own). */
exports.sources = [...runtime, ...(testBuild ? testOnly : [])].map((f) => rel(path.join(csrc, f))).join(' ');
/** Include directories: the public qco.h, the shared internals and node-addon-api. */
exports.include = [rel(include), rel(csrc), rel(require('node-addon-api').include_dir.replace(/^"|"$/g, ''))].join(' ');
/** Preprocessor definitions for this variant. */
exports.defines = testBuild ? 'QCO_TEST_BUILD' : '';
/** Extra compiler flags for this variant (any addon: C and C++). */
exports.cflags = variant === 'asan' ? '-fsanitize=address,undefined -fno-omit-frame-pointer -g' : '';
/** Extra linker flags for this variant. */
exports.ldflags = variant === 'asan' ? '-fsanitize=address,undefined' : '';
/** Sources of the AddressSanitizer program (asan-main.c + the C runtime and test sources), absolute. */
exports.asanSources = ['stack.c', 'coroutine.c', 'functions.c', 'routines.c', 'native-suite.c', 'asan-main.c'].map((f) => path.join(csrc, f));
/** Absolute path of the shared C sources. */
exports.csrc = csrc;
/** Absolute path of the public C API (qco.h): a consumer's addon adds it to its include_dirs. */
exports.includeDir = include;
