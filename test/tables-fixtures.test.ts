/**
 * Every column of every sheet vs the original's CSVs for the whole-image-ROI fixtures
 * (`2d_two_channel_otsu_fullroi`, `3d_two_channel_otsu_fullroi`): with one ROI covering the image our
 * polygon membership rule equals the original exactly. Inputs are the original's own masks and ROI raster,
 * intensities from `input.ome.tif`; voxel size = `thresholds.json.voxel_scale_zyx_resolved`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { caseDir, readCsv, readJson, readTiffPagesReference, close, type Csv } from './helpers/fixtures.js';
import { buildColocalizationTables, type ColocalizationTables } from '../src/tables/index.js';
import { buildPositiveCellMask } from '../src/colocalization/positive-mask.js';
import type { Table } from '../src/core/table.js';
import type { ColocalizationConfig } from '../src/config/types.js';
import type { LabelVolume, Volume } from '../src/core/volume.js';

export interface LoadedCase {
  cell: LabelVolume;
  marker: LabelVolume;
  cellImage: Volume;
  markerImage: Volume;
  roi: { data: Uint16Array; shape: [number, number] };
  voxel: [number, number, number];
  coloc: ColocalizationConfig;
  dir: string;
}

export async function loadCase(name: string): Promise<LoadedCase> {
  const dir = caseDir(name);
  const cellT = await readTiffPagesReference(join(dir, 'expected', 'cell_masks.tif'));
  const markerT = await readTiffPagesReference(join(dir, 'expected', 'marker_masks.tif'));
  const roiT = await readTiffPagesReference(join(dir, 'expected', 'roi_labels.tif'));
  const img = await readTiffPagesReference(join(dir, 'input.ome.tif'));
  const cfg = readJson(join(dir, 'config.json'));
  const Z = cellT.pages;
  const Y = cellT.height;
  const X = cellT.width;
  const C = img.pages / Z;
  const plane = Y * X;
  // CYX → page = channel; ZCYX → page = z*C + c
  const channel = (c: number): Volume => {
    const out = new Uint16Array(Z * plane);
    for (let z = 0; z < Z; z++) out.set(img.data.subarray((z * C + c) * plane, (z * C + c + 1) * plane) as Uint16Array, z * plane);
    return { data: out, shape: [Z, Y, X] };
  };
  const cc = cfg.colocalization_config;
  return {
    cell: { data: Uint32Array.from(cellT.data), shape: [Z, Y, X] },
    marker: { data: Uint32Array.from(markerT.data), shape: [Z, Y, X] },
    cellImage: channel(cfg.channel_config.cell_channel),
    markerImage: channel(cfg.channel_config.marker_channel),
    roi: { data: Uint16Array.from(roiT.data), shape: [Y, X] },
    voxel: readJson(join(dir, 'expected', 'thresholds.json')).voxel_scale_zyx_resolved,
    coloc: {
      minCellVoxels: cc.min_cell_voxels,
      overlapFractionThreshold: cc.overlap_fraction_threshold,
      minOverlapVoxels: cc.min_overlap_voxels,
      evaluateOptionalRegionCellPositivity: false,
      positivityRule: 'best_object',
    },
    dir,
  };
}

export function buildForCase(c: LoadedCase): ColocalizationTables {
  return buildColocalizationTables({
    cellMasks: c.cell,
    markerMasks: c.marker,
    cellIntensity: c.cellImage,
    markerIntensity: c.markerImage,
    roi: c.roi,
    voxelSizeUm: c.voxel,
    zBounds: null,
    colocalization: c.coloc,
  });
}

const TIGHT = /perimeter|roundness|eccentricity|ellipticity/;

/** Our column name for an expected CSV column (Q3: the suffixed centroid pairs map to one triple). */
function ourName(expected: string): string {
  const m = /^(centroid_[zyx])_[xy]$/.exec(expected);
  return m ? m[1] : expected;
}

export function valueOf(t: Table, name: string, row: number): number {
  const c = t.columns.find((col) => col.name === name);
  if (!c) throw new Error(`${t.name}: no column ${name}`);
  return c.values[row];
}

/** Compares every column and row of `csv` with `table` (same row order). */
export function assertTableMatchesCsv(table: Table, csv: Csv, label: string): void {
  const expectedNames = [...new Set(csv.header.map(ourName))];
  assert.deepEqual(
    table.columns.map((c) => c.name),
    expectedNames,
    `${label}: column set/order`,
  );
  assert.equal(table.rowCount, csv.rows.length, `${label}: row count`);
  for (let j = 0; j < csv.header.length; j++) {
    const name = ourName(csv.header[j]);
    const rel = TIGHT.test(name) ? 1e-12 : 1e-6;
    for (let r = 0; r < csv.rows.length; r++) {
      const raw = csv.rows[r][j];
      const exp = raw === '' ? NaN : raw === 'True' ? 1 : raw === 'False' ? 0 : Number(raw);
      const got = valueOf(table, name, r);
      assert.ok(close(got, exp, rel), `${label} row ${r} ${csv.header[j]}: got ${got}, expected ${exp}`);
    }
  }
}

for (const name of ['2d_two_channel_otsu_fullroi', '3d_two_channel_otsu_fullroi']) {
  test(`${name}: every sheet matches the original`, async () => {
    const c = await loadCase(name);
    const t = buildForCase(c);
    const e = (f: string) => readCsv(join(c.dir, 'expected', f));
    assertTableMatchesCsv(t.detailed, e('detailed_overlaps.csv'), 'detailed_overlaps');
    assertTableMatchesCsv(t.summary, e('cell_summary.csv'), 'cell_summary');
    assertTableMatchesCsv(t.markerProperties, e('marker_properties.csv'), 'marker_properties');
    assertTableMatchesCsv(t.overview, e('roi_coloc_overview.csv'), 'roi_coloc_overview');
    assertTableMatchesCsv(t.roiCellSummary, e('roi_cell_summary.csv'), 'roi_cell_summary');
    assertTableMatchesCsv(t.roiMarkerSummary, e('roi_marker_summary.csv'), 'roi_marker_summary');
    assert.deepEqual(
      [t.detailed.name, t.summary.name, t.markerProperties.name, t.overview.name, t.roiCellSummary.name, t.roiMarkerSummary.name],
      ['detailed_overlaps', 'cell_summary', 'marker_properties', 'roi_coloc_overview', 'roi_cell_summary', 'roi_marker_summary'],
    );
    // summary centroid triple equals both suffixed centroid sets of the original (Q3)
    const sum = e('cell_summary.csv');
    for (const axis of ['z', 'y', 'x']) {
      const ix = sum.header.indexOf(`centroid_${axis}_x`);
      const iy = sum.header.indexOf(`centroid_${axis}_y`);
      for (let r = 0; r < sum.rows.length; r++) {
        const got = valueOf(t.summary, `centroid_${axis}`, r);
        assert.ok(close(got, Number(sum.rows[r][ix])) && close(got, Number(sum.rows[r][iy])), `centroid_${axis} row ${r}`);
      }
    }
    // positive-cell mask equals the original's
    const pos = await readTiffPagesReference(join(c.dir, 'expected', 'positive_cell_masks.tif'));
    const mask = buildPositiveCellMask(c.cell, t.summary);
    assert.deepEqual(mask.data, Uint32Array.from(pos.data));
  });
}
