/**
 * NBD over TLS with certificates generated at test time (certtool), the
 * plain interop matrix again: our server (x509, verify-peer, an authz allow
 * list) with qemu-io, qemu-img (info, map, convert, compare; --image-opts and
 * json: with tls-creds), nbdinfo, nbdcopy and nbdsh option scripts as
 * clients; our client (library and qco-img convert / map / compare with
 * --object) against qemu-nbd --tls-creds. A wrong certificate is refused in
 * each direction: a client certificate from another CA (or outside the allow
 * list) by the server, a server certificate from another CA by every client.
 * A client without TLS gets NBD_REP_ERR_TLS_REQD.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endStarted, freePort, makeTlsTestCerts, nbdshEnv, runTool, startQemuNbd, type NbdPeer, type TlsTestCerts } from '@qco/test-utils';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockBackend } from '../src/index.js';
import { TlsCredsX509, registerTlsCreds, startNbdServer, type NbdServer } from '../src/face-nbd.js';
import { NBD_OPT_GO, NBD_OPT_LIST, NBD_REP_ERR_TLS_REQD } from '../src/nbd/constants.js';
import { encodeGoPayload, encodeOptionRequest } from '../src/nbd/codec.js';
import { RawNbd } from './nbd-raw.js';

const MiB = 1 << 20;
let dir = '';
let certs: TlsTestCerts;
let server: NbdServer;
let rogueServer: NbdServer;
let blk: BlockBackend;
let qblk: BlockBackend;
let disk = '';
let qimg = '';
const logs: string[] = [];
const peers: NbdPeer[] = [];

const tlsObject = (d: string, endpoint = 'client'): string => `tls-creds-x509,id=tls0,dir=${d},endpoint=${endpoint}`;
const imageOpts = (port: number, exp = 'disk'): string => `driver=nbd,server.type=inet,server.host=127.0.0.1,server.port=${port},export=${exp},tls-creds=tls0`;
/** raw over nbd with TLS as a json: filename (it names its format, so no -f beside it). */
const jsonNbd = (port: number, exp = 'disk'): string => `json:{"driver":"raw","file":{"driver":"nbd","server":{"type":"inet","host":"127.0.0.1","port":"${port}"},"export":"${exp}","tls-creds":"tls0"}}`;
const qcoImg = join(__dirname, '..', 'dist', 'qco-img.cjs');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qco-nbd-tls-'));
  certs = makeTlsTestCerts(join(dir, 'pki'));
  disk = join(dir, 'disk.img');
  execFileSync('qemu-img', ['create', '-q', '-f', 'raw', disk, '16M']);
  blk = await BlockBackend.open(disk, { format: 'file' });
  // A qcow2 with holes and a zero cluster, so base:allocation over TLS has something to say.
  qimg = join(dir, 'alloc.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', qimg, '8M']);
  execFileSync('qemu-io', ['-f', 'qcow2', qimg, '-c', 'write -P 1 1M 1M', '-c', 'write -z 4M 1M', '-c', 'write -P 2 6M 64k']);
  qblk = await BlockBackend.open(qimg, { format: 'qcow2', readOnly: true });
  server = await startNbdServer({
    listen: { host: '127.0.0.1', port: 0 },
    exports: [{ name: 'disk', blk }, { name: 'q', blk: qblk }],
    tls: { creds: new TlsCredsX509({ id: 'srv', dir: certs.serverDir, endpoint: 'server', verifyPeer: true }), authz: [certs.clientDn] },
    log: (m) => logs.push(m),
  });
  // Serves the same disk with a certificate no client trusts.
  rogueServer = await startNbdServer({
    listen: { host: '127.0.0.1', port: 0 },
    exports: [{ name: 'disk', blk }],
    tls: { creds: new TlsCredsX509({ id: 'rogue-srv', dir: certs.rogueServerDir, endpoint: 'server', verifyPeer: true }) },
    log: (m) => logs.push(m),
  });
});

afterAll(async () => {
  await endStarted(server, rogueServer, blk, qblk);
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

  it('qemu-img info, map, convert and compare over TLS (--image-opts and json: with tls-creds)', async () => {
    const obj = ['--object', tlsObject(certs.clientDir)];
    const info = await runTool('qemu-img', ['info', '--output=json', ...obj, '--image-opts', imageOpts(server.port)]);
    expect(info.stderr).toBe('');
    expect((JSON.parse(info.stdout) as { 'virtual-size': number })['virtual-size']).toBe(16 * MiB);
    // base:allocation over TLS maps the qcow2 export as qemu-img maps the image itself.
    const map = await runTool('qemu-img', ['map', '--output=json', ...obj, jsonNbd(server.port, 'q')]);
    expect(map.stderr).toBe('');
    const imageMap = await runTool('qemu-img', ['map', '--output=json', '-f', 'qcow2', qimg]);
    // NBD carries no depth, so neighbouring extents that differ only in depth are merged on both sides.
    const shape = (out: string): string => {
      const merged: Array<[number, number, boolean, boolean]> = [];
      for (const e of JSON.parse(out) as Array<{ start: number; length: number; data: boolean; zero: boolean }>) {
        const last = merged.at(-1);
        if (last !== undefined && last[2] === e.data && last[3] === e.zero && last[0] + last[1] === e.start) last[1] += e.length;
        else merged.push([e.start, e.length, e.data, e.zero]);
      }
      return JSON.stringify(merged);
    };
    expect(shape(map.stdout)).toBe(shape(imageMap.stdout));
    expect(shape(map.stdout)).toContain('[1048576,1048576,true,false]');
    const out = join(dir, 'tls-convert.raw');
    const c = await runTool('qemu-img', ['convert', ...obj, '--image-opts', imageOpts(server.port), '-O', 'raw', out]);
    expect(c.stderr).toBe('');
    expect((await runTool('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', out, disk])).stdout).toContain('Images are identical.');
    const out2 = join(dir, 'tls-convert-json.raw');
    const c2 = await runTool('qemu-img', ['convert', ...obj, '-O', 'raw', jsonNbd(server.port), out2]);
    expect(c2.stderr).toBe('');
    const cmp = await runTool('qemu-img', ['compare', ...obj, '-F', 'raw', jsonNbd(server.port), out2]);
    expect(cmp.stdout).toContain('Images are identical.');
    // compare over TLS sees a difference too (it can fail).
    execFileSync('qemu-io', ['-f', 'raw', out2, '-c', 'write -P 0x33 12M 4k']);
    const diff = await runTool('qemu-img', ['compare', ...obj, '-F', 'raw', jsonNbd(server.port), out2]);
    expect(diff.status).toBe(1);
    expect(diff.stdout).toContain('Content mismatch at offset 12582912!');
  });

  it('nbdsh negotiates options over TLS: starttls, list, info, meta contexts, unknown export, go', async () => {
    const script = `
import nbd
h = nbd.NBD()
h.set_tls(nbd.TLS_REQUIRE)
h.set_tls_certificates("${certs.clientDir}")
h.set_opt_mode(True)
h.connect_tcp("127.0.0.1", "${server.port}")
print("tls", h.get_tls_negotiated())
names = []
h.opt_list(lambda name, desc: names.append(name))
print("list", sorted(names))
h.set_export_name("nope")
try:
    h.opt_info()
    print("nope ok")
except nbd.Error as e:
    print("nope error")
h.set_export_name("disk")
h.opt_info()
print("info", h.get_size(), h.is_read_only())
ctx = []
h.opt_list_meta_context(lambda name: ctx.append(name))
print("contexts", sorted(ctx))
h.add_meta_context("base:allocation")
h.opt_go()
print("go", h.get_size(), h.can_meta_context("base:allocation"), h.get_structured_replies_negotiated())
print("data", h.pread(4, 8 * 1024 * 1024) == b"\\x62" * 4)
h.pwrite(b"\\x44" * 512, 15 * 1024 * 1024)
h.flush()
h.shutdown()
`;
    const r = await runTool('nbdsh', ['-c', script], { env: nbdshEnv() });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('tls True');
    expect(r.stdout).toContain("list ['disk', 'q']");
    expect(r.stdout).toContain('nope error');
    expect(r.stdout).toContain('info 16777216 False');
    expect(r.stdout).toContain("contexts ['base:allocation', 'qemu:allocation-depth']");
    expect(r.stdout).toContain('go 16777216 True True');
    expect(r.stdout).toContain('data True');
    const back = await runTool('qemu-io', ['-f', 'raw', '-r', disk, '-c', 'read -P 0x44 15M 512']);
    expect(back.stdout).not.toContain('Pattern verification failed');
    expect(back.stdout).toContain('read 512/512 bytes at offset 15728640');
  });

  it('nbdsh with a certificate from another CA is refused by the server', async () => {
    const script = `
import nbd
h = nbd.NBD()
h.set_tls(nbd.TLS_REQUIRE)
h.set_tls_certificates("${certs.rogueClientDir}")
h.set_export_name("disk")
try:
    h.connect_tcp("127.0.0.1", "${server.port}")
    print("connected", h.pread(4, 0))
except nbd.Error as e:
    print("refused", e)
`;
    const r = await runTool('nbdsh', ['-c', script], { env: nbdshEnv() });
    // Our server aborts the handshake with a fatal alert.
    expect(r.stdout).toContain('refused nbd_connect_tcp: gnutls_record_recv: A TLS fatal alert has been received.');
    expect(r.stdout).not.toContain('connected');
  });

  it('a server certificate from another CA is refused by qemu-img, qemu-io, nbdsh and nbdinfo', async () => {
    const obj = ['--object', tlsObject(certs.clientDir)];
    const img = await runTool('qemu-img', ['info', ...obj, '--image-opts', imageOpts(rogueServer.port)]);
    expect(img.status).not.toBe(0);
    expect(img.stderr).toContain("The certificate hasn't got a known issuer");
    const io = await runTool('qemu-io', [...obj, '--image-opts', imageOpts(rogueServer.port), '-r', '-c', 'read 0 512']);
    expect(io.status).not.toBe(0);
    expect(io.stdout).not.toContain('read 512/512');
    const script = `
import nbd
h = nbd.NBD()
h.set_tls(nbd.TLS_REQUIRE)
h.set_tls_certificates("${certs.clientDir}")
h.set_export_name("disk")
try:
    h.connect_tcp("127.0.0.1", "${rogueServer.port}")
    print("connected")
except nbd.Error as e:
    print("refused", e)
`;
    const sh = await runTool('nbdsh', ['-c', script], { env: nbdshEnv() });
    expect(sh.stdout).toContain('refused nbd_connect_tcp: gnutls_handshake: Error in the certificate verification.');
    expect(sh.stdout).not.toContain('connected');
    const info = await runTool('nbdinfo', [`nbds://127.0.0.1:${rogueServer.port}/disk?tls-certificates=${certs.clientDir}`]);
    expect(info.status).not.toBe(0);
    // The same clients with the same credentials reach the right server.
    const ok = await runTool('qemu-img', ['info', ...obj, '--image-opts', imageOpts(server.port)]);
    expect(ok.status).toBe(0);
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

  it('qco-img convert, map and compare with --object over TLS from qemu-nbd; qemu-img judges', async () => {
    const img = join(dir, 'qc.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', img, '8M']);
    execFileSync('qemu-io', ['-f', 'qcow2', img, '-c', 'write -P 0x17 1M 1M', '-c', 'write -P 0x18 6M 64k']);
    const peer = await startQemuNbd(img, { name: 'qc', format: 'qcow2', extra: ['-r', '--object', `tls-creds-x509,id=tls0,dir=${certs.serverDir},endpoint=server,verify-peer=on`, '--tls-creds', 'tls0'] });
    peers.push(peer);
    const obj = ['--object', tlsObject(certs.clientDir)];
    const out = join(dir, 'qc-out.raw');
    const c = await runTool(process.execPath, [qcoImg, 'convert', ...obj, '--image-opts', imageOpts(peer.port, 'qc'), '-O', 'raw', out]);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    expect((await runTool('qemu-img', ['compare', '-f', 'qcow2', '-F', 'raw', img, out])).stdout).toContain('Images are identical.');
    const ours = await runTool(process.execPath, [qcoImg, 'map', '--output=json', ...obj, jsonNbd(peer.port, 'qc')]);
    const theirs = await runTool('qemu-img', ['map', '--output=json', ...obj, jsonNbd(peer.port, 'qc')]);
    expect(ours.stderr).toBe('');
    expect(theirs.stderr).toBe('');
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stdout).toContain('"start": 1048576, "length": 1048576, "depth": 0, "present": true, "zero": false, "data": true');
    const same = await runTool(process.execPath, [qcoImg, 'compare', ...obj, '-F', 'raw', jsonNbd(peer.port, 'qc'), out]);
    expect(same.stdout).toContain('Images are identical.');
    execFileSync('qemu-io', ['-f', 'raw', out, '-c', 'write -P 0x19 6M 512']);
    const diff = await runTool(process.execPath, [qcoImg, 'compare', ...obj, '-F', 'raw', jsonNbd(peer.port, 'qc'), out]);
    expect(diff.status).toBe(1);
    expect(diff.stdout).toContain('Content mismatch at offset 6291456!');
  });

  it('a qemu-nbd with a certificate from another CA is refused by our client (library and qco-img)', async () => {
    const img = join(dir, 'rogue.raw');
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', img, '1M']);
    const peer = await startQemuNbd(img, { name: 'r', extra: ['-r', '--object', `tls-creds-x509,id=tls0,dir=${certs.rogueServerDir},endpoint=server,verify-peer=on`, '--tls-creds', 'tls0'] });
    peers.push(peer);
    registerTlsCreds(new TlsCredsX509({ id: 'cli3', dir: certs.clientDir, endpoint: 'client' }));
    await expect(BlockBackend.open(`json:{"driver":"nbd","server":{"host":"127.0.0.1","port":${peer.port}},"export":"r","tls-creds":"cli3"}`)).rejects.toThrow(/TLS handshake failed/);
    const q = await runTool(process.execPath, [qcoImg, 'info', '--object', tlsObject(certs.clientDir), '--image-opts', imageOpts(peer.port, 'r')]);
    expect(q.status).toBe(1);
    expect(q.stderr).toMatch(/^qco-img: Could not open .*TLS handshake failed/);
    // qemu-img refuses it as well: the certificate, not our client, is at fault.
    const their = await runTool('qemu-img', ['info', '--object', tlsObject(certs.clientDir), '--image-opts', imageOpts(peer.port, 'r')]);
    expect(their.status).not.toBe(0);
  });

  it('our client refuses our rogue server too, and reaches the right one', async () => {
    registerTlsCreds(new TlsCredsX509({ id: 'cli4', dir: certs.clientDir, endpoint: 'client' }));
    await expect(BlockBackend.open(`json:{"driver":"nbd","server":{"host":"127.0.0.1","port":${rogueServer.port}},"export":"disk","tls-creds":"cli4"}`, { readOnly: true })).rejects.toThrow(/TLS handshake failed/);
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
