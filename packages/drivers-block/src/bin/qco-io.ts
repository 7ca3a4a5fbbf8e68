#!/usr/bin/env node
/**
 * qco-io's executable. libuv reads UV_THREADPOOL_SIZE once, when its thread
 * pool first starts, so it is set here before anything is loaded (the file
 * driver's requests run on that pool; 64 threads, QEMU's pool maximum), and
 * the tool itself is loaded afterwards.
 */
process.env['UV_THREADPOOL_SIZE'] ??= '64';

import { useCompileCache } from './compile-cache.js';

useCompileCache(import.meta.url, process.argv.slice(2));

import('../tools/qco-io.js').then(
  async ({ qcoIoMain }) => {
    process.exitCode = await qcoIoMain(process.argv.slice(2));
  },
  (err: unknown) => {
    process.stderr.write(`qco-io: ${(err instanceof Error ? err.stack : undefined) ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
