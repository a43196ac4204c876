/**
 * Build step (scripts/bundle-cli.mjs, after the bundles): V8's code cache of the plotting bundle, taken after a
 * warm-up render of every plot kind the reports draw, so that it holds the bytecode of the functions a report
 * calls and not only of the bundle's top level (load-plot-runtime.ts says why). The warm-up plots are small and
 * synthetic; what they draw does not matter, only which code paths they run.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BUNDLE_FILE, CODE_CACHE_FILE, loadBundle } from './load-plot-runtime.js';
import { COLORS, type Datum, type PlotSpec } from './plot-spec.js';
import { renderPlot } from './render-plot.js';

function warmUpSpecs(): PlotSpec[] {
  const groups = ['neg', 'pos'];
  const color = { field: 'group', label: 'cells', domain: groups, range: [COLORS.negative, COLORS.positive] };
  const bins: Datum[] = [];
  for (let b = 0; b < 12; b++) for (const g of groups) bins.push({ x0: b * 5, x1: b * 5 + 5, count: (b * 7 + g.length) % 9, group: g });
  const points: Datum[] = Array.from({ length: 60 }, (_, i) => ({ a: (i * 37) % 200, b: (i % 10) / 10, group: groups[i % 2], cell_label: i + 1 }));
  const samples: Datum[] = Array.from({ length: 16 }, (_, i) => ({ sample: `s${i}`, condition: ['ctrl', 'drug A', 'drug B'][i % 3], value: (i * 13) % 40, row: 'ABCD'[i % 4], column: String(1 + (i >> 2)) }));
  const base = { title: 'warm-up', caption: '' };
  return [
    { ...base, id: 'h', kind: 'histogram', x: { field: 'x', label: 'size (µm²)' }, yLabel: 'cells', color, data: bins, n: 100, rules: [{ axis: 'x', value: 12, label: 'min_cell_voxels' }] },
    { ...base, id: 'h1', kind: 'histogram', x: { field: 'x', label: 'fraction' }, yLabel: 'cells', data: bins.slice(0, 3).map((d) => ({ x0: d.x0, x1: d.x1, count: 1 })), n: 3 },
    { ...base, id: 's', kind: 'scatter', x: { field: 'a', label: 'voxels', type: 'symlog' }, y: { field: 'b', label: 'fraction' }, color, data: points, tooltip: ['cell_label', 'a', 'b'], rules: [{ axis: 'x', value: 10, label: 'min' }, { axis: 'y', value: 0.5, label: 'threshold' }] },
    { ...base, id: 'sl', kind: 'scatter', x: { field: 'b', label: 'fraction' }, y: { field: 'a', label: 'intensity' }, color, data: points, tooltip: ['cell_label'] },
    { ...base, id: 'b', kind: 'strip_box', x: { field: 'condition', label: 'condition', domain: ['ctrl', 'drug A', 'drug B'], tickRotate: -30 }, y: { field: 'value', label: '% positive', domain: [0, 100] }, data: samples, tooltip: ['sample', 'value'] },
    { ...base, id: 'bar', kind: 'bar', x: { field: 'sample', label: 'sample', domain: samples.map((s) => s.sample as string), tickRotate: -45 }, y: { field: 'value', label: 'cells' }, color: { field: 'condition', label: 'condition', domain: ['ctrl', 'drug A', 'drug B'], range: [COLORS.bar, COLORS.marker, COLORS.double] }, data: samples, tooltip: ['sample', 'value'] },
    { ...base, id: 'm', kind: 'heatmap', x: { field: 'column', label: 'column', domain: ['1', '2', '3', '4'] }, y: { field: 'row', label: 'row', domain: ['A', 'B', 'C', 'D'] }, fill: { field: 'value', label: '% positive' }, data: samples, tooltip: ['sample', 'value'] },
  ];
}

/** Writes `<dir>/plot-runtime.bundle.v8cache` for `<dir>/plot-runtime.bundle.cjs`; returns its size in bytes. */
export function writePlotRuntimeCodeCache(dir: string): number {
  const { exports: rt, script } = loadBundle(resolve(dir, BUNDLE_FILE));
  for (const spec of warmUpSpecs()) renderPlot(rt, spec);
  const cache = script.createCachedData();
  writeFileSync(join(dir, CODE_CACHE_FILE), cache);
  return cache.length;
}
