/**
 * Intensity colocalization (issue 19) against outside references:
 *  - CellProfiler's own ExampleFly run (POS002, its crop as our ROI): the ROI row equals CellProfiler's
 *    Correlation_* values to 1e-5 (Costes to 1e-3) — test/fixtures/intensity-colocalization/README.md;
 *  - a straightforward NumPy implementation of the same definitions (scripts/make_intensity_coloc_fixtures.py,
 *    one boolean mask per region, full Pearson per Costes candidate) for every ROI and (ROI, cell) row: uint8 with
 *    a third channel and two ROIs crossed by a cell, Costes accurate and fast, another threshold percent, and
 *    float32 data (sorted ranks, float Costes scale);
 *  - edge cases whose answer follows from the definitions (constant, empty, one voxel, NaN voxels).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { openImageStack } from '../src/io/image-stack.js';
import { buildIntensityColocalizationTables } from '../src/tables/intensity-colocalization.js';
import { getColumn, type Table } from '../src/core/table.js';
import type { LabelVolume, RoiLabels, Volume } from '../src/core/volume.js';
import { readNpy } from './helpers/npy.js';
import { pyFloorDiv } from '../src/colocalization/intensity/costes.js';

const DIR = join(import.meta.dirname, 'fixtures', 'intensity-colocalization');
const cp = JSON.parse(readFileSync(join(DIR, 'cellprofiler_image_pos002.json'), 'utf8')) as Record<string, number>;
const reference = JSON.parse(readFileSync(join(DIR, 'expected_numpy_reference.json'), 'utf8')) as Record<
  string,
  { roi: Record<string, number | null>[]; cell: Record<string, number | null>[] }
>;

async function readTiff(name: string): Promise<Volume> {
  const s = await openImageStack(join(DIR, name));
  return s.readChannel(0, 0);
}
const [D, F, R, roiTif] = await Promise.all(['fly_D_crop.tif', 'fly_F_crop.tif', 'fly_R_crop.tif', 'fly_roi.tif'].map(readTiff));
const [, Y, X] = D.shape;
const flyRoi: RoiLabels = { data: Uint16Array.from(roiTif.data as Uint16Array), shape: [Y, X] };
const cells: LabelVolume = { data: Uint32Array.from(readNpy(join(DIR, 'cells.npy')).data as Uint32Array), shape: [1, Y, X] };
const rois2: RoiLabels = { data: readNpy(join(DIR, 'rois2.npy')).data as Uint16Array, shape: [Y, X] };
const f32 = (name: string): Volume => ({ data: readNpy(join(DIR, name)).data as Float32Array, shape: [1, Y, X] });
const noCells: LabelVolume = { data: new Uint32Array(Y * X), shape: [1, Y, X] };

function row(t: Table, i: number): Record<string, number> {
  return Object.fromEntries(t.columns.map((c) => [c.name, c.values[i]]));
}

test('ExampleFly POS002: the ROI row equals CellProfiler 3.0\'s Correlation_* measurements (1e-5; Costes 1e-3)', () => {
  assert.equal(D.data.constructor, Uint8Array);
  for (const costes of ['fast', 'accurate'] as const) {
    const t = buildIntensityColocalizationTables({
      cellIntensity: D,
      markerIntensity: F,
      cellMasks: noCells,
      roi: flyRoi,
      zBounds: null,
      config: { enabled: true, thresholdPercent: 15, costes },
    });
    assert.equal(t.roi.rowCount, 1);
    assert.equal(t.cell.rowCount, 0);
    const r = row(t.roi, 0);
    assert.equal(r.n_voxels, 199 * 199, 'CellProfiler Crop_AreaRetainedAfterCropping');
    const expect: [string, string, number][] = [
      ['pearson', 'Correlation_Correlation_CropBlue_CropGreen', 1e-5],
      ['slope', 'Correlation_Slope_CropBlue_CropGreen', 1e-5],
      ['manders_m1', 'Correlation_Manders_CropBlue_CropGreen', 1e-5],
      ['manders_m2', 'Correlation_Manders_CropGreen_CropBlue', 1e-5],
      ['rwc_1', 'Correlation_RWC_CropBlue_CropGreen', 1e-5],
      ['rwc_2', 'Correlation_RWC_CropGreen_CropBlue', 1e-5],
      ['overlap', 'Correlation_Overlap_CropBlue_CropGreen', 1e-5],
      ['k1', 'Correlation_K_CropBlue_CropGreen', 1e-5],
      ['k2', 'Correlation_K_CropGreen_CropBlue', 1e-5],
      ['costes_m1', 'Correlation_Costes_CropBlue_CropGreen', 1e-3],
      ['costes_m2', 'Correlation_Costes_CropGreen_CropBlue', 1e-3],
    ];
    for (const [ours, theirs, tol] of expect) {
      assert.ok(Math.abs(r[ours] - cp[theirs]) <= tol, `${costes}: ${ours} = ${r[ours]}, CellProfiler ${theirs} = ${cp[theirs]}`);
    }
  }
});

function compareWithReference(name: string, t: { roi: Table; cell: Table }) {
  const ref = reference[name];
  for (const [sheet, table, rows] of [
    ['roi', t.roi, ref.roi],
    ['cell', t.cell, ref.cell],
  ] as const) {
    assert.equal(table.rowCount, rows.length, `${name} ${sheet}: rows`);
    const refColumns = Object.keys(rows[0] ?? {}).sort();
    assert.deepEqual(table.columns.map((c) => c.name).sort(), refColumns, `${name} ${sheet}: columns`);
    for (let i = 0; i < rows.length; i++) {
      for (const col of refColumns) {
        const exp = rows[i][col] ?? NaN;
        const got = getColumn(table, col).values[i];
        const ok = Number.isNaN(exp) ? Number.isNaN(got) : Math.abs(got - exp) <= 1e-9 * Math.max(1, Math.abs(exp));
        assert.ok(ok, `${name} ${sheet} row ${i} (roi ${rows[i].roi_id}, cell ${rows[i].cell_label ?? '-'}): ${col} = ${got}, NumPy reference ${exp}`);
      }
    }
  }
}

test('per ROI and per cell, three channels, two ROIs, Costes fast: equal to the NumPy reference', () => {
  const t = buildIntensityColocalizationTables({
    cellIntensity: D,
    markerIntensity: F,
    optionalRegionIntensity: R,
    cellMasks: cells,
    roi: rois2,
    zBounds: null,
    config: { enabled: true, thresholdPercent: 15, costes: 'fast' },
  });
  compareWithReference('uint8_two_rois_fast_3ch', t);
  // cell 3 crosses the border of ROIs 1 and 2: one row in each, over its part inside that ROI
  const roiIds = getColumn(t.cell, 'roi_id').values;
  const labels = getColumn(t.cell, 'cell_label').values;
  const rowsOf3 = [...labels.keys()].filter((i) => labels[i] === 3).map((i) => roiIds[i]);
  assert.deepEqual(rowsOf3, [1, 2]);
  // the cell rows carry their ROI's Costes thresholds
  const thr = getColumn(t.cell, 'costes_threshold_1').values;
  const roiThr = getColumn(t.roi, 'costes_threshold_1').values;
  for (let i = 0; i < t.cell.rowCount; i++) assert.equal(thr[i], roiThr[roiIds[i] - 1]);
});

test('Costes accurate on CellProfiler\'s crop with cells, and threshold_percent 25 without Costes: equal to the NumPy reference', () => {
  compareWithReference(
    'uint8_fly_roi_accurate',
    buildIntensityColocalizationTables({
      cellIntensity: D,
      markerIntensity: F,
      cellMasks: cells,
      roi: flyRoi,
      zBounds: null,
      config: { enabled: true, thresholdPercent: 15, costes: 'accurate' },
    }),
  );
  const none = buildIntensityColocalizationTables({
    cellIntensity: D,
    markerIntensity: F,
    cellMasks: cells,
    roi: rois2,
    zBounds: null,
    config: { enabled: true, thresholdPercent: 25, costes: 'none' },
  });
  compareWithReference('uint8_two_rois_none_pct25', none);
  for (const c of ['costes_m1', 'costes_m2', 'costes_threshold_1', 'costes_threshold_2', 'coloc2_tm1', 'coloc2_tm2']) {
    assert.ok(getColumn(none.cell, c).values.every(Number.isNaN), `${c} empty with costes: none`);
  }
});

test('one ROI = the whole image (its group is the image itself, no copy), 2D and the third plane of a 3D stack: equal to the NumPy reference', () => {
  const full: RoiLabels = { data: new Uint16Array(Y * X).fill(1), shape: [Y, X] };
  const cfg = { enabled: true, thresholdPercent: 15, costes: 'fast' } as const;
  compareWithReference('uint8_full_roi_fast', buildIntensityColocalizationTables({ cellIntensity: D, markerIntensity: F, cellMasks: cells, roi: full, zBounds: null, config: cfg }));
  const stack = (v: Volume) => {
    const out = new Uint8Array(3 * Y * X);
    out.set((v.data as Uint8Array).map((x) => 255 - x), 0);
    out.set((v.data as Uint8Array).map((x) => x >> 1), Y * X);
    out.set(v.data as Uint8Array, 2 * Y * X);
    return { data: out, shape: [3, Y, X] as const };
  };
  const lab = new Uint32Array(3 * Y * X);
  for (let z = 0; z < 3; z++) lab.set(cells.data, z * Y * X);
  compareWithReference(
    'uint8_full_roi_fast',
    buildIntensityColocalizationTables({ cellIntensity: stack(D), markerIntensity: stack(F), cellMasks: { data: lab, shape: [3, Y, X] }, roi: full, zBounds: [2, 3], config: cfg }),
  );
});

test('the same values as int16 (level tables) and scaled ×257 as uint16 (fused tables, sorted cell ranks) give the uint8 NumPy rows', () => {
  // every coefficient but Costes is invariant under one common positive scale of both channels
  for (const [name, conv] of [
    ['int16', (v: Volume): Volume => ({ data: Int16Array.from(v.data as Uint8Array), shape: v.shape })],
    ['uint16 ×257', (v: Volume): Volume => ({ data: Uint16Array.from(v.data as Uint8Array, (x) => x * 257), shape: v.shape })],
  ] as const) {
    const t = buildIntensityColocalizationTables({
      cellIntensity: conv(D),
      markerIntensity: conv(F),
      cellMasks: cells,
      roi: rois2,
      zBounds: null,
      config: { enabled: true, thresholdPercent: 25, costes: 'none' },
    });
    const ref = reference.uint8_two_rois_none_pct25;
    for (const [sheet, table, rows] of [
      ['roi', t.roi, ref.roi],
      ['cell', t.cell, ref.cell],
    ] as const) {
      assert.equal(table.rowCount, rows.length);
      for (let i = 0; i < rows.length; i++) {
        for (const col of ['pearson', 'slope', 'manders_m1', 'manders_m2', 'rwc_1', 'rwc_2', 'overlap', 'k1', 'k2']) {
          const exp = rows[i][col] ?? NaN;
          const got = getColumn(table, col).values[i];
          const ok = Number.isNaN(exp) ? Number.isNaN(got) : Math.abs(got - exp) <= 1e-9 * Math.max(1, Math.abs(exp));
          assert.ok(ok, `${name} ${sheet} row ${i}: ${col} = ${got}, NumPy reference ${exp}`);
        }
      }
    }
  }
});

test('float32 data (non-integer values): sorted ranks and the float Costes scale equal the NumPy reference', () => {
  compareWithReference(
    'float32_two_rois_fast',
    buildIntensityColocalizationTables({
      cellIntensity: f32('fly_D_crop_f32.npy'),
      markerIntensity: f32('fly_F_crop_f32.npy'),
      cellMasks: cells,
      roi: rois2,
      zBounds: null,
      config: { enabled: true, thresholdPercent: 15, costes: 'fast' },
    }),
  );
});

test('edge cases: constant, one-voxel, empty and NaN regions give empty values, never a crash', () => {
  // 1 plane 4 × 6: ROI 1 = columns 0–2 (constant cell channel), ROI 2 = columns 3–5; cell 1 = one voxel in ROI 2
  const shape = [1, 4, 6] as const;
  const a = new Float32Array(24).fill(7);
  const b = new Float32Array(24);
  for (let i = 0; i < 24; i++) b[i] = i % 5;
  a[5] = NaN; // in ROI 2 (x = 5, y = 0)
  a[9] = 3;
  const roi = new Uint16Array(24);
  for (let i = 0; i < 24; i++) roi[i] = i % 6 < 3 ? 1 : 2;
  const labels = new Uint32Array(24);
  labels[10] = 1; // x = 4, y = 1 (ROI 2)
  labels[0] = 2; // ROI 1, constant channel
  labels[1] = 2;
  const t = buildIntensityColocalizationTables({
    cellIntensity: { data: a, shape },
    markerIntensity: { data: b, shape },
    cellMasks: { data: labels, shape },
    roi: { data: roi, shape: [4, 6] },
    zBounds: null,
    config: { enabled: true, thresholdPercent: 15, costes: 'accurate' },
  });
  const r1 = row(t.roi, 0);
  assert.ok(Number.isNaN(r1.pearson) && Number.isNaN(r1.slope), 'constant cell channel: no Pearson, no slope');
  // every voxel of the constant channel is above its threshold; the marker (i mod 5) is below its threshold
  // (0.15 · 4) only where it is 0: voxels 0 and 20 of ROI 1's 12 → M1 = 10/12, M2 = 1
  assert.equal(r1.manders_m1, (7 * 10) / (7 * 12));
  assert.equal(r1.manders_m2, 1);
  const r2 = row(t.roi, 1);
  for (const c of ['pearson', 'manders_m1', 'rwc_1', 'overlap', 'costes_m1']) assert.ok(Number.isNaN(r2[c]), `NaN voxel in ROI 2: ${c} empty`);
  const cell1 = row(t.cell, 1);
  assert.equal(cell1.cell_label, 1);
  assert.equal(cell1.n_voxels, 1);
  assert.ok(Number.isNaN(cell1.pearson) && Number.isNaN(cell1.slope), 'one voxel: no Pearson, no slope');
  // no ROI voxels at all: no rows; z bounds that exclude every plane likewise
  const empty = buildIntensityColocalizationTables({
    cellIntensity: { data: a, shape },
    markerIntensity: { data: b, shape },
    cellMasks: { data: labels, shape },
    roi: { data: roi, shape: [4, 6] },
    zBounds: [1, 1],
    config: { enabled: true, thresholdPercent: 15, costes: 'fast' },
  });
  assert.equal(empty.roi.rowCount, 0);
  assert.equal(empty.cell.rowCount, 0);
  assert.equal(empty.roi.columns.length, 2 + 15, 'an empty sheet keeps its columns');
});

test('Costes needs positively correlated channels: an anti-correlated ROI leaves the Costes columns empty', () => {
  const anti = { data: (D.data as Uint8Array).map((v) => 255 - v), shape: D.shape };
  const t = buildIntensityColocalizationTables({
    cellIntensity: D,
    markerIntensity: anti,
    cellMasks: noCells,
    roi: flyRoi,
    zBounds: null,
    config: { enabled: true, thresholdPercent: 15, costes: 'fast' },
  });
  const r = row(t.roi, 0);
  assert.ok(r.pearson < -0.99, `pearson ${r.pearson}`);
  for (const c of ['costes_m1', 'costes_m2', 'costes_threshold_1', 'costes_threshold_2', 'coloc2_tm1', 'coloc2_tm2']) assert.ok(Number.isNaN(r[c]), c);
});

test('3D: only the analysed planes count; the rows equal the same computation on the cropped planes', () => {
  const shape = [3, Y, X] as const;
  const stack = (v: Volume) => {
    const out = new Uint8Array(3 * Y * X);
    out.set(v.data as Uint8Array, 0);
    out.set((v.data as Uint8Array).map((x) => 255 - x), Y * X); // plane 1 anti-correlated
    out.set(v.data as Uint8Array, 2 * Y * X);
    return { data: out, shape };
  };
  const lab = new Uint32Array(3 * Y * X);
  for (let z = 0; z < 3; z++) lab.set(cells.data, z * Y * X);
  const cfg = { enabled: true, thresholdPercent: 15, costes: 'fast' } as const;
  const both = buildIntensityColocalizationTables({
    cellIntensity: stack(D),
    markerIntensity: stack(F),
    cellMasks: { data: lab, shape },
    roi: rois2,
    zBounds: [2, 3],
    config: cfg,
  });
  const one = buildIntensityColocalizationTables({ cellIntensity: D, markerIntensity: F, cellMasks: cells, roi: rois2, zBounds: null, config: cfg });
  for (const sheet of ['roi', 'cell'] as const) {
    for (const c of one[sheet].columns) assert.deepEqual(getColumn(both[sheet], c.name).values, c.values, `${sheet}.${c.name}`);
  }
});

test('pyFloorDiv is CPython float floor division', () => {
  // expected values printed by CPython 3.11 (`1.0 // (1/255), 0.5 // 0.1, -1.0 // 0.3, 7.0 // 2.0`)
  assert.equal(pyFloorDiv(1.0, 1 / 255), 255);
  assert.equal(pyFloorDiv(0.5, 0.1), 4);
  assert.equal(pyFloorDiv(-1.0, 0.3), -4);
  assert.equal(pyFloorDiv(7, 2), 3);
});
