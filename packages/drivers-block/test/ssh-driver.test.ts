/**
 * The ssh driver against a real OpenSSH sshd on 127.0.0.1, cross-checked with
 * QEMU's own ssh driver (qemu-io / qemu-img from qemu-utils + qemu-block-extra)
 * and with OpenSSH's sftp: 64 MiB written by one side is read back by the
 * other, both ways. Then host-key checking (hash and known_hosts modes),
 * authentication, open errors, flush, truncate, create and pipelining.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { coroutineCreate, coroutineEnter } from '@qco/core';
import {
  BlockBackend,
  IoVector,
  SshAuthError,
  SshConnectError,
  SshBlockDriverState,
  SshHostKeyError,
  SshOpenError,
  sshDriver,
  setSshDriverTuning,
  setSshWarningHandler,
  resolveBlockSpec,
  type BlockError,
} from '../src/index.js';
import { captureStreams } from '../src/tools/common/streams.js';
import { qcoImgMain } from '../src/tools/qco-img.js';
import { qcoIoMain } from '../src/tools/qco-io.js';
import { endStarted, startSshd, type SshAgentPeer, type SshdPeer } from '@qco/test-utils';
import { IMAGE, MiB, expectReadBack, expectRegionsVerified, regionIoCommands, regionPattern, sha, writeInFlight } from './region-image.js';

let peer: SshdPeer;
let agent: SshAgentPeer;
const savedEnv = { HOME: process.env['HOME'], SSH_AUTH_SOCK: process.env['SSH_AUTH_SOCK'] };
let home: string;

beforeAll(async () => {
  for (const bin of ['/usr/bin/qemu-io', '/usr/bin/qemu-img', '/usr/bin/sftp']) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: install packages/drivers-block/setup/apt-peers.txt`);
  }
  peer = await startSshd();
  agent = peer.startAgent();
  // A HOME of our own: the known_hosts tests write its .ssh/known_hosts, and no key of the real user is offered.
  home = mkdtempSync(join(tmpdir(), 'qco-ssh-home-'));
  mkdirSync(join(home, '.ssh'));
  process.env['HOME'] = home;
  delete process.env['SSH_AUTH_SOCK'];
  writeFileSync(join(peer.dataDir, 'hk.img'), Buffer.alloc(4096));
});

afterAll(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- deleting is the only way to unset an environment variable
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await endStarted(peer);
  if (home) rmSync(home, { recursive: true, force: true });
});

/** Our driver's spec for a file in the peer's data directory, host key pinned by sha256. */
function spec(name: string, query = `?host_key_check=sha256:${peer.hostKeyHash()}`): string {
  return peer.url(join(peer.dataDir, name), query);
}
const withKey = (): { options: Record<string, string> } => ({ options: { 'identity-file': peer.clientKeyPath } });

function qemu(bin: 'qemu-io' | 'qemu-img', args: string[]): string {
  return execFileSync(`/usr/bin/${bin}`, args, { env: agent.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * MiB });
}

function sftp(commands: string): void {
  execFileSync(
    '/usr/bin/sftp',
    ['-b', '-', '-i', peer.clientKeyPath, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', '-P', String(peer.port), `${peer.user}@127.0.0.1`],
    { input: commands, stdio: ['pipe', 'ignore', 'pipe'] },
  );
}

async function expectError<T extends Error>(p: Promise<unknown>, cls: new (...a: never[]) => T): Promise<T> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(cls);
    return err as T;
  }
  throw new Error(`expected ${cls.name}`);
}

describe('data written by one side reads back on the other', () => {
  test('64 MiB written by qco, read back by qemu-io, qemu-img and sftp', async () => {
    const name = 'ours.img';
    writeFileSync(join(peer.dataDir, name), '');
    truncateSync(join(peer.dataDir, name), IMAGE);
    const data = regionPattern();
    const blk = await BlockBackend.open(spec(name), withKey());
    await writeInFlight(blk, data);
    await blk.flush();
    expect(await blk.getLength()).toBe(IMAGE);
    await blk.close();

    // qemu-io over QEMU's ssh driver: every 256 KiB region holds its own byte.
    expectRegionsVerified(qemu('qemu-io', ['-f', 'raw', ...regionIoCommands('read'), spec(name)]));

    // qemu-img convert over ssh:// to a local file: byte for byte.
    const viaQemu = join(peer.dir, 'via-qemu.img');
    qemu('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', spec(name), viaQemu]);
    expect(sha(readFileSync(viaQemu))).toBe(sha(data));
    rmSync(viaQemu);

    // OpenSSH's sftp.
    const viaSftp = join(peer.dir, 'via-sftp.img');
    sftp(`get ${join(peer.dataDir, name)} ${viaSftp}\n`);
    expect(sha(readFileSync(viaSftp))).toBe(sha(data));
    rmSync(viaSftp);
  });

  test('64 MiB written by qemu-io and by sftp, read back by qco', async () => {
    const name = 'theirs.img';
    writeFileSync(join(peer.dataDir, name), '');
    truncateSync(join(peer.dataDir, name), IMAGE);
    qemu('qemu-io', ['-f', 'raw', ...regionIoCommands('write'), spec(name)]);
    await expectReadBack(
      name,
      (file) => BlockBackend.open(spec(file), { ...withKey(), readOnly: true }),
      (file, data) => {
        const local = join(peer.dir, file);
        writeFileSync(local, data);
        sftp(`put ${local} ${join(peer.dataDir, file)}\n`);
        rmSync(local);
      },
    );
  });
});

describe('the command-line tools over ssh://', () => {
  test('qco-img convert to and from ssh:// (creating the target), qco-io reads like qemu-io', async () => {
    process.env['SSH_AUTH_SOCK'] = agent.socket;
    try {
      const data = randomBytes(8 * MiB);
      data.fill(0x3c, 0, 65536);
      const local = join(peer.dir, 'cli-src.raw');
      writeFileSync(local, data);
      const up = captureStreams();
      expect(await qcoImgMain(['convert', '-f', 'raw', '-O', 'raw', local, spec('cli.img')], up), up.stderr).toBe(0);
      expect(sha(readFileSync(join(peer.dataDir, 'cli.img')))).toBe(sha(data));
      const back = join(peer.dir, 'cli-back.raw');
      const down = captureStreams();
      expect(await qcoImgMain(['convert', '-f', 'raw', '-O', 'raw', spec('cli.img'), back], down), down.stderr).toBe(0);
      expect(sha(readFileSync(back))).toBe(sha(data));

      const io = captureStreams();
      expect(await qcoIoMain(['-c', 'read -P 0x3c 0 65536', spec('cli.img')], io), io.stderr).toBe(0);
      const theirs = qemu('qemu-io', ['-f', 'raw', '-c', 'read -P 0x3c 0 65536', spec('cli.img')]);
      expect(io.stdout.split('\n')[0]).toBe(theirs.split('\n')[0]);
      expect(io.stdout.split('\n')[0]).toBe('read 65536/65536 bytes at offset 0');
    } finally {
      delete process.env['SSH_AUTH_SOCK'];
    }
  });
});

describe('host-key-check', () => {
  const knownHosts = (): string => join(home, '.ssh', 'known_hosts');

  test('a wrong sha256 hash refuses to connect, naming the host', async () => {
    writeFileSync(join(peer.dataDir, 'hk.img'), Buffer.alloc(4096));
    const err = await expectError(BlockBackend.open(spec('hk.img', '?host_key_check=sha256:' + '00'.repeat(32)), withKey()), SshHostKeyError);
    expect(err.message).toContain(`does not match host_key_check 'sha256:${'00'.repeat(32)}'`);
    expect(err.message).toContain(`127.0.0.1:${peer.port}`);
  });

  test('a repeated host_key_check takes its last value, as QEMU does: no pin is bypassed by an earlier "no"', async () => {
    const zero = 'sha256:' + '00'.repeat(32);
    const err = await expectError(BlockBackend.open(spec('hk.img', `?host_key_check=no&host_key_check=${zero}`), withKey()), SshHostKeyError);
    expect(err.message).toContain(`does not match host_key_check '${zero}'`);
    // The last value decides both ways: a right pin after a wrong one connects.
    const blk = await BlockBackend.open(spec('hk.img', `?host_key_check=${zero}&host_key_check=sha256:${peer.hostKeyHash()}`), withKey());
    await blk.close();
  });

  test('a pin without a mode is refused (QEMU: Parameter \'host-key-check.mode\' is missing), never a silent known_hosts check', async () => {
    const json = `json:{"driver":"ssh","server":{"host":"127.0.0.1","port":"${peer.port}"},"path":"${join(peer.dataDir, 'hk.img')}","user":"${peer.user}","host-key-check":{"type":"sha256","hash":"00"}}`;
    await expect(BlockBackend.open(json, withKey())).rejects.toThrow("Parameter 'host-key-check.mode' is missing");
  });

  test('the right hash connects, in every hash type and with colons', async () => {
    for (const type of ['md5', 'sha1', 'sha256'] as const) {
      const hex = peer.hostKeyHash(type);
      const colons = hex.match(/../g)?.join(':') as string;
      const blk = await BlockBackend.open(spec('hk.img', `?host_key_check=${type}:${colons}`), withKey());
      expect(await blk.getLength()).toBe(4096);
      await blk.close();
    }
    const json = `json:{"driver":"ssh","server":{"host":"127.0.0.1","port":"${peer.port}"},"path":"${join(peer.dataDir, 'hk.img')}","user":"${peer.user}","host-key-check":{"mode":"hash","type":"sha256","hash":"${peer.hostKeyHash()}"}}`;
    const blk = await BlockBackend.open(json, withKey());
    await blk.close();
  });

  test('known_hosts: an unknown host refuses to connect, naming the host', async () => {
    writeFileSync(knownHosts(), '');
    const err = await expectError(BlockBackend.open(spec('hk.img', ''), withKey()), SshHostKeyError);
    expect(err.message).toBe(`no host key was found in known_hosts (server 127.0.0.1:${peer.port})`);
    rmSync(knownHosts());
    await expectError(BlockBackend.open(spec('hk.img', '?host_key_check=yes'), withKey()), SshHostKeyError);
  });

  test('known_hosts: the recorded key connects', async () => {
    writeFileSync(knownHosts(), `# ours\n${peer.knownHostsLine()}\n`);
    const blk = await BlockBackend.open(spec('hk.img', ''), withKey());
    await blk.close();
  });

  test('known_hosts: a changed key refuses to connect, naming the host', async () => {
    writeFileSync(knownHosts(), `${peer.knownHostsLine()}\n`);
    await peer.rotateHostKey('ed25519');
    const err = await expectError(BlockBackend.open(spec('hk.img', ''), withKey()), SshHostKeyError);
    expect(err.message).toMatch(/^host key \(ssh-ed25519 key with fingerprint SHA256:[A-Za-z0-9+/]+\) does not match the one in known_hosts; this may be a possible attack/);
    expect(err.message).toContain(`127.0.0.1:${peer.port}`);
    await peer.rotateHostKey('ecdsa');
    const err2 = await expectError(BlockBackend.open(spec('hk.img', ''), withKey()), SshHostKeyError);
    expect(err2.message).toBe(`host key for this server not found, another type exists (server 127.0.0.1:${peer.port})`);
    await peer.rotateHostKey('ed25519');
    rmSync(knownHosts());
  });
});

describe('authentication and open errors', () => {
  test('through the ssh-agent, without an identity file', async () => {
    process.env['SSH_AUTH_SOCK'] = agent.socket;
    try {
      const blk = await BlockBackend.open(spec('hk.img'));
      await blk.close();
    } finally {
      delete process.env['SSH_AUTH_SOCK'];
    }
  });

  test('no usable identity: QEMU publickey message naming the host', async () => {
    const stranger = join(peer.dir, 'stranger');
    execFileSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    const err = await expectError(BlockBackend.open(spec('hk.img'), { options: { 'identity-file': stranger } }), SshAuthError);
    expect(err.message).toBe(`failed to authenticate using publickey authentication and the identities held by your ssh-agent (server 127.0.0.1:${peer.port})`);
    await expectError(BlockBackend.open(spec('hk.img')), SshAuthError);
  });

  test('an unreadable identity file is named', async () => {
    const err = await expectError(BlockBackend.open(spec('hk.img'), { options: { 'identity-file': '/nonexistent/key' } }), SshAuthError);
    expect(err.message).toBe(`could not read identity file '/nonexistent/key': No such file or directory (server 127.0.0.1:${peer.port})`);
  });

  test('nobody listening: Failed to connect … Connection refused', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const err = await expectError(BlockBackend.open(`ssh://${peer.user}@127.0.0.1:${port}/x?host_key_check=no`, withKey()), SshConnectError);
    expect(err.message).toBe(`Failed to connect to '127.0.0.1:${port}': Connection refused`);
    expect((err as BlockError).errno).toBe(111);
  });

  test('a missing remote file: failed to open remote file', async () => {
    const err = await expectError(BlockBackend.open(spec('nope.img'), withKey()), SshOpenError);
    expect(err.message).toMatch(new RegExp(`^failed to open remote file '${join(peer.dataDir, 'nope.img')}': SFTP server: No such file`));
    expect((err as BlockError).errno).toBe(2);
  });
});

describe('requests', () => {
  test('flush uses fsync@openssh.com; without it, one warning', async () => {
    const blk = await BlockBackend.open(spec('hk.img'), { ...withKey(), format: 'ssh' });
    const bs = blk.bs as SshBlockDriverState;
    expect(bs.conn.hasFsync).toBe(true);
    await blk.flush();
    await blk.pwrite(0, Buffer.alloc(512, 1), { fua: true });
    // The same node as if the server lacked the extension.
    const warnings: string[] = [];
    setSshWarningHandler((m) => warnings.push(m));
    try {
      const noFsync = Object.create(bs.conn, { hasFsync: { value: false } }) as typeof bs.conn;
      const bs2 = new SshBlockDriverState(sshDriver, bs.options, bs.flags, bs.config, noFsync, {});
      const blk2 = new BlockBackend(bs2);
      await blk2.flush();
      await blk2.flush();
    } finally {
      setSshWarningHandler((m) => process.stderr.write(`warning: ${m}\n`));
    }
    expect(warnings).toEqual([`ssh server 127.0.0.1:${peer.port} does not support fsync`, 'to support fsync, you need OpenSSH >= 6.3']);
    await blk.close();
  });

  test('truncate grows the file and refuses to shrink it; writes past the end grow it', async () => {
    writeFileSync(join(peer.dataDir, 'grow.img'), Buffer.alloc(1000, 9));
    const blk = await BlockBackend.open(spec('grow.img'), withKey());
    await blk.truncate(1 * MiB);
    expect(await blk.getLength()).toBe(MiB);
    expect(statSync(join(peer.dataDir, 'grow.img')).size).toBe(MiB);
    await expect(blk.truncate(10)).rejects.toThrow('ssh driver does not support shrinking files');
    const tail = await blk.pread(MiB - 16, 16);
    expect(Buffer.from(tail).equals(Buffer.alloc(16))).toBe(true);
    await blk.close();
  });

  test('reads past the end of the file return zeroes', async () => {
    writeFileSync(join(peer.dataDir, 'short.img'), Buffer.alloc(100, 0x5a));
    const blk = await BlockBackend.open(spec('short.img'), { ...withKey(), format: 'ssh' });
    const bs = blk.bs as SshBlockDriverState;
    const buf = new Uint8Array(300).fill(1);
    // Straight to the driver: the block layer would refuse a read beyond the length.
    await new Promise<void>((resolve, reject) => {
      coroutineEnter(
        coroutineCreate(function* () {
          try {
            yield* bs.coPreadv(0, 300, new IoVector(buf), {});
            resolve();
          } catch (e) {
            reject(e);
          }
        }),
      );
    });
    expect(Buffer.from(buf.subarray(0, 100)).equals(Buffer.alloc(100, 0x5a))).toBe(true);
    expect(Buffer.from(buf.subarray(100)).equals(Buffer.alloc(200))).toBe(true);
    await blk.close();
  });

  test('create makes the remote file of the given size', async () => {
    const r = resolveBlockSpec(spec('created.img'), { options: { 'identity-file': peer.clientKeyPath } });
    await new Promise<void>((resolve, reject) => {
      coroutineEnter(
        coroutineCreate(function* () {
          try {
            yield* (r.driver.create as NonNullable<typeof r.driver.create>)(r.options, 3 * MiB);
            resolve();
          } catch (e) {
            reject(e);
          }
        }),
      );
    });
    expect(statSync(join(peer.dataDir, 'created.img')).size).toBe(3 * MiB);
  });

  test('one large read keeps several chunks in flight at once', async () => {
    writeFileSync(join(peer.dataDir, 'pipe.img'), randomBytes(16 * MiB));
    const blk = await BlockBackend.open(spec('pipe.img'), { ...withKey(), format: 'ssh' });
    const bs = blk.bs as SshBlockDriverState;
    let peakReads = 0;
    let peakWrites = 0;
    const poll = setInterval(() => {
      peakReads = Math.max(peakReads, bs.pipe.inFlight.read);
      peakWrites = Math.max(peakWrites, bs.pipe.inFlight.write);
    }, 0);
    const p = blk.pread(0, 16 * MiB);
    // Sample right after issue too: the first chunks all go out before the first reply.
    peakReads = Math.max(peakReads, bs.pipe.inFlight.read);
    const data = await p;
    const w = blk.pwrite(0, data);
    peakWrites = Math.max(peakWrites, bs.pipe.inFlight.write);
    await w;
    clearInterval(poll);
    expect(bs.pipe.readChunk).toBeGreaterThanOrEqual(16 * 1024);
    expect(bs.pipe.writeChunk).toBeGreaterThanOrEqual(128 * 1024);
    expect(peakReads).toBeGreaterThan(4 * bs.pipe.readChunk);
    expect(peakWrites).toBeGreaterThan(4 * bs.pipe.writeChunk);
    await blk.close();
  });

  test('a spent budget makes requests wait and completions restart them, with the data intact', async () => {
    // One small chunk in flight per direction: nearly every chunk of every request waits for an earlier one's reply.
    setSshDriverTuning({ readBudget: 16 * 1024, writeBudget: 32 * 1024, readChunk: 16 * 1024, writeChunk: 32 * 1024 });
    try {
      writeFileSync(join(peer.dataDir, 'budget.img'), Buffer.alloc(4 * MiB));
      const blk = await BlockBackend.open(spec('budget.img'), { ...withKey(), format: 'ssh' });
      const bs = blk.bs as SshBlockDriverState;
      expect(bs.pipe.readChunk).toBe(16 * 1024);
      const data = randomBytes(4 * MiB);
      // Sixteen concurrent writers of 256 KiB, then sixteen concurrent readers.
      await Promise.all(Array.from({ length: 16 }, (_, i) => blk.pwrite(i * 256 * 1024, data.subarray(i * 256 * 1024, (i + 1) * 256 * 1024))));
      expect(bs.pipe.inFlight).toEqual({ read: 0, write: 0 });
      const parts = await Promise.all(Array.from({ length: 16 }, (_, i) => blk.pread(i * 256 * 1024, 256 * 1024)));
      expect(sha(Buffer.concat(parts))).toBe(sha(data));
      expect(bs.pipe.inFlight).toEqual({ read: 0, write: 0 });
      await blk.close();
      expect(sha(readFileSync(join(peer.dataDir, 'budget.img')))).toBe(sha(data));
    } finally {
      setSshDriverTuning({});
    }
  });
});
