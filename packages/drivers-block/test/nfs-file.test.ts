/**
 * The NFSv3 file layer against a real nfs-ganesha: open/create, chunked reads
 * and writes with many calls in flight, COMMIT, truncate, and the bytes on the
 * exported directory's disk.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coroutineRun } from '@qco/core';
import { NfsOpenError } from '../src/drivers/nfs/errors.js';
import { NfsFile } from '../src/drivers/nfs/nfs-file.js';
import { endStarted, seededBytes, startGanesha, type GaneshaPeer } from '@qco/test-utils';

let peer: GaneshaPeer;
beforeAll(async () => {
  peer = await startGanesha();
});
afterAll(async () => {
  await endStarted(peer);
});

describe('NfsFile', () => {
  it('reads a file written on the export, in chunks with many calls in flight', async () => {
    const data = seededBytes(5 * 1024 * 1024 + 123, 7);
    writeFileSync(join(peer.exportDir, 'r.img'), data);
    const f = await coroutineRun(() => NfsFile.open({ host: '127.0.0.1', path: `${peer.exportDir}/r.img`, maxTransfer: 256 * 1024 }));
    expect(f.size).toBe(data.length);
    const got = new Uint8Array(data.length + 1000);
    got.fill(0xaa);
    await coroutineRun(() => f.pread(0, got));
    expect(Buffer.from(got.subarray(0, data.length)).equals(Buffer.from(data))).toBe(true);
    expect(got.subarray(data.length).every((v) => v === 0)).toBe(true);
    // Every full-size READ reply went straight into `got`, mostly read there by the socket itself.
    expect(f.client.inPlaceReplies).toBe(Math.floor(data.length / (256 * 1024)));
    expect(f.client.bytesReadInPlace).toBeGreaterThan(data.length / 2);
    await coroutineRun(() => f.close());
  });

  it('creates, writes UNSTABLE, commits, and the bytes are on disk', async () => {
    const data = seededBytes(3 * 1024 * 1024 + 5, 9);
    const f = await coroutineRun(() => NfsFile.open({ host: '127.0.0.1', path: `${peer.exportDir}/w.img`, create: true }));
    await coroutineRun(() => f.pwrite(4096, data));
    expect(f.pendingCommitBytes).toBeGreaterThan(0);
    await coroutineRun(() => f.flush());
    expect(f.pendingCommitBytes).toBe(0);
    expect(f.stats.commits).toBe(1);
    const disk = readFileSync(join(peer.exportDir, 'w.img'));
    expect(disk.length).toBe(4096 + data.length);
    expect(disk.subarray(4096).equals(Buffer.from(data))).toBe(true);
    await coroutineRun(() => f.truncate(1000));
    expect(readFileSync(join(peer.exportDir, 'w.img')).length).toBe(1000);
    await coroutineRun(() => f.close());
  });

  it('without keepUncommitted (cache.no-flush) writes keep no copy and send no COMMIT, and the bytes reach the server', async () => {
    const data = seededBytes(2 * 1024 * 1024 + 77, 11);
    const f = await coroutineRun(() => NfsFile.open({ host: '127.0.0.1', path: `${peer.exportDir}/u.img`, create: true, keepUncommitted: false }));
    await coroutineRun(() => f.pwrite(0, data));
    expect(f.pendingCommitBytes).toBe(0);
    await coroutineRun(() => f.close());
    expect(f.stats.commits).toBe(0);
    expect(readFileSync(join(peer.exportDir, 'u.img')).equals(Buffer.from(data))).toBe(true);
  });

  it('names the failing step with QEMU wording', async () => {
    await expect(coroutineRun(() => NfsFile.open({ host: '127.0.0.1', path: `${peer.exportDir}/nofile.img` }))).rejects.toThrow(
      'Failed to open file : open call failed with "NFS: Lookup of /nofile.img failed with NFS3ERR_NOENT(-2)"',
    );
    const err = await coroutineRun(() => NfsFile.open({ host: '127.0.0.1', path: '/no/such/export/a.img' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NfsOpenError);
    expect((err as Error).message).toMatch(/^Failed to mount nfs share: mount_cb: RPC error: Mount failed with error MNT3ERR_/);
  });
});
