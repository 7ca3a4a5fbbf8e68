/**
 * Cross-checks against Debian's qemu-utils: data written by one tool reads
 * back in the other, and both fail a wrong pattern with the same line and
 * exit status. qemu-io must be installed (setup/apt-peers.txt lists it).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qcoIo, qemu } from './tool-run.js';

let dir = '';
function image(name: string, size = 1 << 20): string {
  const p = join(dir, name);
  writeFileSync(p, Buffer.alloc(size));
  return p;
}
/** The report lines without the timing line, which differs run to run. */
function lines(out: string): string[] {
  return out.split('\n').filter((l) => l !== '' && !/ops; /.test(l));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qco-cross-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('qco-io against qemu-io', () => {
  it('an image written by qco-io reads back with qemu-io', async () => {
    const img = image('a.img');
    const w = await qcoIo(['-c', 'write -P 0xab 0 1M', img]);
    expect(w.status).toBe(0);
    expect(lines(w.stdout)).toEqual(['wrote 1048576/1048576 bytes at offset 0']);
    expect(w.stdout).toMatch(/^1 MiB, 1 ops; \d\d\.\d\d sec \([0-9.]+ [KMGT]iB\/sec and [0-9.]+ ops\/sec\)$/m);
    const r = qemu('qemu-io', ['-f', 'raw', '-c', 'read -P 0xab 0 1M', img]);
    expect(r.status).toBe(0);
    expect(lines(r.stdout)).toEqual(['read 1048576/1048576 bytes at offset 0']);
  });

  it('an image written by qemu-io reads back with qco-io', async () => {
    const img = image('b.img');
    expect(qemu('qemu-io', ['-f', 'raw', '-c', 'write -P 0x5a 0 1M', img]).status).toBe(0);
    const r = await qcoIo(['-f', 'raw', '-c', 'read -P 0x5a 0 1M', img]);
    expect(r.status).toBe(0);
    expect(lines(r.stdout)).toEqual(['read 1048576/1048576 bytes at offset 0']);
  });

  it('a wrong pattern fails in both with the same message and exit status', async () => {
    const img = image('c.img');
    await qcoIo(['-c', 'write -P 0xab 0 1M', img]);
    const ours = await qcoIo(['-c', 'read -P 0xac 0 1M', img]);
    const theirs = qemu('qemu-io', ['-f', 'raw', '-c', 'read -P 0xac 0 1M', img]);
    expect(theirs.status).toBe(1);
    expect(ours.status).toBe(theirs.status);
    expect(lines(ours.stdout)).toEqual(lines(theirs.stdout));
    expect(lines(ours.stdout)[0]).toBe('Pattern verification failed at offset 0, 1048576 bytes');
  });

  it('command chains match qemu-io line for line (write -z, readv, writev, aio, length, read -v)', async () => {
    const a = image('d1.img');
    const b = image('d2.img');
    const chain = [
      'write -P 0xab 0 64k',
      'write -z 4k 4k',
      'read -P 0 4k 4k',
      'readv -P 0xab 0 512 512',
      'writev -P 0xcd 8k 512 1k',
      'aio_write -P 0x11 64k 4k',
      'aio_flush',
      'aio_read -P 0x11 64k 4k',
      'aio_flush',
      'flush',
      'length',
      'read -v 1000 40',
      'read -P 0xcd 8k 1536',
    ].flatMap((c) => ['-c', c]);
    const ours = await qcoIo([...chain, a]);
    const theirs = qemu('qemu-io', ['-f', 'raw', ...chain, b]);
    expect(ours.status).toBe(0);
    expect(theirs.status).toBe(0);
    expect(lines(ours.stdout)).toEqual(lines(theirs.stdout));
  });

  it('unaligned requests on an O_DIRECT (aligned) image go through read-modify-write, as in qemu-io', async () => {
    const img = image('e.img');
    await qcoIo(['-c', 'write -P 0x22 0 4k', img]);
    const w = await qcoIo(['-t', 'none', '-c', 'write -P 0x33 1 100', '-c', 'read -P 0x33 1 100', img]);
    expect(w.status).toBe(0);
    const r = qemu('qemu-io', ['-f', 'raw', '-c', 'read -P 0x22 0 1', '-c', 'read -P 0x33 1 100', '-c', 'read -P 0x22 101 3995', img]);
    expect(r.status).toBe(0);
  });
});

describe('bad input: clear errors, no crash, nothing reported as written', () => {
  it('unknown driver', async () => {
    const r = await qcoIo(['-f', 'nosuch', '-c', 'read 0 4k', 'x']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("qco-io: can't open device x: Unknown driver 'nosuch'\n");
    expect(qemu('qemu-io', ['-f', 'nosuch', '-c', 'read 0 4k', 'x']).stderr).toBe("qemu-io: can't open device x: Unknown driver 'nosuch'\n");
  });
  it('missing file', async () => {
    const p = join(dir, 'missing.img');
    const r = await qcoIo(['-c', 'read 0 4k', p]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`qco-io: can't open device ${p}: Could not open '${p}': No such file or directory\n`);
  });
  it('unknown option', async () => {
    const r = await qcoIo(['--image-opts', '-c', 'read 0 4k', 'driver=null-co,foo=1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("qco-io: can't open: Block protocol 'null-co' doesn't support the option 'foo'\n");
  });
  it('bad option value (qemu-io aborts here; we report it)', async () => {
    const r = await qcoIo(['--image-opts', '-c', 'read 0 4k', 'driver=null-co,size=abc']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("qco-io: can't open: Parameter 'size' expects a non-negative number below 2^64\n");
  });
  it("null-co's filename rule", async () => {
    const r = await qcoIo(['-c', 'read 0 4k', 'null-co://xx']);
    expect(r.stderr).toBe("qco-io: can't open device null-co://xx: The only allowed filename for this driver is 'null-co://'\n");
  });
  it('offset past the end: read and write fail with EIO, the file does not grow', async () => {
    const img = image('f.img');
    const r = await qcoIo(['-c', 'read 1M 4k', '-c', 'write -P 1 1020k 8k', img]);
    const q = qemu('qemu-io', ['-f', 'raw', '-c', 'read 1M 4k', '-c', 'write -P 1 1020k 8k', img]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('read failed: Input/output error\nwrite failed: Input/output error\n');
    expect(lines(r.stdout)).toEqual(lines(q.stdout));
    expect(statSync(img).size).toBe(1 << 20);
  });
  it('writes on a read-only image are refused', async () => {
    const img = image('g.img');
    const r = await qcoIo(['-f', 'raw', '-r', '-c', 'write -P 1 0 512', img]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('qco-io: Block node is read-only\n');
    expect(r.stdout).toBe('');
  });
  it('command errors match qemu-io', async () => {
    const chain = ['read x 4k', 'read 0', 'bogus', 'write -P 0x1ff 0 1'].flatMap((c) => ['-c', c]);
    const ours = await qcoIo(['-f', 'null-co', ...chain, 'null-co://']);
    const theirs = qemu('qemu-io', ['-f', 'null-co', ...chain, 'null-co://']);
    expect(ours.status).toBe(1);
    expect(theirs.status).toBe(1);
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stderr).toBe(theirs.stderr);
  });
});
