/**
 * Threshold-only refinement from the on-disk Cellpose cache (spec 5.5, issue 7): the masks of every Cellpose
 * channel are rebuilt from the cached flows and cell probabilities with new `cellprob_threshold` /
 * `flow_threshold` values — no network — then every table is recomputed (`analyzeExistingMasks`).
 *
 * Fixes of the original:
 * - Q7: rebuilt labels are zeroed outside the ROI polygon, exactly as the run does (`roi-driver.ts`, clip on by
 *   default), and the running per-ROI offset is the maximum label *before* clipping in both, so a refinement
 *   with unchanged thresholds reproduces the run's masks exactly.
 * - Q9: each cache entry stores the crop's first plane `z0` and depth; labels are pasted into `[z0, z0 + d)`
 *   (the original pasted over all planes: broadcast error or a 2D mask painted on every plane).
 * - Q10: thresholds are `argument ?? channel config ?? cached run value`, also when a channel's config is
 *   omitted (the original then silently ignored the arguments and kept the old masks).
 * Channels segmented with a threshold method have no cache: they are re-segmented from their config (no network,
 * deterministic: the same masks as the run). The third channel (spec 11, `optional_region_model_config`) is
 * refined like the others when its config is given; with no config its masks of the run are kept (or there is none).
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { AnalysisConfig, ColocalizationConfig, IntensityColocalizationConfig, ModelConfig } from '../config/types.js';
import type { LabelVolume, RoiLabels } from '../core/volume.js';
import { inputError, valueError } from '../core/errors.js';
import { assertSupported } from '../config/schema.js';
import { segmentChannelByRoi, type RoiSegmentationCall } from '../segmentation/roi-driver.js';
import { listCacheEntries, cellposeCacheDir, type CellposeCacheEntry } from '../segmentation/cellpose/cache.js';
import type { CellposeStages } from '../segmentation/cellpose/backend.js';
import type { ResultsPaths } from '../export/results-paths.js';
import { analyzeExistingMasks, type ColocalizationRunResult } from './analyze.js';
import type { MeasurementMemo } from '../tables/object-measurements.js';
import type { LoadedImageChannels } from './load-images.js';
import { effectiveZBounds, isReducedView, type ZStackLoaded } from './z-stack.js';
import { twoChannelLayout, windowedTwoChannelLayout, type RoiSummaryLine } from './workflow.js';
import { windowOrigin } from './analysis-window.js';
import { appendTimings, runAnalysis, type AnalysisStep } from './runner.js';
import { rebuildChannelFromCache, type RefinedChannelInfo } from './refine-cache.js';

export { rebuildChannelFromCache, type CacheRebuildContext, type RefinedChannelInfo } from './refine-cache.js';

/** Threshold arguments of the refinement (null/undefined = not given). */
export interface RefineThresholds {
  cellCellprobThreshold?: number | null;
  cellFlowThreshold?: number | null;
  markerCellprobThreshold?: number | null;
  markerFlowThreshold?: number | null;
  /** Third channel (spec 11), when it was segmented by Cellpose. */
  optionalRegionCellprobThreshold?: number | null;
  optionalRegionFlowThreshold?: number | null;
}

/** The channels a refinement rebuilds or keeps. */
export type RefineChannel = 'cell' | 'marker' | 'optional_region';

export interface RefineInput {
  loaded: LoadedImageChannels & ZStackLoaded;
  roiLabels: RoiLabels;
  colocalizationConfig: ColocalizationConfig;
  /** `intensity_colocalization_config` (issue 19): the intensity sheets are recomputed when enabled. */
  intensityColocalization?: IntensityColocalizationConfig | null;
  /** The refinement configs: postfilters are applied from them; null = thresholds from the arguments or the cache. */
  cellModelConfig: ModelConfig | null;
  markerModelConfig: ModelConfig | null;
  /**
   * The third channel's refinement config (spec 5.5: postfilters re-applied; null = its thresholds from the
   * arguments or the cache, or its masks kept from `runResult`). Absent/null with no third-channel cache and no
   * third-channel masks in `runResult` = no third channel.
   */
  optionalRegionModelConfig?: ModelConfig | null;
  /** `<results>/<stem>_cellpose_cache` of the run. */
  cacheDir: string;
  thresholds?: RefineThresholds;
  /** Masks of the run, used for a channel that has neither a cache nor a config (kept as they are, spec 5.5). */
  runResult?: (Pick<ColocalizationRunResult, 'cellMasks' | 'markerMasks'> & { optionalRegionMasks?: LabelVolume | null }) | null;
  /** Mask stage (tests may replace it; the viewer passes a `MaskMemo`'s, which reuses its last results). */
  stages?: Pick<CellposeStages, 'computeMasks'>;
  /** Reads one cache file (default `readCacheEntry`; the viewer keeps the entries in memory between refinements). */
  readEntry?: (path: string) => Promise<CellposeCacheEntry | null>;
  /** Channels whose masks are taken from `runResult` as they are (the viewer refines one channel at a time). */
  keepChannels?: readonly RefineChannel[];
  /** Reuse of the unchanged channel's measurement pass (the viewer's worker, which runs the whole refinement). */
  measurementMemo?: MeasurementMemo | null;
}


export interface RefineResult extends ColocalizationRunResult {
  segmentation: { cell: RoiSegmentationCall[]; marker: RoiSegmentationCall[]; optional_region?: RoiSegmentationCall[] };
  /** `optional_region` only when the analysis has a third channel. */
  refinement: { cell: RefinedChannelInfo; marker: RefinedChannelInfo; optional_region?: RefinedChannelInfo };
}

/** The refined run's manifest (for the refinement chain), or null if it cannot be read. */
export async function readPreviousManifest(path: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}


function rebuildFromCache(
  channel: 'cell' | 'marker' | 'optional_region',
  input: RefineInput,
  config: ModelConfig | null,
  argCellprob: number | null | undefined,
  argFlow: number | null | undefined,
): Promise<{ labels: LabelVolume; calls: RoiSegmentationCall[]; info: RefinedChannelInfo }> {
  const { loaded } = input;
  // Every channel has the analysis shape (the third channel's image may be absent when only its masks matter).
  return rebuildChannelFromCache(
    channel,
    {
      shape: loaded.cellImage.shape,
      zBounds: effectiveZBounds(loaded),
      voxelSizeUm: loaded.voxelSizeUm,
      roiLabels: input.roiLabels,
      cacheDir: input.cacheDir,
      frameOrigin: windowOrigin(loaded.analysisWindow, isReducedView(loaded)),
      configKey: `${channel}_model_config`,
      stages: input.stages,
      readEntry: input.readEntry,
    },
    config,
    argCellprob,
    argFlow,
  );
}

/**
 * spec 5.5 with fixes Q7, Q9, Q10 (see the module comment). Per channel: a Cellpose cache in `cacheDir` →
 * rebuilt from it (the channel's config may be null); a threshold-method config → re-segmented; a Cellpose
 * config without cache → error; neither config nor cache → the run's masks (`runResult`) kept.
 */
export async function refineRunResultFromCellposeCache(input: RefineInput): Promise<RefineResult> {
  const { loaded, roiLabels } = input;
  const t = input.thresholds ?? {};
  const zBounds = effectiveZBounds(loaded);
  type Rebuilt = { labels: LabelVolume; calls: RoiSegmentationCall[]; info: RefinedChannelInfo };
  const configOf = (ch: RefineChannel) =>
    ch === 'cell' ? input.cellModelConfig : ch === 'marker' ? input.markerModelConfig : (input.optionalRegionModelConfig ?? null);
  const keptOf = (ch: RefineChannel) =>
    ch === 'cell' ? input.runResult?.cellMasks : ch === 'marker' ? input.runResult?.markerMasks : input.runResult?.optionalRegionMasks;
  const keep = (ch: RefineChannel, argCp: number | null | undefined, argFl: number | null | undefined, why: string): Rebuilt => {
    const kept = keptOf(ch);
    if (!kept) throw valueError(`refine: the ${ch} channel has neither a config, a Cellpose cache nor run masks to keep`);
    if (argCp != null || argFl != null) throw valueError(`refine: ${ch} thresholds given, but ${why}`);
    const info: RefinedChannelInfo = {
      source: 'kept',
      cellprobThreshold: null,
      flowThreshold: null,
      thresholdSource: { cellprob: null, flow: null },
      cacheFiles: [],
      rawLabelCounts: [],
    };
    return { labels: { data: kept.data.slice(), shape: kept.shape }, calls: [], info };
  };
  const channel = async (ch: RefineChannel): Promise<Rebuilt | null> => {
    const config = configOf(ch);
    const argCp = ch === 'cell' ? t.cellCellprobThreshold : ch === 'marker' ? t.markerCellprobThreshold : t.optionalRegionCellprobThreshold;
    const argFl = ch === 'cell' ? t.cellFlowThreshold : ch === 'marker' ? t.markerFlowThreshold : t.optionalRegionFlowThreshold;
    if (ch === 'optional_region' && !keptOf(ch) && input.keepChannels?.includes(ch)) {
      if (argCp != null || argFl != null) throw valueError('refine: optional_region thresholds given, but the analysis has no third-channel masks to keep');
      return null; // no third channel in this analysis
    }
    if (input.keepChannels?.includes(ch)) return keep(ch, argCp, argFl, 'the viewer keeps them as they are');
    if (ch === 'optional_region' && !config) {
      // spec 5.5: no third-channel config → the run's third-channel masks as they are, or no third channel at all
      // (a stale third-channel cache of an older run is not used without a config naming that channel).
      if (keptOf(ch)) return keep(ch, argCp, argFl, 'optional_region_model_config is null (its masks are kept)');
      if (argCp != null || argFl != null) throw valueError('refine: optional_region thresholds given, but the analysis has no third channel (optional_region_model_config is null)');
      return null;
    }
    const hasCache = (await listCacheEntries(input.cacheDir, ch)).length > 0;
    if (config && config.segmentationMethod !== 'cellpose') {
      if (argCp != null || argFl != null) {
        throw valueError(`refine: ${ch} thresholds given, but ${ch}_model_config uses segmentation_method ${config.segmentationMethod}, not cellpose`);
      }
      const image = ch === 'cell' ? loaded.cellImage : ch === 'marker' ? loaded.markerImage : loaded.optionalRegionImage;
      if (!image) throw valueError(`refine: optional_region_model_config is set, but channel_config.optional_region_channel is not`);
      const r = await segmentChannelByRoi(image, roiLabels, config, {
        zBounds,
        voxelSizeUm: loaded.voxelSizeUm,
        frameOrigin: windowOrigin(loaded.analysisWindow, isReducedView(loaded)),
      });
      const info: RefinedChannelInfo = {
        source: 'threshold_resegmentation',
        cellprobThreshold: null,
        flowThreshold: null,
        thresholdSource: { cellprob: null, flow: null },
        cacheFiles: [],
        rawLabelCounts: r.calls.map((c) => c.info.nLabelsRaw),
      };
      return { labels: r.labels, calls: r.calls, info };
    }
    if (hasCache) return rebuildFromCache(ch, input, config, argCp, argFl);
    if (config) {
      throw inputError(
        `${input.cacheDir}: no Cellpose cache for the ${ch} channel (${ch}_roi<id>.cpcache); run \`cellcoloc run\` with segmentation_method cellpose first`,
      );
    }
    return keep(ch, argCp, argFl, `${input.cacheDir} has no Cellpose cache for the ${ch} channel`);
  };
  const cell = (await channel('cell'))!;
  const marker = (await channel('marker'))!;
  const region = await channel('optional_region');
  const regionConfig = input.optionalRegionModelConfig ?? null;
  const analysed = analyzeExistingMasks(loaded, roiLabels, cell.labels, marker.labels, input.colocalizationConfig, {
    analysisZBounds: zBounds,
    cellModelConfig: input.cellModelConfig,
    markerModelConfig: input.markerModelConfig,
    optionalRegionMasks: region?.labels ?? null,
    optionalRegionModelConfig: regionConfig,
    ownsMasks: true,
    measurementMemo: input.measurementMemo ?? null,
    intensityColocalization: input.intensityColocalization ?? null,
  });
  return {
    ...analysed,
    segmentation: { cell: cell.calls, marker: marker.calls, ...(region ? { optional_region: region.calls } : {}) },
    refinement: { cell: cell.info, marker: marker.info, ...(region ? { optional_region: region.info } : {}) },
  };
}

export interface RefineWorkflowResult {
  loaded: LoadedImageChannels & ZStackLoaded;
  roiLabels: RoiLabels;
  result: RefineResult;
  paths: ResultsPaths;
  cacheDir: string;
  summary: RoiSummaryLine[];
  warnings: string[];
}

/**
 * `cellcoloc refine`: reload the image, rebuild the masks from the cache of the run's results folder with the
 * given thresholds, recompute every table, and rewrite the results there atomically; the manifest gains a
 * `refinement` section (thresholds and their sources, cache files, the refined run's creation time).
 */
/**
 * Refuses a refinement that cannot mean anything before any image is read: refine re-thresholds Cellpose's
 * cached network outputs, so at least one channel must use segmentation_method cellpose, and thresholds may
 * only be given for such channels. The message names the section and its method.
 */
export function assertRefinable(config: AnalysisConfig, thresholds: RefineThresholds = {}): void {
  const label = config.configPath ?? 'config';
  if (config.singleChannel) {
    const m = config.singleChannel.modelConfig.segmentationMethod;
    if (m !== 'cellpose') {
      throw valueError(`${label}: model_config.segmentation_method is ${m}, not cellpose: refine re-thresholds a Cellpose run's cached network outputs; with a threshold method, change the config and run \`cellcoloc run\` again`);
    }
    return;
  }
  const channels: { ch: RefineChannel; config: ModelConfig | null; cp: number | null | undefined; fl: number | null | undefined }[] = [
    { ch: 'cell', config: config.cellModelConfig, cp: thresholds.cellCellprobThreshold, fl: thresholds.cellFlowThreshold },
    { ch: 'marker', config: config.markerModelConfig, cp: thresholds.markerCellprobThreshold, fl: thresholds.markerFlowThreshold },
    { ch: 'optional_region', config: config.optionalRegionModelConfig ?? null, cp: thresholds.optionalRegionCellprobThreshold, fl: thresholds.optionalRegionFlowThreshold },
  ];
  for (const c of channels) {
    if (c.config && c.config.segmentationMethod !== 'cellpose' && (c.cp != null || c.fl != null)) {
      throw valueError(`${label}: ${c.ch} thresholds given, but ${c.ch}_model_config.segmentation_method is ${c.config.segmentationMethod}, not cellpose (only Cellpose channels have thresholds to refine)`);
    }
  }
  const used = channels.filter((c) => c.config !== null);
  if (!used.some((c) => c.config!.segmentationMethod === 'cellpose')) {
    const which = used.map((c) => `${c.ch}_model_config.segmentation_method is ${c.config!.segmentationMethod}`).join(', ');
    throw valueError(`${label}: ${which}, not cellpose: refine re-thresholds a Cellpose run's cached network outputs; with threshold methods, change the config and run \`cellcoloc run\` again`);
  }
}

export async function runRefineWorkflow(
  config: AnalysisConfig,
  options: {
    thresholds?: RefineThresholds;
    stages?: Pick<CellposeStages, 'computeMasks'>;
    /** Read only the ROIs' union box × z-crop where the format allows (OME-Zarr; `cellcoloc refine`), as `run` does. */
    regionReads?: boolean;
  } = {},
): Promise<RefineWorkflowResult> {
  assertSupported(config);
  assertRefinable(config, options.thresholds);
  let cacheDir = '';
  let previous: Record<string, unknown> | null = null;
  const th = options.thresholds ?? {};
  const step: AnalysisStep<LoadedImageChannels & ZStackLoaded, RefineResult> = {
    async analyse({ config: cfg, loaded, roiLabels, paths, timings }) {
      cacheDir = cellposeCacheDir(paths.resultsDir, paths.stem);
      if (!existsSync(cacheDir)) {
        throw inputError(`${cacheDir}: no Cellpose cache folder; run \`cellcoloc run\` with segmentation_method cellpose (same results folder) first`);
      }
      previous = await readPreviousManifest(paths.manifestPath);
      const t0 = performance.now();
      const result = await refineRunResultFromCellposeCache({
        loaded,
        roiLabels,
        colocalizationConfig: cfg.colocalizationConfig,
        intensityColocalization: cfg.intensityColocalizationConfig ?? null,
        cellModelConfig: cfg.cellModelConfig,
        markerModelConfig: cfg.markerModelConfig,
        optionalRegionModelConfig: cfg.optionalRegionModelConfig,
        cacheDir,
        thresholds: options.thresholds,
        stages: options.stages,
      });
      appendTimings(timings, [{ stage: 'refine (masks from cache + tables)', ms: performance.now() - t0 }]);
      return result;
    },
    extendManifest(_ctx, result, manifest) {
      manifest.refinement = {
        cacheDir,
        arguments: {
          cell_cellprob_threshold: th.cellCellprobThreshold ?? null,
          cell_flow_threshold: th.cellFlowThreshold ?? null,
          marker_cellprob_threshold: th.markerCellprobThreshold ?? null,
          marker_flow_threshold: th.markerFlowThreshold ?? null,
          ...(config.optionalRegionModelConfig !== null
            ? {
                optional_region_cellprob_threshold: th.optionalRegionCellprobThreshold ?? null,
                optional_region_flow_threshold: th.optionalRegionFlowThreshold ?? null,
              }
            : {}),
        },
        channels: result.refinement,
        ...previousRunRecord(previous),
      };
    },
  };
  const run = await runAnalysis<LoadedImageChannels & ZStackLoaded, RefineResult, RoiSummaryLine>(
    config,
    options.regionReads ? windowedTwoChannelLayout : twoChannelLayout,
    step,
    {},
  );
  return { loaded: run.loaded, roiLabels: run.roiLabels, result: run.result, paths: run.paths, cacheDir, summary: run.summary, warnings: run.warnings };
}

/** The refined run's creation time and its own refinement: a refinement of a refinement keeps the chain. */
export function previousRunRecord(previous: Record<string, unknown> | null): { refinedRunCreatedAt: unknown; previousRefinement: unknown } {
  return { refinedRunCreatedAt: previous?.createdAt ?? null, previousRefinement: previous?.refinement ?? null };
}
