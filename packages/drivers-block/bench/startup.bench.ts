/**
 * Start-up cost, each figure beside a bare `node -e 0` in the same run,
 * alternating process by process:
 * - the command-line tools, `qco-img --version` and `qco-io -c quit` (the
 *   installed CommonJS executables), as the ratio of their wall times (lower is
 *   better; the goal is ≤ 1.5×);
 * - the library face opening a local file: `import('@qco/drivers-block')`
 *   (dist/index.js), BlockBackend.open of a raw image, close — what it costs
 *   above bare Node, in wall ms and in peak RSS MB (the goal: ≤ 30 ms and
 *   ≤ 5 MB). Drivers load lazily and the remote ones load their libraries
 *   (ssh2, json-pack) only in `open`, so a local file pays for neither;
 * - the fixed cost of one command against QEMU's: `qco-img convert` of a
 *   1 MiB raw image to a fresh qcow2 minus `qemu-img convert` of the same, and
 *   bare `node -e 0` minus the same qemu-img run (the part of that gap that is
 *   the runtime's own start-up, which no change of ours can remove). A 1 GiB
 *   convert pays this once: with copy phases of equal speed, qco-img's ratio to
 *   qemu-img is T / (T + gap) for qemu-img's time T;
 * - where the machine sets NODE_EXTRA_CA_CERTS (the harness removes it from
 *   every case process), what it adds to one bare Node start: Node 20 parses
 *   the bundle at start-up whatever the script, so every qco-img run on such a
 *   machine pays it on top of the figures above.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchCaseSpec, BenchFn, BenchModule } from '@qco/bench';
import { interleavedRatio } from './interleave.js';
import { packageDir } from './transfer-util.js';

const ROUNDS = 21;

const COMMANDS: Readonly<Partial<Record<string, readonly [string, ...string[]]>>> = {
  'qco-img --version': ['qco-img.cjs', '--version'],
  'qco-io -c quit': ['qco-io.cjs', '-c', 'quit'],
};

/** The face case's child: import the face (argv[1]), open argv[2] as raw, close, print the peak RSS in KiB. */
const OPEN_LOCAL = `const { BlockBackend } = await import(process.argv[1]);
const blk = await BlockBackend.open(process.argv[2], { format: 'raw' });
await blk.close();
process.stdout.write(String(process.resourceUsage().maxRSS));`;
/** The baseline's child: bare Node printing its own peak RSS the same way. */
const BARE_RSS = 'process.stdout.write(String(process.resourceUsage().maxRSS))';

/** What the face cases measure: wall ms or peak RSS MB above bare Node. */
const FACE_FIGURES = { 'wall ms': 'ms', 'peak RSS MB': 'MB' } as const;
type FaceFigure = keyof typeof FACE_FIGURES;
const FACE_GOALS: Readonly<Record<FaceFigure, string>> = { 'wall ms': '≤ 30 ms', 'peak RSS MB': '≤ 5 MB' };
const FACE_CASE = 'import @qco/drivers-block + open x.img (raw) + close';

/** Wall seconds of one whole process (`args` for Node, or a whole command line when `cmd` is given), in `env` when given. */
function timeProcess(args: readonly string[], cmd: string = process.execPath, env?: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  execFileSync(cmd, args, { stdio: 'ignore', ...(env ? { env } : {}) });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** The fixed-cost cases: what runs against `qemu-img convert` of a 1 MiB raw image to a fresh qcow2. */
const CONVERT_FIXED = {
  'qco-img convert': 'the same convert by qco-img',
  'node -e 0': 'bare Node, the runtime alone',
} as const;
type FixedSide = keyof typeof CONVERT_FIXED;
const FIXED_CASE = 'convert 1 MiB raw → qcow2 − qemu-img convert, wall ms (interleaved)';

function fixedCostCase(side: FixedSide): BenchFn {
  const { image } = faceSetup();
  const cli = join(packageDir(), 'dist', 'qco-img.cjs');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build @qco/drivers-block first`);
  const target = (who: string): string => join(tmpdir(), `qco-startup-bench-${who}.qcow2`);
  /** One convert into a fresh target (removed before and after, outside the timing). */
  const convert = (who: string, cmd: string, args: readonly string[]): number => {
    rmSync(target(who), { force: true });
    const seconds = timeProcess([...args, 'convert', '-f', 'raw', '-O', 'qcow2', image, target(who)], cmd);
    rmSync(target(who), { force: true });
    return seconds;
  };
  const ours = side === 'qco-img convert' ? () => convert('qco-img', process.execPath, [cli]) : () => timeProcess(['-e', '0']);
  return {
    kind: 'measured',
    run: () => interleavedRatio(ROUNDS, ours, () => convert('qemu-img', 'qemu-img', []), (a, b) => (a - b) * 1000, [side, 'qemu-img convert']),
  };
}

/** The machine's NODE_EXTRA_CA_CERTS: kept by the harness under another name (case processes), else still set (planning). */
const machineExtraCaCerts = (): string | undefined => process.env['QCO_BENCH_NODE_EXTRA_CA_CERTS'] ?? process.env['NODE_EXTRA_CA_CERTS'];
const CA_CASE = 'node -e 0 with the machine\'s NODE_EXTRA_CA_CERTS − without, wall ms (interleaved)';

/** Bare Node started with the machine's NODE_EXTRA_CA_CERTS against bare Node without it. */
function extraCaCertsCase(): BenchFn {
  const bundle = machineExtraCaCerts();
  if (bundle === undefined) throw new Error('NODE_EXTRA_CA_CERTS is not set on this machine');
  const { NODE_EXTRA_CA_CERTS: _, ...without } = process.env;
  const start = (env: NodeJS.ProcessEnv) => (): number => timeProcess(['-e', '0'], process.execPath, env);
  return {
    kind: 'measured',
    run: () => interleavedRatio(ROUNDS, start({ ...without, NODE_EXTRA_CA_CERTS: bundle }), start(without), (a, b) => (a - b) * 1000, ['with NODE_EXTRA_CA_CERTS', 'without']),
  };
}

/** Peak RSS (MB) of one whole process that prints its own maxRSS (KiB). */
function processRss(args: readonly string[]): number {
  return Number(execFileSync(process.execPath, args, { encoding: 'utf8' })) / 1024;
}

/** The built face and a kept 1 MiB raw image (overwritten, not recreated per round). */
function faceSetup(): { face: string; image: string } {
  const face = join(packageDir(), 'dist', 'index.js');
  if (!existsSync(face)) throw new Error(`${face} is missing: build @qco/drivers-block first`);
  const image = join(tmpdir(), 'qco-startup-bench.img');
  writeFileSync(image, Buffer.alloc(1 << 20));
  return { face: pathToFileURL(face).href, image };
}

function faceCase(figure: FaceFigure): BenchFn {
  const { face, image } = faceSetup();
  const child = ['--input-type=module', '-e', OPEN_LOCAL, face, image];
  const names = [FACE_CASE, 'node -e 0'] as const;
  return {
    kind: 'measured',
    run: () =>
      figure === 'wall ms'
        ? interleavedRatio(ROUNDS, () => timeProcess(child), () => timeProcess(['-e', '0']), (a, b) => (a - b) * 1000, names)
        : interleavedRatio(ROUNDS, () => processRss(child), () => processRss(['-e', BARE_RSS]), (a, b) => a - b, names, { label: 'MB', scale: 1 }),
  };
}

const startupBench: BenchModule = {
  suite: 'tools/startup',
  cases(): BenchCaseSpec[] {
    const tools = Object.keys(COMMANDS).map(
      (cmd): BenchCaseSpec => ({
        name: `${cmd} ÷ node -e 0 (interleaved)`,
        measure: 'ratio',
        better: 'lower',
        unit: '×',
        params: { command: cmd, baseline: 'node -e 0', rounds: ROUNDS, goal: '≤ 1.5×' },
      }),
    );
    const face = (Object.keys(FACE_FIGURES) as FaceFigure[]).map(
      (figure): BenchCaseSpec => ({
        name: `${FACE_CASE} − node -e 0, ${figure} (interleaved)`,
        measure: 'count',
        better: 'lower',
        unit: FACE_FIGURES[figure],
        params: { face: figure, baseline: 'node -e 0', rounds: ROUNDS, goal: FACE_GOALS[figure] },
      }),
    );
    const fixed = (Object.keys(CONVERT_FIXED) as FixedSide[]).map(
      (side): BenchCaseSpec => ({
        name: `${side === 'node -e 0' ? 'node -e 0' : 'qco-img'}: ${FIXED_CASE}`,
        measure: 'count',
        better: 'lower',
        unit: 'ms',
        requires: ['qemu-img'],
        params: { fixedCost: side, side: CONVERT_FIXED[side], baseline: 'qemu-img convert', rounds: ROUNDS },
      }),
    );
    const bundle = machineExtraCaCerts();
    const extraCa: BenchCaseSpec[] =
      bundle === undefined ? [] : [{ name: CA_CASE, measure: 'count', better: 'lower', unit: 'ms', params: { extraCaCerts: bundle, baseline: 'node -e 0 without it', rounds: ROUNDS } }];
    return [...tools, ...face, ...fixed, ...extraCa];
  },
  prepare(spec: BenchCaseSpec): BenchFn {
    if (spec.params?.['extraCaCerts'] !== undefined) return extraCaCertsCase();
    const side = spec.params?.['fixedCost'];
    if (side === 'qco-img convert' || side === 'node -e 0') return fixedCostCase(side);
    const figure = spec.params?.['face'];
    if (figure === 'wall ms' || figure === 'peak RSS MB') return faceCase(figure);
    const command = COMMANDS[String(spec.params?.['command'])];
    if (command === undefined) throw new Error(`unknown start-up case ${spec.name}`);
    const [file, ...args] = command;
    const cli = join(packageDir(), 'dist', file);
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build @qco/drivers-block first`);
    return {
      kind: 'measured',
      run: () =>
        interleavedRatio(
          ROUNDS,
          () => timeProcess([cli, ...args]),
          () => timeProcess(['-e', '0']),
          (tool, node) => tool / node,
          [String(spec.params?.['command']), 'node -e 0'],
        ),
    };
  },
};

export default startupBench;
