/**
 * NBD faults. A client process (libnbd through nbdsh) killed in the middle
 * of its writes leaves our server serving the other clients, and the export
 * holds, sector by sector, either the old data or the dead client's. A
 * server (qemu-nbd) killed and restarted under our client with
 * reconnect-delay: requests in flight complete after the restart, nothing
 * acknowledged is lost; with the server gone past the delay, requests fail
 * with EIO.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endStarted, nbdshEnv, runTool, startQemuNbd, type NbdPeer } from '@qco/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockBackend, type NbdBlockDriverState } from '../src/index.js';
import { startNbdServer, type NbdServer } from '../src/face-nbd.js';

const MiB = 1 << 20;
let dir = '';
const peers: NbdPeer[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qco-nbd-fault-'));
});
afterAll(async () => {
  for (const p of peers) await p.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('our server', () => {
  let server: NbdServer;
  let blk: BlockBackend;
  afterAll(() => endStarted(server, blk));

  it('a client killed mid-write leaves the export consistent and the others served', async () => {
    const img = join(dir, 'kill.img');
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', img, '32M']);
    blk = await BlockBackend.open(img, { format: 'file' });
    server = await startNbdServer({ listen: { host: '127.0.0.1', port: 0 }, exports: [{ name: '', blk }], log: () => undefined });
    // The victim keeps 16 writes of 1 MiB in flight over the first 16 MiB until it is killed.
    const script = `
import nbd, sys
h = nbd.NBD()
h.connect_uri("nbd://127.0.0.1:${server.port}/")
buf = nbd.Buffer.from_bytearray(bytearray(b"\\x77" * (1024 * 1024)))
n = 0
while True:
    while h.aio_in_flight() < 16:
        h.aio_pwrite(buf, (n % 16) * 1024 * 1024)
        n += 1
        if n == 32:
            print("writing", flush=True)
    h.poll(-1)
    h.aio_peek_command_completed()
    while True:
        c = h.aio_peek_command_completed()
        if c == 0:
            break
        h.aio_command_completed(c)
`;
    const victim = spawn('nbdsh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'], env: nbdshEnv() });
    let vErr = '';
    victim.stderr.on('data', (d: Buffer) => (vErr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      victim.stdout.on('data', (d: Buffer) => d.toString().includes('writing') && resolve());
      victim.once('exit', (code) => reject(new Error(`nbdsh exited (${code}) before writing: ${vErr}`)));
    });
    // Another client works on its own region while the victim dies.
    const other = await BlockBackend.open(`nbd://127.0.0.1:${server.port}/`);
    const mine = new Uint8Array(MiB).fill(0x33);
    const work = (async () => {
      for (let i = 0; i < 16; i++) await other.pwrite(16 * MiB + i * MiB, mine);
    })();
    await new Promise((r) => setTimeout(r, 30));
    victim.kill('SIGKILL');
    await new Promise((r) => victim.once('exit', r));
    await work;
    await other.flush();
    for (let i = 0; i < 16; i++) expect((await other.pread(16 * MiB + i * MiB, MiB)).every((b) => b === 0x33)).toBe(true);
    await other.close();
    for (let i = 0; i < 100 && server.clients > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(server.clients).toBe(0);
    // A new client is served, and every sector the victim touched is all old or all new.
    const q = await runTool('qemu-io', ['-f', 'raw', '-r', `nbd://127.0.0.1:${server.port}/`, '-c', 'read -P 0x33 16M 16M']);
    expect(q.stdout).toContain('read 16777216/16777216 bytes at offset 16777216');
    await blk.flush();
    const data = readFileSync(img);
    let newSectors = 0;
    const torn: number[] = [];
    for (let s = 0; s < 16 * MiB; s += 512) {
      const first = data[s];
      if ((first !== 0 && first !== 0x77) || !data.subarray(s, s + 512).every((b) => b === first)) torn.push(s);
      if (first === 0x77) newSectors++;
    }
    expect(torn).toEqual([]);
    expect(newSectors).toBeGreaterThan(0);
  });
});

describe('our client with reconnect-delay', () => {
  it('requests in flight when qemu-nbd is killed complete after it restarts; nothing acknowledged is lost', async () => {
    const img = join(dir, 'restart.img');
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', img, '16M']);
    const first = await startQemuNbd(img, { name: 'r' });
    const port = first.port;
    const blk = await BlockBackend.open(`json:{"driver":"nbd","server":{"host":"127.0.0.1","port":${port}},"export":"r","reconnect-delay":10}`);
    const client = (blk.bs as NbdBlockDriverState).clients.at(0);
    await blk.pwrite(0, new Uint8Array(MiB).fill(0x10));
    await blk.flush();
    await first.stop('SIGKILL');
    // Issued while the server is gone: they wait, then go to the restarted server.
    const inflight = [
      blk.pwrite(2 * MiB, new Uint8Array(MiB).fill(0x20)),
      blk.pread(0, MiB),
      blk.pwrite(4 * MiB, new Uint8Array(4096).fill(0x40)),
      blk.flush(),
    ];
    await new Promise((r) => setTimeout(r, 300));
    const second = await startQemuNbd(img, { name: 'r', port });
    peers.push(second);
    const results = await Promise.all(inflight);
    expect((results[1] as Uint8Array).every((b) => b === 0x10)).toBe(true);
    expect(client?.connects).toBe(2);
    await blk.flush();
    await blk.close();
    await second.stop('SIGTERM');
    const r = await runTool('qemu-io', ['-f', 'raw', '-r', img, '-c', 'read -P 0x10 0 1M', '-c', 'read -P 0x20 2M 1M', '-c', 'read -P 0x40 4M 4k']);
    expect(r.stdout).not.toContain('Pattern verification failed');
    expect(r.status).toBe(0);
  });

  it('past the delay, requests fail with EIO; without a delay at once', async () => {
    const img = join(dir, 'gone.img');
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', img, '1M']);
    const peer = await startQemuNbd(img, { name: 'g' });
    const withDelay = await BlockBackend.open(`json:{"driver":"nbd","server":{"host":"127.0.0.1","port":${peer.port}},"export":"g","reconnect-delay":1}`);
    const noDelay = await BlockBackend.open(`nbd://127.0.0.1:${peer.port}/g`);
    await peer.stop('SIGKILL');
    await expect(noDelay.pread(0, 512)).rejects.toMatchObject({ errno: 5 });
    await expect(withDelay.pread(0, 512)).rejects.toMatchObject({ errno: 5 });
    await withDelay.close();
    await noDelay.close();
  });
});
