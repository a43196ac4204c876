/**
 * PlotSpec → SVG markup with Observable Plot, rendered in Node into a linkedom document (no browser, no canvas).
 * Marks per kind: histogram = `rectY` over the pre-computed bins (stacked by colour group); scatter = `dot`;
 * strip_box = `boxY` + `dot`; bar = `barY`; heatmap = `cell` + `text`. Configured values are `ruleX`/`ruleY`
 * with a text label. Hover text is the SVG `<title>` of each mark (Plot's `title` channel), so it works
 * in a static page without script.
 */
import type { PlotRuntime } from './load-plot-runtime.js';
import { COLORS, type Datum, type PlotSpec, type RuleSpec } from './plot-spec.js';

type Mark = import('@observablehq/plot').Markish;

function titleOf(fields: string[] | undefined): ((d: Datum) => string) | undefined {
  if (!fields?.length) return undefined;
  return (d) => fields.map((f) => `${f}: ${fmtValue(d[f])}`).join('\n');
}

function fmtValue(v: Datum[string]): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(5)));
  return v === null ? '—' : String(v);
}

function ruleMarks(P: PlotRuntime['Plot'], rules: RuleSpec[] | undefined): Mark[] {
  const out: Mark[] = [];
  for (const r of rules ?? []) {
    const style = { stroke: COLORS.rule, strokeWidth: 1.5, strokeDasharray: '5,3' };
    if (r.axis === 'x') {
      out.push(P.ruleX([r.value], style));
      out.push(P.text([r.label], { x: () => r.value, frameAnchor: 'top', dy: -2, lineAnchor: 'bottom', textAnchor: 'start', dx: 3, fill: COLORS.rule, fontSize: 10 }));
    } else {
      out.push(P.ruleY([r.value], style));
      out.push(P.text([r.label], { y: () => r.value, frameAnchor: 'right', dy: -6, textAnchor: 'end', fill: COLORS.rule, fontSize: 10 }));
    }
  }
  return out;
}

/** 0, 1, 10, 100, … up to the data's maximum: readable ticks on a symlog axis (d3's default ticks crowd). */
function powerTicks(data: Datum[], field: string): number[] {
  let max = 0;
  for (const d of data) if (typeof d[field] === 'number' && (d[field] as number) > max) max = d[field] as number;
  const out = [0];
  for (let p = 1; p <= Math.max(10, max * 1.01); p *= 10) out.push(p);
  return out;
}

/** The tallest stacked bar of pre-binned histogram rows (counts of one bin summed over the colour groups). */
function tallestBar(rows: Datum[]): number {
  const perBin = new Map<number, number>();
  for (const r of rows) perBin.set(r.x0 as number, (perBin.get(r.x0 as number) ?? 0) + (r.count as number));
  return Math.max(0, ...perBin.values());
}

function extent(rows: Datum[], field: string): [number, number] {
  const v = rows.map((r) => r[field]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? [Math.min(...v), Math.max(...v)] : [0, 1];
}

/** Whether a value falls in the light upper part (above 60 %) of the viridis range `[lo, hi]`. */
function lightCell(v: Datum[string], [lo, hi]: readonly number[]): boolean {
  return typeof v === 'number' && hi > lo && (v - lo) / (hi - lo) > 0.6;
}

/** SVG (or a <figure> with the SVG and its colour legend) of one plot. */
export function renderPlot(rt: PlotRuntime, spec: PlotSpec): string {
  const P = rt.Plot;
  const { document } = rt.parseHTML('<!doctype html><html><body></body></html>');
  const marks: Mark[] = [];
  const options: Record<string, unknown> = {
    document,
    width: spec.width ?? 560,
    height: spec.height ?? 320,
    marginTop: 28,
    marginRight: 20,
    style: { fontSize: '11px', overflow: 'visible' },
  };
  const colorOpt = (c: { domain: string[]; range: string[]; label: string } | undefined) =>
    c ? { domain: c.domain, range: c.range, legend: true, label: c.label } : undefined;
  switch (spec.kind) {
    case 'histogram': {
      marks.push(
        P.rectY(spec.data, {
          x1: 'x0',
          x2: 'x1',
          y: 'count',
          fill: spec.color ? spec.color.field : COLORS.bar,
          inset: 0.5,
          title: (d: Datum) => `${fmtValue(d.x0)} – ${fmtValue(d.x1)}${d.group ? ` (${d.group})` : ''}: ${d.count}`,
        }),
        P.ruleY([0]),
      );
      options.x = { label: spec.x.label, type: spec.x.type };
      // Counts: whole-number ticks. Below 10, a tick count no larger than the tallest bar keeps d3's step ≥ 1
      // (Plot's default would mark 0.2, 0.4, … cells); from 10 on the default steps are whole already.
      const top = tallestBar(spec.data);
      options.y = { label: spec.yLabel, grid: true, ...(top < 10 ? { ticks: Math.max(1, top) } : {}) };
      options.color = colorOpt(spec.color);
      break;
    }
    case 'scatter': {
      marks.push(
        P.dot(spec.data, {
          x: spec.x.field,
          y: spec.y.field,
          fill: spec.color ? spec.color.field : COLORS.bar,
          r: 2.5,
          fillOpacity: 0.75,
          title: titleOf(spec.tooltip),
        }),
      );
      options.x = { label: spec.x.label, type: spec.x.type, grid: true, ...(spec.x.type === 'symlog' ? { constant: 1, ticks: powerTicks(spec.data, spec.x.field) } : {}) };
      options.y = { label: spec.y.label, type: spec.y.type, grid: true };
      options.color = colorOpt(spec.color);
      break;
    }
    case 'strip_box': {
      marks.push(
        P.boxY(spec.data, { x: spec.x.field, y: spec.y.field, fill: '#e8eef6', stroke: '#555', r: 0 }),
        P.dot(spec.data, { x: spec.x.field, y: spec.y.field, fill: COLORS.bar, r: 3.5, fillOpacity: 0.8, stroke: 'white', strokeWidth: 0.5, title: titleOf(spec.tooltip) }),
      );
      options.x = { label: spec.x.label, domain: spec.x.domain, tickRotate: spec.x.tickRotate };
      // A percentage axis from 0, so that differences between conditions are not magnified.
      options.y = { label: spec.y.label, grid: true, domain: spec.y.domain, zero: true };
      if (spec.x.tickRotate) options.marginBottom = 80;
      break;
    }
    case 'bar': {
      marks.push(
        P.barY(spec.data, { x: spec.x.field, y: spec.y.field, fill: spec.color ? spec.color.field : COLORS.bar, title: titleOf(spec.tooltip) }),
        P.ruleY([0]),
      );
      options.x = { label: spec.x.label, domain: spec.x.domain, tickRotate: spec.x.tickRotate };
      options.y = { label: spec.y.label, grid: true };
      options.color = colorOpt(spec.color);
      if (spec.x.tickRotate) options.marginBottom = 90;
      break;
    }
    case 'heatmap': {
      const fillExtent = spec.fill.domain ?? extent(spec.data, spec.fill.field);
      marks.push(
        P.cell(spec.data, { x: spec.x.field, y: spec.y.field, fill: spec.fill.field, inset: 1, title: titleOf(spec.tooltip) }),
        // Values printed in each well: white on the dark part of viridis, black on its light (yellow-green) part.
        ...(['white', 'black'] as const).map((ink) =>
          P.text(spec.data, {
            x: spec.x.field,
            y: spec.y.field,
            text: (d: Datum) => (typeof d[spec.fill.field] === 'number' ? fmtValue(Math.round((d[spec.fill.field] as number) * 100) / 100) : ''),
            filter: (d: Datum) => (lightCell(d[spec.fill.field], fillExtent) ? ink === 'black' : ink === 'white'),
            fontSize: 8,
            fill: ink,
          }),
        ),
      );
      options.x = { label: spec.x.label, domain: spec.x.domain, axis: 'top', type: 'band' };
      options.y = { label: spec.y.label, domain: spec.y.domain, type: 'band' };
      // A quantized (9-class) scale: its legend is drawn with SVG rects, while a continuous ramp legend needs a
      // <canvas> that linkedom does not have.
      options.color = { type: 'quantize', n: 9, scheme: 'viridis', legend: true, label: spec.fill.label, domain: spec.fill.domain };
      options.marginTop = 40;
      break;
    }
  }
  marks.push(...ruleMarks(P, spec.rules));
  options.marks = marks;
  const el = P.plot(options as Parameters<typeof P.plot>[0]) as unknown as { outerHTML: string };
  return el.outerHTML;
}
