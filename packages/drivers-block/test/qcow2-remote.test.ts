/**
 * qcow2 over the network protocols, judged by qemu-io and qemu-img: the
 * format node works over any protocol node. Over ssh (a real OpenSSH sshd)
 * and nfs (a real nfs-ganesha), patterns written through qcow2 by qco read
 * back with qemu-io over the same protocol and the other way round, the
 * overlay copying on write from a backing file that lives beside it, and
 * `qemu-img check` finds the image clean on the server's disk.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endStarted, startGanesha, startSshd, type GaneshaPeer, type SshAgentPeer, type SshdPeer } from '@qco/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockBackend, type BlockOpenOptions } from '../src/index.js';

const MiB = 1 << 20;

function pattern(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

function checkClean(img: string): void {
  const r = spawnSync('qemu-img', ['check', img], { encoding: 'utf8' });
  expect(r.stdout + r.stderr).toContain('No errors were found on the image.');
}

/** Write through qcow2 over `url`, read what qemu-io wrote, and let qemu-io read what we wrote. */
async function roundTrip(url: (name: string) => string, localDir: string, how: BlockOpenOptions, qemuIo: (args: string[]) => string): Promise<void> {
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(localDir, 'base.qcow2'), '8M']);
  execFileSync('qemu-io', ['-c', 'write -P 0x21 0 8M', join(localDir, 'base.qcow2')], { stdio: 'ignore' });
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', join(localDir, 'over.qcow2')]);
  // Probing finds qcow2 over the protocol; the backing file is opened over it too (beside the overlay).
  const blk = await BlockBackend.open(url('over.qcow2'), how);
  expect(blk.driverName).toBe('qcow2');
  expect(blk.bs.children?.map((c) => [c.role, c.bs.driver.formatName])).toEqual([
    ['file', blk.bs.children?.[0]?.bs.driver.formatName],
    ['backing', 'qcow2'],
  ]);
  await Promise.all([blk.pwrite(1000, pattern(200_000, 1)), blk.pwrite(3 * MiB + 5, pattern(70_000, 2)), blk.pwrite(7 * MiB, pattern(MiB, 3))]);
  await blk.flush();
  const head = await blk.pread(0, 1000);
  expect(head.every((b) => b === 0x21)).toBe(true);
  await blk.close();
  checkClean(join(localDir, 'over.qcow2'));
  const local = join(localDir, 'over.qcow2');
  const flat = join(tmpdir(), `qco-remote-${process.pid}.raw`);
  execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', local, flat]);
  const mine = new Uint8Array(readFileSync(flat));
  rmSync(flat);
  expect(Buffer.compare(mine.subarray(1000, 201_000), pattern(200_000, 1))).toBe(0);
  expect(Buffer.compare(mine.subarray(3 * MiB + 5, 3 * MiB + 70_005), pattern(70_000, 2))).toBe(0);
  expect(mine.subarray(201_000, 3 * MiB).every((b) => b === 0x21)).toBe(true);
  // qemu-io over the protocol reads what we wrote, and writes what we then read.
  expect(qemuIo(['-f', 'qcow2', '-c', 'read -P 0x21 0 1000', '-c', 'read -P 0x21 201000 1000', 'over.qcow2'])).toContain('read 1000/1000 bytes at offset 201000');
  qemuIo(['-f', 'qcow2', '-c', 'write -P 0x5e 5M 300k', '-c', 'write -P 0x5f 100 1', 'over.qcow2']);
  const again = await BlockBackend.open(url('over.qcow2'), how);
  expect((await again.pread(5 * MiB, 300 * 1024)).every((b) => b === 0x5e)).toBe(true);
  expect((await again.pread(100, 1))[0]).toBe(0x5f);
  expect(Buffer.compare(await again.pread(1000, 200_000), pattern(200_000, 1))).toBe(0);
  await again.close();
  checkClean(local);
}

describe('qcow2 over ssh', () => {
  let peer: SshdPeer;
  let agent: SshAgentPeer;
  let savedSock: string | undefined;
  beforeAll(async () => {
    peer = await startSshd();
    agent = peer.startAgent();
    // The backing file is opened over ssh too, authenticating through the agent (no identity-file is inherited).
    savedSock = process.env['SSH_AUTH_SOCK'];
    process.env['SSH_AUTH_SOCK'] = agent.socket;
  });
  afterAll(async () => {
    if (savedSock === undefined) delete process.env['SSH_AUTH_SOCK'];
    else process.env['SSH_AUTH_SOCK'] = savedSock;
    await endStarted(agent, peer);
  });
  it('qco writes through qcow2 over ssh, qemu-io reads over ssh, and back; qemu-img check is clean', async () => {
    const url = (name: string): string => peer.url(join(peer.dataDir, name), `?host_key_check=sha256:${peer.hostKeyHash()}`);
    // qemu-io refuses a relative backing file under host_key_check ("Cannot generate a base directory"): name it in the json.
    const qemuSpec = (name: string): string =>
      `json:${JSON.stringify({
        driver: 'qcow2',
        file: { driver: 'ssh', server: { host: '127.0.0.1', port: String(peer.port) }, path: join(peer.dataDir, name), user: peer.user, 'host-key-check': { mode: 'hash', type: 'sha256', hash: peer.hostKeyHash() } },
        backing: { driver: 'qcow2', file: { driver: 'file', filename: join(peer.dataDir, 'base.qcow2') } },
      })}`;
    await roundTrip(url, peer.dataDir, { options: { 'identity-file': peer.clientKeyPath } }, (args) => {
      const r = spawnSync('qemu-io', [...args.slice(2, -1), qemuSpec(args[args.length - 1])], { env: agent.env, encoding: 'utf8' });
      expect(r.status, r.stderr + r.stdout).toBe(0);
      return r.stdout;
    });
  }, 120_000);
});

describe('qcow2 over nfs', () => {
  let peer: GaneshaPeer;
  beforeAll(async () => {
    peer = await startGanesha();
  });
  afterAll(async () => {
    await endStarted(peer);
  });
  it('qco writes through qcow2 over nfs, qemu-io reads over nfs, and back; qemu-img check is clean', async () => {
    // ganesha refuses qemu's second MOUNT of the export for the backing file: name the backing file locally in the json.
    const qemuSpec = (name: string): string =>
      `json:${JSON.stringify({
        driver: 'qcow2',
        file: { driver: 'nfs', server: { type: 'inet', host: '127.0.0.1' }, path: join(peer.exportDir, name) },
        backing: { driver: 'qcow2', file: { driver: 'file', filename: join(peer.exportDir, 'base.qcow2') } },
      })}`;
    await roundTrip((name) => peer.url(name), peer.exportDir, {}, (args) => {
      const r = spawnSync('qemu-io', [...args.slice(2, -1), qemuSpec(args[args.length - 1])], { encoding: 'utf8' });
      expect(r.status, r.stderr + r.stdout).toBe(0);
      return r.stdout;
    });
  }, 120_000);
});
