/**
 * NBD over TLS with certificates generated at test time (certtool): our
 * server (x509, verify-peer, an authz allow list) with qemu-io, nbdinfo and
 * nbdcopy as clients; our client against qemu-nbd --tls-creds. A client
 * without TLS gets NBD_REP_ERR_TLS_REQD, a certificate from another CA and
 * a certificate outside the allow list are refused.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, makeTlsTestCerts, runTool, startQemuNbd, type NbdPeer, type TlsTestCerts } from '@qco/test-utils';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockBackend, TlsCredsX509, registerTlsCreds, startNbdServer, type NbdServer } from '../src/index.js';
import { NBD_OPT_GO, NBD_OPT_LIST, NBD_REP_ERR_TLS_REQD } from '../src/nbd/constants.js';
import { encodeGoPayload, encodeOptionRequest } from '../src/nbd/codec.js';
import { RawNbd } from './nbd-raw.js';

const MiB = 1 << 20;
let dir = '';
let certs: TlsTestCerts;
let server: NbdServer;
let blk: BlockBackend;
let disk = '';
const logs: string[] = [];
const peers: NbdPeer[] = [];

const tlsObject = (d: string, endpoint = 'client'): string => `tls-creds-x509,id=tls0,dir=${d},endpoint=${endpoint}`;
const imageOpts = (port: number, exp = 'disk'): string => `driver=nbd,server.type=inet,server.host=127.0.0.1,server.port=${port},export=${exp},tls-creds=tls0`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qco-nbd-tls-'));
  certs = makeTlsTestCerts(join(dir, 'pki'));
  disk = join(dir, 'disk.img');
  execFileSync('qemu-img', ['create', '-q', '-f', 'raw', disk, '16M']);
  blk = await BlockBackend.open(disk, { format: 'file' });
  server = await startNbdServer({
    listen: { host: '127.0.0.1', port: 0 },
    exports: [{ name: 'disk', blk }],
    tls: { creds: new TlsCredsX509({ id: 'srv', dir: certs.serverDir, endpoint: 'server', verifyPeer: true }), authz: [certs.clientDn] },
    log: (m) => logs.push(m),
  });
});

afterAll(async () => {
  await server?.close();
  await blk?.close();
  for (const p of peers) await p.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('our server over TLS', () => {
  it('qemu-io with x509 client credentials writes and reads; the file has the data', async () => {
    const w = await runTool('qemu-io', ['--object', tlsObject(certs.clientDir), '--image-opts', imageOpts(server.port), '-c', 'write -P 0x61 0 1M', '-c', 'write -P 0x62 8M 64k', '-c', 'read -P 0x61 0 1M']);
    expect(w.stderr).toBe('');
    expect(w.stdout).toContain('read 1048576/1048576 bytes at offset 0');
    const r = await runTool('qemu-io', ['-f', 'raw', '-r', disk, '-c', 'read -P 0x61 0 1M', '-c', 'read -P 0x62 8M 64k']);
    expect(r.stdout).not.toContain('Pattern verification failed');
    expect(r.status).toBe(0);
  });

  it('nbdinfo and nbdcopy over nbds:// with tls-certificates', async () => {
    const uri = `nbds://127.0.0.1:${server.port}/disk?tls-certificates=${certs.clientDir}`;
    const info = await runTool('nbdinfo', [uri]);
    expect(info.stdout).toContain('protocol: newstyle-fixed with TLS');
    expect(info.stdout).toContain('export-size: 16777216');
    const out = join(dir, 'copy.raw');
    const c = await runTool('nbdcopy', ['--connections=2', uri, out]);
    expect(c.stderr).toBe('');
    expect((await runTool('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', out, disk])).stdout).toContain('Images are identical.');
  });

  it('a client without TLS is told TLS is required (NBD_REP_ERR_TLS_REQD; QEMU\'s message)', async () => {
    const q = await runTool('qemu-io', ['-f', 'raw', '-r', `nbd://127.0.0.1:${server.port}/disk`, '-c', 'read 0 512']);
    expect(q.status).not.toBe(0);
    expect(q.stderr).toMatch(/TLS negotiation required before option \d+ \(/);
    const c = await RawNbd.open(server.port);
    await c.greet();
    c.write(encodeOptionRequest(NBD_OPT_LIST));
    expect((await c.optionReply()).type).toBe(NBD_REP_ERR_TLS_REQD);
    c.write(encodeOptionRequest(NBD_OPT_GO, encodeGoPayload('disk', [])));
    const r = await c.optionReply();
    expect(r.type).toBe(NBD_REP_ERR_TLS_REQD);
    expect(r.data.toString()).toBe('Option 0x7 not permitted before TLS');
    c.destroy();
  });

  it('a certificate from another CA is refused, and so is one outside the allow list', async () => {
    const rogue = await runTool('qemu-io', ['--object', tlsObject(certs.rogueClientDir), '--image-opts', imageOpts(server.port), '-c', 'read 0 512']);
    expect(rogue.status).not.toBe(0);
    expect(rogue.stdout).not.toContain('read 512/512');
    const other = await runTool('qemu-io', ['--object', tlsObject(certs.otherClientDir), '--image-opts', imageOpts(server.port), '-c', 'read 0 512']);
    expect(other.status).not.toBe(0);
    expect(other.stdout).not.toContain('read 512/512');
    expect(logs.some((l) => l.includes('TLS x509 authz check for CN=intruder,O=qco,C=GB is denied'))).toBe(true);
    // The server still serves the right client.
    const ok = await runTool('qemu-io', ['--object', tlsObject(certs.clientDir), '--image-opts', imageOpts(server.port), '-r', '-c', 'read -P 0x61 0 4k']);
    expect(ok.stdout).toContain('read 4096/4096 bytes at offset 0');
  });
});

describe('our client over TLS', () => {
  it('reads and writes through qemu-nbd --tls-creds (verify-peer on); the wrong CA is refused', async () => {
    const img = join(dir, 'q.raw');
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', img, '4M']);
    const peer = await startQemuNbd(img, { name: 'q', extra: ['--object', `tls-creds-x509,id=tls0,dir=${certs.serverDir},endpoint=server,verify-peer=on`, '--tls-creds', 'tls0'] });
    peers.push(peer);
    registerTlsCreds(new TlsCredsX509({ id: 'cli', dir: certs.clientDir, endpoint: 'client' }));
    const b = await BlockBackend.open(`json:{"driver":"nbd","server":{"host":"127.0.0.1","port":${peer.port}},"export":"q","tls-creds":"cli"}`);
    await b.pwrite(MiB, new Uint8Array(65536).fill(0x71));
    await b.flush();
    expect((await b.pread(MiB, 65536)).every((x) => x === 0x71)).toBe(true);
    await b.close();
    const back = await runTool('qemu-io', ['--object', tlsObject(certs.clientDir), '--image-opts', imageOpts(peer.port, 'q'), '-r', '-c', 'read -P 0x71 1M 64k']);
    expect(back.stdout).toContain('read 65536/65536 bytes at offset 1048576');
    registerTlsCreds(new TlsCredsX509({ id: 'rogue', dir: certs.rogueClientDir, endpoint: 'client' }));
    await expect(BlockBackend.open(`json:{"driver":"nbd","server":{"host":"127.0.0.1","port":${peer.port}},"export":"q","tls-creds":"rogue"}`)).rejects.toThrow();
    await expect(BlockBackend.open(`nbd://127.0.0.1:${peer.port}/q`)).rejects.toThrow(/TLS negotiation required before option/);
  });

  it('our client talks TLS to our server', async () => {
    registerTlsCreds(new TlsCredsX509({ id: 'cli2', dir: certs.clientDir, endpoint: 'client' }));
    const b = await BlockBackend.open(`json:{"driver":"nbd","server":{"host":"127.0.0.1","port":${server.port}},"export":"disk","tls-creds":"cli2"}`, { readOnly: true });
    expect((await b.pread(8 * MiB, 65536)).every((x) => x === 0x62)).toBe(true);
    await b.close();
  });
});

describe('qco-nbd over TLS', () => {
  it('--object tls-creds-x509 / authz-simple with --tls-creds / --tls-authz', async () => {
    const img = join(dir, 'tool.raw');
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', img, '4M']);
    execFileSync('qemu-io', ['-f', 'raw', img, '-c', 'write -P 0x5c 0 64k']);
    const port = await freePort();
    const bin = join(__dirname, '..', 'dist', 'qco-nbd.cjs');
    const identity = certs.clientDn.replace(/,/g, ',,');
    const child = spawn(process.execPath, [bin, '-t', '-f', 'raw', '-x', 'tool', '-p', String(port), '-b', '127.0.0.1', '-e', '4',
      '--object', `tls-creds-x509,id=tls0,dir=${certs.serverDir},endpoint=server,verify-peer=on`,
      '--object', `authz-simple,id=auth0,identity=${identity}`,
      '--tls-creds', 'tls0', '--tls-authz', 'auth0', img], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      const uri = `nbds://127.0.0.1:${port}/tool?tls-certificates=${certs.clientDir}`;
      let info = await runTool('nbdinfo', [uri]);
      for (let i = 0; i < 100 && info.status !== 0 && child.exitCode === null; i++) {
        await new Promise((r) => setTimeout(r, 50));
        info = await runTool('nbdinfo', [uri]);
      }
      expect(info.stdout).toContain('protocol: newstyle-fixed with TLS');
      const ok = await runTool('qemu-io', ['--object', tlsObject(certs.clientDir), '--image-opts', imageOpts(port, 'tool'), '-r', '-c', 'read -P 0x5c 0 64k']);
      expect(ok.stdout).toContain('read 65536/65536 bytes at offset 0');
      const denied = await runTool('nbdinfo', [`nbds://127.0.0.1:${port}/tool?tls-certificates=${certs.otherClientDir}`]);
      expect(denied.status).not.toBe(0);
      expect(err).toContain('TLS x509 authz check for CN=intruder,O=qco,C=GB is denied');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
