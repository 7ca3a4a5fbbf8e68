/**
 * Renders qco-perf reports (qco-bench/1 JSON) into one static HTML page: for each
 * case a bar chart across backends and the same-run baselines, a ratio table per
 * suite, the history of every loaded run side by side, and a summary of which
 * backend wins what. Charts are inline SVG drawn here, so the page needs no
 * script, no network and no chart library to show its numbers.
 */
import type { BenchReport, BenchResult } from '@qco/bench';

/** A report plus the label it gets on the page. */
export interface LoadedReport {
  readonly label: string;
  readonly report: BenchReport;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** ops/s with an SI prefix. */
export function formatRate(ops: number): string {
  if (!Number.isFinite(ops) || ops <= 0) return '—';
  const units: Array<[number, string]> = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, unit] of units) if (ops >= scale) return `${(ops / scale).toFixed(2)} ${unit}`;
  return ops.toFixed(2);
}

/** Nanoseconds per operation in a readable unit. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}

const PALETTE = ['#2f6fdf', '#e0752d', '#2a9d5c', '#b23a48', '#7a4fd0', '#b08a1e', '#1f8fa3', '#6b6b6b'];
const BASELINE_COLOR = '#9aa3ad';

function colorFor(backend: string | null, backends: readonly string[]): string {
  if (backend === null) return BASELINE_COLOR;
  const i = backends.indexOf(backend);
  return PALETTE[(i < 0 ? backends.length : i) % PALETTE.length] as string;
}

const rowLabel = (r: BenchResult): string => (r.backend === null ? r.case : r.backend);

/** One horizontal bar chart (SVG) of the rows, longest bar = fastest. */
function barChart(rows: readonly BenchResult[], backends: readonly string[], title: string): string {
  const ok = rows.filter((r) => !r.error && r.opsPerSec > 0);
  const max = Math.max(...ok.map((r) => r.opsPerSec), 1);
  const barH = 22;
  const gap = 6;
  const labelW = 230;
  const chartW = 420;
  const valueW = 250;
  const height = rows.length * (barH + gap) + gap;
  const bars = rows
    .map((r, i) => {
      const y = gap + i * (barH + gap);
      const w = r.error ? 0 : Math.max(2, (r.opsPerSec / max) * chartW);
      const ratio = r.ratio !== undefined ? ` · ${r.ratio.toFixed(3)}× ${r.baseline?.case ?? ''}` : '';
      const value = r.error ? `failed: ${r.error.slice(0, 60)}` : `${formatRate(r.opsPerSec)} ${r.unit}/s · ${formatNs(r.nsPerOp)}/${r.unit} ±${r.rme.toFixed(1)}%${ratio}`;
      return `<g class="bar" data-backend="${esc(r.backend ?? 'baseline')}" data-case="${esc(r.case)}" data-ops="${r.opsPerSec}">
  <text x="${labelW - 8}" y="${y + barH * 0.7}" text-anchor="end" class="label">${esc(rowLabel(r))}</text>
  <rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" rx="3" fill="${colorFor(r.backend, backends)}"><title>${esc(`${rowLabel(r)}: ${value}`)}</title></rect>
  <text x="${labelW + w + 6}" y="${y + barH * 0.7}" class="value">${esc(value)}</text>
</g>`;
    })
    .join('\n');
  return `<svg class="chart" role="img" aria-label="${esc(title)}" width="${labelW + chartW + valueW + 260}" height="${height}" xmlns="http://www.w3.org/2000/svg">${bars}</svg>`;
}

interface CaseGroup {
  readonly suite: string;
  readonly name: string;
  readonly rows: BenchResult[];
}

/** Group a report's rows by (suite, case); each group charts its backends and the baselines they name. */
function caseGroups(report: BenchReport): CaseGroup[] {
  const groups = new Map<string, CaseGroup>();
  const baselineNames = new Set(report.results.flatMap((r) => [r.baseline?.case, ...Object.keys(r.ratios ?? {})]).filter((x): x is string => !!x));
  for (const r of report.results) {
    if (r.backend === null && baselineNames.has(r.case)) continue; // drawn beside the cases that use them
    const key = `${r.suite}\u0000${r.case}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { suite: r.suite, name: r.case, rows: [] }));
    g.rows.push(r);
  }
  for (const g of groups.values()) {
    const names = new Set(g.rows.flatMap((r) => [r.baseline?.case, ...Object.keys(r.ratios ?? {})]).filter((x): x is string => !!x));
    for (const name of names) {
      const base = report.results.find((r) => r.suite === g.suite && r.case === name && r.backend === null);
      if (base && !g.rows.includes(base)) g.rows.push(base);
    }
  }
  return [...groups.values()];
}

/** For each case run on two or more backends: the fastest one. */
export function winners(report: BenchReport): Array<{ suite: string; case: string; backend: string; opsPerSec: number; runnerUp?: string; margin?: number }> {
  const out: Array<{ suite: string; case: string; backend: string; opsPerSec: number; runnerUp?: string; margin?: number }> = [];
  for (const g of caseGroups(report)) {
    const ranked = g.rows.filter((r) => r.backend !== null && !r.error && r.opsPerSec > 0).sort((a, b) => b.opsPerSec - a.opsPerSec);
    const [first, second] = ranked;
    if (!first || !second) continue;
    out.push({ suite: g.suite, case: g.name, backend: first.backend as string, opsPerSec: first.opsPerSec, runnerUp: second.backend as string, margin: first.opsPerSec / second.opsPerSec });
  }
  return out;
}

function summary(report: BenchReport): string {
  const wins = winners(report);
  if (wins.length === 0) return '<p>Only one backend was measured in this run: nothing to compare yet.</p>';
  const tally = new Map<string, number>();
  for (const w of wins) tally.set(w.backend, (tally.get(w.backend) ?? 0) + 1);
  const tallyText = [...tally.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([b, n]) => `<strong>${esc(b)}</strong> wins ${n} of ${wins.length}`)
    .join(' · ');
  const rows = wins
    .map(
      (w) =>
        `<tr><td>${esc(w.suite)}</td><td>${esc(w.case)}</td><td class="win">${esc(w.backend)}</td><td>${formatRate(w.opsPerSec)}/s</td><td>${esc(w.runnerUp ?? '')}</td><td>${w.margin ? `${w.margin.toFixed(2)}×` : ''}</td></tr>`,
    )
    .join('\n');
  return `<p class="tally">${tallyText}</p>
<table class="summary"><thead><tr><th>suite</th><th>case</th><th>fastest</th><th>rate</th><th>runner-up</th><th>lead</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function ratioTable(report: BenchReport, suite: string): string {
  const rows = report.results.filter((r) => r.suite === suite && r.backend !== null);
  const backends = [...new Set(rows.map((r) => r.backend as string))];
  const cases = [...new Set(rows.map((r) => r.case))];
  if (backends.length === 0) return '';
  const head = backends.map((b) => `<th>${esc(b)}</th>`).join('');
  const body = cases
    .map((c) => {
      const cells = backends
        .map((b) => {
          const r = rows.find((x) => x.case === c && x.backend === b);
          if (!r) return '<td></td>';
          if (r.error) return '<td class="fail">failed</td>';
          const ratios = Object.entries(r.ratios ?? {});
          const text = ratios.length ? ratios.map(([n, x]) => `${x.toFixed(3)}× <span class="base">${esc(n)}</span>`).join('<br>') : formatRate(r.opsPerSec);
          return `<td>${text}</td>`;
        })
        .join('');
      return `<tr><td>${esc(c)}</td>${cells}</tr>`;
    })
    .join('\n');
  return `<table class="ratios" data-suite="${esc(suite)}"><thead><tr><th>case (speed ÷ same-run baseline)</th>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function history(reports: readonly LoadedReport[]): string {
  if (reports.length < 2) return '<p>One run loaded. Pass several report files (or a folder of them) to compare runs and machines side by side.</p>';
  const keys = new Map<string, { suite: string; case: string; backend: string | null }>();
  for (const { report } of reports) for (const r of report.results) keys.set(`${r.suite}\u0000${r.case}\u0000${r.backend ?? ''}`, { suite: r.suite, case: r.case, backend: r.backend });
  const head = reports.map((l) => `<th>${esc(l.label)}</th>`).join('');
  const body = [...keys.values()]
    .map((k) => {
      const cells = reports
        .map(({ report }) => {
          const r = report.results.find((x) => x.suite === k.suite && x.case === k.case && x.backend === k.backend);
          if (!r) return '<td></td>';
          return `<td>${r.error ? 'failed' : `${formatRate(r.opsPerSec)}/s${r.ratio !== undefined ? ` <span class="base">(${r.ratio.toFixed(3)}×)</span>` : ''}`}</td>`;
        })
        .join('');
      return `<tr><td>${esc(k.suite)}</td><td>${esc(k.case)}</td><td>${esc(k.backend ?? 'baseline')}</td>${cells}</tr>`;
    })
    .join('\n');
  return `<table class="history"><thead><tr><th>suite</th><th>case</th><th>backend</th>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The whole page, for the newest report first in `reports` (history covers them all). */
export function renderDashboard(reports: readonly LoadedReport[]): string {
  const newest = reports[reports.length - 1];
  if (!newest) throw new Error('qco-dashboard: no benchmark report to render (run `npm run main` or qco-perf first)');
  const { report } = newest;
  const backends = report.backends.filter((b) => b.available).map((b) => b.name);
  const suites = [...new Set(report.results.map((r) => r.suite))];
  const sections = suites
    .map((suite) => {
      const charts = caseGroups(report)
        .filter((g) => g.suite === suite)
        .map((g) => `<figure data-case="${esc(g.name)}"><figcaption>${esc(g.name)}${g.rows[0]?.params ? ` <span class="params">${esc(JSON.stringify(g.rows[0].params))}</span>` : ''}</figcaption>${barChart(g.rows, backends, `${suite} ${g.name}`)}</figure>`)
        .join('\n');
      return `<section class="suite" id="suite-${esc(suite)}"><h2>${esc(suite)}</h2>${charts}<h3>Ratios</h3>${ratioTable(report, suite)}</section>`;
    })
    .join('\n');
  const unavailable = report.backends
    .filter((b) => !b.available)
    .map((b) => `<li><strong>${esc(b.name)}</strong>: not available here (${esc(b.reason ?? 'unknown')})</li>`)
    .join('');
  const m = report.machine;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>qco benchmarks — ${esc(newest.label)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d232b;background:#fbfbfc}
h1{margin:0 0 4px}h2{margin-top:32px;border-bottom:1px solid #d5d9de}
.meta{color:#4c5561}figure{margin:12px 0 20px}figcaption{font-weight:600;margin-bottom:4px}
.label{font-size:12px;fill:#1d232b}.value{font-size:12px;fill:#38414c}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d5d9de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4}.win{font-weight:600;color:#1f7a46}.fail{color:#b23a48}.base,.params{color:#6b7480;font-size:12px}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;border-radius:2px}
</style></head><body>
<h1>qco — cross-backend benchmarks</h1>
<p class="meta">Run ${esc(report.startedAt)} on ${esc(m.hostname)} (${m.cpus} × ${esc(m.cpuModel)}, ${m.memGiB} GiB, ${esc(m.platform)}/${esc(m.arch)}), Node ${esc(report.node)}, V8 ${esc(report.v8)}. Every ratio divides a case's rate by a baseline measured in the same run; a lone number on a shared machine says little.</p>
<p class="legend">${backends.map((b) => `<span><i style="background:${colorFor(b, backends)}"></i>${esc(b)}</span>`).join('')}<span><i style="background:${BASELINE_COLOR}"></i>baseline</span></p>
${unavailable ? `<ul class="unavailable">${unavailable}</ul>` : ''}
<h2>Which backend wins what</h2>
${summary(report)}
${sections}
<h2>History</h2>
${history(reports)}
<script type="application/json" id="qco-reports">${JSON.stringify(reports.map((r) => ({ label: r.label, startedAt: r.report.startedAt }))).replace(/</g, '\\u003c')}</script>
</body></html>
`;
}
