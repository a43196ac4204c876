/**
 * The single-channel counting workflow (spec 13): one channel is segmented ROI by ROI with `model_config`,
 * small objects are removed (`analysis_config.min_object_voxels`), the channel's postfilters run, and the
 * tables `object_summary`, `voxel_plausibility_check` and `roi_overview` are built and exported.
 *
 *  - Loading (`loadSingleChannelImage`, spec 3.4; `prepareSingleChannelImageForAnalysis`, spec 12) lives in
 *    single-channel-load.ts and is re-exported here.
 *  - `runRoiSingleChannelSegmentation` (spec 13.1): the per-ROI driver of spec 4.1 (label offsets per ROI,
 *    labels clipped to their ROI polygon = fix Q7), then `analyzeExistingSingleChannelMasks`.
 *  - `analyzeExistingSingleChannelMasks`: z bounds → `filterLabelsBySize(min_object_voxels)` (count over
 *    the whole array; survivor ids unchanged) → postfilters of `model_config` → tables.
 *  - `runSingleChannelWorkflow`: config → load → ROIs → run → export, the counterpart of `runWorkflow`.
 */
import { basename } from 'node:path';
import { configError, valueError } from '../core/errors.js';
import type { LabelVolume, RoiLabels } from '../core/volume.js';
import { formatShape, sameShape } from '../core/volume.js';
import type { AnalysisConfig, ModelConfig, RuntimeConfig } from '../config/types.js';
import { assertSupported } from '../config/schema.js';
import { segmentChannelByRoi, type RoiSegmentationCall } from '../segmentation/roi-driver.js';
import { precompileSegmentationKernels } from '../segmentation/threshold-segmentation.js';
import type { SegmentationBackend } from '../segmentation/backend.js';
import { createCellposeBackend, CellposeModelPool, defaultCellposeStages } from '../segmentation/cellpose/backend.js';
import { cellposeCacheDir } from '../segmentation/cellpose/cache.js';
import { filterLabelsBySize } from '../segmentation/size-filter.js';
import { applyPostfilters } from '../segmentation/postfilters.js';
import { hasObjectRemovalRules, reapplyObjectRules } from '../segmentation/declump/reapply.js';
import { assertRoiMatchesImage } from '../roi/roi-io.js';
import { roiIds } from '../roi/roi-geometry.js';
import { buildSingleChannelTables, type SingleChannelTables } from '../tables/single-channel.js';
import { getColumn, type Table } from '../core/table.js';
import type { ResultsPaths } from '../export/results-paths.js';
import { buildManifest } from '../export/manifest.js';
import { exportSingleChannelOutputs } from '../export/single-channel-export.js';
import { padLabelsToFrame, planAnalysisWindow, windowOrigin, type AnalysisWindow } from './analysis-window.js';
import { applyZBounds } from './analyze.js';
import type { ProgressCallback } from './progress.js';
import { appendTimings, configImages, resultsPathsFor, runAnalysis, type AnalysisLayout, type AnalysisStep } from './runner.js';
import { windowZCrop, zStackManifestEntry } from './z-stack.js';
import {
  isReducedView,
  loadSingleChannelImage,
  prepareSingleChannelImageForAnalysis,
  type AnalysisView,
  type LoadedSingleChannelImage,
  type SingleChannelAnalysisConfig,
} from './single-channel-load.js';

// the loading half lives in single-channel-load.ts; importers of this module keep their names
export { isReducedView, loadSingleChannelImage, prepareSingleChannelImageForAnalysis };
export type { LoadedSingleChannelImage, SingleChannelAnalysisConfig };

/** spec 2.6 `SingleChannelAnalysisConfig`. */
function labelsForExport(labels: LabelVolume, loaded: AnalysisView): LabelVolume {
  if (loaded.analysisWindow) return padLabelsToFrame(labels, loaded.analysisWindow, !!loaded.zProjectionMethod);
  const zs = loaded.zStack;
  if (!zs || zs.singlePlane === null) return labels;
  const [, Y, X] = labels.shape;
  const data = new Uint32Array(zs.fullZ * Y * X);
  data.set(labels.data, zs.singlePlane * Y * X);
  return { data, shape: [zs.fullZ, Y, X] };
}

/** One label-deleting step, recorded for the manifest (`channel` is always `objects`). */
export interface SingleChannelFilterStep {
  channel: 'objects';
  step: string;
  nIn: number;
  nOut: number;
  removed: number[];
}

export interface SingleChannelRunResult {
  /** Final labels (full-stack shape; zero outside the analysis z range). */
  masks: LabelVolume;
  tables: SingleChannelTables;
  analysisZBounds: [number, number] | null;
  filterSteps: SingleChannelFilterStep[];
}

export interface SingleChannelRunResultWithSegmentation extends SingleChannelRunResult {
  /** Per-ROI segmentation info (threshold, values, raw object count), ROI order. */
  segmentation: RoiSegmentationCall[];
  timings: { stage: string; ms: number }[];
}

export interface AnalyzeSingleChannelOptions {
  analysisZBounds?: [number, number] | null;
  /** When given, its postfilters are applied (spec 13.1); null → none (manual re-analysis). */
  modelConfig?: ModelConfig | null;
  /** The caller hands the mask array over (a fresh run): it is filtered in place instead of copied. */
  ownsMasks?: boolean;
  /** Re-apply `exclude_border_objects` / `discard_outside_diameter` of `modelConfig` (`reanalyze`, issue 18.5). */
  reapplyObjectRules?: boolean;
}

export function analyzeExistingSingleChannelMasks(
  loaded: AnalysisView,
  roiLabels: RoiLabels,
  masks: LabelVolume,
  analysisConfig: SingleChannelAnalysisConfig,
  options: AnalyzeSingleChannelOptions = {},
): SingleChannelRunResult {
  const shape = loaded.image.shape;
  if (!sameShape(masks.shape, shape)) {
    throw valueError(`single-channel masks shape ${formatShape(masks.shape)} must equal the image shape ${formatShape(shape)}`);
  }
  assertRoiMatchesImage(roiLabels, [shape[1], shape[2]], 'rois');
  // spec 13.1: z bounds ignored for a projected (or one-plane) view; else the option, else the loaded bounds
  const zb = isReducedView(loaded) ? null : options.analysisZBounds !== undefined ? options.analysisZBounds : loaded.analysisZBounds;
  let labels = applyZBounds(masks, zb);
  const filterSteps: SingleChannelFilterStep[] = [];
  const sized = filterLabelsBySize(labels, analysisConfig.minObjectVoxels, { inPlace: options.ownsMasks === true || labels !== masks });
  const nIn = sized.nIn; // counted by the size filter's pass
  filterSteps.push({ channel: 'objects', step: 'min_object_voxels', nIn, nOut: nIn - sized.removed.length, removed: sized.removed });
  labels = sized.labels;
  const mc = options.modelConfig;
  if (options.reapplyObjectRules && hasObjectRemovalRules(mc)) {
    const r = reapplyObjectRules(labels, roiLabels, mc, loaded.voxelSizeUm);
    for (const s of r.steps) filterSteps.push({ channel: 'objects', step: s.step, nIn: s.nIn, nOut: s.nOut, removed: s.removed });
    labels = r.labels;
  }
  if (mc && mc.postfilters.length > 0) {
    const r = applyPostfilters(labels, loaded.image, mc, { keyPrefix: 'model_config' });
    for (const s of r.steps) filterSteps.push({ channel: 'objects', step: s.postfilter, nIn: s.nIn, nOut: s.nOut, removed: s.removed });
    labels = r.labels;
  }
  const tables = buildSingleChannelTables({
    masks: labels,
    intensity: loaded.image,
    roi: roiLabels,
    voxelSizeUm: loaded.voxelSizeUm,
    zBounds: zb,
    coordinateOriginZyx: windowOrigin(loaded.analysisWindow, isReducedView(loaded)),
  });
  return { masks: labels, tables, analysisZBounds: zb, filterSteps };
}

export async function runRoiSingleChannelSegmentation(
  loaded: AnalysisView,
  roiLabels: RoiLabels,
  modelConfig: ModelConfig,
  analysisConfig: SingleChannelAnalysisConfig,
  runtimeConfig: Pick<RuntimeConfig, 'processRois'>,
  options: {
    onProgress?: ProgressCallback;
    /** Segmentation backend; default `backendFor(modelConfig)` (threshold methods; Cellpose needs an instance). */
    backend?: SegmentationBackend;
  } = {},
): Promise<SingleChannelRunResultWithSegmentation> {
  if (!runtimeConfig.processRois) {
    // Q28: the original raises here too.
    throw valueError('runtime_config.process_rois is false: ROI processing is disabled, nothing to analyse');
  }
  const [, Y, X] = loaded.image.shape;
  assertRoiMatchesImage(roiLabels, [Y, X], 'rois');
  if (roiIds(roiLabels).length === 0) throw valueError('rois: the ROI label image contains no ROI (every pixel is 0)');
  const timings: { stage: string; ms: number }[] = [];
  // the loaded view decides the z range (prepareSingleChannelImageForAnalysis); a reduced view has none
  const zBounds = isReducedView(loaded) ? null : loaded.analysisZBounds;
  let t0 = performance.now();
  const seg = await segmentChannelByRoi(loaded.image, roiLabels, modelConfig, {
    zBounds,
    voxelSizeUm: loaded.voxelSizeUm,
    backend: options.backend,
    // a window run: boxes and planes in frame coordinates for the backend (Cellpose cache keys, refine)
    frameOrigin: windowOrigin(loaded.analysisWindow, isReducedView(loaded)),
    onRoi: (done, total) => options.onProgress?.({ stage: 'segment objects', done, total }),
  });
  timings.push({ stage: 'segment objects', ms: performance.now() - t0 });
  options.onProgress?.({ stage: 'tables' });
  t0 = performance.now();
  const analysed = analyzeExistingSingleChannelMasks(loaded, roiLabels, seg.labels, analysisConfig, {
    analysisZBounds: zBounds,
    modelConfig,
    ownsMasks: true,
  });
  timings.push({ stage: 'filters + tables', ms: performance.now() - t0 });
  return { ...analysed, segmentation: seg.calls, timings };
}

/** One printed line per ROI: the objects touching it. */
export interface SingleChannelSummaryLine {
  roiId: number;
  nObjects: number;
}

export interface SingleChannelWorkflowResult {
  loaded: LoadedSingleChannelImage;
  roiLabels: RoiLabels;
  result: SingleChannelRunResultWithSegmentation;
  paths: ResultsPaths;
  summary: SingleChannelSummaryLine[];
  warnings: string[];
  timings: { stage: string; ms: number }[];
}

/** config → load → ROIs → segment → filters → tables → export, for a config with `single_channel_config`. */
export async function runSingleChannelWorkflow(
  config: AnalysisConfig,
  /** `regionReads`: read and analyse only the ROIs' box × z-crop where the format allows (`cellcoloc run`, batch). */
  options: { onProgress?: ProgressCallback; regionReads?: boolean } = {},
): Promise<SingleChannelWorkflowResult> {
  return runAnalysis<LoadedSingleChannelImage, SingleChannelRunResultWithSegmentation, SingleChannelSummaryLine>(
    config,
    options.regionReads ? windowedSingleChannelLayout : singleChannelLayout,
    segmentSingleChannel(),
    options,
  );
}

/** The single-channel config of `config`, or a one-line error naming what the workflow needs. */
export function requireSingleChannel(config: AnalysisConfig, what = 'the single-channel workflow'): NonNullable<AnalysisConfig['singleChannel']> {
  const sc = config.singleChannel;
  if (!sc) {
    throw valueError(`${config.configPath ?? 'config'}: single_channel_config: expected {channel_index: <int>} for ${what}, got null`);
  }
  return sc;
}

type SingleChannelResult = SingleChannelRunResult & { segmentation?: RoiSegmentationCall[] };

/**
 * The single-channel counting layout of the runner (spec 13): `loadSingleChannelImage` + `model_config`'s z
 * handling, the files of `exportSingleChannelRun`, one summary line per ROI.
 */
export const singleChannelLayout: AnalysisLayout<LoadedSingleChannelImage, SingleChannelResult, SingleChannelSummaryLine> = {
  load: (config) => loadForLayout(config, undefined),
  planeShape: (loaded) => [loaded.image.shape[1], loaded.image.shape[2]],
  analysedImage: (loaded) => ({ shapeZyx: loaded.image.shape, voxelSizeUm: loaded.voxelSizeUm }),
  firstSource: (loaded) => loaded.sourcePaths[0],
  warnings: (loaded) => loaded.warnings,
  write: (ctx, result, extend) => exportSingleChannelRun(ctx.config, ctx.loaded, ctx.roiLabels, result, ctx.paths, ctx.timings, extend),
  summary: (result) => singleChannelSummaryLines(result.tables.overview),
};

type AcceptWindow = (window: AnalysisWindow, config: AnalysisConfig) => Promise<boolean>;

function loadForLayout(config: AnalysisConfig, planWindow: ((frame: [number, number, number]) => Promise<AnalysisWindow | null>) | undefined) {
  const sc = requireSingleChannel(config);
  return loadSingleChannelImage(config.image, sc.channelIndex, config.voxelScaleZyx, {
    cropForTesting: config.runtimeConfig.cropForTesting,
    t: config.runtimeConfig.t,
    resolutionLevel: config.resolutionLevel,
    planWindow,
  }).then((l) => prepareSingleChannelImageForAnalysis(l, sc.modelConfig, config.configPath ?? 'config'));
}

/**
 * `singleChannelLayout` reading only the analysis window where the format allows (analysis-window.ts); the window
 * must also pass `accept` when given (`reanalyze`: the masks must lie inside it, reanalyze-window.ts).
 */
export function windowedSingleChannelLayoutFor(accept: AcceptWindow | null): typeof singleChannelLayout {
  return {
    ...singleChannelLayout,
    load: (config) =>
      loadForLayout(config, async (frame) => {
        const w = await planAnalysisWindow(config, frame, windowZCrop(config, frame[0]));
        return w && (!accept || (await accept(w, config))) ? w : null;
      }),
    roiLabels: (loaded) => loaded.analysisWindow?.roiLabels ?? null,
    // the filters' size checks are bounded by the frame the user gave, not by the window
    analysedImage: (loaded) => {
      const f = loaded.analysisWindow?.frameShape;
      return { shapeZyx: f ? [loaded.image.shape[0], f[1], f[2]] : loaded.image.shape, voxelSizeUm: loaded.voxelSizeUm };
    },
  };
}

export const windowedSingleChannelLayout = windowedSingleChannelLayoutFor(null);

/** The single-channel `run` step: segmentation ROI by ROI with `model_config`, then the tables (spec 13.1). */
function segmentSingleChannel(): AnalysisStep<LoadedSingleChannelImage, SingleChannelRunResultWithSegmentation> {
  const warnings: string[] = [];
  let backend: SegmentationBackend | undefined;
  return {
    beforeLoad(config) {
      const sc = requireSingleChannel(config);
      assertSupported(config);
      precompileSegmentationKernels([sc.modelConfig]); // compiled off the main thread while the image is read
      if (sc.modelConfig.segmentationMethod === 'cellpose') {
        // Before any reading: a Cellpose channel needs a model (spec 2.4, 5.1).
        if (sc.modelConfig.modelNameOrPath === null || sc.modelConfig.modelNameOrPath.trim() === '') {
          throw configError(
            `${config.configPath ?? 'config'}: model_config.model_name_or_path: required for segmentation_method cellpose (a built-in model name or an .onnx file path), got ${JSON.stringify(sc.modelConfig.modelNameOrPath)}`,
          );
        }
        const cachePaths = resultsPathsFor(config, configImages(config)[0]);
        backend = createCellposeBackend({
          channel: 'object',
          pool: new CellposeModelPool(defaultCellposeStages, { useGpu: config.runtimeConfig.useGpu, warn: (w) => warnings.push(w) }),
          cacheDir: cellposeCacheDir(cachePaths.resultsDir, cachePaths.stem),
        });
      }
    },
    async analyse({ config, loaded, roiLabels, timings, onProgress }) {
      const sc = requireSingleChannel(config);
      const result = await runRoiSingleChannelSegmentation(
        loaded,
        roiLabels,
        sc.modelConfig,
        { minObjectVoxels: sc.minObjectVoxels },
        config.runtimeConfig,
        { onProgress, backend },
      );
      loaded.warnings.push(...warnings);
      appendTimings(timings, result.timings);
      return result;
    },
  };
}

/**
 * Writes a single-channel result (spec 13.4) with its manifest: the run and the refinement share it; `extend` adds
 * sections to the manifest (the refinement's) before it is written.
 */
export async function exportSingleChannelRun(
  config: AnalysisConfig,
  loaded: LoadedSingleChannelImage,
  roiLabels: RoiLabels,
  result: SingleChannelRunResult & { segmentation?: RoiSegmentationCall[] },
  paths: ResultsPaths,
  timings: { stage: string; ms: number }[],
  extend?: (manifest: Record<string, unknown>) => void | Promise<void>,
): Promise<void> {
  const manifest = await buildManifest({
    config,
    loaded: { ...loaded, cellImage: loaded.image },
    roiIds: roiIds(roiLabels),
    segmentation: result.segmentation ? { objects: result.segmentation } : undefined,
    filterSteps: result.filterSteps,
    timings,
    paths,
  });
  manifest.config = singleChannelManifestConfig(manifest.config as Record<string, unknown>);
  const zStack = zStackManifestEntry(loaded);
  if (zStack) manifest.zStack = zStack;
  await extend?.(manifest);
  // masks in the stack's geometry and true voxel size (a projection's z = 1.0 is an analysis convention, Q24)
  const roiOut = loaded.analysisWindow?.frameRoiLabels ?? roiLabels; // a window run writes the frame's raster
  await exportSingleChannelOutputs({ masks: labelsForExport(result.masks, loaded), tables: result.tables, roiLabels: roiOut }, paths, {
    voxelSizeUm: loaded.zStack ? loaded.zStack.trueVoxelSizeUm : loaded.voxelSizeUm,
    manifest,
  });
}

/** Per-ROI printed lines from the single-channel overview. */
export function singleChannelSummaryLines(ov: Table): SingleChannelSummaryLine[] {
  const ids = getColumn(ov, 'roi_id').values;
  const n = getColumn(ov, 'n_objects').values;
  const summary: SingleChannelSummaryLine[] = [];
  for (let i = 0; i < ov.rowCount; i++) summary.push({ roiId: ids[i], nObjects: n[i] });
  return summary;
}

export function describeSingleChannelSource(loaded: LoadedSingleChannelImage): string {
  return `${loaded.sourcePaths.map((p) => basename(p)).join(' + ')} channel ${loaded.channelIndex}`;
}


/** Two-channel sections: placeholders in a single-channel config, never read. */
const TWO_CHANNEL_KEYS = ['channel_config', 'display_names', 'cell_model_config', 'marker_model_config', 'optional_region_model_config', 'colocalization_config'];

/**
 * The manifest's resolved config in the single-channel file's own sections (`single_channel_config`,
 * `model_config`, `analysis_config`), without the unused two-channel placeholders, keys sorted.
 */
function singleChannelManifestConfig(cfg: Record<string, unknown>): Record<string, unknown> {
  const sc = (cfg.single_channel ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) if (k !== 'single_channel' && !TWO_CHANNEL_KEYS.includes(k)) out[k] = v;
  out.single_channel_config = { channel_index: sc.channel_index };
  out.model_config = sc.model_config;
  out.analysis_config = { min_object_voxels: sc.min_object_voxels };
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
}


