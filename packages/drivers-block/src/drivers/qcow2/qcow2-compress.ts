/**
 * Compressed clusters with zlib (qcow2's compression type 0: raw deflate,
 * 4 KiB window, as QEMU writes it), from node:zlib. Both directions run on
 * libuv's thread pool, like QEMU's qcow2_co_compress on its thread pool, so
 * `convert -c -m N` compresses N clusters at once. Output is bounded to one
 * cluster: a hostile image cannot make us inflate without limit.
 */
import type { Co } from '@qco/core';
import { coWaitFor } from '@qco/core';
import { Qcow2Error } from './qcow2-errors.js';

/** Inflate compressed cluster data into exactly `clusterSize` bytes. */
export function* inflateCluster(data: Uint8Array, clusterSize: number, what: string): Co<Uint8Array> {
  let out: Buffer;
  try {
    // node:zlib loads with the first compressed cluster, not with the package face.
    const { inflateRaw, constants } = process.getBuiltinModule('node:zlib');
    out = yield* coWaitFor<Buffer>((done) => inflateRaw(data, { maxOutputLength: clusterSize, finishFlush: constants.Z_SYNC_FLUSH }, done));
  } catch (err) {
    throw new Qcow2Error(`Could not decompress cluster of ${what}: ${(err as Error).message}`, 'EIO');
  }
  // Like QEMU, a stream that does not fill the whole cluster is an error.
  if (out.length < clusterSize) throw new Qcow2Error(`Could not decompress cluster of ${what}: data too short`, 'EIO');
  return new Uint8Array(out.buffer, out.byteOffset, clusterSize);
}

/** Deflate one cluster; undefined when compressing would not save space (QEMU then writes it uncompressed). */
export function* deflateCluster(data: Uint8Array, clusterSize: number): Co<Uint8Array | undefined> {
  const { deflateRaw, constants } = process.getBuiltinModule('node:zlib');
  const out = yield* coWaitFor<Buffer>((done) => deflateRaw(data, { windowBits: 12, level: constants.Z_DEFAULT_COMPRESSION, memLevel: 9 }, done));
  if (out.length > clusterSize - 1) return undefined;
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
