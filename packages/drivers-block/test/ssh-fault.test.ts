/**
 * Faults: sshd killed in the middle of a transfer, and a server that goes
 * silent without closing the connection. Pending requests must fail with -EIO
 * (never hang, never report success for bytes the server did not acknowledge),
 * later requests on the dead node fail too, and after sshd is back a new open
 * works and everything acknowledged before the fault reads back intact.
 */
import { createHash } from 'node:crypto';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BlockBackend, BlockError, setSshDriverTuning } from '../src/index.js';
import { endStarted, startSshd, type SshdPeer } from '@qco/test-utils';

const MiB = 1024 * 1024;
/** If pending requests have not failed by then, they hang: a behaviour failure, not a timing one. */
const HANG_LIMIT_MS = 20_000;

let peer: SshdPeer;
beforeAll(async () => {
  peer = await startSshd();
});
afterAll(async () => {
  setSshDriverTuning({});
  await endStarted(peer);
});

const spec = (name: string): string => peer.url(join(peer.dataDir, name), `?host_key_check=sha256:${peer.hostKeyHash()}`);
const open = (name: string): Promise<BlockBackend> => BlockBackend.open(spec(name), { options: { 'identity-file': peer.clientKeyPath } });

/** Deterministic content of MiB number `i`. */
function block(i: number): Buffer {
  const b = Buffer.alloc(MiB);
  let h = createHash('sha256').update(`block ${i}`).digest();
  for (let at = 0; at < MiB; at += 32) {
    h.copy(b, at);
    if ((at & 4095) === 0) h = createHash('sha256').update(h).digest();
  }
  return b;
}

type Outcome = { ok: true } | { ok: false; err: unknown };

function settleWithin(promises: Promise<unknown>[], what: string): Promise<Outcome[]> {
  const settled = Promise.all(promises.map((p) => p.then((): Outcome => ({ ok: true }), (err: unknown): Outcome => ({ ok: false, err }))));
  return Promise.race([
    settled,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: requests still pending after ${HANG_LIMIT_MS} ms (hang)`)), HANG_LIMIT_MS).unref()),
  ]);
}

function expectEio(o: Outcome): void {
  expect(o.ok).toBe(false);
  if (!o.ok) {
    expect(o.err).toBeInstanceOf(BlockError);
    expect((o.err as BlockError).errno).toBe(5);
  }
}

test('sshd killed mid-write: pending writes fail with EIO, acknowledged data survives, a new open reconnects', async () => {
  const name = 'fault-write.img';
  const total = 128;
  writeFileSync(join(peer.dataDir, name), '');
  truncateSync(join(peer.dataDir, name), total * MiB);
  const blk = await open(name);

  const acked = new Set<number>();
  const outcomes: Promise<unknown>[] = [];
  let pendingAtKill = -1;
  // Set inside the completions (a holder, so the check below is not narrowed to its initial null).
  const kill: { killed: Promise<void> | null } = { killed: null };
  let next = 0;
  let inFlight = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (inFlight < 8 && next < total && kill.killed === null) {
        const i = next++;
        inFlight++;
        const p = blk.pwrite(i * MiB, block(i));
        outcomes.push(p);
        p.then(
          () => {
            inFlight--;
            acked.add(i);
            if (acked.size >= 16 && kill.killed === null) {
              pendingAtKill = inFlight;
              kill.killed = peer.kill('SIGKILL');
              resolve();
            }
            pump();
          },
          () => {
            inFlight--;
          },
        );
      }
    };
    pump();
  });
  expect(pendingAtKill).toBeGreaterThan(0);
  await kill.killed;
  const results = await settleWithin(outcomes, 'writes after the kill');
  const failed = results.filter((r) => !r.ok);
  expect(failed.length).toBeGreaterThan(0);
  failed.forEach(expectEio);
  // Every write reported successful is one we saw acknowledged, and no other.
  expect(results.filter((r) => r.ok).length).toBe(acked.size);

  // The node is dead: new requests fail at once with EIO.
  expectEio((await settleWithin([blk.pwrite(0, Buffer.alloc(4096)), blk.pread(0, 4096)], 'requests on a dead node'))[0]);
  await blk.close();

  await peer.start();
  const again = await open(name);
  for (const i of acked) {
    const back = Buffer.from(await again.pread(i * MiB, MiB));
    expect(back.equals(block(i)), `MiB ${i} was acknowledged and must read back intact`).toBe(true);
  }
  await again.close();
});

test('sshd killed mid-read: pending reads fail with EIO', async () => {
  const name = 'fault-read.img';
  writeFileSync(join(peer.dataDir, name), '');
  truncateSync(join(peer.dataDir, name), 256 * MiB);
  const blk = await open(name);
  const reads: Promise<Uint8Array>[] = [];
  for (let off = 0; off < 256 * MiB; off += 4 * MiB) {
    const p = blk.pread(off, 4 * MiB);
    // Looked at after the kill; until then, keep Node from calling the rejection unhandled.
    p.catch(() => {});
    reads.push(p);
  }
  await reads[0];
  await peer.kill('SIGKILL');
  const results = await settleWithin(reads, 'reads after the kill');
  const failed = results.filter((r) => !r.ok);
  expect(failed.length).toBeGreaterThan(0);
  failed.forEach(expectEio);
  await blk.close();
  await peer.start();
  const again = await open(name);
  expect(await again.getLength()).toBe(256 * MiB);
  await again.close();
});

test('a server that goes silent: keepalive declares it dead and pending requests fail with EIO', async () => {
  setSshDriverTuning({ keepaliveInterval: 300, keepaliveCountMax: 2 });
  const name = 'fault-silent.img';
  writeFileSync(join(peer.dataDir, name), Buffer.alloc(8 * MiB));
  const blk = await open(name);
  const resume = peer.freeze();
  try {
    const reqs = [blk.pread(0, 4 * MiB), blk.pwrite(4 * MiB, Buffer.alloc(4 * MiB, 1))];
    const results = await settleWithin(reqs, 'requests to a frozen server');
    results.forEach(expectEio);
  } finally {
    resume();
    setSshDriverTuning({});
  }
  await blk.close();
  // The old connection is gone for good; a new open works.
  const again = await open(name);
  expect(await again.getLength()).toBe(8 * MiB);
  await again.close();
});
