/**
 * One case's chart, drawn with Observable Plot: a horizontal bar per row whose
 * length is the value (so a lower-is-better case draws its best row shortest),
 * an error bar from the margin of error, the value label after it, and margins
 * measured from the labels so none is clipped.
 */
import * as Plot from '@observablehq/plot';
import type { CaseGroup, Row } from '../model.js';
import { textWidth } from './dom.js';

const FONT_PX = 12;
const FONT = `${FONT_PX}px system-ui, sans-serif`;
const BAR_H = 24;

/** Colours that mean one thing each: a backend, a same-run baseline, a qco case on no backend. */
export function palette(backends: readonly string[]): (row: Row) => string {
  const colours = ['#2f6fdf', '#e0752d', '#2a9d5c', '#b23a48', '#7a4fd0', '#b08a1e', '#8c564b', '#d4508f'];
  return (row) => {
    if (row.role === 'baseline') return '#9aa3ad';
    if (row.role === 'qco') return '#14746f';
    const i = backends.indexOf(row.label);
    return colours[(i < 0 ? backends.length : i) % colours.length];
  };
}

/** The best row of the group among what was measured (baselines aside). */
export function bestRow(group: CaseGroup): Row | undefined {
  const candidates = group.rows.filter((r) => r.role !== 'baseline' && !r.result.error);
  if (candidates.length < 2) return undefined;
  return candidates.reduce((a, b) => (group.better === 'higher' ? (b.value > a.value ? b : a) : b.value < a.value ? b : a));
}

/** The SVG chart of one group. */
export function caseChart(group: CaseGroup, colour: (row: Row) => string): SVGSVGElement | HTMLElement {
  const best = bestRow(group);
  const label = (row: Row): string => `${row === best ? '★ ' : ''}${row.label}`;
  const labels = new Map(group.rows.map((r) => [r.key, label(r)]));
  const marginLeft = textWidth([...labels.values()], FONT) + 14;
  const marginRight = textWidth(group.rows.map((r) => r.text), FONT) + 16;
  const plotW = 340;
  const max = Math.max(...group.rows.map((r) => r.hi), 0);
  return Plot.plot({
    width: marginLeft + plotW + marginRight,
    height: group.rows.length * BAR_H + 52,
    marginLeft,
    marginRight,
    marginTop: 8,
    marginBottom: 40,
    style: { fontSize: `${FONT_PX}px`, fontFamily: 'system-ui, sans-serif', overflow: 'visible' },
    x: { domain: [0, max > 0 ? max : 1], grid: true, nice: false, label: `${group.unit} (${group.better} is better)`, labelAnchor: 'center', labelArrow: 'none', ticks: 4, ...(max >= 1e4 ? { tickFormat: '~s' } : {}) },
    y: { domain: group.rows.map((r) => r.key), tickFormat: (k: string) => labels.get(k) ?? k, label: null, padding: 0.2 },
    marks: [
      Plot.barX(group.rows, { x: 'value', y: 'key', fill: colour, ariaLabel: (r: Row) => `bar ${r.key}`, title: (r: Row) => `${r.label}: ${r.text}` }),
      Plot.ruleY(group.rows.filter((r) => r.hi > r.lo), { x1: 'lo', x2: 'hi', y: 'key', stroke: '#1d232b', ariaLabel: (r: Row) => `error ${r.key}` }),
      Plot.tickX(group.rows.filter((r) => r.hi > r.lo), { x: 'lo', y: 'key', stroke: '#1d232b', insetTop: 6, insetBottom: 6 }),
      Plot.tickX(group.rows.filter((r) => r.hi > r.lo), { x: 'hi', y: 'key', stroke: '#1d232b', insetTop: 6, insetBottom: 6 }),
      Plot.text(group.rows, { x: 'hi', y: 'key', text: 'text', textAnchor: 'start', dx: 6, fill: (r: Row) => (r.result.error ? '#b23a48' : '#38414c'), ariaLabel: (r: Row) => `value ${r.key}` }),
      Plot.ruleX([0]),
    ],
  });
}

/** A sparkline of one case's values across runs. */
export function sparkline(values: readonly (number | null)[]): SVGSVGElement | HTMLElement {
  const points = values.map((v, i) => ({ i, v })).filter((p): p is { i: number; v: number } => p.v !== null);
  return Plot.plot({
    width: 140,
    height: 30,
    margin: 4,
    axis: null,
    x: { domain: [0, Math.max(1, values.length - 1)] },
    y: { domain: [0, Math.max(...points.map((p) => p.v), 1e-12)] },
    marks: [Plot.line(points, { x: 'i', y: 'v', stroke: '#2f6fdf' }), Plot.dot(points, { x: 'i', y: 'v', r: 2, fill: '#2f6fdf' })],
  });
}
