/**
 * qco-storage-daemon: qemu-storage-daemon's command line over qco's block
 * layer. `--blockdev` opens graph nodes (named by node-name), `--export
 * type=vhost-user-blk,…` serves one on a unix socket, `--nbd-server` starts
 * the NBD server (exports/nbd) that `--export type=nbd,…` exports join,
 * `--object` creates tls-creds-x509 / authz-simple objects (iothread needs no
 * work here), `--pidfile` writes our pid,
 * `--daemonize` forks into the background once every export is listening.
 * Errors use qemu-storage-daemon's wording and exit 1.
 */
import { spawn } from 'node:child_process';
import { writeFileSync, unlinkSync } from 'node:fs';
import type { BlockDriverState, BlockOptionsDict } from '../block/block-driver.js';
import { BlockBackend } from '../block/block-backend.js';
import { parseBool, parseQemuOptsString } from '../block/options.js';
import { registerBuiltinBlockDrivers } from '../drivers/builtin.js';
import { startVhostUserBlkExport, type VhostUserBlkExport } from '../exports/vhost-user-blk/vhost-user-blk-export.js';
import { startNbdServer, type NbdListenAddress, type NbdServer } from '../exports/nbd/nbd-server.js';
import type { NbdExportOptions } from '../exports/nbd/nbd-export.js';
import { createObjectFromSpec, findAuthz, findTlsCreds } from '../nbd/tls-creds.js';

const PROG = 'qco-storage-daemon';
const VERSION = '0.1.0';

/** A command-line or start-up error, printed as `qco-storage-daemon: <message>`. */
export class StorageDaemonError extends Error {
  override name = 'StorageDaemonError';
}

const HELP = `Usage: ${PROG} [options]
QEMU storage daemon

  -h, --help             display this help and exit
  -V, --version          output version information and exit
  --pidfile <path>       write process ID to a file after startup
  --daemonize            daemonize the process, and have the parent exit
                         once startup is complete

  --blockdev [driver=]<driver>[,node-name=<N>][,discard=ignore|unmap]
             [,cache.direct=on|off][,cache.no-flush=on|off]
             [,read-only=on|off][,auto-read-only=on|off]
             [,force-share=on|off][,detect-zeroes=on|off|unmap]
             [,<driver options>]
                         configure a block backend

  --export [type=]nbd,id=<id>,node-name=<node-name>[,name=<export-name>]
           [,writable=on|off][,bitmap=<name>]
                         export the specified block node over NBD
                         (requires --nbd-server)

  --export [type=]vhost-user-blk,id=<id>,node-name=<node-name>,
           addr.type=unix,addr.path=<socket-path>[,writable=on|off]
           [,logical-block-size=<block-size>][,num-queues=<num-queues>]
                         export the specified block node as a
                         vhost-user-blk device over UNIX domain socket

  --nbd-server addr.type=inet,addr.host=<host>,addr.port=<port>
               [,tls-creds=<id>][,tls-authz=<id>][,max-connections=<n>]
  --nbd-server addr.type=unix,addr.path=<path>
               [,tls-creds=<id>][,tls-authz=<id>][,max-connections=<n>]
                         start an NBD server for exporting block nodes

  --object help          list object types that can be added
  --object <type>,help   list properties for the given object type
  --object <type>[,<property>=<value>...]
                         create a new object of type <type>, setting
                         properties in the order they are specified.
`;

/** What the command line asked for. */
interface DaemonConfig {
  readonly blockdevs: BlockOptionsDict[];
  readonly exports: BlockOptionsDict[];
  readonly objects: string[];
  readonly nbdServer?: BlockOptionsDict;
  readonly pidfile?: string;
  readonly daemonize: boolean;
}

function parseArgs(argv: readonly string[]): DaemonConfig | 'help' | 'version' {
  const blockdevs: BlockOptionsDict[] = [];
  const exports: BlockOptionsDict[] = [];
  const objects: string[] = [];
  let nbdServer: BlockOptionsDict | undefined;
  let pidfile: string | undefined;
  let daemonize = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      if (eq > 0) return a.slice(eq + 1);
      const v = argv.at(++i);
      if (v === undefined) throw new StorageDaemonError(`option '${name}' requires an argument`);
      return v;
    };
    switch (name) {
      case '-h':
      case '--help':
        return 'help';
      case '-V':
      case '--version':
        return 'version';
      case '--blockdev':
        blockdevs.push(parseDict(value(), 'driver'));
        break;
      case '--export':
        exports.push(parseDict(value(), 'type'));
        break;
      case '--object':
        objects.push(value());
        break;
      case '--nbd-server':
        nbdServer = parseDict(value(), 'addr.type');
        break;
      case '--pidfile':
        pidfile = value();
        break;
      case '--daemonize':
        daemonize = true;
        break;
      default:
        if (a.startsWith('-')) throw new StorageDaemonError(`unrecognized option '${a}'`);
        throw new StorageDaemonError(`Unexpected argument: ${a}`);
    }
  }
  return { blockdevs, exports, objects, daemonize, ...(pidfile !== undefined ? { pidfile } : {}), ...(nbdServer !== undefined ? { nbdServer } : {}) };
}

/** key=value,… or a JSON object (QEMU accepts both for --blockdev / --export). */
function parseDict(text: string, impliedKey: string): BlockOptionsDict {
  if (text.trimStart().startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (err) {
      throw new StorageDaemonError(`JSON parse error, ${(err as Error).message}`);
    }
    const out: BlockOptionsDict = {};
    const walk = (o: Record<string, unknown>, prefix: string): void => {
      for (const [k, v] of Object.entries(o)) {
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, `${prefix}${k}.`);
        else out[`${prefix}${k}`] = typeof v === 'number' || typeof v === 'boolean' ? v : String(v);
      }
    };
    walk(obj as Record<string, unknown>, '');
    return out;
  }
  return parseQemuOptsString(text, impliedKey);
}

function str(d: BlockOptionsDict, key: string): string | undefined {
  const v = d[key];
  return v === undefined ? undefined : String(v);
}

function bool(d: BlockOptionsDict, key: string, fallback: boolean): boolean {
  const v = d[key];
  if (v === undefined) return fallback;
  const b = parseBool(v);
  if (b === undefined) throw new StorageDaemonError(`Parameter '${key}' expects 'on' or 'off'`);
  return b;
}

function int(d: BlockOptionsDict, key: string, fallback: number): number {
  const v = d[key];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new StorageDaemonError(`Parameter '${key}' expects a non-negative number below 2^64`);
  return n;
}

/** The running daemon (library face for tests). */
export interface StorageDaemon {
  readonly nodes: ReadonlyMap<string, BlockDriverState>;
  readonly exports: ReadonlyMap<string, VhostUserBlkExport>;
  /** The NBD server of --nbd-server, if any. */
  readonly nbdServer: NbdServer | null;
  /** Close exports, then nodes. */
  close(): Promise<void>;
}

/** Open the nodes and start the exports of a parsed command line. */
async function startDaemon(cfg: DaemonConfig): Promise<StorageDaemon> {
  registerBuiltinBlockDrivers();
  const nodes = new Map<string, BlockDriverState>();
  const backends: BlockBackend[] = [];
  const exps = new Map<string, VhostUserBlkExport>();
  const nbdExports: { id: string; opts: NbdExportOptions }[] = [];
  let nbd: NbdServer | null = null;
  // node-name → the node that took it as a child: a node has one parent, which closes it.
  const parents = new Map<string, { parent: string; role: string }>();
  const claimChild = (ref: string, parent: string, role = 'file'): BlockDriverState => {
    const taken = parents.get(ref);
    if (taken !== undefined) {
      // QEMU would compute the permission conflict; one parent per node is what we support.
      throw new StorageDaemonError(`Node '${ref}' is already the '${taken.role}' child of node '${taken.parent}'`);
    }
    parents.set(ref, { parent, role });
    return nodes.get(ref) as BlockDriverState;
  };
  for (const spec of cfg.objects) {
    const o = parseDict(spec, 'qom-type');
    if (str(o, 'qom-type') === 'iothread') {
      // One event loop here: an iothread object is accepted and has nothing to run.
      if (str(o, 'id') === undefined) throw new StorageDaemonError("Parameter 'id' is missing");
      continue;
    }
    createObjectFromSpec(spec);
  }
  for (const spec of cfg.blockdevs) {
    const nodeName = str(spec, 'node-name');
    if (nodeName === undefined) throw new StorageDaemonError('A top-level node must have a node-name');
    if (nodes.has(nodeName)) throw new StorageDaemonError(`Duplicate nodes with node-name='${nodeName}'`);
    const opts = { ...spec };
    const fileRef = str(opts, 'file');
    let bs: BlockDriverState;
    if (str(opts, 'driver') === 'raw' && fileRef !== undefined && nodes.has(fileRef) && Object.keys(opts).every((k) => ['driver', 'file', 'read-only', 'node-name'].includes(k))) {
      // raw without offset/size is the identity over its file node: no layer to pass through.
      bs = claimChild(fileRef, nodeName);
    } else {
      // A string file= / backing= names a node opened by an earlier --blockdev, as blockdev-add reads it.
      for (const role of ['file', 'backing']) {
        const ref = str(opts, role);
        if (ref !== undefined && nodes.has(ref)) claimChild(ref, nodeName, role);
      }
      const aio = str(opts, 'aio');
      bs = (await BlockBackend.open(opts, { ...(aio === 'native' || aio === 'io_uring' ? { aio } : {}), lookupNode: (n) => nodes.get(n) })).bs;
    }
    nodes.set(nodeName, bs);
  }
  for (const e of cfg.exports) {
    const type = str(e, 'type');
    const id = str(e, 'id');
    if (id === undefined) throw new StorageDaemonError("Parameter 'id' is missing");
    if (type !== 'vhost-user-blk' && type !== 'nbd') throw new StorageDaemonError(`Parameter 'type' does not accept value '${type ?? ''}'`);
    if (exps.has(id) || nbdExports.some((x) => x.id === id)) throw new StorageDaemonError(`Block export id '${id}' is already in use`);
    const nodeName = str(e, 'node-name');
    if (nodeName === undefined) throw new StorageDaemonError("Parameter 'node-name' is missing");
    const bs = nodes.get(nodeName);
    if (bs === undefined) throw new StorageDaemonError(`Cannot find device='' nor node-name='${nodeName}'`);
    if (type === 'nbd') {
      if (cfg.nbdServer === undefined) throw new StorageDaemonError('NBD server not running');
      const blk = new BlockBackend(bs);
      backends.push(blk);
      const writable = bool(e, 'writable', false);
      if (writable && bs.flags.readOnly) throw new StorageDaemonError('Cannot export a read-only node as writable');
      nbdExports.push({
        id,
        opts: {
          name: str(e, 'name') ?? nodeName,
          blk,
          readOnly: !writable,
          ...(str(e, 'description') !== undefined ? { description: str(e, 'description') as string } : {}),
          allocationDepth: bool(e, 'allocation-depth', false),
        },
      });
      continue;
    }
    if (str(e, 'addr.type') !== 'unix') throw new StorageDaemonError("vhost-user-blk export: only addr.type=unix is supported");
    const path = str(e, 'addr.path');
    if (path === undefined) throw new StorageDaemonError("Parameter 'addr.path' is missing");
    const blk = new BlockBackend(bs);
    backends.push(blk);
    exps.set(
      id,
      await startVhostUserBlkExport({
        node: blk,
        socket: path,
        writable: bool(e, 'writable', false),
        numQueues: int(e, 'num-queues', 1),
        logicalBlockSize: int(e, 'logical-block-size', 512),
        writethrough: bool(e, 'writethrough', false),
        serial: id,
      }),
    );
  }
  // The NBD server needs an export to serve; without a type=nbd export there is nothing to listen for.
  if (cfg.nbdServer !== undefined && nbdExports.length > 0) nbd = await startNbd(cfg.nbdServer, nbdExports.map((x) => x.opts));
  return {
    nodes,
    exports: exps,
    nbdServer: nbd,
    async close() {
      for (const x of exps.values()) await x.close();
      if (nbd !== null) await nbd.close();
      // Only nodes nobody holds as a child: a parent closes its children.
      const roots = new Set([...nodes].filter(([name]) => !parents.has(name)).map(([, b]) => b));
      for (const b of roots) await new BlockBackend(b).close();
    },
  };
}

/** --nbd-server: one NBD server (the NBD export's own, exports/nbd) carrying every type=nbd export. */
async function startNbd(d: BlockOptionsDict, exports: NbdExportOptions[]): Promise<NbdServer> {
  const type = str(d, 'addr.type');
  let listen: NbdListenAddress;
  if (type === 'inet') {
    const host = str(d, 'addr.host');
    const port = str(d, 'addr.port');
    if (host === undefined) throw new StorageDaemonError("Parameter 'addr.host' is missing");
    if (port === undefined) throw new StorageDaemonError("Parameter 'addr.port' is missing");
    listen = { host, port: int(d, 'addr.port', 0) };
  } else if (type === 'unix') {
    const path = str(d, 'addr.path');
    if (path === undefined) throw new StorageDaemonError("Parameter 'addr.path' is missing");
    listen = { path };
  } else {
    throw new StorageDaemonError(type === undefined ? "Parameter 'addr.type' is missing" : `Parameter 'addr.type' does not accept value '${type}'`);
  }
  const tlsId = str(d, 'tls-creds');
  const authzId = str(d, 'tls-authz');
  if (authzId !== undefined && tlsId === undefined) throw new StorageDaemonError("'tls-authz' is not permitted without 'tls-creds'");
  const maxConnections = int(d, 'max-connections', 0);
  try {
    return await startNbdServer({
      listen,
      exports,
      ...(tlsId !== undefined ? { tls: { creds: findTlsCreds(tlsId, 'server'), ...(authzId !== undefined ? { authz: [findAuthz(authzId).identity] } : {}) } } : {}),
      ...(maxConnections > 0 ? { maxClients: maxConnections } : {}),
      log: (m) => process.stderr.write(`${PROG}: ${m}\n`),
    });
  } catch (err) {
    const where = 'path' in listen ? listen.path : `${listen.host ?? ''}:${listen.port ?? ''}`;
    throw new StorageDaemonError(`Failed to bind socket to ${where}: ${(err as Error).message}`);
  }
}

/** Start a daemon from command-line arguments (without --daemonize / --pidfile handling), for tests and embedding. */
export async function startStorageDaemon(argv: readonly string[]): Promise<StorageDaemon> {
  const cfg = parseArgs(argv);
  if (cfg === 'help' || cfg === 'version') throw new StorageDaemonError('--help and --version do not start a daemon');
  return startDaemon(cfg);
}

/** The command: returns the exit code once the daemon has been stopped by a signal. */
export async function qcoStorageDaemonMain(argv: readonly string[]): Promise<number> {
  let cfg: DaemonConfig | 'help' | 'version';
  try {
    cfg = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`${PROG}: ${(err as Error).message}\n`);
    return 1;
  }
  if (cfg === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (cfg === 'version') {
    process.stdout.write(`${PROG} version ${VERSION}\n`);
    return 0;
  }
  if (cfg.daemonize && process.env['QCO_SD_DAEMONIZED'] !== '1') return daemonize(argv);
  let daemon: StorageDaemon;
  try {
    daemon = await startDaemon(cfg);
  } catch (err) {
    process.stderr.write(`${PROG}: ${(err as Error).message}\n`);
    return 1;
  }
  if (cfg.pidfile !== undefined) {
    try {
      writeFileSync(cfg.pidfile, `${process.pid}\n`);
    } catch (err) {
      process.stderr.write(`${PROG}: Cannot open pid file: ${(err as Error).message}\n`);
      await daemon.close();
      return 1;
    }
  }
  // The daemonized child tells its parent that start-up is complete.
  if (process.send) process.send('ready');
  process.channel?.unref();
  return new Promise((resolve) => {
    const stop = (): void => {
      void daemon.close().finally(() => {
        if (cfg.pidfile !== undefined) {
          try {
            unlinkSync(cfg.pidfile);
          } catch {
            // already gone
          }
        }
        resolve(0);
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    process.once('SIGHUP', stop);
  });
}

/** --daemonize: start ourselves detached and exit once the child reports start-up done (or failed). */
function daemonize(argv: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, QCO_SD_DAEMONIZED: '1' },
    });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.once('message', () => {
      child.stderr?.destroy();
      child.disconnect();
      child.unref();
      resolve(0);
    });
    child.once('exit', (code) => {
      process.stderr.write(err);
      resolve(code === 0 ? 1 : (code ?? 1));
    });
  });
}
