/**
 * Config schema: defaults (spec 2), normalisation rules, every error path with its exact one-line message,
 * assertSupported and checkChannelIndices.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigObject } from '../src/config/load-config.js';
import {
  assertSupported,
  checkChannelIndices,
  closestName,
  configJsonSchema,
  defaultColocalizationConfig,
  defaultModelConfig,
  defaultRuntimeConfig,
} from '../src/config/schema.js';
import { isCellColocError, type CellColocErrorTag } from '../src/core/errors.js';
import type { ModelConfig } from '../src/config/types.js';

const CFG = '/data/exp/run.yaml';
const base = { image: 'img.ome.tif', channel_config: { cell_channel: 0, marker_channel: 1 } };
const otsu = { segmentation_method: 'otsu' };

function parse(extra: Record<string, unknown>) {
  return parseConfigObject({ ...base, ...extra }, CFG);
}

function throwsWith(fn: () => unknown, tag: CellColocErrorTag, message: string) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isCellColocError(err, tag), `expected a ${tag}, got ${String(err)}`);
    assert.equal((err as Error).message, message);
    assert.ok(!(err as Error).message.includes('\n'), 'message must be one line');
    return true;
  });
}

/** The spec 2.4 defaults, written out by hand. */
const SPEC_MODEL_DEFAULTS: ModelConfig = {
  modelNameOrPath: null,
  segmentationMethod: 'cellpose',
  diameter: null,
  do3d: null,
  zAxis: 0,
  channelAxis: null,
  cellprobThreshold: 0.0,
  flowThreshold: 0.4,
  anisotropy: false,
  flow3dSmooth: 0,
  prefilter: [],
  prefilterSigmaXy: 1.0,
  prefilterSigmaZ: null,
  prefilterMedianSizeXy: 3,
  prefilterMedianSizeZ: null,
  zCrop: null,
  zProjection: null,
  thresholdPercentile: 98.0,
  thresholdBackgroundSigma: null,
  thresholdMinObjectVoxels: 10,
  thresholdMinHoleVoxels: 10,
  thresholdApplyClosing: true,
  postfilters: [],
  postfilterMinObjectVoxels: null,
  minIntensityMeasure: 'mean',
  minIntensityThreshold: null,
  localContrastK: 1.0,
  localContrastShellInnerRadius: 1,
  localContrastShellOuterRadius: 4,
  brightPixelMeasure: 'count',
  brightPixelThreshold: null,
  brightPixelMinCount: null,
  brightPixelMinFraction: null,
  declumpMethod: 'none',
  typicalDiameterPx: null,
  typicalDiameterUm: null,
  declumpSmoothingPx: null,
  declumpMinDistancePx: null,
  declumpMergeNeckPx: 1.5,
  declumpMergeContrast: null,
  fillHoles: false,
  excludeBorderObjects: false,
  discardOutsideDiameter: false,
};

test('defaults of spec 2 for a minimal file; paths resolve against the config folder', () => {
  const c = parseConfigObject(base, CFG);
  assert.equal(c.configPath, CFG);
  assert.equal(c.image, '/data/exp/img.ome.tif');
  assert.equal(c.resultsDir, null);
  assert.equal(c.voxelScaleZyx, null);
  assert.deepEqual(c.channelConfig, { cellChannel: 0, markerChannel: 1, optionalRegionChannel: null });
  assert.deepEqual(c.displayNames, {
    cell: 'Cells',
    marker: 'Marker',
    optionalRegion: 'Optional region',
    positiveCells: 'Marker-positive cells',
  });
  assert.deepEqual(c.cellModelConfig, SPEC_MODEL_DEFAULTS);
  assert.deepEqual(c.markerModelConfig, SPEC_MODEL_DEFAULTS);
  assert.equal(c.optionalRegionModelConfig, null);
  assert.deepEqual(c.colocalizationConfig, {
    minCellVoxels: 200,
    overlapFractionThreshold: 0.02,
    minOverlapVoxels: 20,
    evaluateOptionalRegionCellPositivity: false,
    positivityRule: 'best_object',
  });
  assert.deepEqual(c.runtimeConfig, {
    drawRois: true,
    processRois: true,
    openResults: true,
    useGpu: true,
    cropForTesting: null,
    imageLoadingMode: 'memory',
    t: 0,
    maxMemoryGb: null,
  });
  assert.deepEqual(c.rois, { kind: 'full' });
  assert.equal(c.singleChannel, null);
});

test('default*Config() for library users equal the spec defaults and take overrides', () => {
  assert.deepEqual(defaultModelConfig(), SPEC_MODEL_DEFAULTS);
  assert.deepEqual(defaultModelConfig({ segmentationMethod: 'otsu' }), { ...SPEC_MODEL_DEFAULTS, segmentationMethod: 'otsu' });
  assert.equal(defaultColocalizationConfig().minCellVoxels, 200);
  assert.equal(defaultColocalizationConfig({ positivityRule: 'union' }).positivityRule, 'union');
  assert.equal(defaultRuntimeConfig().imageLoadingMode, 'memory');
  assert.equal(defaultRuntimeConfig().t, 0);
  // fresh objects each call
  defaultModelConfig().prefilter.push('gaussian');
  assert.deepEqual(defaultModelConfig().prefilter, []);
});

test('paths: list of images, results_dir, absolute paths, label_image, ~', () => {
  const c = parse({
    image: ['c0.tif', '/abs/c1.tif', 'sub/../c2.tif'],
    results_dir: 'out',
    rois: { label_image: 'rois/r.tif' },
  });
  assert.deepEqual(c.image, ['/data/exp/c0.tif', '/abs/c1.tif', '/data/exp/c2.tif']);
  assert.equal(c.resultsDir, '/data/exp/out');
  assert.deepEqual(c.rois, { kind: 'label_image', path: '/data/exp/rois/r.tif' });
  const home = parse({ image: '~/x.tif' });
  assert.ok(typeof home.image === 'string' && !home.image.includes('~') && home.image.endsWith('/x.tif'));
});

test('names are stripped and lowercased; aliases log and min_object_voxels/min_pixels/min_voxels', () => {
  const c = parse({
    cell_model_config: {
      segmentation_method: ' OTSU ',
      prefilter: ['Gaussian', ' LOG', 'median'],
      postfilters: ['MIN_OBJECT_VOXELS', 'min_pixels', 'Min_Voxels ', 'min_size'],
      postfilter_min_object_voxels: 5,
      min_intensity_measure: ' Median',
      bright_pixel_measure: 'FRACTION',
      z_projection: ' Max ',
    },
    marker_model_config: { segmentation_method: 'Li', prefilter: 'log', postfilters: 'local_contrast' },
    colocalization_config: { positivity_rule: ' UNION ' },
    runtime_config: { image_loading_mode: 'MEMAP' },
  });
  const m = c.cellModelConfig;
  assert.equal(m.segmentationMethod, 'otsu');
  assert.deepEqual(m.prefilter, ['gaussian', 'laplacian_of_gaussian', 'median']);
  assert.deepEqual(m.postfilters, ['min_size', 'min_size', 'min_size', 'min_size']);
  assert.equal(m.minIntensityMeasure, 'median');
  assert.equal(m.brightPixelMeasure, 'fraction');
  assert.equal(m.zProjection, 'max');
  assert.equal(c.markerModelConfig.segmentationMethod, 'li');
  assert.deepEqual(c.markerModelConfig.prefilter, ['laplacian_of_gaussian']);
  assert.deepEqual(c.markerModelConfig.postfilters, ['local_contrast']);
  assert.equal(c.colocalizationConfig.positivityRule, 'union');
  assert.equal(c.runtimeConfig.imageLoadingMode, 'memap');
  assert.equal(parse({ runtime_config: { image_loading_mode: 'memmap' } }).runtimeConfig.imageLoadingMode, 'memap');
  assert.equal(parse({ cell_model_config: { prefilter: [] } }).cellModelConfig.prefilter.length, 0);
  assert.equal(parse({ rois: ' FULL ' }).rois.kind, 'full');
});

test('values: voxel scale, anisotropy, crop, t, shapes, z_crop, three-channel', () => {
  assert.deepEqual(parse({ voxel_scale_zyx: [2, 0.5, 0.5] }).voxelScaleZyx, [2, 0.5, 0.5]);
  assert.deepEqual(parse({ voxel_scale_zyx: [0.325, 0.325] }).voxelScaleZyx, [0.325, 0.325]);
  assert.equal(parse({ cell_model_config: { anisotropy: true } }).cellModelConfig.anisotropy, true);
  assert.equal(parse({ cell_model_config: { anisotropy: 2.5 } }).cellModelConfig.anisotropy, 2.5);
  const c = parse({
    runtime_config: { crop_for_testing: [[0, 1], [10, 74], [20, 84]], t: 3 },
    cell_model_config: { z_crop: [2, null] },
    channel_config: { cell_channel: 2, marker_channel: 0, optional_region_channel: 1 },
    rois: {
      shapes: [
        { type: 'Polygon', data: [[1, 2], [3, 4.5], [5, 6]] },
        { type: 'ellipse', data: [[0, 0], [10, 0], [10, 20], [0, 20]] },
      ],
    },
  });
  assert.deepEqual(c.runtimeConfig.cropForTesting, [[0, 1], [10, 74], [20, 84]]);
  assert.equal(c.runtimeConfig.t, 3);
  assert.deepEqual(c.cellModelConfig.zCrop, [2, null]);
  assert.deepEqual(c.channelConfig, { cellChannel: 2, markerChannel: 0, optionalRegionChannel: 1 });
  assert.deepEqual(c.rois, {
    kind: 'shapes',
    shapes: [
      { type: 'polygon', data: [[1, 2], [3, 4.5], [5, 6]] },
      { type: 'ellipse', data: [[0, 0], [10, 0], [10, 20], [0, 20]] },
    ],
  });
});

test('model_name_or_path is optional, and accepted with threshold methods (fixtures pass "cpsam")', () => {
  const c = parse({ cell_model_config: { model_name_or_path: 'cpsam', segmentation_method: 'percentile' } });
  assert.equal(c.cellModelConfig.modelNameOrPath, 'cpsam');
  assert.equal(parse({ cell_model_config: otsu }).cellModelConfig.modelNameOrPath, null);
});

test('cross-field rules pass when satisfied', () => {
  const m = parse({
    cell_model_config: {
      postfilters: ['min_size', 'min_intensity', 'bright_pixel_support', 'local_contrast'],
      postfilter_min_object_voxels: 0,
      min_intensity_threshold: 330,
      bright_pixel_threshold: 700,
      bright_pixel_min_count: 0,
      local_contrast_shell_inner_radius: 0,
      local_contrast_shell_outer_radius: 1,
    },
  }).cellModelConfig;
  assert.equal(m.postfilterMinObjectVoxels, 0);
  assert.equal(m.brightPixelMinCount, 0);
});

// ---------------------------------------------------------------------------------------------
// Error paths: exact messages
// ---------------------------------------------------------------------------------------------

test('unknown keys suggest the closest known key', () => {
  throwsWith(
    () => parse({ cell_model_config: { prefilter_sigma: 1 } }),
    'ConfigError',
    '/data/exp/run.yaml: cell_model_config.prefilter_sigma: unknown key, did you mean `prefilter_sigma_xy`?',
  );
  throwsWith(
    () => parse({ colocalisation_config: {} }),
    'ConfigError',
    '/data/exp/run.yaml: colocalisation_config: unknown key, did you mean `colocalization_config`?',
  );
  throwsWith(
    () => parse({ runtime_config: { useGpu: false } }),
    'ConfigError',
    '/data/exp/run.yaml: runtime_config.useGpu: unknown key, did you mean `use_gpu`?',
  );
  throwsWith(
    () => parse({ display_names: { xyz: 'a' } }),
    'ConfigError',
    '/data/exp/run.yaml: display_names.xyz: unknown key (not a field of display_names)',
  );
  throwsWith(
    () => parse({ rois: { shapes: [{ type: 'polygon', data: [[0, 0], [0, 1], [1, 1]], edge_width: 2 }] } }),
    'ConfigError',
    '/data/exp/run.yaml: rois.shapes[0].edge_width: unknown key (not a field of rois.shapes[0])',
  );
  throwsWith(
    () => parse({ optional_region_model_config: { segmentaton_method: 'otsu' } }),
    'ConfigError',
    '/data/exp/run.yaml: optional_region_model_config.segmentaton_method: unknown key, did you mean `segmentation_method`?',
  );
  assert.equal(closestName('flowthreshold', ['flow_threshold', 'cellprob_threshold']), 'flow_threshold');
  assert.equal(closestName('completely_different', ['flow_threshold']), null);
});

test('wrong types', () => {
  throwsWith(
    () => parse({ cell_model_config: { prefilter_sigma_xy: '1.0' } }),
    'ConfigError',
    '/data/exp/run.yaml: cell_model_config.prefilter_sigma_xy: expected a number from 0 to 50, got "1.0"',
  );
  throwsWith(
    () => parse({ cell_model_config: { threshold_apply_closing: 'yes' } }),
    'ConfigError',
    '/data/exp/run.yaml: cell_model_config.threshold_apply_closing: expected true or false, got "yes"',
  );
  throwsWith(
    () => parse({ channel_config: { cell_channel: 0.5, marker_channel: 1 } }),
    'ConfigError',
    '/data/exp/run.yaml: channel_config.cell_channel: expected a channel index (an integer >= 0) or a channel name, got 0.5',
  );
  throwsWith(
    () => parse({ image: 3 }),
    'ConfigError',
    '/data/exp/run.yaml: image: expected a path or a non-empty list of paths, got 3',
  );
  throwsWith(
    () => parse({ cell_model_config: 'otsu' }),
    'ConfigError',
    '/data/exp/run.yaml: cell_model_config: expected a mapping of fields, got "otsu"',
  );
  throwsWith(
    () => parse({ cell_model_config: { prefilter: 3 } }),
    'ConfigError',
    '/data/exp/run.yaml: cell_model_config.prefilter: expected null, a name or a list of names from gaussian, median, laplacian_of_gaussian (aliases: log), got 3',
  );
  throwsWith(
    () => parse({ cell_model_config: { anisotropy: 'x' } }),
    'ConfigError',
    '/data/exp/run.yaml: cell_model_config.anisotropy: expected false, true or a number > 0, got "x"',
  );
  throwsWith(
    () => parse({ rois: 'ful' }),
    'ConfigError',
    '/data/exp/run.yaml: rois: expected full, {label_image: <path>} or {shapes: [...]}, got "ful"',
  );
  throwsWith(
    () => parseConfigObject([1, 2], CFG),
    'ConfigError',
    '/data/exp/run.yaml: expected a mapping of sections (image, channel_config, ...) at the top level, got [1,2]',
  );
  throwsWith(
    () => parseConfigObject(null, CFG),
    'ConfigError',
    '/data/exp/run.yaml: expected a mapping of sections (image, channel_config, ...) at the top level, got an empty document',
  );
});

test('unknown names suggest the closest allowed name', () => {
  throwsWith(
    () => parse({ cell_model_config: { segmentation_method: 'otsus' } }),
    'ConfigError',
    '/data/exp/run.yaml: cell_model_config.segmentation_method: expected one of cellpose, otsu, li, percentile, got "otsus" (did you mean `otsu`?)',
  );
  throwsWith(
    () => parse({ cell_model_config: { prefilter: ['gaussian', 'gausian'] } }),
    'ConfigError',
    '/data/exp/run.yaml: cell_model_config.prefilter[1]: expected one of gaussian, median, laplacian_of_gaussian (aliases: log), got "gausian" (did you mean `gaussian`?)',
  );
  throwsWith(
    () => parse({ marker_model_config: { postfilters: 'contrast' } }),
    'ConfigError',
    '/data/exp/run.yaml: marker_model_config.postfilters: expected one of min_size, min_intensity, local_contrast, bright_pixel_support (aliases: min_object_voxels, min_pixels, min_voxels), got "contrast"',
  );
  throwsWith(
    () => parse({ runtime_config: { image_loading_mode: 'disk' } }),
    'ConfigError',
    '/data/exp/run.yaml: runtime_config.image_loading_mode: expected memory or memap (also spelled memmap), got "disk"',
  );
  throwsWith(
    () => parse({ cell_model_config: { z_projection: 'sum' } }),
    'ConfigError',
    '/data/exp/run.yaml: cell_model_config.z_projection: expected one of max, mean, median, std, var, got "sum"',
  );
  throwsWith(
    () => parse({ colocalization_config: { positivity_rule: 'any' } }),
    'ConfigError',
    '/data/exp/run.yaml: colocalization_config.positivity_rule: expected one of best_object, union, got "any"',
  );
  throwsWith(
    () => parse({ rois: { shapes: [{ type: 'path', data: [[0, 0], [0, 1], [1, 1]] }] } }),
    'ConfigError',
    '/data/exp/run.yaml: rois.shapes[0].type: expected polygon, rectangle or ellipse, got "path"',
  );
});

test('out-of-range values', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ cell_model_config: { prefilter_sigma_xy: -0.5 } }, 'cell_model_config.prefilter_sigma_xy: expected a number from 0 to 50, got -0.5'],
    [{ cell_model_config: { prefilter_sigma_z: -1 } }, 'cell_model_config.prefilter_sigma_z: expected a number from 0 to 50, got -1'],
    [{ cell_model_config: { prefilter_median_size_xy: 0 } }, 'cell_model_config.prefilter_median_size_xy: expected an integer from 1 to 31, got 0'],
    [{ cell_model_config: { prefilter_median_size_z: 0 } }, 'cell_model_config.prefilter_median_size_z: expected an integer from 1 to 31, got 0'],
    [{ cell_model_config: { flow3d_smooth: 11 } }, 'cell_model_config.flow3d_smooth: expected an integer from 0 to 10, got 11'],
    [{ cell_model_config: { flow3d_smooth: -1 } }, 'cell_model_config.flow3d_smooth: expected an integer from 0 to 10, got -1'],
    [{ cell_model_config: { threshold_percentile: 100.5 } }, 'cell_model_config.threshold_percentile: expected a number from 0 to 100, got 100.5'],
    [{ cell_model_config: { threshold_background_sigma: -2 } }, 'cell_model_config.threshold_background_sigma: expected a number from 0 to 200, got -2'],
    [{ cell_model_config: { anisotropy: 0 } }, 'cell_model_config.anisotropy: expected false, true or a number > 0, got 0'],
    [{ cell_model_config: { anisotropy: -1 } }, 'cell_model_config.anisotropy: expected false, true or a number > 0, got -1'],
    [{ cell_model_config: { bright_pixel_min_count: -1 } }, 'cell_model_config.bright_pixel_min_count: expected an integer >= 0, got -1'],
    [{ cell_model_config: { bright_pixel_min_fraction: 1.5 } }, 'cell_model_config.bright_pixel_min_fraction: expected a number from 0 to 1, got 1.5'],
    [{ cell_model_config: { postfilter_min_object_voxels: -3 } }, 'cell_model_config.postfilter_min_object_voxels: expected an integer >= 0, got -3'],
    [{ cell_model_config: { diameter: 0 } }, 'cell_model_config.diameter: expected a number from 1 to 2000, got 0'],
    [
      { cell_model_config: { local_contrast_shell_inner_radius: 4 } },
      'cell_model_config.local_contrast_shell_inner_radius: expected 0 <= inner < outer (local_contrast_shell_outer_radius is 4), got 4',
    ],
    [{ cell_model_config: { local_contrast_shell_inner_radius: -1 } }, 'cell_model_config.local_contrast_shell_inner_radius: expected an integer from 0 to 50, got -1'],
    [{ channel_config: { cell_channel: -1, marker_channel: 1 } }, 'channel_config.cell_channel: expected an integer >= 0, got -1'],
    [{ runtime_config: { t: -1 } }, 'runtime_config.t: expected an integer >= 0, got -1'],
    [{ voxel_scale_zyx: [1, 0, 1] }, 'voxel_scale_zyx[1]: expected null or 2 ([y, x]) or 3 ([z, y, x]) numbers > 0 in micrometres, got 0'],
    [{ voxel_scale_zyx: [1] }, 'voxel_scale_zyx: expected null or 2 ([y, x]) or 3 ([z, y, x]) numbers > 0 in micrometres, got [1]'],
    [{ voxel_scale_zyx: [1, 1, 1, 1] }, 'voxel_scale_zyx: expected null or 2 ([y, x]) or 3 ([z, y, x]) numbers > 0 in micrometres, got [1,1,1,1]'],
    [
      { runtime_config: { crop_for_testing: [[0, 1], [5, 5], [0, 3]] } },
      'runtime_config.crop_for_testing[1]: expected [[z0, z1], [y0, y1], [x0, x1]] with integers 0 <= start < stop, got [5,5]',
    ],
    [
      { runtime_config: { crop_for_testing: [[0, 1], [0, 5]] } },
      'runtime_config.crop_for_testing: expected [[z0, z1], [y0, y1], [x0, x1]] or null, got [[0,1],[0,5]]',
    ],
    [{ rois: { shapes: [{ type: 'rectangle', data: [[0, 0], [0, 1], [1, 1]] }] } }, 'rois.shapes[0].data: expected 4 [y, x] corners for a rectangle, got [[0,0],[0,1],[1,1]]'],
    [{ rois: { shapes: [{ type: 'polygon', data: [[0, 0], [0, 1]] }] } }, 'rois.shapes[0].data: expected at least 3 [y, x] vertices, got [[0,0],[0,1]]'],
    [{ rois: { shapes: [] } }, 'rois.shapes: expected at least one shape, got []'],
    [{ rois: {} }, 'rois: expected exactly one of label_image or shapes, got {}'],
  ];
  for (const [extra, msg] of cases) throwsWith(() => parse(extra), 'ConfigError', `${CFG}: ${msg}`);
});

test('cross-field rules name the missing parameter', () => {
  throwsWith(
    () => parse({ cell_model_config: { postfilters: 'min_voxels' } }),
    'ConfigError',
    `${CFG}: cell_model_config.postfilter_min_object_voxels: expected an integer >= 0 because postfilters include min_size, got null`,
  );
  throwsWith(
    () => parse({ marker_model_config: { postfilters: ['min_intensity'] } }),
    'ConfigError',
    `${CFG}: marker_model_config.min_intensity_threshold: expected a number because postfilters include min_intensity, got null`,
  );
  throwsWith(
    () => parse({ cell_model_config: { postfilters: ['bright_pixel_support'], bright_pixel_min_count: 3 } }),
    'ConfigError',
    `${CFG}: cell_model_config.bright_pixel_threshold: expected a number because postfilters include bright_pixel_support, got null`,
  );
  throwsWith(
    () => parse({ cell_model_config: { postfilters: ['bright_pixel_support'], bright_pixel_threshold: 700 } }),
    'ConfigError',
    `${CFG}: cell_model_config.bright_pixel_min_count: expected an integer >= 0 because postfilters include bright_pixel_support with bright_pixel_measure count, got null`,
  );
  throwsWith(
    () =>
      parse({
        cell_model_config: { postfilters: ['bright_pixel_support'], bright_pixel_threshold: 700, bright_pixel_measure: 'fraction' },
      }),
    'ConfigError',
    `${CFG}: cell_model_config.bright_pixel_min_fraction: expected a number from 0 to 1 because postfilters include bright_pixel_support with bright_pixel_measure fraction, got null`,
  );
});

test('missing required keys, and several problems on one line', () => {
  throwsWith(
    () => parseConfigObject({ channel_config: { cell_channel: 0, marker_channel: 1 } }, CFG),
    'ConfigError',
    `${CFG}: image: expected a path or a non-empty list of paths, got nothing (the key is missing)`,
  );
  throwsWith(
    () => parseConfigObject({ image: 'a.tif' }, CFG),
    'ConfigError',
    `${CFG}: channel_config: expected a mapping with cell_channel and marker_channel, got nothing (the key is missing)`,
  );
  throwsWith(
    () => parseConfigObject({ image: 'a.tif', channel_config: { cell_channel: 'x' }, runtime_config: { t: 1.5 } }, CFG),
    'ConfigError',
    // "x" is a channel name now (issue 20.2), resolved against the image when the file is loaded.
    `${CFG}: channel_config.marker_channel: expected a channel index (an integer >= 0) or a channel name, got nothing (the key is missing); runtime_config.t: expected an integer >= 0, got 1.5`,
  );
  throwsWith(
    () => parseConfigObject({ ...base, colocalization_config: { min_cell_voxels: 'a' } }, null),
    'ConfigError',
    'config: colocalization_config.min_cell_voxels: expected a number >= 0, got "a"',
  );
});

test('single-channel sections: accepted by the schema', () => {
  const c = parseConfigObject(
    { image: 'a.tif', single_channel_config: { channel_index: 1 }, model_config: { segmentation_method: 'otsu' }, analysis_config: { min_object_voxels: 30 } },
    CFG,
  );
  assert.equal(c.singleChannel?.channelIndex, 1);
  assert.equal(c.singleChannel?.modelConfig.segmentationMethod, 'otsu');
  assert.equal(c.singleChannel?.minObjectVoxels, 30);
  const d = parseConfigObject({ image: 'a.tif', single_channel_config: { channel_index: 0 }, model_config: { segmentation_method: 'otsu' } }, CFG);
  assert.equal(d.singleChannel?.minObjectVoxels, 50);
  throwsWith(
    () => parseConfigObject({ image: 'a.tif', single_channel_config: { channel_index: 0 } }, CFG),
    'ConfigError',
    `${CFG}: model_config: expected a mapping of model config fields (segmentation_method, ...) because single_channel_config is set (spec 13.1), got null`,
  );
  throwsWith(
    () => parseConfigObject({ ...base, single_channel_config: { channel_index: 0 }, model_config: otsu }, CFG),
    'ConfigError',
    `${CFG}: single_channel_config: expected null when channel_config is set (one workflow per file: channel_config = two-channel colocalization, single_channel_config = single-channel object counting), got {"channel_index":0}`,
  );
  throwsWith(
    () => parseConfigObject({ ...base, analysis_config: { min_object_voxels: 3 } }, CFG),
    'ConfigError',
    `${CFG}: single_channel_config: expected {channel_index: <int>} because analysis_config (single-channel workflow) is set, got null`,
  );
});

// ---------------------------------------------------------------------------------------------
// assertSupported / checkChannelIndices
// ---------------------------------------------------------------------------------------------

test('assertSupported: threshold configs pass; later-issue fields are rejected naming the key', () => {
  const ok = parse({ cell_model_config: otsu, marker_model_config: { segmentation_method: 'li' } });
  assert.doesNotThrow(() => assertSupported(ok));
  // segmentation_method cellpose is supported since issue 7 (checks in test/cellpose-backend.test.ts).
  assert.doesNotThrow(() => assertSupported(parse({ cell_model_config: otsu })));
  // z_crop / z_projection are supported since issue 9 (spec 12; checks in test/pipeline-zstack.test.ts).
  assert.doesNotThrow(() => assertSupported(parse({ cell_model_config: { ...otsu, z_crop: [2, 8] }, marker_model_config: otsu })));
  assert.doesNotThrow(() => assertSupported(parse({ cell_model_config: otsu, marker_model_config: { ...otsu, z_projection: 'max' } })));
  // third channel (spec 11) is supported since issue 9; it needs its channel, positivity needs both (fix Q30)
  const third = { cell_channel: 0, marker_channel: 1, optional_region_channel: 2 };
  assert.doesNotThrow(() =>
    assertSupported(
      parse({
        channel_config: third,
        cell_model_config: otsu,
        marker_model_config: otsu,
        optional_region_model_config: otsu,
        colocalization_config: { evaluate_optional_region_cell_positivity: true },
      }),
    ),
  );
  assert.doesNotThrow(() => assertSupported(parse({ channel_config: third, cell_model_config: otsu, marker_model_config: otsu })));
  throwsWith(
    () => assertSupported(parse({ cell_model_config: otsu, marker_model_config: otsu, optional_region_model_config: otsu })),
    'ConfigError',
    `${CFG}: optional_region_model_config: expected null when channel_config.optional_region_channel is null (there is no third-channel image to segment), got a model config`,
  );
  throwsWith(
    () =>
      assertSupported(
        parse({ cell_model_config: otsu, marker_model_config: otsu, colocalization_config: { evaluate_optional_region_cell_positivity: true } }),
      ),
    'ConfigError',
    `${CFG}: colocalization_config.evaluate_optional_region_cell_positivity: expected false when channel_config.optional_region_channel is null (no third-channel masks to evaluate, Q30), got true`,
  );
  throwsWith(
    () =>
      assertSupported(
        parse({
          channel_config: third,
          cell_model_config: otsu,
          marker_model_config: otsu,
          colocalization_config: { evaluate_optional_region_cell_positivity: true },
        }),
      ),
    'ConfigError',
    `${CFG}: colocalization_config.evaluate_optional_region_cell_positivity: expected false when optional_region_model_config is null (no third-channel masks to evaluate, Q30), got true`,
  );
  // the single-channel workflow is supported (issue 9)
  assert.doesNotThrow(() => assertSupported(parseConfigObject({ image: 'a.tif', single_channel_config: { channel_index: 1 }, model_config: otsu }, CFG)));
});

test('checkChannelIndices names the key, the channel count and the value', () => {
  const c = parse({ channel_config: { cell_channel: 0, marker_channel: 3 } });
  assert.doesNotThrow(() => checkChannelIndices(c, 4));
  throwsWith(
    () => checkChannelIndices(c, 2),
    'InputError',
    `${CFG}: channel_config.marker_channel: expected an index < 2 (the image has 2 channels), got 3`,
  );
  throwsWith(
    () => checkChannelIndices(parse({ channel_config: { cell_channel: 0, marker_channel: 0, optional_region_channel: 1 } }), 1),
    'InputError',
    `${CFG}: channel_config.optional_region_channel: expected an index < 1 (the image has 1 channel), got 1`,
  );
  throwsWith(
    () => checkChannelIndices(parseConfigObject({ image: 'a.tif', single_channel_config: { channel_index: 2 }, model_config: otsu }, CFG), 2),
    'InputError',
    `${CFG}: single_channel_config.channel_index: expected an index < 2 (the image has 2 channels), got 2`,
  );
});

test('JSON Schema export: strict sections with defaults', () => {
  const s = configJsonSchema() as any;
  assert.equal(s.type, 'object');
  assert.equal(s.additionalProperties, false);
  assert.deepEqual(s.required, ['image']);
  const model = s.properties.cell_model_config;
  assert.equal(model.additionalProperties, false);
  assert.equal(model.properties.prefilter_sigma_xy.default, 1);
  assert.equal(model.properties.prefilter_sigma_xy.minimum, 0);
  assert.equal(model.properties.threshold_percentile.maximum, 100);
  assert.equal(s.properties.colocalization_config.properties.min_cell_voxels.default, 200);
  assert.ok(typeof model.properties.segmentation_method.description === 'string');
});

test('every fraction, percentile and count threshold is range-checked (1.5 as overlap fraction would make no cell positive)', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ colocalization_config: { overlap_fraction_threshold: 1.5 } }, 'colocalization_config.overlap_fraction_threshold: expected a number from 0 to 1, got 1.5'],
    [{ colocalization_config: { overlap_fraction_threshold: -0.01 } }, 'colocalization_config.overlap_fraction_threshold: expected a number from 0 to 1, got -0.01'],
    [{ colocalization_config: { min_overlap_voxels: -1 } }, 'colocalization_config.min_overlap_voxels: expected a number >= 0, got -1'],
    [{ colocalization_config: { min_cell_voxels: -5 } }, 'colocalization_config.min_cell_voxels: expected a number >= 0, got -5'],
    [{ cell_model_config: { ...otsu, threshold_percentile: 100.5 } }, 'cell_model_config.threshold_percentile: expected a number from 0 to 100, got 100.5'],
    [{ marker_model_config: { ...otsu, threshold_percentile: -1 } }, 'marker_model_config.threshold_percentile: expected a number from 0 to 100, got -1'],
    [
      { cell_model_config: { ...otsu, postfilters: ['bright_pixel_support'], bright_pixel_threshold: 5, bright_pixel_measure: 'fraction', bright_pixel_min_fraction: 30 } },
      'cell_model_config.bright_pixel_min_fraction: expected a number from 0 to 1, got 30',
    ],
    [{ cell_model_config: { flow_threshold: -0.4 } }, 'cell_model_config.flow_threshold: expected a number >= 0, got -0.4'],
  ];
  for (const [extra, message] of cases) throwsWith(() => parse(extra), 'ConfigError', `${CFG}: ${message}`);
  throwsWith(
    () => parseConfigObject({ image: 'a.tif', single_channel_config: { channel_index: 0 }, model_config: otsu, analysis_config: { min_object_voxels: -1 } }, CFG),
    'ConfigError',
    `${CFG}: analysis_config.min_object_voxels: expected a number >= 0, got -1`,
  );
  // The limits themselves are allowed.
  const ok = parse({ colocalization_config: { overlap_fraction_threshold: 1, min_overlap_voxels: 0 }, cell_model_config: { ...otsu, threshold_percentile: 100 } });
  assert.equal(ok.colocalizationConfig.overlapFractionThreshold, 1);
});
