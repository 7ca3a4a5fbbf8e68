#!/usr/bin/env node
/** qco-io's executable: run the tool on this process's arguments and exit with its status. */
import { qcoIoMain } from '../cli/qco-io.js';

qcoIoMain(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`qco-io: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
