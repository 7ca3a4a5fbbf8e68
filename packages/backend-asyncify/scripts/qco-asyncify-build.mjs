#!/usr/bin/env node
// qco-asyncify-build: a consumer's own C files (written against qco.h, with
// QCO_MAIN registering their functions) compiled together with qco's asyncify
// runtime into one wasm module, linked with wasi-libc. JavaScript loads it with
// useNativeFunctions({ wasm: <out> }) and runs its functions with nativeCall,
// as the native backends run the same files built as an addon.
//
// Like qco-build-addon, a failed build exits 0 after saying why and leaves the
// reason in <out>.failed (the backend reports it when the module is missing);
// --strict makes it fail.
//
//   qco-asyncify-build -o build/mine.wasm [-I dir]… [-D NAME[=value]]… [--strict] file.c…
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildAsyncifyModule } from './asyncify-build.mjs';

const usage = 'usage: qco-asyncify-build -o <out.wasm> [-I <dir>]... [-D <name[=value]>]... [--strict] <file.c>...';
const argv = process.argv.slice(2);
let out;
let strict = false;
const sources = [];
const includeDirs = [];
const defines = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const value = () => {
    const v = argv[++i];
    if (v === undefined) {
      console.error(`qco-asyncify-build: ${a} needs a value\n${usage}`);
      process.exit(2);
    }
    return v;
  };
  if (a === '-o') out = resolve(value());
  else if (a === '-I') includeDirs.push(resolve(value()));
  else if (a.startsWith('-I')) includeDirs.push(resolve(a.slice(2)));
  else if (a === '-D') defines.push(value());
  else if (a.startsWith('-D')) defines.push(a.slice(2));
  else if (a === '--strict') strict = true;
  else if (a.startsWith('-')) {
    console.error(`qco-asyncify-build: unknown option ${a}\n${usage}`);
    process.exit(2);
  } else sources.push(resolve(a));
}
if (out === undefined || sources.length === 0) {
  console.error(usage);
  process.exit(2);
}
const failed = `${out}.failed`;
try {
  mkdirSync(dirname(out), { recursive: true });
  rmSync(failed, { force: true });
  await buildAsyncifyModule({ sources, out, includeDirs, defines, libc: true, log: console.log });
} catch (err) {
  const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
  writeFileSync(failed, `${reason}\n`);
  console.error(`qco-asyncify-build: could not build ${out} (${reason}); on the asyncify backend its functions will not be available.`);
  if (strict) process.exitCode = 1;
}
