// Opens the dashboard rendered from a real (short) qco-perf report in headless
// Chromium (Debian's, driven by playwright-core) and checks what a reader sees
// against the JSON alone: the pick for each job is the backend with the best
// figure, every number shown equals its JSON value to the digits shown, no label
// overflows its box, a lower-is-better case draws its smaller value with the
// shorter bar, and runs of two machines are kept apart. No timing is asserted:
// whatever the figures are, the page must tell them truthfully.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport, BenchResult } from '@qco/bench';

const app = resolve(__dirname, '..');
const root = resolve(app, '../..');
const work = join(app, '.qco-run');
const reportFile = join(work, 'report.json');
const htmlFile = join(work, 'dashboard.html');
const CHROMIUM = process.env['QCO_CHROMIUM'] ?? '/usr/bin/chromium';
// Cross-backend cases of every kind (JS bodies, C bodies, plain bodies), their one baseline,
// a lower-is-better count (nvme doorbells per request) and a probe of the capability matrix.
const FILTER = '^(coroutine (baseline/generator-next|/perf/yield|capability/nesting-depth) |native/\\S+ c-body/round-trip |asyncify c-body/round-trip |threads plain-body/round-trip |block/nvme sq-doorbells/request depth=64 )';
let browser: Browser;
let report: BenchReport;

const key = (r: BenchResult): string => `${r.suite}|${r.case}|${r.backend ?? ''}`;
const ok = (r: BenchResult): boolean => !r.error && r.opsPerSec > 0;
/** The value in the unit the page shows (MiB/s for byte rates). */
const shown = (r: BenchResult): number => ((r.measure ?? 'rate') === 'rate' && r.unit === 'byte' ? r.opsPerSec / 2 ** 20 : r.opsPerSec);
const better = (r: BenchResult): 'higher' | 'lower' => r.better ?? ((r.measure ?? 'rate') === 'count' ? 'lower' : 'higher');

/** The leading number of a label, SI prefix applied: '31.5 M op/s ±…' → 31.5e6. */
function leadingNumber(text: string): number {
  const m = /^★?\s*([0-9][0-9.]*)(?:\s?([kMG])(?=\s))?/.exec(text.trim());
  if (!m) throw new Error(`no number at the start of "${text}"`);
  return Number(m[1]) * ({ k: 1e3, M: 1e6, G: 1e9 }[m.at(2) ?? ''] ?? 1);
}

/** Equal to three significant digits (what the page shows). */
function expectShownAs(text: string, value: number, what: string): void {
  const n = leadingNumber(text);
  expect(Math.abs(n - value), `${what}: "${text}" vs ${value}`).toBeLessThanOrEqual(Math.abs(value) * 0.005 + 1e-12);
}

async function open(file: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 }).catch(() => {
    throw new Error(`the page did not render: ${errors.join('; ') || 'no error reported'}`);
  });
  return page;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh --peers does)`);
  mkdirSync(work, { recursive: true });
  execFileSync(process.execPath, [join(root, 'packages/bench/dist/perf-cli.js'), '--time', '0.1', '--tries', '1', '--filter', FILTER, '--out', reportFile], { cwd: root, stdio: 'pipe' });
  report = JSON.parse(readFileSync(reportFile, 'utf8')) as BenchReport;
  execFileSync(process.execPath, [join(app, 'dist/cli.js'), reportFile, '--out', htmlFile], { stdio: 'pipe' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 300_000);

afterAll(async () => {
  // Unset when the launch in beforeAll failed.
  await (browser as Browser | undefined)?.close();
});

describe('dashboard in headless Chromium, checked against the JSON alone', () => {
  it('names, for each job, the backend with the best figure of the case that decides it', async () => {
    const page = await open(htmlFile);
    const jobs = page.locator('table.recommend tbody tr');
    expect(await jobs.count()).toBeGreaterThanOrEqual(4);
    let decided = 0;
    for (const row of await jobs.all()) {
      const name = (await row.getAttribute('data-case')) ?? '';
      const picked = (await row.getAttribute('data-backend')) ?? '';
      const candidates = report.results.filter((r) => r.case === name && r.backend !== null && ok(r));
      if (candidates.length === 0) {
        expect(picked).toBe('');
        expect(await row.locator('td.why').textContent()).toContain('not measured');
        continue;
      }
      decided++;
      const dir = better(candidates[0]);
      const best = candidates.reduce((a, b) => (dir === 'higher' ? (b.opsPerSec > a.opsPerSec ? b : a) : b.opsPerSec < a.opsPerSec ? b : a));
      expect(picked, `job decided by ${name}`).toBe(best.backend);
      expect(await row.locator('td.win').textContent()).toBe(best.backend);
      expectShownAs(((await row.locator('td.why').textContent()) ?? '').replace(/^[^:]*:\s*/, '').replace(/^[^(]*\(the only backend that ran it here:\s*/, ''), shown(best), `why ${name}`);
    }
    // JS bodies, C bodies (several stackful backends built here) and plain bodies were measured.
    expect(decided).toBeGreaterThanOrEqual(3);
  });

  it('shows every figure with its JSON value, in charts, the trend table and the capability matrix', async () => {
    const page = await open(htmlFile);
    const results = report.results.filter((r) => !r.case.startsWith('capability/'));
    expect(results.length).toBeGreaterThan(5);
    for (const r of results) {
      const label = page.locator(`[aria-label="value ${key(r)}"]`).first();
      expect(await label.count(), `a label for ${key(r)}`).toBe(1);
      const text = (await label.textContent()) ?? '';
      if (r.error) expect(text).toContain('failed');
      else {
        expectShownAs(text, shown(r), key(r));
        expect(text).toContain(`±${Number(r.rme.toPrecision(3))}`);
        if (r.ratio !== undefined && r.baseline) expect(text).toContain(`× ${r.baseline.case}`);
      }
      const cell = page.locator(`table.trend tr[data-key="${key(r)}"] td.num`).first();
      if (!r.error) {
        expect(Number(await cell.getAttribute('data-value'))).toBe(shown(r));
        expectShownAs((await cell.textContent()) ?? '', shown(r), `trend ${key(r)}`);
      }
    }
    for (const r of report.results.filter((x) => x.case === 'capability/nesting-depth' && !x.error)) {
      const cell = page.locator(`table.capabilities tr[data-backend="${r.backend ?? ''}"] td[data-value]`).first();
      expect(Number(await cell.getAttribute('data-value'))).toBe(r.opsPerSec);
      expect(Number(await cell.textContent())).toBe(r.opsPerSec);
    }
    // Provenance of the run, as recorded.
    expect(await page.locator('dd[data-field="commit"]').textContent()).toBe(report.commit ?? '— (not recorded)');
    expect(await page.locator('dd[data-field="Node / V8"]').textContent()).toBe(`${report.node} / ${report.v8}`);
    expect(await page.locator('dd[data-field="Node environment"]').textContent()).toBe(report.method?.nodeEnv ?? '— (not recorded)');
    await page.screenshot({ path: join(work, 'dashboard.png'), fullPage: true });
  });

  it('clips no label: every chart text lies inside its chart, no table cell overflows', async () => {
    const page = await open(htmlFile);
    const overflow = await page.evaluate(() => {
      const bad: string[] = [];
      for (const svg of document.querySelectorAll('figure.case svg')) {
        const box = svg.getBoundingClientRect();
        for (const t of svg.querySelectorAll('text')) {
          const b = t.getBoundingClientRect();
          if (b.width === 0) continue;
          if (b.left < box.left - 1 || b.right > box.right + 1 || b.top < box.top - 1 || b.bottom > box.bottom + 1) bad.push(`${t.textContent} (${b.left.toFixed(0)}–${b.right.toFixed(0)} in ${box.left.toFixed(0)}–${box.right.toFixed(0)})`);
        }
      }
      for (const el of document.querySelectorAll('td, th, figcaption, dd, li')) {
        const e = el as HTMLElement;
        if (e.scrollWidth > e.clientWidth + 1) bad.push(`${e.tagName} ${e.textContent.slice(0, 60)}`);
      }
      return bad;
    });
    expect(overflow).toEqual([]);
    expect(await page.locator('figure.case svg').count()).toBeGreaterThan(3);
  });

  it('draws the smaller value of a lower-is-better case with the shorter bar', async () => {
    const page = await open(htmlFile);
    const lower = report.results.filter((r) => better(r) === 'lower' && ok(r));
    expect(lower.length, 'the run has a lower-is-better case (nvme doorbells per request)').toBeGreaterThan(0);
    const figures = page.locator('figure.case[data-better="lower"]');
    expect(await figures.count()).toBeGreaterThan(0);
    let compared = 0;
    for (const fig of await figures.all()) {
      const bars: Array<{ value: number; width: number }> = [];
      for (const r of report.results.filter(ok)) {
        const bar = fig.locator(`[aria-label="bar ${key(r)}"]`);
        if ((await bar.count()) === 0) continue;
        const box = await bar.first().boundingBox();
        bars.push({ value: shown(r), width: box?.width ?? 0 });
      }
      expect(bars.length).toBeGreaterThanOrEqual(2);
      const sorted = [...bars].sort((a, b) => a.value - b.value);
      for (let i = 1; i < sorted.length; i++) {
        const [a, b] = [sorted[i - 1], sorted[i]] as [{ value: number; width: number }, { value: number; width: number }];
        if (b.value > a.value) {
          expect(b.width, `${b.value} draws longer than ${a.value}`).toBeGreaterThan(a.width);
          compared++;
        }
      }
      expect(await fig.locator('.direction').textContent()).toBe('lower is better');
    }
    expect(compared).toBeGreaterThan(0);
  });

  it('keeps the runs of two machines apart in the trend', async () => {
    const other: BenchReport = {
      ...report,
      startedAt: '2026-01-01T00:00:00.000Z',
      machine: { ...report.machine, hostname: 'other-machine', cpus: 64, cpuModel: 'Other CPU' },
      results: report.results.map((r) => ({ ...r, opsPerSec: r.opsPerSec * 2 })),
    };
    const otherFile = join(work, 'other.json');
    writeFileSync(otherFile, JSON.stringify(other));
    const html = join(work, 'history.html');
    const out = execFileSync(process.execPath, [join(app, 'dist/cli.js'), reportFile, otherFile, '--out', html], { encoding: 'utf8' });
    expect(out).toContain('2 reports from 2 machines');
    const page = await open(html);
    const machines = page.locator('#history .machine');
    expect(await machines.count()).toBe(2);
    const names = await machines.evaluateAll((els) => els.map((e) => e.getAttribute('data-machine') ?? ''));
    expect(names.some((n) => n.startsWith('other-machine'))).toBe(true);
    expect(names.some((n) => n.startsWith(report.machine.hostname))).toBe(true);
    // Each machine's table holds its own run only, with its own values.
    const r = report.results.find((x) => ok(x) && !x.case.startsWith('capability/')) as BenchResult;
    for (const m of await machines.all()) {
      const mine = ((await m.getAttribute('data-machine')) ?? '').startsWith('other-machine') ? other : report;
      expect(await m.locator('th.run').count()).toBe(1);
      expect(await m.locator('th.run').getAttribute('data-started')).toBe(mine.startedAt);
      const value = Number(await m.locator(`tr[data-key="${key(r)}"] td.num`).getAttribute('data-value'));
      expect(value).toBe(shown(mine.results.find((x) => key(x) === key(r)) as BenchResult));
    }
  });
});
