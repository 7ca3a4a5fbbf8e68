/**
 * host-key-check: decide whether to trust the key a server presented, before any
 * credential is sent. Hash mode compares the md5 / sha1 / sha256 digest of the
 * raw key blob with the user's hex string the way QEMU does (colons ignored,
 * case-insensitive, the whole string must be used); known_hosts mode asks
 * known-hosts.ts. Refusals are SshHostKeyError with QEMU's wording plus the host.
 */
import { createHash } from 'node:crypto';
import { Errno } from '../../block/errno.js';
import { checkKnownHosts, keyTypeOfBlob } from './known-hosts.js';
import { SshHostKeyError } from './ssh-errors.js';
import type { SshConfig, SshHostKeyHashType } from './ssh-options.js';

/** Digest of a host key blob. */
export function hostKeyFingerprint(key: Buffer, type: SshHostKeyHashType): Buffer {
  return createHash(type).update(key).digest();
}

/** QEMU's compare_fingerprint: hex pairs with optional colons, case-insensitive, nothing left over. */
export function fingerprintMatches(fingerprint: Buffer, expected: string): boolean {
  const hex = expected.replace(/:/g, '');
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== fingerprint.length * 2) return false;
  return hex.toLowerCase() === fingerprint.toString('hex');
}

/** OpenSSH's "SHA256:base64" rendering of a key, as libssh prints it in the changed-key message. */
export function sha256Base64(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** Throw SshHostKeyError unless `key` passes the configured check. */
export function checkHostKey(config: SshConfig, key: Buffer): void {
  const check = config.hostKeyCheck;
  const { host, port } = config;
  const keyType = keyTypeOfBlob(key);
  switch (check.mode) {
    case 'none':
      return;
    case 'hash': {
      const fp = hostKeyFingerprint(key, check.type);
      if (fingerprintMatches(fp, check.hash)) return;
      throw new SshHostKeyError(
        `remote host ${keyType} key fingerprint '${check.type}:${fp.toString('hex')}' does not match host_key_check '${check.type}:${check.hash}'`,
        host,
        port,
        Errno.EPERM,
      );
    }
    case 'known_hosts': {
      const state = checkKnownHosts(config.knownHostsFiles, host, port, key);
      switch (state) {
        case 'ok':
          return;
        case 'changed':
          throw new SshHostKeyError(
            `host key (${keyType} key with fingerprint ${sha256Base64(key)}) does not match the one in known_hosts; this may be a possible attack`,
            host,
            port,
          );
        case 'other':
          throw new SshHostKeyError('host key for this server not found, another type exists', host, port);
        case 'revoked':
          throw new SshHostKeyError(`host key (${keyType} key with fingerprint ${sha256Base64(key)}) is marked @revoked in known_hosts`, host, port);
        case 'unknown':
        case 'not-found':
          throw new SshHostKeyError('no host key was found in known_hosts', host, port);
      }
    }
  }
}
