/**
 * Prompt acknowledgements in the NBD client's handshake: the qco_tcp_quickack
 * addon is built on Linux and sets TCP_QUICKACK on a TCP socket only, and the
 * handshake with qemu-nbd over TCP asks for it whenever part of an option
 * reply is still to come (qemu-nbd 7.2 writes reply headers and payloads
 * separately without TCP_NODELAY, so each later piece waits for our ACK).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coroutineRun } from '@qco/core';
import { loadAddon } from '@qco/native-common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemuNbd, type NbdPeer } from '@qco/test-utils';
import { clientHandshake } from '../src/drivers/nbd/nbd-client-handshake.js';
import { NbdStream } from '../src/nbd/stream.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
let dir = '';
let peer: NbdPeer | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qco-quickack-'));
});
afterAll(async () => {
  await peer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function connected(opts: { port: number } | { path: string }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = 'path' in opts ? connect(opts.path) : connect(opts.port, '127.0.0.1');
    s.once('connect', () => resolve(s)).once('error', reject);
  });
}

const fdOf = (s: Socket): number => (s as unknown as { _handle: { fd: number } })._handle.fd;

describe('tcp-quickack', () => {
  it('the addon is built and takes TCP_QUICKACK on a TCP socket, refusing a unix socket', async () => {
    const l = loadAddon<{ quickAck(fd: number): number }>(pkg, 'qco_tcp_quickack');
    expect('reason' in l ? l.reason : '').toBe('');
    const a = l.addon;
    if (a === null) throw new Error('qco_tcp_quickack did not load');
    const tcp = createServer((c) => c.end()).listen(0, '127.0.0.1');
    await new Promise((r) => tcp.once('listening', r));
    const sock = join(dir, 'u.sock');
    const unix = createServer((c) => c.end()).listen(sock);
    await new Promise((r) => unix.once('listening', r));
    const t = await connected({ port: (tcp.address() as { port: number }).port });
    const u = await connected({ path: sock });
    expect(a.quickAck(fdOf(t))).toBe(0);
    expect([-95, -92]).toContain(a.quickAck(fdOf(u)));
    expect(() => a.quickAck(-1)).toThrow(RangeError);
    t.destroy();
    u.destroy();
    tcp.close();
    unix.close();
  });

  it('the handshake with qemu-nbd asks for prompt acknowledgements while a reply is incomplete', async () => {
    const img = join(dir, 'x.raw');
    writeFileSync(img, Buffer.alloc(1 << 20, 7));
    peer = await startQemuNbd(img, { name: 'x' });
    const s = await connected({ port: peer.port });
    const stream = new NbdStream(s);
    let asked = 0;
    const info = await coroutineRun(function* () {
      return yield* clientHandshake(stream, { exportName: 'x', awaitingReply: () => asked++ });
    });
    expect(info.size).toBe(1 << 20);
    expect(info.structured).toBe(true);
    // At least once for each option whose reply is awaited: STRUCTURED_REPLY, SET_META_CONTEXT, GO.
    expect(asked).toBeGreaterThanOrEqual(3);
    stream.destroy();
  });
});
