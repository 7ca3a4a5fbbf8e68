/**
 * Faults with a real nfs-ganesha: the server is killed and restarted in the
 * middle of a write stream (pending calls are retransmitted with their xids
 * after the reconnect; acknowledged UNSTABLE writes are resent when COMMIT
 * shows a new write verifier), and even when the crash wiped what was not yet
 * committed, after the flush every acknowledged byte is in the export directory; the connection is cut under a read stream and the reads
 * still return the right bytes; and a dead server fails requests with EIO
 * within the client's timeout instead of hanging.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { BlockBackend, BlockError, NfsBlockDriverState, setNfsDriverTuning } from '../src/index.js';
import { endStarted, startGanesha, type GaneshaPeer } from '@qco/test-utils';

const MiB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let peer: GaneshaPeer;
beforeAll(async () => {
  peer = await startGanesha();
});
afterAll(async () => {
  setNfsDriverTuning({});
  await endStarted(peer);
});
afterEach(async () => {
  setNfsDriverTuning({});
  await peer.start(); // whatever a test did to the server, the next one finds it up
});

function chunk(i: number): Buffer {
  const b = Buffer.alloc(MiB);
  for (let k = 0; k < MiB; k += 4) b.writeUInt32LE((i * 0x9e3779b1 + k) >>> 0, k);
  return b;
}

describe('nfs faults', () => {
  test('server killed and restarted during a write stream: after COMMIT every acknowledged byte is on disk', async () => {
    const N = 48;
    const path = join(peer.exportDir, 'restart.img');
    writeFileSync(path, '');
    truncateSync(path, N * MiB);
    setNfsDriverTuning({ timeoutMs: 30_000 });
    const blk = await BlockBackend.open(peer.url('restart.img'), { format: 'nfs' });
    const bs = blk.bs as NfsBlockDriverState;
    const acked = new Set<number>();
    let killed = false;
    // Four writers, each with its own stripe, so several writes are in flight when the server dies.
    const writers = [0, 1, 2, 3].map(async (w) => {
      for (let i = w; i < N; i += 4) {
        await blk.pwrite(i * MiB, chunk(i));
        acked.add(i);
        if (!killed && acked.size >= 12) {
          killed = true;
          await peer.kill('SIGKILL');
          // Make the crash lose what it may lose: the acknowledged but uncommitted
          // writes vanish from the disk while the server is down.
          const fd = openSync(path, 'r+');
          for (const i of acked) writeSync(fd, Buffer.alloc(MiB), 0, MiB, i * MiB);
          closeSync(fd);
          // ganesha's write verifier is its boot time in whole seconds: restart in a later second.
          await sleep(1100);
          await peer.start();
        }
      }
    });
    await Promise.all(writers);
    expect(killed).toBe(true);
    expect(acked.size).toBe(N);
    await blk.flush();
    expect(bs.file.pendingCommitBytes).toBe(0);
    // The connection was re-established, and COMMIT after the restart saw a new verifier.
    expect(bs.file.client.connects).toBeGreaterThanOrEqual(2);
    expect(bs.file.stats.verifierChanges).toBeGreaterThanOrEqual(1);
    expect(bs.file.stats.resentWrites).toBeGreaterThanOrEqual(12);
    await blk.close();
    const disk = readFileSync(path);
    for (const i of acked) expect(sha(disk.subarray(i * MiB, (i + 1) * MiB)), `chunk ${i}`).toBe(sha(chunk(i)));
  });

  test('the connection cut under a read stream: reads are retried and return the right bytes', async () => {
    const data = Buffer.concat(Array.from({ length: 32 }, (_, i) => chunk(i + 100)));
    writeFileSync(join(peer.exportDir, 'cut.img'), data);
    const blk = await BlockBackend.open(peer.url('cut.img'), { readOnly: true, format: 'nfs' });
    const bs = blk.bs as NfsBlockDriverState;
    const reads = Array.from({ length: 8 }, (_, i) => blk.pread(i * 4 * MiB, 4 * MiB));
    setImmediate(() => bs.file.client.breakConnection());
    const back = Buffer.concat(await Promise.all(reads));
    expect(sha(back)).toBe(sha(data));
    expect(bs.file.client.connects).toBeGreaterThanOrEqual(2);
    await blk.close();
  });

  test('a dead server gives EIO within the timeout', async () => {
    writeFileSync(join(peer.exportDir, 'dead.img'), Buffer.alloc(MiB));
    setNfsDriverTuning({ timeoutMs: 1500 });
    const blk = await BlockBackend.open(peer.url('dead.img'));
    await peer.kill('SIGKILL');
    const errors = await Promise.all([blk.pwrite(0, Buffer.alloc(4096, 1)).catch((e: unknown) => e), blk.pread(0, 4096).catch((e: unknown) => e)]);
    for (const err of errors) {
      expect(err).toBeInstanceOf(BlockError);
      expect((err as BlockError).errno).toBe(5);
    }
    await blk.close().catch(() => {});
  });
});
