// qco-dashboard's command line: --help prints the usage; an unknown option, a
// missing path or a file that is not a qco-perf report is said in one line
// naming the file, exit status 1, and writes no page.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const app = resolve(__dirname, '..');
const cli = join(app, 'dist/cli.js');
const work = join(app, '.qco-run', 'cli');
mkdirSync(work, { recursive: true });
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  expect(existsSync(cli), `${cli} is missing: build the dashboard first`).toBe(true);
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('qco-dashboard command line', () => {
  it('--help prints the usage and renders nothing', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('usage: qco-dashboard [--out FILE.html] [--screenshot FILE.png] [REPORT.json | FOLDER]...\n');
  });

  it('an unknown option: one line and the usage, exit 1', () => {
    const r = run('--nope');
    expect(r.status).toBe(1);
    expect(r.stderr.startsWith("qco-dashboard: Unknown option '--nope'")).toBe(true);
    expect(r.stderr).toContain('\nusage: qco-dashboard ');
  });

  it('a file that is not JSON or not a report is named, and no page is written', () => {
    const bad = join(work, 'bad.json');
    const other = join(work, 'other.json');
    const out = join(work, 'page.html');
    writeFileSync(bad, '{ not json');
    writeFileSync(other, JSON.stringify({ schema: 'something-else/1' }));
    const r1 = run(bad, '--out', out);
    expect(r1.status).toBe(1);
    expect(r1.stderr.startsWith(`qco-dashboard: ${bad}: not a qco-perf report (`)).toBe(true);
    const r2 = run(other, '--out', out);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toBe(`qco-dashboard: ${other}: not a qco-perf report (schema something-else/1)\n`);
    const r3 = run(join(work, 'missing.json'), '--out', out);
    expect(r3.stderr).toBe(`qco-dashboard: ${join(work, 'missing.json')}: no such file or folder\n`);
    expect(existsSync(out)).toBe(false);
  });
});
