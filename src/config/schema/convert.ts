/**
 * snake_case file → camelCase `AnalysisConfig`, and the defaults for library users.
 */
import { configError } from '../../core/errors.js';
import type {
  AnalysisConfig,
  ChannelConfig,
  ColocalizationConfig,
  IntensityColocalizationConfig,
  ModelConfig,
  PostfilterName,
  PrefilterName,
  RoiShape,
  RoiSpec,
  RuntimeConfig,
  SegmentationMethod,
  ZProjectionMethod,
} from '../types.js';
import { ModelConfigSchema, ColocalizationConfigSchema, IntensityColocalizationConfigSchema, RuntimeConfigSchema, SingleChannelAnalysisConfigSchema } from './sections.js';
import { ConfigFileSchema, type ConfigFileOutput, type ModelOut } from './file.js';
import { formatConfigIssues, formatValue } from './issues.js';

export function toModelConfig(m: ModelOut): ModelConfig {
  return {
    modelNameOrPath: m.model_name_or_path,
    segmentationMethod: m.segmentation_method,
    diameter: m.diameter,
    do3d: m.do_3d,
    zAxis: m.z_axis,
    channelAxis: m.channel_axis,
    cellprobThreshold: m.cellprob_threshold,
    flowThreshold: m.flow_threshold,
    anisotropy: m.anisotropy,
    flow3dSmooth: m.flow3d_smooth,
    prefilter: m.prefilter,
    prefilterSigmaXy: m.prefilter_sigma_xy,
    prefilterSigmaZ: m.prefilter_sigma_z,
    prefilterMedianSizeXy: m.prefilter_median_size_xy,
    prefilterMedianSizeZ: m.prefilter_median_size_z,
    zCrop: m.z_crop === null ? null : [m.z_crop[0], m.z_crop[1]],
    zProjection: m.z_projection,
    thresholdPercentile: m.threshold_percentile,
    thresholdBackgroundSigma: m.threshold_background_sigma,
    thresholdMinObjectVoxels: m.threshold_min_object_voxels,
    thresholdMinHoleVoxels: m.threshold_min_hole_voxels,
    thresholdApplyClosing: m.threshold_apply_closing,
    postfilters: m.postfilters,
    postfilterMinObjectVoxels: m.postfilter_min_object_voxels,
    minIntensityMeasure: m.min_intensity_measure,
    minIntensityThreshold: m.min_intensity_threshold,
    localContrastK: m.local_contrast_k,
    localContrastShellInnerRadius: m.local_contrast_shell_inner_radius,
    localContrastShellOuterRadius: m.local_contrast_shell_outer_radius,
    brightPixelMeasure: m.bright_pixel_measure,
    brightPixelThreshold: m.bright_pixel_threshold,
    brightPixelMinCount: m.bright_pixel_min_count,
    brightPixelMinFraction: m.bright_pixel_min_fraction,
    declumpMethod: m.declump_method,
    typicalDiameterPx: m.typical_diameter_px === null ? null : [m.typical_diameter_px[0], m.typical_diameter_px[1]],
    typicalDiameterUm: m.typical_diameter_um === null ? null : [m.typical_diameter_um[0], m.typical_diameter_um[1]],
    declumpSmoothingPx: m.declump_smoothing_px,
    declumpMinDistancePx: m.declump_min_distance_px,
    declumpMergeNeckPx: m.declump_merge_neck_px,
    declumpMergeContrast: m.declump_merge_contrast,
    fillHoles: m.fill_holes,
    excludeBorderObjects: m.exclude_border_objects,
    discardOutsideDiameter: m.discard_outside_diameter,
  };
}

/**
 * Converts a parsed file into the resolved config. `resolvePath` turns a path written in the file into an
 * absolute one (relative to the config file's folder; see `load-config.ts`).
 */
/** Indices as given; a name leaves −1 and is kept in `names` for `resolveChannelNames` (config/channel-names.ts). */
function channelConfigOf(cc: { cell_channel: number | string; marker_channel: number | string; optional_region_channel: number | string | null }): ChannelConfig {
  const idx = (v: number | string) => (typeof v === 'number' ? v : -1);
  const names: NonNullable<ChannelConfig['names']> = {};
  if (typeof cc.cell_channel === 'string') names.cellChannel = cc.cell_channel;
  if (typeof cc.marker_channel === 'string') names.markerChannel = cc.marker_channel;
  if (typeof cc.optional_region_channel === 'string') names.optionalRegionChannel = cc.optional_region_channel;
  return {
    cellChannel: idx(cc.cell_channel),
    markerChannel: idx(cc.marker_channel),
    optionalRegionChannel: cc.optional_region_channel === null ? null : idx(cc.optional_region_channel),
    ...(Object.keys(names).length > 0 ? { names } : {}),
  };
}

export function toAnalysisConfig(
  c: ConfigFileOutput,
  configPath: string | null,
  resolvePath: (p: string) => string,
): AnalysisConfig {
  const sc = c.single_channel_config;
  const singleChannel =
    sc === null
      ? null
      : {
          channelIndex: typeof sc.channel_index === 'number' ? sc.channel_index : -1,
          ...(typeof sc.channel_index === 'string' ? { channelName: sc.channel_index } : {}),
          modelConfig: toModelConfig(c.model_config ?? ModelConfigSchema.parse({})),
          minObjectVoxels: (c.analysis_config ?? SingleChannelAnalysisConfigSchema.parse({})).min_object_voxels,
        };
  // Without channel_config (single-channel file), both roles point at the counted channel so that the
  // resolved type stays total; the single-channel workflow (pipeline/single-channel.ts) never reads them.
  const cc = c.channel_config ?? { cell_channel: sc!.channel_index, marker_channel: sc!.channel_index, optional_region_channel: null };
  const rois: RoiSpec =
    c.rois === 'full'
      ? { kind: 'full' }
      : c.rois.label_image !== undefined
        ? { kind: 'label_image', path: resolvePath(c.rois.label_image) }
        : { kind: 'shapes', shapes: c.rois.shapes!.map((s) => ({ type: s.type, data: s.data.map(([y, x]) => [y, x] as [number, number]) })) };
  const col = c.colocalization_config;
  const ic = c.intensity_colocalization_config;
  const rt = c.runtime_config;
  const crop = rt.crop_for_testing;
  return {
    configPath,
    image: typeof c.image === 'string' ? resolvePath(c.image) : c.image.map(resolvePath),
    resultsDir: c.results_dir === null ? null : resolvePath(c.results_dir),
    resolutionLevel: c.resolution_level,
    voxelScaleZyx:
      c.voxel_scale_zyx === null
        ? null
        : c.voxel_scale_zyx.length === 3
          ? [c.voxel_scale_zyx[0], c.voxel_scale_zyx[1], c.voxel_scale_zyx[2]]
          : [c.voxel_scale_zyx[0], c.voxel_scale_zyx[1]],
    channelConfig: channelConfigOf(cc),
    displayNames: {
      cell: c.display_names.cell,
      marker: c.display_names.marker,
      optionalRegion: c.display_names.optional_region,
      positiveCells: c.display_names.positive_cells,
    },
    cellModelConfig: toModelConfig(c.cell_model_config),
    markerModelConfig: toModelConfig(c.marker_model_config),
    optionalRegionModelConfig: c.optional_region_model_config === null ? null : toModelConfig(c.optional_region_model_config),
    colocalizationConfig: {
      minCellVoxels: col.min_cell_voxels,
      overlapFractionThreshold: col.overlap_fraction_threshold,
      minOverlapVoxels: col.min_overlap_voxels,
      evaluateOptionalRegionCellPositivity: col.evaluate_optional_region_cell_positivity,
      positivityRule: col.positivity_rule,
    },
    intensityColocalizationConfig: { enabled: ic.enabled, thresholdPercent: ic.threshold_percent, costes: ic.costes },
    runtimeConfig: {
      drawRois: rt.draw_rois,
      processRois: rt.process_rois,
      openResults: rt.open_results,
      useGpu: rt.use_gpu,
      cropForTesting:
        crop === null
          ? null
          : [
              [crop[0][0], crop[0][1]],
              [crop[1][0], crop[1][1]],
              [crop[2][0], crop[2][1]],
            ],
      imageLoadingMode: rt.image_loading_mode,
      t: rt.t,
      maxMemoryGb: rt.max_memory_gb,
    },
    rois,
    singleChannel,
  };
}

/**
 * Validates an in-memory config object (snake_case, as in a file) and returns the resolved config.
 * Throws ONE `configError` naming every problem (`<configLabel>: <key.path>: expected …, got …; …`).
 */
export function parseConfigWithSchema(
  obj: unknown,
  configPath: string | null,
  resolvePath: (p: string) => string,
): AnalysisConfig {
  const label = configPath ?? 'config';
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw configError(`${label}: expected a mapping of sections (image, channel_config, ...) at the top level, got ${obj === null || obj === undefined ? 'an empty document' : formatValue(obj)}`);
  }
  // jitless: zod otherwise generates and compiles (new Function) a fast parser per object schema on its first parse;
  // a config is parsed once per process, so that code generation only costs start-up time (issue 21)
  const r = ConfigFileSchema.safeParse(obj, { reportInput: true, jitless: true });
  if (!r.success) throw configError(formatConfigIssues(r.error.issues, label));
  return toAnalysisConfig(r.data, configPath, resolvePath);
}

// ---------------------------------------------------------------------------------------------
// Defaults for library users
// ---------------------------------------------------------------------------------------------

/** spec 2.4 defaults (`segmentation_method` cellpose, no model name), optionally overridden. */
export function defaultModelConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return { ...toModelConfig(ModelConfigSchema.parse({})), ...overrides };
}

/** spec 2.5 defaults plus `positivityRule: 'best_object'`. */
export function defaultColocalizationConfig(overrides: Partial<ColocalizationConfig> = {}): ColocalizationConfig {
  const c = ColocalizationConfigSchema.parse({});
  return {
    minCellVoxels: c.min_cell_voxels,
    overlapFractionThreshold: c.overlap_fraction_threshold,
    minOverlapVoxels: c.min_overlap_voxels,
    evaluateOptionalRegionCellPositivity: c.evaluate_optional_region_cell_positivity,
    positivityRule: c.positivity_rule,
    ...overrides,
  };
}

/** spec 2.8 defaults plus `t: 0`. */
export function defaultRuntimeConfig(overrides: Partial<RuntimeConfig> = {}): RuntimeConfig {
  const r = RuntimeConfigSchema.parse({});
  return {
    drawRois: r.draw_rois,
    processRois: r.process_rois,
    openResults: r.open_results,
    useGpu: r.use_gpu,
    cropForTesting: null,
    imageLoadingMode: r.image_loading_mode,
    t: r.t,
    maxMemoryGb: r.max_memory_gb,
    ...overrides,
  };
}

/** issue 19 defaults (`enabled: false`, 15 %, no Costes), optionally overridden. */
export function defaultIntensityColocalizationConfig(overrides: Partial<IntensityColocalizationConfig> = {}): IntensityColocalizationConfig {
  const c = IntensityColocalizationConfigSchema.parse({});
  return { enabled: c.enabled, thresholdPercent: c.threshold_percent, costes: c.costes, ...overrides };
}
