/**
 * `cellcoloc report` and the end-of-run report (issue 17) on real runs: the demo (HT29), a crop run, a
 * single-channel run and a three-channel stack, and an experiment folder built from real single runs
 * (test/helpers/report-experiment.ts). Checks: the report is written by run/demo unless --no-report, holds the
 * sections, overlays and plots, its numbers are the run's tables', it is rebuilt byte-identically from the
 * files alone without touching them, and bad input gives one error line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDemoExperiment, cli, demoConfig, DEMO_IMAGE, DEMO_SAMPLES, overviewCounts } from './helpers/report-experiment.js';
import { writeSyntheticTwoChannel } from '../bench/synthetic.js';
import { openImageStack } from '../src/io/image-stack.js';
import { meanPerLabel } from '../src/report/run-planes.js';
import { parseCsvTable, numberColumn } from '../src/report/csv-table.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cellcoloc-report-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const STEM = 'ht29_dna_ph3.ome';
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** The JSON block every report carries (`<script type="application/json" id="cellcoloc-report">`). */
function reportMeta(html: string): any {
  const m = /<script type="application\/json" id="cellcoloc-report">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'report metadata block');
  return JSON.parse(m[1]);
}

const plotSpecs = (html: string): any[] =>
  [...html.matchAll(/<script type="application\/json" class="plot-spec">([\s\S]*?)<\/script>/g)].map((m) => JSON.parse(m[1]));

test('demo writes report.html by default; its numbers are the tables\'; `report` rebuilds it byte-identically without touching the results', async () => {
  const out = join(dir, 'demo');
  const r = await cli(['demo', '--results-dir', out, '-q']);
  assert.equal(r.code, 0, r.err);
  const path = join(out, 'report.html');
  assert.match(r.out, new RegExp(`report: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const html = readFileSync(path, 'utf8');
  for (const id of ['parameters', 'overview', 'overlays', 'plots', 'files']) assert.match(html, new RegExp(`<section id="${id}">`));
  // parameters that matter: display names, methods, thresholds per ROI and channel, voxel size and its source
  assert.match(html, /DNA \(nuclei\)/);
  assert.match(html, /<b>otsu<\/b>/);
  assert.match(html, /1 × 1 × 1 µm — from config/);
  const manifest = JSON.parse(readFileSync(join(out, `${STEM}_run_manifest.json`), 'utf8'));
  const thr = manifest.thresholds.marker[0].info.threshold as number;
  assert.ok(html.includes(`>${Number(thr.toPrecision(6))}<`), `marker threshold ${thr} in the table`);
  // overlays: one PNG per ROI (1 here)
  assert.equal([...html.matchAll(/<img alt="overlay of ROI (\d+)"[^>]*src="data:image\/png;base64,/g)].length, 1);
  // plots, each with its spec and data in the page
  const specs = plotSpecs(html);
  assert.deepEqual(specs.map((s) => s.id), ['cell-size', 'overlap-fraction', 'overlap-rule', 'marker-intensity']);
  assert.equal([...html.matchAll(/<figure class="plot"[\s\S]*?<svg/g)].length, 4);
  // the configured values are the rules
  const rules = Object.fromEntries(specs.map((s) => [s.id, (s.rules ?? []).map((x: any) => x.value)]));
  assert.deepEqual(rules['cell-size'], [30]); // min_cell_voxels 30 × 1 µm²
  assert.deepEqual(rules['overlap-fraction'], [0.05]);
  assert.deepEqual(rules['overlap-rule'], [10, 0.05]);
  // numbers = the run's tables
  const counts = overviewCounts(out);
  const meta = reportMeta(html);
  assert.equal(meta.summary.nCells, counts.nCells);
  assert.equal(meta.summary.nPositive, counts.nPositive);
  const cs = parseCsvTable(readFileSync(join(out, `${STEM}_cell_summary.csv`), 'utf8'));
  const sizeSpec = specs.find((s) => s.id === 'cell-size');
  assert.equal(sizeSpec.n, cs.rows.length);
  const rule = specs.find((s) => s.id === 'overlap-rule');
  assert.equal(rule.data.filter((d: any) => d.group === 'pH3+').length, counts.nPositive);

  // rebuilt from the files alone: same bytes, results untouched
  const before = Object.fromEntries(readdirSync(out).filter((f) => f !== 'report.html' && !f.endsWith('_report_thumbnail.png')).map((f) => [f, [sha(join(out, f)), statSync(join(out, f)).mtimeMs]]));
  const first = sha(path);
  const r2 = await cli(['report', out, '-q']);
  assert.equal(r2.code, 0, r2.err);
  assert.equal(sha(path), first);
  const afterFiles = Object.fromEntries(Object.keys(before).map((f) => [f, [sha(join(out, f)), statSync(join(out, f)).mtimeMs]]));
  assert.deepEqual(afterFiles, before);
});

test('the per-cell intensity pass agrees with the run\'s own cell_mean_intensity (cell channel, every cell)', async () => {
  const out = join(dir, 'demo');
  const stack = await openImageStack(DEMO_IMAGE);
  const channel = await stack.readChannel(0, 0);
  const mask = await (await openImageStack(join(out, `${STEM}_cell_masks.tif`))).readChannel(0, 0);
  const means = meanPerLabel(mask, channel, channel.data);
  const cs = parseCsvTable(readFileSync(join(out, `${STEM}_cell_summary.csv`), 'utf8'));
  const labels = numberColumn(cs, 'cell_label');
  const expected = numberColumn(cs, 'cell_mean_intensity');
  assert.ok(labels.length > 100);
  for (let i = 0; i < labels.length; i++) assert.ok(Math.abs(means.get(labels[i])! - expected[i]) < 1e-9, `cell ${labels[i]}`);
});

test('run --no-report writes no report; report on a crop run\'s folder works', async () => {
  const cfg = join(dir, 'crop.yaml');
  writeFileSync(cfg, demoConfig('{min_cell_voxels: 30}') + 'runtime_config: {crop_for_testing: [[0, 1], [100, 300], [50, 350]]}\n');
  const r = await cli(['run', cfg, '--results-dir', join(dir, 'crop'), '-q', '--no-report']);
  assert.equal(r.code, 0, r.err);
  const cropDir = join(dir, 'crop', 'crop_z0-1_y100-300_x50-350');
  assert.equal(existsSync(join(cropDir, 'report.html')), false);
  const r2 = await cli(['report', cropDir, '-q']);
  assert.equal(r2.code, 0, r2.err);
  const html = readFileSync(join(cropDir, 'report.html'), 'utf8');
  assert.match(html, /\(crop\)/);
  assert.match(html, /crop_for_testing/);
  // the crop is 200 × 300: the overlay keeps its aspect
  const img = /<img alt="overlay of ROI 1" width="(\d+)" height="(\d+)"/.exec(html)!;
  assert.ok(Math.abs(Number(img[1]) / Number(img[2]) - 300 / 200) < 0.01, `${img[1]} × ${img[2]}`);
});

test('single-channel and three-channel runs get their reports (object sizes; double positives)', async () => {
  const img = join(dir, 'three.ome.tif');
  writeSyntheticTwoChannel(img, { shape: [6, 96, 96], nCells: 14, nMarkers: 14, cellR: [6, 9], markerR: [2.5, 4], cellRz: [2, 3], markerRz: [1.5, 2], seed: 5, channels: 3 });
  writeFileSync(
    join(dir, 'three.yaml'),
    `image: ${img}
channel_config: {cell_channel: 0, marker_channel: 1, optional_region_channel: 2}
cell_model_config: {segmentation_method: otsu}
marker_model_config: {segmentation_method: otsu}
optional_region_model_config: {segmentation_method: otsu}
colocalization_config: {min_cell_voxels: 50, min_overlap_voxels: 5, evaluate_optional_region_cell_positivity: true}
rois: full
`,
  );
  const r = await cli(['run', join(dir, 'three.yaml'), '--results-dir', join(dir, 'three'), '-q']);
  assert.equal(r.code, 0, r.err);
  const html = readFileSync(join(dir, 'three', 'report.html'), 'utf8');
  const ids = plotSpecs(html).map((s) => s.id);
  assert.ok(ids.includes('double-positive') && ids.includes('region-overlap-fraction'), ids.join(','));
  assert.match(html, /µm³/);
  assert.match(html, /three-channel colocalization/);
  writeFileSync(
    join(dir, 'single.yaml'),
    `image: ${img}
single_channel_config: {channel_index: 0}
model_config: {segmentation_method: otsu}
analysis_config: {min_object_voxels: 40}
rois: full
`,
  );
  const r2 = await cli(['run', join(dir, 'single.yaml'), '--results-dir', join(dir, 'single'), '-q']);
  assert.equal(r2.code, 0, r2.err);
  const sh = readFileSync(join(dir, 'single', 'report.html'), 'utf8');
  const spec = plotSpecs(sh).find((s) => s.id === 'object-size');
  assert.ok(spec, 'object-size plot');
  const ov = readFileSync(join(dir, 'single', 'three.ome_roi_overview.csv'), 'utf8').trim().split('\n');
  assert.equal(spec.n, Number(ov[1].split(',')[ov[0].split(',').indexOf('n_objects')]));
  assert.match(sh, /single-channel counting/);
});

test('bad input: one error line, exit 1 — missing folder, empty folder, two runs without --stem', async () => {
  const r = await cli(['report', join(dir, 'nope')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^cellcoloc: error: .*nope: no such folder/);
  assert.equal(r.err.trim().split('\n').length, 1);
  const empty = join(dir, 'empty');
  rmSync(empty, { recursive: true, force: true });
  writeFileSync(join(dir, 'x'), '');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(empty);
  const r2 = await cli(['report', empty]);
  assert.equal(r2.code, 1);
  assert.match(r2.err, /neither a run's results folder .* nor an experiment folder/);
  // two runs in one folder: --stem picks one, the report is <stem>_report.html
  const two = join(dir, 'two');
  mkdirSync(two);
  for (const f of readdirSync(join(dir, 'demo'))) if (f.startsWith(STEM) && !f.endsWith('.png')) copyFileSync(join(dir, 'demo', f), join(two, f));
  for (const f of readdirSync(join(dir, 'demo'))) if (f.startsWith(STEM) && /(manifest\.json|\.csv)$/.test(f)) copyFileSync(join(dir, 'demo', f), join(two, f.replace(STEM, 'other')));
  const r3 = await cli(['report', two]);
  assert.equal(r3.code, 1);
  assert.match(r3.err, /2 run manifests .* --stem/);
  const r4 = await cli(['report', two, '--stem', STEM, '-q']);
  assert.equal(r4.code, 0, r4.err);
  assert.ok(existsSync(join(two, `${STEM}_report.html`)));
  // a corrupt table: one line naming the file
  writeFileSync(join(two, 'other_cell_summary.csv'), 'roi_id,cell_label\n1,2,3\n');
  const r5 = await cli(['report', two, '--stem', 'other']);
  assert.equal(r5.code, 1);
  assert.match(r5.err, /other_cell_summary\.csv: row 2 has 3 fields, expected 2/);
});

test('experiment (a real `cellcoloc batch`): conditions, cells per sample, plate map, QC flag on the outlier, failures and a linked gallery', async () => {
  const built = buildDemoExperiment(join(dir, 'experiment'));
  // the corrupt sample fails alone: exit 1, everything else written — the report included (batch's wiring)
  assert.equal(built.code, 1, built.err);
  const exp = built.out;
  assert.ok(existsSync(join(exp, 'report.html')), `batch wrote no report: ${built.err}`);
  const fromBatch = sha(join(exp, 'report.html'));
  const r = await cli(['report', exp, '-q']);
  assert.equal(r.code, 0, r.err);
  assert.equal(sha(join(exp, 'report.html')), fromBatch, 'rebuilt from the files alone: the same page');
  const html = readFileSync(join(exp, 'report.html'), 'utf8');
  const specs = plotSpecs(html);
  assert.deepEqual(specs.map((s) => s.id), ['positive-by-condition', 'cells-per-sample', 'plate-map']);
  // one point per analysed sample, % positive = the sample's own overview numbers
  const strip = specs[0];
  assert.equal(strip.data.length, DEMO_SAMPLES.length);
  for (const s of DEMO_SAMPLES) {
    const c = overviewCounts(join(exp, 'samples', s.sample));
    const d = strip.data.find((x: any) => x.sample === s.sample);
    assert.equal(d.condition, s.condition);
    assert.ok(Math.abs(d.percent_positive - (100 * c.nPositive) / c.nCells) < 1e-4, s.sample);
    assert.equal(specs[1].data.find((x: any) => x.sample === s.sample).n_cells, c.nCells);
  }
  // a stricter overlap threshold can only lower the positive fraction
  const pctOf = (s: string) => strip.data.find((x: any) => x.sample === s).percent_positive;
  assert.ok(pctOf('s04') <= pctOf('s03') && pctOf('s03') <= pctOf('s01'));
  assert.deepEqual(specs[2].data.map((d: any) => d.well).sort(), ['A01', 'A02', 'B01', 'B02', 'B03']);
  // QC: s05 (min_cell_voxels 150) is the only flagged sample, for its cell count
  const meta = reportMeta(html);
  assert.deepEqual(meta.qcFlagged.map((f: any) => f.sample), ['s05']);
  assert.match(meta.qcFlagged[0].reasons[0], /^cells \d+ is below the median \d+/);
  // failures: the corrupt sample, with batch's error naming the file
  assert.deepEqual(meta.failures.map((f: any) => f.sample), ['s06']);
  assert.match(html, /corrupt\.tif/);
  // gallery: one overlay per sample linking to its run report, which exists
  const links = [...html.matchAll(/<a href="(samples\/[^"]+)" data-sample="([^"]+)"><img[^>]*src="data:image\/png;base64,/g)];
  assert.deepEqual(links.map((l) => l[2]), DEMO_SAMPLES.map((s) => s.sample));
  for (const l of links) assert.ok(existsSync(join(exp, l[1])), l[1]);
  // conditions come from the summary's metadata column
  assert.match(html, /conditions from the column <code>condition<\/code>/);
});

test('experiment: a sample whose report is missing gets one written; a stale one is rewritten', async () => {
  const exp = join(dir, 'experiment', 'out');
  const s02 = join(exp, 'samples', 's02');
  rmSync(join(s02, 'report.html'));
  const r = await cli(['report', exp]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /report of sample s02/);
  assert.ok(existsSync(join(s02, 'report.html')));
  // s03 re-run later (its manifest newer than its report): rewritten; the others are reused
  const future = new Date(Date.now() + 60_000);
  utimesSync(join(exp, 'samples', 's03', `${STEM}_run_manifest.json`), future, future);
  const r2 = await cli(['report', exp]);
  assert.equal(r2.code, 0, r2.err);
  assert.deepEqual([...r2.err.matchAll(/report of sample (\w+)/g)].map((m) => m[1]), ['s03']);
});

test('intensity colocalization (issue 19): per-cell coefficient distributions and the per-ROI table', async () => {
  const cfg = join(dir, 'intensity.yaml');
  writeFileSync(cfg, demoConfig('{min_cell_voxels: 30}') + 'intensity_colocalization_config: {enabled: true}\n');
  const r = await cli(['run', cfg, '--results-dir', join(dir, 'intensity'), '-q']);
  assert.equal(r.code, 0, r.err);
  const html = readFileSync(join(dir, 'intensity', 'report.html'), 'utf8');
  const specs = plotSpecs(html).filter((s) => s.id.startsWith('intensity-'));
  assert.deepEqual(specs.map((s) => s.id), ['intensity-pearson', 'intensity-manders_m1', 'intensity-manders_m2']);
  const t = parseCsvTable(readFileSync(join(dir, 'intensity', `${STEM}_cell_intensity_colocalization.csv`), 'utf8'));
  for (const s of specs) {
    const col = s.id.slice('intensity-'.length);
    const values = numberColumn(t, col).filter(Number.isFinite);
    assert.equal(s.n, values.length, col);
    assert.equal(s.data.reduce((a: number, d: any) => a + d.count, 0), values.length);
  }
  assert.match(html, /<section id="intensity"><h2>Intensity colocalization per ROI<\/h2>/);
  assert.match(html, /<code>pearson<\/code>/);
});
