/**
 * Report plots (issue 17): the data behind each plot of a run report, from a run folder written by hand here
 * (manifest + CSVs with known values), so every expected count and threshold below is worked out from the
 * constructed rows, not taken from the code. Also: thresholds drawn where the axis puts the configured value
 * (rule position = tick position in the rendered SVG), robust z-scores and QC flags on a constructed outlier,
 * well parsing and the experiment plots' data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunFolder } from '../src/report/run-folder.js';
import { runPlots } from '../src/report/run-plots.js';
import { binValues, niceStep, type HistogramSpec, type ScatterSpec, type PlotSpec } from '../src/report/plot-spec.js';
import { loadPlotRuntime } from '../src/report/load-plot-runtime.js';
import { renderPlot } from '../src/report/render-plot.js';
import { median, parseWell, plateFormat, robustZ } from '../src/report/experiment-qc.js';
import { qcRows } from '../src/report/experiment-report.js';
import { experimentPlots, type SampleRow } from '../src/report/experiment-plots.js';

const CS_HEAD =
  'roi_id,cell_label,cell_voxels,marker_positive,n_overlapping_markers,best_marker_label,best_overlap_voxels,best_overlap_fraction,cell_voxels_props,cell_area_um2_2d,cell_volume_um3_3d';

function manifest(extra: Record<string, unknown> = {}, coloc: Record<string, unknown> = {}) {
  return {
    createdAt: '2026-01-01T00:00:00.000Z',
    package: { name: 'cellcoloc', version: '0.0.0-test' },
    image: { analysedShapeZyx: [1, 40, 50], channelNames: ['DNA', 'pH3'], dtype: 'uint8' },
    voxelSize: { zyxUm: [1, 0.5, 0.5], source: 'config' },
    warnings: [],
    config: {
      image: '/nonexistent/image.tif',
      channel_config: { cell_channel: 0, marker_channel: 1, optional_region_channel: null },
      display_names: { cell: 'Nuclei', marker: 'pH3' },
      colocalization_config: { min_cell_voxels: 40, overlap_fraction_threshold: 0.2, min_overlap_voxels: 10, positivity_rule: 'best_object', ...coloc },
    },
    thresholds: { cell: [{ roiId: 1, box: { yMin: 0, yMax: 40, xMin: 0, xMax: 50 }, info: { method: 'otsu', threshold: 33 } }] },
    filterSteps: [{ channel: 'cell', step: 'min_cell_voxels', nIn: 7, nOut: 5, removedLabels: [6, 7] }],
    ...extra,
  };
}

/**
 * Five cells, 2D, pixel 0.5 µm (0.25 µm² a voxel): areas 12, 15, 15.5, 30, 48 µm² (48, 60, 62, 120, 192 voxels).
 * Overlaps: cell 1 none; cell 2 5 voxels (0.0833); cell 3 31 voxels (0.5); cell 4 12 voxels (0.1); cell 5 96 (0.5).
 * Positive (≥ 0.2 and ≥ 10 voxels): cells 3 and 5.
 */
const CELLS = [
  '1,1,48,False,0,,0,0.0,48,12.0,',
  '1,2,60,False,1,3.0,5,0.08333333333333333,60,15.0,',
  '1,3,62,True,1,1.0,31,0.5,62,15.5,',
  '1,4,120,False,1,2.0,12,0.1,120,30.0,',
  '1,5,192,True,2,4.0,96,0.5,192,48.0,',
];

function writeRun(dir: string, m: object, cells: string[] = CELLS, head = CS_HEAD) {
  writeFileSync(join(dir, 'img_run_manifest.json'), JSON.stringify(m));
  writeFileSync(join(dir, 'img_cell_summary.csv'), [head, ...cells].join('\n') + '\n');
  writeFileSync(join(dir, 'img_roi_coloc_overview.csv'), 'roi_id,n_cells,n_marker_positive_cells,n_marker_objects\n1,5,2,4\n');
}

function withDir(fn: (dir: string) => Promise<void>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-report-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const byId = (plots: PlotSpec[], id: string) => {
  const p = plots.find((x) => x.id === id);
  assert.ok(p, `plot ${id} missing (have ${plots.map((x) => x.id).join(', ')})`);
  return p;
};

/** Count of the histogram bin [x0, x1) that holds `v`, summed over groups. */
function countAt(h: HistogramSpec, v: number, group?: string): number {
  return h.data.filter((d) => (d.x0 as number) <= v && v < (d.x1 as number) && (group === undefined || d.group === group)).reduce((a, d) => a + (d.count as number), 0);
}

test('niceStep and binValues: 1/2/5 steps, [x0, x1) bins, the maximum in the last bin', () => {
  assert.equal(niceStep(48, 40), 2); // 1.2 → 2
  assert.equal(niceStep(1, 40), 0.05); // 0.025 → 0.05
  assert.equal(niceStep(700, 10), 100);
  const { rows, n } = binValues([0, 1, 1.999, 2, 4], { bins: 2 });
  // span 4 / 2 bins → step 2: [0,2) [2,4) [4,6): the maximum 4 sits on an edge and gets the bin [4, 6).
  assert.equal(n, 5);
  assert.deepEqual(rows.map((r) => [r.x0, r.x1, r.count]), [[0, 2, 3], [2, 4, 1], [4, 6, 1]]);
  // NaN skipped; an `include` value widens the range
  const b = binValues([NaN, 5], { bins: 5, include: [0] });
  assert.equal(b.n, 1);
  assert.equal(b.rows[0].x0, 0);
});

test('run plots: cell sizes against min_cell_voxels in µm², counts per bin and positivity group', withDir(async (dir) => {
  writeRun(dir, manifest());
  const run = await readRunFolder(dir);
  const plots = runPlots(run, null);
  const size = byId(plots, 'cell-size') as HistogramSpec;
  assert.equal(size.n, 5);
  assert.equal(size.data.reduce((a, d) => a + (d.count as number), 0), 5);
  // min_cell_voxels 40 × 0.25 µm² = 10 µm²
  assert.deepEqual(size.rules?.map((r) => [r.axis, r.value]), [['x', 10]]);
  assert.match(size.rules![0].label, /min_cell_voxels = 40 \(10 µm²\)/);
  assert.match(size.x.label, /µm²/);
  // bins of width 2 µm² from 0: 12 → [12,14), 15 and 15.5 → [14,16) (one pH3−, one pH3+), 30 → [30,32), 48 → [48,50)
  assert.equal(countAt(size, 12), 1);
  assert.equal(countAt(size, 15), 2);
  assert.equal(countAt(size, 15, 'pH3+'), 1);
  assert.equal(countAt(size, 15, 'pH3−'), 1);
  assert.equal(countAt(size, 30), 1);
  assert.equal(countAt(size, 48, 'pH3+'), 1);
  assert.match(size.caption, /2 removed by this step/);
}));

test('run plots: the overlap distribution and the rule scatter mark overlap_fraction_threshold and min_overlap_voxels', withDir(async (dir) => {
  writeRun(dir, manifest());
  const plots = runPlots(await readRunFolder(dir), null);
  const hist = byId(plots, 'overlap-fraction') as HistogramSpec;
  // cell 1 overlaps nothing: 4 of 5 rows are binned
  assert.equal(hist.n, 4);
  assert.deepEqual(hist.rules?.map((r) => [r.axis, r.value]), [['x', 0.2]]);
  assert.equal(countAt(hist, 0.5, 'pH3+'), 2);
  assert.equal(countAt(hist, 0.5, 'pH3−'), 0);
  assert.equal(countAt(hist, 0.1, 'pH3−'), 1);
  assert.match(hist.caption, /\(1 overlap none/);
  const sc = byId(plots, 'overlap-rule') as ScatterSpec;
  assert.equal(sc.data.length, 5);
  assert.deepEqual(sc.rules?.map((r) => [r.axis, r.value]), [['x', 10], ['y', 0.2]]);
  assert.deepEqual(sc.data.filter((d) => d.group === 'pH3+').map((d) => d.cell_label), [3, 5]);
  // without intensities there is no intensity scatter
  assert.equal(plots.some((p) => p.id === 'marker-intensity'), false);
  // with them: one point per cell that has a value, y = the value given
  const withI = runPlots(await readRunFolder(dir), new Map([[3, 120.5], [5, 80]]));
  const mi = byId(withI, 'marker-intensity') as ScatterSpec;
  assert.deepEqual(mi.data.map((d) => [d.cell_label, d.marker_mean_intensity]), [[3, 120.5], [5, 80]]);
}));

test('run plots: positivity_rule union plots the union columns', withDir(async (dir) => {
  const head = CS_HEAD + ',union_overlap_voxels,union_overlap_fraction';
  const cells = CELLS.map((r, i) => r + [',0,0.0', ',5,0.08333333333333333', ',31,0.5', ',30,0.25', ',150,0.78125'][i]);
  writeRun(dir, manifest({}, { positivity_rule: 'union' }), cells, head);
  const plots = runPlots(await readRunFolder(dir), null);
  const sc = byId(plots, 'overlap-rule') as ScatterSpec;
  assert.equal(sc.x.field, 'union_overlap_voxels');
  assert.deepEqual(sc.data.map((d) => d.union_overlap_fraction), [0, 0.08333333333333333, 0.5, 0.25, 0.78125]);
}));

test('run plots: third channel — the double-positive classes per cell', withDir(async (dir) => {
  const head = CS_HEAD + ',optional_region_positive,n_overlapping_optional_region_objects,best_optional_region_label,best_optional_region_overlap_voxels,best_optional_region_overlap_fraction,marker_and_optional_region_positive';
  const extra = [',False,0,,0,0.0,False', ',True,1,1.0,30,0.5,False', ',True,1,1.0,40,0.6451612903225806,True', ',False,1,2.0,3,0.025,False', ',False,0,,0,0.0,False'];
  writeRun(dir, manifest({}, { evaluate_optional_region_cell_positivity: true }), CELLS.map((r, i) => r + extra[i]), head);
  const plots = runPlots(await readRunFolder(dir), null);
  const dp = byId(plots, 'double-positive') as ScatterSpec;
  const groups = Object.fromEntries(dp.data.map((d) => [d.cell_label, d.group]));
  assert.deepEqual(groups, { 1: 'neither', 2: 'third channel+ only', 3: 'double positive', 4: 'neither', 5: 'pH3+ only' });
  const rh = byId(plots, 'region-overlap-fraction') as HistogramSpec;
  assert.equal(rh.n, 3); // cells 2, 3, 4 overlap a region object
  assert.deepEqual(rh.rules?.map((r) => r.value), [0.2]);
}));

test('run plots: 3D runs plot µm³ with min_cell_voxels × the voxel volume', withDir(async (dir) => {
  const m = manifest({ image: { analysedShapeZyx: [5, 40, 50] }, voxelSize: { zyxUm: [2, 0.5, 0.5], source: 'metadata' } });
  writeRun(dir, m, CELLS.map((r) => r.replace(/,(\d+\.\d+),$/, ',,$1')));
  const size = byId(runPlots(await readRunFolder(dir), null), 'cell-size') as HistogramSpec;
  // 40 voxels × 0.5 µm³
  assert.deepEqual(size.rules?.map((r) => r.value), [20]);
  assert.match(size.x.label, /µm³/);
  assert.equal(size.n, 5);
}));

test('run plots: single-channel objects against min_object_voxels', withDir(async (dir) => {
  const m = {
    image: { analysedShapeZyx: [1, 10, 10] },
    voxelSize: { zyxUm: [1, 2, 2], source: 'config' },
    config: { image: '/nonexistent.tif', single_channel_config: { channel_index: 0 }, analysis_config: { min_object_voxels: 5 } },
    thresholds: {},
  };
  writeFileSync(join(dir, 's_run_manifest.json'), JSON.stringify(m));
  writeFileSync(join(dir, 's_single_channel_objects.csv'), 'roi_id,object_label,object_area_um2_2d,object_volume_um3_3d,object_mean_intensity\n1,1,24.0,,10\n1,2,36.0,,20\n1,3,100.0,,30\n');
  writeFileSync(join(dir, 's_roi_overview.csv'), 'roi_id,n_objects\n1,3\n');
  const run = await readRunFolder(dir);
  assert.equal(run.kind, 'single_channel');
  const plots = runPlots(run, null);
  const size = byId(plots, 'object-size') as HistogramSpec;
  assert.equal(size.n, 3);
  assert.deepEqual(size.rules?.map((r) => r.value), [20]); // 5 voxels × 4 µm²
}));

test('rendered SVG: the threshold rule sits where the x axis puts the configured value', withDir(async (dir) => {
  writeRun(dir, manifest());
  const plots = runPlots(await readRunFolder(dir), null);
  const rt = await loadPlotRuntime();
  const hist = byId(plots, 'overlap-fraction');
  const svg = renderPlot(rt, hist);
  // Vertical rules: <line> elements with x1 = x2 inside a <g aria-label="rule"> (attribute order varies).
  const attrs = (tag: string) => Object.fromEntries([...tag.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const ruleGroups = [...svg.matchAll(/<g [^>]*aria-label="rule"[^>]*>([\s\S]*?)<\/g>/g)].map((m) => m[1]);
  const vertical = ruleGroups.flatMap((g) => [...g.matchAll(/<line[^>]*>/g)].map((l) => attrs(l[0]))).filter((a) => a.x1 === a.x2);
  assert.equal(vertical.length, 1, 'one vertical rule');
  // the x tick labelled 0.2 and its position
  const tickGroup = /<g [^>]*aria-label="x-axis tick label"[^>]*>([\s\S]*?)<\/g>/.exec(svg)![1];
  const tick = [...tickGroup.matchAll(/<text([^>]*)>([^<]*)<\/text>/g)].find((t) => t[2] === '0.2');
  assert.ok(tick, 'a 0.2 tick label');
  const tx = Number(/translate\(([\d.]+),/.exec(attrs(tick[1]).transform)![1]);
  assert.ok(Math.abs(tx - Number(vertical[0].x1)) < 0.6, `rule at x=${vertical[0].x1}, tick 0.2 at x=${tx}`);
  assert.match(svg, /overlap_fraction_threshold = 0\.2/);
  // hover text: each bar carries a <title>
  // bins of 0.02 (span 0.5 / 40 → 0.0125 → 0.02): both positive cells (0.5) in [0.5, 0.52)
  assert.match(svg, /<title>0\.5 – 0\.52 \(pH3\+\): 2<\/title>/);
}));

test('robust z-scores: MAD scale, mean-AD fallback, all-equal', () => {
  // median 100.5; |dev| 0.5 1.5 2.5 0.5 1.5 199.5 → MAD 1.5; z = 0.6745·dev/1.5
  const r = robustZ([100, 102, 98, 101, 99, 300]);
  assert.equal(r.median, 100.5);
  assert.ok(Math.abs(r.z[5] - (0.6745 * 199.5) / 1.5) < 1e-9);
  assert.ok(Math.abs(r.z[2] - (0.6745 * -2.5) / 1.5) < 1e-9);
  // MAD 0: mean |dev| = 4/5 = 0.8 → z(9) = 4 / (1.253314 · 0.8) = 3.9894…
  const f = robustZ([5, 5, 5, 5, 9]);
  assert.ok(Math.abs(f.z[4] - 4 / (1.253314 * 0.8)) < 1e-9);
  assert.deepEqual(robustZ([7, 7, 7]).z, [0, 0, 0]);
  assert.ok(Number.isNaN(robustZ([1, NaN, 2]).z[1]));
  assert.equal(median([3, 1, 2, 10]), 2.5);
});

function sample(name: string, nCells: number, nPositive: number | null, thr: Record<string, number | null>, meta: Record<string, string> = {}): SampleRow {
  return { sample: name, meta, nCells, nPositive, thresholds: thr, reportHref: `samples/${name}/report.html`, thumbnail: new Uint8Array(), kind: 'colocalization' };
}

test('QC: a constructed outlier in cell count and one in a threshold are flagged with the reason; the rest are not', () => {
  const samples = [
    sample('s1', 100, 10, { cell: 30, marker: 40 }),
    sample('s2', 104, 12, { cell: 31, marker: 41 }),
    sample('s3', 98, 9, { cell: 29, marker: 39 }),
    sample('s4', 101, 11, { cell: 30.5, marker: 40.5 }),
    sample('s5', 20, 2, { cell: 30, marker: 40 }), // far too few cells
    sample('s6', 99, 10, { cell: 30, marker: 90 }), // marker threshold off
  ];
  const qc = qcRows(samples);
  assert.deepEqual(qc.metrics, ['cells', 'cell threshold', 'marker threshold']);
  const flagged = Object.fromEntries(qc.rows.filter((r) => r.reasons.length).map((r) => [r.sample, r.reasons]));
  assert.deepEqual(Object.keys(flagged).sort(), ['s5', 's6']);
  // cells: median of 20, 98, 99, 100, 101, 104 = 99.5
  assert.match(flagged.s5[0], /^cells 20 is below the median 99\.5 \(robust z -/);
  assert.match(flagged.s6[0], /^marker threshold 90 is above the median 40\.25/);
  assert.equal(qc.medians.cells, 99.5);
});

test('wells: A01, a1, A-01, B_7 and P24 parse; plate size follows the positions', () => {
  assert.deepEqual(parseWell('A01'), { row: 0, column: 1, label: 'A01' });
  assert.deepEqual(parseWell('a1'), { row: 0, column: 1, label: 'A01' });
  assert.deepEqual(parseWell('A-01'), { row: 0, column: 1, label: 'A01' });
  assert.deepEqual(parseWell('B_7'), { row: 1, column: 7, label: 'B07' });
  assert.deepEqual(parseWell('P24'), { row: 15, column: 24, label: 'P24' });
  for (const bad of ['Q01', 'A25', 'A0', '', 'well1', '1A']) assert.equal(parseWell(bad), null, bad);
  assert.deepEqual(plateFormat([parseWell('H12')!]), { rows: 8, columns: 12 });
  assert.deepEqual(plateFormat([parseWell('H12')!, parseWell('I01')!]), { rows: 16, columns: 24 });
});

test('experiment plots: one strip point per sample with its % positive; cells per sample; plate map only when wells parse', () => {
  const samples = [
    sample('a', 200, 50, {}, { condition: 'ctrl', well: 'A01' }),
    sample('b', 100, 10, {}, { condition: 'ctrl', well: 'A02' }),
    sample('c', 80, 40, {}, { condition: 'drug', well: 'B01' }),
  ];
  const plots = experimentPlots(samples, 'condition');
  const strip = byId(plots, 'positive-by-condition');
  assert.deepEqual(strip.data.map((d) => [d.sample, d.condition, d.percent_positive]), [['a', 'ctrl', 25], ['b', 'ctrl', 10], ['c', 'drug', 50]]);
  assert.deepEqual(strip.tooltip?.[0], 'sample');
  const bars = byId(plots, 'cells-per-sample');
  assert.deepEqual(bars.data.map((d) => [d.sample, d.n_cells]), [['a', 200], ['b', 100], ['c', 80]]);
  const plate = byId(plots, 'plate-map');
  assert.deepEqual(plate.data.map((d) => [d.well, d.row, d.column, d.percent_positive]), [['A01', 'A', 1, 25], ['A02', 'A', 2, 10], ['B01', 'B', 1, 50]]);
  assert.match(plate.title, /96-well/);
  const noPlate = experimentPlots([sample('x', 10, 1, {}, { well: 'somewhere' })], null);
  assert.equal(noPlate.some((p) => p.id === 'plate-map'), false);
});

test('rendered SVG: small histograms count in whole cells; the % axis of the strip plot starts at 0; plate values readable on light wells', withDir(async (dir) => {
  writeRun(dir, manifest());
  const rt = await loadPlotRuntime();
  const tickLabels = (svg: string, axis: 'x' | 'y') =>
    [...(new RegExp(`<g [^>]*aria-label="${axis}-axis tick label"[^>]*>([\\s\\S]*?)</g>`).exec(svg)?.[1] ?? '').matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  // overlap-fraction: the tallest bar holds 2 cells (both positives at 0.5) → ticks 0, 1, 2 and nothing between
  const hist = byId(runPlots(await readRunFolder(dir), null), 'overlap-fraction');
  assert.deepEqual(tickLabels(renderPlot(rt, hist), 'y'), ['0', '1', '2']);
  // strip plot of samples at 25, 10 and 50 % positive: the axis shows 0
  const samples = [sample('a', 200, 50, {}, { condition: 'ctrl', well: 'A01' }), sample('b', 100, 10, {}, { condition: 'ctrl', well: 'A02' }), sample('c', 80, 40, {}, { condition: 'drug', well: 'B01' })];
  const plots = experimentPlots(samples, 'condition');
  assert.equal(tickLabels(renderPlot(rt, byId(plots, 'positive-by-condition')), 'y')[0], '0');
  // plate: 50 % is the top of the range (light yellow in viridis) → black text; 10 % (dark) → white text
  const plate = renderPlot(rt, byId(plots, 'plate-map'));
  const inked = (ink: string) => [...plate.matchAll(new RegExp(`<g [^>]*fill="${ink}"[^>]*>([\\s\\S]*?)</g>`, 'g'))].flatMap((g) => [...g[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]));
  assert.deepEqual(inked('black'), ['50']);
  assert.deepEqual(inked('white').sort(), ['10', '25']);
}));

test('readRunFolder `only`: parses just the named tables (an experiment reads a sample\'s overview), still requires the others to exist', withDir(async (dir) => {
  writeRun(dir, manifest());
  const light = await readRunFolder(dir, undefined, { only: ['roi_coloc_overview'] });
  assert.deepEqual([...light.tables.keys()], ['roi_coloc_overview']);
  rmSync(join(dir, 'img_cell_summary.csv'));
  await assert.rejects(readRunFolder(dir, undefined, { only: ['roi_coloc_overview'] }), /img_cell_summary\.csv: missing/);
}));
