/**
 * The nfs driver through the block layer against a real nfs-ganesha on
 * 127.0.0.1, cross-checked with QEMU's own nfs driver (qemu-io from qemu-utils +
 * qemu-block-extra, on libnfs) and with the exported directory on disk: 64 MiB
 * written by one side is read back by the other, both ways. Then the URI and
 * open errors with QEMU's messages, truncate and flush.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BlockBackend, NfsBlockDriverState, NfsOpenError, NfsUriError, parseNfsUri } from '../src/index.js';
import { qcoImgMain } from '../src/tools/qco-img.js';
import { captureStreams } from '../src/tools/common/streams.js';
import { endStarted, startGanesha, type GaneshaPeer } from '@qco/test-utils';
import { IMAGE, MiB, expectReadBack, expectRegionsVerified, regionIoCommands, regionPattern, sha, writeInFlight } from './region-image.js';

let peer: GaneshaPeer;
beforeAll(async () => {
  if (!existsSync('/usr/bin/qemu-io')) throw new Error('/usr/bin/qemu-io is missing: install packages/drivers-block/setup/apt-peers.txt');
  peer = await startGanesha();
});
afterAll(async () => {
  await endStarted(peer);
});

function qemuIo(args: string[]): string {
  return execFileSync('/usr/bin/qemu-io', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * MiB });
}

async function openError(spec: string): Promise<Error> {
  try {
    const blk = await BlockBackend.open(spec);
    await blk.close();
  } catch (err) {
    return err as Error;
  }
  throw new Error(`opening ${spec} succeeded`);
}

describe('data written by one side reads back on the other', () => {
  test('64 MiB written by qco, read back by qemu-io and from the export directory', async () => {
    const name = 'ours.img';
    writeFileSync(join(peer.exportDir, name), '');
    truncateSync(join(peer.exportDir, name), IMAGE);
    const data = regionPattern();
    const blk = await BlockBackend.open(peer.url(name), { format: 'nfs' });
    expect(blk.bs).toBeInstanceOf(NfsBlockDriverState);
    await writeInFlight(blk, data);
    await blk.flush();
    expect((blk.bs as NfsBlockDriverState).file.pendingCommitBytes).toBe(0);
    expect(await blk.getLength()).toBe(IMAGE);
    await blk.close();

    expectRegionsVerified(qemuIo(['-f', 'raw', ...regionIoCommands('read'), peer.url(name)]));

    expect(sha(readFileSync(join(peer.exportDir, name)))).toBe(sha(data));
  });

  test('64 MiB written by qemu-io and on the export directory, read back by qco', async () => {
    const name = 'theirs.img';
    writeFileSync(join(peer.exportDir, name), '');
    truncateSync(join(peer.exportDir, name), IMAGE);
    qemuIo(['-f', 'raw', ...regionIoCommands('write'), peer.url(name)]);
    await expectReadBack(
      name,
      (file) => BlockBackend.open(peer.url(file), { readOnly: true }),
      (file, data) => {
        writeFileSync(join(peer.exportDir, file), data);
      },
    );
  });
});

describe('nfs:// filenames and open errors', () => {
  test('URI parameters map to QEMU option names; port and query are kept', () => {
    expect(parseNfsUri('nfs://127.0.0.1:2049/exp/a.img?uid=1000&gid=0x10&tcp-syn-cnt=3&readahead-size=65536&page-cache-size=4096&debug=1')).toEqual({
      'server.host': '127.0.0.1',
      'server.type': 'inet',
      'server.port': 2049,
      path: '/exp/a.img',
      user: 1000,
      group: 16,
      'tcp-syn-count': 3,
      'readahead-size': 65536,
      'page-cache-size': 4096,
      debug: 1,
    });
    // QEMU 7's spellings still work.
    expect(parseNfsUri('nfs://h/e/f?tcp-syncnt=2&readahead=1&pagecache=1')).toMatchObject({ 'tcp-syn-count': 2, 'readahead-size': 1, 'page-cache-size': 1 });
  });

  test('an unknown parameter is refused by name', async () => {
    const err = await openError(peer.url('x.img', '?foo=1'));
    expect(err).toBeInstanceOf(NfsUriError);
    expect(err.message).toContain('Unknown NFS parameter name: foo');
  });

  test('bad values, missing values, missing host and missing path', async () => {
    expect((await openError(peer.url('x.img', '?uid=abc'))).message).toContain('Illegal value for NFS parameter: uid');
    expect((await openError(peer.url('x.img', '?uid'))).message).toContain('Value for NFS parameter expected: uid');
    expect((await openError('nfs:///tmp/x.img')).message).toContain('missing hostname in URI');
    expect((await openError('nfs://127.0.0.1')).message).toContain('missing file path in URI');
  });

  test('no such export', async () => {
    const err = await openError('nfs://127.0.0.1/no/such/export/a.img');
    expect(err).toBeInstanceOf(NfsOpenError);
    expect(err.message).toMatch(/Failed to mount nfs share: mount_cb: RPC error: Mount failed with error MNT3ERR_(ACCES|NOENT)/);
  });

  test('no such file', async () => {
    const err = await openError(peer.url('nofile.img'));
    expect(err).toBeInstanceOf(NfsOpenError);
    expect(err.message).toContain('Failed to open file : open call failed with "NFS: Lookup of /nofile.img failed with NFS3ERR_NOENT(-2)"');
    expect((err as NfsOpenError).errno).toBe(2);
  });

  test('an explicit port skips nothing and a wrong one fails clearly', async () => {
    writeFileSync(join(peer.exportDir, 'port.img'), Buffer.alloc(4096, 7));
    const blk = await BlockBackend.open(`nfs://127.0.0.1:2049${peer.exportDir}/port.img`);
    expect(Buffer.from(await blk.pread(0, 4096)).every((v) => v === 7)).toBe(true);
    await blk.close();
    const err = await openError(`nfs://127.0.0.1:1${peer.exportDir}/port.img`);
    expect(err).toBeInstanceOf(NfsOpenError);
    expect(err.message).toMatch(/^Failed to mount nfs share: /);
  });
});

describe('create', () => {
  test('qco-img convert creates the nfs target (CREATE + SETATTR size) and qemu-io reads it back', async () => {
    const src = join(peer.exportDir, '..', 'src.raw');
    const data = randomBytes(3 * MiB + 512);
    writeFileSync(src, data);
    const io = captureStreams();
    const code = await qcoImgMain(['convert', '-f', 'raw', '-O', 'raw', src, peer.url('created.img')], io);
    expect(io.stderr).toBe('');
    expect(code).toBe(0);
    expect(sha(readFileSync(join(peer.exportDir, 'created.img')))).toBe(sha(data));
    // The mode QEMU's nfs_file_create uses.
    expect(statSync(join(peer.exportDir, 'created.img')).mode & 0o777).toBe(0o600);
    const out = qemuIo(['-f', 'raw', '-c', `read -v ${3 * MiB} 16`, peer.url('created.img')]);
    expect(out).toContain(data.subarray(3 * MiB, 3 * MiB + 4).toString('hex').match(/../g)?.join(' ') as string);
  });
});

describe('requests', () => {
  test('truncate grows and shrinks the file (SETATTR); flush commits', async () => {
    writeFileSync(join(peer.exportDir, 'grow.img'), Buffer.alloc(1024));
    const blk = await BlockBackend.open(peer.url('grow.img'));
    await blk.truncate(4096);
    expect(await blk.getLength()).toBe(4096);
    await blk.pwrite(1024, Buffer.alloc(3000, 0x5a));
    await blk.flush();
    expect(statSync(join(peer.exportDir, 'grow.img')).size).toBe(4096);
    expect(readFileSync(join(peer.exportDir, 'grow.img')).subarray(1024, 4024).every((v) => v === 0x5a)).toBe(true);
    await blk.truncate(512);
    expect(statSync(join(peer.exportDir, 'grow.img')).size).toBe(512);
    expect(await blk.getLength()).toBe(512);
    const info = await blk.getInfo();
    expect(info.allocatedSize).toBeGreaterThan(0);
    expect(info.extra?.['nfs wsize']).toMatch(/^\d+$/);
    await blk.close();
  });

  test('a read past the end of the file reads zeroes', async () => {
    writeFileSync(join(peer.exportDir, 'short.img'), Buffer.alloc(1000, 1));
    const blk = await BlockBackend.open(peer.url('short.img'), { readOnly: true });
    expect(await blk.getLength()).toBe(1024);
    const back = await blk.pread(0, 1024);
    expect(back.subarray(0, 1000).every((v) => v === 1)).toBe(true);
    expect(back.subarray(1000).every((v) => v === 0)).toBe(true);
    await blk.close();
  });
});
