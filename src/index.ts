/**
 * CellColoc library entry: the original's public API (spec 1.2) in camelCase, plus the config types.
 */
export type { Volume, LabelVolume, FloatVolume, RoiLabels, Shape3, VoxelSizeUm, VoxelData, Box2 } from './core/volume.js';
export { CellColocError, isCellColocError } from './core/errors.js';
export type { Table, Column, ColumnKind } from './core/table.js';
export type {
  AnalysisConfig,
  ChannelConfig,
  DisplayNames,
  ModelConfig,
  ColocalizationConfig,
  IntensityColocalizationConfig,
  RuntimeConfig,
  RoiShape,
  RoiSpec,
  SegmentationMethod,
  PrefilterName,
  PostfilterName,
} from './config/types.js';
export { loadConfigFile, parseConfigObject, defaultModelConfig, defaultColocalizationConfig, defaultRuntimeConfig } from './config/load-config.js';
export { exampleConfigYaml } from './config/example-config.js';

export { loadAnalysisImages, type LoadedImageChannels } from './pipeline/load-images.js';
export { openImageStack, type ImageStack } from './io/image-stack.js';
export { createFullImageRoiLabels } from './roi/full-image.js';
export { rasterizeShapesToLabels, rasterizeShapesToLabels as rasterizeShapesToLabelmask } from './roi/rasterize-shapes.js';
export { saveRoiLabels, loadRoiLabels, tryLoadRoiLabels } from './roi/roi-io.js';
export { getBbox2d, getRoiLabelPoints } from './roi/roi-geometry.js';

export { runRoiColocalization, runRoiCellposeColocalization } from './pipeline/run.js';
export { analyzeExistingMasks, type ColocalizationRunResult } from './pipeline/analyze.js';
export { runWorkflow, type WorkflowResult } from './pipeline/workflow.js';
export {
  prepareLoadedImagesForAnalysis,
  projectZ,
  normalizeZCrop,
  resolveZCrop,
  resolveZProjection,
  type ZStackInfo,
} from './pipeline/z-stack.js';
export {
  reanalyzeWorkflow,
  reanalyzeSingleChannelWorkflow,
  type ReanalyzeMaskFiles,
  type ReanalyzeResult,
} from './pipeline/reanalyze.js';
export { readLabelMask } from './pipeline/label-masks.js';
export {
  loadSingleChannelImage,
  runRoiSingleChannelSegmentation,
  analyzeExistingSingleChannelMasks,
  runSingleChannelWorkflow,
  type LoadedSingleChannelImage,
  type SingleChannelRunResult,
  type SingleChannelWorkflowResult,
} from './pipeline/single-channel.js';
export { buildSingleChannelTables, type SingleChannelTables } from './tables/single-channel.js';
export { exportSingleChannelOutputs } from './export/single-channel-export.js';

export { segmentChannelByRoi, relabelWithOffset } from './segmentation/roi-driver.js';
export {
  refineRunResultFromCellposeCache,
  runRefineWorkflow,
  type RefineInput,
  type RefineResult,
  type RefineThresholds,
  type RefinedChannelInfo,
} from './pipeline/refine.js';
export {
  createCellposeBackend,
  createCellposeBackends,
  cellposeBackendsForConfig,
  resolveCellposeEval,
  cellposeNiter,
  CellposeModelPool,
  defaultCellposeStages,
  type CellposeStages,
  type CellposeCallInfo,
} from './segmentation/cellpose/backend.js';
export {
  cellposeCacheDir,
  readCacheEntry,
  parseCacheEntry,
  type CellposeCacheHeader,
  type CellposeCacheEntry,
} from './segmentation/cellpose/cache.js';
export { segmentThresholdChannel } from './segmentation/threshold-segmentation.js';
export { applyPrefilter } from './segmentation/prefilter.js';
export { applyPostfilters } from './segmentation/postfilters.js';
export { filterLabelsBySize } from './segmentation/size-filter.js';
export { buildPositiveCellMask } from './colocalization/positive-mask.js';
export { buildColocalizationTables, type ColocalizationTables } from './tables/index.js';
export { colocalizationSheets, OPTIONAL_REGION_POSITIVITY_COLUMNS } from './tables/optional-region.js';
export {
  buildIntensityColocalizationTables,
  intensityCoefficientColumnNames,
  ROI_INTENSITY_SHEET,
  CELL_INTENSITY_SHEET,
  type IntensityColocalizationInput,
  type IntensityColocalizationTables,
} from './tables/intensity-colocalization.js';
export { defaultIntensityColocalizationConfig } from './config/schema.js';

export { exportAnalysisOutputs } from './export/export-outputs.js';
export { buildResultsPaths, type ResultsPaths } from './export/results-paths.js';
export { tableToCsv } from './export/csv.js';

// Reports (issue 17): report.html of a run's results folder or an experiment folder, from the files alone.
export { writeReport, type WriteReportOptions } from './report/index.js';
