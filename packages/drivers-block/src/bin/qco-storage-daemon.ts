#!/usr/bin/env node
/**
 * qco-storage-daemon's executable. UV_THREADPOOL_SIZE is read once by libuv,
 * so it is set before anything is loaded (as for qco-io).
 */
process.env['UV_THREADPOOL_SIZE'] ??= '64';

import { useCompileCache } from './compile-cache.js';

useCompileCache(import.meta.url, process.argv.slice(2));

import('../tools/qco-storage-daemon.js').then(
  async ({ qcoStorageDaemonMain }) => {
    process.exitCode = await qcoStorageDaemonMain(process.argv.slice(2));
  },
  (err: unknown) => {
    process.stderr.write(`qco-storage-daemon: ${(err instanceof Error ? err.stack : undefined) ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
