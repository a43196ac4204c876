/**
 * `cellcoloc reanalyze`: every table and the positive-cell mask recomputed from label TIFFs — for example
 * masks corrected by hand in Fiji or napari — without segmenting (spec 7.1, `analyze_existing_masks`).
 *
 * The image, the ROIs, `crop_for_testing`, the z-crop / z-projection and the voxel size are resolved exactly
 * as by `cellcoloc run`; the masks must have the shape a run of the same config exports (the analysed
 * image's Z×Y×X; 1×Y×X for 2D images and projections; the full stack for a one-plane z-crop). Then the
 * colocalisation's `min_cell_voxels` and each channel's configured postfilters are re-applied (fix Q42: the
 * original's manual re-analysis passed no model configs, so edited masks skipped the postfilters), and the
 * results are exported like a run's (same folder and file names; the manifest records `command: reanalyze`
 * and every mask file with its SHA-256).
 *
 * `reanalyzeSingleChannelWorkflow` does the same for a single-channel config (spec 13): one object label
 * TIFF → `min_object_voxels` and the `model_config` postfilters → the single-channel tables and files.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AnalysisConfig } from '../config/types.js';
import type { LabelVolume, RoiLabels } from '../core/volume.js';
import { inputError, notSupported, valueError } from '../core/errors.js';
import { assertSupported } from '../config/schema.js';
import { assertRoiMatchesImage } from '../roi/roi-io.js';
import { roiIds } from '../roi/roi-geometry.js';
import type { ResultsPaths } from '../export/results-paths.js';
import { describeInputFile } from '../export/manifest.js';
import type { LoadedImageChannels } from './load-images.js';
import { analyzeExistingMasks, type ColocalizationRunResult } from './analyze.js';
import { twoChannelLayout, windowedTwoChannelLayoutFor, type RoiSummaryLine } from './workflow.js';
import { exportShapeOf, MaskSet } from './reanalyze-window.js';
import type { ProgressCallback } from './progress.js';
import { runAnalysis, type AnalysisStep } from './runner.js';
import {
  analyzeExistingSingleChannelMasks,
  singleChannelLayout,
  windowedSingleChannelLayoutFor,
  type LoadedSingleChannelImage,
  type SingleChannelRunResult,
  type SingleChannelSummaryLine,
} from './single-channel.js';
import { effectiveZBounds, labelsForAnalysis, resolveZProjection } from './z-stack.js';

export interface ReanalyzeMaskFiles {
  cellMasks: string;
  markerMasks: string;
  /**
   * Third-channel labels (spec 11; a run's `{stem}_region_mask.tif`): required when the config segments a
   * third channel (`optional_region_model_config`), so that the re-analysis writes every file a run writes.
   */
  optionalRegionMasks?: string | null;
}

export interface ReanalyzeResult {
  loaded: LoadedImageChannels;
  roiLabels: RoiLabels;
  result: ColocalizationRunResult;
  paths: ResultsPaths;
  summary: RoiSummaryLine[];
  warnings: string[];
  timings: { stage: string; ms: number }[];
}

export async function reanalyzeWorkflow(
  config: AnalysisConfig,
  masks: ReanalyzeMaskFiles,
  /** `regionReads`: on OME-Zarr, read only the ROIs' window when it holds every label (reanalyze-window.ts; the CLI). */
  options: { onProgress?: ProgressCallback; regionReads?: boolean } = {},
): Promise<ReanalyzeResult> {
  if (config.singleChannel) {
    throw valueError(
      `${config.configPath ?? 'config'}: single_channel_config is set: re-analyse single-channel masks with reanalyzeSingleChannelWorkflow (cellcoloc reanalyze --masks)`,
    );
  }
  assertSupported(config);
  if (config.optionalRegionModelConfig !== null && !masks.optionalRegionMasks) {
    // Q42: the original's manual re-analysis silently dropped the third channel (and its edits).
    throw valueError(
      `${config.configPath ?? 'config'}: optional_region_model_config is set (the run segments a third channel): give its label TIFF with --optional-region-masks (a run writes it as <stem>_region_mask.tif)`,
    );
  }
  resolveZProjection(config);
  const maskFiles: ['cell' | 'marker' | 'optional_region', string][] = [
    ['cell', resolve(masks.cellMasks)],
    ['marker', resolve(masks.markerMasks)],
  ];
  if (masks.optionalRegionMasks) maskFiles.push(['optional_region', resolve(masks.optionalRegionMasks)]);
  const what = (role: string) => `${role.replace('_', '-')} masks`;
  const maskSet = new MaskSet(maskFiles.map(([role, p]) => ({ path: p, what: what(role) })));

  const step: AnalysisStep<LoadedImageChannels, ColocalizationRunResult> = {
    beforeLoad() {
      // Missing mask files fail before the (possibly large) image is read.
      for (const [role, p] of maskFiles) if (!existsSync(p)) throw inputError(`${what(role)} ${p}: file not found`);
    },
    async analyse({ config: cfg, loaded, roiLabels, timed }) {
      const [, Y, X] = loaded.cellImage.shape;
      assertRoiHasIds(roiLabels, [Y, X]);
      const window = loaded.analysisWindow ?? null;
      const projected = !!loaded.zProjectionMethod;
      // The shape a run exports (a one-plane crop exports the full stack; see z-stack.ts).
      const exportShape: [number, number, number] = window
        ? exportShapeOf(window, projected)
        : loaded.zStack?.singlePlane != null
          ? [loaded.zStack.fullZ, Y, X]
          : [loaded.cellImage.shape[0], Y, X];
      // a window run: the masks (checked to lie inside it while loading) cut to the analysed view
      const read = await timed('read masks', () => (window ? maskSet.inWindow(window, projected) : maskSet.get(exportShape)));
      const view = (m: LabelVolume) => (window ? m : labelsForAnalysis(m, loaded));
      const [cellRead, markerRead, regionRead] = read;
      return timed('filters + tables', () =>
        analyzeExistingMasks(
          loaded,
          roiLabels,
          view(cellRead),
          view(markerRead),
          cfg.colocalizationConfig,
          {
            analysisZBounds: effectiveZBounds(loaded),
            cellModelConfig: cfg.cellModelConfig,
            markerModelConfig: cfg.markerModelConfig,
            optionalRegionMasks: regionRead ? view(regionRead) : null,
            optionalRegionModelConfig: cfg.optionalRegionModelConfig,
            ownsMasks: true,
            reapplyObjectRules: true,
            intensityColocalization: cfg.intensityColocalizationConfig ?? null,
          },
        ),
      );
    },
    extendManifest: (_ctx, _result, manifest) => recordMaskInputs(manifest, maskFiles),
  };
  const layout = options.regionReads ? windowedTwoChannelLayoutFor(maskSet.accept) : twoChannelLayout;
  return runAnalysis<LoadedImageChannels, ColocalizationRunResult, RoiSummaryLine>(config, layout, step, options);
}

/** The manifest of a re-analysis: `command: reanalyze` and every mask file read, with its SHA-256. */
async function recordMaskInputs(manifest: Record<string, unknown>, maskFiles: readonly [string, string][]): Promise<void> {
  manifest.command = 'reanalyze';
  manifest.maskInputs = await Promise.all(maskFiles.map(async ([role, p]) => ({ role, ...(await describeInputFile(p)) })));
}

function assertRoiHasIds(roiLabels: RoiLabels, yx: [number, number]): void {
  assertRoiMatchesImage(roiLabels, yx, 'rois');
  if (roiIds(roiLabels).length === 0) throw valueError('rois: the ROI label image contains no ROI (every pixel is 0)');
}

export interface SingleChannelReanalyzeResult {
  loaded: LoadedSingleChannelImage;
  roiLabels: RoiLabels;
  result: SingleChannelRunResult;
  paths: ResultsPaths;
  summary: SingleChannelSummaryLine[];
  warnings: string[];
  timings: { stage: string; ms: number }[];
}

/**
 * Single-channel counterpart (spec 13): the object labels of `masksPath` → `min_object_voxels` and the
 * `model_config` postfilters re-applied (Q42) → `object_summary`, `voxel_plausibility_check`, `roi_overview`,
 * exported like a single-channel run. The single-channel run does not support z-crop / z-projection yet, so
 * neither does its re-analysis.
 */
export async function reanalyzeSingleChannelWorkflow(
  config: AnalysisConfig,
  masksPath: string,
  /** `regionReads`: as for `reanalyzeWorkflow`. */
  options: { onProgress?: ProgressCallback; regionReads?: boolean } = {},
): Promise<SingleChannelReanalyzeResult> {
  if (!config.singleChannel) {
    throw valueError(`${config.configPath ?? 'config'}: single_channel_config is not set: re-analyse two-channel masks with --cell-masks and --marker-masks`);
  }
  const sc = config.singleChannel;
  assertSupported(config);
  const mc = sc.modelConfig;
  if (mc.zCrop !== null || mc.zProjection !== null) {
    throw notSupported(
      `${config.configPath ?? 'config'}: model_config.${mc.zCrop !== null ? 'z_crop' : 'z_projection'}: z settings of the single-channel workflow are not supported yet, got ${JSON.stringify(mc.zCrop ?? mc.zProjection)}`,
    );
  }
  const path = resolve(masksPath);
  const maskSet = new MaskSet([{ path, what: 'masks' }]);
  const step: AnalysisStep<LoadedSingleChannelImage, SingleChannelRunResult> = {
    beforeLoad() {
      if (!existsSync(path)) throw inputError(`masks ${path}: file not found`);
    },
    async analyse({ loaded, roiLabels, timed }) {
      const [Z, Y, X] = loaded.image.shape;
      assertRoiHasIds(roiLabels, [Y, X]);
      const window = loaded.analysisWindow ?? null;
      const [masks] = await timed('read masks', () => (window ? maskSet.inWindow(window, false) : maskSet.get([Z, Y, X])));
      return timed('filters + tables', () =>
        analyzeExistingSingleChannelMasks(loaded, roiLabels, masks, { minObjectVoxels: sc.minObjectVoxels }, { modelConfig: mc, ownsMasks: true, reapplyObjectRules: true }),
      );
    },
    extendManifest: (_ctx, _result, manifest) => recordMaskInputs(manifest, [['objects', path]]),
  };
  return runAnalysis<LoadedSingleChannelImage, SingleChannelRunResult, SingleChannelSummaryLine>(
    config,
    options.regionReads ? windowedSingleChannelLayoutFor(maskSet.accept) : singleChannelLayout,
    step,
    options,
  );
}
