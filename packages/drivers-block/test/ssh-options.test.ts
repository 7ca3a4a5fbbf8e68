/**
 * The ssh driver's option handling without a server: ssh:// filenames and their
 * QEMU errors, the legacy host_key_check strings, blockdev-style
 * host-key-check options, fingerprint comparison and known_hosts matching.
 */
import { createHash, createHmac, generateKeyPairSync } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { SshHostKeyError, SshOptionError, resolveBlockSpec } from '../src/index.js';
import { checkHostKey, fingerprintMatches } from '../src/drivers/ssh/host-key-check.js';
import { checkKnownHostsEntries, knownHostsName, parseKnownHosts } from '../src/drivers/ssh/known-hosts.js';
import { parseLegacyHostKeyCheck, parseSshFilename, sshConfigFromOptions } from '../src/drivers/ssh/ssh-options.js';

/** An SSH public key blob of `type` with random key material. */
function blob(type: string, body = Math.random().toString()): Buffer {
  const t = Buffer.from(type);
  const b = Buffer.from(body);
  const out = Buffer.alloc(8 + t.length + b.length);
  out.writeUInt32BE(t.length, 0);
  t.copy(out, 4);
  out.writeUInt32BE(b.length, 4 + t.length);
  b.copy(out, 8 + t.length);
  return out;
}

describe('ssh:// filenames', () => {
  test('user, host, port, path and host_key_check', () => {
    expect(parseSshFilename('ssh://alice@example.org:2222/var/img%20a.raw?host_key_check=no&other=1')).toEqual({
      user: 'alice',
      'server.host': 'example.org',
      'server.port': 2222,
      path: '/var/img a.raw',
      host_key_check: 'no',
    });
    expect(parseSshFilename('ssh://h/p')).toEqual({ 'server.host': 'h', path: '/p' });
    expect(parseSshFilename('ssh://[::1]:22/p')['server.host']).toBe('::1');
  });

  test("QEMU's errors: missing hostname, missing path, wrong scheme", () => {
    expect(() => parseSshFilename('ssh:///x')).toThrow('missing hostname in URI');
    expect(() => parseSshFilename('ssh://127.0.0.1:2299')).toThrow('missing remote path in URI');
    expect(() => parseSshFilename('nfs://h/x')).toThrow("URI scheme must be 'ssh'");
  });

  test('the block layer picks the ssh driver for ssh:// and checks its options', () => {
    const r = resolveBlockSpec('ssh://bob@10.0.0.1/disk.img?host_key_check=sha256:00ff');
    expect(r.driver.formatName).toBe('ssh');
    const cfg = sshConfigFromOptions(r.options, { HOME: '/home/bob' });
    expect(cfg).toMatchObject({ host: '10.0.0.1', port: 22, user: 'bob', path: '/disk.img', hostKeyCheck: { mode: 'hash', type: 'sha256', hash: '00ff' } });
    expect(cfg.knownHostsFiles[0]).toBe('/home/bob/.ssh/known_hosts');
  });

  test('json: with host-key-check as blockdev spells it', () => {
    const r = resolveBlockSpec('json:{"driver":"ssh","server":{"host":"h","port":"2222"},"path":"/p","host-key-check":{"mode":"hash","type":"md5","hash":"aa:bb"}}');
    const cfg = sshConfigFromOptions(r.options, {});
    expect(cfg).toMatchObject({ host: 'h', port: 2222, hostKeyCheck: { mode: 'hash', type: 'md5', hash: 'aa:bb' } });
    expect(sshConfigFromOptions({ 'server.host': 'h', path: '/p' }, {}).hostKeyCheck).toEqual({ mode: 'known_hosts' });
    expect(() => sshConfigFromOptions({ 'server.host': 'h', path: '/p', 'host-key-check.mode': 'hash' }, {})).toThrow(SshOptionError);
  });
});

describe('host_key_check strings', () => {
  test('no, yes, md5:, sha1:, sha256:', () => {
    expect(parseLegacyHostKeyCheck('no')).toEqual({ mode: 'none' });
    expect(parseLegacyHostKeyCheck('yes')).toEqual({ mode: 'known_hosts' });
    expect(parseLegacyHostKeyCheck('md5:aa')).toEqual({ mode: 'hash', type: 'md5', hash: 'aa' });
    expect(parseLegacyHostKeyCheck('sha1:aa')).toEqual({ mode: 'hash', type: 'sha1', hash: 'aa' });
    expect(parseLegacyHostKeyCheck('sha256:aa')).toEqual({ mode: 'hash', type: 'sha256', hash: 'aa' });
    expect(() => parseLegacyHostKeyCheck('bogus')).toThrow('unknown host_key_check setting (bogus)');
  });

  test('fingerprints compare as QEMU does: colons ignored, any case, nothing left over', () => {
    const fp = Buffer.from('00a1ff', 'hex');
    expect(fingerprintMatches(fp, '00a1ff')).toBe(true);
    expect(fingerprintMatches(fp, '00:A1:ff')).toBe(true);
    expect(fingerprintMatches(fp, '00a1f')).toBe(false);
    expect(fingerprintMatches(fp, '00a1ff00')).toBe(false);
    expect(fingerprintMatches(fp, '00a1fg')).toBe(false);
  });

  test('a wrong hash is refused naming the host; the right one passes', () => {
    const key = blob('ssh-ed25519');
    const hex = createHash('sha256').update(key).digest('hex');
    const base = { host: 'srv.example', port: 2200, path: '/p', user: 'u', knownHostsFiles: [] };
    expect(() => checkHostKey({ ...base, hostKeyCheck: { mode: 'hash', type: 'sha256', hash: hex } }, key)).not.toThrow();
    let err: unknown;
    try {
      checkHostKey({ ...base, hostKeyCheck: { mode: 'hash', type: 'sha256', hash: '00' } }, key);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SshHostKeyError);
    expect((err as Error).message).toBe(
      `remote host ssh-ed25519 key fingerprint 'sha256:${hex}' does not match host_key_check 'sha256:00' (server srv.example:2200)`,
    );
  });
});

describe('known_hosts', () => {
  const key = blob('ssh-ed25519', 'server');
  const line = (hosts: string, k = key): string => `${hosts} ssh-ed25519 ${k.toString('base64')}`;

  test('names: plain on port 22, [host]:port otherwise', () => {
    expect(knownHostsName('h', 22)).toBe('h');
    expect(knownHostsName('h', 2222)).toBe('[h]:2222');
  });

  test('plain, wildcard, negated and hashed entries', () => {
    expect(checkKnownHostsEntries(parseKnownHosts(line('[127.0.0.1]:2222')), '127.0.0.1', 2222, key)).toBe('ok');
    expect(checkKnownHostsEntries(parseKnownHosts(line('127.0.0.1')), '127.0.0.1', 2222, key)).toBe('unknown');
    expect(checkKnownHostsEntries(parseKnownHosts(line('*.example.org,other')), 'a.example.org', 22, key)).toBe('ok');
    expect(checkKnownHostsEntries(parseKnownHosts(line('*.example.org,!bad.example.org')), 'bad.example.org', 22, key)).toBe('unknown');
    const salt = Buffer.from('0123456789abcdef0123');
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[h]:2222').digest('base64')}`;
    expect(checkKnownHostsEntries(parseKnownHosts(line(hashed)), 'h', 2222, key)).toBe('ok');
    expect(checkKnownHostsEntries(parseKnownHosts(line(hashed)), 'h', 22, key)).toBe('unknown');
  });

  test('changed key, other key type, revoked key', () => {
    const other = blob('ssh-ed25519', 'another');
    expect(checkKnownHostsEntries(parseKnownHosts(line('h', other)), 'h', 22, key)).toBe('changed');
    const ecdsa = blob('ecdsa-sha2-nistp256', 'x');
    expect(checkKnownHostsEntries(parseKnownHosts(`h ecdsa-sha2-nistp256 ${ecdsa.toString('base64')}`), 'h', 22, key)).toBe('other');
    expect(checkKnownHostsEntries(parseKnownHosts(`${line('h')}\n@revoked ${line('*')}`), 'h', 22, key)).toBe('revoked');
    expect(checkKnownHostsEntries(parseKnownHosts('# comment\n\ngarbage\n' + line('h')), 'h', 22, key)).toBe('ok');
  });

  test('a real OpenSSH public key line parses', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const k = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), raw]);
    const entries = parseKnownHosts(`[127.0.0.1]:2222 ssh-ed25519 ${k.toString('base64')} comment`);
    expect(checkKnownHostsEntries(entries, '127.0.0.1', 2222, k)).toBe('ok');
  });
});
