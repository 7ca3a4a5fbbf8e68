#!/usr/bin/env node
// qco-example-decode: decode hex text from stdin (a pipe) to stdout, in C, on the
// selected stackful backend. Says on stderr which backend it runs on (before it
// reads anything) and, at the end, how often the parse waited for input.
import { coroutineBackendInfo, coroutineCreate, coroutineEnter } from '@qco/core';
import { decoderError, decoderWaits, hexDecodeStream, loadDecoder } from './decoder.mjs';

loadDecoder();
process.stderr.write(`decoding on ${coroutineBackendInfo().name}\n`);
const out = new Uint8Array(Number(process.env.DECODE_MAX ?? 1 << 20));
const done = new Promise((resolve, reject) => {
  coroutineEnter(
    coroutineCreate(function* () {
      try {
        const n = yield* hexDecodeStream(0, out);
        resolve({ n, waits: yield* decoderWaits(), error: n < 0 ? yield* decoderError() : '' });
      } catch (err) {
        reject(err);
      }
    }),
  );
});
const { n, waits, error } = await done;
process.stderr.write(`waits=${waits}\n`);
if (n < 0) {
  process.stderr.write(`decode failed: ${error}\n`);
  process.exit(1);
}
process.stdout.write(out.subarray(0, n));
