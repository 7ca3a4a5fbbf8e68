/**
 * What the peer launchers wait with: a pause, a child's exit, and a probe of
 * whether a peer accepts connections (and, for servers that speak first, what
 * it says). Internal to this package.
 */
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves once `child` has exited (at once when it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Whether a peer accepts a connection at `target` (a port on 127.0.0.1, or a
 * unix socket path); with `firstBytes`, whether what it sends first passes that
 * check (an SSH server's banner). False on an error or after `timeoutMs`.
 */
export function peerAnswers(target: number | string, firstBytes?: (data: Buffer) => boolean, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = typeof target === 'string' ? connect({ path: target }) : connect({ host: '127.0.0.1', port: target });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    if (firstBytes === undefined) s.once('connect', () => done(true));
    else s.once('data', (d: Buffer) => done(firstBytes(d)));
    s.once('error', () => done(false));
    s.setTimeout(timeoutMs, () => done(false));
  });
}
