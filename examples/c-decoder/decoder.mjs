// The JavaScript face of the C decoder: load the C functions into whichever
// stackful backend runs (its addon for native-ucontext / sigaltstack, its wasm
// module for asyncify), and call them as coroutine_fns.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeCall, useNativeFunctions } from '@qco/core';
import { addonFile } from '@qco/native-common';

const here = dirname(fileURLToPath(import.meta.url));

/** Make the decoder's C functions runnable on the selected backend. */
export function loadDecoder() {
  useNativeFunctions({ addon: addonFile(here, 'qco_example_decoder'), wasm: join(here, 'wasm', 'qco-example-decoder.wasm') });
}

/** Decode hex text read from `fd` (until EOF) into `out`; returns the byte count (negative errno on bad input). */
export function* hexDecodeStream(fd, out) {
  return yield* nativeCall('hex_decode_stream', [fd, out]);
}

/** How often the last decode was suspended waiting for input. */
export function* decoderWaits() {
  return yield* nativeCall('decoder_waits', []);
}

/** The C library's text for the last decode's error ('' when it succeeded): the same on every backend, unlike errno numbers. */
export function* decoderError() {
  const text = new Uint8Array(256);
  const n = yield* nativeCall('decoder_error', [text]);
  return Buffer.from(text.subarray(0, n)).toString();
}
