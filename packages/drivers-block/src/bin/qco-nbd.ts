#!/usr/bin/env node
/** qco-nbd's executable; the libuv pool is sized before anything loads, as for qco-img. */
process.env['UV_THREADPOOL_SIZE'] ??= '64';

import { useCompileCache } from './compile-cache.js';

useCompileCache(import.meta.url, process.argv.slice(2));

import('../tools/qco-nbd.js').then(
  async ({ qcoNbdMain }) => {
    process.exitCode = await qcoNbdMain(process.argv.slice(2));
  },
  (err: unknown) => {
    process.stderr.write(`qco-nbd: ${(err instanceof Error ? err.stack : undefined) ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
