/**
 * The commands' V8 code cache (src/bin/compile-cache.ts), through the built
 * executables: a first run writes it, a later run takes it as it is, a cache
 * V8 refuses is replaced, and a directory others could write is never used.
 * Whether V8 accepted a cache shows in the files: an accepted one is left
 * alone, a refused one is written again (a new inode, by rename).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const qcoImgBin = join(dist, 'qco-img.cjs');
const work = mkdtempSync(join(tmpdir(), 'qco-compile-cache-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const image = join(work, 'x.raw');
writeFileSync(image, Buffer.alloc(1 << 20, 7));
/** A command that loads the block layer, whose bundle files are big enough to be cached (`--version`'s are not). */
const INFO = ['info', '-f', 'raw', image];

function run(args: string[], env: Record<string, string>): string {
  if (!existsSync(qcoImgBin)) throw new Error(`${qcoImgBin} is missing: build the package first (pnpm exec turbo run build)`);
  const r = spawnSync(process.execPath, [qcoImgBin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

/** Each cache file's name with its inode and contents. */
function snapshot(dir: string): Map<string, { ino: number; data: Buffer }> {
  return new Map(readdirSync(dir).map((n) => [n, { ino: statSync(join(dir, n)).ino, data: readFileSync(join(dir, n)) }]));
}

function freshDir(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

describe('the commands’ compile cache', () => {
  it('a first run writes the cache and a second run takes it unchanged', () => {
    const cache = freshDir('a');
    expect(run(INFO, { QCO_COMPILE_CACHE: cache })).toContain('file format: raw');
    const first = snapshot(cache);
    expect(first.size).toBeGreaterThan(0);
    for (const name of first.keys()) expect(name).toMatch(/^[\w-]+-\d+-[0-9a-f]{16}\.v8$/);
    run(INFO, { QCO_COMPILE_CACHE: cache });
    expect(snapshot(cache)).toEqual(first);
  });

  it('a command that sets its own V8 flags keeps a cache of its own', () => {
    const cache = freshDir('b');
    const img = image;
    run(INFO, { QCO_COMPILE_CACHE: cache });
    const info = snapshot(cache);
    run(['convert', '-f', 'raw', '-O', 'raw', img, join(work, 'b-copy.raw')], { QCO_COMPILE_CACHE: cache });
    const both = snapshot(cache);
    // convert's files are new ones; info's are left as they were.
    for (const [name, entry] of info) expect(both.get(name)).toEqual(entry);
    expect(both.size).toBeGreaterThan(info.size);
    expect(readFileSync(join(work, 'b-copy.raw')).equals(readFileSync(img))).toBe(true);
  });

  it('qco-img --version, whose files are small, neither reads nor writes one', () => {
    const cache = freshDir('f');
    expect(run(['--version'], { QCO_COMPILE_CACHE: cache })).toMatch(/^qco-img version /);
    expect(readdirSync(cache)).toEqual([]);
  });

  it('a cache V8 refuses (garbage, truncated) is replaced, and the command runs as without one', () => {
    const cache = freshDir('c');
    const info = run(INFO, { QCO_COMPILE_CACHE: cache });
    const names = [...snapshot(cache).keys()];
    names.forEach((n, i) => writeFileSync(join(cache, n), i % 2 === 0 ? Buffer.alloc(4096, 0xa5) : Buffer.from('QCO')));
    const spoilt = snapshot(cache);
    expect(run(INFO, { QCO_COMPILE_CACHE: cache })).toBe(info);
    const after = snapshot(cache);
    for (const n of names) {
      expect(after.get(n)?.ino).not.toBe(spoilt.get(n)?.ino);
      expect(after.get(n)?.data.equals(spoilt.get(n)?.data ?? Buffer.alloc(0))).toBe(false);
    }
  });

  it('a directory that others may write is not used, nor any with QCO_COMPILE_CACHE=0', () => {
    const open = freshDir('d');
    chmodSync(open, 0o777);
    run(INFO, { QCO_COMPILE_CACHE: open });
    expect(readdirSync(open)).toEqual([]);
    const home = freshDir('e');
    run(INFO, { QCO_COMPILE_CACHE: '0', XDG_CACHE_HOME: home });
    expect(readdirSync(home)).toEqual([]);
    // The default place is under XDG_CACHE_HOME.
    run(INFO, { QCO_COMPILE_CACHE: '', XDG_CACHE_HOME: home });
    expect(readdirSync(join(home, 'qco', 'compile-cache')).length).toBeGreaterThan(0);
  });
});
