/**
 * Bad input, as a table: every case runs through qemu-io / qemu-img (Debian
 * qemu-utils, setup/apt-peers.txt) and through our built qco-io / qco-img, each
 * in a process of its own with a time limit, and the two are compared: exit
 * status, stderr and stdout, with qemu's tool name swapped for ours (timing
 * lines dropped). Each case ends as one of: the same as qemu; a listed
 * deviation (where QEMU itself crashes or hangs, or where we refuse what would
 * lose data) that is still a clear error; or a failure of this test. A crash
 * (a signal, a JavaScript stack trace, an internal error text) or a hang is
 * always a failure. The counts are printed at the end.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
let dir = '';
let imagePath = '';

type Tool = 'io' | 'img';
interface Case {
  readonly tool: Tool;
  /** Arguments; $IMG is a 1 MiB raw image, $DIR a scratch directory. */
  readonly args: readonly string[];
  /** Compare only the first line of stdout (qemu-io prints its whole usage text there, which lists more options than ours). */
  readonly stdoutFirstLine?: boolean;
  /** Why qco answers differently on purpose; the answer must still be a clear error (or success). */
  readonly deviation?: string;
  /** Seconds qemu may take (cases where QEMU hangs). */
  readonly qemuTimeout?: number;
}

const io = (...args: string[]): Case => ({ tool: 'io', args });
const img = (...args: string[]): Case => ({ tool: 'img', args });
const ioUsage = (...args: string[]): Case => ({ tool: 'io', args, stdoutFirstLine: true });
const cmd = (command: string): Case => io('-f', 'raw', '-c', command, '$IMG');

const CASES: readonly Case[] = [
  // qemu-io commands
  cmd('read -P 0x22 -s 600 0 512'),
  cmd('read -P 0 -s 0 -l 600 0 512'),
  cmd('read -P 0 -s -1 0 512'),
  cmd('read -l 10 0 512'),
  cmd('read -s 10 0 512'),
  cmd('help nope'),
  cmd('read -x 0 1'),
  cmd('read 0'),
  cmd('read abc 1'),
  cmd('read 0 -1'),
  cmd('read 0 2G'),
  cmd('read 2M 512'),
  cmd('write 1M 512'),
  cmd('write -P zz 0 1'),
  cmd('write -P 256 0 1'),
  { ...cmd('write 0 1 2'), deviation: "the same usage line, without qemu-io's -s source_file, which qco-io's write does not take" },
  cmd('write -z -P 1 0 1'),
  cmd('nope'),
  cmd('aio_read'),
  cmd('readv 0'),
  cmd('truncate abc'),
  cmd('length x'),
  cmd('discard 0 abc'),
  cmd('open'),
  // qemu-io options and open errors
  ioUsage('-x', '$IMG'),
  ioUsage('-f'),
  ioUsage('--bogus', '$IMG'),
  ioUsage('--format'),
  ioUsage('-c'),
  ioUsage('-c', 'read 0 1', '$IMG', '$IMG'),
  io('-f', 'nope', '-c', 'read 0 1', '$IMG'),
  io('-c', 'read 0 1', '$DIR/none.raw'),
  io('--image-opts', '-f', 'raw', '-c', 'read 0 1', 'driver=file,filename=$IMG'),
  io('-U', '-f', 'raw', '-c', 'read 0 1', '$IMG'),
  io('-t', 'bogus', '-c', 'read 0 1', '$IMG'),
  io('-i', 'bogus', '-c', 'read 0 1', '$IMG'),
  io('-c', 'read 0 1', 'null-co://x'),
  io('-c', 'read 0 1', 'json:{"filename":"$IMG"}'),
  io('-c', 'read 0 1', 'json:{"driver":"null-co","size":null}'),
  io('-c', 'read 0 1', 'json:{"driver":"null-co","__proto__":1}'),
  io('-c', 'read 0 1', 'json:{"driver":"null-co","constructor":1}'),
  { ...io('-c', 'read 0 1', 'json:{"driver":"null-co","latency-ns":1e30}'), deviation: 'qemu-io aborts (SIGABRT after "Unexpected error in parse_option_number()"); we print the same message and exit 1' },
  { ...io('-c', 'read 0 1', 'json:{"driver":"null-co","read-zeroes":"maybe"}'), deviation: 'qemu-io aborts (SIGABRT after "Unexpected error in qapi_bool_parse()"); we print the same message and exit 1' },
  { ...io('-c', 'read 0 1', 'json:{bad'), deviation: "JSON syntax errors carry JavaScript's parser's description after QEMU's \"Could not parse the JSON options: \" (QEMU's own lexer words them differently)" },
  io('-c', 'read 0 1', 'json:[1]'),
  io('-r', '-c', 'read 0 1', 'json:{"driver":"file","filename":"$IMG","locking":"bogus"}'),
  io('-c', 'read 0 1', 'ssh://127.0.0.1:abc/x'),
  io('-c', 'read 0 1', 'ssh://127.0.0.1:99999/x'),
  io('-c', 'read 0 1', 'ssh:///x'),
  io('-c', 'read 0 1', 'ssh://127.0.0.1:1/x?host_key_check=bogus'),
  io('-c', 'read 0 1', '--image-opts', 'driver=ssh,server.host=127.0.0.1,server.port=1,path=/x,host-key-check.type=sha256,host-key-check.hash=00'),
  io('-c', 'read 0 1', '--image-opts', 'driver=ssh,server.host=127.0.0.1,server.port=1,path=/x,host-key-check.mode=hash,host-key-check.hash=00'),
  io('-c', 'read 0 1', '--image-opts', 'driver=ssh,server.host=127.0.0.1,server.port=1,path=/x,host-key-check.mode=bogus'),
  io('-c', 'read 0 1', '--image-opts', 'driver=ssh,server.host=127.0.0.1,server.port=abc,path=/x'),
  io('-c', 'read 0 1', '--image-opts', 'driver=ssh,path=/x'),
  io('-c', 'read 0 1', 'nfs://h/x/y?uid=abc'),
  io('-c', 'read 0 1', 'nfs://h/x/y?uid'),
  io('-c', 'read 0 1', 'nfs://h/x/y?bogus=1'),
  io('-c', 'read 0 1', 'nfs://h/x/y?constructor=1'),
  io('-c', 'read 0 1', 'nfs://h/x/y?uid=99999999999999999999'),
  io('-c', 'read 0 1', 'nfs://h:abc/x/y'),
  io('-c', 'read 0 1', 'nfs:///x/y'),
  io('-c', 'read 0 1', 'nfs://h'),
  // qemu-img
  img(),
  img('nope'),
  img('info'),
  img('info', '$IMG', '$IMG'),
  img('info', '--output=xml', '$IMG'),
  img('info', '-x', '$IMG'),
  img('info', '--bogus', '$IMG'),
  img('info', '-f'),
  img('info', '--output'),
  img('info', '-f', 'nope', '$IMG'),
  img('info', '$DIR/none.raw'),
  img('info', 'json:{"filename":"$IMG"}'),
  { ...img('info', 'json:{"driver":"null-co","size":null}'), deviation: "accepted like qemu-img; the image line names the node (null-co://) where qemu-img prints the json: options back" },
  img('info', 'json:{"driver":"null-co","__proto__":1}'),
  img('info', 'json:{"driver":"null-co","constructor":1}'),
  { ...img('info', 'json:{"driver":"null-co","size":1e30}'), deviation: 'qemu-img aborts (exit 134, "Unexpected error in parse_option_size()"); we print the same message and exit 1' },
  img('info', '-U', '--image-opts', 'driver=file,filename=$IMG,force-share=off'),
  img('info', '--image-opts', '-f', 'raw', 'driver=file,filename=$IMG'),
  img('bench', '-c', '0', '-f', 'raw', '$IMG'),
  img('bench', '--pattern=zz', '-w', '$IMG'),
  img('bench', '--pattern=256', '-w', '$IMG'),
  img('bench', '--flush-interval=-1', '-w', '$IMG'),
  img('bench', '--flush-interval=abc', '-w', '$IMG'),
  img('bench', '--flush-interval=5', '$IMG'),
  img('bench', '-c', 'abc', '$IMG'),
  img('bench', '-c', '-1', '$IMG'),
  img('bench', '-d', 'abc', '$IMG'),
  { ...img('bench', '-d', '0', '-f', 'raw', '$IMG'), deviation: 'qemu-img bench -d 0 never finishes (measured: killed after the time limit); we refuse it as "Invalid queue depth specified"', qemuTimeout: 3 },
  img('bench', '-s', 'abc', '$IMG'),
  img('bench', '-o', 'abc', '$IMG'),
  img('bench', '-S', 'abc', '$IMG'),
  img('bench', '-t', 'bogus', '$IMG'),
  img('bench', '-i', 'bogus', '$IMG'),
  img('bench', '-o', '4M', '-c', '1', '-f', 'raw', '$IMG'),
  img('bench', '-c'),
  img('bench', '-w', '-U', '$IMG'),
  img('bench'),
  img('create'),
  img('create', '-x'),
  img('create', '-f', 'raw', '$DIR/c.raw', '1Z'),
  img('create', '-f', 'nope', '$DIR/c.raw', '1M'),
  img('create', '$DIR/c.raw'),
  img('create', '-f', 'raw', '$DIR/c.raw', '1e30'),
  img('create', '-f', 'raw', '$DIR/c.raw', '20E'),
  img('create', '-f', 'raw', '$DIR/nonexist/c.raw', '1M'),
  img('create', '-f', 'raw', '-o', 'bogus=1', '$DIR/c.raw', '1M'),
  img('convert', '-O', 'nope', '$IMG', '$DIR/o.raw'),
  img('convert', '-f', 'nope', '$IMG', '$DIR/o.raw'),
  img('convert', '$IMG'),
  img('convert', '-m', '0', '$IMG', '$DIR/o.raw'),
  img('convert', '-m', '17', '$IMG', '$DIR/o.raw'),
  img('convert', '-S', 'abc', '$IMG', '$DIR/o.raw'),
  img('convert', '-t', 'bogus', '$IMG', '$DIR/o.raw'),
  img('convert', '-T', 'bogus', '$IMG', '$DIR/o.raw'),
  img('convert', '-x', '$IMG', '$DIR/o.raw'),
  img('convert', '-O', 'raw', '$IMG', '$IMG'),
  img('convert', '$DIR/none.raw', '$DIR/o.raw'),
];

interface Outcome {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function run(bin: string, args: readonly string[], timeoutS: number, viaNode: boolean): Outcome {
  const argv = args.map((a) => a.replaceAll('$IMG', imagePath).replaceAll('$DIR', dir));
  const r = spawnSync(viaNode ? process.execPath : bin, viaNode ? [bin, ...argv] : argv, { encoding: 'utf8', timeout: timeoutS * 1000, cwd: dir });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${bin} could not run (install qemu-utils, listed in setup/apt-peers.txt)`);
  // A child that could not start has null streams, whatever the types say.
  const streams = r as { stdout: string | null; stderr: string | null };
  return { status: r.status, signal: r.signal, stdout: streams.stdout ?? '', stderr: streams.stderr ?? '', timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' };
}

/** Drop timing lines, which differ run to run. */
function untimed(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/ops; \d\d:\d\d:\d\d\.\d\d|ops; \d+\.\d+ sec|^Run completed in/.test(l))
    .join('\n');
}

const swap = (text: string): string => text.replaceAll('qemu-img', 'qco-img').replaceAll('qemu-io', 'qco-io');
const crashed = (o: Outcome): boolean =>
  o.timedOut || o.signal !== null || /\n\s+at .+:\d+:\d+\)?\n|TypeError|RangeError|ReferenceError|SyntaxError|\[object Object\]|native code|Cannot read prop/.test(o.stderr + o.stdout);

interface Verdict {
  readonly name: string;
  readonly crash: boolean;
  readonly clear: boolean;
  readonly same: boolean;
  readonly detail: string;
}

function judge(c: Case): Verdict {
  const theirs = run(c.tool === 'io' ? 'qemu-io' : 'qemu-img', c.args, c.qemuTimeout ?? 20, false);
  const ours = run(join(pkg, 'dist', c.tool === 'io' ? 'qco-io.cjs' : 'qco-img.cjs'), c.args, 30, true);
  const pick = (s: string): string => (c.stdoutFirstLine ? s.split('\n')[0] : untimed(s));
  const expected = { status: theirs.status, stderr: swap(untimed(theirs.stderr)), stdout: swap(pick(theirs.stdout)) };
  const got = { status: ours.status, stderr: untimed(ours.stderr), stdout: pick(ours.stdout) };
  const same = !theirs.timedOut && JSON.stringify(expected) === JSON.stringify(got);
  // A clear answer: success where qemu succeeds, or a failure with a message.
  const clear = !crashed(ours) && (ours.status === 0 ? theirs.status === 0 || theirs.timedOut : ours.stderr.trim() !== '' || ours.stdout.trim() !== '');
  const name = `${c.tool === 'io' ? 'qco-io' : 'qco-img'} ${c.args.join(' ')}`;
  return { name, crash: crashed(ours), clear, same, detail: `expected ${JSON.stringify(expected)}\n     got ${JSON.stringify(got)}` };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qco-bad-input-'));
  imagePath = join(dir, 'a.raw');
  writeFileSync(imagePath, Buffer.alloc(1 << 20, 0x11));
  for (const t of ['qco-io.cjs', 'qco-img.cjs']) {
    if (!existsSync(join(pkg, 'dist', t))) throw new Error(`dist/${t} is missing: build the package first (pnpm --filter @qco/drivers-block build)`);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('/bad-input', () => {
  it(`${CASES.length} bad command lines: no crash or hang, each the same as qemu or a listed deviation with a clear error`, () => {
    const verdicts = CASES.map((c) => ({ c, v: judge(c) }));
    const crashes = verdicts.filter(({ v }) => v.crash).map(({ v }) => `${v.name}\n     ${v.detail}`);
    const unexplained = verdicts.filter(({ c, v }) => !v.same && c.deviation === undefined).map(({ v }) => `${v.name}\n     ${v.detail}`);
    const unclear = verdicts.filter(({ c, v }) => c.deviation !== undefined && !v.clear).map(({ v }) => v.name);
    const stale = verdicts.filter(({ c, v }) => c.deviation !== undefined && v.same).map(({ v }) => v.name);
    const count = (f: (v: Verdict) => boolean): number => verdicts.filter(({ v }) => f(v)).length;
    console.log(
      `bad input: ${CASES.length} tried, ${count((v) => v.clear)} clear error (or accepted like qemu), ${count((v) => v.same)} same exit status and wording as qemu, ${count((v) => v.crash)} crash or hang; deviations: ${CASES.filter((c) => c.deviation).length}`,
    );
    expect(crashes).toEqual([]);
    expect(unexplained).toEqual([]);
    expect(unclear).toEqual([]);
    expect(stale).toEqual([]);
  });
});
