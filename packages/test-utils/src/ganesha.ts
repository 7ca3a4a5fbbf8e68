/**
 * A real nfs-ganesha (VFS FSAL) and rpcbind on 127.0.0.1 for the nfs driver's
 * tests and benchmarks. NFSv3 needs the portmapper, so rpcbind is started first
 * unless one already answers on port 111 (then it is left alone). Ganesha runs in
 * the foreground as our child with its own config, log and pid file under a
 * temporary directory, and the export is a fresh temporary directory, so a test
 * can compare what went over the wire with the files on disk. `stop()` ends only
 * what this helper started and waits until it has exited; `kill()` / `start()`
 * restart ganesha in the middle of a test (fault injection).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logFileTail } from './log-tail.js';
import { exited, peerAnswers, sleep } from './peer-probes.js';

/** Fixed loopback ports the test server listens on. */
export const GANESHA_NFS_PORT = 2049;
/** MOUNT protocol port. */
export const GANESHA_MNT_PORT = 20048;
const RPCBIND_PORT = 111;
const GANESHA_BIN = '/usr/bin/ganesha.nfsd';
const RPCBIND_BIN = '/usr/sbin/rpcbind';
const PLUGINS_DIR = '/usr/lib/x86_64-linux-gnu/ganesha';

/** A running ganesha with its export directory. */
export interface GaneshaPeer {
  /** The exported directory on the local disk (also its NFS path: Path = Pseudo). */
  readonly exportDir: string;
  /** nfs://127.0.0.1<exportDir>/<name><query> */
  url(name: string, query?: string): string;
  /** Start ganesha again after `kill()` and wait until it serves. */
  start(): Promise<void>;
  /** Kill ganesha (SIGKILL by default: a crash) and wait until it is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stop ganesha and, if we started it, rpcbind; remove the temporary files. */
  stop(): Promise<void>;
  /** The tail of ganesha's log, for failure messages. */
  logTail(lines?: number): string;
}


async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child && child.exitCode !== null) throw new Error(`${what}: the process exited with code ${child.exitCode}`);
    if (await cond()) return;
    await sleep(50);
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms`);
}

function config(exportDir: string): string {
  return `NFS_CORE_PARAM {
  Bind_Addr = 127.0.0.1;
  NFS_Port = ${GANESHA_NFS_PORT};
  MNT_Port = ${GANESHA_MNT_PORT};
  Protocols = 3, 4;
  Enable_NLM = false;
  Enable_RQUOTA = false;
  Enable_UDP = false;
  mount_path_pseudo = true;
  Plugins_Dir = ${PLUGINS_DIR};
}
NFSV4 { Graceless = true; }
NFS_KRB5 { Active_krb5 = false; }
EXPORT {
  Export_Id = 1;
  Path = ${exportDir};
  Pseudo = ${exportDir};
  Access_Type = RW;
  Squash = No_Root_Squash;
  Sectype = sys;
  Transports = TCP;
  Protocols = 3, 4;
  FSAL { Name = VFS; }
}
`;
}

/**
 * Start rpcbind (if none runs) and ganesha exporting a fresh temporary
 * directory; fails saying why when the binaries are missing or a port is taken.
 */
export async function startGanesha(): Promise<GaneshaPeer> {
  for (const bin of [GANESHA_BIN, RPCBIND_BIN]) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: install the Debian packages of packages/drivers-block/setup/apt-peers.txt`);
  }
  if (await peerAnswers(GANESHA_NFS_PORT)) {
    throw new Error(`127.0.0.1:${GANESHA_NFS_PORT} is already taken: another NFS server runs here; the nfs tests need that port`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'qco-ganesha-'));
  const exportDir = join(dir, 'export');
  mkdirSync(exportDir);
  // ganesha insists on these even when NFSv4 recovery is not used.
  mkdirSync('/var/run/ganesha', { recursive: true });
  mkdirSync('/var/lib/nfs/ganesha', { recursive: true });
  const confPath = join(dir, 'ganesha.conf');
  const logPath = join(dir, 'ganesha.log');
  writeFileSync(confPath, config(exportDir));

  let rpcbind: ChildProcess | null = null;
  if (!(await peerAnswers(RPCBIND_PORT))) {
    rpcbind = spawn(RPCBIND_BIN, ['-f', '-w'], { stdio: 'ignore' });
    await waitFor('rpcbind', () => peerAnswers(RPCBIND_PORT), 10_000, rpcbind);
  }

  let ganesha: ChildProcess | null = null;
  // If the test process dies without stop(), take the servers with it.
  const onExit = (): void => {
    ganesha?.kill('SIGKILL');
    rpcbind?.kill('SIGKILL');
  };
  process.once('exit', onExit);
  const logTail = (lines = 20): string => logFileTail(logPath, lines);
  const start = async (): Promise<void> => {
    if (ganesha !== null) return;
    const child = spawn(GANESHA_BIN, ['-F', '-f', confPath, '-L', logPath, '-p', join(dir, 'ganesha.pid')], { stdio: 'ignore' });
    ganesha = child;
    try {
      await waitFor('ganesha', async () => (await peerAnswers(GANESHA_NFS_PORT)) && (await peerAnswers(GANESHA_MNT_PORT)), 20_000, child);
    } catch (err) {
      child.kill('SIGKILL');
      await exited(child);
      ganesha = null;
      throw new Error(`${(err as Error).message}\n${logTail()}`);
    }
  };
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const child = ganesha;
    if (child === null) return;
    ganesha = null;
    child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited(child);
    clearTimeout(t);
  };
  const stop = async (): Promise<void> => {
    process.off('exit', onExit);
    await kill('SIGTERM');
    if (rpcbind !== null) {
      const r = rpcbind;
      rpcbind = null;
      r.kill('SIGTERM');
      await exited(r);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    exportDir,
    url: (name, query = '') => `nfs://127.0.0.1${exportDir}/${name}${query}`,
    start,
    kill,
    stop,
    logTail,
  };
}
