// The consumer's C decoder, unchanged, on every stackful backend (the addon on
// native-ucontext and sigaltstack, the qco-asyncify-build module on asyncify):
// hex text fed into the decoder's stdin pipe in small chunks with pauses, so the
// parser runs dry inside its innermost read and waits (suspending from several
// nested C frames) many times; the bytes out must be the bytes in, and the three
// backends must give the same results. Each backend runs in a process of its own
// (one backend per process), selected with QCO_BACKEND.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const decode = join(__dirname, '..', 'decode.mjs');
const BACKENDS = ['native-ucontext', 'sigaltstack', 'asyncify'];

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function hexText(data: Uint8Array): string {
  let s = '# hex dump\n';
  for (let i = 0; i < data.length; i++) s += data[i].toString(16).padStart(2, '0') + (i % 16 === 15 ? '\n' : i % 4 === 3 ? '  ' : ' ');
  return s;
}

async function run(backend: string, text: string, chunk: number): Promise<{ code: number | null; out: Buffer; err: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'npm_package_json'));
  const child = spawn(process.execPath, [decode], { env: { ...env, QCO_BACKEND: backend }, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  // A decoder that refuses its input exits before it has read the rest: writing on is EPIPE.
  child.stdin.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  // Nothing is written before the decoder runs, so its first read finds the pipe empty and waits.
  await new Promise<void>((resolve) => {
    const check = (): void => {
      if (err.includes('decoding on') || child.exitCode !== null) resolve();
      else setTimeout(check, 5);
    };
    check();
  });
  for (let i = 0; i < text.length && child.exitCode === null; i += chunk) {
    child.stdin.write(text.slice(i, i + chunk));
    await new Promise((r) => setTimeout(r, 2));
  }
  child.stdin.end();
  return { code: await exited, out: Buffer.concat(out), err };
}

describe.each(BACKENDS)('the C hex decoder on %s', (backend) => {
  it('decodes a stream that arrives in pieces, waiting inside the parser', async () => {
    const data = bytes(6000, 7);
    const r = await run(backend, hexText(data), 700);
    expect(r.err).toContain(`decoding on ${backend}`);
    expect(r.code, r.err).toBe(0);
    expect(Buffer.compare(r.out, Buffer.from(data))).toBe(0);
    const waits = Number(/waits=(\d+)/.exec(r.err)?.[1]);
    expect(waits).toBeGreaterThan(0);
  });

  it('refuses a bad digit with EINVAL, after the bytes before it', async () => {
    const r = await run(backend, '00 11 2x 33', 4);
    expect(r.code).toBe(1);
    expect(r.err).toContain('decode failed: Invalid argument');
    // On failure nothing is written to stdout.
    expect(r.out.length).toBe(0);
  });
});

describe('the C hex decoder gives the same results on the three backends', () => {
  it('the same bytes, the same refusal, and each waited', async () => {
    const data = bytes(3000, 11);
    const text = hexText(data);
    const runs = [];
    for (const backend of BACKENDS) runs.push({ backend, good: await run(backend, text, 500), bad: await run(backend, '# x\nff 0', 3) });
    for (const r of runs) {
      expect(r.good.err).toContain(`decoding on ${r.backend}`);
      expect(r.good.code, r.good.err).toBe(0);
      expect(Number(/waits=(\d+)/.exec(r.good.err)?.[1])).toBeGreaterThan(0);
    }
    const first = runs.at(0);
    if (first === undefined) throw new Error('no backend ran');
    const rest = runs.slice(1);
    expect(Buffer.compare(first.good.out, Buffer.from(data))).toBe(0);
    for (const r of rest) {
      expect(Buffer.compare(r.good.out, first.good.out), r.backend).toBe(0);
      expect([r.bad.code, /decode failed: .*/.exec(r.bad.err)?.[0]], r.backend).toEqual([first.bad.code, /decode failed: .*/.exec(first.bad.err)?.[0]]);
    }
    expect(first.bad.code).toBe(1);
  });
});
