/**
 * The declarative description of every plot in a report: what is plotted (the rows), how (kind, axes,
 * colours) and which configured values are marked. Pure data — serialised into the page next to the plot's
 * SVG so a reader sees exactly what was drawn — and turned into an Observable Plot chart by render-plot.ts.
 */

export type Datum = Record<string, number | string | boolean | null>;

export interface AxisSpec {
  field: string;
  label: string;
  /** Scale type; default linear (numbers) or band (strings). */
  type?: 'linear' | 'log' | 'symlog' | 'band' | 'point';
  domain?: (number | string)[];
  /** Tick label rotation in degrees (long sample names). */
  tickRotate?: number;
}

/** A vertical (axis x) or horizontal (axis y) line at a configured value. */
export interface RuleSpec {
  axis: 'x' | 'y';
  value: number;
  /** What the value is, e.g. `overlap_fraction_threshold = 0.05`. */
  label: string;
}

export interface ColorSpec {
  field: string;
  label: string;
  domain: string[];
  range: string[];
}

interface BaseSpec {
  id: string;
  title: string;
  /** One sentence under the plot: how to read it, what was left out. */
  caption: string;
  rules?: RuleSpec[];
  /** Fields shown on hover (SVG <title>), in order. */
  tooltip?: string[];
  width?: number;
  height?: number;
}

/** Pre-binned histogram: rows `{x0, x1, count}` (plus `group` when stacked by colour). */
export interface HistogramSpec extends BaseSpec {
  kind: 'histogram';
  x: AxisSpec;
  yLabel: string;
  color?: ColorSpec;
  data: Datum[];
  /** Number of values binned (the histogram's total). */
  n: number;
}

export interface ScatterSpec extends BaseSpec {
  kind: 'scatter';
  x: AxisSpec;
  y: AxisSpec;
  color?: ColorSpec;
  data: Datum[];
}

/** Per-group box plot with every point on top (strip plot). */
export interface StripBoxSpec extends BaseSpec {
  kind: 'strip_box';
  x: AxisSpec;
  y: AxisSpec;
  data: Datum[];
}

export interface BarSpec extends BaseSpec {
  kind: 'bar';
  x: AxisSpec;
  y: AxisSpec;
  color?: ColorSpec;
  data: Datum[];
}

/** Plate map: one cell per well (`row` letter × `column` number), filled by `value`. */
export interface HeatmapSpec extends BaseSpec {
  kind: 'heatmap';
  x: AxisSpec;
  y: AxisSpec;
  fill: { field: string; label: string; domain?: [number, number] };
  data: Datum[];
}

export type PlotSpec = HistogramSpec | ScatterSpec | StripBoxSpec | BarSpec | HeatmapSpec;

/** The colours of the reports (Okabe–Ito colour-blind-safe palette). */
export const COLORS = {
  negative: '#9e9e9e',
  positive: '#e69f00',
  marker: '#56b4e9',
  region: '#d55e00',
  double: '#cc79a7',
  rule: '#d62728',
  bar: '#4e79a7',
} as const;

/** 1, 2 or 5 × 10^k — the step of "nice" bin edges (as d3.tickIncrement chooses them). */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const f = raw / pow;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * pow;
}

/**
 * Equal-width bins with nice edges covering every finite value and every `include` value (the marked
 * thresholds, so a rule never falls outside the axis). A value on an inner edge goes to the bin on its right
 * (bins are [x0, x1)), the maximum into the last bin. Rows: `{x0, x1, count}`, with `group` when `groupOf` is
 * given (one row per bin and group, in `groups` order). Non-finite values are skipped.
 */
export function binValues(
  values: ArrayLike<number>,
  opts: { bins?: number; include?: number[]; groupOf?: (i: number) => string; groups?: string[]; min?: number } = {},
): { rows: Datum[]; n: number } {
  let lo = Infinity;
  let hi = -Infinity;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    n++;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  for (const v of opts.include ?? []) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (opts.min !== undefined && opts.min < lo) lo = opts.min;
  if (lo === Infinity) return { rows: [], n: 0 };
  const step = niceStep(hi - lo || Math.abs(hi) || 1, opts.bins ?? 30);
  const start = Math.floor(lo / step) * step;
  let nb = Math.max(1, Math.ceil((hi - start) / step));
  // the maximum sits exactly on the last edge: give it a bin of its own only if the edge is not already closed
  if (start + nb * step <= hi) nb++;
  const groups = opts.groupOf ? (opts.groups ?? []) : [''];
  const counts = groups.map(() => new Float64Array(nb));
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    let b = Math.floor((v - start) / step);
    if (b >= nb) b = nb - 1;
    if (b < 0) b = 0;
    const g = opts.groupOf ? groups.indexOf(opts.groupOf(i)) : 0;
    if (g >= 0) counts[g][b]++;
  }
  const rows: Datum[] = [];
  const round = (x: number) => Number(x.toPrecision(12)); // 0.1 + 0.2 → 0.3 on the page
  for (let b = 0; b < nb; b++) {
    for (let g = 0; g < groups.length; g++) {
      const row: Datum = { x0: round(start + b * step), x1: round(start + (b + 1) * step), count: counts[g][b] };
      if (opts.groupOf) row.group = groups[g];
      rows.push(row);
    }
  }
  return { rows, n };
}

/**
 * At most `max` row indices, evenly strided, deterministic (the same run gives the same page). Scatter plots
 * of very large runs keep every positive cell and a stride sample of the rest (the caption says so).
 */
export function sampleIndices(n: number, max: number, keep?: (i: number) => boolean): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const kept: number[] = [];
  const others: number[] = [];
  for (let i = 0; i < n; i++) (keep?.(i) ? kept : others).push(i);
  const room = Math.max(0, max - kept.length);
  const picked = room >= others.length ? others : Array.from({ length: room }, (_, t) => others[Math.floor((t * others.length) / room)]);
  return [...kept, ...picked].sort((a, b) => a - b);
}
