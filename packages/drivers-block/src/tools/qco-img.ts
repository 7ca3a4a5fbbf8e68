/**
 * qco-img: qemu-img's info, create, check, map, compare, commit, rebase,
 * resize, convert, snapshot and bench over our drivers and formats, with
 * qemu-img's options, output lines and error wording, each subcommand in
 * its own file under img/. This file only dispatches: a subcommand's module
 * and the drivers are loaded when that subcommand runs, so `--version`,
 * `--help` and a usage error start as fast as Node itself.
 */
import { processStreams, type CliStreams } from './common/streams.js';
import { ImgError, usageError } from './img/img-error.js';

type Subcommand = (args: readonly string[], io: CliStreams) => Promise<number> | Promise<void>;

/** Each subcommand's module, loaded on first use; a void result exits 0. */
const SUBCOMMANDS: Readonly<Partial<Record<string, () => Promise<Subcommand>>>> = {
  info: async () => (await import('./img/img-info.js')).imgInfo,
  map: async () => (await import('./img/img-map.js')).imgMap,
  create: async () => (await import('./img/img-create.js')).imgCreate,
  bench: async () => (await import('./img/img-bench.js')).imgBench,
  convert: async () => (await import('./img/img-convert.js')).imgConvert,
  check: async () => (await import('./img/img-check.js')).imgCheck,
  compare: async () => (await import('./img/img-compare.js')).imgCompare,
  commit: async () => (await import('./img/img-backing.js')).imgCommit,
  rebase: async () => (await import('./img/img-backing.js')).imgRebase,
  resize: async () => (await import('./img/img-resize.js')).imgResize,
  snapshot: async () => (await import('./img/img-info.js')).imgSnapshot,
};

const USAGE = `qco-img version 0.1.0
usage: qco-img [standard options] command [command options]
QEMU disk image utility (qco)

Command syntax:
  (every command also takes --object tls-creds-x509,id=ID,dir=DIR,… / authz-simple,id=ID,identity=DN)
  bench [-c count] [-d depth] [-f fmt] [--flush-interval=flush_interval] [-i aio] [-n] [--no-drain] [-o offset] [--pattern=pattern] [-q] [-s buffer_size] [-S step_size] [-t cache] [-U] [-w] [--image-opts] filename
  convert [-m num_coroutines] [-n] [-p] [-q] [-S sparse_size] [-f fmt] [-O output_fmt] [-t cache] [-T src_cache] [--image-opts] [--target-image-opts] filename output_filename
  check [-q] [-f fmt] [--output=ofmt] [-r [leaks | all]] [--image-opts] filename
  commit [-q] [-f fmt] [-d] [-p] filename
  compare [-f fmt] [-F fmt] [-p] [-q] [-s] filename1 filename2
  create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u] [-o options] filename [size]
  info [-f fmt] [--output=ofmt] [--backing-chain] [--image-opts] filename
  map [-f fmt] [--output=ofmt] [--start-offset=offset] [--max-length=len] [--image-opts] filename
  rebase [-q] [-f fmt] [-p] [-u] -b backing_file [-F backing_fmt] filename
  resize [-f fmt] [-q] [--shrink] filename [+ | -]size
  snapshot [-l | -a snapshot | -c snapshot | -d snapshot] [-f fmt] filename
`;

/** Run qco-img with `argv` (without node and script); resolves to the exit status. */
export async function qcoImgMain(argv: readonly string[], io: CliStreams = processStreams): Promise<number> {
  const cmd = argv.at(0);
  const args = argv.slice(1);
  try {
    switch (cmd) {
      case undefined:
        throw new ImgError("Not enough arguments\nTry 'qco-img --help' for more information");
      case '-h':
      case '--help':
        io.out(USAGE);
        return 0;
      case '-V':
      case '--version':
        io.out('qco-img version 0.1.0\n');
        return 0;
    }
    const load = Object.hasOwn(SUBCOMMANDS, cmd) ? SUBCOMMANDS[cmd] : undefined;
    if (load === undefined) throw usageError(`Command not found: ${cmd}`);
    const [run, { takeObjects }] = await Promise.all([load(), import('./img/img-common.js'), import('../drivers/builtin.js').then((b) => b.registerBuiltinBlockDrivers())]);
    return (await run(takeObjects(args), io)) ?? 0;
  } catch (err) {
    io.err(`qco-img: ${(err as Error).message}\n`);
    return err instanceof ImgError ? err.status : 1;
  }
}
