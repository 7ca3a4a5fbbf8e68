/**
 * qco-io: the subset of qemu-io that scripts use, with qemu-io's options and
 * exit status (1 when any command failed). This file is the program (qemu-io.c:
 * options, opening the image, the command loop); the commands themselves are
 * in qco-io-cmds.ts.
 */
import type { BlockOpenOptions } from '../block/block-open.js';
import { parseAioMode, parseCacheMode } from '../block/options.js';
import { getopt } from './common/getopt.js';
import { processStreams, type CliStreams } from './common/streams.js';
import { Session, commands, drain, runCommand } from './qco-io-cmds.js';
import { blockStatusCommands } from './qco-io-block-cmds.js';

for (const c of blockStatusCommands) if (!commands.includes(c)) commands.push(c);

const USAGE = `Usage: qco-io [OPTIONS]... [-c STRING]... [file]
QEMU Disk exerciser (qco)

  --object OBJECTDEF   (not supported)
  --image-opts         treat file as option string
  -c, --cmd STRING     execute command with its arguments
                       from the given string
  -f, --format FMT     specifies the block driver to use
  -r, --read-only      export read-only
  -n, --nocache        disable host cache, short for -t none
  -t, --cache=MODE     use the given cache mode for the image
  -i, --aio=MODE       use AIO mode (threads, native or io_uring)
  -k, --native-aio     use kernel AIO implementation
                       (Linux only, prefer use of -i)
  -U, --force-share    force shared permissions
  -h, --help           display this help and exit
  -V, --version        output version information and exit
`;

/** Run qco-io with `argv` (without node and script); resolves to the exit status. */
export async function qcoIoMain(argv: readonly string[], io: CliStreams = processStreams): Promise<number> {
  let parsed;
  try {
    parsed = getopt(
      argv,
      'c:f:rnt:i:kUhVd:m:T:C',
      ['image-opts', 'cmd=', 'format=', 'read-only', 'nocache', 'cache=', 'aio=', 'native-aio', 'force-share', 'help', 'version', 'discard=', 'misalign', 'trace=', 'copy-on-read', 'object='],
      true,
    );
  } catch (err) {
    // qemu-io prints getopt's complaint, then its usage text.
    io.err(`qco-io: ${(err as Error).message}\n`);
    io.out(USAGE);
    return 1;
  }
  const { list, operands } = parsed;
  const cmds: string[] = [];
  let how: BlockOpenOptions = {};
  let imageOpts = false;
  try {
    for (const [k, v] of list) {
      switch (k) {
        case 'c':
        case 'cmd':
          cmds.push(v);
          break;
        case 'f':
        case 'format':
          how = { ...how, format: v };
          break;
        case 'r':
        case 'read-only':
          how = { ...how, readOnly: true };
          break;
        case 'n':
        case 'nocache':
          how = { ...how, cacheDirect: true };
          break;
        case 't':
        case 'cache':
          how = { ...how, ...parseCacheMode(v) };
          break;
        case 'i':
        case 'aio':
          how = { ...how, aio: parseAioMode(v) };
          break;
        case 'k':
        case 'native-aio':
          how = { ...how, aio: 'native' };
          break;
        case 'image-opts':
          imageOpts = true;
          break;
        case 'U':
        case 'force-share':
          how = { ...how, forceShare: true };
          break;
        case 'h':
        case 'help':
          io.out(USAGE);
          return 0;
        case 'V':
        case 'version':
          io.out('qco-io version 0.1.0\n');
          return 0;
        default:
          break; // -d, -m, -T, -C: accepted, nothing to do here
      }
    }
  } catch (err) {
    io.err(`qco-io: ${(err as Error).message}\n`);
    return 1;
  }
  if (operands.length > 1) {
    io.out(USAGE); // qemu-io prints its usage, nothing on stderr
    return 1;
  }
  if (imageOpts && how.format !== undefined) {
    io.err('qco-io: --image-opts and -f are mutually exclusive\n');
    return 1;
  }
  const s = new Session(io, how);
  if (operands.length === 1) {
    try {
      await s.open(operands[0], how, imageOpts);
    } catch {
      return 1;
    }
  }
  let lastError = false;
  const lines = cmds.length > 0 ? cmds : await readStdinLines();
  for (const line of lines) {
    if (!(await runCommand(s, line))) lastError = true;
    if (s.quit) break;
  }
  await drain(s);
  if (s.blk) await s.blk.close().catch(() => undefined);
  return lastError ? 1 : 0;
}

async function readStdinLines(): Promise<string[]> {
  if (process.stdin.isTTY) return [];
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split('\n');
}
