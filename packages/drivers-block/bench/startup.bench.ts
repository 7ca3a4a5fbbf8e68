/**
 * Start-up of the command-line tools: `qco-img --version` and `qco-io -c quit`
 * (the installed CommonJS executables) beside a bare `node -e 0`, alternating
 * process by process, as the ratio of their wall times (lower is better; the
 * goal is ≤ 1.5×). Drivers and subcommands load only when used, so these
 * commands should cost little more than Node itself.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchCaseSpec, BenchFn, BenchModule } from '@qco/bench';
import { interleavedRatio } from './interleave.js';
import { packageDir } from './transfer-util.js';

const COMMANDS: Readonly<Record<string, readonly string[]>> = {
  'qco-img --version': ['qco-img.cjs', '--version'],
  'qco-io -c quit': ['qco-io.cjs', '-c', 'quit'],
};

/** Wall seconds of one whole process. */
function timeProcess(args: readonly string[]): number {
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, args, { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const startupBench: BenchModule = {
  suite: 'tools/startup',
  cases(): BenchCaseSpec[] {
    return Object.keys(COMMANDS).map((cmd) => ({
      name: `${cmd} ÷ node -e 0 (interleaved)`,
      measure: 'ratio',
      better: 'lower',
      unit: '×',
      params: { command: cmd, baseline: 'node -e 0', rounds: 21, goal: '≤ 1.5×' },
    }));
  },
  async prepare(spec: BenchCaseSpec): Promise<BenchFn> {
    const [file, ...args] = COMMANDS[String(spec.params?.['command'])] ?? [];
    if (file === undefined) throw new Error(`unknown start-up case ${spec.name}`);
    const cli = join(packageDir(), 'dist', file);
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build @qco/drivers-block first`);
    return {
      kind: 'measured',
      run: () =>
        interleavedRatio(
          21,
          () => timeProcess([cli, ...args]),
          () => timeProcess(['-e', '0']),
          (tool, node) => tool / node,
          [String(spec.params?.['command']), 'node -e 0'],
        ),
    };
  },
};

export default startupBench;
