/**
 * The dashboard as one static HTML file: the loaded qco-perf reports embedded as
 * JSON, and the page script (bundled with Observable Plot and d3 at build time)
 * inline, so the page opens offline and from a file:// URL, and everything on it
 * is drawn from the embedded JSON.
 */
import type { LoadedReport } from './model.js';

export type { CaseGroup, LoadedReport, Row, RowRole } from './model.js';
export { caseGroups, displayUnit, displayValue, formatValue, machineKey, runsByMachine } from './model.js';
export { capabilities, recommendations, JOBS, type Capabilities, type Job, type Recommendation } from './recommend.js';
export { formatNs, formatSi, sig3 } from './format.js';

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d232b;background:#fbfbfc;max-width:1500px}
h1{margin:0 0 4px}h2{margin-top:32px;border-bottom:1px solid #d5d9de}
.meta,.detail{color:#4c5561}.detail{font-size:12px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d5d9de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4}.win{font-weight:600;color:#1f7a46}.no,.failed{color:#b23a48}.none{color:#6b7480}
td.num{text-align:right;white-space:nowrap}
dl.provenance{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
figure.case{margin:14px 0 22px;max-width:100%;overflow-x:auto}figcaption{font-weight:600;margin-bottom:2px;overflow-wrap:anywhere}
.direction{font-weight:400;font-size:12px;padding:1px 6px;border-radius:8px;background:#eef1f4}.direction.lower{background:#fdf0e6}
.unit{font-weight:400;color:#4c5561;font-size:12px}.params{color:#6b7480;font-size:12px;overflow-wrap:anywhere}.note{font-size:12px;color:#38414c;max-width:900px;margin:2px 0}
.legend{position:sticky;top:0;background:#fbfbfcee;padding:6px 0;border-bottom:1px solid #e3e6ea;z-index:1}
.legend .swatch{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;border-radius:2px}
ul.issues li.noisy{color:#8a5a00}.scroll{max-width:100%;overflow-x:auto}
`;

/** The whole page for `reports` (oldest first; the newest is the one charted, all of them feed the trend). */
export function renderDashboard(reports: readonly LoadedReport[], pageScript: string): string {
  const newest = reports.at(-1);
  if (!newest) throw new Error('qco-dashboard: no benchmark report to render (run `npm run main` or qco-perf first)');
  const json = JSON.stringify(reports).replace(/</g, '\\u003c');
  const title = `qco benchmarks — ${newest.label}`.replace(/[<&]/g, '');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style></head><body>
<main id="app"></main>
<script type="application/json" id="qco-reports">${json}</script>
<script>${pageScript.replace(/<\/script/gi, '<\\/script')}</script>
</body></html>
`;
}
