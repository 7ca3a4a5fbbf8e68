#!/usr/bin/env node
/**
 * qco-perf: runs every benchmark module of the workspace on every backend available
 * here, each case in a fresh child process, and writes one JSON report (what
 * apps/dashboard renders) plus a table on stdout. Each ratio is taken to a baseline
 * measured once in the same run; a case whose margin of error stays above
 * --max-rme is measured again, up to --tries times. Cases whose tools are missing
 * are skipped and listed, with the reason.
 *
 *   qco-perf [--time SECONDS] [--filter REGEX] [--backends a,b] [--out FILE]
 *            [--max-rme PERCENT] [--tries N] [--retry-budget SECONDS] [--keep N] [--timeout SECONDS]
 *
 * A command line it cannot run (an unknown option or backend, a stray operand,
 * a non-number, a bad regular expression) is said in one line with the usage,
 * exit status 2.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { attachBaselines } from './attach-baselines.js';
import { compileBenchModule } from './load-module.js';
import { printTable } from './print-table.js';
import { gitCommit, loadNow, machine, onPath, toolVersions } from './provenance.js';
import { nodeEnvMethod, runChild } from './run-child.js';
import type { BenchCaseSpec, BenchModule, BenchReport, BenchResult, Measured, SkippedCase } from './types.js';
import { backendPackageDirs, benchModuleEntries, registerBackends, workspaceRoot } from './workspace.js';

interface Planned {
  readonly suite: string;
  readonly modulePath: string;
  readonly spec: BenchCaseSpec;
}

/** Where a missing command comes from on Debian, for the skip reason. */
const DEBIAN_PACKAGE: Record<string, string> = {
  'qemu-img': 'qemu-utils',
  'qemu-nbd': 'qemu-utils',
  'qemu-storage-daemon': 'qemu-system-common',
  scp: 'openssh-client',
  sshd: 'openssh-server',
  'ganesha.nfsd': 'nfs-ganesha',
  rpcbind: 'rpcbind',
  'nfs-cp': 'libnfs-utils',
  fio: 'fio',
  nbdkit: 'nbdkit',
  nbdcopy: 'libnbd-bin',
};

function missingTools(spec: BenchCaseSpec): string[] {
  return (spec.requires ?? []).filter((cmd) => !onPath(cmd));
}

/**
 * Measure a case, again while its margin of error is above `maxRme`: at most
 * `maxTries` times, and no new try once `budgetMs` is spent on it (whole-transfer
 * cases take long). The try with the smallest margin is kept.
 */
async function measureWithRetries(p: Planned, maxTime: number, backendDirs: string[], timeoutMs: number, maxRme: number, maxTries: number, budgetMs: number): Promise<{ m: Measured; tries: number }> {
  const started = Date.now();
  let best: Measured | undefined;
  let tries = 0;
  while (tries < maxTries) {
    tries++;
    const m = await runChild(p.modulePath, p.spec, maxTime, backendDirs, timeoutMs);
    if (!best || m.rme < best.rme) best = m;
    if (best.rme <= maxRme || Date.now() - started > budgetMs) break;
  }
  return { m: best as Measured, tries };
}

/** Whether a backend package builds a Node-API addon (a binding.gyp, or a native/ folder); asyncify's C is compiled to wasm before publishing. */
function buildsNativeCode(dir: string): boolean {
  return ['binding.gyp', 'native'].some((f) => existsSync(join(dir, f)));
}

/** Keep the newest `keep` run files of the folder (latest.json aside). */
function pruneRuns(dir: string, keep: number): void {
  const runs = readdirSync(dir)
    .filter((f) => /^run-.*\.json$/.test(f))
    .sort();
  for (const f of runs.slice(0, Math.max(0, runs.length - keep))) rmSync(join(dir, f));
}

const USAGE = `usage: qco-perf [--time SECONDS] [--filter REGEX] [--backends a,b] [--out FILE]
                [--max-rme PERCENT] [--tries N] [--retry-budget SECONDS] [--keep N] [--timeout SECONDS]`;

/** A command line qco-perf cannot run: said in one line, with the usage, never as a stack trace. */
class UsageError extends Error {}

const NUMERIC = ['time', 'timeout', 'max-rme', 'tries', 'retry-budget', 'keep'] as const;

/** The options, checked: unknown options, stray operands, non-numbers and a bad --filter are UsageErrors. */
function parseCommandLine(argv: readonly string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        help: { type: 'boolean', short: 'h' },
        time: { type: 'string', default: process.env['QCO_BENCH_TIME'] ?? '1' },
        filter: { type: 'string' },
        backends: { type: 'string' },
        out: { type: 'string' },
        timeout: { type: 'string', default: '300' },
        'max-rme': { type: 'string', default: '10' },
        tries: { type: 'string', default: '3' },
        'retry-budget': { type: 'string', default: '60' },
        keep: { type: 'string', default: '20' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values } = parsed;
  for (const name of NUMERIC) {
    const v = values[name];
    if (v.trim() === '' || !(Number(v) >= 0)) throw new UsageError(`--${name} takes a non-negative number, not '${v}'`);
  }
  if (values.filter !== undefined) {
    try {
      new RegExp(values.filter);
    } catch (err) {
      throw new UsageError(`--filter: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return values;
}

async function main(): Promise<void> {
  const values = parseCommandLine(process.argv.slice(2));
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  const root = workspaceRoot();
  const maxTime = Number(values.time);
  const maxRme = Number(values['max-rme']);
  const maxTries = Math.max(1, Number(values.tries));
  const filter = values.filter ? new RegExp(values.filter) : undefined;
  const startedAt = new Date().toISOString();
  const host = machine();

  const allDirs = backendPackageDirs(root);
  const loaded = await registerBackends(allDirs);
  const wanted = values.backends?.split(',').map((s) => s.trim());
  const unknown = wanted?.filter((w) => !loaded.some((b) => b.name === w)) ?? [];
  if (unknown.length > 0) throw new UsageError(`--backends: no backend named ${unknown.map((u) => `'${u}'`).join(', ')} (this workspace has ${loaded.map((b) => b.name).join(', ')})`);
  const available = loaded.filter((b) => b.available && (!wanted || wanted.includes(b.name)));
  const backends = available.map((b) => b.name);
  const backendDirs = loaded.filter((b) => b.available).map((b) => b.dir);
  console.log(`qco-perf: backends available here: ${backends.join(', ') || '(none)'}`);
  for (const b of loaded.filter((x) => !x.available)) console.log(`qco-perf: backend ${b.name} not available: ${b.reason ?? 'unknown'}`);

  const plan: Planned[] = [];
  const skipped: SkippedCase[] = [];
  const planned = new Set<string>();
  for (const entry of benchModuleEntries(root)) {
    let mod: BenchModule;
    let modulePath: string;
    let specs: BenchCaseSpec[];
    try {
      modulePath = await compileBenchModule(entry.packageDir, entry.path);
      mod = ((await import(pathToFileURL(modulePath).href)) as { default: BenchModule }).default;
      specs = mod.cases({ backends, backendDirs: Object.fromEntries(available.map((b) => [b.name, b.dir])) });
    } catch (err) {
      skipped.push({ suite: entry.path, case: '*', backend: null, reason: `module did not load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` });
      continue;
    }
    for (const spec of specs) {
      const id = `${mod.suite} ${spec.name} ${spec.backend ?? ''}`;
      if (filter && !filter.test(id)) continue;
      if (spec.backend && !backends.includes(spec.backend)) continue;
      // A backend-less case name is one measurement per run, whichever module declares it first.
      const key = spec.backend ? `${mod.suite}\u0000${spec.name}\u0000${spec.backend}` : `\u0000${spec.name}`;
      if (planned.has(key)) continue;
      planned.add(key);
      const missing = missingTools(spec);
      if (missing.length) {
        const why = missing.map((c) => (DEBIAN_PACKAGE[basename(c)] ? `${c} (Debian ${DEBIAN_PACKAGE[basename(c)]})` : c)).join(', ');
        skipped.push({ suite: mod.suite, case: spec.name, backend: spec.backend ?? null, reason: `not installed: ${why}` });
        continue;
      }
      plan.push({ suite: mod.suite, modulePath, spec });
    }
  }

  const tty = process.stdout.isTTY;
  const bar = tty ? new cliProgress.SingleBar({ format: 'qco-perf [{bar}] {value}/{total} {suite} {case} {backend}', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(plan.length, 0, { suite: '', case: '', backend: '' });
  const rows: BenchResult[] = [];
  for (const [i, p] of plan.entries()) {
    if (bar) bar.update(i, { suite: p.suite, case: p.spec.name, backend: p.spec.backend ?? '' });
    else console.log(`qco-perf [${i + 1}/${plan.length}] ${p.suite} ${p.spec.name}${p.spec.backend ? ` on ${p.spec.backend}` : ''}`);
    const measure = p.spec.measure ?? 'rate';
    const base = {
      suite: p.suite,
      case: p.spec.name,
      backend: p.spec.backend ?? null,
      unit: p.spec.unit ?? (measure === 'ratio' ? '×' : 'op'),
      measure,
      better: p.spec.better ?? (measure === 'count' ? 'lower' : 'higher'),
      ...(p.spec.params ? { params: p.spec.params } : {}),
      ...(p.spec.aio ? { aio: p.spec.aio } : {}),
      ...(p.spec.driverOptions ? { driverOptions: p.spec.driverOptions } : {}),
      ...(p.spec.baseline ? { baseline: { case: p.spec.baseline, backend: p.spec.backend ?? null } } : {}),
    } as const;
    try {
      const { m, tries } = await measureWithRetries(p, maxTime, backendDirs, Number(values.timeout) * 1000, maxRme, maxTries, Number(values['retry-budget']) * 1000);
      const opsPerSec = measure === 'rate' ? m.hz * (p.spec.opsPerCall ?? 1) : m.hz;
      rows.push({ ...base, ...m, opsPerSec, nsPerOp: measure === 'rate' ? 1e9 / opsPerSec : Number.NaN, tries, ...(m.rme > maxRme ? { noisy: true } : {}) });
    } catch (err) {
      rows.push({ ...base, hz: 0, rme: 0, samples: 0, opsPerSec: 0, nsPerOp: Number.NaN, error: err instanceof Error ? err.message : String(err) });
    }
  }
  bar?.update(plan.length, { suite: 'done', case: '', backend: '' });
  bar?.stop();

  const report: BenchReport = {
    schema: 'qco-bench/2',
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { ...host, loadAfter: loadNow() },
    node: process.version,
    v8: process.versions.v8,
    commit: gitCommit(root),
    tools: toolVersions(),
    method: {
      baselines: 'each baseline is one case measured once per run in its own process (backend-less names are shared by every suite that names them), rerun like any case until its margin of error is under the threshold or the tries (or the retry budget) are spent',
      maxRme,
      maxTries,
      retryBudgetSeconds: Number(values['retry-budget']),
      nodeEnv: nodeEnvMethod,
    },
    backends: loaded.map((b) => ({ name: b.name, available: b.available, ...(b.reason ? { reason: b.reason } : {}), nativeAddon: buildsNativeCode(b.dir) })),
    results: attachBaselines(
      rows,
      plan.map((p) => p.spec.compareWith),
    ),
    skipped,
  };
  printTable(report.results);
  const dir = join(root, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const out = values.out ?? join(dir, `run-${startedAt.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  if (!values.out) {
    writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    pruneRuns(dir, Number(values.keep));
  }
  const failed = report.results.filter((r) => r.error).length;
  const noisy = report.results.filter((r) => r.noisy).length;
  console.log(`\nqco-perf: ${report.results.length} cases, ${failed} failed, ${noisy} still noisy (±${maxRme} % after ${maxTries} tries), ${skipped.length} skipped; report written to ${out}`);
  for (const s of skipped) console.log(`qco-perf: skipped ${s.suite} ${s.case}${s.backend ? ` on ${s.backend}` : ''}: ${s.reason}`);
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(`qco-perf: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
