// What must hold across processes and isolates: a process that ends (normally,
// by process.exit, from inside a coroutine, or by an uncaught exception) with
// coroutines suspended on their threads neither hangs nor crashes and runs no
// more of their JavaScript; worker_threads each get their own runtime; and
// --stress-compaction with GCs inside coroutines corrupts nothing. The children
// import the built dist (turbo builds before test).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures');

function run(args: string[]) {
  const r = spawnSync(process.execPath, args, { cwd: fixtures, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

describe('threads backend across processes and isolates', () => {
  it('has its dist built (the children import it)', () => {
    expect(existsSync(join(here, '..', 'dist', 'index.js')), 'run `pnpm --filter @qco/backend-threads build` first').toBe(true);
  });

  it('/threads/exit/event-loop-ends-with-live-coroutines', () => {
    const r = run(['live-at-exit.mjs', 'end']);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.out).toContain('PARKED');
    expect(r.out).not.toContain('FINALLY-RAN');
  });

  it('/threads/exit/pending-timer', () => {
    const r = run(['live-at-exit.mjs', 'timer']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('TIMER');
    expect(r.out).not.toContain('FINALLY-RAN');
  });

  it('/threads/exit/process-exit', () => {
    const r = run(['live-at-exit.mjs', 'exit']);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(3);
    expect(r.out).not.toContain('FINALLY-RAN');
  });

  it('/threads/exit/process-exit-inside-a-coroutine', () => {
    const r = run(['live-at-exit.mjs', 'exit-inside']);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(4);
  });

  it('/threads/exit/uncaught-exception-from-a-body', () => {
    const r = run(['live-at-exit.mjs', 'throw-inside']);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.err).toContain('uncaught in a plain body');
  });

  it('/threads/gc/stress-compaction', () => {
    const r = run(['--expose-gc', '--stress-compaction', 'stress-compaction.mjs']);
    expect(r.err).toBe('');
    expect(r.out).toContain('STRESS-OK');
    expect(r.code).toBe(0);
  });

  function worker(mode: string, seed: number): Worker {
    return new Worker(join(fixtures, 'worker-body.mjs'), { workerData: { mode, seed }, execArgv: [] }); // no qco-source condition: the worker loads dist
  }

  it('/threads/worker-threads/each-isolate-its-own', async () => {
    const results = await Promise.all(
      [1000, 5000].map(
        (seed) =>
          new Promise<{ msg: { sum: number; done: boolean }; code: number }>((resolve, reject) => {
            const w = worker('work', seed);
            let msg: { sum: number; done: boolean } | undefined;
            w.on('message', (m: { sum: number; done: boolean }) => (msg = m));
            w.on('error', reject);
            w.on('exit', (code) => (msg ? resolve({ msg, code }) : reject(new Error(`worker exited ${code} without a result`))));
          }),
      ),
    );
    for (const [i, seed] of [1000, 5000].entries()) {
      const expected = Array.from({ length: 200 }, (_, k) => 2 * (seed + k)).reduce((a, b) => a + b, 0);
      expect(results[i]?.msg).toEqual({ sum: expected, done: true });
      expect(results[i]?.code).toBe(0);
    }
  });

  // Resolves with terminate()'s exit code, or rejects if it never returns.
  async function spinThenTerminate(delayMs: number, mode = 'spin'): Promise<number> {
    const w = worker(mode, 0);
    await new Promise<void>((resolve, reject) => {
      w.on('message', () => resolve());
      w.on('error', reject);
    });
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('worker.terminate() did not return within 20 s: the termination was lost')), 20_000);
    });
    try {
      return await Promise.race([w.terminate(), stuck]);
    } finally {
      clearTimeout(timer);
    }
  }

  it('/threads/worker-threads/terminate-while-a-coroutine-runs', async () => {
    expect(await spinThenTerminate(0)).toBe(1);
  });

  // worker.terminate() landing while the isolate passes from the worker's main
  // thread to the coroutine it enters (the body then loops in JavaScript and
  // never hands back): the termination must still reach the body. Without the
  // Enter-side probe about one in seven of these hung.
  it('/threads/worker-threads/terminate-racing-the-enter', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 30; i++) codes.push(await spinThenTerminate(i % 3));
    expect(codes).toEqual(Array.from({ length: 30 }, () => 1));
  }, 120_000);

  // The same race one level down: the termination lands on a coroutine as it
  // enters the one that loops, and must still reach the loop.
  it('/threads/worker-threads/terminate-racing-a-nested-enter', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 20; i++) codes.push(await spinThenTerminate(i % 3, 'spin-nested'));
    expect(codes).toEqual(Array.from({ length: 20 }, () => 1));
  }, 120_000);
});
