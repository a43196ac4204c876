/**
 * Small hand-computed cases for the table builders (values derived on paper, see comments).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { close } from './helpers/fixtures.js';
import { buildObjectPropertiesTable } from '../src/tables/properties.js';
import { buildColocalizationTables } from '../src/tables/index.js';
import { cellSummaryColumns } from '../src/tables/cell-summary.js';
import { buildPositiveCellMask } from '../src/colocalization/positive-mask.js';
import { eigSym3 } from '../src/tables/object-measurements.js';
import type { Table } from '../src/core/table.js';
import type { ColocalizationConfig } from '../src/config/types.js';
import type { LabelVolume, RoiLabels } from '../src/core/volume.js';

const v = (t: Table, name: string, row = 0): number => {
  const c = t.columns.find((col) => col.name === name);
  if (!c) throw new Error(`${t.name}: no column ${name}`);
  return c.values[row];
};
const names = (t: Table) => t.columns.map((c) => c.name);

function labels(Z: number, Y: number, X: number, fill: (z: number, y: number, x: number) => number): LabelVolume {
  const data = new Uint32Array(Z * Y * X);
  for (let z = 0; z < Z; z++) for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) data[(z * Y + y) * X + x] = fill(z, y, x);
  return { data, shape: [Z, Y, X] };
}
function roiOf(Y: number, X: number, fill: (y: number, x: number) => number): RoiLabels {
  const data = new Uint16Array(Y * X);
  for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) data[y * X + x] = fill(y, x);
  return { data, shape: [Y, X] };
}
const coloc = (over: Partial<ColocalizationConfig> = {}): ColocalizationConfig => ({
  minCellVoxels: 0,
  overlapFractionThreshold: 0.02,
  minOverlapVoxels: 10,
  evaluateOptionalRegionCellPositivity: false,
  positivityRule: 'best_object',
  ...over,
});

const METRICS = [
  'area_px_2d', 'area_um2_2d', 'perimeter_px_2d', 'perimeter_um_2d', 'roundness_2d', 'eccentricity_2d',
  'volume_voxels_3d', 'volume_um3_3d', 'surface_area_um2_3d', 'sphericity_3d', 'ellipticity_3d',
  'mean_intensity', 'median_intensity', 'max_intensity', 'sum_intensity',
];

test('2D 5×5 square: area, perimeter, roundness, eccentricity, intensities', () => {
  // square y, x ∈ [2, 6] in a 9×9 plane; pixel size y = 0.5, x = 0.25 µm
  const lab = labels(1, 9, 9, (_z, y, x) => (y >= 2 && y <= 6 && x >= 2 && x <= 6 ? 4 : 0));
  const inten = new Float32Array(81);
  for (let y = 0; y < 9; y++) for (let x = 0; x < 9; x++) inten[y * 9 + x] = x + 10 * y;
  const roi = roiOf(9, 9, () => 1);
  const t = buildObjectPropertiesTable(lab, { data: inten, shape: [1, 9, 9] }, roi, {
    prefix: 'cell', labelColumn: 'cell_label', voxelSizeUm: [1, 0.5, 0.25], sheetName: 'cell_properties',
  });
  assert.deepEqual(names(t), ['roi_id', 'cell_label', 'centroid_z', 'centroid_y', 'centroid_x', ...METRICS.map((m) => `cell_${m}`)]);
  assert.equal(t.rowCount, 1);
  assert.equal(v(t, 'roi_id'), 1);
  assert.equal(v(t, 'cell_label'), 4);
  assert.deepEqual([v(t, 'centroid_z'), v(t, 'centroid_y'), v(t, 'centroid_x')], [0, 4, 4]);
  assert.equal(v(t, 'cell_area_px_2d'), 25);
  assert.equal(v(t, 'cell_area_um2_2d'), 25 * 0.5 * 0.25);
  // border = the 16 ring pixels. Corner (2,2): 1 + 2·2 (two border 4-neighbours) = 5 → weight 1.
  // Edge pixel next to a corner, e.g. (2,3): 1 + 2·2 + 10·1 (diagonal (3,2) is border) = 15 → 1;
  // middle edge pixel (2,4): 1 + 2·2 = 5 → 1. So perimeter = 16 × 1 = 16 px.
  assert.equal(v(t, 'cell_perimeter_px_2d'), 16);
  assert.equal(v(t, 'cell_perimeter_um_2d'), (16 * (0.5 + 0.25)) / 2);
  assert.ok(close(v(t, 'cell_roundness_2d'), (4 * Math.PI * 25) / 256, 1e-15));
  assert.equal(v(t, 'cell_eccentricity_2d'), 0); // isotropic second moments
  for (const m of ['volume_voxels_3d', 'volume_um3_3d', 'surface_area_um2_3d', 'sphericity_3d', 'ellipticity_3d']) {
    assert.ok(Number.isNaN(v(t, `cell_${m}`)), m);
  }
  // intensity x + 10y over x, y ∈ 2..6: mean = 4 + 40, median 44, max 6 + 60, sum 25 · 44
  assert.equal(v(t, 'cell_mean_intensity'), 44);
  assert.equal(v(t, 'cell_median_intensity'), 44);
  assert.equal(v(t, 'cell_max_intensity'), 66);
  assert.equal(v(t, 'cell_sum_intensity'), 1100);
});

test('2D 3×1 bar: eccentricity and perimeter', () => {
  // pixels (1,1),(1,2),(1,3): dx ∈ {−1,0,1} → mean dx² = 2/3, dy ≡ 0 → λ2 = 0, eccentricity 1.
  // All three are border pixels; ends: 1 + 2 = 3 → weight 0; middle: 1 + 2·2 = 5 → 1. Perimeter 1.
  const lab = labels(1, 3, 5, (_z, y, x) => (y === 1 && x >= 1 && x <= 3 ? 1 : 0));
  const t = buildObjectPropertiesTable(lab, null, roiOf(3, 5, () => 0), {
    prefix: 'object', labelColumn: 'object_label', voxelSizeUm: [1, 1, 1], sheetName: 'object_summary',
  });
  assert.equal(v(t, 'roi_id'), 0); // touches no ROI
  assert.equal(v(t, 'object_eccentricity_2d'), 1);
  assert.equal(v(t, 'object_perimeter_px_2d'), 1);
  assert.ok(Number.isNaN(v(t, 'object_mean_intensity'))); // no intensity image
});

test('3D 2×2×2 cube with anisotropic voxels: volume, surface, sphericity, ellipticity', () => {
  // cube z ∈ {1,2}, y ∈ {1,2}, x ∈ {1,2} in 4×4×4; voxel (z, y, x) = (2, 0.5, 0.5) µm
  const lab = labels(4, 4, 4, (z, y, x) => (z >= 1 && z <= 2 && y >= 1 && y <= 2 && x >= 1 && x <= 2 ? 9 : 0));
  const t = buildObjectPropertiesTable(lab, null, roiOf(4, 4, (y) => (y < 2 ? 3 : 5)), {
    prefix: 'marker', labelColumn: 'marker_label', voxelSizeUm: [2, 0.5, 0.5], sheetName: 'marker_properties',
  });
  assert.equal(v(t, 'roi_id'), 3); // touches ROIs 3 and 5 → smallest
  assert.deepEqual([v(t, 'centroid_z'), v(t, 'centroid_y'), v(t, 'centroid_x')], [1.5, 1.5, 1.5]);
  assert.equal(v(t, 'marker_volume_voxels_3d'), 8);
  const V = 8 * 2 * 0.5 * 0.5; // 4 µm³
  assert.equal(v(t, 'marker_volume_um3_3d'), V);
  // faces: 8 along z × (0.5·0.5) + 8 along y × (2·0.5) + 8 along x × (2·0.5) = 2 + 8 + 8 = 18 µm²
  assert.equal(v(t, 'marker_surface_area_um2_3d'), 18);
  assert.ok(close(v(t, 'marker_sphericity_3d'), (Math.cbrt(Math.PI) * Math.cbrt(36 * V * V)) / 18, 1e-14));
  // physical coords: var_z = 8·1²/7, var_y = var_x = 8·0.25²/7, no covariance → 1 − √(0.5/8) = 0.75
  assert.ok(close(v(t, 'marker_ellipticity_3d'), 0.75, 1e-14));
  for (const m of ['area_px_2d', 'perimeter_px_2d', 'roundness_2d', 'eccentricity_2d']) assert.ok(Number.isNaN(v(t, `marker_${m}`)));
});

test('3D planar object → ellipticity 1; fewer than 3 voxels → NaN', () => {
  const lab = labels(3, 4, 4, (z, y, x) => (z === 1 && y < 2 && x < 3 ? 1 : z === 2 && y === 3 && x < 2 ? 2 : 0));
  const t = buildObjectPropertiesTable(lab, null, roiOf(4, 4, () => 1), {
    prefix: 'cell', labelColumn: 'cell_label', voxelSizeUm: [1, 1, 1], sheetName: 's',
  });
  assert.equal(v(t, 'cell_ellipticity_3d', 0), 1);
  assert.ok(Number.isNaN(v(t, 'cell_ellipticity_3d', 1)));
});

test('eigSym3 on a full symmetric matrix', () => {
  // [[2,1,0],[1,2,1],[0,1,2]] has eigenvalues 2+√2, 2, 2−√2
  const [a, b, c] = eigSym3(2, 1, 0, 2, 1, 2);
  assert.ok(close(a, 2 + Math.SQRT2, 1e-14) && close(b, 2, 1e-14) && close(c, 2 - Math.SQRT2, 1e-14));
});

test('a cell touching two ROIs: one row per ROI, counts clipped to each polygon', () => {
  // 1×10×10, ROI 1 = x < 5, ROI 2 = x ≥ 5. Cell 1: y ∈ {2,3}, x ∈ 3..6 (8 px: 4 in each ROI).
  // Marker 7: y ∈ {2,3}, x ∈ {5,6} (4 px, all in ROI 2 and all inside the cell).
  // Marker 8: y = 8, x ∈ 4..5 (touches both ROIs, overlaps no cell).
  const cell = labels(1, 10, 10, (_z, y, x) => (y >= 2 && y <= 3 && x >= 3 && x <= 6 ? 1 : 0));
  const marker = labels(1, 10, 10, (_z, y, x) => (y >= 2 && y <= 3 && x >= 5 && x <= 6 ? 7 : y === 8 && (x === 4 || x === 5) ? 8 : 0));
  const roi = roiOf(10, 10, (_y, x) => (x < 5 ? 1 : 2));
  const t = buildColocalizationTables({
    cellMasks: cell, markerMasks: marker, cellIntensity: null, markerIntensity: null, roi,
    voxelSizeUm: [1, 1, 1], zBounds: null, colocalization: coloc({ minOverlapVoxels: 4, overlapFractionThreshold: 0.5 }),
  });
  const d = t.detailed;
  assert.equal(d.rowCount, 2);
  // ROI 1 row: 4 voxels, no marker
  assert.deepEqual(d.columns.map((c) => c.values[0]), [1, 1, 4, 0, NaN, 0, 0, 0, 10, 0, 5]);
  // ROI 2 row: 4 voxels, marker 7 overlaps all 4 → fraction 1
  assert.deepEqual(d.columns.map((c) => c.values[1]), [2, 1, 4, 1, 7, 4, 1, 0, 10, 5, 10]);
  const s = t.summary;
  assert.equal(s.rowCount, 2);
  assert.deepEqual([v(s, 'marker_positive', 0), v(s, 'marker_positive', 1)], [0, 1]);
  assert.deepEqual([v(s, 'cell_voxels_props', 0), v(s, 'cell_voxels_delta', 0), v(s, 'cell_voxels_delta', 1)], [8, -4, -4]);
  assert.equal(v(s, 'cell_area_px_2d', 0), 8); // metrics joined on cell_label in both rows (Q2)
  assert.equal(v(s, 'cell_area_px_2d', 1), 8);
  assert.deepEqual([v(s, 'centroid_z', 0), v(s, 'centroid_y', 0), v(s, 'centroid_x', 0)], [0, 2.5, 4.5]);
  // marker properties: one row per marker, roi_id = smallest touched ROI
  assert.deepEqual(Array.from(t.markerProperties.columns[0].values), [1, 2]); // marker 8 → ROI 1, marker 7 → ROI 2
  assert.deepEqual(Array.from(t.markerProperties.columns[1].values), [8, 7]);
  const o = t.overview;
  assert.deepEqual(Array.from(o.columns[1].values), [1, 1]); // n_cells
  assert.deepEqual(Array.from(o.columns[2].values), [0, 1]); // n_marker_positive_cells
  assert.deepEqual(Array.from(o.columns[3].values), [1, 2]); // n_marker_objects: 8 in both, 7 in ROI 2
  assert.deepEqual(Array.from(o.columns[4].values), [50, 50]);
  assert.equal(v(o, 'cell_occupancy_area_px_2d_projection', 0), 4);
  assert.equal(v(o, 'cell_occupancy_coverage_2d_percent', 0), 8);
  assert.equal(v(o, 'marker_occupancy_volume_voxels_3d', 1), 5);
  assert.deepEqual(Array.from(t.roiCellSummary.columns[1].values), [1, 1]);
  assert.deepEqual(Array.from(t.roiMarkerSummary.columns[1].values), [1, 2]);
  // ROI 2 average marker area: markers 7 (4 px) and 8 (2 px) → 3
  assert.equal(v(t.roiMarkerSummary, 'average_marker_area_px_2d', 1), 3);
  assert.equal(v(t.roiMarkerSummary, 'average_marker_area_px_2d', 0), 2);
  const pos = buildPositiveCellMask(cell, s);
  assert.deepEqual(pos.data, cell.data); // positive in ROI 2 → the whole label is kept
});

test('union vs best-object positivity', () => {
  // cell 1: 10×10 square (100 px). Markers 2 and 3: 6 px each inside the cell. min_overlap_voxels = 10.
  const cell = labels(1, 12, 12, (_z, y, x) => (y >= 1 && y <= 10 && x >= 1 && x <= 10 ? 1 : 0));
  const marker = labels(1, 12, 12, (_z, y, x) => (y === 2 && x >= 2 && x <= 7 ? 2 : y === 5 && x >= 3 && x <= 8 ? 3 : 0));
  const roi = roiOf(12, 12, () => 1);
  const base = { cellMasks: cell, markerMasks: marker, cellIntensity: null, markerIntensity: null, roi, voxelSizeUm: [1, 1, 1] as const, zBounds: null };
  const best = buildColocalizationTables({ ...base, colocalization: coloc() }).summary;
  assert.deepEqual(names(best), cellSummaryColumns('best_object'));
  assert.equal(v(best, 'marker_positive'), 0); // best single marker: 6 < 10
  assert.equal(v(best, 'best_marker_label'), 2); // tie 6/6 → smallest label
  assert.equal(v(best, 'best_overlap_fraction'), 0.06);
  const uni = buildColocalizationTables({ ...base, colocalization: coloc({ positivityRule: 'union' }) }).summary;
  assert.deepEqual(names(uni), cellSummaryColumns('union'));
  assert.deepEqual(names(uni).slice(7, 10), ['best_overlap_fraction', 'union_overlap_voxels', 'union_overlap_fraction']);
  assert.equal(v(uni, 'union_overlap_voxels'), 12);
  assert.equal(v(uni, 'union_overlap_fraction'), 0.12);
  assert.equal(v(uni, 'marker_positive'), 1); // 12 ≥ 10 and 0.12 ≥ 0.02
});

test('empty masks → full column sets, 0 rows; no ROI → empty overview with columns', () => {
  const empty = labels(1, 6, 6, () => 0);
  const run = (roi: RoiLabels) =>
    buildColocalizationTables({
      cellMasks: empty, markerMasks: empty, cellIntensity: null, markerIntensity: null, roi,
      voxelSizeUm: [1, 1, 1], zBounds: null, colocalization: coloc(),
    });
  const t = run(roiOf(6, 6, () => 1));
  assert.deepEqual(names(t.detailed), [
    'roi_id', 'cell_label', 'cell_voxels', 'n_overlapping_markers', 'marker_label', 'overlap_voxels',
    'overlap_fraction_of_cell', 'y_min', 'y_max', 'x_min', 'x_max',
  ]);
  assert.equal(t.detailed.rowCount, 0);
  assert.deepEqual(names(t.summary), [
    'roi_id', 'cell_label', 'cell_voxels', 'marker_positive', 'n_overlapping_markers', 'best_marker_label',
    'best_overlap_voxels', 'best_overlap_fraction', 'cell_voxels_props', 'centroid_z', 'centroid_y', 'centroid_x',
    'cell_voxels_delta', ...METRICS.map((m) => `cell_${m}`),
  ]);
  assert.equal(t.summary.rowCount, 0);
  assert.equal(t.markerProperties.columns.length, 20);
  assert.equal(t.markerProperties.rowCount, 0);
  // one ROI present: overview and ROI summaries keep their row, with zero counts and NaN averages
  assert.equal(t.overview.rowCount, 1);
  assert.equal(t.overview.columns.length, 20);
  assert.equal(v(t.overview, 'n_cells'), 0);
  assert.equal(v(t.overview, 'cell_occupancy_coverage_3d_percent'), 0);
  assert.equal(v(t.roiCellSummary, 'n_cells'), 0);
  assert.ok(Number.isNaN(v(t.roiMarkerSummary, 'average_marker_area_px_2d')));
  assert.equal(buildPositiveCellMask(empty, t.summary).data.length, 36);
  const none = run(roiOf(6, 6, () => 0));
  assert.equal(none.overview.rowCount, 0);
  assert.equal(none.overview.columns.length, 20);
  assert.equal(none.roiCellSummary.rowCount, 0);
  assert.equal(none.roiCellSummary.columns.length, 17);
});

test('z bounds: overview depth and detailed counts use [z0, z1)', () => {
  // 4 planes, masks already zero outside z ∈ [1, 3); ROI = whole plane (2×2)
  const cell = labels(4, 2, 2, (z) => (z >= 1 && z < 3 ? 1 : 0));
  const marker = labels(4, 2, 2, (z, y, x) => (z === 1 && y === 0 && x === 0 ? 5 : 0));
  const t = buildColocalizationTables({
    cellMasks: cell, markerMasks: marker, cellIntensity: null, markerIntensity: null, roi: roiOf(2, 2, () => 1),
    voxelSizeUm: [2, 1, 1], zBounds: [1, 3], colocalization: coloc({ minOverlapVoxels: 1 }),
  });
  assert.equal(v(t.detailed, 'cell_voxels'), 8);
  assert.equal(v(t.detailed, 'overlap_voxels'), 1);
  assert.equal(v(t.overview, 'roi_volume_voxels'), 8); // 4 px × depth 2
  assert.equal(v(t.overview, 'roi_volume_um3'), 16);
  assert.equal(v(t.overview, 'cell_occupancy_coverage_3d_percent'), 100);
  assert.equal(v(t.overview, 'marker_occupancy_coverage_2d_percent'), 25);
});

test('medians (quickselect) equal sorted medians for odd/even sizes and many ties', () => {
  // 1×40×50 plane, 40 objects = one row each with lengths 1..40 (odd and even counts); intensities from
  // a small value set (ties) plus floats
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const lab = labels(1, 40, 50, (_z, y, x) => (x < y + 1 ? y + 1 : 0));
  const inten = new Float64Array(40 * 50);
  for (let i = 0; i < inten.length; i++) inten[i] = i % 3 === 0 ? Math.floor(rnd() * 4) : rnd() * 100;
  const t = buildObjectPropertiesTable(lab, { data: inten, shape: [1, 40, 50] }, roiOf(40, 50, () => 1), {
    prefix: 'object', labelColumn: 'object_label', voxelSizeUm: [1, 1, 1], sheetName: 's',
  });
  for (let y = 0; y < 40; y++) {
    const vals = Array.from(inten.subarray(y * 50, y * 50 + y + 1)).sort((a, b) => a - b);
    const m = vals.length;
    const med = m % 2 ? vals[(m - 1) / 2] : (vals[m / 2 - 1] + vals[m / 2]) / 2;
    assert.equal(v(t, 'object_median_intensity', y), med, `object ${y + 1}`);
    assert.equal(v(t, 'object_max_intensity', y), vals[m - 1]);
  }
});
