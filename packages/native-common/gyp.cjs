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
// The public qco.h is the contract's C face, shared with the asyncify toolchain.
const include = path.join(path.dirname(require.resolve('@qco/backend-api/package.json')), 'include');
// The C conformance suite is @qco/conformance's, compiled by both toolchains; only test builds need it,
// and they run where the backend package (the directory gyp runs in) has it as a devDependency.
function suiteDir() {
  const { createRequire } = require('node:module');
  for (const from of [path.join(process.cwd(), 'package.json'), __filename]) {
    try {
      return path.join(path.dirname(createRequire(from).resolve('@qco/conformance/package.json')), 'csrc');
    } catch {
      // try the next place
    }
  }
  throw new Error('@qco/native-common: test builds need @qco/conformance (its csrc/native-suite.c) installed beside the backend');
}
const rel = (f) => path.relative(process.cwd(), f);
const runtime = ['stack.c', 'coroutine.c', 'functions.c', 'addon.cc'];
const testOnly = ['routines.c', 'native-perf.c'];
// Resolved only for test builds, and without throwing: other addons' test builds (threads, drivers-block)
// read this file for their flags and need no suite; a native backend without it fails to compile, naming it.
const suite = testBuild ? trySuiteDir() : '';
function trySuiteDir() {
  try {
    return suiteDir();
  } catch {
    return 'missing-@qco/conformance/csrc';
  }
}

/** Shared C sources of both native backends for this variant (the start method is the backend's own). */
exports.sources = [...runtime.map((f) => path.join(csrc, f)), ...(testBuild ? [...testOnly.map((f) => path.join(csrc, f)), path.join(suite, 'native-suite.c')] : [])].map(rel).join(' ');
/** Include directories: the public qco.h, the shared internals (and the suite's header in test builds), node-addon-api. */
exports.include = [rel(include), rel(csrc), ...(testBuild ? [rel(suite)] : []), rel(require('node-addon-api').include_dir.replace(/^"|"$/g, ''))].join(' ');
/** Preprocessor definitions for this variant. */
exports.defines = testBuild ? 'QCO_TEST_BUILD' : '';
/** Extra compiler flags for this variant (any addon: C and C++). */
exports.cflags = variant === 'asan' ? '-fsanitize=address,undefined -fno-omit-frame-pointer -g' : '';
/** Extra linker flags for this variant. */
exports.ldflags = variant === 'asan' ? '-fsanitize=address,undefined' : '';
/** Sources of the AddressSanitizer program (asan-main.c, the C runtime, test sources and the C suite), absolute. */
exports.asanSources = () => [...['stack.c', 'coroutine.c', 'functions.c', 'routines.c', 'native-perf.c', 'asan-main.c'].map((f) => path.join(csrc, f)), path.join(suiteDir(), 'native-suite.c')];
/** Absolute path of the C conformance suite's directory (its qco-suite.h), for the AddressSanitizer program. */
exports.suiteDir = suiteDir;
/** Absolute path of the shared C sources. */
exports.csrc = csrc;
/** Absolute path of the public C API (qco.h): a consumer's addon adds it to its include_dirs. */
exports.includeDir = include;
