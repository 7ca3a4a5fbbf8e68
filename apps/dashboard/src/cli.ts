#!/usr/bin/env node
/**
 * qco-dashboard [report.json | folder …] [--out file.html] [--screenshot file.png]
 * Loads qco-perf reports (default: the workspace's bench-results/ folder), writes
 * the dashboard as one static HTML file, and prints its path. With --screenshot it
 * also opens the page in headless Chromium (Debian's, through playwright-core) and
 * saves a full-page picture, when Chromium is installed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchReport } from '@qco/bench';
import { renderDashboard, type LoadedReport } from './render.js';

const distDir = dirname(fileURLToPath(import.meta.url));
const appDir = resolve(distDir, '..');
const root = resolve(appDir, '../..');

const USAGE = 'usage: qco-dashboard [--out FILE.html] [--screenshot FILE.png] [REPORT.json | FOLDER]...';

function load(file: string): LoadedReport {
  let report: BenchReport;
  try {
    report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
  } catch (err) {
    throw new Error(`qco-dashboard: ${file}: not a qco-perf report (${err instanceof Error ? err.message : String(err)})`);
  }
  // Read from a file: the schema is whatever the file says, not what the type promises.
  const schema: unknown = report.schema;
  if (typeof schema !== 'string' || !schema.startsWith('qco-bench/')) throw new Error(`qco-dashboard: ${file}: not a qco-perf report (schema ${String(schema)})`);
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

async function screenshot(html: string, png: string): Promise<void> {
  const chromiumPath = process.env['QCO_CHROMIUM'] ?? '/usr/bin/chromium';
  if (!existsSync(chromiumPath)) {
    console.log(`qco-dashboard: no screenshot: ${chromiumPath} is missing (Debian chromium)`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(pathToFileURL(html).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await page.screenshot({ path: png, fullPage: true });
    console.log(`Screenshot written to ${png}`);
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean', short: 'h' }, out: { type: 'string' }, screenshot: { type: 'string' } } });
  } catch (err) {
    throw new Error(`qco-dashboard: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  const reports = collect(positionals.length ? positionals.map((p) => resolve(p)) : [join(root, 'bench-results')]);
  const out = resolve(values.out ?? join(appDir, 'out', 'index.html'));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, renderDashboard(reports, readFileSync(join(distDir, 'page.global.js'), 'utf8')));
  const machines = new Set(reports.map((r) => r.report.machine.hostname));
  console.log(`qco-dashboard: ${reports.length} report${reports.length === 1 ? '' : 's'} from ${machines.size} machine${machines.size === 1 ? '' : 's'} rendered`);
  console.log(`Dashboard written to ${out}`);
  if (values.screenshot) await screenshot(out, resolve(values.screenshot));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
