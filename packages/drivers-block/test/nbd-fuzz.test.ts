/**
 * Seeded fuzzing of our NBD server: 10,000 malformed handshakes and
 * requests (random bytes, truncated headers, bad magic, huge lengths,
 * mangled option payloads, options after GO, requests with random types,
 * flags and ranges), 16 connections at a time, against one live server,
 * while a well-formed client (our nbd driver) keeps writing and verifying
 * its own region. Every case must end with the server closing or answering
 * (no hang), the process's memory must stay bounded, and the good client
 * must be served throughout. The seed is printed on failure.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BlockBackend } from '../src/index.js';
import { startNbdServer, type NbdServer } from '../src/face-nbd.js';
import {
  NBD_OPTS_MAGIC,
  NBD_OPT_GO,
  NBD_OPT_INFO,
  NBD_OPT_LIST,
  NBD_OPT_LIST_META_CONTEXT,
  NBD_OPT_SET_META_CONTEXT,
  NBD_OPT_STRUCTURED_REPLY,
} from '../src/nbd/constants.js';
import { encodeGoPayload, encodeMetaContextPayload, encodeOptionRequest } from '../src/nbd/codec.js';
import { request } from './nbd-raw.js';
import { endStarted, seededRandom } from '@qco/test-utils';

const SEED = Number(process.env['QCO_FUZZ_SEED'] ?? 0x5eed);
const CASES = 10_000;
const PARALLEL = 16;
const MiB = 1 << 20;


let dir = '';
let server: NbdServer;
let blk: BlockBackend;
let goodBlk: BlockBackend;
const dropped: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qco-nbd-fuzz-'));
  const img = join(dir, 'fuzz.img');
  execFileSync('qemu-img', ['create', '-q', '-f', 'raw', img, '8M']);
  blk = await BlockBackend.open(img, { format: 'file' });
  const goodImg = join(dir, 'good.img');
  execFileSync('qemu-img', ['create', '-q', '-f', 'raw', goodImg, '1M']);
  goodBlk = await BlockBackend.open(goodImg, { format: 'file' });
  // The good client has an export of its own: the fuzz cases may scribble anywhere on 'f'.
  server = await startNbdServer({
    listen: { host: '127.0.0.1', port: 0 },
    exports: [{ name: 'f', blk }, { name: 'ro', blk, readOnly: true }, { name: 'good', blk: goodBlk }],
    log: (m) => dropped.push(m),
  });
});
afterAll(async () => {
  await endStarted(server, blk, goodBlk);
  rmSync(dir, { recursive: true, force: true });
});

function bytes(r: () => number, max: number): Buffer {
  const n = Math.floor(r() * max);
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};

const CLIENT_FLAGS = u32(3);
const GO_F = encodeOptionRequest(NBD_OPT_GO, encodeGoPayload('f', []));
const SR = encodeOptionRequest(NBD_OPT_STRUCTURED_REPLY);
const META = encodeOptionRequest(NBD_OPT_SET_META_CONTEXT, encodeMetaContextPayload('f', ['base:allocation', 'qemu:allocation-depth']));

/** One malformed conversation: what we send after the server's 18-byte greeting (empty `afterGreeting` means: send before reading it). */
function makeCase(r: () => number): { early: Buffer | null; late: Buffer[] } {
  const kind = Math.floor(r() * 10);
  const optHdr = (opt: number, len: number): Buffer => {
    const b = Buffer.alloc(16);
    b.writeBigUInt64BE(NBD_OPTS_MAGIC, 0);
    b.writeUInt32BE(opt >>> 0, 8);
    b.writeUInt32BE(len >>> 0, 12);
    return b;
  };
  const randomRequest = (): Buffer => {
    const type = pick(r, [0, 1, 3, 4, 5, 6, 7, 8, 9, 0xffff]);
    const len = pick(r, [0, 1, 512, 4096, 65536, 32 * MiB, 32 * MiB + 1, 0xffffffff, Math.floor(r() * 0xffffffff)]);
    const off = pick(r, [0, 512, 8 * MiB - 512, 8 * MiB, 8 * MiB + 1, 2 ** 52, Math.floor(r() * 2 ** 53)]);
    const hdr = request(type, off, len, BigInt(Math.floor(r() * 2 ** 32)), Math.floor(r() * 0x10000) & pick(r, [0, 0x1f, 0xffff]));
    if (r() < 0.1) hdr.writeUInt32BE(Math.floor(r() * 2 ** 32), 0);
    const payload = type === 1 && len <= 65536 ? bytes(r, Math.min(len + 1, 65537)) : Buffer.alloc(0);
    const whole = Buffer.concat([hdr, payload]);
    return r() < 0.2 ? whole.subarray(0, Math.floor(r() * whole.length)) : whole;
  };
  switch (kind) {
    case 0:
      return { early: bytes(r, 64), late: [] };
    case 1:
      return { early: null, late: [u32(Math.floor(r() * 2 ** 32)), bytes(r, 64)] };
    case 2: {
      const h = optHdr(pick(r, [1, 3, 6, 7, 8, 9, 10, 99]), Math.floor(r() * 64));
      h.writeUInt32BE(Math.floor(r() * 2 ** 32), r() < 0.5 ? 0 : 4);
      return { early: null, late: [CLIENT_FLAGS, h, bytes(r, 64)] };
    }
    case 3:
      return { early: null, late: [CLIENT_FLAGS, optHdr(pick(r, [1, 3, 6, 7, 9, 10, 12345]), pick(r, [65537, 1 << 24, 0xffffffff])), bytes(r, 256)] };
    case 4:
      return { early: null, late: [CLIENT_FLAGS, optHdr(pick(r, [1, 6, 7, 9, 10]), 1000).subarray(0, Math.floor(r() * 16))] };
    case 5: {
      const opt = pick(r, [NBD_OPT_GO, NBD_OPT_INFO, NBD_OPT_LIST, NBD_OPT_LIST_META_CONTEXT, NBD_OPT_SET_META_CONTEXT, 5, 2, 1]);
      const body = bytes(r, 48);
      if (body.length >= 4 && r() < 0.5) body.writeUInt32BE(pick(r, [0xffffffff, body.length, body.length + 1, 2 ** 31]), 0);
      return { early: null, late: [CLIENT_FLAGS, r() < 0.5 ? SR : Buffer.alloc(0), encodeOptionRequest(opt, body), bytes(r, 32)] };
    }
    case 6:
      return { early: null, late: [CLIENT_FLAGS, GO_F, encodeOptionRequest(pick(r, [NBD_OPT_GO, NBD_OPT_LIST, 5]), Buffer.alloc(0))] };
    default: {
      const n = 1 + Math.floor(r() * 6);
      const reqs = Array.from({ length: n }, randomRequest);
      return { early: null, late: [CLIENT_FLAGS, r() < 0.5 ? Buffer.concat([SR, META]) : Buffer.alloc(0), GO_F, ...reqs] };
    }
  }
}

/** Run one case; resolves once the server has closed the connection after our half-close (throws on a hang). */
function runCase(port: number, c: { early: Buffer | null; late: Buffer[] }): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let got = 0;
    let sent = false;
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('server did not finish the conversation within 10 s (hang)'));
    }, 10_000);
    s.on('error', () => undefined);
    s.once('connect', () => {
      if (c.early !== null) {
        s.end(c.early);
        sent = true;
      }
    });
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (!sent && got >= 18) {
        sent = true;
        for (const b of c.late) s.write(b);
        s.end();
      }
    });
    s.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

it(`survives ${CASES} malformed handshakes and requests (seed ${SEED}) while serving a good client`, { timeout: 120_000 }, async () => {
  const good = await BlockBackend.open(`nbd://127.0.0.1:${server.port}/good`);
  const stop = new AbortController();
  let rounds = 0;
  const goodLoop = (async () => {
    for (let i = 0; !stop.signal.aborted; i++) {
      const data = new Uint8Array(65536).fill(i & 0xff);
      const at = (i % 16) * 65536;
      await good.pwrite(at, data);
      const back = await good.pread(at, 65536);
      if (!back.every((b) => b === (i & 0xff))) throw new Error(`good client read back wrong data at ${at} (round ${i})`);
      rounds++;
    }
  })();
  const r = seededRandom(SEED);
  const cases = Array.from({ length: CASES }, () => makeCase(r));
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const i = next++;
      try {
        await runCase(server.port, cases[i]);
      } catch (e) {
        throw new Error(`case ${i} (seed ${SEED}): ${(e as Error).message}`);
      }
      if (i % 500 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  stop.abort();
  await goodLoop;
  const final = await good.pread(0, 65536);
  expect(final.length).toBe(65536);
  await good.close();
  expect(rounds).toBeGreaterThan(0);
  // Claimed lengths never become allocations: the process grows by far less than one case could claim (4 GiB).
  expect(peak - rss0).toBeLessThan(512 * MiB);
  expect(dropped.length).toBeGreaterThan(100);
  for (let i = 0; i < 100 && server.clients > 0; i++) await new Promise((res) => setTimeout(res, 20));
  expect(server.clients).toBe(0);
});
