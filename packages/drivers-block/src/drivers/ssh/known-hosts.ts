/**
 * OpenSSH known_hosts matching, for host-key-check mode known_hosts. ssh2 hands
 * us the raw host key and leaves trust to the caller, so this reads the user's
 * file the way OpenSSH does: comma-separated host patterns with `*` / `?`
 * wildcards and `!` negation, `[host]:port` for ports other than 22, hashed
 * entries (`|1|salt|HMAC-SHA1(salt, name)`), and the `@revoked` marker
 * (`@cert-authority` lines are skipped: we do not do host certificates). The
 * outcome names libssh's states, which QEMU turns into its messages.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Result of looking a server key up (libssh's ssh_known_hosts_e). */
export type KnownHostsState =
  | 'ok' // an entry for this host holds this key
  | 'changed' // entries of this key type hold another key
  | 'other' // only entries of other key types
  | 'unknown' // no entry for this host
  | 'revoked' // the key is marked @revoked
  | 'not-found'; // no known_hosts file could be read

/** One parsed known_hosts line. */
export interface KnownHostsEntry {
  readonly marker: '' | '@revoked' | '@cert-authority';
  readonly patterns: string;
  readonly keyType: string;
  readonly key: Buffer;
}

/** Parse known_hosts text; malformed lines are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const out: KnownHostsEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostsEntry['marker'] = '';
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostsEntry['marker'];
    if (fields.length < 3) continue;
    const [patterns, keyType, b64] = fields;
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0) continue;
    out.push({ marker, patterns, keyType, key });
  }
  return out;
}

/** The name OpenSSH looks up: "host" on port 22, "[host]:port" otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcardMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (const ch of pattern) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${re}$`, 'i').test(name);
}

function hashedMatch(entry: string, name: string): boolean {
  const parts = entry.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const want = Buffer.from(parts[3], 'base64');
  return createHmac('sha1', salt).update(name).digest().equals(want);
}

/** Whether a line's host patterns select `name` (a negated match wins over any positive one). */
export function hostPatternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|')) return hashedMatch(patterns, name);
  let matched = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (wildcardMatch(p.slice(1), name)) return false;
    } else if (wildcardMatch(p, name)) {
      matched = true;
    }
  }
  return matched;
}

/** The SSH key type named inside a public key blob ("ssh-ed25519", …). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** Look `key` up for host:port in the entries. */
export function checkKnownHostsEntries(entries: readonly KnownHostsEntry[], host: string, port: number, key: Buffer): KnownHostsState {
  const names = [knownHostsName(host, port)];
  const type = keyTypeOfBlob(key);
  let state: KnownHostsState = 'unknown';
  for (const e of entries) {
    if (e.marker === '@cert-authority') continue;
    if (!names.some((n) => hostPatternsMatch(e.patterns, n))) continue;
    if (e.marker === '@revoked') {
      if (e.key.equals(key)) return 'revoked';
      continue;
    }
    if (e.key.equals(key)) {
      state = 'ok';
      continue;
    }
    if (state === 'ok') continue;
    if (keyTypeOfBlob(e.key) === type) state = 'changed';
    else if (state !== 'changed') state = 'other';
  }
  // A revoked entry anywhere beats an ok one, which the loop above already returned for.
  return state;
}

/** Read the files (missing ones are skipped) and look `key` up. */
export function checkKnownHosts(files: readonly string[], host: string, port: number, key: Buffer): KnownHostsState {
  const entries: KnownHostsEntry[] = [];
  let read = 0;
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    read++;
    entries.push(...parseKnownHosts(text));
  }
  if (read === 0) return 'not-found';
  return checkKnownHostsEntries(entries, host, port, key);
}
