/**
 * `cellcoloc refine` for a single-channel config (spec 13.2: "as 5.5 for one channel"): the object masks are
 * rebuilt from the run's Cellpose cache (`object_roi<k>.cpcache`) with new thresholds — no network — then
 * `min_object_voxels`, the postfilters and the three single-channel sheets are recomputed and the results rewritten
 * atomically, with a `refinement` section in the manifest. Same fixes as the two-channel refinement (refine.ts):
 * Q7 clip/offset as the run, Q9 paste into the cached planes, Q10 threshold order argument ?? config ?? cache.
 */
import { existsSync } from 'node:fs';
import type { AnalysisConfig } from '../config/types.js';
import type { RoiLabels } from '../core/volume.js';
import { inputError, valueError } from '../core/errors.js';
import { assertSupported } from '../config/schema.js';
import { resolveRoiLabels } from '../roi/resolve-rois.js';
import { cellposeCacheDir, listCacheEntries } from '../segmentation/cellpose/cache.js';
import type { CellposeStages } from '../segmentation/cellpose/backend.js';
import { buildResultsPaths, type ResultsPaths } from '../export/results-paths.js';
import { readPreviousManifest, rebuildChannelFromCache, type RefinedChannelInfo } from './refine.js';
import {
  analyzeExistingSingleChannelMasks,
  exportSingleChannelRun,
  isReducedView,
  loadSingleChannelImage,
  prepareSingleChannelImageForAnalysis,
  singleChannelSummaryLines,
  type LoadedSingleChannelImage,
  type SingleChannelRunResultWithSegmentation,
  type SingleChannelSummaryLine,
} from './single-channel.js';

export interface SingleChannelRefineResult {
  loaded: LoadedSingleChannelImage;
  roiLabels: RoiLabels;
  result: SingleChannelRunResultWithSegmentation;
  refinement: RefinedChannelInfo;
  paths: ResultsPaths;
  cacheDir: string;
  summary: SingleChannelSummaryLine[];
  warnings: string[];
}

export async function runSingleChannelRefineWorkflow(
  config: AnalysisConfig,
  options: { thresholds?: { cellprobThreshold?: number | null; flowThreshold?: number | null }; stages?: Pick<CellposeStages, 'computeMasks'> } = {},
): Promise<SingleChannelRefineResult> {
  const sc = config.singleChannel;
  if (!sc) throw valueError(`${config.configPath ?? 'config'}: single_channel_config: expected {channel_index: <int>} for a single-channel refinement, got null`);
  assertSupported(config);
  const label = config.configPath ?? 'config';
  if (sc.modelConfig.segmentationMethod !== 'cellpose') {
    throw valueError(`${label}: model_config.segmentation_method is ${sc.modelConfig.segmentationMethod}, not cellpose: there is no Cellpose cache to refine from (run again instead)`);
  }
  const loaded = prepareSingleChannelImageForAnalysis(
    await loadSingleChannelImage(config.image, sc.channelIndex, config.voxelScaleZyx, {
      cropForTesting: config.runtimeConfig.cropForTesting,
      t: config.runtimeConfig.t,
    }),
    sc.modelConfig,
    label,
  );
  const [, Y, X] = loaded.image.shape;
  const roiLabels = await resolveRoiLabels(config, [Y, X]);
  const paths = buildResultsPaths(loaded.sourcePaths[0], { resultsDir: config.resultsDir, cropForTesting: config.runtimeConfig.cropForTesting });
  const cacheDir = cellposeCacheDir(paths.resultsDir, paths.stem);
  if (!existsSync(cacheDir) || (await listCacheEntries(cacheDir, 'object')).length === 0) {
    throw inputError(`${cacheDir}: no Cellpose cache of the single-channel run (object_roi<id>.cpcache); run \`cellcoloc run\` (same results folder) first`);
  }
  const previous = await readPreviousManifest(paths.manifestPath);
  const t0 = performance.now();
  const zBounds = isReducedView(loaded) ? null : loaded.analysisZBounds;
  const th = options.thresholds ?? {};
  const rebuilt = await rebuildChannelFromCache(
    'object',
    { shape: loaded.image.shape, zBounds, voxelSizeUm: loaded.voxelSizeUm, roiLabels, cacheDir, configKey: 'model_config', stages: options.stages },
    sc.modelConfig,
    th.cellprobThreshold,
    th.flowThreshold,
  );
  const analysed = analyzeExistingSingleChannelMasks(loaded, roiLabels, rebuilt.labels, { minObjectVoxels: sc.minObjectVoxels }, {
    analysisZBounds: zBounds,
    modelConfig: sc.modelConfig,
    ownsMasks: true,
  });
  const timings = [{ stage: 'refine (masks from cache + tables)', ms: Math.round((performance.now() - t0) * 1000) / 1000 }];
  const result: SingleChannelRunResultWithSegmentation = { ...analysed, segmentation: rebuilt.calls, timings };
  await exportSingleChannelRun(config, loaded, roiLabels, result, paths, timings, (manifest) => {
    manifest.refinement = {
      cacheDir,
      arguments: { cellprob_threshold: th.cellprobThreshold ?? null, flow_threshold: th.flowThreshold ?? null },
      channels: { objects: rebuilt.info },
      refinedRunCreatedAt: previous?.createdAt ?? null,
      previousRefinement: previous?.refinement ?? null,
    };
  });
  return {
    loaded,
    roiLabels,
    result,
    refinement: rebuilt.info,
    paths,
    cacheDir,
    summary: singleChannelSummaryLines(result.tables.overview),
    warnings: loaded.warnings,
  };
}
