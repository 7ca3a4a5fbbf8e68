/**
 * Crash consistency: a writer process with 64 requests in flight on a qcow2
 * image is killed with SIGKILL at seeded random points, three times over
 * the same image. After every kill `qemu-img check` finds no corruption
 * (leaked clusters are allowed: a crash between allocating and linking
 * leaks), every write acknowledged before a completed flush reads back, and
 * `qco-img check -r leaks` leaves an image qemu-img calls clean.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockBackend } from '../src/index.js';
import { captureStreams } from '../src/tools/common/streams.js';
import { qcoImgMain } from '../src/tools/qco-img.js';

const here = dirname(fileURLToPath(import.meta.url));
const writer = join(here, 'fixtures/qcow2-crash-writer.mjs');
const SLOT = 8192;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qco-qcow2-crash-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function region(s: number): { off: number; len: number } {
  return { off: s * SLOT + ((s * 37) % 1000), len: 3000 + ((s * 101) % 4000) };
}

/** Run the writer from slot `first` and SIGKILL it `afterMs` after it is ready; the slots a completed flush covers. */
function crashRun(img: string, first: number, afterMs: number): Promise<{ durable: number[]; acked: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, img, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acks: number[] = [];
    let durable = 0;
    let buf = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'READY') setTimeout(() => child.kill('SIGKILL'), afterMs);
        else if (line.startsWith('A ')) acks.push(Number(line.slice(2)));
        else if (line.startsWith('F ')) durable = Math.max(durable, Number(line.slice(2)));
      }
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer ended without being killed (${code}): ${err}`));
      else resolve({ durable: acks.slice(0, durable), acked: acks.length });
    });
  });
}

describe('qcow2 crash consistency', () => {
  it('SIGKILL with 64 writes in flight: no corruption, every flushed write present, leaks repaired by check -r leaks', async () => {
    expect(existsSync(join(here, '../dist/index.js')), 'the package is built before its tests (turbo test dependsOn build)').toBe(true);
    const img = join(dir, 'crash.qcow2');
    // Room for all three rounds however fast the writer is: it covers 1 GiB of slots in ~3.5 s on an
    // idle machine, and a writer that reaches the end exits before its kill (seen in a clean-clone run).
    await BlockBackend.create({ filename: img, format: 'qcow2', size: 8 * 2 ** 30 });
    const durable: number[] = [];
    let first = 0;
    for (const [round, afterMs] of [1300, 1900, 1600].entries()) {
      const r = await crashRun(img, first, afterMs);
      expect(r.acked, `round ${round}: the writer made progress before it was killed`).toBeGreaterThan(64);
      durable.push(...r.durable);
      const check = spawnSync('qemu-img', ['check', '--output=json', img], { encoding: 'utf8' });
      const res = JSON.parse(check.stdout) as { corruptions?: number; leaks?: number };
      expect(res.corruptions ?? 0, `round ${round}: ${check.stdout}${check.stderr}`).toBe(0);
      expect([0, 3]).toContain(check.status);
      const blk = await BlockBackend.open(img, { readOnly: true });
      for (const s of durable) {
        const { off, len } = region(s);
        const got = await blk.pread(off, len);
        let bad = -1;
        for (let i = 0; i < len && bad < 0; i++) if (got[i] !== ((s * 13 + i) & 0xff)) bad = i;
        expect(bad, `round ${round}: slot ${s} was acknowledged before a completed flush`).toBe(-1);
      }
      await blk.close();
      // The next round writes slots the killed writer never reached.
      first += r.acked + 2 * 64 + 1000;
    }
    expect(durable.length).toBeGreaterThan(100);
    const io = captureStreams();
    const status = await qcoImgMain(['check', '-r', 'leaks', img], io);
    expect(status, io.stdout + io.stderr).toBe(0);
    const after = spawnSync('qemu-img', ['check', img], { encoding: 'utf8' });
    expect(after.stdout).toContain('No errors were found on the image.');
  }, 120_000);
});
