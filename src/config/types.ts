/**
 * Resolved configuration types: the original's config dataclasses (spec 2) in camelCase.
 * Config files use the original's snake_case names; `src/config/schema.ts` validates a file and
 * converts it into these types with every default filled in.
 */

export type SegmentationMethod = 'cellpose' | 'otsu' | 'li' | 'percentile';
export type PrefilterName = 'gaussian' | 'median' | 'laplacian_of_gaussian';
export type PostfilterName = 'min_size' | 'min_intensity' | 'local_contrast' | 'bright_pixel_support';
export type ZProjectionMethod = 'max' | 'mean' | 'median' | 'std' | 'var';

/** spec 2.1 */
export interface ChannelConfig {
  /** 0-based index; −1 until a channel given by name is resolved against the image (`resolveChannelNames`). */
  cellChannel: number;
  markerChannel: number;
  optionalRegionChannel: number | null;
  /** Channels given by name in the file (resolved to the indices above when the image is opened). */
  names?: { cellChannel?: string; markerChannel?: string; optionalRegionChannel?: string };
}

/** spec 2.3 */
export interface DisplayNames {
  cell: string;
  marker: string;
  optionalRegion: string;
  positiveCells: string;
}

/** spec 2.4 — one per segmented channel, used by the Cellpose and the threshold backends. */
export type DeclumpMethod = 'none' | 'shape' | 'intensity';

export interface ModelConfig {
  modelNameOrPath: string | null;
  segmentationMethod: SegmentationMethod;
  diameter: number | null;
  do3d: boolean | null;
  zAxis: number;
  channelAxis: number | null;
  cellprobThreshold: number;
  flowThreshold: number;
  anisotropy: boolean | number;
  flow3dSmooth: number;
  /** Normalised names (strip + lower, alias `log` → `laplacian_of_gaussian`), in application order. */
  prefilter: PrefilterName[];
  prefilterSigmaXy: number;
  prefilterSigmaZ: number | null;
  prefilterMedianSizeXy: number;
  prefilterMedianSizeZ: number | null;
  zCrop: [number | null, number | null] | null;
  zProjection: ZProjectionMethod | null;
  thresholdPercentile: number;
  thresholdBackgroundSigma: number | null;
  thresholdMinObjectVoxels: number;
  thresholdMinHoleVoxels: number;
  thresholdApplyClosing: boolean;
  /** Normalised names (aliases `min_object_voxels`/`min_pixels`/`min_voxels` → `min_size`), in order. */
  postfilters: PostfilterName[];
  postfilterMinObjectVoxels: number | null;
  minIntensityMeasure: 'mean' | 'median' | 'max';
  minIntensityThreshold: number | null;
  localContrastK: number;
  localContrastShellInnerRadius: number;
  localContrastShellOuterRadius: number;
  brightPixelMeasure: 'count' | 'fraction';
  brightPixelThreshold: number | null;
  brightPixelMinCount: number | null;
  brightPixelMinFraction: number | null;
  /** Declumping and object rules of the threshold methods (docs/declumping.md); defaults = the original. */
  declumpMethod: DeclumpMethod;
  typicalDiameterPx: [number, number] | null;
  typicalDiameterUm: [number, number] | null;
  declumpSmoothingPx: number | null;
  declumpMinDistancePx: number | null;
  declumpMergeNeckPx: number;
  declumpMergeContrast: number | null;
  fillHoles: boolean;
  excludeBorderObjects: boolean;
  discardOutsideDiameter: boolean;
}

/** spec 2.5 plus the positivity rule option (Q5). */
export interface ColocalizationConfig {
  minCellVoxels: number;
  overlapFractionThreshold: number;
  minOverlapVoxels: number;
  evaluateOptionalRegionCellPositivity: boolean;
  /** `best_object` (the original's rule, spec 7.3) or `union` (overlap with the union of all marker objects, the original README's definition). */
  positivityRule: 'best_object' | 'union';
}

/**
 * `intensity_colocalization_config` (issue 19): intensity correlation per ROI and per cell with CellProfiler's
 * definitions (docs/intensity-colocalization.md).
 */
export interface IntensityColocalizationConfig {
  /** false (default): no intensity sheets, the run is unchanged. */
  enabled: boolean;
  /** Per region and channel, the Manders/RWC/overlap threshold is this percentage of the channel's maximum there. */
  thresholdPercent: number;
  /** Costes' automatic thresholds: none, fast (CellProfiler's accelerated steps) or accurate (one grey level per step). */
  costes: 'none' | 'fast' | 'accurate';
}

/** spec 2.8 */
export interface RuntimeConfig {
  drawRois: boolean;
  processRois: boolean;
  openResults: boolean;
  useGpu: boolean;
  /** `[[z0, z1], [y0, y1], [x0, x1]]`, half-open, or null. */
  cropForTesting: [[number, number], [number, number], [number, number]] | null;
  imageLoadingMode: 'memory' | 'memap';
  /** Time point to analyse for images with T > 1 (fix Q19). */
  t: number;
  /**
   * Refuse a run whose estimated peak memory exceeds this many GiB (issue 15.2); null/absent = the machine's
   * available memory minus a margin.
   */
  maxMemoryGb?: number | null;
}

export interface RoiShape {
  type: 'polygon' | 'rectangle' | 'ellipse';
  /** Vertices `[y, x]` in pixel units, napari layout (ellipse: the 4 bounding-box corners). */
  data: [number, number][];
}

export type RoiSpec =
  | { kind: 'full' }
  | { kind: 'label_image'; path: string }
  | { kind: 'shapes'; shapes: RoiShape[] };

/**
 * spec 2.2, 2.6, 13: the single-channel counting workflow's sections (`single_channel_config`,
 * `model_config`, `analysis_config`). Accepted by the schema; `assertSupported` rejects them (not supported yet).
 */
export interface SingleChannelWorkflowConfig {
  /** `single_channel_config.channel_index` (0-based; −1 until a name is resolved). */
  channelIndex: number;
  /** The channel's name when the file gives one instead of an index. */
  channelName?: string;
  /** `model_config` (a `CellposeModelConfig`). */
  modelConfig: ModelConfig;
  /** `analysis_config.min_object_voxels` (spec 2.6, default 50). */
  minObjectVoxels: number;
}

/** The whole resolved run configuration (one config file). */
export interface AnalysisConfig {
  /** Absolute path of the config file (for error messages), or null when built in code. */
  configPath: string | null;
  /** Absolute image path, or absolute single-channel paths stacked as channels in order. */
  image: string | string[];
  resultsDir: string | null;
  voxelScaleZyx: [number, number, number] | [number, number] | null;
  /** OME-Zarr: the multiscales level analysed (0 = full resolution; absent = 0). */
  resolutionLevel?: number;
  channelConfig: ChannelConfig;
  displayNames: DisplayNames;
  cellModelConfig: ModelConfig;
  markerModelConfig: ModelConfig;
  optionalRegionModelConfig: ModelConfig | null;
  colocalizationConfig: ColocalizationConfig;
  /**
   * `intensity_colocalization_config` (issue 19). Optional so that configs built in code need not mention it;
   * absent = disabled.
   */
  intensityColocalizationConfig?: IntensityColocalizationConfig;
  runtimeConfig: RuntimeConfig;
  rois: RoiSpec;
  /**
   * Present (non-null) only when the file has single-channel sections (added for the schema: they must be
   * carried to `assertSupported`). Optional so that configs built in code need not mention it.
   */
  singleChannel?: SingleChannelWorkflowConfig | null;
}
