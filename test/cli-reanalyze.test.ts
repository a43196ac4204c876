/**
 * `cellcoloc reanalyze`: tables from label TIFFs without segmenting (spec 7.1), with min_cell_voxels and the
 * configured postfilters re-applied (fix Q42). On the 2D otsu fixture the original's own masks must give the
 * original's tables; edited masks (a cell deleted, two merged, new ones painted) must change the tables
 * exactly as worked out by hand from the fixture's numbers; every error path gives one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { main } from '../src/cli/main.js';
import { encodeTiffStack } from '../src/io/tiff-writer.js';
import { caseDir, readCsv, csvColumn, close, readTiffPagesReference, type Csv } from './helpers/fixtures.js';
import { fixtureConfigObject } from './helpers/fixture-config.js';

const CASE = caseDir('2d_two_channel_otsu_fullroi');
const IMAGE = join(CASE, 'input.ome.tif');
const CELL_MASKS = join(CASE, 'expected', 'cell_masks.tif');
const MARKER_MASKS = join(CASE, 'expected', 'marker_masks.tif');
const STEM = 'input.ome';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'cellcoloc', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** The fixture's run (its config.json): otsu on both channels, no postfilters, min_cell_voxels 80. */
function writeConfig(dir: string, cellExtra = ''): string {
  const p = join(dir, 'config.yaml');
  writeFileSync(
    p,
    `image: ${IMAGE}
results_dir: ${join(dir, 'res')}
channel_config: {cell_channel: 0, marker_channel: 1}
cell_model_config: {segmentation_method: otsu${cellExtra}}
marker_model_config: {segmentation_method: otsu}
colocalization_config: {min_cell_voxels: 80, overlap_fraction_threshold: 0.02, min_overlap_voxels: 20}
rois: full
`,
  );
  return p;
}

const SHEETS = ['detailed_overlaps', 'cell_summary', 'marker_properties', 'roi_coloc_overview', 'roi_cell_summary', 'roi_marker_summary'];
const RENAMED: Record<string, string> = { centroid_z_x: 'centroid_z', centroid_y_x: 'centroid_y', centroid_x_x: 'centroid_x' };
const DROPPED = new Set(['centroid_z_y', 'centroid_y_y', 'centroid_x_y']);
const ours = (dir: string, sheet: string) =>
  readCsv(join(dir, 'res', sheet === 'detailed_overlaps' ? `${STEM}_cell_colocalization.csv` : `${STEM}_${sheet}.csv`));
const cell = (csv: Csv, row: number, col: string) => csv.rows[row][csv.header.indexOf(col)];

/** Same comparison as the parity test: identical columns (Q3 centroid rename), values within rel 1e-6 (Q36). */
function compareWithFixture(sheet: string, got: Csv, exp: Csv) {
  assert.deepEqual(got.header, exp.header.filter((h) => !DROPPED.has(h)).map((h) => RENAMED[h] ?? h), `${sheet}: columns`);
  assert.equal(got.rows.length, exp.rows.length, `${sheet}: rows`);
  for (let r = 0; r < exp.rows.length; r++) {
    for (let c = 0; c < exp.header.length; c++) {
      const name = exp.header[c];
      if (DROPPED.has(name)) continue;
      const o = got.rows[r][got.header.indexOf(RENAMED[name] ?? name)];
      const e = exp.rows[r][c];
      if (e === 'True' || e === 'False' || e === '') assert.equal(o, e, `${sheet} row ${r} ${name}`);
      else assert.ok(close(Number(o), Number(e), 1e-6), `${sheet} row ${r} ${name}: ours ${o}, original ${e}`);
    }
  }
}

test('reanalyze on the fixture\'s own masks reproduces every table of the original and exports like a run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-reanalyze-'));
  try {
    const r = await cli(['reanalyze', writeConfig(dir), '--cell-masks', CELL_MASKS, '--marker-masks', MARKER_MASKS, '-q']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^\s+1\s+15\s+8\s+17$/m);
    for (const sheet of SHEETS) compareWithFixture(sheet, ours(dir, sheet), readCsv(join(CASE, 'expected', `${sheet}.csv`)));
    for (const m of ['cell_masks', 'marker_masks', 'positive_cell_masks']) {
      const a = await readTiffPagesReference(join(dir, 'res', `${STEM}_${m}.tif`));
      const b = await readTiffPagesReference(join(CASE, 'expected', `${m}.tif`));
      assert.deepEqual(Array.from(a.data), Array.from(b.data), m); // values, not dtypes (ours: uint16 when it fits)
    }
    const manifest = JSON.parse(readFileSync(join(dir, 'res', `${STEM}_run_manifest.json`), 'utf8'));
    assert.equal(manifest.command, 'reanalyze');
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    assert.deepEqual(
      manifest.maskInputs.map((m: { role: string; path: string; sha256: string }) => [m.role, m.path, m.sha256]),
      [['cell', CELL_MASKS, sha(CELL_MASKS)], ['marker', MARKER_MASKS, sha(MARKER_MASKS)]],
    );
    assert.deepEqual(manifest.thresholds, {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Edits of the original's 256×256 cell mask (numbers from the fixture's cell_summary / marker_properties):
 * - delete cell 5 (566 px, no marker overlap, negative);
 * - merge cell 4 (427 px; 19 px of marker 5, negative) into cell 3 (539 px; 38 px of marker 4, positive):
 *   cell 3 becomes 966 px overlapping markers 4 (38 px) and 5 (19 px) → best = 4, fraction 38/966, positive;
 * - paint cell 100 = rows 10..25 × cols 12..27 (16 × 16 = 256 px, empty in the fixture) around marker 1
 *   (70 px, outside every cell): overlap 70 → fraction 70/256, positive;
 * - paint cell 101 = 5 × 5 px at rows 0..4, cols 24..28: below min_cell_voxels 80 → deleted;
 * - paint cell 102 = 10 × 10 px at rows 0..9, cols 34..43: kept by min_cell_voxels, removed by the
 *   re-applied cell postfilter min_size 120 (fix Q42; every fixture cell has ≥ 319 px).
 * Saved as uint16 (an integer label image as Fiji writes one).
 */
async function editedMasks(dir: string): Promise<string> {
  const src = (await readTiffPagesReference(CELL_MASKS)).data as Uint32Array;
  const out = new Uint16Array(256 * 256);
  for (let i = 0; i < out.length; i++) {
    const v = src[i];
    out[i] = v === 5 ? 0 : v === 4 ? 3 : v;
  }
  const paint = (y0: number, y1: number, x0: number, x1: number, id: number) => {
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) out[y * 256 + x] = id;
  };
  paint(10, 26, 12, 28, 100);
  paint(0, 5, 24, 29, 101);
  paint(0, 10, 34, 44, 102);
  const p = join(dir, 'edited_cells.tif');
  writeFileSync(p, encodeTiffStack({ data: out, shape: [1, 256, 256] }, { compression: 'deflate' }));
  return p;
}

test('reanalyze edited masks: delete, merge and paint change the tables exactly as expected; filters re-applied (Q42)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-reanalyze-'));
  try {
    const edited = await editedMasks(dir);
    const cfg = writeConfig(dir, ', postfilters: [min_size], postfilter_min_object_voxels: 120');
    const r = await cli(['reanalyze', cfg, '--cell-masks', edited, '--marker-masks', MARKER_MASKS, '-q']);
    assert.equal(r.code, 0, r.err);
    const exp = readCsv(join(CASE, 'expected', 'cell_summary.csv'));
    const s = ours(dir, 'cell_summary');
    // 15 original cells − 5 − 4 (merged) + 100 = 14 rows; 101 and 102 filtered out.
    const expLabels = csvColumn(exp, 'cell_label').filter((l) => l !== 4 && l !== 5);
    assert.deepEqual(csvColumn(s, 'cell_label'), [...expLabels, 100]);
    const row = (label: number) => csvColumn(s, 'cell_label').indexOf(label);
    // merged cell 3
    assert.equal(Number(cell(s, row(3), 'cell_voxels')), 539 + 427);
    assert.equal(Number(cell(s, row(3), 'n_overlapping_markers')), 2);
    assert.equal(Number(cell(s, row(3), 'best_marker_label')), 4);
    assert.equal(Number(cell(s, row(3), 'best_overlap_voxels')), 38);
    assert.equal(Number(cell(s, row(3), 'best_overlap_fraction')), 38 / 966);
    assert.equal(cell(s, row(3), 'marker_positive'), 'True');
    // painted cell 100
    assert.equal(Number(cell(s, row(100), 'cell_voxels')), 256);
    assert.equal(Number(cell(s, row(100), 'best_marker_label')), 1);
    assert.equal(Number(cell(s, row(100), 'best_overlap_voxels')), 70);
    assert.equal(Number(cell(s, row(100), 'best_overlap_fraction')), 70 / 256);
    assert.equal(cell(s, row(100), 'marker_positive'), 'True');
    assert.equal(Number(cell(s, row(100), 'cell_area_um2_2d')), 256 * 0.25);
    // every untouched cell keeps the original's row
    for (const label of expLabels.filter((l) => l !== 3)) {
      const e = csvColumn(exp, 'cell_label').indexOf(label);
      for (const col of ['cell_voxels', 'best_overlap_voxels', 'marker_positive', 'cell_mean_intensity']) {
        const [o, x] = [cell(s, row(label), col), cell(exp, e, col)];
        // intensities: float64 here, float32 in the original (Q36)
        assert.ok(o === x || close(Number(o), Number(x), 1e-6), `cell ${label} ${col}: ${o} vs ${x}`);
      }
    }
    // detailed: cell 3 now has two rows (markers 4 and 5, 38 and 19 px; marker_label prints as float as in pandas, Q38)
    const d = ours(dir, 'detailed_overlaps');
    const d3 = d.rows.filter((x) => x[d.header.indexOf('cell_label')] === '3');
    assert.deepEqual(d3.map((x) => [x[d.header.indexOf('marker_label')], x[d.header.indexOf('overlap_voxels')]]), [['4.0', '38'], ['5.0', '19']]);
    // overview: 14 cells; 8 positive (3 stays, 4 and 5 were negative, 100 is new) + 1 = 9;
    // cell occupancy 9100 − 566 (cell 5) + 256 (cell 100) = 8790 px (the merge moves no pixel).
    const ov = ours(dir, 'roi_coloc_overview');
    assert.deepEqual(
      ['n_cells', 'n_marker_positive_cells', 'n_marker_objects', 'cell_occupancy_area_px_2d_projection', 'marker_occupancy_area_px_2d_projection'].map(
        (c) => Number(cell(ov, 0, c)),
      ),
      [14, 9, 17, 9100 - 566 + 256, 1210],
    );
    const manifest = JSON.parse(readFileSync(join(dir, 'res', `${STEM}_run_manifest.json`), 'utf8'));
    const steps = manifest.filterSteps.map((f: { channel: string; step: string; removedLabels: number[] }) => [f.channel, f.step, f.removedLabels]);
    assert.deepEqual(steps, [['cell', 'min_cell_voxels', [101]], ['cell', 'min_size', [102]]]);
    // positive-cell mask: exactly the positive cells' pixels (8 original positives' + merged 427 + 256)
    const pos = (await readTiffPagesReference(join(dir, 'res', `${STEM}_positive_cell_masks.tif`))).data;
    let n = 0;
    for (let i = 0; i < pos.length; i++) if (pos[i] !== 0) n++;
    const expPos = csvColumn(exp, 'cell_voxels').reduce((a, v, i) => a + (exp.rows[i][exp.header.indexOf('marker_positive')] === 'True' ? v : 0), 0);
    assert.equal(n, expPos + 427 + 256);
    assert.match(r.err, /cell min_cell_voxels removed 1 label\(s\): 101/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reanalyze error paths: shape mismatch, float TIFF, missing file, missing option, --masks on a two-channel config', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-reanalyze-'));
  try {
    const cfg = writeConfig(dir);
    const small = join(dir, 'small.tif');
    writeFileSync(small, encodeTiffStack({ data: new Uint16Array(2 * 128 * 128), shape: [2, 128, 128] }, {}));
    let r = await cli(['reanalyze', cfg, '--cell-masks', small, '--marker-masks', MARKER_MASKS, '-q']);
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      `cellcoloc: error: cell masks ${small}: shape (Z, Y, X) (2, 128, 128) does not match the analysed image's (1, 256, 256) (masks must have the shape a run of this config exports)\n`,
    );
    const float = join(dir, 'float.tif');
    writeFileSync(float, encodeTiffStack({ data: new Float32Array(256 * 256), shape: [1, 256, 256] }, {}));
    r = await cli(['reanalyze', cfg, '--cell-masks', CELL_MASKS, '--marker-masks', float, '-q']);
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      `cellcoloc: error: marker masks ${float}: expected an integer label image (uint8, uint16, uint32, int16 or int32), got float32 (in Fiji: Image › Type › 16-bit before saving)\n`,
    );
    const missing = join(dir, 'nope.tif');
    r = await cli(['reanalyze', cfg, '--cell-masks', missing, '--marker-masks', MARKER_MASKS, '-q']);
    assert.equal(r.code, 1);
    assert.equal(r.err, `cellcoloc: error: cell masks ${missing}: file not found\n`);
    r = await cli(['reanalyze', cfg, '--cell-masks', CELL_MASKS, '-q']);
    assert.equal(r.code, 2);
    assert.match(r.err, /reanalyze needs both --cell-masks <tif> and --marker-masks <tif>/);
    r = await cli(['reanalyze', cfg, '--masks', CELL_MASKS, '-q']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--masks is for single-channel configs/);
    // nothing was written by any failed call
    assert.throws(() => readFileSync(join(dir, 'res', `${STEM}_run_manifest.json`)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reanalyze of a one-plane z-crop run: reads the full-stack masks a run exported and reproduces its tables', async () => {
  // 3D fixture, z_crop [-7, -6] = plane 5 of 12 (Q25 negative indices), analysed as 2D (Q26).
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-reanalyze-'));
  try {
    const img = join(caseDir('3d_two_channel_otsu_fullroi'), 'input.ome.tif');
    const p = join(dir, 'z.yaml');
    writeFileSync(
      p,
      `image: ${img}
results_dir: ${join(dir, 'run')}
channel_config: {cell_channel: 0, marker_channel: 1}
cell_model_config: {segmentation_method: otsu, z_crop: [-7, -6]}
marker_model_config: {segmentation_method: otsu}
colocalization_config: {min_cell_voxels: 20, overlap_fraction_threshold: 0.02, min_overlap_voxels: 5}
rois: full
`,
    );
    let r = await cli(['run', p, '-q']);
    assert.equal(r.code, 0, r.err);
    const stem = 'input.ome';
    const runCells = join(dir, 'run', `${stem}_cell_masks.tif`);
    const t = await readTiffPagesReference(runCells);
    assert.equal(t.pages, 12);
    r = await cli([
      'reanalyze', p, '--cell-masks', runCells, '--marker-masks', join(dir, 'run', `${stem}_marker_masks.tif`), '--results-dir', join(dir, 're'), '-q',
    ]);
    assert.equal(r.code, 0, r.err);
    for (const sheet of ['cell_summary', 'roi_coloc_overview', 'marker_properties']) {
      assert.equal(readFileSync(join(dir, 're', `${stem}_${sheet}.csv`), 'utf8'), readFileSync(join(dir, 'run', `${stem}_${sheet}.csv`), 'utf8'), sheet);
    }
    const again = await readTiffPagesReference(join(dir, 're', `${stem}_cell_masks.tif`));
    assert.deepEqual(again.data, t.data);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Single-channel config (`--masks`, spec 13) on the `2d_single_channel_count` fixture (otsu, min_object_voxels 30):
 * its own masks reproduce its object table; then object 3 (366 px) is deleted, object 50 (6 × 6 = 36 px) painted
 * at rows/cols 0..5 and object 51 (5 × 5 = 25 px < 30) at rows 0..4, cols 10..14 (both empty in the fixture).
 */
test('reanalyze --masks on a single-channel config: fixture objects reproduced; delete + paint; size filter re-applied', async () => {
  const sc = caseDir('2d_single_channel_count');
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-reanalyze-'));
  try {
    const p = join(dir, 'single.yaml');
    writeFileSync(
      p,
      `image: ${join(sc, 'input.ome.tif')}
results_dir: ${join(dir, 'res')}
single_channel_config: {channel_index: 1}
model_config: {segmentation_method: otsu}
analysis_config: {min_object_voxels: 30}
rois: full
`,
    );
    const own = join(sc, 'expected', 'single_channel_masks.tif');
    let r = await cli(['reanalyze', p, '--masks', own, '-q']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^\s+1\s+22$/m);
    const exp = readCsv(join(sc, 'expected', 'object_summary.csv'));
    let got = readCsv(join(dir, 'res', `${STEM}_single_channel_objects.csv`));
    assert.deepEqual(csvColumn(got, 'object_label'), csvColumn(exp, 'object_label'));
    assert.deepEqual(csvColumn(got, 'object_area_px_2d'), csvColumn(exp, 'object_area_px_2d'));

    const src = (await readTiffPagesReference(own)).data as Uint32Array;
    const edited = new Uint32Array(src.length);
    for (let i = 0; i < src.length; i++) edited[i] = src[i] === 3 ? 0 : src[i];
    for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) edited[y * 256 + x] = 50;
    for (let y = 0; y < 5; y++) for (let x = 10; x < 15; x++) edited[y * 256 + x] = 51;
    const ep = join(dir, 'edited.tif');
    writeFileSync(ep, encodeTiffStack({ data: edited, shape: [1, 256, 256] }, {}));
    r = await cli(['reanalyze', p, '--masks', ep, '-q']);
    assert.equal(r.code, 0, r.err);
    got = readCsv(join(dir, 'res', `${STEM}_single_channel_objects.csv`));
    assert.deepEqual(csvColumn(got, 'object_label'), [...csvColumn(exp, 'object_label').filter((l) => l !== 3), 50]);
    assert.equal(csvColumn(got, 'object_area_px_2d').at(-1), 36);
    const ov = readCsv(join(dir, 'res', `${STEM}_roi_overview.csv`));
    assert.deepEqual(csvColumn(ov, 'n_objects'), [22]);
    assert.deepEqual(csvColumn(ov, 'object_occupancy_area_px_2d_projection'), [3789 - 366 + 36]);
    const manifest = JSON.parse(readFileSync(join(dir, 'res', `${STEM}_run_manifest.json`), 'utf8'));
    assert.equal(manifest.command, 'reanalyze');
    assert.deepEqual(manifest.maskInputs.map((m: { role: string; path: string }) => [m.role, m.path]), [['objects', ep]]);
    assert.deepEqual(manifest.filterSteps[0].removedLabels, [51]);
    // usage: a single-channel config takes --masks only
    r = await cli(['reanalyze', p, '--cell-masks', own, '--marker-masks', own, '-q']);
    assert.equal(r.code, 2);
    assert.match(r.err, /is a single-channel config: reanalyze needs --masks <tif>/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reanalyze with --optional-region-masks on the three-channel fixture reproduces all eight sheets and the region mask', async () => {
  const c3 = caseDir('3d_three_channel_optional_region');
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-reanalyze-'));
  try {
    const p = join(dir, 'three.json');
    writeFileSync(p, JSON.stringify(fixtureConfigObject(c3, { resultsDir: join(dir, 'res') })));
    const m = (n: string) => join(c3, 'expected', `${n}.tif`);
    // the config segments a third channel: its masks are required (Q42: the original dropped them)
    let r = await cli(['reanalyze', p, '--cell-masks', m('cell_masks'), '--marker-masks', m('marker_masks'), '-q']);
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      `cellcoloc: error: ${p}: optional_region_model_config is set (the run segments a third channel): give its label TIFF with --optional-region-masks (a run writes it as <stem>_region_mask.tif)\n`,
    );
    r = await cli(['reanalyze', p, '--cell-masks', m('cell_masks'), '--marker-masks', m('marker_masks'), '--optional-region-masks', m('region_mask'), '-q']);
    assert.equal(r.code, 0, r.err);
    for (const sheet of [...SHEETS, '3rd_channel_properties', 'roi_3rd_channel_summary']) {
      compareWithFixture(sheet, ours(dir, sheet), readCsv(join(c3, 'expected', `${sheet}.csv`)));
    }
    for (const n of ['cell_masks', 'marker_masks', 'positive_cell_masks', 'region_mask']) {
      const a = await readTiffPagesReference(join(dir, 'res', `${STEM}_${n}.tif`));
      assert.deepEqual(Array.from(a.data), Array.from((await readTiffPagesReference(m(n))).data), n); // values, not dtypes
    }
    const manifest = JSON.parse(readFileSync(join(dir, 'res', `${STEM}_run_manifest.json`), 'utf8'));
    assert.deepEqual(manifest.maskInputs.map((x: { role: string }) => x.role), ['cell', 'marker', 'optional_region']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reanalyze of a z-projected run (Q23): reads the 1×Y×X masks it exported, refuses full-stack ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-reanalyze-'));
  try {
    const c3 = caseDir('3d_two_channel_otsu_fullroi');
    const p = join(dir, 'proj.yaml');
    writeFileSync(
      p,
      `image: ${join(c3, 'input.ome.tif')}
results_dir: ${join(dir, 'run')}
channel_config: {cell_channel: 0, marker_channel: 1}
cell_model_config: {segmentation_method: otsu, z_projection: max, z_crop: [2, -2]}
marker_model_config: {segmentation_method: otsu}
colocalization_config: {min_cell_voxels: 20, overlap_fraction_threshold: 0.02, min_overlap_voxels: 5}
rois: full
`,
    );
    let r = await cli(['run', p, '-q']);
    assert.equal(r.code, 0, r.err);
    const runMask = (n: string) => join(dir, 'run', `${STEM}_${n}.tif`);
    assert.equal((await readTiffPagesReference(runMask('cell_masks'))).pages, 1);
    r = await cli(['reanalyze', p, '--cell-masks', runMask('cell_masks'), '--marker-masks', runMask('marker_masks'), '--results-dir', join(dir, 're'), '-q']);
    assert.equal(r.code, 0, r.err);
    for (const sheet of ['cell_summary', 'roi_coloc_overview', 'marker_properties', 'roi_cell_summary']) {
      assert.equal(readFileSync(join(dir, 're', `${STEM}_${sheet}.csv`), 'utf8'), readFileSync(join(dir, 'run', `${STEM}_${sheet}.csv`), 'utf8'), sheet);
    }
    const manifest = JSON.parse(readFileSync(join(dir, 're', `${STEM}_run_manifest.json`), 'utf8'));
    assert.deepEqual([manifest.zStack.zProjection, manifest.zStack.zCrop, manifest.zStack.fullZ], ['max', [2, 10], 12]);
    // the original's full 12-plane masks do not fit a projected analysis
    const full = join(c3, 'expected', 'cell_masks.tif');
    r = await cli(['reanalyze', p, '--cell-masks', full, '--marker-masks', runMask('marker_masks'), '--results-dir', join(dir, 're'), '-q']);
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      `cellcoloc: error: cell masks ${full}: shape (Z, Y, X) (12, 128, 128) does not match the analysed image's (1, 128, 128) (masks must have the shape a run of this config exports)\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
