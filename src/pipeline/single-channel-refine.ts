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
import { cellposeCacheDir, listCacheEntries } from '../segmentation/cellpose/cache.js';
import type { CellposeStages } from '../segmentation/cellpose/backend.js';
import type { ResultsPaths } from '../export/results-paths.js';
import { previousRunRecord, readPreviousManifest, rebuildChannelFromCache, type RefinedChannelInfo } from './refine.js';
import { appendTimings, runAnalysis, type AnalysisStep } from './runner.js';
import { windowOrigin } from './analysis-window.js';
import {
  analyzeExistingSingleChannelMasks,
  isReducedView,
  requireSingleChannel,
  singleChannelLayout,
  windowedSingleChannelLayout,
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
  options: {
    thresholds?: { cellprobThreshold?: number | null; flowThreshold?: number | null };
    stages?: Pick<CellposeStages, 'computeMasks'>;
    /** Read only the ROIs' union box × z-crop where the format allows (OME-Zarr; `cellcoloc refine`), as `run` does. */
    regionReads?: boolean;
  } = {},
): Promise<SingleChannelRefineResult> {
  const sc = requireSingleChannel(config, 'a single-channel refinement');
  assertSupported(config);
  const label = config.configPath ?? 'config';
  if (sc.modelConfig.segmentationMethod !== 'cellpose') {
    throw valueError(`${label}: model_config.segmentation_method is ${sc.modelConfig.segmentationMethod}, not cellpose: there is no Cellpose cache to refine from (run again instead)`);
  }
  const th = options.thresholds ?? {};
  let cacheDir = '';
  let previous: Record<string, unknown> | null = null;
  let refinement: RefinedChannelInfo | null = null;
  const step: AnalysisStep<LoadedSingleChannelImage, SingleChannelRunResultWithSegmentation> = {
    async analyse({ loaded, roiLabels, paths, timings }) {
      cacheDir = cellposeCacheDir(paths.resultsDir, paths.stem);
      if (!existsSync(cacheDir) || (await listCacheEntries(cacheDir, 'object')).length === 0) {
        throw inputError(`${cacheDir}: no Cellpose cache of the single-channel run (object_roi<id>.cpcache); run \`cellcoloc run\` (same results folder) first`);
      }
      previous = await readPreviousManifest(paths.manifestPath);
      const t0 = performance.now();
      const zBounds = isReducedView(loaded) ? null : loaded.analysisZBounds;
      const rebuilt = await rebuildChannelFromCache(
        'object',
        {
          shape: loaded.image.shape,
          zBounds,
          voxelSizeUm: loaded.voxelSizeUm,
          roiLabels,
          cacheDir,
          configKey: 'model_config',
          stages: options.stages,
          frameOrigin: windowOrigin(loaded.analysisWindow, isReducedView(loaded)),
        },
        sc.modelConfig,
        th.cellprobThreshold,
        th.flowThreshold,
      );
      const analysed = analyzeExistingSingleChannelMasks(loaded, roiLabels, rebuilt.labels, { minObjectVoxels: sc.minObjectVoxels }, {
        analysisZBounds: zBounds,
        modelConfig: sc.modelConfig,
        ownsMasks: true,
      });
      refinement = rebuilt.info;
      const own = [{ stage: 'refine (masks from cache + tables)', ms: Math.round((performance.now() - t0) * 1000) / 1000 }];
      appendTimings(timings, own);
      return { ...analysed, segmentation: rebuilt.calls, timings: own };
    },
    extendManifest(_ctx, _result, manifest) {
      manifest.refinement = {
        cacheDir,
        arguments: { cellprob_threshold: th.cellprobThreshold ?? null, flow_threshold: th.flowThreshold ?? null },
        channels: { objects: refinement },
        ...previousRunRecord(previous),
      };
    },
  };
  const run = await runAnalysis<LoadedSingleChannelImage, SingleChannelRunResultWithSegmentation, SingleChannelSummaryLine>(
    config,
    options.regionReads ? windowedSingleChannelLayout : singleChannelLayout,
    step,
    {},
  );
  return {
    loaded: run.loaded,
    roiLabels: run.roiLabels,
    result: run.result,
    refinement: refinement!,
    paths: run.paths,
    cacheDir,
    summary: run.summary,
    warnings: run.warnings,
  };
}
