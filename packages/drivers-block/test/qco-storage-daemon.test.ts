/**
 * qco-storage-daemon's command line as qemu-storage-daemon's: node graphs from
 * --blockdev, an NBD export through --nbd-server (the NBD server of
 * exports/nbd) judged by qemu-io over nbd+unix, and its errors in QEMU's words.
 * The vhost-user-blk export is exercised by a real guest in vhost-user-blk-guest.test.ts.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { startStorageDaemon } from '../src/tools/qco-storage-daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'qco-sd-'));
const bin = fileURLToPath(new URL('../dist/qco-storage-daemon.cjs', import.meta.url));

function daemon(args: string[]): { status: number | null; stderr: string; stdout: string } {
  if (!existsSync(bin)) throw new Error(`${bin} is not built: run pnpm --filter @qco/drivers-block build first`);
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('qco-storage-daemon', () => {
  test('--export type=nbd through --nbd-server: qemu-io reads and writes the node', async () => {
    const img = join(dir, 'nbd.img');
    writeFileSync(img, Buffer.alloc(4 << 20, 0x2a));
    const sock = join(dir, 'nbd.sock');
    const d = await startStorageDaemon([
      '--blockdev',
      `driver=file,node-name=file0,filename=${img}`,
      '--blockdev',
      'driver=raw,node-name=disk,file=file0',
      '--nbd-server',
      `addr.type=unix,addr.path=${sock}`,
      '--export',
      'type=nbd,id=exp0,node-name=disk,name=disk,writable=on',
    ]);
    try {
      const url = `nbd+unix:///disk?socket=${sock}`;
      // Asynchronously: the server runs in this process's event loop.
      const r = await promisify(execFile)('qemu-io', ['-f', 'raw', '-c', 'read -P 0x2a 0 1M', '-c', 'write -P 0x5c 1M 64k', '-c', 'read -P 0x5c 1M 64k', url], { encoding: 'utf8' });
      expect(r.stdout + r.stderr).not.toContain('failed');
      expect(r.stdout.match(/^(read|wrote) /gm)).toHaveLength(3);
    } finally {
      await d.close();
    }
    const check = spawnSync('qemu-io', ['-f', 'raw', '-c', 'read -P 0x5c 1M 64k', img], { encoding: 'utf8' });
    expect(check.stdout).toContain('read 65536/65536 bytes');
  });

  for (const form of ['file=<node-name>', 'file.driver=file,file.filename=…'] as const) {
    test(`--blockdev driver=qcow2 with ${form}: the backing file its header names is opened, qemu-io reads it and writes the overlay over NBD`, async () => {
      const backing = join(dir, `backing-${form.length}.raw`);
      writeFileSync(backing, Buffer.alloc(4 << 20, 0x2a));
      const overlay = join(dir, `overlay-${form.length}.qcow2`);
      const mk = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', backing, '-F', 'raw', overlay], { encoding: 'utf8' });
      expect(mk.status, mk.stderr).toBe(0);
      const sock = join(dir, `qcow2-${form.length}.sock`);
      const nodes =
        form === 'file=<node-name>'
          ? ['--blockdev', `driver=file,node-name=f,filename=${overlay}`, '--blockdev', 'driver=qcow2,node-name=q,file=f']
          : ['--blockdev', `driver=qcow2,node-name=q,file.driver=file,file.filename=${overlay}`];
      const d = await startStorageDaemon([...nodes, '--nbd-server', `addr.type=unix,addr.path=${sock}`, '--export', 'type=nbd,id=exp0,node-name=q,name=disk,writable=on']);
      try {
        expect(d.nodes.get('q')?.driver.formatName).toBe('qcow2');
        expect(d.nodes.get('q')?.nodeName).toBe('q');
        const url = `nbd+unix:///disk?socket=${sock}`;
        const r = await promisify(execFile)('qemu-io', ['-f', 'raw', '-c', 'read -P 0x2a 0 4M', '-c', 'write -P 0x5c 1M 64k', '-c', 'read -P 0x5c 1M 64k', url], { encoding: 'utf8' });
        expect(r.stdout + r.stderr).not.toContain('failed');
        expect(r.stdout.match(/^(read|wrote) /gm)).toHaveLength(3);
      } finally {
        await d.close();
      }
      const check = spawnSync('qemu-img', ['check', overlay], { encoding: 'utf8' });
      expect(check.stdout).toContain('No errors were found on the image.');
      const qio = spawnSync('qemu-io', ['-f', 'qcow2', '-c', 'read -P 0x5c 1M 64k', '-c', 'read -P 0x2a 0 1M', '-c', 'read -P 0x2a 1088k 2M', overlay], { encoding: 'utf8' });
      expect(qio.stdout + qio.stderr).not.toContain('failed');
      expect(qio.stdout.match(/^read /gm)).toHaveLength(3);
      // The write went to the overlay only.
      expect(spawnSync('qemu-io', ['-f', 'raw', '-c', 'read -P 0x2a 0 4M', backing], { encoding: 'utf8' }).stdout).toContain('read 4194304/4194304 bytes');
    });
  }

  test('errors in qemu-storage-daemon\'s words, exit status 1', () => {
    const img = join(dir, 'e.img');
    writeFileSync(img, Buffer.alloc(1 << 20));
    const qcow2 = join(dir, 'e.qcow2');
    expect(spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', qcow2, '1M']).status).toBe(0);
    const cases: [string[], string][] = [
      [['--bogus'], "unrecognized option '--bogus'"],
      [['--blockdev', `driver=file,filename=${img}`], 'A top-level node must have a node-name'],
      [['--blockdev', `driver=file,node-name=a,filename=${img}`, '--blockdev', `driver=file,node-name=a,filename=${img}`], "Duplicate nodes with node-name='a'"],
      [['--export', 'type=vhost-user-blk,id=x,node-name=nope,addr.type=unix,addr.path=/tmp/x'], "Cannot find device='' nor node-name='nope'"],
      [['--blockdev', `driver=file,node-name=a,filename=${img}`, '--export', 'type=nbd,id=x,node-name=a'], 'NBD server not running'],
      [['--blockdev', `driver=file,node-name=a,filename=${img}`, '--export', 'type=fuse,id=x,node-name=a'], "Parameter 'type' does not accept value 'fuse'"],
      [['--export', 'type=nbd,node-name=a'], "Parameter 'id' is missing"],
      [['--object', 'memory-backend-ram,id=m'], 'invalid object type: memory-backend-ram'],
      [['--blockdev', 'driver=qcow2,node-name=q,file=nope'], "Cannot find device='nope' nor node-name='nope'"],
      [['--blockdev', `driver=file,node-name=f,filename=${qcow2}`, '--blockdev', 'driver=qcow2,node-name=q,file=f,backing=nob'], "Could not open backing file: Cannot find device='nob' nor node-name='nob'"],
      [['--blockdev', `driver=file,node-name=a,filename=${img}`, '--export', 'type=vhost-user-blk,id=x,node-name=a,addr.type=unix,addr.path=/tmp/x.sock,logical-block-size=1000'], 'Block size must be a power of 2 from 512 to 32768'],
    ];
    for (const [args, msg] of cases) {
      const r = daemon(args);
      expect([args.join(' '), r.status]).toEqual([args.join(' '), 1]);
      expect(r.stderr).toContain(`qco-storage-daemon: ${msg}`);
    }
    expect(daemon(['--help']).stdout).toContain('--export [type=]vhost-user-blk');
  });
});
