/** Result file names (spec 3.5, Q20 stem rule, Q22 crop folder). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildResultsPaths, csvPathForSheet } from '../src/export/results-paths.js';

test('results/ beside the image; stem drops only the last suffix (Q20)', () => {
  const p = buildResultsPaths('/data/exp1/sample.ome.tif');
  assert.equal(p.resultsDir, '/data/exp1/results');
  assert.equal(p.stem, 'sample.ome');
  assert.equal(p.cropTag, null);
  assert.equal(p.roiMaskPath, '/data/exp1/results/sample.ome_roi_labelmask.tif');
  assert.equal(p.detailedCsvPath, '/data/exp1/results/sample.ome_cell_colocalization.csv');
  assert.equal(p.excelPath, '/data/exp1/results/sample.ome_cell_colocalization.xlsx');
  assert.equal(p.cellMaskPath, '/data/exp1/results/sample.ome_cell_masks.tif');
  assert.equal(p.markerMaskPath, '/data/exp1/results/sample.ome_marker_masks.tif');
  assert.equal(p.positiveCellMaskPath, '/data/exp1/results/sample.ome_positive_cell_masks.tif');
  assert.equal(p.optionalRegionMaskPath, '/data/exp1/results/sample.ome_region_mask.tif');
  assert.equal(p.manifestPath, '/data/exp1/results/sample.ome_run_manifest.json');
  assert.equal(p.objectCsvPath, '/data/exp1/results/sample.ome_single_channel_objects.csv');
  assert.equal(p.singleChannelExcelPath, '/data/exp1/results/sample.ome_single_channel_segmentation.xlsx');
  assert.equal(p.singleChannelMaskPath, '/data/exp1/results/sample.ome_single_channel_masks.tif');
  assert.equal(buildResultsPaths('/d/plain').stem, 'plain');
  assert.equal(buildResultsPaths('/d/.hidden').stem, '.hidden');
});

test('one CSV per sheet; detailed_overlaps keeps the original name', () => {
  const p = buildResultsPaths('/d/x.tif');
  assert.equal(csvPathForSheet(p, 'detailed_overlaps'), '/d/results/x_cell_colocalization.csv');
  for (const s of ['cell_summary', 'marker_properties', 'roi_coloc_overview', 'roi_cell_summary', 'roi_marker_summary']) {
    assert.equal(csvPathForSheet(p, s), `/d/results/x_${s}.csv`);
  }
});

test('resultsDir override and crop sub-folder (fix Q22); nothing is created', () => {
  const p = buildResultsPaths('/d/x.tif', { resultsDir: '/out', cropForTesting: [[0, 5], [10, 74], [3, 67]] });
  assert.equal(p.cropTag, 'crop_z0-5_y10-74_x3-67');
  assert.equal(p.resultsDir, '/out/crop_z0-5_y10-74_x3-67');
  assert.equal(p.cellMaskPath, '/out/crop_z0-5_y10-74_x3-67/x_cell_masks.tif');
  const rel = buildResultsPaths('rel/img.tif', { resultsDir: null });
  assert.equal(rel.resultsDir, join(process.cwd(), 'rel', 'results'));
  assert.equal(existsSync(rel.resultsDir), false);
});
