/**
 * Single-channel counting workflow (spec 13): end-to-end parity with the original on
 * `2d_single_channel_count` (threshold, size filter, mask, every column of the three sheets, workbook
 * sheet order), hand-computed tables for two ROIs (our membership rule, fix Q1) and z bounds / postfilters,
 * the `cellcoloc run` command on a single-channel YAML, and the error paths.
 * Tolerances as in test/pipeline-parity.test.ts: thresholds exact; masks identical; table values relative
 * 1e-6 (intensity means are float64 here, float32 upstream: fix Q36), 1e-12 for perimeter-based columns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, rmSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readXlsxFile from 'read-excel-file/node';
import { caseDir, readTiffPagesReference, readCsv, readJson, close, type Csv } from './helpers/fixtures.js';
import { configFromFixture } from './helpers/fixture-config.js';
import { runSingleChannelWorkflow, analyzeExistingSingleChannelMasks } from '../src/pipeline/single-channel.js';
import { runWorkflow } from '../src/pipeline/workflow.js';
import { buildSingleChannelTables, VOXEL_PLAUSIBILITY_COLUMNS, singleChannelOverviewColumns } from '../src/tables/single-channel.js';
import { getColumn, type Table } from '../src/core/table.js';
import { defaultModelConfig } from '../src/config/schema.js';
import { main } from '../src/cli/main.js';
import { computeMasks } from '../src/segmentation/cellpose/dynamics/index.js';
import { readCacheEntry } from '../src/segmentation/cellpose/cache.js';

const CASE = '2d_single_channel_count';
const FINE = /perimeter|roundness|eccentricity|ellipticity/;

function compareCsv(sheet: string, ours: Csv, expected: Csv) {
  assert.deepEqual(ours.header, expected.header, `${sheet}: columns`);
  assert.equal(ours.rows.length, expected.rows.length, `${sheet}: row count`);
  for (let r = 0; r < expected.rows.length; r++) {
    for (let c = 0; c < expected.header.length; c++) {
      const name = expected.header[c];
      const e = expected.rows[r][c];
      const o = ours.rows[r][c];
      if (e === '' || e === 'True' || e === 'False') {
        assert.equal(o, e, `${sheet} row ${r} ${name}`);
        continue;
      }
      assert.ok(close(Number(o), Number(e), FINE.test(name) ? 1e-12 : 1e-6), `${sheet} row ${r} ${name}: ours ${o}, original ${e}`);
    }
  }
}

test(`parity ${CASE}: threshold, size filter, mask and every column of the three sheets equal the original`, async () => {
  const dir = caseDir(CASE);
  const out = mkdtempSync(join(tmpdir(), 'cellcoloc-single-'));
  try {
    const config = configFromFixture(dir, { resultsDir: out });
    const res = await runSingleChannelWorkflow(config);
    const th = readJson(join(dir, 'expected', 'thresholds.json'));
    assert.deepEqual([...res.loaded.voxelSizeUm], th.voxel_scale_zyx_resolved); // [1, 0.5, 0.5] from the OME-XML
    assert.equal(res.result.segmentation.length, 1);
    const call = res.result.segmentation[0];
    const exp = th.threshold_calls[0];
    assert.equal(call.roiId, exp.roi_id);
    assert.equal(call.info.threshold, exp.threshold); // 241.4249725341797, bit-exact
    assert.equal(call.info.nValues, exp.n_values); // 11933
    assert.equal(call.info.nLabelsRaw, exp.n_labels_raw); // 24
    // min_object_voxels = 30: 24 → 22 labels, ids 20 and 22 removed (ids kept, no relabelling)
    const size = res.result.filterSteps.find((s) => s.step === 'min_object_voxels')!;
    assert.deepEqual([size.nIn, size.nOut, size.removed], [th.size_filters[0].n_in, th.size_filters[0].n_out, th.size_filters[0].removed_labels]);
    assert.deepEqual(res.summary, [{ roiId: 1, nObjects: 22 }]);

    const stem = 'input.ome';
    const ours = await readTiffPagesReference(join(out, `${stem}_single_channel_masks.tif`));
    const expected = await readTiffPagesReference(join(dir, 'expected', 'single_channel_masks.tif'));
    assert.deepEqual([ours.pages, ours.height, ours.width], [1, 256, 256]);
    // Values, not dtypes: the original writes uint32, CellColoc uint16 when the largest label fits (Fiji).
    assert.ok(ours.data instanceof Uint16Array);
    let diff = 0;
    for (let i = 0; i < expected.data.length; i++) if (ours.data[i] !== expected.data[i]) diff++;
    assert.equal(diff, 0, `${diff} mask voxels differ`);
    // fix Q39: the mask carries the physical voxel size (the original wrote none)
    const head = readFileSync(join(out, `${stem}_single_channel_masks.tif`)).subarray(0, 8192).toString('latin1');
    assert.match(head, /PhysicalSizeX="0\.5"/);
    assert.match(head, /PhysicalSizeY="0\.5"/);
    // fix Q39: the ROI label image is saved also for a whole-image ROI
    const roi = await readTiffPagesReference(join(out, `${stem}_roi_labelmask.tif`));
    const roiExp = await readTiffPagesReference(join(dir, 'expected', 'roi_labels.tif'));
    assert.equal(roi.data.constructor, Uint16Array);
    assert.deepEqual(Array.from(roi.data), Array.from(roiExp.data));

    compareCsv('object_summary', readCsv(join(out, `${stem}_single_channel_objects.csv`)), readCsv(join(dir, 'expected', 'object_summary.csv')));
    compareCsv('voxel_plausibility_check', readCsv(join(out, `${stem}_voxel_plausibility_check.csv`)), readCsv(join(dir, 'expected', 'voxel_plausibility_check.csv')));
    compareCsv('roi_overview', readCsv(join(out, `${stem}_roi_overview.csv`)), readCsv(join(dir, 'expected', 'roi_overview.csv')));
    // Q37: counts are integers in the text too (the fixture, scikit-image 0.19, prints `203`, not `203.0`):
    // with the literal upstream column name holding spaces, the plausibility CSV is byte-identical.
    assert.equal(
      readFileSync(join(out, `${stem}_voxel_plausibility_check.csv`), 'utf8'),
      readFileSync(join(dir, 'expected', 'voxel_plausibility_check.csv'), 'utf8'),
    );

    // Q36: intensity mean in float64 = sum / count exactly (the original: float32 716.916259765625 for object 1)
    const objects = readCsv(join(out, `${stem}_single_channel_objects.csv`));
    const col = (n: string) => objects.header.indexOf(n);
    const row1 = objects.rows[0];
    assert.equal(row1[col('object_label')], '1');
    assert.equal(Number(row1[col('object_mean_intensity')]), 145534 / 203);
    assert.equal(Number(row1[col('object_sum_intensity')]), 145534);

    // workbook: sheets in spec 13.4 order, same header as the CSVs
    const sheets = await readXlsxFile(join(out, `${stem}_single_channel_segmentation.xlsx`));
    assert.deepEqual(
      sheets.map((s) => s.sheet),
      ['object_summary', 'voxel_plausibility_check', 'roi_overview'],
    );
    assert.deepEqual(sheets[1].data[0], VOXEL_PLAUSIBILITY_COLUMNS);
    assert.equal(sheets[0].data.length, 23);
    const manifest = JSON.parse(readFileSync(join(out, `${stem}_run_manifest.json`), 'utf8'));
    assert.deepEqual(manifest.filterSteps[0].removedLabels, [20, 22]);
    assert.equal(manifest.thresholds.objects[0].info.threshold, 241.4249725341797);
    // the resolved config in the single-channel file's sections (no two-channel placeholders)
    assert.deepEqual(manifest.config.single_channel_config, { channel_index: 1 });
    assert.deepEqual(manifest.config.analysis_config, { min_object_voxels: 30 });
    assert.equal(manifest.config.model_config.segmentation_method, 'otsu');
    assert.equal(manifest.config.model_config.threshold_background_sigma, 15);
    assert.equal(manifest.config.channel_config, undefined);
    assert.equal(manifest.config.cell_model_config, undefined);
    assert.deepEqual(
      manifest.outputs.map((o: { file: string }) => o.file).sort(),
      [
        'input.ome_roi_labelmask.tif',
        'input.ome_roi_overview.csv',
        'input.ome_run_manifest.json',
        'input.ome_single_channel_masks.tif',
        'input.ome_single_channel_objects.csv',
        'input.ome_single_channel_segmentation.xlsx',
        'input.ome_voxel_plausibility_check.csv',
      ],
    );
    assert.deepEqual(readdirSync(out).sort(), manifest.outputs.map((o: { file: string }) => o.file).sort());
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

const v = (t: Table, name: string) => Array.from(getColumn(t, name).values);

/**
 * 1×6×8 plane, voxel [1, 0.5, 0.25] µm; ROI 1 = columns 0–3, ROI 2 = columns 4–7.
 * label 1: 2×2 square rows 1–2, cols 0–1, intensity 10 (ROI 1 only);
 * label 5: bar row 4, cols 2–5, intensity 20 (touches both ROIs);
 * label 7: one pixel row 0, col 7, intensity 30 (ROI 2 only).
 */
function twoRoiScene() {
  const Y = 6, X = 8;
  const labels = new Uint32Array(Y * X);
  const intensity = new Uint16Array(Y * X);
  const set = (y: number, x: number, l: number, i: number) => {
    labels[y * X + x] = l;
    intensity[y * X + x] = i;
  };
  for (const [y, x] of [[1, 0], [1, 1], [2, 0], [2, 1]]) set(y, x, 1, 10);
  for (let x = 2; x <= 5; x++) set(4, x, 5, 20);
  set(0, 7, 7, 30);
  const roi = new Uint16Array(Y * X);
  for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) roi[y * X + x] = x < 4 ? 1 : 2;
  return {
    masks: { data: labels, shape: [1, Y, X] as const },
    intensity: { data: intensity, shape: [1, Y, X] as const },
    roi: { data: roi, shape: [Y, X] as const },
  };
}

test('tables by hand: two ROIs, an object touching both (one membership rule, fix Q1)', () => {
  const s = twoRoiScene();
  const t = buildSingleChannelTables({ ...s, voxelSizeUm: [1, 0.5, 0.25], zBounds: null });
  // object_summary: one row per object, roi_id = smallest ROI touched, sorted (roi_id, label)
  assert.deepEqual(v(t.objects, 'roi_id'), [1, 1, 2]);
  assert.deepEqual(v(t.objects, 'object_label'), [1, 5, 7]);
  assert.deepEqual(v(t.objects, 'object_area_px_2d'), [4, 4, 1]);
  assert.deepEqual(v(t.objects, 'object_area_um2_2d'), [0.5, 0.5, 0.125]);
  assert.deepEqual(v(t.objects, 'object_mean_intensity'), [10, 20, 30]);
  assert.deepEqual(v(t.objects, 'object_sum_intensity'), [40, 80, 30]);
  assert.deepEqual(v(t.objects, 'centroid_y'), [1.5, 4, 0]);
  assert.deepEqual(v(t.objects, 'centroid_x'), [0.5, 3.5, 7]);
  assert.ok(v(t.objects, 'object_volume_voxels_3d').every(Number.isNaN)); // 2D: 3D columns NaN

  assert.deepEqual(t.voxelPlausibility.columns.map((c) => c.name), VOXEL_PLAUSIBILITY_COLUMNS);
  assert.deepEqual(v(t.voxelPlausibility, 'roi_id'), [1, 1, 2]);
  assert.deepEqual(v(t.voxelPlausibility, 'object_voxels'), [4, 4, 1]);
  assert.deepEqual(v(t.voxelPlausibility, 'object_voxels - object_voxels_props'), [0, 0, 0]);
  assert.ok(t.voxelPlausibility.columns.every((c) => c.kind === 'int'));

  const o = t.overview;
  assert.deepEqual(o.columns.map((c) => c.name), singleChannelOverviewColumns());
  assert.equal(o.columns.length, 27);
  assert.deepEqual(v(o, 'roi_id'), [1, 2]);
  // label 5 touches both ROIs and counts in both (the original counted rows with roi_id = k: 2 and 1)
  assert.deepEqual(v(o, 'n_objects'), [2, 2]);
  assert.deepEqual(v(o, 'drawn_roi_area_px'), [24, 24]);
  assert.deepEqual(v(o, 'drawn_roi_area_um2'), [3, 3]); // 24 × 0.5 × 0.25
  assert.deepEqual(v(o, 'roi_volume_voxels'), [24, 24]);
  assert.deepEqual(v(o, 'roi_volume_um3'), [3, 3]);
  // ROI 1 covered: 4 px of label 1 + 2 px of label 5; ROI 2: 2 px of label 5 + 1 px of label 7
  assert.deepEqual(v(o, 'object_occupancy_area_px_2d_projection'), [6, 3]);
  assert.deepEqual(v(o, 'object_occupancy_area_um2_2d_projection'), [0.75, 0.375]);
  assert.deepEqual(v(o, 'object_occupancy_coverage_2d_percent'), [25, 12.5]);
  assert.deepEqual(v(o, 'object_occupancy_volume_voxels_3d'), [6, 3]);
  assert.deepEqual(v(o, 'object_occupancy_volume_um3_3d'), [0.75, 0.375]);
  assert.deepEqual(v(o, 'object_occupancy_coverage_3d_percent'), [25, 12.5]);
  // averages over the objects touching the ROI: ROI 1 = {1, 5}, ROI 2 = {5, 7}
  assert.deepEqual(v(o, 'average_object_area_px_2d'), [4, 2.5]);
  assert.deepEqual(v(o, 'average_object_mean_intensity'), [15, 25]);
  assert.deepEqual(v(o, 'average_object_sum_intensity'), [60, 55]);
  assert.deepEqual(v(o, 'average_object_max_intensity'), [15, 25]);
  assert.ok(v(o, 'average_object_volume_voxels_3d').every(Number.isNaN));
});

test('tables by hand: empty masks give the full column sets with 0 rows and n_objects 0', () => {
  const s = twoRoiScene();
  s.masks.data.fill(0);
  const t = buildSingleChannelTables({ ...s, voxelSizeUm: [1, 1, 1], zBounds: null });
  assert.equal(t.objects.rowCount, 0);
  assert.equal(t.objects.columns.length, 20);
  assert.equal(t.voxelPlausibility.rowCount, 0);
  assert.deepEqual(t.voxelPlausibility.columns.map((c) => c.name), VOXEL_PLAUSIBILITY_COLUMNS);
  assert.deepEqual(v(t.overview, 'n_objects'), [0, 0]);
  assert.deepEqual(v(t.overview, 'object_occupancy_coverage_2d_percent'), [0, 0]);
  assert.ok(v(t.overview, 'average_object_area_px_2d').every(Number.isNaN));
});

test('analyzeExistingSingleChannelMasks: min_object_voxels, then the postfilters, in order', () => {
  const s = twoRoiScene();
  const modelConfig = defaultModelConfig({
    segmentationMethod: 'otsu',
    postfilters: ['min_intensity'],
    minIntensityMeasure: 'mean',
    minIntensityThreshold: 15,
  });
  const input = s.masks.data.slice();
  const r = analyzeExistingSingleChannelMasks(
    { image: s.intensity, voxelSizeUm: [1, 1, 1], analysisZBounds: null },
    s.roi,
    s.masks,
    { minObjectVoxels: 2 },
    { modelConfig },
  );
  // size 1 (label 7) < 2 → removed; mean 10 <= 15 (label 1) → removed; label 5 (mean 20) survives, id kept
  assert.deepEqual(
    r.filterSteps.map((f) => [f.step, f.nIn, f.nOut, f.removed]),
    [
      ['min_object_voxels', 3, 2, [7]],
      ['min_intensity', 2, 1, [1]],
    ],
  );
  assert.deepEqual(v(r.tables.objects, 'object_label'), [5]);
  assert.deepEqual(v(r.tables.overview, 'n_objects'), [1, 1]);
  assert.deepEqual([...new Set(r.masks.data)].sort(), [0, 5]);
  assert.deepEqual(s.masks.data, input, 'the caller’s masks are not modified');
});

test('analyzeExistingSingleChannelMasks: z bounds zero the other planes before the size filter; ROI volume = area × depth', () => {
  // 3×2×2: label 1 fills plane 0 (4 voxels), label 2 fills planes 1–2 (8 voxels); one ROI over the plane
  const data = new Uint32Array(12);
  data.fill(1, 0, 4);
  data.fill(2, 4, 12);
  const intensity = new Float32Array(12).fill(7);
  const r = analyzeExistingSingleChannelMasks(
    { image: { data: intensity, shape: [3, 2, 2] }, voxelSizeUm: [2, 1, 1], analysisZBounds: null },
    { data: new Uint16Array(4).fill(1), shape: [2, 2] },
    { data, shape: [3, 2, 2] },
    { minObjectVoxels: 5 },
    { analysisZBounds: [1, 3] },
  );
  assert.deepEqual(r.filterSteps[0].nIn, 1); // label 1 was outside [1, 3)
  assert.deepEqual(v(r.tables.objects, 'object_label'), [2]);
  assert.deepEqual(v(r.tables.objects, 'object_volume_voxels_3d'), [8]);
  assert.deepEqual(v(r.tables.objects, 'object_volume_um3_3d'), [16]);
  assert.deepEqual(v(r.tables.overview, 'roi_volume_voxels'), [8]); // 4 px × 2 planes
  assert.deepEqual(v(r.tables.overview, 'roi_volume_um3'), [16]);
  assert.deepEqual(v(r.tables.overview, 'object_occupancy_coverage_3d_percent'), [100]);
  assert.deepEqual(v(r.tables.overview, 'object_occupancy_area_px_2d_projection'), [4]);
  assert.equal(r.masks.shape[0], 3, 'masks keep the full-stack shape');
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'cellcoloc', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const fixtureImage = () => join(caseDir(CASE), 'input.ome.tif');
/** Runs `fn` with $CELLCOLOC_MODELS pointing at `dir` (an empty models folder: a named model is missing). */
async function withModelsDir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env.CELLCOLOC_MODELS;
  process.env.CELLCOLOC_MODELS = dir;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.CELLCOLOC_MODELS;
    else process.env.CELLCOLOC_MODELS = before;
  }
}

const singleYaml = (image: string, extra = '') => `image: ${image}
results_dir: out
single_channel_config: {channel_index: 1}
model_config: {segmentation_method: otsu, prefilter: gaussian, prefilter_sigma_xy: 0.8, threshold_background_sigma: 15}
analysis_config: {min_object_voxels: 30}
rois: full
${extra}`;

test('cellcoloc run on a single-channel YAML prints the object count per ROI and writes the files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-single-cli-'));
  try {
    writeFileSync(join(dir, 'count.yaml'), singleYaml(fixtureImage()));
    const r = await cli(['run', join(dir, 'count.yaml'), '-q']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^ROI\s+objects$/m);
    assert.match(r.out, /^\s+1\s+22$/m); // the original's 22 objects
    assert.match(r.out, /results: .*out/);
    const files = readdirSync(join(dir, 'out')).sort();
    for (const f of ['single_channel_objects.csv', 'single_channel_masks.tif', 'single_channel_segmentation.xlsx', 'voxel_plausibility_check.csv', 'roi_overview.csv', 'roi_labelmask.tif', 'run_manifest.json']) {
      assert.ok(files.includes(`input.ome_${f}`), `missing input.ome_${f} in ${files.join(', ')}`);
    }
    assert.ok(!files.some((f) => f.includes('cell_colocalization')), 'no two-channel outputs');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('single-channel error paths: one line naming the key, non-zero exit, nothing written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-single-err-'));
  const run = async (name: string, body: string) => {
    writeFileSync(join(dir, name), body);
    const r = await cli(['run', join(dir, name), '-q']);
    assert.equal(r.code, 1, `${name}: exit code`);
    assert.equal(r.out, '');
    assert.equal(r.err.trim().split('\n').length, 1, `${name}: one line: ${r.err}`);
    assert.match(r.err, /^cellcoloc: error: /);
    return r.err;
  };
  try {
    assert.match(
      await run('a.yaml', singleYaml(fixtureImage()).replace('channel_index: 1', 'channel_index: 2')),
      /single_channel_config\.channel_index: expected an index < 2 \(.*input\.ome\.tif has 2 channels\), got 2/,
    );
    assert.match(
      await run('b.yaml', singleYaml(fixtureImage()).replace(/^model_config:.*$/m, '')),
      /b\.yaml: model_config: expected a mapping of model config fields .* because single_channel_config is set/,
    );
    assert.match(
      await run('c.yaml', singleYaml(fixtureImage(), 'channel_config: {cell_channel: 0, marker_channel: 1}\n')),
      /c\.yaml: single_channel_config: expected null when channel_config is set/,
    );
    assert.match(
      await run('d.yaml', singleYaml(fixtureImage()).replace('min_object_voxels: 30', 'min_object_voxels: many')),
      /analysis_config\.min_object_voxels/,
    );
    assert.match(
      await withModelsDir(dir, () =>
        run('f.yaml', singleYaml(fixtureImage()).replace('segmentation_method: otsu', 'segmentation_method: cellpose, model_name_or_path: cpsam') + 'runtime_config: {use_gpu: false}\n'),
      ),
      /Cellpose model "cpsam" not found: looked for .*cpsam\.onnx/,
    );
    assert.ok(!existsSync(join(dir, 'out')), 'no results folder after failed runs');
    // the two-channel entry point refuses a single-channel config instead of guessing channel roles
    writeFileSync(join(dir, 'e.yaml'), singleYaml(fixtureImage()));
    const { loadConfigFile } = await import('../src/config/load-config.js');
    await assert.rejects(runWorkflow(await loadConfigFile(join(dir, 'e.yaml'))), /single_channel_config is set: run it with runSingleChannelWorkflow/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * 4×8×8 uint16 stack, background 10, voxel [2, 0.5, 0.5] µm: object A = 3×3 px on plane 0 (rows/cols 1–3),
 * object B = 3×3 px on planes 2 and 3 (rows/cols 5–7; not touching A even diagonally in a projection), both 200. Otsu on the positive values {10, 200}
 * separates them exactly; no prefilter, no closing, no size cleanup, so the masks are the objects themselves.
 */
function zScene() {
  const Z = 4, Y = 8, X = 8;
  const data = new Uint16Array(Z * Y * X).fill(10);
  const put = (z: number, y0: number, x0: number) => {
    for (let y = y0; y < y0 + 3; y++) for (let x = x0; x < x0 + 3; x++) data[(z * Y + y) * X + x] = 200;
  };
  put(0, 1, 1);
  put(2, 5, 5);
  put(3, 5, 5);
  return { data, shape: [Z, Y, X] as const };
}

const zModel = (extra: Record<string, unknown>) => ({
  segmentation_method: 'otsu',
  prefilter: [],
  threshold_apply_closing: false,
  threshold_min_object_voxels: 1,
  threshold_min_hole_voxels: 1,
  ...extra,
});

async function runZCase(modelExtra: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-single-z-'));
  const { encodeTiffStack } = await import('../src/io/tiff-writer.js');
  writeFileSync(join(dir, 'stack.ome.tif'), encodeTiffStack(zScene(), { voxelSizeUm: [2, 0.5, 0.5] }));
  const { parseConfigObject } = await import('../src/config/load-config.js');
  const config = parseConfigObject(
    {
      image: join(dir, 'stack.ome.tif'),
      results_dir: join(dir, 'out'),
      single_channel_config: { channel_index: 0 },
      model_config: zModel(modelExtra),
      analysis_config: { min_object_voxels: 1 },
    },
    join(dir, 'config.yaml'),
  );
  const res = await runSingleChannelWorkflow(config);
  const mask = await readTiffPagesReference(join(dir, 'out', 'stack.ome_single_channel_masks.tif'));
  const head = readFileSync(join(dir, 'out', 'stack.ome_single_channel_masks.tif')).subarray(0, 8192).toString('latin1');
  return { dir, res, mask, head };
}

const labelsOnPlane = (m: { data: ArrayLike<number>; height: number; width: number }, z: number) => {
  const plane = m.height * m.width;
  const s = new Set<number>();
  for (let i = z * plane; i < (z + 1) * plane; i++) if (m.data[i] !== 0) s.add(m.data[i]);
  return [...s].sort((a, b) => a - b);
};

test('z_crop [2, null]: only planes 2–3 are segmented and measured (spec 12.1); masks keep the full stack', async () => {
  const { dir, res, mask } = await runZCase({ z_crop: [2, null] });
  try {
    assert.deepEqual(res.loaded.analysisZBounds, [2, 4]);
    const o = res.result.tables.objects;
    assert.deepEqual(v(o, 'object_volume_voxels_3d'), [18]); // B only: 3×3×2
    assert.deepEqual(v(o, 'object_volume_um3_3d'), [18 * 2 * 0.5 * 0.5]);
    assert.deepEqual(v(o, 'centroid_z'), [2.5]);
    const ov = res.result.tables.overview;
    assert.deepEqual(v(ov, 'roi_volume_voxels'), [64 * 2]); // depth 2 planes
    assert.deepEqual(v(ov, 'object_occupancy_volume_voxels_3d'), [18]);
    assert.deepEqual(v(ov, 'object_occupancy_area_px_2d_projection'), [9]);
    assert.equal(mask.pages, 4);
    assert.deepEqual([0, 1, 2, 3].map((z) => labelsOnPlane(mask, z).length), [0, 0, 1, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('z_crop [0, 1]: one plane analysed as 2D (fix Q26), exported padded to the full stack', async () => {
  const { dir, res, mask, head } = await runZCase({ z_crop: [0, 1] });
  try {
    const o = res.result.tables.objects;
    assert.deepEqual(v(o, 'object_area_px_2d'), [9]); // A only, 2D branch
    assert.deepEqual(v(o, 'object_area_um2_2d'), [9 * 0.25]);
    assert.deepEqual([v(o, 'centroid_y')[0], v(o, 'centroid_x')[0]], [2, 2]);
    assert.ok(v(o, 'object_volume_voxels_3d').every(Number.isNaN));
    assert.equal(mask.pages, 4);
    assert.deepEqual([0, 1, 2, 3].map((z) => labelsOnPlane(mask, z).length), [1, 0, 0, 0]);
    // A z stack carries ImageJ's description (Fiji shows the z step without Bio-Formats).
    assert.match(head, /ImageJ=[^\n]*\nimages=4\nslices=4\nunit=micron\nspacing=2\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('z_projection max: both objects in one (1, Y, X) view, z spacing 1.0 in the tables (Q24), true spacing in the TIFF', async () => {
  const { dir, res, mask, head } = await runZCase({ z_projection: 'max' });
  try {
    assert.deepEqual([...res.loaded.voxelSizeUm], [1, 0.5, 0.5]);
    const o = res.result.tables.objects;
    assert.deepEqual(v(o, 'object_area_px_2d'), [9, 9]);
    assert.deepEqual(v(o, 'object_max_intensity'), [200, 200]);
    const ov = res.result.tables.overview;
    assert.deepEqual(v(ov, 'n_objects'), [2]);
    assert.deepEqual(v(ov, 'roi_volume_um3'), [64 * 0.25]); // 64 px × 1.0 × 0.5 × 0.5
    assert.equal(mask.pages, 1);
    assert.match(head, /PhysicalSizeZ="2"/);
    const manifest = JSON.parse(readFileSync(join(dir, 'out', 'stack.ome_run_manifest.json'), 'utf8'));
    assert.equal(manifest.zStack.zProjection, 'max');
    assert.deepEqual(manifest.zStack.trueVoxelSizeZyxUm, [2, 0.5, 0.5]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runRoiSingleChannelSegmentation: process_rois false and an all-zero ROI image are value errors naming the key', async () => {
  const { runRoiSingleChannelSegmentation } = await import('../src/pipeline/single-channel.js');
  const s = twoRoiScene();
  const loaded = { image: s.intensity, voxelSizeUm: [1, 1, 1] as [number, number, number], analysisZBounds: null };
  const model = defaultModelConfig({ segmentationMethod: 'otsu' });
  await assert.rejects(
    runRoiSingleChannelSegmentation(loaded, s.roi, model, { minObjectVoxels: 1 }, { processRois: false }),
    /runtime_config\.process_rois is false/,
  );
  await assert.rejects(
    runRoiSingleChannelSegmentation(loaded, { data: new Uint16Array(48), shape: [6, 8] }, model, { minObjectVoxels: 1 }, { processRois: true }),
    /rois: the ROI label image contains no ROI/,
  );
  await assert.rejects(
    runRoiSingleChannelSegmentation(loaded, { data: new Uint16Array(16).fill(1), shape: [4, 4] }, model, { minObjectVoxels: 1 }, { processRois: true }),
    /\(4, 4\).*\(6, 8\)/,
  );
});

test('single-channel workflow with the Cellpose backend (random-weight network): masks, tables and cache agree', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-single-cp-'));
  try {
    const net = join(caseDir('2d_single_channel_count'), '..', '..', 'cellpose', 'v4net', 'cpsam_tiny_random.onnx');
    const yaml = singleYaml(fixtureImage())
      .replace(/^model_config:.*$/m, `model_config: {segmentation_method: cellpose, model_name_or_path: ${net}}`)
      // the random network draws ~25-px blobs (one per 8×8 patch of its tile)
      .replace('min_object_voxels: 30', 'min_object_voxels: 10')
      .concat('runtime_config: {use_gpu: false}\n');
    writeFileSync(join(dir, 'cp.yaml'), yaml);
    const r = await cli(['run', join(dir, 'cp.yaml'), '-q']);
    assert.equal(r.code, 0, r.err);
    const out = join(dir, 'out');
    const masks = await readTiffPagesReference(join(out, 'input.ome_single_channel_masks.tif'));
    const ids = new Set<number>();
    for (const v of masks.data) if (v) ids.add(v);
    assert.ok(ids.size > 0, 'the network yields objects');
    const objects = readCsv(join(out, 'input.ome_single_channel_objects.csv'));
    assert.deepEqual(new Set(objects.rows.map((row) => Number(row[objects.header.indexOf('object_label')]))), ids);
    assert.match(r.out, new RegExp(`^\\s+1\\s+${ids.size}$`, 'm'));
    assert.ok(existsSync(join(out, 'input.ome_cellpose_cache', 'object_roi1.cpcache')));
    const manifest = JSON.parse(readFileSync(join(out, 'input.ome_run_manifest.json'), 'utf8'));
    assert.equal(JSON.stringify(manifest).includes('"cache":"miss"') || JSON.stringify(manifest).includes('"cache": "miss"'), true);

    // cellcoloc refine on the single-channel run (spec 13.2): unchanged thresholds → the same masks and objects;
    // new thresholds → exactly the mask stage's labels on the cached flows (one full ROI), sheets recomputed.
    const objectsCsv = readFileSync(join(out, 'input.ome_single_channel_objects.csv'), 'utf8');
    const same = await cli(['refine', join(dir, 'cp.yaml'), '-q']);
    assert.equal(same.code, 0, same.err);
    assert.match(same.out, /^objects: from cache, cellprob_threshold 0 \(config\), flow_threshold 0.4 \(config\)$/m);
    assert.deepEqual((await readTiffPagesReference(join(out, 'input.ome_single_channel_masks.tif'))).data, masks.data);
    assert.equal(readFileSync(join(out, 'input.ome_single_channel_objects.csv'), 'utf8'), objectsCsv);
    const refined = await cli(['refine', join(dir, 'cp.yaml'), '-q', '--cellprob-threshold', '1.5', '--flow-threshold', '0']);
    assert.equal(refined.code, 0, refined.err);
    const entry = (await readCacheEntry(join(out, 'input.ome_cellpose_cache', 'object_roi1.cpcache')))!;
    const expected = computeMasks(entry.dP, entry.cellprob, entry.header.shape, { ...entry.header.mask, cellprobThreshold: 1.5, flowThreshold: 0 });
    // min_object_voxels 10 then applies to the rebuilt labels (ids kept)
    const counts = new Map<number, number>();
    for (const v of expected) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
    const kept = new Set([...counts].filter(([, c]) => c >= 10).map(([l]) => l));
    const after = await readTiffPagesReference(join(out, 'input.ome_single_channel_masks.tif'));
    let diffs = 0;
    for (let i = 0; i < expected.length; i++) if (after.data[i] !== (kept.has(expected[i]) ? expected[i] : 0)) diffs++;
    assert.equal(diffs, 0, 'refined masks = mask stage + min_object_voxels');
    assert.notEqual(kept.size, ids.size, 'the new threshold changes the objects');
    const objects2 = readCsv(join(out, 'input.ome_single_channel_objects.csv'));
    assert.deepEqual(new Set(objects2.rows.map((row) => Number(row[objects2.header.indexOf('object_label')]))), kept);
    assert.match(refined.out, new RegExp(`^\\s+1\\s+${kept.size}$`, 'm'));
    const m2 = JSON.parse(readFileSync(join(out, 'input.ome_run_manifest.json'), 'utf8'));
    assert.deepEqual(m2.refinement.arguments, { cellprob_threshold: 1.5, flow_threshold: 0 });
    assert.equal(m2.refinement.channels.objects.thresholdSource.cellprob, 'argument');
    // two-channel options on a single-channel config: one clear error, results untouched
    const bad = await cli(['refine', join(dir, 'cp.yaml'), '-q', '--cell-cellprob-threshold', '1']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /--cell-cellprob-threshold: a single-channel config has one channel: use --cellprob-threshold \/ --flow-threshold$/m);
    assert.equal(readCsv(join(out, 'input.ome_single_channel_objects.csv')).rows.length, objects2.rows.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
