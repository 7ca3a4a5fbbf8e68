/**
 * qco-perf's command line: --help prints the usage; what it cannot run is said
 * in one line with the usage and exit status 2, never a stack trace, and
 * before any benchmark starts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'perf-cli.js');

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  expect(existsSync(cli), `${cli} is missing: build @qco/bench first`).toBe(true);
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('qco-perf command line', () => {
  it('--help prints the usage and runs nothing', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: qco-perf \[--time SECONDS\]/);
    expect(r.stdout).not.toContain('backends available');
  });

  it.each([
    [['--nope'], "qco-perf: Unknown option '--nope'"],
    [['stray'], "qco-perf: Unexpected argument 'stray'"],
    [['--tries', 'x'], "qco-perf: --tries takes a non-negative number, not 'x'"],
    [['--filter', '('], 'qco-perf: --filter: Invalid regular expression: /(/'],
    [['--backends', 'generator,nosuch'], "qco-perf: --backends: no backend named 'nosuch' (this workspace has "],
  ])('%j: one line with the usage, exit 2', (args, message) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stderr.startsWith(message)).toBe(true);
    expect(r.stderr).toContain('\nusage: qco-perf ');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).not.toContain('qco-perf [1/');
  });
});
