/**
 * One SSH connection with its SFTP session and the open remote file. Opening
 * follows QEMU's order (TCP, handshake, host-key check before any credential,
 * publickey auth, SFTP, open, fstat) and reports each failure with QEMU's text.
 * Every SFTP request goes through `request()`, which keeps its own table of
 * outstanding requests: ssh2 silently drops a request sent on a closed channel
 * and may never call it back, so when the connection goes away (server killed,
 * socket reset, keepalive timeout) this table is what fails every pending
 * request with -EIO — nothing hangs, and nothing not acknowledged by the server
 * is reported as done. A dead connection stays dead; a later open makes a new one.
 */
import { homedir } from 'node:os';
import { Client, type SFTPWrapper, type Stats } from 'ssh2';
import { Errno, errnoFromCode, strerror } from '../../block/errno.js';
import { checkHostKey } from './host-key-check.js';
import { planAuthentication } from './ssh-auth.js';
import { SshConnectError, SshError, SshIoError, SshOpenError } from './ssh-errors.js';
import type { SshConfig } from './ssh-options.js';

/** How the remote file is opened. */
export interface SftpOpenMode {
  /** Open for writing too (else read-only). */
  readonly write: boolean;
  /** Create it if missing and truncate it (image creation). */
  readonly create?: boolean;
}

/** Tuning of a connection (tests and benchmarks change these). */
export interface SshConnectionTuning {
  /** SSH keepalive period, ms (0: off). A silent peer is declared dead after `keepaliveCountMax` misses. */
  readonly keepaliveInterval?: number;
  /** Unanswered keepalives before the connection is dropped. */
  readonly keepaliveCountMax?: number;
  /** Handshake timeout, ms. */
  readonly readyTimeout?: number;
  /** Transport ciphers to prefer, most wanted first (ssh2 algorithm names). */
  readonly ciphers?: readonly string[];
}

/** Defaults: a dropped peer is noticed within ~15 s even if no TCP reset arrives. */
export const DEFAULT_TUNING: Required<Omit<SshConnectionTuning, 'ciphers'>> = {
  keepaliveInterval: 5000,
  keepaliveCountMax: 3,
  readyTimeout: 20_000,
};

/** The SFTP status codes ssh2 puts in err.code (RFC draft-ietf-secsh-filexfer-02). */
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;

/** ssh2 fields that its typings do not expose: the negotiated limits and the server's extensions. */
interface SftpInternals {
  _maxReadLen?: number;
  _maxWriteLen?: number;
  _extensions?: Record<string, string>;
  incoming?: { window: number };
  outgoing?: { id: number };
  _protocol?: { channelWindowAdjust(id: number, amount: number): void };
}

type Done = (err: Error | null | undefined, value?: unknown) => void;

/** A connected SFTP session with one open remote file. */
export class SshConnection {
  /** Largest READ the server serves in one reply (limits@openssh.com, else ssh2's default). */
  readonly maxRead: number;
  /** Largest WRITE the server takes in one request. */
  readonly maxWrite: number;
  /** Whether the server offers fsync@openssh.com. */
  readonly hasFsync: boolean;
  /** Why the connection is gone, once it is. */
  deadReason: string | null = null;
  private readonly pending = new Set<Done>();
  private readonly closeListeners = new Set<() => void>();

  /** @internal use SshConnection.open */
  constructor(
    readonly config: SshConfig,
    readonly client: Client,
    readonly sftp: SFTPWrapper,
    readonly handle: Buffer,
    /** File size from fstat at open. */
    readonly initialSize: number,
  ) {
    const internals = sftp as unknown as SftpInternals;
    // What one SFTP request may carry: OpenSSH's limits@openssh.com (which ssh2 asks for) allows
    // ~255 KiB each way, above QEMU's 16 KiB reads and 128 KiB writes. A server without the
    // extension gets ssh2's conservative ~32 KiB, the size every SFTP server must accept; the
    // pipe then keeps more requests in flight instead.
    this.maxRead = Math.max(16 * 1024, internals._maxReadLen ?? 32 * 1024);
    this.maxWrite = internals._maxWriteLen ?? 32 * 1024;
    this.hasFsync = internals._extensions?.['fsync@openssh.com'] === '1';
    const lost = (why: string) => () => this.markDead(why);
    client.on('close', lost('connection closed by the server'));
    client.on('end', lost('connection closed by the server'));
    client.on('error', (err: Error) => this.markDead(`connection error: ${err.message}`));
    sftp.on('close', lost('SFTP channel closed'));
    sftp.on('error', (err: Error) => this.markDead(`SFTP channel error: ${err.message}`));
  }

  /** Whether requests can still be sent. */
  get alive(): boolean {
    return this.deadReason === null;
  }

  /** Number of requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Keep the server's send window for this channel at `target` bytes. ssh2
   * holds it between 1 and 2 MiB, which leaves a fast server waiting for window
   * adjustments; a pipelined reader wants as much as it has reads in flight.
   * Uses ssh2 internals and does nothing if they are not there.
   */
  topUpWindow(target: number): void {
    const s = this.sftp as unknown as SftpInternals;
    if (s.incoming === undefined || s.outgoing === undefined || s._protocol === undefined || this.deadReason !== null) return;
    const amount = target - s.incoming.window;
    if (amount < target / 2) return;
    s.incoming.window += amount;
    s._protocol.channelWindowAdjust(s.outgoing.id, amount);
  }

  /** Be told once when the connection dies. */
  onClose(fn: () => void): () => void {
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }

  /** The server as "host:port", for messages. */
  get hostport(): string {
    return `${this.config.host}:${this.config.port}`;
  }

  private markDead(why: string): void {
    if (this.deadReason !== null) return;
    this.deadReason = why;
    const err = new SshIoError(`${why} (server ${this.hostport})`);
    const waiting = [...this.pending];
    this.pending.clear();
    for (const done of waiting) done(err);
    for (const fn of [...this.closeListeners]) fn();
    this.closeListeners.clear();
    this.client.end();
    // end() waits for the peer; a dead peer never answers.
    setImmediate(() => this.client.destroy());
  }

  /**
   * Send one SFTP request through `send`, which must call ssh2 with the given
   * callback. `done` runs exactly once: with ssh2's answer, or with -EIO when the
   * connection is (or goes) down first.
   */
  request(send: (cb: Done) => void, done: Done): void {
    if (this.deadReason !== null) {
      const err = new SshIoError(`${this.deadReason} (server ${this.hostport})`);
      process.nextTick(done, err);
      return;
    }
    let settled = false;
    const cb: Done = (err, value) => {
      if (settled) return;
      settled = true;
      this.pending.delete(cb);
      if (err) done(err instanceof SshIoError ? err : new SshIoError(`${err.message} (server ${this.hostport})`, { cause: err }));
      else done(null, value);
    };
    this.pending.add(cb);
    try {
      send(cb);
    } catch (err) {
      cb(err as Error);
    }
  }

  /** Close the file and the connection (best effort: errors are ignored). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      const finish = (): void => {
        // Anything still outstanding (there should be nothing) fails rather than hangs.
        this.markDead('connection closed by the client');
        resolve();
      };
      if (this.deadReason !== null) { finish(); return; }
      const t = setTimeout(finish, 2000);
      this.sftp.close(this.handle, () => {
        clearTimeout(t);
        finish();
      });
    });
  }

  /**
   * Connect, check the host key, authenticate, start SFTP, open and fstat the
   * file. Rejects with SshError subclasses carrying QEMU's messages.
   */
  static open(config: SshConfig, mode: SftpOpenMode, tuning: SshConnectionTuning = {}): Promise<SshConnection> {
    const t = { ...DEFAULT_TUNING, ...tuning };
    const home = process.env['HOME'] ?? homedir();
    return new Promise((resolve, reject) => {
      let plan;
      try {
        plan = planAuthentication(config, home);
      } catch (err) {
        reject(err);
        return;
      }
      const client = new Client();
      let failure: Error | null = null;
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        client.removeAllListeners('ready');
        client.on('error', () => {});
        client.destroy();
        reject(err);
      };
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (failure !== null) { fail(failure); return; }
        if (err.level === 'client-authentication') { fail(plan.failure()); return; }
        if (err.level === 'client-socket' || err.code !== undefined) {
          const errno = errnoFromCode(err.code);
          fail(new SshConnectError(`Failed to connect to '${config.host}:${config.port}': ${errno === Errno.EIO ? err.message : strerror(errno)}`, config.host, config.port, errno, { cause: err })); return;
        }
        if (err.level === 'client-timeout') {
          fail(new SshConnectError(`Failed to connect to '${config.host}:${config.port}': timed out during the SSH handshake`, config.host, config.port, Errno.ETIMEDOUT, { cause: err })); return;
        }
        fail(new SshConnectError(`failed to establish SSH session with ${config.host}:${config.port}: ${err.message}`, config.host, config.port, Errno.EIO, { cause: err }));
      });
      client.on('close', () => fail(failure ?? new SshConnectError(`failed to establish SSH session with ${config.host}:${config.port}: connection closed`, config.host, config.port, Errno.ECONNRESET)));
      client.on('ready', () => {
        // Small SFTP requests and window adjustments must not sit in Nagle's buffer waiting for an ACK.
        client.setNoDelay(true);
        client.sftp((err, sftp) => {
          if (err) { fail(new SshError(`failed to initialize sftp handle: ${err.message} (server ${config.host}:${config.port})`, Errno.EIO)); return; }
          const flags = mode.create ? 'w+' : mode.write ? 'r+' : 'r';
          sftp.open(config.path, flags, 0o644, (err2, handle) => {
            if (err2) {
              const code = (err2 as Error & { code?: number }).code;
              const errno = code === SFTP_NO_SUCH_FILE ? Errno.ENOENT : code === SFTP_PERMISSION_DENIED ? Errno.EACCES : Errno.EIO;
              fail(new SshOpenError(config.path, `SFTP server: ${err2.message} (sftp error code: ${code ?? 'none'})`, config.host, config.port, errno)); return;
            }
            sftp.fstat(handle, (err3, stats: Stats) => {
              if (err3) { fail(new SshError(`failed to read file attributes: ${err3.message} (server ${config.host}:${config.port})`, Errno.EIO)); return; }
              if (settled) return;
              settled = true;
              client.removeAllListeners('error');
              client.removeAllListeners('close');
              resolve(new SshConnection(config, client, sftp, handle, stats.size));
            });
          });
        });
      });
      client.connect({
        host: config.host,
        port: config.port,
        username: config.user,
        readyTimeout: t.readyTimeout,
        keepaliveInterval: t.keepaliveInterval,
        keepaliveCountMax: t.keepaliveCountMax,
        hostVerifier: (key: Buffer) => {
          try {
            checkHostKey(config, key);
            return true;
          } catch (err) {
            failure = err as Error;
            return false;
          }
        },
        authHandler: plan.handler,
        ...(tuning.ciphers ? { algorithms: { cipher: [...tuning.ciphers] as never } } : {}),
      });
    });
  }
}
