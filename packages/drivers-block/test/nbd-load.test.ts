/**
 * Load on our NBD server (qco-nbd as its own process, so its memory is its
 * own): 8 libnbd client processes (nbdsh), each with 64 requests in flight
 * for a bounded number of requests, mixing reads, writes and flushes on one
 * qcow2 export (qemu-img check judges it afterwards). Each client owns one eighth of the export and keeps a model of it
 * (no two requests in flight touch the same 4 KiB block), checks every read
 * against the model, and at the end prints the model's SHA-256, which must
 * equal that of its region of the image (converted to raw by qemu-img). The server's peak resident
 * memory (VmHWM) stays bounded.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, nbdshEnv, runTool } from '@qco/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';

const MiB = 1 << 20;
const CLIENTS = 8;
const REQUESTS = 3000;
const SIZE = 64 * MiB;
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qco-nbd-load-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clientScript = (port: number, idx: number): string => `
import nbd, random, hashlib
port, idx, nreq, size, nclients = ${port}, ${idx}, ${REQUESTS}, ${SIZE}, ${CLIENTS}
BS = 4096
region = size // nclients
base = idx * region
nblocks = region // BS
model = bytearray(region)
busy = bytearray(nblocks)
rnd = random.Random(1000 + idx)
h = nbd.NBD()
h.connect_uri("nbd://127.0.0.1:%d/" % port)
pending = {}
bad = 0
issued = 0
done = 0
flushes = 0
def pick(n):
    for _ in range(8):
        b = rnd.randrange(0, nblocks - n + 1)
        if not any(busy[b:b + n]):
            return b
    return None
while done < nreq:
    while issued < nreq and h.aio_in_flight() < 64:
        r = rnd.random()
        if r < 0.03:
            c = h.aio_flush()
            pending[c] = ("f", 0, 0, None)
            flushes += 1
        else:
            n = rnd.choice((1, 1, 2, 4, 16))
            b = pick(n)
            if b is None:
                break
            busy[b:b + n] = b"\\x01" * n
            if r < 0.55:
                val = rnd.randrange(1, 256)
                buf = nbd.Buffer.from_bytearray(bytearray([val]) * (n * BS))
                c = h.aio_pwrite(buf, base + b * BS)
                pending[c] = ("w", b, n, val)
            else:
                buf = nbd.Buffer(n * BS)
                c = h.aio_pread(buf, base + b * BS)
                pending[c] = ("r", b, n, buf)
        issued += 1
    if pending:
        h.poll(-1)
    while pending:
        c = h.aio_peek_command_completed()
        if c == 0:
            break
        h.aio_command_completed(c)
        kind, b, n, x = pending.pop(c)
        if kind == "w":
            model[b * BS:(b + n) * BS] = bytes([x]) * (n * BS)
        elif kind == "r":
            if x.to_bytearray() != model[b * BS:(b + n) * BS]:
                bad += 1
        if kind != "f":
            busy[b:b + n] = bytes(n)
        done += 1
h.flush()
h.shutdown()
print("result", idx, bad, flushes, hashlib.sha256(model).hexdigest(), flush=True)
`;

it(`8 client processes x 64 in flight, ${REQUESTS} mixed requests each: every byte matches the clients' models, server memory bounded`, { timeout: 150_000 }, async () => {
  const img = join(dir, 'load.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', img, String(SIZE)]);
  const port = await freePort();
  const bin = join(__dirname, '..', 'dist', 'qco-nbd.cjs');
  const server = spawn(process.execPath, [bin, '-t', '-e', '16', '-f', 'qcow2', '-p', String(port), '-b', '127.0.0.1', img], { stdio: ['ignore', 'ignore', 'pipe'] });
  let serverErr = '';
  server.stderr.on('data', (d: Buffer) => (serverErr += d.toString()));
  try {
    for (let i = 0; ; i++) {
      const probe = await runTool('nbdinfo', ['--size', `nbd://127.0.0.1:${port}/`], { env: nbdshEnv() });
      if (probe.status === 0) break;
      if (i === 200 || server.exitCode !== null) throw new Error(`qco-nbd did not serve: ${serverErr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const results = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) =>
        runTool('nbdsh', ['-c', clientScript(port, i)], { env: nbdshEnv(), timeoutMs: 120_000 }).then((r) => {
          if (r.status !== 0) throw new Error(`client ${i} failed (${r.status}): ${r.stderr}`);
          return r.stdout;
        }),
      ),
    );
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'));
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
    const check = await runTool('qemu-img', ['check', '-f', 'qcow2', img]);
    expect(check.stdout).toContain('No errors were found on the image.');
    const flat = join(dir, 'load.raw');
    expect((await runTool('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', img, flat])).status).toBe(0);
    const data = readFileSync(flat);
    for (const out of results) {
      const m = /result (\d+) (\d+) (\d+) ([0-9a-f]{64})/.exec(out);
      expect(m, out).not.toBeNull();
      const [, idx, bad, flushes, hash] = m as RegExpExecArray;
      const region = SIZE / CLIENTS;
      expect(Number(bad)).toBe(0);
      expect(Number(flushes)).toBeGreaterThan(0);
      expect(createHash('sha256').update(data.subarray(Number(idx) * region, (Number(idx) + 1) * region)).digest('hex')).toBe(hash);
    }
    expect(hwm).not.toBeNull();
    // 8 clients x 64 requests of at most 64 KiB is 32 MiB of payload; the Node process itself is ~60 MiB.
    expect(Number((hwm as RegExpExecArray)[1]) * 1024).toBeLessThan(384 * MiB);
    expect(serverErr).toBe('');
  } finally {
    server.kill('SIGKILL');
  }
});
