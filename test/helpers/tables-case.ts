/**
 * Test-only helpers for the table tests: load a fixture case (original masks, ROI raster, intensity
 * channels, voxel size, colocalization parameters), build all tables, compare a table with a CSV.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { caseDir, readJson, readTiffPagesReference, close, type Csv } from './fixtures.js';
import { buildColocalizationTables, type ColocalizationTables } from '../../src/tables/index.js';
import type { Table } from '../../src/core/table.js';
import type { ColocalizationConfig } from '../../src/config/types.js';
import type { LabelVolume, Volume } from '../../src/core/volume.js';

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

