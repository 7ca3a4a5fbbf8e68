/**
 * qco-nbd: qemu-nbd's server mode on our block layer and NBD server. Opens
 * the image (-f, --image-opts, -r, --cache, --aio), exports it under -x with
 * -D as description on -b/-p or -k, with TLS from --object tls-creds-x509 /
 * --tls-creds and an allow list from --object authz-simple / --tls-authz.
 * As qemu-nbd: at most -e clients at once (default 1), and without -t the
 * server exits when its last client has gone. --fork returns once the server
 * listens, leaving it running in the background.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { BlockBackend } from '../block/block-backend.js';
import { registerBuiltinBlockDrivers } from '../drivers/builtin.js';
import type { BlockAioMode } from '../block/block-driver.js';
import { parseCacheMode } from '../block/block-open.js';
import { getopt } from './common/getopt.js';
import { processStreams, type CliStreams } from './common/streams.js';
import { startNbdServer, type NbdListenAddress } from '../exports/nbd/nbd-server.js';
import { NBD_DEFAULT_PORT } from '../nbd/constants.js';
import { createObjectFromSpec, findAuthz, findTlsCreds } from '../nbd/tls-creds.js';

const USAGE = `Usage: qco-nbd [OPTIONS] FILE
Export a disk image over NBD (qemu-nbd's server mode).

  -h, --help                display this help and exit
  -V, --version             output version information and exit

Connection properties:
  -p, --port=PORT           port to listen on (default '${NBD_DEFAULT_PORT}')
  -b, --bind=IFACE          interface to bind to (default '0.0.0.0')
  -k, --socket=PATH         path to the unix socket
  -e, --shared=NUM          device can be shared by NUM clients (default '1')
  -t, --persistent          don't exit on the last connection
  -x, --export-name=NAME    expose export by name (default is empty string)
  -D, --description=TEXT    export a human-readable description
  -A, --allocation-depth    expose the allocation depth (on by default here)
      --tls-creds=ID        use id of an earlier --object to provide TLS
      --tls-authz=ID        id of an authz object to authorize clients
      --fork                fork off the server process and exit the parent
                            once the server is running
      --pid-file=PATH       store the server's process ID in the given file

Block device options:
  -f, --format=FORMAT       set image format (raw, qcow2, ...)
  -r, --read-only           export read-only
  -n, --nocache             disable host cache
      --cache=MODE          set cache mode (none, writeback, ...)
      --aio=MODE            set AIO mode (native, io_uring or threads)
      --image-opts          treat FILE as a full set of image options
      --object type,id=ID,...  define an object such as 'tls-creds-x509'
`;

class NbdToolError extends Error {}

const LONG = [
  'help',
  'version',
  'port=',
  'bind=',
  'socket=',
  'shared=',
  'persistent',
  'export-name=',
  'description=',
  'allocation-depth',
  'tls-creds=',
  'tls-authz=',
  'fork',
  'pid-file=',
  'format=',
  'read-only',
  'nocache',
  'cache=',
  'aio=',
  'image-opts',
  'object=',
];
const SHORT_TO_LONG: Readonly<Record<string, string>> = {
  h: 'help',
  V: 'version',
  p: 'port',
  b: 'bind',
  k: 'socket',
  e: 'shared',
  t: 'persistent',
  x: 'export-name',
  D: 'description',
  A: 'allocation-depth',
  f: 'format',
  r: 'read-only',
  n: 'nocache',
};

/** Run qco-nbd; resolves with the exit status once the server has stopped. */
export async function qcoNbdMain(argv: readonly string[], io: CliStreams = processStreams): Promise<number> {
  registerBuiltinBlockDrivers();
  try {
    const { list, operands } = getopt(argv, 'hVp:b:k:e:tx:D:Af:rn', LONG, true);
    const o = new Map<string, string>();
    const objects: string[] = [];
    for (const [k, v] of list) {
      const name = SHORT_TO_LONG[k] ?? k;
      if (name === 'object') objects.push(v);
      else o.set(name, v);
    }
    if (o.has('help')) {
      io.out(USAGE);
      return 0;
    }
    if (o.has('version')) {
      io.out('qco-nbd 0.1.0\n');
      return 0;
    }
    if (operands.length !== 1) throw new NbdToolError(`Please specify exactly one file name\nTry 'qco-nbd --help' for more information.`);
    if (o.has('fork') && process.env['QCO_NBD_FORKED'] === undefined) return await forkServer(argv, io);
    for (const spec of objects) createObjectFromSpec(spec);

    const shared = o.has('shared') ? Number(o.get('shared')) : 1;
    if (!Number.isInteger(shared) || shared < 0) throw new NbdToolError(`Invalid shared device number '${o.get('shared')}'`);
    const port = o.has('port') ? Number(o.get('port')) : NBD_DEFAULT_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new NbdToolError(`Invalid port number '${o.get('port')}'`);
    if (o.has('socket') && (o.has('port') || o.has('bind'))) throw new NbdToolError('--socket, --bind and --port are mutually exclusive');
    const cache = o.has('cache') ? parseCacheMode(o.get('cache') as string) : o.has('nocache') ? parseCacheMode('none') : {};
    const aio = o.get('aio') as BlockAioMode | undefined;
    if (aio !== undefined && !['threads', 'native', 'io_uring'].includes(aio)) throw new NbdToolError(`invalid aio mode '${aio}'`);
    const readOnly = o.has('read-only');

    const tlsId = o.get('tls-creds');
    const authzId = o.get('tls-authz');
    if (authzId !== undefined && tlsId === undefined) throw new NbdToolError('--tls-authz is not permitted without --tls-creds');
    const tls = tlsId !== undefined ? { creds: findTlsCreds(tlsId, 'server'), ...(authzId !== undefined ? { authz: [findAuthz(authzId).identity] } : {}) } : undefined;

    const format = o.get('format');
    const blk = await BlockBackend.open(operands[0], {
      ...(format !== undefined ? { format } : {}),
      ...(o.has('image-opts') ? { imageOpts: true } : {}),
      readOnly,
      ...cache,
      ...(aio !== undefined ? { aio } : {}),
    });
    const listen: NbdListenAddress = o.has('socket') ? { path: o.get('socket') as string } : { host: o.get('bind') ?? '0.0.0.0', port };
    const persistent = o.has('persistent');
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const server = await startNbdServer({
      listen,
      exports: [{ name: o.get('export-name') ?? '', blk, readOnly, ...(o.has('description') ? { description: o.get('description') as string } : {}) }],
      ...(tls !== undefined ? { tls } : {}),
      ...(shared > 0 ? { maxClients: shared } : {}),
      log: (m) => io.err(`qco-nbd: ${m}\n`),
      onIdle: () => {
        if (!persistent) stop();
      },
    });
    if (o.has('pid-file')) writeFileSync(o.get('pid-file') as string, `${process.pid}\n`);
    // Tell a --fork parent we are up (fd 3 is its pipe).
    if (process.env['QCO_NBD_FORKED'] !== undefined) {
      try {
        writeFileSync(3, 'ready\n');
      } catch {
        // The parent is gone: nothing to tell.
      }
    }
    const onSignal = (): void => stop();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    await stopped;
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await server.close();
    await blk.close();
    return 0;
  } catch (err) {
    io.err(`qco-nbd: ${(err as Error).message}\n`);
    return 1;
  }
}

/** --fork: start ourselves in the background and return once it listens. */
function forkServer(argv: readonly string[], io: CliStreams): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], {
      detached: true,
      stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
      env: { ...process.env, QCO_NBD_FORKED: '1' },
    });
    const pipe = child.stdio[3] as NodeJS.ReadableStream;
    let ready = false;
    pipe.on('data', () => {
      ready = true;
      child.unref();
      (pipe as unknown as { destroy(): void }).destroy();
      resolve(0);
    });
    child.once('exit', (code) => {
      if (!ready) {
        io.err(`qco-nbd: the server exited with status ${code ?? 'unknown'} before it listened\n`);
        resolve(1);
      }
    });
  });
}
