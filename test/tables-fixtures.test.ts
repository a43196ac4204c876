/**
 * Every column of every sheet vs the original's CSVs for the whole-image-ROI fixtures
 * (`2d_two_channel_otsu_fullroi`, `3d_two_channel_otsu_fullroi`): with one ROI covering the image our
 * polygon membership rule equals the original exactly. Inputs are the original's own masks and ROI raster,
 * intensities from `input.ome.tif`; voxel size = `thresholds.json.voxel_scale_zyx_resolved`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readCsv, readTiffPagesReference, close } from './helpers/fixtures.js';
import { assertTableMatchesCsv, buildForCase, loadCase, valueOf } from './helpers/tables-case.js';
import { buildPositiveCellMask } from '../src/colocalization/positive-mask.js';

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
