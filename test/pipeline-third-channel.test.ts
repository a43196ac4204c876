/**
 * Third channel ("optional region", spec 11): end-to-end parity with the original on
 * `3d_three_channel_optional_region` (thresholds of all three channels, the four masks, every sheet incl.
 * `3rd_channel_properties`, `roi_3rd_channel_summary`, the six positivity columns and the overview blocks),
 * the Q30 config error, and a hand-made two-ROI case for the Q8 fix (third-channel labels offset per ROI).
 *
 * Fixes that could matter here, checked explicitly:
 *  - Q8 (third-channel labels without per-ROI offset upstream): the fixture has ONE whole-image ROI, whose
 *    offset is 0 in the original and here, so the region mask is identical (ids 1..3); the two-ROI test below
 *    shows the difference.
 *  - Q7 (clip to the ROI polygon) and Q1/Q4 (polygon instead of bbox membership): a whole-image ROI's polygon
 *    is its bbox and covers every pixel, so nothing changes — the masks and tables are compared unmodified.
 *  - Q3 (one centroid triple), Q36 (float64 intensity sums): as in `pipeline-parity.test.ts`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readXlsxFile from 'read-excel-file/node';
import { caseDir, readTiffPagesReference, readCsv, readJson, close, type Csv } from './helpers/fixtures.js';
import { configFromFixture } from './helpers/fixture-config.js';
import { runWorkflow } from '../src/pipeline/workflow.js';
import { main } from '../src/cli/main.js';
import { runRoiColocalization } from '../src/pipeline/run.js';
import { analyzeExistingMasks } from '../src/pipeline/analyze.js';
import { segmentChannelByRoi } from '../src/segmentation/roi-driver.js';
import { parseConfigObject } from '../src/config/load-config.js';
import { isCellColocError } from '../src/core/errors.js';
import { getColumn, type Table } from '../src/core/table.js';
import type { LoadedImageChannels } from '../src/pipeline/load-images.js';
import type { ModelConfig } from '../src/config/types.js';

const CASE = '3d_three_channel_optional_region';
const SHEETS = [
  'detailed_overlaps',
  'cell_summary',
  'marker_properties',
  '3rd_channel_properties',
  'roi_coloc_overview',
  'roi_cell_summary',
  'roi_marker_summary',
  'roi_3rd_channel_summary',
];
/** Columns compared with relative 1e-12 per spec 7.5.1; all others 1e-6 (float32 intensity sums upstream, Q36). */
const FINE = /perimeter|roundness|eccentricity|ellipticity/;
/** Q3 fix: our single centroid triple is the whole-label centroid the original exported as `centroid_*_x`. */
const RENAMED: Record<string, string> = { centroid_z_x: 'centroid_z', centroid_y_x: 'centroid_y', centroid_x_x: 'centroid_x' };
const DROPPED = new Set(['centroid_z_y', 'centroid_y_y', 'centroid_x_y']);

function ourCsvPath(resultsDir: string, stem: string, sheet: string): string {
  return sheet === 'detailed_overlaps' ? join(resultsDir, `${stem}_cell_colocalization.csv`) : join(resultsDir, `${stem}_${sheet}.csv`);
}

function compareCsv(sheet: string, ours: Csv, expected: Csv) {
  const expectedHeader = expected.header.filter((h) => !DROPPED.has(h)).map((h) => RENAMED[h] ?? h);
  assert.deepEqual(ours.header, expectedHeader, `${sheet}: columns`);
  assert.equal(ours.rows.length, expected.rows.length, `${sheet}: row count`);
  for (let r = 0; r < expected.rows.length; r++) {
    for (let c = 0; c < expected.header.length; c++) {
      const name = expected.header[c];
      if (DROPPED.has(name)) continue;
      const e = expected.rows[r][c];
      const o = ours.rows[r][ours.header.indexOf(RENAMED[name] ?? name)];
      if (e === 'True' || e === 'False' || e === '') {
        assert.equal(o, e, `${sheet} row ${r} ${name}`);
        continue;
      }
      assert.ok(close(Number(o), Number(e), FINE.test(name) ? 1e-12 : 1e-6), `${sheet} row ${r} ${name}: ours ${o}, original ${e}`);
    }
  }
}

async function assertMaskEqual(path: string, expectedPath: string, what: string) {
  const ours = await readTiffPagesReference(path);
  const exp = await readTiffPagesReference(expectedPath);
  assert.deepEqual([ours.pages, ours.height, ours.width], [exp.pages, exp.height, exp.width], `${what}: shape`);
  // Values, not dtypes: the original writes uint32, CellColoc uint16 when the largest label fits (Fiji).
  assert.ok(ours.data instanceof Uint16Array || ours.data instanceof Uint32Array, `${what}: integer labels`);
  let diff = 0;
  for (let i = 0; i < exp.data.length; i++) if (ours.data[i] !== exp.data[i]) diff++;
  assert.equal(diff, 0, `${what}: ${diff} voxels differ`);
}

test(`parity ${CASE}: three thresholds, four masks and every sheet equal the original`, async () => {
  const dir = caseDir(CASE);
  const out = mkdtempSync(join(tmpdir(), 'cellcoloc-third-'));
  try {
    const config = configFromFixture(dir, { resultsDir: out });
    // the fixture's optional_region_model_config and flag reach our config (translation check)
    assert.equal(config.channelConfig.optionalRegionChannel, 2);
    assert.equal(config.optionalRegionModelConfig?.segmentationMethod, 'otsu');
    assert.deepEqual(config.optionalRegionModelConfig?.prefilter, ['gaussian']);
    assert.equal(config.optionalRegionModelConfig?.prefilterSigmaZ, 0.5);
    assert.equal(config.optionalRegionModelConfig?.thresholdMinObjectVoxels, 20);
    assert.equal(config.colocalizationConfig.evaluateOptionalRegionCellPositivity, true);

    const res = await runWorkflow(config);
    const th = readJson(join(dir, 'expected', 'thresholds.json'));
    assert.deepEqual([...res.loaded.voxelSizeUm], th.voxel_scale_zyx_resolved);
    const seg = res.result.segmentation;
    assert.ok(seg.optional_region, 'the third channel was segmented');
    const calls = [
      ...seg.cell.map((c) => ({ role: 'cell', c })),
      ...seg.marker.map((c) => ({ role: 'marker', c })),
      ...seg.optional_region!.map((c) => ({ role: 'optional_region', c })),
    ];
    assert.equal(calls.length, 3);
    for (const exp of th.threshold_calls) {
      const got = calls.find((x) => x.role === exp.channel_role && x.c.roiId === exp.roi_id);
      assert.ok(got, `threshold call ${exp.channel_role} ROI ${exp.roi_id}`);
      // otsu 342.376953125 (cell), li 189.9556884765625 (marker), otsu 226.7819366455078 (third, gaussian σ 1.0/0.5)
      assert.equal(got.c.info.threshold, exp.threshold, `${exp.channel_role} threshold`);
      assert.equal(got.c.info.nValues, exp.n_values);
      assert.equal(got.c.info.nLabelsRaw, exp.n_labels_raw);
    }
    // min_cell_voxels 150 removed cells 6 and 11, as in the original; no postfilters
    const size = res.result.filterSteps.find((s) => s.step === 'min_cell_voxels')!;
    assert.deepEqual([size.nIn, size.nOut, size.removed], [11, 9, [6, 11]]);
    assert.equal(res.result.filterSteps.filter((s) => s.channel === 'optional_region').length, 0);

    const stem = 'input.ome';
    for (const m of ['cell_masks', 'marker_masks', 'positive_cell_masks']) {
      await assertMaskEqual(join(out, `${stem}_${m}.tif`), join(dir, 'expected', `${m}.tif`), m);
    }
    // Q8: one whole-image ROI → offset 0 for its third-channel labels here and upstream: same ids 1..3
    await assertMaskEqual(join(out, `${stem}_region_mask.tif`), join(dir, 'expected', 'region_mask.tif'), 'region_mask');
    const region = await readTiffPagesReference(join(out, `${stem}_region_mask.tif`));
    assert.deepEqual([...new Set(region.data)].sort((a, b) => a - b), [0, 1, 2, 3]);

    for (const sheet of SHEETS) {
      compareCsv(sheet, readCsv(ourCsvPath(out, stem, sheet)), readCsv(join(dir, 'expected', `${sheet}.csv`)));
    }
    // the README's headline numbers, explicitly
    const ov = res.result.tables.overview;
    const v = (name: string) => getColumn(ov, name).values[0];
    assert.deepEqual(
      [v('n_cells'), v('n_marker_positive_cells'), v('n_marker_objects'), v('n_optional_region_positive_cells'), v('n_marker_and_optional_region_positive_cells')],
      [9, 6, 15, 6, 4],
    );
    assert.equal(v('optional_region_occupancy_volume_voxels_3d'), 14961);
    assert.equal(res.result.tables.roiThirdChannelSummary!.rowCount, 1);
    assert.equal(getColumn(res.result.tables.roiThirdChannelSummary!, 'n_3rd_channel_objects').values[0], 3);

    // workbook: spec 7.6 order with the third-channel sheets
    const book = await readXlsxFile(join(out, `${stem}_cell_colocalization.xlsx`));
    assert.deepEqual(
      book.map((s) => s.sheet),
      SHEETS,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('Q30: third-channel positivity without a third channel is a config error naming the key', async () => {
  const dir = caseDir(CASE);
  const out = mkdtempSync(join(tmpdir(), 'cellcoloc-third-'));
  try {
    const base = configFromFixture(dir, { resultsDir: out });
    const noModel = { ...base, optionalRegionModelConfig: null };
    await assert.rejects(runWorkflow(noModel), (err: unknown) => {
      assert.ok(isCellColocError(err, 'ConfigError'), String(err));
      assert.match(
        (err as Error).message,
        /colocalization_config\.evaluate_optional_region_cell_positivity: expected false when optional_region_model_config is null \(no third-channel masks to evaluate, Q30\), got true$/,
      );
      return true;
    });
    const noChannel = { ...base, channelConfig: { ...base.channelConfig, optionalRegionChannel: null } };
    await assert.rejects(runWorkflow(noChannel), (err: unknown) => {
      assert.ok(isCellColocError(err, 'ConfigError'), String(err));
      // the model config without its channel is reported first
      assert.match((err as Error).message, /optional_region_model_config: expected null when channel_config\.optional_region_channel is null/);
      return true;
    });
    // nothing was written before the error
    assert.ok(!existsSync(join(out, 'input.ome_cell_colocalization.xlsx')));
    // the same from a config file: the file name and the key on one line
    await assert.rejects(
      async () =>
        runWorkflow(
          parseConfigObject(
            {
              image: join(dir, 'input.ome.tif'),
              results_dir: out,
              channel_config: { cell_channel: 0, marker_channel: 1 },
              colocalization_config: { evaluate_optional_region_cell_positivity: true },
            },
            '/x/run.yaml',
          ),
        ),
      {
        message:
          '/x/run.yaml: colocalization_config.evaluate_optional_region_cell_positivity: expected false when channel_config.optional_region_channel is null (no third-channel masks to evaluate, Q30), got true',
      },
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Hand-made two-ROI case (Q8)
// ---------------------------------------------------------------------------------------------

/**
 * 2D, 20 × 40 px, voxel 1 × 0.5 × 0.5 µm. ROI 1 = x < 20, ROI 2 = x ≥ 20 (each 400 px). Background 10 in
 * every channel. Cells (100): A rows 2–9 × cols 2–9 (64 px, ROI 1), B rows 2–9 × cols 22–29 (64 px, ROI 2).
 * Third channel: R1 rows 4–8 × cols 4–8 = 100 (25 px, ROI 1), R2 rows 4–8 × cols 24–28 = 200 (25 px, ROI 2).
 * Marker (300): rows 3–7 × cols 23–27 (25 px, inside B).
 * Otsu per ROI crop separates the two grey levels, so each ROI yields one third-channel object with raw label 1.
 */
function handMade(): { loaded: LoadedImageChannels; roi: { data: Uint16Array; shape: [number, number] } } {
  const Y = 20;
  const X = 40;
  const img = (rects: [number, number, number, number, number][]) => {
    const d = new Uint16Array(Y * X).fill(10);
    for (const [y0, y1, x0, x1, v] of rects) for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) d[y * X + x] = v;
    return { data: d, shape: [1, Y, X] as [number, number, number] };
  };
  const roi = new Uint16Array(Y * X);
  for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) roi[y * X + x] = x < 20 ? 1 : 2;
  const loaded: LoadedImageChannels = {
    sourcePaths: ['/hand/made.tif'],
    voxelSizeUm: [1, 0.5, 0.5],
    voxelSizeSource: 'config',
    warnings: [],
    cellImage: img([
      [2, 9, 2, 9, 100],
      [2, 9, 22, 29, 100],
    ]),
    markerImage: img([[3, 7, 23, 27, 300]]),
    optionalRegionImage: img([
      [4, 8, 4, 8, 100],
      [4, 8, 24, 28, 200],
    ]),
    rawShapeTzcyx: [1, 1, 3, Y, X],
    rawZSize: 1,
    is3d: false,
    dtype: 'uint16',
    channelNames: ['cells', 'marker', 'region'],
    timePoint: 0,
    cropForTesting: null,
    analysisZBounds: null,
  };
  return { loaded, roi: { data: roi, shape: [Y, X] } };
}

function otsuConfig(): ModelConfig {
  const c = parseConfigObject(
    { image: 'a.tif', channel_config: { cell_channel: 0, marker_channel: 1 }, cell_model_config: { segmentation_method: 'otsu' } },
    '/x/c.yaml',
  );
  return c.cellModelConfig;
}

const col = (t: Table, name: string) => [...getColumn(t, name).values];

test('Q8: third-channel labels are offset per ROI (two ROIs, hand-computed tables)', async () => {
  const { loaded, roi } = handMade();
  const otsu = otsuConfig();
  assert.deepEqual([otsu.prefilter, otsu.postfilters, otsu.thresholdMinObjectVoxels], [[], [], 10]);
  const coloc = {
    minCellVoxels: 10,
    overlapFractionThreshold: 0.02,
    minOverlapVoxels: 20,
    evaluateOptionalRegionCellPositivity: true,
    positivityRule: 'best_object' as const,
  };
  const res = await runRoiColocalization(loaded, roi, otsu, otsu, coloc, { processRois: true }, { optionalRegionModelConfig: otsu });

  // masks: R1 keeps raw label 1, R2 gets ROI 1's raw maximum (1) as offset → 2 (the original: 1 in both ROIs)
  const rm = res.optionalRegionMasks!;
  const at = (y: number, x: number) => rm.data[y * 40 + x];
  assert.equal(at(6, 6), 1);
  assert.equal(at(6, 26), 2);
  let n1 = 0;
  let n2 = 0;
  for (const v of rm.data) (v === 1 ? n1++ : v === 2 ? n2++ : 0);
  assert.deepEqual([n1, n2], [25, 25]);
  // the original's behaviour (driver without offsets, Q8): both objects get id 1
  const upstream = await segmentChannelByRoi(loaded.optionalRegionImage!, roi, otsu, { zBounds: null, voxelSizeUm: loaded.voxelSizeUm, applyOffsets: false });
  assert.deepEqual([upstream.labels.data[6 * 40 + 6], upstream.labels.data[6 * 40 + 26]], [1, 1]);
  assert.deepEqual(
    res.segmentation.optional_region!.map((c) => [c.roiId, c.info.nLabelsRaw]),
    [
      [1, 1],
      [2, 1],
    ],
  );

  // 3rd_channel_properties: two objects, one per ROI (upstream: one merged 50-px object "1" in ROI 1)
  const p = res.tables.thirdChannelProperties!;
  assert.equal(p.name, '3rd_channel_properties');
  assert.deepEqual(col(p, 'roi_id'), [1, 2]);
  assert.deepEqual(col(p, 'optional_region_label'), [1, 2]);
  assert.deepEqual(col(p, 'centroid_y'), [6, 6]);
  assert.deepEqual(col(p, 'centroid_x'), [6, 26]);
  assert.deepEqual(col(p, 'optional_region_area_px_2d'), [25, 25]);
  assert.deepEqual(col(p, 'optional_region_area_um2_2d'), [6.25, 6.25]); // 25 · 0.5 · 0.5
  assert.deepEqual(col(p, 'optional_region_sum_intensity'), [2500, 5000]);
  assert.deepEqual(col(p, 'optional_region_median_intensity'), [100, 200]);

  const s3 = res.tables.roiThirdChannelSummary!;
  assert.equal(s3.name, 'roi_3rd_channel_summary');
  assert.deepEqual(col(s3, 'roi_id'), [1, 2]);
  assert.deepEqual(col(s3, 'n_3rd_channel_objects'), [1, 1]);
  assert.deepEqual(col(s3, 'average_optional_region_mean_intensity'), [100, 200]);

  // cell_summary: cell 1 (ROI 1) overlaps R1 by 25 px of 64, cell 2 (ROI 2) overlaps R2 — best label 2, not 1
  const s = res.tables.summary;
  const names = s.columns.map((c) => c.name);
  assert.deepEqual(names.slice(-6), [
    'optional_region_positive',
    'n_overlapping_optional_region_objects',
    'best_optional_region_label',
    'best_optional_region_overlap_voxels',
    'best_optional_region_overlap_fraction',
    'marker_and_optional_region_positive',
  ]);
  assert.deepEqual(col(s, 'roi_id'), [1, 2]);
  assert.deepEqual(col(s, 'cell_label'), [1, 2]);
  assert.deepEqual(col(s, 'marker_positive'), [0, 1]);
  assert.deepEqual(col(s, 'optional_region_positive'), [1, 1]);
  assert.deepEqual(col(s, 'n_overlapping_optional_region_objects'), [1, 1]);
  assert.deepEqual(col(s, 'best_optional_region_label'), [1, 2]);
  assert.deepEqual(col(s, 'best_optional_region_overlap_voxels'), [25, 25]);
  assert.deepEqual(col(s, 'best_optional_region_overlap_fraction'), [25 / 64, 25 / 64]);
  assert.deepEqual(col(s, 'marker_and_optional_region_positive'), [0, 1]);

  // overview: counts after roi_volume_um3, occupancy block after the marker block
  const ov = res.tables.overview;
  const on = ov.columns.map((c) => c.name);
  assert.equal(on.indexOf('n_optional_region_positive_cells'), on.indexOf('roi_volume_um3') + 1);
  assert.equal(on.indexOf('optional_region_occupancy_area_px_2d_projection'), on.indexOf('marker_occupancy_coverage_3d_percent') + 1);
  assert.equal(on.length, 28);
  assert.deepEqual(col(ov, 'n_optional_region_positive_cells'), [1, 1]);
  assert.deepEqual(col(ov, 'n_marker_and_optional_region_positive_cells'), [0, 1]);
  assert.deepEqual(col(ov, 'optional_region_occupancy_area_px_2d_projection'), [25, 25]);
  assert.deepEqual(col(ov, 'optional_region_occupancy_area_um2_2d_projection'), [6.25, 6.25]);
  assert.deepEqual(col(ov, 'optional_region_occupancy_coverage_2d_percent'), [6.25, 6.25]); // 100 · 25 / 400
  assert.deepEqual(col(ov, 'optional_region_occupancy_volume_voxels_3d'), [25, 25]);

  // re-analysis with the same masks (the `reanalyze` path) gives the same tables; without them and with the
  // flag on it is an error, not silent zeros (Q30)
  const again = analyzeExistingMasks(loaded, roi, res.cellMasks, res.markerMasks, coloc, { optionalRegionMasks: res.optionalRegionMasks });
  assert.deepEqual(col(again.tables.summary, 'best_optional_region_label'), [1, 2]);
  assert.deepEqual(col(again.tables.thirdChannelProperties!, 'optional_region_label'), [1, 2]);
  assert.throws(
    () => analyzeExistingMasks(loaded, roi, res.cellMasks, res.markerMasks, coloc),
    (err: unknown) => isCellColocError(err, 'ValueError') && /evaluate_optional_region_cell_positivity is true but there are no optional-region/.test((err as Error).message),
  );
  // without the flag: third-channel sheets and occupancy, no positivity columns
  const plain = analyzeExistingMasks(loaded, roi, res.cellMasks, res.markerMasks, { ...coloc, evaluateOptionalRegionCellPositivity: false }, {
    optionalRegionMasks: res.optionalRegionMasks,
  });
  assert.ok(!plain.tables.summary.columns.some((c) => c.name.startsWith('optional_region')));
  assert.ok(!plain.tables.overview.columns.some((c) => c.name === 'n_optional_region_positive_cells'));
  assert.deepEqual(col(plain.tables.overview, 'optional_region_occupancy_volume_voxels_3d'), [25, 25]);
  assert.deepEqual(col(plain.tables.roiThirdChannelSummary!, 'n_3rd_channel_objects'), [1, 1]);
});

test('third-channel postfilters come from optional_region_model_config (min_intensity on the hand-made case)', async () => {
  const { loaded, roi } = handMade();
  const otsu = otsuConfig();
  // mean intensity: R1 = 100, R2 = 200 (flat objects) → a min_intensity threshold of 150 removes R1 (label 1) only
  const regionConfig: ModelConfig = { ...otsu, postfilters: ['min_intensity'], minIntensityMeasure: 'mean', minIntensityThreshold: 150 };
  const coloc = {
    minCellVoxels: 10,
    overlapFractionThreshold: 0.02,
    minOverlapVoxels: 20,
    evaluateOptionalRegionCellPositivity: true,
    positivityRule: 'best_object' as const,
  };
  const res = await runRoiColocalization(loaded, roi, otsu, otsu, coloc, { processRois: true }, { optionalRegionModelConfig: regionConfig });
  const step = res.filterSteps.find((s) => s.channel === 'optional_region')!;
  assert.deepEqual([step.step, step.nIn, step.nOut, step.removed], ['min_intensity', 2, 1, [1]]);
  assert.equal(res.optionalRegionMasks!.data[6 * 40 + 6], 0);
  assert.equal(res.optionalRegionMasks!.data[6 * 40 + 26], 2);
  assert.deepEqual(col(res.tables.thirdChannelProperties!, 'optional_region_label'), [2]);
  assert.deepEqual(col(res.tables.roiThirdChannelSummary!, 'n_3rd_channel_objects'), [0, 1]);
  // ROI 1 has no third-channel object left: its averages are NaN (mean of nothing)
  assert.ok(Number.isNaN(col(res.tables.roiThirdChannelSummary!, 'average_optional_region_mean_intensity')[0]));
  const s = res.tables.summary;
  assert.deepEqual(col(s, 'optional_region_positive'), [0, 1]);
  assert.deepEqual(col(s, 'n_overlapping_optional_region_objects'), [0, 1]);
  const best = col(s, 'best_optional_region_label');
  assert.ok(Number.isNaN(best[0]));
  assert.equal(best[1], 2);
  assert.deepEqual(col(s, 'best_optional_region_overlap_voxels'), [0, 25]);
  assert.deepEqual(col(s, 'best_optional_region_overlap_fraction'), [0, 25 / 64]);
  assert.deepEqual(col(res.tables.overview, 'optional_region_occupancy_area_px_2d_projection'), [0, 25]);
});

test(`${CASE} with the marker segmented in a worker thread: the third channel (main thread) is unchanged`, async () => {
  const dir = caseDir(CASE);
  const out = mkdtempSync(join(tmpdir(), 'cellcoloc-third-'));
  try {
    const res = await runWorkflow(configFromFixture(dir, { resultsDir: out }), { parallel: true });
    assert.ok(res.timings.some((t) => t.stage === 'segment marker (worker, overlapped)'), 'the worker path was taken');
    await assertMaskEqual(join(out, 'input.ome_region_mask.tif'), join(dir, 'expected', 'region_mask.tif'), 'region_mask');
    await assertMaskEqual(join(out, 'input.ome_marker_masks.tif'), join(dir, 'expected', 'marker_masks.tif'), 'marker_masks');
    compareCsv('cell_summary', readCsv(ourCsvPath(out, 'input.ome', 'cell_summary')), readCsv(join(dir, 'expected', 'cell_summary.csv')));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('cellcoloc run: a three-channel YAML writes the third-channel files; Q30 is one error line, exit 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-third-cli-'));
  const cli = async (args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(['node', 'cellcoloc', ...args], { out: (s: string) => (out += s), err: (s: string) => (err += s) });
    return { code, out, err };
  };
  try {
    const image = join(caseDir(CASE), 'input.ome.tif');
    const body = (region: string, positivity: boolean) => `image: ${image}
results_dir: ${join(dir, 'out')}
channel_config: {cell_channel: 0, marker_channel: 1, optional_region_channel: 2}
cell_model_config: {segmentation_method: otsu}
marker_model_config: {segmentation_method: li}
optional_region_model_config: ${region}
colocalization_config: {min_cell_voxels: 150, evaluate_optional_region_cell_positivity: ${positivity}}
`;
    const good = join(dir, 'good.yaml');
    writeFileSync(good, body('{segmentation_method: otsu, prefilter: gaussian, prefilter_sigma_xy: 1.0, prefilter_sigma_z: 0.5, threshold_min_object_voxels: 20}', true));
    const r = await cli(['run', good, '-q']);
    assert.equal(r.code, 0, r.err);
    for (const f of ['region_mask.tif', '3rd_channel_properties.csv', 'roi_3rd_channel_summary.csv']) {
      assert.ok(existsSync(join(dir, 'out', `input.ome_${f}`)), f);
    }
    // the overview CSV is byte-identical to the original's (one whole-image ROI)
    assert.equal(
      readFileSync(join(dir, 'out', 'input.ome_roi_coloc_overview.csv'), 'utf8'),
      readFileSync(join(caseDir(CASE), 'expected', 'roi_coloc_overview.csv'), 'utf8'),
    );

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, body('null', true));
    const e = await cli(['run', bad]);
    assert.equal(e.code, 1);
    assert.equal(
      e.err.trim(),
      `cellcoloc: error: ${bad}: colocalization_config.evaluate_optional_region_cell_positivity: expected false when optional_region_model_config is null (no third-channel masks to evaluate, Q30), got true`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The third channel with the Cellpose backend ("any backend", issue 9): the random-weight cpsam-shaped
 * network on a small crop of the three-channel fixture. Checks that the region channel went through Cellpose
 * (its own cache file and manifest entry) and that its mask, property sheet and ROI summary agree.
 */
test('third channel segmented with Cellpose: own cache entry, mask and 3rd_channel_properties agree', async () => {
  const dir = caseDir('3d_three_channel_optional_region');
  const out = mkdtempSync(join(tmpdir(), 'cellcoloc-3rd-cp-'));
  try {
    const net = join(dir, '..', '..', 'cellpose', 'v4net', 'cpsam_tiny_random.onnx');
    const config = parseConfigObject({
      image: join(dir, 'input.ome.tif'),
      results_dir: out,
      channel_config: { cell_channel: 0, marker_channel: 1, optional_region_channel: 2 },
      cell_model_config: { segmentation_method: 'otsu' },
      marker_model_config: { segmentation_method: 'otsu' },
      optional_region_model_config: { segmentation_method: 'cellpose', model_name_or_path: net },
      colocalization_config: { min_cell_voxels: 20, evaluate_optional_region_cell_positivity: true },
      runtime_config: { use_gpu: false, crop_for_testing: [[0, 4], [0, 48], [0, 48]] },
      rois: 'full',
    });
    const res = await runWorkflow(config);
    const region = res.result.optionalRegionMasks!;
    const ids = new Set<number>();
    for (const v of region.data) if (v) ids.add(v);
    assert.ok(ids.size > 0, 'the network yields region objects');
    const props = res.result.tables.thirdChannelProperties!;
    const labels = props.columns.find((c) => c.name === 'optional_region_label')!.values;
    assert.deepEqual(new Set(labels), ids);
    const summary = res.result.tables.roiThirdChannelSummary!;
    assert.equal(summary.columns.find((c) => c.name === 'n_3rd_channel_objects')!.values[0], ids.size);
    const crop = join(out, 'crop_z0-4_y0-48_x0-48');
    assert.ok(existsSync(join(crop, 'input.ome_cellpose_cache', 'optional_region_roi1.cpcache')));
    const manifest = JSON.parse(readFileSync(join(crop, 'input.ome_run_manifest.json'), 'utf8'));
    assert.equal(manifest.thresholds.optional_region[0].info.method, 'cellpose');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
