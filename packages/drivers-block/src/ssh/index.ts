/**
 * The ssh driver's public surface: the driver object, its node class, options
 * parsing, host-key checking and the errors, so users can match on them.
 */
export { SshBlockDriverState, setSshDriverTuning, setSshWarningHandler, sshDriver, type SshDriverTuning } from './ssh-driver.js';
export { SSH_OPTIONS, parseLegacyHostKeyCheck, parseSshFilename, sshConfigFromOptions, sshFilename, type SshConfig, type SshHostKeyCheck, type SshHostKeyHashType } from './ssh-options.js';
export { checkHostKey, fingerprintMatches, hostKeyFingerprint } from './host-key-check.js';
export { checkKnownHosts, checkKnownHostsEntries, knownHostsName, parseKnownHosts, type KnownHostsEntry, type KnownHostsState } from './known-hosts.js';
export { SshAuthError, SshConnectError, SshError, SshHostKeyError, SshIoError, SshOpenError, SshOptionError } from './ssh-errors.js';
export { DEFAULT_PIPE_BUDGET, type SftpPipeLimits } from './sftp-pipe.js';
export { DEFAULT_TUNING, type SshConnectionTuning } from './ssh-connection.js';
