/**
 * Global z-crop and z-projection (spec 12; fixes Q23 projection honoured by `run`, Q25 negative indices,
 * Q26 one-plane crop analysed as 2D, Q36 float64 accumulation). Projections are checked against reductions
 * computed by hand; the end-to-end runs use a synthetic 4-plane stack whose objects are squares of known size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectZ, normalizeZCrop, resolveZCrop, resolveZProjection } from '../src/pipeline/z-stack.js';
import { parseConfigObject } from '../src/config/load-config.js';
import { runWorkflow } from '../src/pipeline/workflow.js';
import { encodeTiffStack } from '../src/io/tiff-writer.js';
import { isCellColocError } from '../src/core/errors.js';
import { readCsv, csvColumn, readTiffPagesReference } from './helpers/fixtures.js';

function throwsWith(fn: () => unknown, tag: string, message: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isCellColocError(e), `expected a CellColocError, got ${String(e)}`);
    assert.equal((e as { _tag: string })._tag, tag);
    assert.equal((e as Error).message, message);
    return true;
  });
}

// A 4×1×3 stack (z, y, x): column x holds the z-profile below.
//   x=0: [1, 4, 7, 10]   x=1: [2, 2, 8, 0]   x=2: [5, 3, 3, 9]
const STACK = { data: new Uint16Array([1, 2, 5, 4, 2, 3, 7, 8, 3, 10, 0, 9]), shape: [4, 1, 3] as [number, number, number] };

test('projectZ: max / mean / median / std / var over all planes equal the hand-computed reductions', () => {
  assert.deepEqual([...projectZ(STACK, 'max').data], [10, 8, 9]);
  assert.deepEqual(projectZ(STACK, 'max').shape, [1, 1, 3]);
  // means: 22/4, 12/4, 20/4
  assert.deepEqual([...projectZ(STACK, 'mean').data], [5.5, 3, 5]);
  // even count: mean of the two middle values of the sorted profile ([1,4,7,10] → 5.5; [0,2,2,8] → 2; [3,3,5,9] → 4)
  assert.deepEqual([...projectZ(STACK, 'median').data], [5.5, 2, 4]);
  // population variance: x=0: (4.5²+1.5²+1.5²+4.5²)/4 = 11.25; x=1: (3²+1+1+5²)/4 = 9; x=2: (0+4+4+16)/4 = 6
  assert.deepEqual([...projectZ(STACK, 'var').data], [11.25, 9, 6]);
  const std = projectZ(STACK, 'std').data;
  assert.deepEqual([...std], [Math.fround(Math.sqrt(11.25)), 3, Math.fround(Math.sqrt(6))]);
});

test('projectZ: within z bounds [1, 4) (odd count: exact median), float32 output', () => {
  // planes 1..3: x=0 [4,7,10], x=1 [2,8,0], x=2 [3,3,9]
  assert.deepEqual([...projectZ(STACK, 'median', [1, 4]).data], [7, 2, 3]);
  assert.deepEqual([...projectZ(STACK, 'mean', [1, 4]).data], [7, Math.fround(10 / 3), 5]);
  assert.deepEqual([...projectZ(STACK, 'max', [1, 4]).data], [10, 8, 9]);
  // var x=0: (9+0+9)/3 = 6; x=1: mean 10/3 → ((4/3)²+(14/3)²+(10/3)²)/3 = (16+196+100)/27 = 312/27
  assert.deepEqual([...projectZ(STACK, 'var', [1, 4]).data], [6, Math.fround(312 / 27), 8]);
  assert.equal(projectZ(STACK, 'var', [1, 4]).data.constructor, Float32Array);
});

test('projectZ mean accumulates in float64 (Q36): 2^24 + 1 repeated keeps its exact float32 mean', () => {
  // float32 values 16777216 and 16777218 (both exact in float32); mean over 1000 planes alternating → 16777217,
  // whose float32 rounding is 16777216 (ties to even). A float32 running sum would drift far away.
  const Z = 1000;
  const data = new Float32Array(Z);
  for (let z = 0; z < Z; z++) data[z] = z % 2 === 0 ? 16777216 : 16777218;
  const m = projectZ({ data, shape: [Z, 1, 1] }, 'mean').data[0];
  assert.equal(m, Math.fround(16777217));
  const v = projectZ({ data, shape: [Z, 1, 1] }, 'var').data[0];
  assert.equal(v, 1); // each value deviates by exactly 1
});

test('normalizeZCrop: Python slice semantics (negative = from the end, Q25), start < stop; ends beyond the stack refused (issue 15.3)', () => {
  assert.deepEqual(normalizeZCrop([null, null], 5), [0, 5]);
  assert.deepEqual(normalizeZCrop([-2, null], 5), [3, 5]);
  assert.deepEqual(normalizeZCrop([1, -1], 5), [1, 4]);
  assert.deepEqual(normalizeZCrop([-5, 5], 5), [0, 5]);
  assert.deepEqual(normalizeZCrop([-1, null], 5), [4, 5]);
  // Deliberate difference from the original (a Python slice would clip): a value beyond the stack is a typo.
  throwsWith(
    () => normalizeZCrop([3, 100], 5, 'z_crop'),
    'ConfigError',
    'z_crop: expected values from -5 to 5 (the image has 5 planes; negative = from the end), got [3,100]',
  );
  throwsWith(
    () => normalizeZCrop([0, 1e9], 5, 'z_crop'),
    'ConfigError',
    'z_crop: expected values from -5 to 5 (the image has 5 planes; negative = from the end), got [0,1000000000]',
  );
  throwsWith(() => normalizeZCrop([-10, 2], 5, 'z_crop'), 'ConfigError', 'z_crop: expected values from -5 to 5 (the image has 5 planes; negative = from the end), got [-10,2]');
  throwsWith(
    () => normalizeZCrop([4, 2], 5, 'cell_model_config.z_crop'),
    'ConfigError',
    'cell_model_config.z_crop: expected start < stop within the 5 planes of the image (negative = from the end), got [4,2] → [4, 2]',
  );
  throwsWith(
    () => normalizeZCrop([-1, -1], 5, 'z_crop'),
    'ConfigError',
    'z_crop: expected start < stop within the 5 planes of the image (negative = from the end), got [-1,-1] → [4, 4]',
  );
  throwsWith(
    () => normalizeZCrop([5, null], 5, 'z_crop'),
    'ConfigError',
    'z_crop: expected start < stop within the 5 planes of the image (negative = from the end), got [5,null] → [5, 5]',
  );
});

const otsu = { segmentation_method: 'otsu' };
const CFG = '/data/exp/run.yaml';
const cfg = (cell: object, marker: object) =>
  parseConfigObject({ image: 'a.tif', channel_config: { cell_channel: 0, marker_channel: 1 }, cell_model_config: cell, marker_model_config: marker }, CFG);

test('common z-crop and projection across channels: equal after normalisation passes, a conflict names both values', () => {
  assert.deepEqual(resolveZCrop(cfg({ ...otsu, z_crop: [0, -2] }, { ...otsu, z_crop: [null, 3] }), 5), [0, 3]);
  assert.deepEqual(resolveZCrop(cfg({ ...otsu, z_crop: [1, 3] }, otsu), 5), [1, 3]);
  assert.equal(resolveZCrop(cfg(otsu, otsu), 5), null);
  throwsWith(
    () => resolveZCrop(cfg({ ...otsu, z_crop: [0, 3] }, { ...otsu, z_crop: [1, 3] }), 5),
    'ConfigError',
    `${CFG}: marker_model_config.z_crop: expected the same planes as cell_model_config.z_crop (one z-crop for all channels, spec 12.1), got [1,3] → [1, 3] vs [0,3] → [0, 3] (stack of 5 planes)`,
  );
  assert.equal(resolveZProjection(cfg({ ...otsu, z_projection: 'max' }, otsu)), 'max');
  assert.equal(resolveZProjection(cfg({ ...otsu, z_projection: ' Mean' }, { ...otsu, z_projection: 'mean' })), 'mean');
  assert.equal(resolveZProjection(cfg(otsu, otsu)), null);
  throwsWith(
    () => resolveZProjection(cfg({ ...otsu, z_projection: 'max' }, { ...otsu, z_projection: 'median' })),
    'ConfigError',
    `${CFG}: marker_model_config.z_projection: expected the same projection as cell_model_config.z_projection (one projection for all channels, spec 12.2), got "median" vs "max"`,
  );
});

// ---------------------------------------------------------------------------------------------
// End to end on a synthetic stack: Z=4, 32×32, voxel (2.0, 0.5, 0.5) µm, background 1.
//   cell channel:   A = 8×8 square rows/cols 4..11 on planes 1 and 2 (128 voxels), B = 6×6 square rows/cols
//                   18..23 on plane 3 only (36 voxels), value 100;
//   marker channel: M = 4×4 square rows/cols 6..9 on plane 1 only (16 voxels), value 100.
// otsu on {1, 100} separates exactly the squares (no prefilter, closing, size cleanup).
// ---------------------------------------------------------------------------------------------
const Z = 4, Y = 32, X = 32;
function square(data: Uint16Array, z: number, y0: number, y1: number, x0: number, x1: number) {
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[(z * Y + y) * X + x] = 100;
}
function writeStack(dir: string): [string, string] {
  const cell = new Uint16Array(Z * Y * X).fill(1);
  square(cell, 1, 4, 12, 4, 12);
  square(cell, 2, 4, 12, 4, 12);
  square(cell, 3, 18, 24, 18, 24);
  const marker = new Uint16Array(Z * Y * X).fill(1);
  square(marker, 1, 6, 10, 6, 10);
  const vs = [2.0, 0.5, 0.5] as const;
  const a = join(dir, 'cell.ome.tif');
  const b = join(dir, 'marker.ome.tif');
  writeFileSync(a, encodeTiffStack({ data: cell, shape: [Z, Y, X] }, { voxelSizeUm: vs }));
  writeFileSync(b, encodeTiffStack({ data: marker, shape: [Z, Y, X] }, { voxelSizeUm: vs }));
  return [a, b];
}
const model = (extra: object) => ({
  segmentation_method: 'otsu',
  threshold_min_object_voxels: 0,
  threshold_min_hole_voxels: 0,
  threshold_apply_closing: false,
  ...extra,
});
async function runSynthetic(dir: string, zExtra: object) {
  const [a, b] = writeStack(dir);
  const res = join(dir, 'res');
  const config = parseConfigObject(
    {
      image: [a, b],
      results_dir: res,
      channel_config: { cell_channel: 0, marker_channel: 1 },
      cell_model_config: model(zExtra),
      marker_model_config: model(zExtra),
      colocalization_config: { min_cell_voxels: 1, overlap_fraction_threshold: 0.02, min_overlap_voxels: 1 },
      rois: 'full',
    },
    join(dir, 'config.yaml'),
  );
  const out = await runWorkflow(config, { parallel: false });
  const csv = (sheet: string) => readCsv(join(res, `cell.ome_${sheet}.csv`));
  const manifest = JSON.parse(readFileSync(join(res, 'cell.ome_run_manifest.json'), 'utf8'));
  return { out, csv, res, manifest };
}

test('run without z settings (baseline): both cells in 3D, roi volume = 4 planes × 2 µm', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-z-'));
  try {
    const { csv, manifest } = await runSynthetic(dir, {});
    const s = csv('cell_summary');
    assert.deepEqual(csvColumn(s, 'cell_voxels'), [128, 36]);
    const ov = csv('roi_coloc_overview');
    assert.deepEqual(csvColumn(ov, 'roi_volume_voxels'), [4096]);
    assert.deepEqual(csvColumn(ov, 'roi_volume_um3'), [4096 * 2 * 0.25]);
    assert.equal(manifest.zStack, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run honours z_projection max (Q23): (1,Y,X) analysis, z spacing 1.0 for µm³ (Q24), true spacing in the manifest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-z-'));
  try {
    const { out, csv, res, manifest } = await runSynthetic(dir, { z_projection: 'max' });
    assert.deepEqual(out.loaded.cellImage.shape, [1, 32, 32]);
    assert.deepEqual(out.loaded.voxelSizeUm, [1.0, 0.5, 0.5]);
    const s = csv('cell_summary');
    // projected: A = 64 px, B = 36 px; M (16 px) lies inside A → overlap 16/64 = 0.25 → positive.
    assert.deepEqual(csvColumn(s, 'cell_voxels'), [64, 36]);
    assert.deepEqual(s.rows.map((r) => r[s.header.indexOf('marker_positive')]), ['True', 'False']);
    assert.deepEqual(csvColumn(s, 'best_overlap_fraction'), [0.25, 0]);
    // 2D branch: *_3d columns empty, area in µm² = px × 0.25
    assert.deepEqual(csvColumn(s, 'cell_area_um2_2d'), [16, 9]);
    assert.equal(s.rows[0][s.header.indexOf('cell_volume_voxels_3d')], '');
    const ov = csv('roi_coloc_overview');
    assert.deepEqual(csvColumn(ov, 'roi_volume_voxels'), [1024]);
    assert.deepEqual(csvColumn(ov, 'roi_volume_um3'), [1024 * 1.0 * 0.25]);
    assert.deepEqual(csvColumn(ov, 'cell_occupancy_volume_um3_3d'), [100 * 0.25]);
    assert.equal(manifest.zStack.zProjection, 'max');
    assert.deepEqual(manifest.zStack.trueVoxelSizeZyxUm, [2, 0.5, 0.5]);
    assert.deepEqual(manifest.zStack.analysisVoxelSizeZyxUm, [1, 0.5, 0.5]);
    assert.match(manifest.zStack.note, /µm² × 1 µm/);
    const masks = await readTiffPagesReference(join(res, 'cell.ome_cell_masks.tif'));
    assert.deepEqual([masks.pages, masks.height, masks.width], [1, 32, 32]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run with z_crop [1, -1] (negative stop, Q25) + z_projection mean: only planes 1..2 are projected', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-z-'));
  try {
    const { out, csv, manifest } = await runSynthetic(dir, { z_projection: 'mean', z_crop: [1, -1] });
    // planes 1..2: A is 100 on both (mean 100), B absent (plane 3), background 1; M mean (100+1)/2 = 50.5
    assert.equal(out.loaded.cellImage.data[(5 * 32) + 5], 100);
    assert.equal(out.loaded.markerImage.data[(7 * 32) + 7], 50.5);
    assert.equal(out.loaded.cellImage.data[(20 * 32) + 20], 1);
    assert.deepEqual(csvColumn(csv('cell_summary'), 'cell_voxels'), [64]);
    assert.deepEqual(csvColumn(csv('cell_summary'), 'cell_mean_intensity'), [100]);
    assert.deepEqual(manifest.zStack.zCrop, [1, 3]);
    assert.deepEqual(manifest.image.analysisZBounds, [1, 3]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run with a multi-plane z_crop [1, 3]: full-stack masks zeroed outside, 3D tables over 2 planes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-z-'));
  try {
    const { csv, res } = await runSynthetic(dir, { z_crop: [1, 3] });
    const s = csv('cell_summary');
    assert.deepEqual(csvColumn(s, 'cell_voxels'), [128]); // A only; B lives on plane 3
    assert.deepEqual(csvColumn(s, 'best_overlap_fraction'), [16 / 128]);
    assert.deepEqual(csvColumn(s, 'cell_volume_um3_3d'), [128 * 2 * 0.25]);
    const ov = csv('roi_coloc_overview');
    assert.deepEqual(csvColumn(ov, 'roi_volume_voxels'), [2048]);
    const masks = await readTiffPagesReference(join(res, 'cell.ome_cell_masks.tif'));
    assert.equal(masks.pages, 4);
    const perPlane = [0, 0, 0, 0];
    for (let i = 0; i < masks.data.length; i++) if (masks.data[i] !== 0) perPlane[Math.floor(i / 1024)]++;
    assert.deepEqual(perPlane, [0, 64, 64, 0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run with a one-plane z_crop [-3, -2] = plane 1: analysed as 2D (Q26), masks exported as the full stack', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-z-'));
  try {
    const { out, csv, res, manifest } = await runSynthetic(dir, { z_crop: [-3, -2] });
    assert.deepEqual(out.loaded.cellImage.shape, [1, 32, 32]);
    assert.deepEqual(out.loaded.voxelSizeUm, [2, 0.5, 0.5]); // true spacing kept: a one-plane slab
    const s = csv('cell_summary');
    assert.deepEqual(csvColumn(s, 'cell_voxels'), [64]);
    assert.deepEqual(csvColumn(s, 'centroid_z'), [0]); // index in the analysed plane
    assert.equal(s.rows[0][s.header.indexOf('cell_volume_voxels_3d')], ''); // 2D branch
    assert.deepEqual(csvColumn(s, 'cell_area_px_2d'), [64]);
    const ov = csv('roi_coloc_overview');
    assert.deepEqual(csvColumn(ov, 'roi_volume_voxels'), [1024]);
    assert.deepEqual(csvColumn(ov, 'roi_volume_um3'), [1024 * 2 * 0.25]);
    assert.equal(manifest.zStack.singlePlane, 1);
    for (const m of ['cell_masks', 'marker_masks', 'positive_cell_masks']) {
      const t = await readTiffPagesReference(join(res, `cell.ome_${m}.tif`));
      assert.equal(t.pages, 4, m);
      const perPlane = [0, 0, 0, 0];
      for (let i = 0; i < t.data.length; i++) if (t.data[i] !== 0) perPlane[Math.floor(i / 1024)]++;
      assert.deepEqual(perPlane, m === 'marker_masks' ? [0, 16, 0, 0] : [0, 64, 0, 0], m);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run: conflicting projections fail before reading; an empty crop names the key and the stack size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-z-'));
  try {
    const [a, b] = writeStack(dir);
    const base = {
      image: [a, b],
      results_dir: join(dir, 'res'),
      channel_config: { cell_channel: 0, marker_channel: 1 },
      rois: 'full',
    };
    const p = join(dir, 'c.yaml');
    await assert.rejects(
      runWorkflow(parseConfigObject({ ...base, cell_model_config: model({ z_projection: 'std' }), marker_model_config: model({ z_projection: 'var' }) }, p)),
      /marker_model_config\.z_projection: expected the same projection as cell_model_config\.z_projection .* got "var" vs "std"/,
    );
    await assert.rejects(
      runWorkflow(parseConfigObject({ ...base, cell_model_config: model({ z_crop: [3, 2] }), marker_model_config: model({}) }, p)),
      (e: Error) => e.message === `${p}: cell_model_config.z_crop: expected start < stop within the 4 planes of the image (negative = from the end), got [3,2] → [3, 2]`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the third channel\'s model config takes part in the common crop / projection', () => {
  const three = (region: object) =>
    parseConfigObject(
      {
        image: 'a.tif',
        channel_config: { cell_channel: 0, marker_channel: 1, optional_region_channel: 2 },
        cell_model_config: { ...otsu, z_crop: [1, null], z_projection: 'max' },
        marker_model_config: otsu,
        optional_region_model_config: region,
      },
      CFG,
    );
  assert.deepEqual(resolveZCrop(three({ ...otsu, z_crop: [-4, 5] }), 5), [1, 5]);
  throwsWith(
    () => resolveZCrop(three({ ...otsu, z_crop: [0, null] }), 5),
    'ConfigError',
    `${CFG}: optional_region_model_config.z_crop: expected the same planes as cell_model_config.z_crop (one z-crop for all channels, spec 12.1), got [0,null] → [0, 5] vs [1,null] → [1, 5] (stack of 5 planes)`,
  );
  throwsWith(
    () => resolveZProjection(three({ ...otsu, z_projection: 'std' })),
    'ConfigError',
    `${CFG}: optional_region_model_config.z_projection: expected the same projection as cell_model_config.z_projection (one projection for all channels, spec 12.2), got "std" vs "max"`,
  );
});
