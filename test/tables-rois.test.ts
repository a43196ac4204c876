/**
 * `2d_two_channel_li_percentile_rois` (3 ROIs: a concave polygon, a rectangle, an "ellipse" rasterised
 * as its bounding rectangle). The original counts cells inside each ROI's bbox (Q4); our rule counts
 * inside polygon(k). Every value our rule must reproduce is compared with the CSVs; the per-(ROI, cell)
 * counts are checked against an independent brute-force count over the masks in this test, and the one
 * place where the rules differ here (cell 3 has 6 voxels inside bbox(ROI 1) but outside polygon(1)) is
 * asserted explicitly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readCsv, close } from './helpers/fixtures.js';
import { assertTableMatchesCsv, buildForCase, loadCase, valueOf } from './helpers/tables-case.js';
import type { Csv } from './helpers/fixtures.js';
import type { Table } from '../src/core/table.js';

/** Brute force: voxels of `cell` with ROI raster == k, and of those, voxels under marker m. */
function bruteCounts(cell: ArrayLike<number>, marker: ArrayLike<number>, roi: Uint16Array, plane: number) {
  const inPoly = new Map<string, number>();
  const overlap = new Map<string, number>();
  for (let i = 0; i < cell.length; i++) {
    const k = roi[i % plane];
    const c = cell[i];
    if (k === 0 || c === 0) continue;
    inPoly.set(`${k}/${c}`, (inPoly.get(`${k}/${c}`) ?? 0) + 1);
    if (marker[i] !== 0) overlap.set(`${k}/${c}/${marker[i]}`, (overlap.get(`${k}/${c}/${marker[i]}`) ?? 0) + 1);
  }
  return { inPoly, overlap };
}

/** CSV with some cells replaced (row, column → value). */
function patched(csv: Csv, edits: Array<[number, string, string]>): Csv {
  const rows = csv.rows.map((r) => r.slice());
  for (const [r, name, v] of edits) rows[r][csv.header.indexOf(name)] = v;
  return { header: csv.header, rows };
}

function rowOf(t: Table, roi: number, cell: number): number {
  for (let r = 0; r < t.rowCount; r++) if (valueOf(t, 'roi_id', r) === roi && valueOf(t, 'cell_label', r) === cell) return r;
  return -1;
}

test('2d_two_channel_li_percentile_rois: polygon rule vs the original', async () => {
  const c = await loadCase('2d_two_channel_li_percentile_rois');
  const t = buildForCase(c);
  const e = (f: string) => readCsv(join(c.dir, 'expected', f));
  const [, Y, X] = c.cell.shape;
  const brute = bruteCounts(c.cell.data, c.marker.data, c.roi.data, Y * X);

  // every (ROI, cell) row: cell_voxels and overlaps equal the independent polygon counts
  const d = t.detailed;
  const groups = new Set<string>();
  for (let r = 0; r < d.rowCount; r++) {
    const k = valueOf(d, 'roi_id', r);
    const cl = valueOf(d, 'cell_label', r);
    const m = valueOf(d, 'marker_label', r);
    groups.add(`${k}/${cl}`);
    assert.equal(valueOf(d, 'cell_voxels', r), brute.inPoly.get(`${k}/${cl}`), `cell_voxels ${k}/${cl}`);
    const ov = Number.isNaN(m) ? 0 : brute.overlap.get(`${k}/${cl}/${m}`);
    assert.equal(valueOf(d, 'overlap_voxels', r), ov);
    assert.ok(close(valueOf(d, 'overlap_fraction_of_cell', r), ov! / brute.inPoly.get(`${k}/${cl}`)!));
  }
  // rows exist exactly for the cells touching each polygon
  assert.deepEqual([...groups].sort(), [...brute.inPoly.keys()].sort());

  // the rule difference: cell 3 has 641 voxels in bbox(ROI 1) (original) but 635 in polygon(1)
  let inBox = 0;
  for (let y = 7; y < 126; y++) for (let x = 13; x < 136; x++) if (c.cell.data[y * X + x] === 3) inBox++;
  assert.equal(inBox, 641);
  assert.equal(brute.inPoly.get('1/3'), 635);
  const sr = rowOf(t.summary, 1, 3);
  assert.equal(valueOf(t.summary, 'cell_voxels', sr), 635);
  assert.equal(valueOf(t.summary, 'cell_voxels_props', sr), 641);
  assert.equal(valueOf(t.summary, 'cell_voxels_delta', sr), -6);

  // everything else is what the original computed
  assertTableMatchesCsv(d, patched(e('detailed_overlaps.csv'), [[1, 'cell_voxels', '635']]), 'detailed_overlaps');
  assertTableMatchesCsv(
    t.summary,
    patched(e('cell_summary.csv'), [
      [1, 'cell_voxels', '635'],
      [1, 'cell_voxels_delta', '-6'],
    ]),
    'cell_summary',
  );
  assertTableMatchesCsv(t.markerProperties, e('marker_properties.csv'), 'marker_properties');
  assertTableMatchesCsv(t.overview, e('roi_coloc_overview.csv'), 'roi_coloc_overview');
  assertTableMatchesCsv(t.roiCellSummary, e('roi_cell_summary.csv'), 'roi_cell_summary');
  assertTableMatchesCsv(t.roiMarkerSummary, e('roi_marker_summary.csv'), 'roi_marker_summary');
});
