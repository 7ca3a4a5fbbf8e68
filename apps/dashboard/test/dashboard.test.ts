// Opens the dashboard rendered from a real qco-perf report in headless Chromium
// (Debian's, driven by playwright-core) and checks what a reader sees: a chart per
// case whose bars carry the backends' names and the numbers of the JSON.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '@qco/bench';
import { formatRate } from '../src/render.js';

const app = resolve(__dirname, '..');
const root = resolve(app, '../..');
const work = join(app, '.qco-run');
const reportFile = join(work, 'report.json');
const htmlFile = join(work, 'dashboard.html');
const CHROMIUM = process.env['QCO_CHROMIUM'] ?? '/usr/bin/chromium';
let browser: Browser;
let report: BenchReport;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh --peers does)`);
  mkdirSync(work, { recursive: true });
  // A real, short benchmark run: the round trip on every backend built here, and its baselines.
  execFileSync(process.execPath, [join(root, 'packages/bench/dist/perf-cli.js'), '--time', '0.1', '--filter', '^coroutine (baseline/|/perf/yield |/perf/lifecycle )', '--out', reportFile], {
    cwd: root,
    stdio: 'pipe',
  });
  report = JSON.parse(readFileSync(reportFile, 'utf8')) as BenchReport;
  execFileSync(process.execPath, [join(app, 'dist/cli.js'), reportFile, '--out', htmlFile], { stdio: 'pipe' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
});

describe('dashboard in headless Chromium', () => {
  it('renders a bar chart per case with the backends and numbers of the JSON', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(pathToFileURL(htmlFile).href);
    expect(await page.title()).toContain('qco benchmarks');
    const backends = report.backends.filter((b) => b.available).map((b) => b.name);
    expect(backends).toContain('generator');
    for (const backend of backends) {
      const row = report.results.find((r) => r.case === '/perf/yield' && r.backend === backend);
      expect(row?.opsPerSec, `${backend} has a /perf/yield result`).toBeGreaterThan(0);
      const bar = page.locator(`figure[data-case="/perf/yield"] g.bar[data-backend="${backend}"]`);
      await expect.poll(() => bar.count()).toBe(1);
      expect(await bar.locator('text.label').textContent()).toBe(backend);
      expect(await bar.locator('text.value').textContent()).toContain(formatRate(row!.opsPerSec));
      expect(Number(await bar.locator('rect').getAttribute('width'))).toBeGreaterThan(1);
    }
    // With two or more backends, the summary names a winner for the round trip.
    if (backends.length > 1) expect(await page.locator('table.summary').textContent()).toContain('/perf/yield');
    // The baseline it is compared with is drawn beside it, with its own number.
    const base = report.results.find((r) => r.case === 'baseline/generator-next');
    const baseBar = page.locator('figure[data-case="/perf/yield"] g.bar[data-case="baseline/generator-next"]');
    expect(await baseBar.locator('text.value').textContent()).toContain(formatRate(base!.opsPerSec));
    // Every case of the report has a chart, and the ratio table names the backend.
    const charts = await page.locator('svg.chart').count();
    expect(charts).toBeGreaterThanOrEqual(new Set(report.results.filter((r) => r.backend).map((r) => r.case)).size);
    expect(await page.locator('table.ratios th').allTextContents()).toEqual(expect.arrayContaining(backends));
    await page.screenshot({ path: join(work, 'dashboard.png'), fullPage: true });
  });

  it('loads several runs from several machines side by side in the history', async () => {
    // A second run, as another machine would have written it (the CLI takes files and folders).
    const other: BenchReport = { ...report, startedAt: '2026-01-01T00:00:00.000Z', machine: { ...report.machine, hostname: 'other-machine' } };
    const otherFile = join(work, 'other.json');
    writeFileSync(otherFile, JSON.stringify(other));
    const html = join(work, 'history.html');
    const out = execFileSync(process.execPath, [join(app, 'dist/cli.js'), reportFile, otherFile, '--out', html], { encoding: 'utf8' });
    expect(out).toContain(`Dashboard written to ${html}`);
    const page = await browser.newPage();
    await page.goto(pathToFileURL(html).href);
    const heads = await page.locator('table.history th').allTextContents();
    expect(heads.some((h) => h.startsWith('other-machine 2026-01-01'))).toBe(true);
    expect(heads.filter((h) => /\d{4}-\d\d-\d\d/.test(h))).toHaveLength(2);
    const yieldRow = page.locator('table.history tr', { hasText: '/perf/yield' }).first();
    expect(await yieldRow.locator('td').count()).toBe(5);
  });
});
