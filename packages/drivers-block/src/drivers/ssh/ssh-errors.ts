/**
 * Errors of the ssh driver. The texts are QEMU's (block/ssh.c, checked against
 * qemu-io 7.2 here) so a user can compare them with what QEMU prints; errors
 * about the server also name it ("… (server 127.0.0.1:2222)"), because a
 * host-key refusal that does not say which host is no help in a multi-host setup.
 */
import { Errno } from '../../block/errno.js';
import { BlockError, BlockIoError } from '../../block/errors.js';

/** Base class of every error the ssh driver throws while opening. */
export class SshError extends BlockError {
  override name = 'SshError';
}

/** An ssh:// filename or an option that does not parse (QEMU: "missing hostname in URI", …). */
export class SshOptionError extends SshError {
  override name = 'SshOptionError';
  constructor(message: string) {
    super(message, Errno.EINVAL);
  }
}

/** The server's host key was refused: wrong hash, unknown host, changed key. */
export class SshHostKeyError extends SshError {
  override name = 'SshHostKeyError';
  constructor(
    message: string,
    readonly host: string,
    readonly port: number,
    errno: number = Errno.EINVAL,
  ) {
    super(`${message} (server ${host}:${port})`, errno);
  }
}

/** Public-key authentication failed or is not offered. */
export class SshAuthError extends SshError {
  override name = 'SshAuthError';
  constructor(
    message: string,
    readonly host: string,
    readonly port: number,
  ) {
    super(`${message} (server ${host}:${port})`, Errno.EPERM);
  }
}

/** The TCP connection or the SSH handshake failed: "Failed to connect to 'h:p': Connection refused". */
export class SshConnectError extends SshError {
  override name = 'SshConnectError';
  constructor(
    message: string,
    readonly host: string,
    readonly port: number,
    errno: number = Errno.EIO,
    options?: ErrorOptions,
  ) {
    super(message, errno, options);
  }
}

/** The remote file could not be opened: "failed to open remote file '/p': SFTP server: No such file". */
export class SshOpenError extends SshError {
  override name = 'SshOpenError';
  constructor(
    readonly path: string,
    detail: string,
    readonly host: string,
    readonly port: number,
    errno: number,
  ) {
    super(`failed to open remote file '${path}': ${detail} (server ${host}:${port})`, errno);
  }
}

/** A request failed on the wire or on the server: always -EIO, as QEMU's ssh_read / ssh_write return. */
export class SshIoError extends BlockIoError {
  override name = 'SshIoError';
  constructor(detail: string, options?: ErrorOptions) {
    super(Errno.EIO, detail, options);
  }
}
