/**
 * `runRoiColocalization` (spec 4.1, 5.3, 7.1): segment the cell and marker channels ROI by ROI with their
 * configured backends (and the optional third channel when `optionalRegionModelConfig` is given, spec 11.1),
 * then build every table with `analyzeExistingMasks`.
 */
import { valueError } from '../core/errors.js';
import type { RoiLabels } from '../core/volume.js';
import type { ColocalizationConfig, IntensityColocalizationConfig, ModelConfig, RuntimeConfig } from '../config/types.js';
import { segmentChannelByRoi, type RoiSegmentationCall } from '../segmentation/roi-driver.js';
import { assertRoiMatchesImage } from '../roi/roi-io.js';
import { roiIds } from '../roi/roi-geometry.js';
import { analyzeExistingMasks, type AnalyzeExistingMasksOptions, type ColocalizationRunResult } from './analyze.js';
import type { LoadedImageChannels } from './load-images.js';
import { effectiveZBounds, isReducedView } from './z-stack.js';
import { windowOrigin } from './analysis-window.js';
import type { ProgressCallback } from './progress.js';
import type { SegmentationWorker } from './segment-workers.js';
import type { SegmentationBackend } from '../segmentation/backend.js';

export interface RunResultWithSegmentation extends ColocalizationRunResult {
  /** Per-ROI threshold info per channel; `optional_region` only when the third channel was segmented. */
  segmentation: { cell: RoiSegmentationCall[]; marker: RoiSegmentationCall[]; optional_region?: RoiSegmentationCall[] };
  timings: { stage: string; ms: number }[];
}

export interface RunOptions {
  onProgress?: ProgressCallback;
  /** When given, the marker channel is segmented in this worker thread while the main thread segments the cells. */
  worker?: SegmentationWorker | null;
  /** Backends that need run context (Cellpose: `createCellposeBackends`); a channel without one uses `backendFor`. */
  backends?: { cell?: SegmentationBackend; marker?: SegmentationBackend; optionalRegion?: SegmentationBackend };
  /**
   * Segmentation of the third channel (`optional_region_model_config`, spec 11.1; any backend, prefilters,
   * postfilters); needs `loaded.optionalRegionImage`. null/absent = no third-channel segmentation.
   */
  optionalRegionModelConfig?: ModelConfig | null;
  /** `intensity_colocalization_config` (issue 19); absent/null = no intensity sheets. */
  intensityColocalization?: IntensityColocalizationConfig | null;
  /** See `AnalyzeExistingMasksOptions.onMasksFinal`. */
  onMasksFinal?: AnalyzeExistingMasksOptions['onMasksFinal'];
}

export async function runRoiColocalization(
  loaded: LoadedImageChannels,
  roiLabels: RoiLabels,
  cellModelConfig: ModelConfig,
  markerModelConfig: ModelConfig,
  colocalizationConfig: ColocalizationConfig,
  runtimeConfig: Pick<RuntimeConfig, 'processRois'>,
  options: RunOptions = {},
): Promise<RunResultWithSegmentation> {
  if (!runtimeConfig.processRois) {
    // Q28: the original raises here too; the CLI always processes ROIs.
    throw valueError('runtime_config.process_rois is false: ROI processing is disabled, nothing to analyse');
  }
  const [, Y, X] = loaded.cellImage.shape;
  assertRoiMatchesImage(roiLabels, [Y, X], 'rois');
  const ids = roiIds(roiLabels);
  if (ids.length === 0) throw valueError('rois: the ROI label image contains no ROI (every pixel is 0)');

  const timings: { stage: string; ms: number }[] = [];
  // A projected or one-plane view already holds only the analysed planes (spec 12.2).
  const zBounds = effectiveZBounds(loaded);
  // A window run (analysis-window.ts): boxes and planes in frame coordinates for the backends (Cellpose cache keys).
  const frameOrigin = windowOrigin(loaded.analysisWindow, isReducedView(loaded));
  const segment = async (channel: 'cell' | 'marker', config: ModelConfig) => {
    const t0 = performance.now();
    const image = channel === 'cell' ? loaded.cellImage : loaded.markerImage;
    const r = await segmentChannelByRoi(image, roiLabels, config, {
      zBounds,
      voxelSizeUm: loaded.voxelSizeUm,
      backend: options.backends?.[channel],
      frameOrigin,
      onRoi: (done, total) => options.onProgress?.({ stage: `segment ${channel}`, done, total }),
    });
    timings.push({ stage: `segment ${channel}`, ms: performance.now() - t0 });
    return r;
  };
  // Third channel (spec 11.1): the same per-ROI driver, but WITH the per-ROI label offsets (fix Q8: the
  // original pasted every ROI's labels starting at 1, so different objects of different ROIs shared ids) and
  // the Q7 clip to the ROI polygon, like the other channels.
  const regionConfig = options.optionalRegionModelConfig ?? null;
  if (regionConfig && !loaded.optionalRegionImage) {
    throw valueError('optional_region_model_config is set but no third-channel image was loaded: set channel_config.optional_region_channel');
  }
  const segmentRegion = async () => {
    if (!regionConfig || !loaded.optionalRegionImage) return null;
    const t0 = performance.now();
    const r = await segmentChannelByRoi(loaded.optionalRegionImage, roiLabels, regionConfig, {
      zBounds,
      voxelSizeUm: loaded.voxelSizeUm,
      backend: options.backends?.optionalRegion,
      applyOffsets: true,
      frameOrigin,
      onRoi: (done, total) => options.onProgress?.({ stage: 'segment optional region', done, total }),
    });
    timings.push({ stage: 'segment optional region', ms: performance.now() - t0 });
    return r;
  };
  let region: Awaited<ReturnType<typeof segmentRegion>> = null;
  let cell: Awaited<ReturnType<typeof segment>>;
  let marker: Awaited<ReturnType<typeof segment>>;
  // A backend instance cannot cross into the worker thread (Cellpose runs its own thread pool anyway).
  if (options.worker && !options.backends?.marker) {
    const t0 = performance.now();
    const markerJob = options.worker.segment(
      { image: loaded.markerImage, roiLabels, config: markerModelConfig, zBounds, voxelSizeUm: loaded.voxelSizeUm, frameOrigin },
      (done, total) => options.onProgress?.({ stage: 'segment marker', done, total }),
    );
    // Keep a rejection from going unhandled while the cell channel is still being segmented.
    markerJob.catch(() => undefined);
    cell = await segment('cell', cellModelConfig);
    region = await segmentRegion();
    marker = await markerJob;
    timings.push({ stage: 'segment marker (worker, overlapped)', ms: performance.now() - t0 });
  } else {
    cell = await segment('cell', cellModelConfig);
    marker = await segment('marker', markerModelConfig);
    region = await segmentRegion();
  }

  options.onProgress?.({ stage: 'tables' });
  const t0 = performance.now();
  const analysed = analyzeExistingMasks(loaded, roiLabels, cell.labels, marker.labels, colocalizationConfig, {
    analysisZBounds: zBounds,
    cellModelConfig,
    markerModelConfig,
    optionalRegionMasks: region?.labels ?? null,
    optionalRegionModelConfig: regionConfig,
    ownsMasks: true,
    cellLabelCounts: cell.labelCounts ?? null,
    cellLabelRuns: cell.labelRuns ?? null,
    markerLabelRuns: marker.labelRuns ?? null,
    intensityColocalization: options.intensityColocalization ?? null,
    onMasksFinal: options.onMasksFinal,
  });
  timings.push({ stage: 'filters + tables', ms: performance.now() - t0 });
  return {
    ...analysed,
    segmentation: { cell: cell.calls, marker: marker.calls, ...(region ? { optional_region: region.calls } : {}) },
    timings,
  };
}

/** The original's Cellpose-named entry point (spec 1.2); the backend is chosen per channel config. */
export const runRoiCellposeColocalization = runRoiColocalization;
