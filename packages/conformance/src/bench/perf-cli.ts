#!/usr/bin/env node
/**
 * qco-perf: runs every benchmark suite of the workspace on every backend available
 * here, each case in a fresh child process, and writes one JSON report (what
 * apps/dashboard renders) plus a table on stdout. Each case's ratio is taken to
 * its baseline measured in the same run, because a lone number on a shared
 * 2-core machine says little.
 *
 *   qco-perf [--time SECONDS] [--filter REGEX] [--backends a,b] [--out FILE]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import type { BenchCaseSpec, BenchModule, BenchReport, BenchResult, Measured } from './types.js';
import { backendPackageDirs, benchModulePaths, registerBackends, workspaceRoot } from './workspace.js';

interface Planned {
  readonly suite: string;
  readonly modulePath: string;
  readonly spec: BenchCaseSpec;
}

const here = dirname(fileURLToPath(import.meta.url));

function runChild(p: Planned, maxTime: number, backendDirs: string[], timeoutMs: number): Promise<Measured> {
  return new Promise((resolve, reject) => {
    // --stack-size: /perf/nesting nests 1000 coroutines, deeper than some backends' frames fit
    // in V8's default ~1 MB limit; the main thread's real stack (8 MiB here) has room.
    const child = spawn(process.execPath, ['--expose-gc', '--stack-size=2048', join(here, 'bench-child.js'), p.modulePath, JSON.stringify(p.spec), String(maxTime), JSON.stringify(backendDirs)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('QCO-BENCH-RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('QCO-BENCH-RESULT '.length)) as Measured);
      else reject(new Error(signal ? `killed by ${signal}${signal === 'SIGKILL' ? ' (timeout)' : ''}` : (err.trim().split('\n').slice(-3).join(' | ') || `exit ${String(code)}`)));
    });
  });
}

function fmtRate(ops: number): string {
  if (ops >= 1e9) return `${(ops / 1e9).toFixed(2)} G`;
  if (ops >= 1e6) return `${(ops / 1e6).toFixed(2)} M`;
  if (ops >= 1e3) return `${(ops / 1e3).toFixed(2)} k`;
  return ops.toFixed(2);
}

function fmtNs(ns: number): string {
  if (!Number.isFinite(ns)) return '-';
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}

/** Fill in each result's ratio to its same-run baseline. */
export function attachBaselines(rows: BenchResult[], compareWith: readonly (readonly string[] | undefined)[] = []): BenchResult[] {
  const find = (suite: string, name: string, backend: string | null) =>
    rows.find((r) => r.suite === suite && r.case === name && r.backend === backend && !r.error) ??
    rows.find((r) => r.suite === suite && r.case === name && r.backend === null && !r.error);
  return rows.map((r, i) => {
    if (r.error) return r;
    const names = [...(r.baseline ? [r.baseline.case] : []), ...(compareWith[i] ?? [])];
    const ratios: Record<string, number> = {};
    for (const name of names) {
      const other = find(r.suite, name, r.backend);
      if (other && other.opsPerSec > 0) ratios[name] = r.opsPerSec / other.opsPerSec;
    }
    const base = r.baseline ? find(r.suite, r.baseline.case, r.baseline.backend) : undefined;
    return {
      ...r,
      ...(base && base.opsPerSec > 0 ? { baseline: { case: base.case, backend: base.backend }, ratio: r.opsPerSec / base.opsPerSec } : {}),
      ...(Object.keys(ratios).length ? { ratios } : {}),
    };
  });
}

function printTable(rows: readonly BenchResult[]): void {
  const header = ['suite', 'case', 'backend', 'ops/s', 'per op', '±%', 'speed vs same-run baselines'];
  const body = rows.map((r) => [
    r.suite,
    r.case,
    r.backend ?? '-',
    r.error ? 'FAILED' : `${fmtRate(r.opsPerSec)}${r.unit === 'op' ? '' : ` ${r.unit}`}`,
    r.error ? r.error.slice(0, 40) : fmtNs(r.nsPerOp),
    r.error ? '' : r.rme.toFixed(1),
    Object.entries(r.ratios ?? {})
      .map(([name, x]) => `${x.toFixed(3)}× ${name}`)
      .join(', '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const b of body) console.log(line(b));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      time: { type: 'string', default: process.env['QCO_BENCH_TIME'] ?? '1' },
      filter: { type: 'string' },
      backends: { type: 'string' },
      out: { type: 'string' },
      timeout: { type: 'string', default: '300' },
    },
  });
  const root = workspaceRoot();
  const maxTime = Number(values.time);
  const filter = values.filter ? new RegExp(values.filter) : undefined;
  const startedAt = new Date().toISOString();

  const allDirs = backendPackageDirs(root);
  const loaded = await registerBackends(allDirs);
  const wanted = values.backends?.split(',').map((s) => s.trim());
  const backends = loaded.filter((b) => b.available && (!wanted || wanted.includes(b.name))).map((b) => b.name);
  const backendDirs = loaded.filter((b) => b.available).map((b) => b.dir);
  console.log(`qco-perf: backends available here: ${backends.join(', ') || '(none)'}`);
  for (const b of loaded.filter((x) => !x.available)) console.log(`qco-perf: backend ${b.name} not available: ${b.reason ?? 'unknown'}`);

  const plan: Planned[] = [];
  for (const modulePath of benchModulePaths(root)) {
    const mod = ((await import(pathToFileURL(modulePath).href)) as { default: BenchModule }).default;
    for (const spec of mod.cases({ backends })) {
      const id = `${mod.suite} ${spec.name} ${spec.backend ?? ''}`;
      if (filter && !filter.test(id)) continue;
      if (spec.backend && !backends.includes(spec.backend)) continue;
      plan.push({ suite: mod.suite, modulePath, spec });
    }
  }

  const tty = process.stdout.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar({ format: 'qco-perf [{bar}] {value}/{total} {suite} {case} {backend}', hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(plan.length, 0, { suite: '', case: '', backend: '' });
  const rows: BenchResult[] = [];
  for (const [i, p] of plan.entries()) {
    const label = { suite: p.suite, case: p.spec.name, backend: p.spec.backend ?? '' };
    if (bar) bar.update(i, label);
    else console.log(`qco-perf [${i + 1}/${plan.length}] ${p.suite} ${p.spec.name}${p.spec.backend ? ` on ${p.spec.backend}` : ''}`);
    const opsPerCall = p.spec.opsPerCall ?? 1;
    const base = {
      suite: p.suite,
      case: p.spec.name,
      backend: p.spec.backend ?? null,
      unit: p.spec.unit ?? 'op',
      ...(p.spec.params ? { params: p.spec.params } : {}),
      ...(p.spec.baseline ? { baseline: { case: p.spec.baseline, backend: p.spec.backend ?? null } } : {}),
    };
    try {
      const m = await runChild(p, maxTime, backendDirs, Number(values.timeout) * 1000);
      const opsPerSec = m.hz * opsPerCall;
      rows.push({ ...base, ...m, opsPerSec, nsPerOp: 1e9 / opsPerSec });
    } catch (err) {
      rows.push({ ...base, hz: 0, rme: 0, samples: 0, opsPerSec: 0, nsPerOp: Number.NaN, error: err instanceof Error ? err.message : String(err) });
    }
  }
  bar?.update(plan.length, { suite: 'done', case: '', backend: '' });
  bar?.stop();

  const report: BenchReport = {
    schema: 'qco-bench/1',
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { hostname: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), platform: process.platform, arch: process.arch },
    node: process.version,
    v8: process.versions.v8,
    backends: loaded.map((b) => ({ name: b.name, available: b.available, ...(b.reason ? { reason: b.reason } : {}) })),
    results: attachBaselines(rows, plan.map((p) => p.spec.compareWith)),
  };
  printTable(report.results);
  const dir = join(root, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const out = values.out ?? join(dir, `run-${startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  const failed = report.results.filter((r) => r.error).length;
  console.log(`\nqco-perf: ${report.results.length} cases, ${failed} failed; report written to ${out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
