/**
 * The dashboard page script: reads the reports embedded in the page
 * (`<script id="qco-reports">`) and builds everything a reader sees from them —
 * the choosing section (jobs and capability matrix), provenance, one chart per
 * case, and the trend of every case across runs, machine by machine.
 */
import type { BenchReport } from '@qco/bench';
import { sig3 } from '../format.js';
import { caseGroups, displayValue, formatValue, isCapability, machineKey, resultKey, runsByMachine, type CaseGroup, type LoadedReport } from '../model.js';
import { capabilities, recommendations, recommendationText, type Capabilities } from '../recommend.js';
import { caseChart, palette, sparkline } from './chart.js';
import { h } from './dom.js';
import { noteFor } from './notes.js';

const yesNo = (v: boolean | undefined, yes = 'yes', no = 'no'): string => (v === undefined ? '—' : v ? yes : no);

function provenance(l: LoadedReport, runs: number): HTMLElement {
  const r = l.report;
  const m = r.machine;
  const load = (x: readonly number[] | undefined): string => (x ? x.map((v) => v.toFixed(2)).join(' / ') : '—');
  const tools = Object.entries(r.tools ?? {}).map(([k, v]) => `${k}: ${v ?? 'not installed'}`);
  const items: Array<[string, string]> = [
    ['commit', r.commit ?? '— (not recorded)'],
    ['run', `${r.startedAt} → ${r.finishedAt}`],
    ['machine', `${m.hostname}: ${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB, ${m.platform}/${m.arch}`],
    ['load average (1/5/15 min)', `before ${load(m.loadBefore)}, after ${load(m.loadAfter)}`],
    ['Node / V8', `${r.node} / ${r.v8}`],
    ['Node environment', r.method?.nodeEnv ?? '— (not recorded)'],
    ['tools', tools.length ? tools.join('; ') : '— (not recorded)'],
    ['baselines', r.method?.baselines ?? 'each suite measured its own baselines (qco-bench/1 report)'],
    ['noise', r.method ? `a case above ±${r.method.maxRme} % is measured again, up to ${r.method.maxTries} tries${r.method.retryBudgetSeconds !== undefined ? ` (no new try after ${r.method.retryBudgetSeconds} s on one case)` : ''}; the try with the smallest margin is kept` : '— (not recorded)'],
    ['runs loaded', String(runs)],
  ];
  return h('dl', { class: 'provenance' }, ...items.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-field': k }, v)]));
}

function recommendTable(report: BenchReport): HTMLElement {
  const rows = recommendations(report).map((rec) =>
    h(
      'tr',
      { 'data-job': rec.job, 'data-backend': rec.best?.backend ?? '', 'data-case': rec.case ?? '' },
      h('td', {}, h('strong', {}, rec.job), h('br'), h('span', { class: 'detail' }, rec.detail)),
      h('td', { class: rec.best ? 'win' : 'none' }, rec.best?.backend ?? '—'),
      h('td', { class: 'why', 'data-value': rec.best ? displayValue(rec.best) : undefined, 'data-key': rec.best ? resultKey(rec.best) : undefined }, recommendationText(rec)),
    ),
  );
  return h('table', { class: 'recommend' }, h('thead', {}, h('tr', {}, h('th', {}, 'job'), h('th', {}, 'pick'), h('th', {}, 'why (this run’s figures)'))), h('tbody', {}, ...rows));
}

function capabilityTable(caps: readonly Capabilities[]): HTMLElement {
  const head = ['backend', 'available here', 'generator bodies', 'plain-function bodies', 'C bodies', 'nesting depth reached', 'live coroutines reached', 'worker_threads', 'needs a C compiler', 'runs in a browser'];
  const num = (v: number | undefined): string => (v === undefined ? '—' : String(v));
  const body = caps.map((c) =>
    h(
      'tr',
      { 'data-backend': c.backend },
      h('th', {}, c.backend),
      h('td', { class: c.available ? 'yes' : 'no' }, c.available ? 'yes' : `no: ${c.reason ?? 'unknown'}`),
      h('td', {}, yesNo(c.available ? c.generatorBodies : undefined)),
      h('td', {}, yesNo(c.available ? c.plainBodies : undefined, 'yes: yield from any depth')),
      h('td', {}, yesNo(c.available ? c.cBodies : undefined, 'yes: yield from any C depth')),
      h('td', { 'data-value': c.nestingDepth }, num(c.nestingDepth)),
      h('td', { 'data-value': c.liveCoroutines }, num(c.liveCoroutines)),
      h('td', {}, yesNo(c.workerThreads)),
      h('td', {}, c.nativeAddon === undefined ? '—' : c.nativeAddon ? 'yes (Node-API addon built at install)' : 'no'),
      h('td', {}, c.nativeAddon === undefined ? '—' : c.nativeAddon ? 'no (native addon)' : 'no native code (not tested in a browser)'),
    ),
  );
  return h('table', { class: 'capabilities' }, h('thead', {}, h('tr', {}, ...head.map((t) => h('th', {}, t)))), h('tbody', {}, ...body));
}

function legend(backends: readonly string[]): HTMLElement {
  const colour = palette(backends);
  const swatch = (label: string, c: string): HTMLElement => h('span', { class: 'swatch' }, h('i', { style: `background:${c}` }), label);
  const fake = (label: string, role: 'backend' | 'baseline' | 'qco'): string => colour({ label, role } as Parameters<typeof colour>[0]);
  return h(
    'p',
    { class: 'legend' },
    ...backends.map((b) => swatch(b, fake(b, 'backend'))),
    swatch('same-run baseline (qemu-img, scp, generator.next(), …)', fake('', 'baseline')),
    swatch('qco, no backend involved', fake('', 'qco')),
    h('span', {}, '★ best measured figure · whiskers: 95 % margin of error'),
  );
}

function figure(g: CaseGroup, colour: ReturnType<typeof palette>): HTMLElement {
  const first = g.rows.at(0)?.result;
  const details: string[] = [];
  if (first?.params) details.push(Object.entries(first.params).map(([k, v]) => `${k}=${String(v)}`).join(' · '));
  for (const row of g.rows) {
    const r = row.result;
    const bits = [r.aio ? `aio=${r.aio}` : '', r.driverOptions ? `driver options: ${Object.entries(r.driverOptions).map(([k, v]) => `${k}=${String(v)}`).join(', ')}` : '', r.info ? `ran: ${Object.entries(r.info).map(([k, v]) => `${k}=${String(v)}`).join(', ')}` : '']
      .filter(Boolean)
      .join('; ');
    if (bits) details.push(`${row.label}: ${bits}`);
  }
  const note = noteFor(g.name);
  return h(
    'figure',
    { class: 'case', 'data-group': g.id, 'data-case': g.name, 'data-better': g.better, 'data-unit': g.unit },
    h('figcaption', {}, h('span', { class: 'name' }, g.name), ' ', h('span', { class: `direction ${g.better}` }, `${g.better} is better`), ' ', h('span', { class: 'unit' }, g.unit)),
    ...details.map((d) => h('div', { class: 'params' }, d)),
    h('div', { class: 'chart' }, caseChart(g, colour)),
    note ? h('p', { class: 'note' }, note) : null,
  );
}

function trend(reports: readonly LoadedReport[]): HTMLElement {
  const out = h('div', {});
  for (const [machine, runs] of runsByMachine(reports)) {
    const keys = new Map<string, { suite: string; case: string; backend: string | null }>();
    for (const { report } of runs) for (const r of report.results) if (!isCapability(r)) keys.set(resultKey(r), { suite: r.suite, case: r.case, backend: r.backend });
    const head = h('tr', {}, h('th', {}, 'suite'), h('th', {}, 'case'), h('th', {}, 'backend'), ...runs.map((l) => h('th', { class: 'run', 'data-started': l.report.startedAt }, l.report.startedAt.replace('T', ' ').slice(0, 16), h('br'), h('span', { class: 'detail' }, l.report.commit?.slice(0, 10) ?? ''))), h('th', {}, 'trend'));
    const body = [...keys.entries()].map(([key, k]) => {
      const found = runs.map(({ report }) => report.results.find((r) => resultKey(r) === key));
      const values = found.map((r) => (r && !r.error ? displayValue(r) : null));
      return h(
        'tr',
        { 'data-key': key },
        h('td', {}, k.suite),
        h('td', {}, k.case),
        h('td', {}, k.backend ?? '—'),
        ...found.map((r) => h('td', { class: 'num', 'data-value': r && !r.error ? displayValue(r) : undefined }, r ? (r.error ? 'failed' : formatValue(r)) : '')),
        h('td', { class: 'spark' }, runs.length > 1 ? sparkline(values) : ''),
      );
    });
    out.append(
      h(
        'div',
        { class: 'machine', 'data-machine': machine },
        h('h3', {}, `Machine ${machine}`, h('span', { class: 'detail' }, ` — ${runs.length} run${runs.length === 1 ? '' : 's'}`)),
        h('div', { class: 'scroll' }, h('table', { class: 'trend' }, h('thead', {}, head), h('tbody', {}, ...body))),
      ),
    );
  }
  return out;
}

function issues(report: BenchReport): HTMLElement {
  const list = h('ul', { class: 'issues' });
  for (const b of report.backends.filter((x) => !x.available)) list.append(h('li', { class: 'unavailable' }, `backend ${b.name} not available here: ${b.reason ?? 'unknown'}`));
  for (const r of report.results.filter((x) => x.noisy)) list.append(h('li', { class: 'noisy', 'data-key': resultKey(r) }, `⚠ noisy: ${r.case}${r.backend ? ` on ${r.backend}` : ''} ±${sig3(r.rme)} % after ${r.tries ?? 1} tries`));
  for (const r of report.results.filter((x) => x.error)) list.append(h('li', { class: 'failed' }, `failed: ${r.suite} ${r.case}${r.backend ? ` on ${r.backend}` : ''}: ${r.error ?? ''}`));
  for (const s of report.skipped ?? []) list.append(h('li', { class: 'skipped' }, `skipped: ${s.suite} ${s.case}${s.backend ? ` on ${s.backend}` : ''}: ${s.reason}`));
  return list;
}

function main(): void {
  const data = document.getElementById('qco-reports')?.textContent;
  const reports = JSON.parse(data ?? '[]') as LoadedReport[];
  const root = document.getElementById('app') as HTMLElement;
  const newest = reports.at(-1);
  if (!newest) {
    root.append(h('p', {}, 'No benchmark report loaded.'));
    return;
  }
  const report = newest.report;
  const backends = report.backends.filter((b) => b.available).map((b) => b.name);
  const colour = palette(backends);
  const groups = caseGroups(report);
  const cross = groups.filter((g) => g.crossBackend);
  const rest = groups.filter((g) => !g.crossBackend);
  const suites = [...new Set(rest.map((g) => g.suite))];
  root.append(
    h('h1', {}, 'qco — which backend to pick'),
    h('p', { class: 'meta' }, `Newest run: ${report.startedAt} on ${machineKey(report)}. Every figure below is from that run and sits beside a baseline measured in the same run; a lone number on a shared machine says little.`),
    h('section', { id: 'choose' }, h('h2', {}, 'Which backend for which job'), recommendTable(report), h('h3', {}, 'What each backend can do (probed in this run)'), capabilityTable(capabilities(report))),
    h('section', { id: 'run' }, h('h2', {}, 'This run'), provenance(newest, reports.length), issues(report)),
    legend(backends),
    h('section', { id: 'cross', class: 'suite' }, h('h2', {}, 'Across backends'), ...cross.map((g) => figure(g, colour))),
    ...suites.map((s) => h('section', { class: 'suite', 'data-suite': s }, h('h2', {}, s), ...rest.filter((g) => g.suite === s).map((g) => figure(g, colour)))),
    h('section', { id: 'history' }, h('h2', {}, 'Trend across runs'), h('p', { class: 'detail' }, 'Each machine’s runs apart: figures from different machines are never put on one line.'), trend(reports)),
  );
  document.body.dataset['ready'] = 'true';
}

main();
