/**
 * null-co's latency-ns far beyond what one libuv timer holds (2^31 - 1 ms):
 * QEMU's timers take int64 nanoseconds, so a latency of 9·10^15 ns (about
 * 104 days) is a request that simply does not complete soon. It must neither
 * complete early nor make Node fire its timer every millisecond with a
 * TimeoutOverflowWarning. Run in a child process of its own (the request
 * stays pending until that process exits), against the built package.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../dist/index.js');

function pendingRead(latencyNs: string, waitMs: number): { warnings: number; done: boolean; error?: string } {
  if (!existsSync(dist)) throw new Error(`${dist} is missing: build the package first (pnpm --filter @qco/drivers-block build)`);
  const script = `
    import { BlockBackend } from ${JSON.stringify(dist)};
    let warnings = 0;
    process.on('warning', (w) => { if (w.name === 'TimeoutOverflowWarning') warnings++; });
    const out = (o) => { process.stdout.write(JSON.stringify(o)); process.exit(0); };
    try {
      const blk = await BlockBackend.open('json:{"driver":"null-co","latency-ns":${latencyNs}}');
      let done = false;
      blk.pread(0, 512).then(() => (done = true), (e) => out({ warnings, done, error: e.message }));
      setTimeout(() => out({ warnings, done }), ${waitMs});
    } catch (e) { out({ warnings: 0, done: false, error: e.message }); }
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { warnings: number; done: boolean };
}

describe('/null/latency-ns', () => {
  it('a latency beyond 2^31 - 1 ms neither completes early nor storms TimeoutOverflowWarnings', () => {
    expect(pendingRead('9000000000000000', 400)).toEqual({ warnings: 0, done: false });
  });

  it('a short latency still completes (the clamp only bounds each timer step)', () => {
    expect(pendingRead('20000000', 1000)).toEqual({ warnings: 0, done: true });
  });

  it('a latency of 1e30 is refused as out of range, as QEMU refuses it', () => {
    expect(pendingRead('1e30', 100)).toEqual({ warnings: 0, done: false, error: "Parameter 'latency-ns' expects a number" });
  });
});
