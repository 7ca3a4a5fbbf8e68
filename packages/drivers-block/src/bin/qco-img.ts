#!/usr/bin/env node
/** qco-img's executable: run the tool on this process's arguments and exit with its status. */
import { qcoImgMain } from '../cli/qco-img.js';

qcoImgMain(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`qco-img: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
