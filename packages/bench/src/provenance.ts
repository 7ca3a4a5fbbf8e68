/**
 * Where a report's numbers come from: the git commit of the workspace, the
 * machine and its load, and the versions of the external tools the baselines run.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { cpus, hostname, loadavg, totalmem } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import type { BenchMachine } from './types.js';

/** First line a command prints (stdout, else stderr: `ssh -V` writes there); null when it fails. */
function firstLine(cmd: string, args: readonly string[], cwd?: string): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}), timeout: 10_000 });
  if (r.error || r.status !== 0) return null;
  return (r.stdout.trim() || r.stderr.trim()).split('\n')[0]?.trim() || null;
}

/** The commit checked out in `root`, '-dirty' appended when tracked files changed; null outside git. */
export function gitCommit(root: string): string | null {
  const head = firstLine('git', ['rev-parse', 'HEAD'], root);
  if (head === null) return null;
  const r = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' });
  const dirty = r.status === 0 && r.stdout.trim() !== '';
  return dirty ? `${head}-dirty` : head;
}

/** Whether `cmd` is an executable on PATH (or an executable path). */
export function onPath(cmd: string): boolean {
  const candidates = isAbsolute(cmd) ? [cmd] : (process.env['PATH'] ?? '').split(delimiter).filter(Boolean).map((d) => join(d, cmd));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Versions of the tools block baselines compare with (null when missing). */
export function toolVersions(): Record<string, string | null> {
  return {
    'qemu-img': onPath('qemu-img') ? firstLine('qemu-img', ['--version']) : null,
    ssh: onPath('ssh') ? firstLine('ssh', ['-V']) : null,
    fio: onPath('fio') ? firstLine('fio', ['--version']) : null,
    nbdkit: onPath('nbdkit') ? firstLine('nbdkit', ['--version']) : null,
  };
}

/** The machine, with its load average now. */
export function machine(): BenchMachine {
  return {
    hostname: hostname(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(totalmem() / 2 ** 30),
    platform: process.platform,
    arch: process.arch,
    loadBefore: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** os.loadavg(), rounded. */
export function loadNow(): number[] {
  return loadavg().map((x) => Math.round(x * 100) / 100);
}
