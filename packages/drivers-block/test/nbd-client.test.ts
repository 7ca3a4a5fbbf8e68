/**
 * The nbd client driver against real NBD servers: qemu-nbd (raw and qcow2,
 * TCP and unix socket) and nbdkit (memory, file). Patterns written through
 * our client are verified by qemu-io on the image, and patterns qemu-io
 * wrote are verified by qco-io through our client; block status follows the
 * server's base:allocation; multi-conn opens as many connections as asked
 * where the server offers it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coroutineRun } from '@qco/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureStreams } from '../src/tools/common/streams.js';
import { qcoImgMain } from '../src/tools/qco-img.js';
import { BDRV_BLOCK_DATA, BDRV_BLOCK_ZERO, BlockBackend, type NbdBlockDriverState, type BlockStatus } from '../src/index.js';
import { runTool, startNbdkit, startQemuNbd, startQemuNbdUnix, type NbdPeer } from '@qco/test-utils';
import { qcoIo } from './tool-run.js';

const MiB = 1 << 20;
let dir = '';
const peers: NbdPeer[] = [];


beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qco-nbd-client-'));
});
afterAll(async () => {
  for (const p of peers) await p.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('against qemu-nbd', () => {
  it('patterns written through our client read back in qemu-io on the qcow2 image', async () => {
    const img = join(dir, 'w.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', img, '64M']);
    const peer = await startQemuNbd(img, { name: 'w', format: 'qcow2' });
    peers.push(peer);
    const blk = await BlockBackend.open(peer.url('w'));
    expect(await blk.getLength()).toBe(64 * MiB);
    await blk.pwrite(0, new Uint8Array(64 * 1024).fill(0x11));
    await blk.pwrite(3 * MiB + 512, new Uint8Array(4096 + 17).fill(0x22));
    await blk.pwriteZeroes(8 * MiB, 2 * MiB);
    await Promise.all(Array.from({ length: 32 }, (_, i) => blk.pwrite(16 * MiB + i * 65536, new Uint8Array(65536).fill(i + 1))));
    await blk.flush();
    await blk.close();
    await peer.stop('SIGTERM');
    const r = await runTool('qemu-io', ['-f', 'qcow2', '-r', img, '-c', 'read -P 0x11 0 64k', '-c', 'read -P 0x22 3146240 4113', '-c', 'read -P 0 8M 2M', '-c', 'read -P 1 16M 64k', '-c', `read -P 32 ${16 * MiB + 31 * 65536} 64k`, '-c', 'read -P 0 3M 512']);
    expect(r.stdout).not.toContain('Pattern verification failed');
    expect(r.status).toBe(0);
    expect((await runTool('qemu-img', ['check', '-f', 'qcow2', img])).stdout).toContain('No errors were found on the image.');
  });

  it('reads of mixed sizes in flight together land byte-exact (payloads read straight into the caller\'s buffers)', async () => {
    const img = join(dir, 'rand.raw');
    const data = randomBytes(24 * MiB);
    writeFileSync(img, data);
    for (const unix of [false, true]) {
      const sock = join(dir, 'rand.sock');
      const peer = unix ? await startQemuNbdUnix(img, sock, 'r') : await startQemuNbd(img, { name: 'r', extra: ['-r'] });
      peers.push(peer);
      const blk = await BlockBackend.open(unix ? `nbd+unix:///r?socket=${sock}` : peer.url('r'), { readOnly: true });
      // 2 MiB, 4 KiB, 1-byte and odd-sized reads, several in flight, so replies of every size follow each other on the wire.
      const reads: Array<[number, number]> = [];
      for (let i = 0; i < 12; i++) reads.push([i * 2 * MiB, 2 * MiB], [i * 2 * MiB + 4096 * i + 1, 4096], [i * MiB + 7, 1], [i * 1_000_003, 65_537 + i * 999]);
      const got = await Promise.all(reads.map(([off, len]) => blk.pread(off, len)));
      reads.forEach(([off, len], i) => expect(Buffer.compare(Buffer.from(got[i]), data.subarray(off, off + len))).toBe(0));
      await blk.close();
      await peer.stop();
    }
  });

  it('qco-io verifies what qemu-io wrote, over nbd+unix://', async () => {
    const img = join(dir, 'u.raw');
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', img, '16M']);
    execFileSync('qemu-io', ['-f', 'raw', img, '-c', 'write -P 0xab 1M 128k', '-c', 'write -P 0xcd 5M 4k']);
    const sock = join(dir, 'nbd.sock');
    const peer = await startQemuNbdUnix(img, sock, 'u');
    peers.push(peer);
    const good = await qcoIo(['-r', '-c', 'read -P 0xab 1M 128k', '-c', 'read -P 0xcd 5M 4k', '-c', 'read -P 0 0 1M', `nbd+unix:///u?socket=${sock}`]);
    expect(good.stderr).toBe('');
    expect(good.stdout).toContain('read 131072/131072 bytes at offset 1048576');
    const bad = await qcoIo(['-r', '-c', 'read -P 0xab 5M 4k', `nbd+unix:///u?socket=${sock}`]);
    expect(bad.stdout).toContain('Pattern verification failed at offset 5242880, 4096 bytes');
  });

  it('block status follows qemu-nbd\'s base:allocation (qcow2 holes read as zero)', async () => {
    const img = join(dir, 'bs.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', img, '8M']);
    execFileSync('qemu-io', ['-f', 'qcow2', img, '-c', 'write -P 1 1M 1M']);
    const peer = await startQemuNbd(img, { name: 'bs', format: 'qcow2' });
    peers.push(peer);
    const blk = await BlockBackend.open(peer.url('bs'), { readOnly: true });
    const st: BlockStatus[] = await coroutineRun(function* () {
      return [yield* blk.coBlockStatus(0, 8 * MiB), yield* blk.coBlockStatus(MiB, 7 * MiB), yield* blk.coBlockStatus(2 * MiB, 6 * MiB)];
    });
    expect(st[0]).toMatchObject({ bytes: MiB });
    expect(st[0].flags & BDRV_BLOCK_DATA).toBe(0);
    expect(st[0].flags & BDRV_BLOCK_ZERO).toBe(BDRV_BLOCK_ZERO);
    expect(st[1]).toMatchObject({ bytes: MiB });
    expect(st[1].flags & BDRV_BLOCK_DATA).toBe(BDRV_BLOCK_DATA);
    expect(st[2]).toMatchObject({ bytes: 6 * MiB });
    expect(st[2].flags & BDRV_BLOCK_DATA).toBe(0);
    await blk.close();
  });

  it('qco-img map over nbd:// prints what qemu-img map prints (block status from base:allocation)', async () => {
    const img = join(dir, 'map.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', img, '8M']);
    execFileSync('qemu-io', ['-f', 'qcow2', img, '-c', 'write -P 1 1M 1M', '-c', 'write -z 4M 1M', '-c', 'write -P 2 6M 64k']);
    const peer = await startQemuNbd(img, { name: 'm', format: 'qcow2' });
    peers.push(peer);
    for (const output of ['json', 'human']) {
      const theirs = await runTool('qemu-img', ['map', `--output=${output}`, '-f', 'raw', peer.url('m')]);
      const io = captureStreams();
      expect(await qcoImgMain(['map', `--output=${output}`, '-f', 'raw', peer.url('m')], io)).toBe(0);
      expect(io.stderr).toBe('');
      expect(io.stdout).toBe(theirs.stdout);
    }
  });

  it('json: filenames with QEMU\'s option names, and QEMU\'s messages for an unknown export and a dead port', async () => {
    const img = join(dir, 'j.raw');
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', img, '1M']);
    const peer = await startQemuNbd(img, { name: 'j' });
    peers.push(peer);
    const blk = await BlockBackend.open(`json:{"driver":"nbd","server":{"type":"inet","host":"127.0.0.1","port":"${peer.port}"},"export":"j"}`, { readOnly: true });
    expect(blk.bs.filename).toBe(`nbd://127.0.0.1:${peer.port}/j`);
    await blk.close();
    await expect(BlockBackend.open(peer.url('nope'))).rejects.toThrow("Requested export not available\nserver reported: export 'nope' not present");
    await peer.stop();
    await expect(BlockBackend.open(peer.url('j'))).rejects.toThrow(/Failed to connect to '127\.0\.0\.1:\d+': ECONNREFUSED/);
    await expect(BlockBackend.open('nbd://127.0.0.1/x?socket=/tmp/x')).rejects.toThrow('No valid URL specified');
  });
});

describe('against nbdkit', () => {
  it('nbdkit memory: patterns, zeroes, holes in block status, multi-conn over 4 connections', async () => {
    const peer = await startNbdkit(['memory', '64M']);
    peers.push(peer);
    const blk = await BlockBackend.open(`json:{"driver":"nbd","server.host":"127.0.0.1","server.port":${peer.port},"multi-conn":4}`);
    expect((blk.bs as NbdBlockDriverState).clients.length).toBe(4);
    const data = Buffer.alloc(4 * MiB);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 0xff;
    await Promise.all(Array.from({ length: 64 }, (_, i) => blk.pwrite(i * 65536, data.subarray(i * 65536, (i + 1) * 65536))));
    await blk.flush();
    const back = await blk.pread(0, 4 * MiB);
    expect(Buffer.from(back).equals(data)).toBe(true);
    const st = await coroutineRun(() => blk.coBlockStatus(32 * MiB, 32 * MiB));
    expect(st.flags & BDRV_BLOCK_DATA).toBe(0);
    expect(st.bytes).toBe(32 * MiB);
    await blk.close();
    // A separate reader sees everything the flush covered (multi-conn: one cache).
    const r = await runTool('qemu-io', ['-f', 'raw', '-r', peer.url(), '-c', `read -v 65535 2`]);
    expect(r.stdout).toContain(`0000ffff:  ${((65535 * 7 + 15) & 0xff).toString(16).padStart(2, '0')} ${((65536 * 7 + 16) & 0xff).toString(16).padStart(2, '0')}`);
  });

  it('nbdkit file: what our client writes, qemu-io reads on the file', async () => {
    const img = join(dir, 'k.raw');
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', img, '8M']);
    const peer = await startNbdkit(['file', img]);
    peers.push(peer);
    const w = await qcoIo(['-f', 'raw', '-c', 'write -P 0x42 0 1M', '-c', 'write -P 0x43 7M 512', '-c', 'flush', peer.url()]);
    expect(w.stderr).toBe('');
    await peer.stop();
    const r = await runTool('qemu-io', ['-f', 'raw', '-r', img, '-c', 'read -P 0x42 0 1M', '-c', 'read -P 0x43 7M 512', '-c', 'read -P 0 1M 6M']);
    expect(r.stdout).not.toContain('Pattern verification failed');
  });
});
