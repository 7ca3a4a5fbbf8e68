/**
 * The ssh driver's options and filenames, with QEMU's names: server.host,
 * server.port (22), path, user, host-key-check.{mode,type,hash}, and the legacy
 * flat host_key_check string that ssh:// filenames carry (no | yes |
 * md5:… | sha1:… | sha256:…). One extension: identity-file, a private key to
 * offer besides the ssh-agent's identities (QEMU relies on libssh's defaults for
 * that). Everything is resolved into one SshConfig here so the connection code
 * never looks at raw option strings.
 */
import type { BlockDriverOptions, BlockOptionDesc, BlockOptionsDict } from '../../block/block-driver.js';
import { SshOptionError } from './ssh-errors.js';

/** Hash types the hash mode of host-key-check accepts (QEMU's SshHostKeyCheckHashType). */
export type SshHostKeyHashType = 'md5' | 'sha1' | 'sha256';

/** How the server's host key is checked (QEMU's SshHostKeyCheck). */
export type SshHostKeyCheck =
  | { readonly mode: 'none' }
  | { readonly mode: 'hash'; readonly type: SshHostKeyHashType; readonly hash: string }
  | { readonly mode: 'known_hosts' };

/** Everything needed to connect and open the remote file. */
export interface SshConfig {
  /** server.host */
  readonly host: string;
  /** server.port */
  readonly port: number;
  /** Remote path of the image. */
  readonly path: string;
  /** Remote user (default: the local user, as QEMU does). */
  readonly user: string;
  /** Host key policy (default known_hosts, as QEMU's). */
  readonly hostKeyCheck: SshHostKeyCheck;
  /** Private key file to offer (extension; ssh-agent identities and ~/.ssh/id_* are tried too). */
  readonly identityFile?: string;
  /** ssh-agent socket (default SSH_AUTH_SOCK). */
  readonly agentSocket?: string;
  /** Files searched in known_hosts mode: the user's, then the system one. */
  readonly knownHostsFiles: readonly string[];
}

/** The option schema of the ssh driver (QEMU's ssh_runtime_opts plus the blockdev names). */
export const SSH_OPTIONS: readonly BlockOptionDesc[] = [
  // Presence and values are checked in sshConfigFromOptions, with QAPI's wording for BlockdevOptionsSsh.
  { name: 'server.host', type: 'string', help: 'Host to connect to' },
  { name: 'server.port', type: 'string', help: 'Port to connect to' },
  { name: 'path', type: 'string', help: 'Path of the image on the host' },
  { name: 'user', type: 'string', help: 'User as which to connect' },
  { name: 'host-key-check.mode', type: 'string', help: 'How to check the host key (none, hash, known_hosts)' },
  { name: 'host-key-check.type', type: 'string', help: 'Hash type of host-key-check.hash (md5, sha1, sha256)' },
  { name: 'host-key-check.hash', type: 'string', help: 'Expected host key hash (hex, colons allowed)' },
  { name: 'host_key_check', type: 'string', help: 'Legacy: no | yes | md5:HEX | sha1:HEX | sha256:HEX' },
  { name: 'identity-file', type: 'string', help: 'Private key file to authenticate with (besides ssh-agent)' },
];

/** Parse the legacy host_key_check string of ssh:// filenames. */
export function parseLegacyHostKeyCheck(value: string): SshHostKeyCheck {
  if (value === 'no') return { mode: 'none' };
  if (value === 'yes') return { mode: 'known_hosts' };
  for (const type of ['md5', 'sha1', 'sha256'] as const) {
    if (value.startsWith(`${type}:`)) return { mode: 'hash', type, hash: value.slice(type.length + 1) };
  }
  throw new SshOptionError(`unknown host_key_check setting (${value})`);
}

function str(options: BlockDriverOptions, name: string): string | undefined {
  const v = options[name];
  return v === undefined ? undefined : String(v);
}

/** Resolve checked driver options into an SshConfig. */
export function sshConfigFromOptions(options: BlockDriverOptions, env: NodeJS.ProcessEnv = process.env): SshConfig {
  const host = str(options, 'server.host');
  if (host === undefined) throw new SshOptionError("Parameter 'server' is missing");
  if (host === '') throw new SshOptionError('No hostname was specified');
  const path = str(options, 'path');
  if (path === undefined) throw new SshOptionError("Parameter 'path' is missing");
  if (path === '') throw new SshOptionError('No path was specified');
  const portValue = str(options, 'server.port') ?? '22';
  if (!/^[0-9]+$/.test(portValue)) throw new SshOptionError('Use only numeric port value');
  const port = Number(portValue);
  if (port < 1 || port > 65535) throw new SshOptionError(`Parameter 'server.port' expects a port number (got '${portValue}')`);

  const mode = str(options, 'host-key-check.mode');
  const legacy = str(options, 'host_key_check');
  let hostKeyCheck: SshHostKeyCheck;
  // A pin (type / hash) without a mode must not fall back to known_hosts silently.
  if (mode === undefined && (options['host-key-check.type'] !== undefined || options['host-key-check.hash'] !== undefined)) {
    throw new SshOptionError("Parameter 'host-key-check.mode' is missing");
  }
  if (mode !== undefined && legacy !== undefined) {
    throw new SshOptionError('host_key_check cannot be used at the same time as host-key-check');
  } else if (legacy !== undefined) {
    hostKeyCheck = parseLegacyHostKeyCheck(legacy);
  } else if (mode === undefined || mode === 'known_hosts') {
    hostKeyCheck = { mode: 'known_hosts' };
  } else if (mode === 'none') {
    hostKeyCheck = { mode: 'none' };
  } else if (mode === 'hash') {
    const type = str(options, 'host-key-check.type');
    const hash = str(options, 'host-key-check.hash');
    if (type === undefined) throw new SshOptionError("Parameter 'host-key-check.type' is missing");
    if (hash === undefined) throw new SshOptionError("Parameter 'host-key-check.hash' is missing");
    if (type !== 'md5' && type !== 'sha1' && type !== 'sha256') throw new SshOptionError(`Parameter 'type' does not accept value '${type}'`);
    hostKeyCheck = { mode: 'hash', type, hash };
  } else {
    throw new SshOptionError(`Parameter 'mode' does not accept value '${mode}'`);
  }

  const home = env['HOME'] ?? process.getBuiltinModule('node:os').homedir();
  const identityFile = str(options, 'identity-file');
  const agentSocket = env['SSH_AUTH_SOCK'];
  return {
    host,
    port,
    path,
    user: str(options, 'user') ?? env['USER'] ?? process.getBuiltinModule('node:os').userInfo().username,
    hostKeyCheck,
    ...(identityFile !== undefined ? { identityFile } : {}),
    ...(agentSocket !== undefined && agentSocket !== '' ? { agentSocket } : {}),
    knownHostsFiles: [`${home}/.ssh/known_hosts`, '/etc/ssh/ssh_known_hosts'],
  };
}

/**
 * bdrv_parse_filename for ssh://[user@]host[:port]/path[?host_key_check=…]:
 * QEMU's messages for a wrong scheme, a missing host or a missing path; query
 * parameters other than host_key_check are ignored, as QEMU does, and a
 * repeated host_key_check takes its last value, as QEMU's loop over the query
 * does. A URI that does not parse (a port that is not a number, or beyond
 * 65535) yields no options, so QEMU then misses the server.
 */
export function parseSshFilename(filename: string): BlockOptionsDict {
  let uri: URL;
  try {
    uri = new URL(filename);
  } catch {
    throw new SshOptionError("Parameter 'server' is missing");
  }
  if (uri.protocol !== 'ssh:') throw new SshOptionError("URI scheme must be 'ssh'");
  if (uri.hostname === '') throw new SshOptionError('missing hostname in URI');
  if (uri.pathname === '') throw new SshOptionError('missing remote path in URI');
  const out: BlockOptionsDict = Object.create(null) as BlockOptionsDict;
  if (uri.username !== '') out['user'] = decodeURIComponent(uri.username);
  out['server.host'] = uri.hostname.startsWith('[') ? uri.hostname.slice(1, -1) : uri.hostname;
  if (uri.port !== '') out['server.port'] = Number(uri.port);
  out['path'] = decodeURIComponent(uri.pathname);
  const hkc = uri.searchParams.getAll('host_key_check').at(-1);
  if (hkc !== undefined) out['host_key_check'] = hkc;
  return out;
}

/** The filename QEMU would print for this configuration. */
export function sshFilename(config: SshConfig): string {
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `ssh://${encodeURIComponent(config.user)}@${host}:${config.port}${encodeURI(config.path)}`;
}
