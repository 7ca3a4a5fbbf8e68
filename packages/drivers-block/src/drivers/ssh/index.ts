/** The ssh driver's face: the driver, its node class, tuning and errors. */
export { SshBlockDriverState, setSshDriverTuning, setSshWarningHandler, sshDriver, type SshDriverTuning } from './ssh-driver.js';
export type { SshConfig, SshHostKeyCheck, SshHostKeyHashType } from './ssh-options.js';
export { SshAuthError, SshConnectError, SshError, SshHostKeyError, SshIoError, SshOpenError, SshOptionError } from './ssh-errors.js';
export type { SftpPipeLimits } from './sftp-pipe.js';
export type { SshConnectionTuning } from './ssh-connection.js';
