/**
 * Our NBD server (startNbdServer) against the real NBD clients: qemu-io and
 * qemu-img over nbd://, libnbd's nbdinfo, nbdcopy and nbdsh. Data written
 * through the server is checked on the exported file by qemu-io / qemu-img
 * compare; protocol corners (unknown options, read-only writes, requests past
 * the end, malformed requests) with a raw socket, while a well-behaved client
 * keeps being served.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deferCall } from '@qco/core';
import { BlockBackend } from '../src/index.js';
import { startNbdServer, type NbdServer } from '../src/face-nbd.js';
import {
  NBD_CMD_READ,
  NBD_CMD_WRITE_ZEROES,
  NBD_CMD_WRITE,
  NBD_EINVAL,
  NBD_EPERM,
  NBD_FLAG_CAN_MULTI_CONN,
  NBD_FLAG_READ_ONLY,
  NBD_OPT_GO,
  NBD_OPT_STARTTLS,
  NBD_REP_ACK,
  NBD_REP_ERR_POLICY,
  NBD_REP_ERR_UNKNOWN,
  NBD_REP_ERR_UNSUP,
} from '../src/nbd/constants.js';
import { encodeGoPayload, encodeOptionRequest } from '../src/nbd/codec.js';
import { RawNbd, request } from './nbd-raw.js';
import { captureStreams } from '../src/tools/common/streams.js';
import { qcoImgMain } from '../src/tools/qco-img.js';
import { endStarted, freePort, nbdshEnv, runTool, startNbdkit, startQemuNbd, type NbdPeer } from '@qco/test-utils';

const MiB = 1 << 20;
let dir = '';
let server: NbdServer;
let disk = '';
const logs: string[] = [];
const backends: BlockBackend[] = [];
const url = (name: string): string => `nbd://127.0.0.1:${server.port}/${name}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qco-nbd-server-'));
  disk = join(dir, 'disk.img');
  execFileSync('qemu-img', ['create', '-q', '-f', 'raw', disk, '32M']);
  execFileSync('qemu-io', ['-f', 'raw', disk, '-c', 'write -P 0x5a 4M 1M']);
  const ro = join(dir, 'ro.img');
  execFileSync('qemu-img', ['create', '-q', '-f', 'raw', ro, '8M']);
  const blk = await BlockBackend.open(disk, { format: 'file' });
  const roBlk = await BlockBackend.open(ro, { format: 'file', readOnly: true });
  const copyDst = await BlockBackend.open(join(dir, 'copy-dst.img'), { format: 'file', options: {} }).catch(async () => {
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', join(dir, 'copy-dst.img'), '32M']);
    return BlockBackend.open(join(dir, 'copy-dst.img'), { format: 'file' });
  });
  backends.push(blk, roBlk, copyDst);
  server = await startNbdServer({
    listen: { host: '127.0.0.1', port: 0 },
    exports: [
      { name: 'disk', blk, description: 'the test disk' },
      { name: 'ro', blk: roBlk },
      { name: 'dst', blk: copyDst },
    ],
    log: (m) => logs.push(m),
  });
});

afterAll(async () => {
  await endStarted(server);
  for (const b of backends) await b.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('qemu tools', () => {
  it('qemu-io writes patterns through the server that qemu-io reads on the file', async () => {
    const w = await runTool('qemu-io', ['-f', 'raw', url('disk'), '-c', 'write -P 0x11 0 64k', '-c', 'write -P 0x22 1M 1M', '-c', 'write -z 2M 64k', '-c', 'aio_write -P 0x33 3M 4k', '-c', 'aio_flush', '-c', 'read -P 0x22 1M 1M']);
    expect(w.stderr).toBe('');
    expect(w.status).toBe(0);
    expect(w.stdout).toContain('wrote 65536/65536 bytes at offset 0');
    expect(w.stdout).toContain('read 1048576/1048576 bytes at offset 1048576');
    const r = await runTool('qemu-io', ['-f', 'raw', '-r', disk, '-c', 'read -P 0x11 0 64k', '-c', 'read -P 0x22 1M 1M', '-c', 'read -P 0 2M 64k', '-c', 'read -P 0x33 3M 4k', '-c', 'read -P 0x5a 4M 1M']);
    expect(r.stdout).not.toContain('Pattern verification failed');
    expect(r.status).toBe(0);
  });

  it('qemu-io with a wrong pattern fails the same way over nbd as on the file', async () => {
    const r = await runTool('qemu-io', ['-f', 'raw', '-r', url('disk'), '-c', 'read -P 0x77 4M 4k']);
    expect(r.stdout).toContain('Pattern verification failed at offset 4194304, 4096 bytes');
  });

  it('qemu-img info and map see the export', async () => {
    const info = JSON.parse((await runTool('qemu-img', ['info', '--output=json', '-f', 'raw', url('disk')])).stdout) as { 'virtual-size': number };
    expect(info['virtual-size']).toBe(32 * MiB);
    const map = JSON.parse((await runTool('qemu-img', ['map', '--output=json', '-f', 'raw', url('disk')])).stdout) as Array<{ start: number; length: number; data: boolean }>;
    expect(map.reduce((n, e) => n + e.length, 0)).toBe(32 * MiB);
    // The file is sparse (qemu-img create): what qemu-io wrote at 4M is data.
    expect(map.find((e) => e.start <= 4 * MiB && e.start + e.length > 4 * MiB)?.data).toBe(true);
  });

  it('qemu-img convert from the server gives an identical image (qemu-img compare)', async () => {
    const out = join(dir, 'converted.raw');
    const c = await runTool('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', url('disk'), out]);
    expect(c.stderr).toBe('');
    const cmp = await runTool('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', out, disk]);
    expect(cmp.stdout).toContain('Images are identical.');
    const cmp2 = await runTool('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', url('disk'), out]);
    expect(cmp2.stdout).toContain('Images are identical.');
  });

  it('the unknown export is refused with QEMU\'s client message', async () => {
    const r = await runTool('qemu-io', ['-f', 'raw', '-c', 'read 0 512', url('nope')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("Requested export not available\nserver reported: export 'nope' not present");
  });

  it('a read-only export refuses writes', async () => {
    const r = await runTool('qemu-io', ['-f', 'raw', '-c', 'write 0 512', url('ro')]);
    expect(r.status).not.toBe(0);
    // QEMU's nbd client opens a read-only export read-write only to fail with EACCES.
    expect(r.stderr).toContain('Permission denied');
  });
});

/** `qemu-img map` (json and human) and `nbdinfo --map` see the same extents on our export as on qemu-nbd's; nbdinfo's map of ours. */
async function expectMapsAgree(oursUrl: string, theirsUrl: string): Promise<string> {
  for (const output of ['json', 'human']) {
    const a = await runTool('qemu-img', ['map', `--output=${output}`, '-f', 'raw', oursUrl]);
    const b = await runTool('qemu-img', ['map', `--output=${output}`, '-f', 'raw', theirsUrl]);
    expect(a.stderr).toBe('');
    expect(a.stdout.replaceAll(oursUrl, 'URL')).toBe(b.stdout.replaceAll(theirsUrl, 'URL'));
  }
  const m = await runTool('nbdinfo', ['--map', oursUrl]);
  expect(m.stdout).toBe((await runTool('nbdinfo', ['--map', theirsUrl])).stdout);
  return m.stdout;
}

/**
 * An 8 MiB image of `format` made by qemu-img and written by qemu-io (`writes`),
 * served read-only under `name` by qemu-nbd and by our server: both maps agree
 * (expectMapsAgree), `more` checks what else it will with the map and our URL,
 * and qemu-io reads the `reads` patterns back through our server.
 */
async function mapsAsQemuNbd(file: string, format: 'raw' | 'qcow2', name: string, writes: string[], reads: string[], more?: (map: string, img: string) => Promise<void>): Promise<void> {
  const img = join(dir, file);
  execFileSync('qemu-img', ['create', '-q', '-f', format, img, '8M']);
  execFileSync('qemu-io', ['-f', format, img, ...writes.flatMap((w) => ['-c', w])]);
  const theirsPeer = await startQemuNbd(img, { name, format, extra: ['-r'] });
  let blk: BlockBackend | undefined;
  let ours: NbdServer | undefined;
  try {
    blk = await BlockBackend.open(img, { format, readOnly: true });
    ours = await startNbdServer({ listen: { host: '127.0.0.1', port: 0 }, exports: [{ name, blk }], log: () => undefined });
    const oursUrl = `nbd://127.0.0.1:${ours.port}/${name}`;
    const m = await expectMapsAgree(oursUrl, theirsPeer.url(name));
    await more?.(m, img);
    const r = await runTool('qemu-io', ['-f', 'raw', '-r', oursUrl, ...reads.flatMap((c) => ['-c', c])]);
    expect(r.stdout).not.toContain('Pattern verification failed');
  } finally {
    await ours?.close();
    await blk?.close();
    await theirsPeer.stop();
  }
}

describe('base:allocation from the format', () => {
  it('a sparse raw file maps as qemu-nbd maps it (SEEK_DATA / SEEK_HOLE: qemu-img map, nbdinfo --map, qco-img map on the file), holes read as zeroes', async () => {
    await mapsAsQemuNbd(
      'sparse.raw',
      'raw',
      'r',
      ['write -P 1 1M 1M', 'write -P 2 6M 64k', 'write -P 3 8128k 64k'],
      ['read -P 0 0 1M', 'read -P 1 1M 1M', 'read -P 0 2M 4M', 'read -P 2 6M 64k', 'read -P 3 8128k 64k'],
      async (m, img) => {
        expect(m).toContain('hole,zero');
        for (const output of ['json', 'human']) {
          // The file driver's own answer, without NBD in between.
          const io = captureStreams();
          expect(await qcoImgMain(['map', `--output=${output}`, '-f', 'raw', img], io)).toBe(0);
          expect(io.stdout).toBe((await runTool('qemu-img', ['map', `--output=${output}`, '-f', 'raw', img])).stdout);
        }
      },
    );
  });

  it('a qcow2 export maps as qemu-nbd maps the same image (qemu-img map, nbdinfo --map), holes read as zeroes', async () => {
    await mapsAsQemuNbd(
      'alloc.qcow2',
      'qcow2',
      'q',
      ['write -P 1 1M 1M', 'write -z 4M 1M', 'write -P 2 6M 64k'],
      ['read -P 0 0 1M', 'read -P 1 1M 1M', 'read -P 0 4M 1M', 'read -P 2 6M 64k'],
    );
  });
});

describe('libnbd tools', () => {
  it('nbdinfo --list lists every export with its description', async () => {
    const r = await runTool('nbdinfo', ['--list', '--json', `nbd://127.0.0.1:${server.port}`]);
    const j = JSON.parse(r.stdout) as { exports: Array<{ 'export-name': string; description?: string; 'export-size': number; is_read_only: boolean; contexts: string[] }> };
    const byName = new Map(j.exports.map((e) => [e['export-name'], e]));
    expect([...byName.keys()].sort()).toEqual(['disk', 'dst', 'ro']);
    expect(byName.get('disk')?.description).toBe('the test disk');
    expect(byName.get('disk')?.['export-size']).toBe(32 * MiB);
    expect(byName.get('ro')?.is_read_only).toBe(true);
    expect(byName.get('disk')?.contexts).toContain('base:allocation');
  });

  it('nbdinfo --map covers the export', async () => {
    const r = await runTool('nbdinfo', ['--map', '--json', url('disk')]);
    const m = JSON.parse(r.stdout) as Array<{ offset: number; length: number; type: number }>;
    expect(m.reduce((n, e) => n + e.length, 0)).toBe(32 * MiB);
    expect(m[0]?.offset).toBe(0);
  });

  it('nbdcopy copies out of and into the server over 4 connections', async () => {
    const out = join(dir, 'nbdcopy-out.raw');
    const a = await runTool('nbdcopy', ['--connections=4', '--requests=16', url('disk'), out]);
    expect(a.stderr).toBe('');
    expect((await runTool('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', out, disk])).stdout).toContain('Images are identical.');
    const b = await runTool('nbdcopy', ['--connections=4', out, url('dst')]);
    expect(b.stderr).toBe('');
    expect((await runTool('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', url('dst'), disk])).stdout).toContain('Images are identical.');
    expect(server.connections).toBeGreaterThanOrEqual(8);
  });

  it('nbdsh negotiates options: list, info, meta contexts, unknown export, go', async () => {
    const script = `
import nbd
h = nbd.NBD()
h.set_opt_mode(True)
h.connect_uri("nbd://127.0.0.1:${server.port}/disk")
names = []
h.opt_list(lambda name, desc: names.append((name, desc)))
print("list", sorted(names))
h.set_export_name("ro")
h.opt_info()
print("ro", h.get_size(), h.is_read_only())
h.set_export_name("nope")
try:
    h.opt_info()
    print("nope ok")
except nbd.Error as e:
    print("nope error", e.errno is not None)
h.set_export_name("disk")
ctx = []
h.opt_list_meta_context(lambda name: ctx.append(name))
print("contexts", sorted(ctx))
h.add_meta_context("base:allocation")
h.opt_go()
print("go", h.get_size(), h.can_multi_conn(), h.can_meta_context("base:allocation"), h.get_structured_replies_negotiated())
print("data", h.pread(4, 4 * 1024 * 1024) == b"\\x5a" * 4)
h.shutdown()
`;
    const r = await runTool('nbdsh', ['-c', script], { env: nbdshEnv() });
    expect(r.stderr).toBe('');
    const out = r.stdout;
    expect(out).toContain("list [('disk', 'the test disk'), ('dst', ''), ('ro', '')]");
    expect(out).toContain('ro 8388608 True');
    expect(out).toContain('nope error');
    expect(out).toContain("contexts ['base:allocation', 'qemu:allocation-depth']");
    expect(out).toContain(`go ${32 * MiB} True True True`);
    expect(out).toContain('data True');
  });
});

describe('protocol', () => {
  it('a graph over another NBD server: structured reads answer holes with OFFSET_HOLE, errors with an error chunk', async () => {
    const kit: NbdPeer = await startNbdkit(['memory', '4M']);
    let inner: BlockBackend | undefined;
    let chained: NbdServer | undefined;
    try {
      inner = await BlockBackend.open(kit.url());
      await inner.pwrite(0, new Uint8Array(65536).fill(0xee));
      chained = await startNbdServer({ listen: { host: '127.0.0.1', port: 0 }, exports: [{ name: 'chain', blk: inner }, { name: 'ro', blk: inner, readOnly: true }], log: () => undefined });
      const c = await RawNbd.open(chained.port);
      await c.go('chain', true);
      c.write(request(NBD_CMD_READ, 0, MiB, 5n));
      const chunks: Array<{ flags: number; type: number; offset: number; length: number }> = [];
      for (;;) {
        const h = await c.read(20);
        expect(h.readUInt32BE(0)).toBe(0x668e33ef);
        const len = h.readUInt32BE(16);
        const payload = await c.read(len);
        const type = h.readUInt16BE(6);
        const offset = Number(payload.readBigUInt64BE(0));
        chunks.push({ flags: h.readUInt16BE(4), type, offset, length: type === 2 ? payload.readUInt32BE(8) : len - 8 });
        if (type === 1) expect(payload.subarray(8).every((b) => b === 0xee)).toBe(true);
        if (h.readUInt16BE(4) & 1) break;
      }
      expect(chunks[0]).toMatchObject({ type: 1, offset: 0, length: 65536 });
      expect(chunks.slice(1).every((k) => k.type === 2)).toBe(true);
      expect(chunks.reduce((n, k) => n + k.length, 0)).toBe(MiB);
      c.destroy();
      const ro = await RawNbd.open(chained.port);
      await ro.go('ro', true);
      ro.write(Buffer.concat([request(NBD_CMD_WRITE, 0, 512, 6n), Buffer.alloc(512)]));
      const e = await ro.read(20);
      expect(e.readUInt16BE(6)).toBe(0x8001);
      const body = await ro.read(e.readUInt32BE(16));
      expect(body.readUInt32BE(0)).toBe(NBD_EPERM);
      expect(body.toString('utf8', 6, 6 + body.readUInt16BE(4))).toBe('Export is read only');
      ro.destroy();
      // What went through two servers is what qemu-io reads back.
      const q = await runTool('qemu-io', ['-f', 'raw', '-r', `nbd://127.0.0.1:${chained.port}/chain`, '-c', 'read -P 0xee 0 64k', '-c', 'read -P 0 64k 1M']);
      expect(q.stdout).not.toContain('Pattern verification failed');
    } finally {
      await chained?.close();
      await inner?.close();
      await kit.stop();
    }
  });

  it('a READ after a zero write through the export answers the new hole with OFFSET_HOLE, and every reply echoes its 64-bit cookie', async () => {
    const kit: NbdPeer = await startNbdkit(['memory', '4M']);
    let inner: BlockBackend | undefined;
    let srv: NbdServer | undefined;
    try {
      inner = await BlockBackend.open(kit.url());
      await inner.pwrite(0, new Uint8Array(MiB).fill(0x3c));
      srv = await startNbdServer({ listen: { host: '127.0.0.1', port: 0 }, exports: [{ name: 'm', blk: inner }], log: () => undefined });
      const c = await RawNbd.open(srv.port);
      await c.go('m', true);
      const chunksOf = async (cookie: bigint): Promise<Array<{ type: number; offset: number; length: number }>> => {
        const out: Array<{ type: number; offset: number; length: number }> = [];
        for (;;) {
          const h = await c.read(20);
          expect(h.readBigUInt64BE(8)).toBe(cookie);
          const payload = await c.read(h.readUInt32BE(16));
          const type = h.readUInt16BE(6);
          if (type !== 0) out.push({ type, offset: Number(payload.readBigUInt64BE(0)), length: type === 2 ? payload.readUInt32BE(8) : payload.length - 8 });
          if (h.readUInt16BE(4) & 1) return out;
        }
      };
      const high = 0xfedcba9876543210n;
      c.write(request(NBD_CMD_READ, 0, 65536, high));
      expect(await chunksOf(high)).toEqual([{ type: 1, offset: 0, length: 65536 }]);
      // Data known there now; a zero write that may unmap, through the export, must not leave the server believing it.
      c.write(request(NBD_CMD_WRITE_ZEROES, 65536, 65536, high - 1n));
      const t = await c.read(16);
      expect([t.readUInt32BE(0), t.readUInt32BE(4), t.readBigUInt64BE(8)]).toEqual([0x67446698, 0, high - 1n]);
      c.write(request(NBD_CMD_READ, 65536, 65536, 0x8000000000000001n));
      expect(await chunksOf(0x8000000000000001n)).toEqual([{ type: 2, offset: 65536, length: 65536 }]);
      c.write(request(NBD_CMD_READ, 0, 4096, 7n));
      expect(await chunksOf(7n)).toEqual([{ type: 1, offset: 0, length: 4096 }]);
      c.destroy();
    } finally {
      await srv?.close();
      await inner?.close();
      await kit.stop();
    }
  });

  it('a client that stops reading replies stops being read: the server serves a bounded number of its requests, then all once it reads again', async () => {
    const img = join(dir, 'unread.img');
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', img, '8M']);
    const blk = await BlockBackend.open(img, { format: 'file', readOnly: true });
    // Count the reads the node is asked for: how far the server got with the requests.
    let reads = 0;
    const inner = blk.coPreadv.bind(blk);
    blk.coPreadv = function* (...args: Parameters<typeof inner>) {
      reads++;
      return yield* inner(...args);
    };
    const srv = await startNbdServer({ listen: { host: '127.0.0.1', port: 0 }, exports: [{ name: 'u', blk }], log: () => undefined });
    const REQUESTS = 4096;
    const c = await RawNbd.open(srv.port);
    try {
      await c.go('u');
      c.socket.pause();
      const hdrs = Buffer.concat(Array.from({ length: REQUESTS }, (_, i) => request(NBD_CMD_READ, (i * 65536) % (8 * MiB), 65536, BigInt(i + 1))));
      c.write(hdrs);
      // Until the count stops moving: the server is held by the replies nobody reads.
      let last = -1;
      for (let i = 0; i < 100 && reads !== last; i++) {
        last = reads;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(reads).toBeGreaterThan(0);
      expect(reads).toBeLessThan(REQUESTS / 4);
      c.socket.resume();
      const seen = new Set<bigint>();
      for (let i = 0; i < REQUESTS; i++) {
        const h = await c.read(16, 20_000);
        expect([h.readUInt32BE(0), h.readUInt32BE(4)]).toEqual([0x67446698, 0]);
        seen.add(h.readBigUInt64BE(8));
        await c.read(65536, 20_000);
      }
      expect(seen.size).toBe(REQUESTS);
      expect(reads).toBe(REQUESTS);
    } finally {
      c.destroy();
      await srv.close();
      await blk.close();
    }
  });

  it('an unknown option is answered with NBD_REP_ERR_UNSUP and negotiation goes on', async () => {
    const c = await RawNbd.open(server.port);
    await c.greet();
    c.write(encodeOptionRequest(42, Buffer.from('hello')));
    const r = await c.optionReply();
    expect(r.opt).toBe(42);
    expect(r.type).toBe(NBD_REP_ERR_UNSUP);
    c.write(encodeOptionRequest(NBD_OPT_STARTTLS));
    expect((await c.optionReply()).type).toBe(NBD_REP_ERR_POLICY);
    c.write(encodeOptionRequest(NBD_OPT_GO, encodeGoPayload('nope', [])));
    const u = await c.optionReply();
    expect(u.type).toBe(NBD_REP_ERR_UNKNOWN);
    expect(u.data.toString()).toBe("export 'nope' not present");
    c.write(encodeOptionRequest(NBD_OPT_GO, encodeGoPayload('disk', [])));
    let last;
    do last = await c.optionReply();
    while (last.type !== NBD_REP_ACK && !(last.type & 0x80000000));
    expect(last.type).toBe(NBD_REP_ACK);
    c.destroy();
  });

  it('writes to a read-only export fail with EPERM, reads past the end with EINVAL', async () => {
    const c = await RawNbd.open(server.port);
    const { size, flags } = await c.go('ro');
    expect(flags & NBD_FLAG_READ_ONLY).toBeTruthy();
    c.write(Buffer.concat([request(NBD_CMD_WRITE, 0, 512, 7n), Buffer.alloc(512)]));
    const w = await c.read(16);
    expect(w.readUInt32BE(4)).toBe(NBD_EPERM);
    expect(w.readBigUInt64BE(8)).toBe(7n);
    c.write(request(NBD_CMD_READ, size - 512, 1024, 8n));
    const r = await c.read(16);
    expect(r.readUInt32BE(4)).toBe(NBD_EINVAL);
    c.write(request(NBD_CMD_READ, size - 512, 512, 9n));
    const ok = await c.read(16 + 512);
    expect(ok.readUInt32BE(4)).toBe(0);
    c.destroy();
  });

  it('requests that arrive together reach the node in one defer-call section (one submission batch), and each is answered', async () => {
    // A node whose reads queue their submission with deferCall, as the file driver's
    // thread pool and io_uring do: a batch is one flush for all the reads queued in it.
    const blk = await BlockBackend.open('json:{"driver":"null-co","size":1048576,"read-zeroes":true}');
    const flushes: number[] = [];
    let queued = 0;
    const flush = (): void => {
      flushes.push(queued);
      queued = 0;
    };
    const inner = blk.bs.coPreadv.bind(blk.bs);
    blk.bs.coPreadv = function* (offset, bytes, qiov, flags) {
      queued++;
      deferCall(flush, null);
      yield* inner(offset, bytes, qiov, flags);
    };
    const batched = await startNbdServer({ listen: { host: '127.0.0.1', port: 0 }, exports: [{ name: 'b', blk }], log: () => undefined });
    try {
      const c = await RawNbd.open(batched.port);
      await c.go('b');
      const n = 32;
      c.write(Buffer.concat(Array.from({ length: n }, (_, i) => request(NBD_CMD_READ, i * 4096, 4096, BigInt(100 + i)))));
      const cookies = new Set<bigint>();
      for (let i = 0; i < n; i++) {
        const h = await c.read(16);
        expect(h.readUInt32BE(4)).toBe(0);
        cookies.add(h.readBigUInt64BE(8));
        expect((await c.read(4096)).every((b) => b === 0)).toBe(true);
      }
      expect(cookies.size).toBe(n);
      expect(flushes.reduce((a, b) => a + b, 0)).toBe(n);
      // One write of 32 headers arrives in one or a few socket reads: far fewer flushes than reads.
      expect(flushes.length).toBeLessThanOrEqual(4);
      expect(Math.max(...flushes)).toBeGreaterThan(1);
      c.destroy();
    } finally {
      await batched.close();
      await blk.close();
    }
  });

  it('a malformed request drops that client with a logged reason; another client is served throughout', async () => {
    const good = await RawNbd.open(server.port);
    const { flags } = await good.go('disk');
    expect(flags & NBD_FLAG_CAN_MULTI_CONN).toBeTruthy();
    const bad = await RawNbd.open(server.port);
    await bad.go('disk');
    const garbage = request(NBD_CMD_READ, 0, 512);
    garbage.writeUInt32BE(0xdeadbeef, 0);
    bad.write(garbage);
    expect(await bad.waitClosed()).toBe(true);
    const huge = await RawNbd.open(server.port);
    await huge.go('disk');
    huge.write(request(NBD_CMD_WRITE, 0, 0xffffffff));
    expect(await huge.waitClosed()).toBe(true);
    expect(logs.some((l) => l.includes('invalid magic'))).toBe(true);
    expect(logs.some((l) => l.includes('is larger than max len'))).toBe(true);
    good.write(request(NBD_CMD_READ, 4 * MiB, 4096, 3n));
    const r = await good.read(16 + 4096);
    expect(r.readUInt32BE(4)).toBe(0);
    expect(r.subarray(16).every((b) => b === 0x5a)).toBe(true);
    good.destroy();
  });
});

describe('qco-nbd', () => {
  const bin = join(__dirname, '..', 'dist', 'qco-nbd.cjs');

  it('serves an image as qemu-nbd does and exits when its last client has gone (no -t)', async () => {
    const img = join(dir, 'tool.img');
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', img, '4M']);
    const port = await freePort();
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [bin, '-f', 'raw', '-x', 'tool', '-p', String(port), '-b', '127.0.0.1', '-D', 'served by qco-nbd', img], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      let w = await runTool('qemu-io', ['-f', 'raw', `nbd://127.0.0.1:${port}/tool`, '-c', 'write -P 0x99 0 1M']);
      for (let i = 0; i < 100 && w.stderr.includes('Connection refused'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        w = await runTool('qemu-io', ['-f', 'raw', `nbd://127.0.0.1:${port}/tool`, '-c', 'write -P 0x99 0 1M']);
      }
      expect(w.stdout).toContain('wrote 1048576/1048576 bytes at offset 0');
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
      const r = await runTool('qemu-io', ['-f', 'raw', '-r', img, '-c', 'read -P 0x99 0 1M']);
      expect(r.stdout).toContain('read 1048576/1048576 bytes at offset 0');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses bad arguments with qemu-nbd\'s messages', async () => {
    const r = await runTool(process.execPath, [bin, '-p', '99999', 'x.img']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("qco-nbd: Invalid port number '99999'\n");
    const t = await runTool(process.execPath, [bin, '--tls-authz', 'a', 'x.img']);
    expect(t.stderr).toBe('qco-nbd: --tls-authz is not permitted without --tls-creds\n');
  });
});
