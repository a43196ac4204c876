/**
 * `intensity_colocalization_config` end to end (issue 19): `cellcoloc run` on CellProfiler's ExampleFly crop writes
 * both intensity sheets as CSV and xlsx with CellProfiler's numbers in the ROI row; `cellcoloc reanalyze` recomputes
 * them from edited masks; disabled (the default) writes nothing new; bad values fail with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readXlsxFile from 'read-excel-file/node';
import { main } from '../src/cli/main.js';
import { openImageStack } from '../src/io/image-stack.js';
import { encodeTiffStack } from '../src/io/tiff-writer.js';
import { readCsv, csvColumn } from './helpers/fixtures.js';

const DIR = join(import.meta.dirname, 'fixtures', 'intensity-colocalization');
const cp = JSON.parse(readFileSync(join(DIR, 'cellprofiler_image_pos002.json'), 'utf8')) as Record<string, number>;
const STEM = 'fly_D_crop';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'cellcoloc', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function writeConfig(dir: string, intensity: string | null): string {
  const p = join(dir, 'config.yaml');
  writeFileSync(
    p,
    [
      `image: [${join(DIR, 'fly_D_crop.tif')}, ${join(DIR, 'fly_F_crop.tif')}]`,
      `results_dir: ${join(dir, 'res')}`,
      'voxel_scale_zyx: [1, 1]',
      'channel_config: {cell_channel: 0, marker_channel: 1}',
      'cell_model_config: {segmentation_method: otsu}',
      'marker_model_config: {segmentation_method: otsu}',
      'colocalization_config: {min_cell_voxels: 30}',
      ...(intensity ? [`intensity_colocalization_config: ${intensity}`] : []),
      `rois: {label_image: ${join(DIR, 'fly_roi.tif')}}`,
      '',
    ].join('\n'),
  );
  return p;
}

const csvPath = (dir: string, sheet: string) => join(dir, 'res', `${STEM}_${sheet}.csv`);

test('run: both intensity sheets as CSV and xlsx; the ROI row is CellProfiler\'s; one cell row per cell_summary row', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-intensity-'));
  try {
    const r = await cli(['run', writeConfig(dir, '{enabled: true, costes: fast}'), '-q']);
    assert.equal(r.code, 0, r.err);
    const roi = readCsv(csvPath(dir, 'roi_intensity_colocalization'));
    assert.deepEqual(roi.header.slice(0, 4), ['roi_id', 'n_voxels', 'pearson', 'slope']);
    assert.equal(roi.rows.length, 1);
    const v = (c: string) => csvColumn(roi, c)[0];
    const near = (ours: string, theirs: string, tol: number) =>
      assert.ok(Math.abs(v(ours) - cp[theirs]) <= tol, `${ours} ${v(ours)} vs CellProfiler ${theirs} ${cp[theirs]}`);
    near('pearson', 'Correlation_Correlation_CropBlue_CropGreen', 1e-5);
    near('slope', 'Correlation_Slope_CropBlue_CropGreen', 1e-5);
    near('manders_m1', 'Correlation_Manders_CropBlue_CropGreen', 1e-5);
    near('manders_m2', 'Correlation_Manders_CropGreen_CropBlue', 1e-5);
    near('rwc_1', 'Correlation_RWC_CropBlue_CropGreen', 1e-5);
    near('rwc_2', 'Correlation_RWC_CropGreen_CropBlue', 1e-5);
    near('overlap', 'Correlation_Overlap_CropBlue_CropGreen', 1e-5);
    near('k1', 'Correlation_K_CropBlue_CropGreen', 1e-5);
    near('k2', 'Correlation_K_CropGreen_CropBlue', 1e-5);
    near('costes_m1', 'Correlation_Costes_CropBlue_CropGreen', 1e-3);
    near('costes_m2', 'Correlation_Costes_CropGreen_CropBlue', 1e-3);

    const cells = readCsv(csvPath(dir, 'cell_intensity_colocalization'));
    const summary = readCsv(csvPath(dir, 'cell_summary'));
    assert.ok(summary.rows.length > 5);
    assert.deepEqual(csvColumn(cells, 'roi_id'), csvColumn(summary, 'roi_id'));
    assert.deepEqual(csvColumn(cells, 'cell_label'), csvColumn(summary, 'cell_label'));
    assert.deepEqual(csvColumn(cells, 'n_voxels'), csvColumn(summary, 'cell_voxels'), 'the cell\'s voxels inside the ROI');
    assert.ok(csvColumn(cells, 'costes_threshold_1').every((t) => t === v('costes_threshold_1')), 'the ROI\'s Costes threshold');

    const sheets = (await readXlsxFile(join(dir, 'res', `${STEM}_cell_colocalization.xlsx`))) as { sheet: string; data: unknown[][] }[];
    assert.deepEqual(sheets.slice(-2).map((s) => s.sheet), ['roi_intensity_colocalization', 'cell_intensity_colocalization']);
    const xlsxRoi = sheets[sheets.length - 2].data;
    assert.equal(xlsxRoi[0][2], 'pearson');
    assert.ok(Math.abs(Number(xlsxRoi[1][2]) - cp.Correlation_Correlation_CropBlue_CropGreen) <= 1e-5);
    assert.equal(sheets[sheets.length - 1].data.length, cells.rows.length + 1);

    const manifest = JSON.parse(readFileSync(join(dir, 'res', `${STEM}_run_manifest.json`), 'utf8'));
    const files = (manifest.outputs as { file: string }[]).map((o) => o.file);
    assert.ok(files.includes(`${STEM}_roi_intensity_colocalization.csv`) && files.includes(`${STEM}_cell_intensity_colocalization.csv`));

    // reanalyze with the run's masks: identical intensity CSVs
    const before = readFileSync(csvPath(dir, 'cell_intensity_colocalization'), 'utf8');
    const cellMasks = join(dir, 'res', `${STEM}_cell_masks.tif`);
    const markerMasks = join(dir, 'res', `${STEM}_marker_masks.tif`);
    const rr = await cli(['reanalyze', join(dir, 'config.yaml'), '--cell-masks', cellMasks, '--marker-masks', markerMasks, '-q']);
    assert.equal(rr.code, 0, rr.err);
    assert.equal(readFileSync(csvPath(dir, 'cell_intensity_colocalization'), 'utf8'), before);

    // an edited cell mask (the first cell deleted): its row goes, the others and the ROI row stay
    const labels = (await (await openImageStack(cellMasks)).readChannel(0, 0)).data;
    const first = csvColumn(cells, 'cell_label')[0];
    const edited = new Uint32Array(labels.length);
    for (let i = 0; i < labels.length; i++) edited[i] = labels[i] === first ? 0 : labels[i];
    const editedPath = join(dir, 'edited.tif');
    writeFileSync(editedPath, encodeTiffStack({ data: edited, shape: [1, 219, 219] }));
    const re = await cli(['reanalyze', join(dir, 'config.yaml'), '--cell-masks', editedPath, '--marker-masks', markerMasks, '-q']);
    assert.equal(re.code, 0, re.err);
    const after = readCsv(csvPath(dir, 'cell_intensity_colocalization'));
    assert.deepEqual(csvColumn(after, 'cell_label'), csvColumn(cells, 'cell_label').slice(1));
    assert.deepEqual(after.rows, cells.rows.slice(1));
    assert.deepEqual(readCsv(csvPath(dir, 'roi_intensity_colocalization')).rows, roi.rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('disabled (the default): no intensity sheets; costes none leaves the Costes columns empty', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-intensity-'));
  try {
    const r = await cli(['run', writeConfig(dir, null), '-q']);
    assert.equal(r.code, 0, r.err);
    assert.ok(!existsSync(csvPath(dir, 'roi_intensity_colocalization')));
    assert.ok(!existsSync(csvPath(dir, 'cell_intensity_colocalization')));
    const r2 = await cli(['run', writeConfig(dir, '{enabled: true}'), '-q']);
    assert.equal(r2.code, 0, r2.err);
    const roi = readCsv(csvPath(dir, 'roi_intensity_colocalization'));
    for (const c of ['costes_m1', 'costes_m2', 'costes_threshold_1', 'costes_threshold_2', 'coloc2_tm1', 'coloc2_tm2']) {
      assert.equal(roi.rows[0][roi.header.indexOf(c)], '', c);
    }
    assert.ok(Math.abs(csvColumn(roi, 'pearson')[0] - cp.Correlation_Correlation_CropBlue_CropGreen) <= 1e-5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad intensity_colocalization_config values: one line naming the key and what was expected', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-intensity-'));
  try {
    for (const [value, key, expected] of [
      ['{enabled: true, threshold_percent: 150}', 'intensity_colocalization_config.threshold_percent', 'a number from 0 to 100'],
      ['{enabled: true, costes: slow}', 'intensity_colocalization_config.costes', 'none'],
      ['{enabled: yes please}', 'intensity_colocalization_config.enabled', 'true or false'],
      ['{enabled: true, costs: fast}', 'intensity_colocalization_config', 'costes'],
    ] as const) {
      const r = await cli(['run', writeConfig(dir, value), '-q']);
      assert.equal(r.code, 1, value);
      const lines = r.err.trim().split('\n').filter((l) => l.startsWith('cellcoloc: error:'));
      assert.equal(lines.length, 1, r.err);
      assert.ok(lines[0].includes(key) && lines[0].includes(expected), `${value}: ${lines[0]}`);
      assert.ok(!existsSync(join(dir, 'res')), 'nothing written');
    }
    // a single-channel workflow has no channel pair
    const single = join(dir, 'single.yaml');
    writeFileSync(
      single,
      `image: ${join(DIR, 'fly_D_crop.tif')}\nsingle_channel_config: {channel_index: 0}\nmodel_config: {segmentation_method: otsu}\nintensity_colocalization_config: {enabled: true}\n`,
    );
    const r = await cli(['run', single, '-q']);
    assert.equal(r.code, 1);
    assert.match(r.err, /intensity_colocalization_config\.enabled: expected false with single_channel_config/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
