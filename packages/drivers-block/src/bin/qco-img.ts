#!/usr/bin/env node
/**
 * qco-img's executable. libuv reads UV_THREADPOOL_SIZE once, when its thread
 * pool first starts, so it is set here before anything is loaded (the file
 * driver's requests run on that pool; 64 threads, QEMU's pool maximum), and
 * the tool itself is loaded afterwards.
 */
process.env['UV_THREADPOOL_SIZE'] ??= '64';

import { createRequire } from 'node:module';
import { useCompileCache } from './compile-cache.js';

// A bulk copy issues a few hundred large requests and ends: V8's optimising
// compiler would spend more CPU compiling its hot functions than the run has
// left to win back, and on a busy machine that CPU is wall time. Four times
// V8's default interrupt budget keeps such a run in the baseline tiers
// (measured on a 1 GiB nbd:// convert: 0.96 of the wall time, 0.88 of the
// CPU). Long loops of small requests (bench) keep the default. node:v8 is
// loaded only then: it takes 1.6 ms, half of what `--version` costs above Node.
const BULK_COMMANDS = new Set(['convert', 'dd', 'compare', 'commit', 'rebase']);
const v8Flags = BULK_COMMANDS.has(process.argv[2] ?? '') ? `--interrupt-budget=${4 * 67584}` : '';
if (v8Flags) (createRequire(import.meta.url)('node:v8') as typeof import('node:v8')).setFlagsFromString(v8Flags);
useCompileCache(import.meta.url, process.argv.slice(2), v8Flags);

import('../tools/qco-img.js').then(
  async ({ qcoImgMain }) => {
    process.exitCode = await qcoImgMain(process.argv.slice(2));
  },
  (err: unknown) => {
    process.stderr.write(`qco-img: ${(err instanceof Error ? err.stack : undefined) ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
