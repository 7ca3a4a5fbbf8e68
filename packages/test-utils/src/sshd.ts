/**
 * A real OpenSSH sshd on 127.0.0.1 for the ssh driver's tests and benchmarks,
 * of its own: its own config, host key, pid
 * file and a freshly generated client key as the only authorized key, pubkey
 * auth only, internal-sftp. The port starts at 2222 and moves up while taken, so
 * a stray server never makes the tests talk to the wrong peer. sshd forks one
 * child per connection in a new session, so `kill()` walks /proc for the
 * descendants of the sshd we started and ends them too: that is what a crashed
 * server looks like to a client (the TCP connection drops). `start()` brings the
 * same server back on the same port with the same host key; `rotateHostKey()`
 * gives it a new one (the "changed key" case). `startAgent()` runs an ssh-agent
 * holding the client key, for qemu-io, which authenticates through an agent.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { logFileTail } from './log-tail.js';
import { exited, peerAnswers, sleep } from './peer-probes.js';

const SSHD_BIN = '/usr/sbin/sshd';
const SSH_KEYGEN_BIN = '/usr/bin/ssh-keygen';
const SSH_AGENT_BIN = '/usr/bin/ssh-agent';
const SSH_ADD_BIN = '/usr/bin/ssh-add';
/** First port tried; the helper moves up while it is taken. */
export const SSHD_FIRST_PORT = 2222;

/** An ssh-agent holding the peer's client key. */
export interface SshAgentPeer {
  /** Its socket (SSH_AUTH_SOCK). */
  readonly socket: string;
  /** The environment for a child process that should use it. */
  readonly env: NodeJS.ProcessEnv;
  /** End the agent. */
  stop(): void;
}

/** A running sshd and the keys that go with it. */
export interface SshdPeer {
  readonly host: '127.0.0.1';
  /** The port it listens on. */
  readonly port: number;
  /** The user the client key logs in as (the user running the tests). */
  readonly user: string;
  /** Scratch directory for images, config and keys. */
  readonly dir: string;
  /** Directory for test images (under `dir`). */
  readonly dataDir: string;
  /** The client's private key file (OpenSSH format, no passphrase). */
  readonly clientKeyPath: string;
  /** The host key's public half as in a .pub file ("ssh-ed25519 AAAA… comment"). */
  hostKeyPub(): string;
  /** Hex SHA-256 of the host key blob (what host-key-check hash mode compares). */
  hostKeyHash(type?: 'md5' | 'sha1' | 'sha256'): string;
  /** A known_hosts line for this server ("[127.0.0.1]:port type base64"). */
  knownHostsLine(): string;
  /** ssh://user@127.0.0.1:port<path><query> */
  url(path: string, query?: string): string;
  /** Start sshd again after `kill()` (same port, same host key) and wait until it answers. */
  start(): Promise<void>;
  /** Kill sshd and every connection child it forked, and wait until they are gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stop (SIGSTOP) sshd and its children without closing any socket: a peer gone silent. Returns a function that resumes them. */
  freeze(): () => void;
  /** Give the server a new host key of `type` (restarts it). */
  rotateHostKey(type?: 'ed25519' | 'ecdsa' | 'rsa'): Promise<void>;
  /** Start an ssh-agent holding the client key. */
  startAgent(): SshAgentPeer;
  /** Stop sshd and remove the scratch directory. */
  stop: () => Promise<void>;
  /** The tail of sshd's log, for failure messages. */
  logTail(lines?: number): string;
}


function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Pids of every live descendant of `root` (from /proc/<pid>/stat's ppid field). */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      // The command name may hold spaces and parentheses: fields resume after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(name), Number(rest[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number): void => {
    for (const [child, parent] of parentOf) {
      if (parent === pid) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return out;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function keygen(path: string, type: 'ed25519' | 'ecdsa' | 'rsa'): void {
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  execFileSync(SSH_KEYGEN_BIN, ['-q', '-t', type, '-N', '', '-C', 'qco-test', '-f', path], { stdio: 'ignore' });
}

/** Start sshd on the first free port from `firstPort`; fails saying why when OpenSSH is missing. */
export async function startSshd(options: { firstPort?: number; hostKeyType?: 'ed25519' | 'ecdsa' | 'rsa' } = {}): Promise<SshdPeer> {
  for (const bin of [SSHD_BIN, SSH_KEYGEN_BIN]) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: install the Debian packages of packages/drivers-block/setup/apt-peers.txt (openssh-server, openssh-client)`);
  }
  // sshd refuses to start without its privilege separation directory.
  mkdirSync('/run/sshd', { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'qco-sshd-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const hostKey = join(dir, 'host_key');
  const clientKey = join(dir, 'client_key');
  const confPath = join(dir, 'sshd_config');
  const logPath = join(dir, 'sshd.log');
  keygen(hostKey, options.hostKeyType ?? 'ed25519');
  keygen(clientKey, 'ed25519');

  let port = options.firstPort ?? SSHD_FIRST_PORT;
  while (!(await portFree(port))) {
    port++;
    if (port > (options.firstPort ?? SSHD_FIRST_PORT) + 200) throw new Error('no free port for sshd near 2222 on 127.0.0.1');
  }
  writeFileSync(
    confPath,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${clientKey}.pub`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      // Room for the pipelined tests' parallel opens.
      'MaxStartups 100',
      'MaxSessions 100',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );

  let sshd: ChildProcess | null = null;
  const agents: SshAgentPeer[] = [];
  const logTail = (lines = 20): string => logFileTail(logPath, lines);
  const start = async (): Promise<void> => {
    if (sshd !== null) return;
    const child = spawn(SSHD_BIN, ['-D', '-f', confPath, '-E', logPath], { stdio: 'ignore' });
    sshd = child;
    const end = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) {
        sshd = null;
        throw new Error(`sshd exited with code ${child.exitCode}\n${logTail()}`);
      }
      if (await peerAnswers(port, (banner) => banner.toString('latin1').startsWith('SSH-'), 2000)) return;
      if (Date.now() > end) {
        child.kill('SIGKILL');
        await exited(child);
        sshd = null;
        throw new Error(`sshd did not answer on 127.0.0.1:${port}\n${logTail()}`);
      }
      await sleep(30);
    }
  };
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const child = sshd;
    if (child === null || child.pid === undefined) return;
    sshd = null;
    const pids = [child.pid, ...descendants(child.pid)];
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    await exited(child);
    const end = Date.now() + 10_000;
    while (pids.some(pidAlive) && Date.now() < end) await sleep(20);
  };
  const hostKeyPub = (): string => readFileSync(`${hostKey}.pub`, 'utf8').trim();
  const blob = (): Buffer => Buffer.from(hostKeyPub().split(' ')[1], 'base64');
  const peer: SshdPeer = {
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    dir,
    dataDir,
    clientKeyPath: clientKey,
    hostKeyPub,
    hostKeyHash: (type = 'sha256') => createHash(type).update(blob()).digest('hex'),
    knownHostsLine: () => {
      const [type, b64] = hostKeyPub().split(' ');
      return port === 22 ? `127.0.0.1 ${type} ${b64}` : `[127.0.0.1]:${port} ${type} ${b64}`;
    },
    url: (path, query = '') => `ssh://${userInfo().username}@127.0.0.1:${port}${path}${query}`,
    start,
    kill,
    freeze: () => {
      const child = sshd;
      if (child === null || child.pid === undefined) return () => {};
      const pids = [child.pid, ...descendants(child.pid)];
      const signal = (sig: NodeJS.Signals): void => {
        for (const pid of pids) {
          try {
            process.kill(pid, sig);
          } catch {
            // already gone
          }
        }
      };
      signal('SIGSTOP');
      return () => signal('SIGCONT');
    },
    rotateHostKey: async (type = 'ed25519') => {
      await kill('SIGTERM');
      keygen(hostKey, type);
      await start();
    },
    startAgent: () => {
      const sock = join(dir, `agent-${agents.length}.sock`);
      const out = execFileSync(SSH_AGENT_BIN, ['-s', '-a', sock], { encoding: 'utf8' });
      const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)?.[1]);
      const env = { ...process.env, SSH_AUTH_SOCK: sock, SSH_AGENT_PID: String(pid) };
      execFileSync(SSH_ADD_BIN, ['-q', clientKey], { env, stdio: 'ignore' });
      const agent: SshAgentPeer = {
        socket: sock,
        env,
        stop: () => {
          if (pidAlive(pid)) process.kill(pid, 'SIGTERM');
        },
      };
      agents.push(agent);
      return agent;
    },
    stop: async () => {
      await kill('SIGTERM');
      for (const a of agents) a.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    logTail,
  };
  // If the test process dies without stop() (an uncaught error, a closed stdout), take sshd and the agents along.
  const onExit = (): void => {
    const child = sshd;
    if (child?.pid !== undefined) {
      for (const pid of [child.pid, ...descendants(child.pid)]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const a of agents) a.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const stopPeer = peer.stop;
  peer.stop = async () => {
    process.off('exit', onExit);
    await stopPeer();
  };
  try {
    await start();
  } catch (err) {
    process.off('exit', onExit);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return peer;
}
