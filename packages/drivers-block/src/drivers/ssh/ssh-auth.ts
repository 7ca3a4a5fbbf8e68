/**
 * Public-key authentication, as QEMU's ssh driver does it (publickey only, no
 * passwords): the identity file given in the options first, then every
 * identity of the ssh-agent (SSH_AUTH_SOCK), then the user's default keys
 * (~/.ssh/id_ed25519, id_ecdsa, id_rsa — what libssh's publickey_auto offers).
 * The handler is ssh2's authHandler middleware; it records why it gave up so the
 * connection can report QEMU's message instead of ssh2's generic one.
 */
import { readFileSync } from 'node:fs';
import type { AnyAuthMethod, AuthenticationType, AuthHandlerMiddleware } from 'ssh2';
import { strerror } from '../../block/errno.js';
import { errnoOf } from '../../block/errors.js';
import { SshAuthError } from './ssh-errors.js';
import type { SshConfig } from './ssh-options.js';

/** QEMU's message when no identity got in. */
export const AUTH_FAILED_MESSAGE = 'failed to authenticate using publickey authentication and the identities held by your ssh-agent';
/** QEMU's message when the server does not offer publickey. */
export const NO_PUBLICKEY_MESSAGE = 'remote server does not support "publickey" authentication';

/** An authHandler for ssh2 plus the reason it stopped, if it did. */
export interface SshAuthPlan {
  readonly handler: AuthHandlerMiddleware;
  /** Set when the handler gave up: the error to report. */
  failure(): SshAuthError;
}

function readKey(path: string, config: SshConfig, required: boolean): Buffer | null {
  try {
    return readFileSync(path);
  } catch (err) {
    if (!required) return null;
    const code = errnoOf(err);
    throw new SshAuthError(`could not read identity file '${path}': ${strerror(code)}`, config.host, config.port);
  }
}

/** Build the authentication plan for `config` (reads the identity files now). */
export function planAuthentication(config: SshConfig, home: string): SshAuthPlan {
  const methods: AnyAuthMethod[] = [];
  const username = config.user;
  if (config.identityFile !== undefined) {
    methods.push({ type: 'publickey', username, key: readKey(config.identityFile, config, true) as Buffer });
  }
  if (config.agentSocket !== undefined) methods.push({ type: 'agent', username, agent: config.agentSocket });
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    const key = readKey(`${home}/.ssh/${name}`, config, false);
    if (key !== null) methods.push({ type: 'publickey', username, key });
  }
  let reason = AUTH_FAILED_MESSAGE;
  let next = 0;
  const handler: AuthHandlerMiddleware = (authsLeft: AuthenticationType[] | null, _partial: boolean | null, done) => {
    // ssh2 passes null before the first attempt; afterwards, what the server still allows.
    if (authsLeft?.includes('publickey') === false) {
      reason = NO_PUBLICKEY_MESSAGE;
      (done as (m: AnyAuthMethod | false) => void)(false);
      return;
    }
    (done as (m: AnyAuthMethod | false) => void)(next < methods.length ? methods[next++] : false);
  };
  return { handler, failure: () => new SshAuthError(reason, config.host, config.port) };
}
