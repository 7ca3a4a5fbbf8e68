#!/usr/bin/env node
/**
 * qco-dashboard [report.json | folder …] [--out file.html]
 * Loads qco-perf reports (default: the workspace's bench-results/ folder), renders
 * the dashboard, and prints the path of the HTML it wrote.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchReport } from '@qco/bench';
import { renderDashboard, type LoadedReport } from './render.js';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(appDir, '../..');

function load(file: string): LoadedReport {
  const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
  if (!String(report.schema).startsWith('qco-bench/')) throw new Error(`${file}: not a qco-perf report (schema ${String(report.schema)})`);
  return { label: `${report.machine.hostname} ${report.startedAt.replace('T', ' ').slice(0, 19)}`, report };
}

function collect(paths: readonly string[]): LoadedReport[] {
  const files: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new Error(`qco-dashboard: ${p}: no such file or folder`);
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p)) if (f.endsWith('.json') && f !== 'latest.json') files.push(join(p, f));
    } else files.push(p);
  }
  return files.map(load).sort((a, b) => a.report.startedAt.localeCompare(b.report.startedAt));
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' } } });
const reports = collect(positionals.length ? positionals.map((p) => resolve(p)) : [join(root, 'bench-results')]);
const out = resolve(values.out ?? join(appDir, 'out', 'index.html'));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, renderDashboard(reports));
console.log(`qco-dashboard: ${reports.length} report${reports.length === 1 ? '' : 's'} rendered (${reports.map((r) => basename(r.label)).join(', ')})`);
console.log(`Dashboard written to ${out}`);
