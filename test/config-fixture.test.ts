/**
 * configFromFixture: each of the 7 upstream fixture cases' config.json translates into our config
 * (values checked against the config.json records by hand).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { caseDir } from './helpers/fixtures.js';
import { configFromFixture } from './helpers/fixture-config.js';
import { assertSupported } from '../src/config/schema.js';

const CASES = [
  '2d_single_channel_count',
  '2d_two_channel_cellpose_fullroi',
  '2d_two_channel_li_percentile_rois',
  '2d_two_channel_otsu_fullroi',
  '3d_three_channel_optional_region',
  '3d_two_channel_cellpose_fullroi',
  '3d_two_channel_otsu_fullroi',
];

test('every fixture case parses', () => {
  for (const name of CASES) {
    const dir = caseDir(name);
    const c = configFromFixture(dir);
    assert.equal(c.image, join(dir, 'input.ome.tif'), name);
    assert.equal(c.configPath, join(dir, 'config.json'));
    assert.equal(c.voxelScaleZyx, null);
    assert.equal(c.resultsDir, null);
    assert.equal(c.runtimeConfig.useGpu, false);
    assert.equal(c.runtimeConfig.drawRois, false);
  }
});

test('2d_two_channel_li_percentile_rois: postfilters, ROI raster of the original, thresholds', () => {
  const dir = caseDir('2d_two_channel_li_percentile_rois');
  const c = configFromFixture(dir, { resultsDir: '/tmp/out' });
  assert.equal(c.resultsDir, '/tmp/out');
  assert.deepEqual(c.rois, { kind: 'label_image', path: join(dir, 'expected', 'roi_labels.tif') });
  const cell = c.cellModelConfig;
  assert.equal(cell.modelNameOrPath, 'cpsam');
  assert.equal(cell.segmentationMethod, 'li');
  assert.deepEqual(cell.prefilter, ['gaussian']);
  assert.deepEqual(cell.postfilters, ['min_size', 'min_intensity']);
  assert.equal(cell.postfilterMinObjectVoxels, 120);
  assert.equal(cell.minIntensityMeasure, 'median');
  assert.equal(cell.minIntensityThreshold, 330);
  const marker = c.markerModelConfig;
  assert.equal(marker.segmentationMethod, 'percentile');
  assert.deepEqual(marker.prefilter, ['median']);
  assert.deepEqual(marker.postfilters, ['local_contrast', 'bright_pixel_support']);
  assert.equal(marker.localContrastK, 15);
  assert.equal(marker.brightPixelMeasure, 'fraction');
  assert.equal(marker.brightPixelThreshold, 700);
  assert.equal(marker.brightPixelMinFraction, 0.3);
  assert.deepEqual(c.colocalizationConfig, {
    minCellVoxels: 60,
    overlapFractionThreshold: 0.05,
    minOverlapVoxels: 10,
    evaluateOptionalRegionCellPositivity: false,
    positivityRule: 'best_object',
  });
  assert.doesNotThrow(() => assertSupported(c));
});

test('2D / 3D otsu full-ROI cases are supported as they are', () => {
  for (const name of ['2d_two_channel_otsu_fullroi', '3d_two_channel_otsu_fullroi']) {
    const c = configFromFixture(caseDir(name));
    assert.deepEqual(c.rois, { kind: 'full' });
    assert.equal(c.cellModelConfig.segmentationMethod, 'otsu');
    assert.doesNotThrow(() => assertSupported(c));
  }
  const c3 = configFromFixture(caseDir('3d_two_channel_otsu_fullroi'));
  assert.equal(c3.colocalizationConfig.minCellVoxels, 150);
  assert.equal(c3.colocalizationConfig.minOverlapVoxels, 20);
});

test('3d_three_channel_optional_region: third channel and its model config', () => {
  const c = configFromFixture(caseDir('3d_three_channel_optional_region'));
  assert.deepEqual(c.channelConfig, { cellChannel: 0, markerChannel: 1, optionalRegionChannel: 2 });
  const r = c.optionalRegionModelConfig!;
  assert.equal(r.segmentationMethod, 'otsu');
  assert.deepEqual(r.prefilter, ['gaussian']);
  assert.equal(r.prefilterSigmaZ, 0.5);
  assert.equal(r.thresholdMinObjectVoxels, 20);
  assert.equal(c.markerModelConfig.segmentationMethod, 'li');
  assert.equal(c.colocalizationConfig.evaluateOptionalRegionCellPositivity, true);
  // supported since issue 9 (spec 11; parity in test/pipeline-third-channel.test.ts)
  assert.doesNotThrow(() => assertSupported(c));
});

test('Cellpose cases: 3D anisotropy / flow3d_smooth, diameters', () => {
  const c2 = configFromFixture(caseDir('2d_two_channel_cellpose_fullroi'));
  assert.equal(c2.cellModelConfig.segmentationMethod, 'cellpose');
  // The original loaded `models/cpsam_tiny_coloc.pt`; the helper maps it to the exact weights as ONNX (`onnx_models`).
  assert.equal(c2.cellModelConfig.modelNameOrPath, `${caseDir('2d_two_channel_cellpose_fullroi')}/cpsam_tiny_coloc.onnx`);
  assert.equal(c2.cellModelConfig.diameter, 60);
  assert.equal(c2.markerModelConfig.diameter, 20);
  assert.equal(c2.colocalizationConfig.minCellVoxels, 100);
  const c3 = configFromFixture(caseDir('3d_two_channel_cellpose_fullroi'));
  assert.equal(c3.cellModelConfig.anisotropy, true);
  assert.equal(c3.cellModelConfig.flow3dSmooth, 1);
  assert.equal(c3.markerModelConfig.anisotropy, false);
  // supported since issue 7 (parity in test/cellpose-backend.test.ts)
  assert.doesNotThrow(() => assertSupported(c3));
});

test('2d_single_channel_count: the single-channel sections', () => {
  const c = configFromFixture(caseDir('2d_single_channel_count'));
  const s = c.singleChannel!;
  assert.equal(s.channelIndex, 1);
  assert.equal(s.minObjectVoxels, 30);
  assert.equal(s.modelConfig.segmentationMethod, 'otsu');
  assert.deepEqual(s.modelConfig.prefilter, ['gaussian']);
  assert.equal(s.modelConfig.prefilterSigmaXy, 0.8);
  assert.equal(s.modelConfig.thresholdBackgroundSigma, 15);
  assert.deepEqual(c.rois, { kind: 'full' });
  // supported since issue 9 (test/pipeline-single-channel.test.ts)
  assert.doesNotThrow(() => assertSupported(c));
});
