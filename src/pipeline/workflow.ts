/**
 * The whole command-line workflow from one resolved config: load → ROIs → segment → tables → export.
 */
import { basename } from 'node:path';
import type { AnalysisConfig } from '../config/types.js';
import type { LabelVolume, RoiLabels } from '../core/volume.js';
import type { RunsOfLabels } from '../core/label-runs.js';
import { assertSupported } from '../config/schema.js';
import { valueError } from '../core/errors.js';
import { roiIds } from '../roi/roi-geometry.js';
import type { ResultsPaths } from '../export/results-paths.js';
import { exportAnalysisOutputs } from '../export/export-outputs.js';
import { TiffsAhead } from '../export/tiffs-ahead.js';
import { buildManifest } from '../export/manifest.js';
import { getColumn, type Table } from '../core/table.js';
import type { ColocalizationRunResult } from './analyze.js';
import { colocalizationSheets } from '../tables/optional-region.js';
import { maskRunsOf } from '../tables/index.js';
import { loadAnalysisImages, type LoadedImageChannels } from './load-images.js';
import { runRoiColocalization, type RunResultWithSegmentation } from './run.js';
import { exportVoxelSizeUm, exportsLabelsAsAnalysed, labelsForExport, prepareLoadedImagesForAnalysis, resolveZCrop, resolveZProjection, zStackManifestEntry } from './z-stack.js';
import { planAnalysisWindow, type AnalysisWindow } from './analysis-window.js';
import type { ProgressCallback } from './progress.js';
import { appendTimings, configImages, runAnalysis, type AnalysisLayout, type AnalysisStep } from './runner.js';
import { resolveRoiLabels } from '../roi/resolve-rois.js';
import { SegmentationWorker, shouldUseWorker } from './segment-workers.js';
import { cellposeBackendsForConfig } from '../segmentation/cellpose/backend.js';
import { precompileSegmentationKernels } from '../segmentation/threshold-segmentation.js';
import { statSync } from 'node:fs';
import { declaredLevelBytes } from '../io/zarr/zarr-path.js';

export interface RoiSummaryLine {
  roiId: number;
  nCells: number;
  nMarkerPositiveCells: number;
  nMarkerObjects: number;
}

export interface WorkflowResult {
  loaded: LoadedImageChannels;
  roiLabels: RoiLabels;
  result: RunResultWithSegmentation;
  paths: ResultsPaths;
  summary: RoiSummaryLine[];
  warnings: string[];
  timings: { stage: string; ms: number }[];
}

export { resolveRoiLabels };

/** Input bytes above which a segmentation worker is started before loading (its start-up then overlaps the read). */
const WORKER_MIN_INPUT_BYTES = 1 << 20;

export async function runWorkflow(
  config: AnalysisConfig,
  options: {
    onProgress?: ProgressCallback;
    /** `auto` (default): a worker thread for the marker channel on large images */
    parallel?: 'auto' | boolean;
    /**
     * Read and analyse only the ROIs' union box × z-crop where the format reads by region (OME-Zarr; results in
     * frame coordinates, analysis-window.ts). Default false: callers that keep the loaded image (the viewer) need
     * the whole frame; `cellcoloc run` and batch samples turn it on.
     */
    regionReads?: boolean;
  } = {},
): Promise<WorkflowResult> {
  if (config.singleChannel) {
    // Never run the two-channel pipeline on a single-channel file (its channel roles are placeholders).
    throw valueError(
      `${config.configPath ?? 'config'}: single_channel_config is set: run it with runSingleChannelWorkflow (pipeline/single-channel.ts); \`cellcoloc run\` picks it automatically`,
    );
  }
  assertSupported(config);
  resolveZProjection(config); // a projection conflict fails before any reading (spec 12.2)
  const parallel = options.parallel ?? 'auto';
  const images = configImages(config);
  const inputBytes = images.reduce((a, p) => a + (inputSize(p, config) ?? 0), 0);
  let worker: SegmentationWorker | null =
    parallel === true || (parallel === 'auto' && inputBytes >= WORKER_MIN_INPUT_BYTES && shouldUseWorker(Infinity))
      ? SegmentationWorker.start()
      : null;
  try {
    return await runWorkflowWith(config, options, worker, parallel, options.regionReads ?? false);
  } finally {
    await worker?.close();
    worker = null;
  }
}

/**
 * What decides the early worker start (opt-in, `CELLCOLOC_THREADS`): a file's size; for an OME-Zarr store (a
 * folder, whose own size of a few KiB says nothing) the pixels its metadata declares, when the run reads the whole
 * frame — a window run (drawn ROIs, crops) starts none up front. Before, Zarr runs never started the worker.
 */
function inputSize(path: string, config: AnalysisConfig): number | null {
  try {
    const st = statSync(path);
    if (!st.isDirectory()) return st.size;
  } catch {
    return null;
  }
  const zCrop = [config.cellModelConfig, config.markerModelConfig, config.optionalRegionModelConfig].some((m) => m && m.zCrop !== null);
  const wholeFrame = config.rois.kind === 'full' && !config.runtimeConfig.cropForTesting && !zCrop;
  return wholeFrame ? declaredLevelBytes(path, config.resolutionLevel ?? 0) : null;
}

async function runWorkflowWith(
  config: AnalysisConfig,
  options: { onProgress?: ProgressCallback },
  worker: SegmentationWorker | null,
  parallel: 'auto' | boolean,
  regionReads: boolean,
): Promise<WorkflowResult> {
  const layout = regionReads ? windowedTwoChannelLayout : twoChannelLayout;
  return runAnalysis<LoadedImageChannels, RunResultWithSegmentation, RoiSummaryLine>(config, layout, segmentTwoChannels(worker, parallel), options);
}

type TwoChannelResult = ColocalizationRunResult & {
  segmentation?: Readonly<Record<string, readonly unknown[]>>;
  /** The TIFFs `run` started encoding during the analysis (export/tiffs-ahead.ts). */
  tiffsAhead?: TiffsAhead | null;
};

/**
 * The two-channel colocalisation layout of the runner: `loadAnalysisImages` + z handling (spec 3, 12), masks and
 * tables written by `exportRunOutputs`, one summary line per ROI.
 */
export const twoChannelLayout: AnalysisLayout<LoadedImageChannels, TwoChannelResult, RoiSummaryLine> = {
  load: (config) =>
    loadAnalysisImages(config.image, config.channelConfig, config.voxelScaleZyx, {
      cropForTesting: config.runtimeConfig.cropForTesting,
      t: config.runtimeConfig.t,
      resolutionLevel: config.resolutionLevel,
    }).then((l) => prepareLoadedImagesForAnalysis(l, config)),
  planeShape: (loaded) => [loaded.cellImage.shape[1], loaded.cellImage.shape[2]],
  // y/x of the whole frame when only an analysis window was read (windowedTwoChannelLayout): the filters are
  // bounded by the image the user gave, not by a ROI's bounding box.
  analysedImage: (loaded) => {
    const [Z, Y, X] = loaded.cellImage.shape;
    const frame = loaded.analysisWindow?.frameShape;
    return { shapeZyx: frame ? [Z, frame[1], frame[2]] : [Z, Y, X], voxelSizeUm: loaded.voxelSizeUm };
  },
  firstSource: (loaded) => loaded.sourcePaths[0],
  warnings: (loaded) => loaded.warnings,
  async write(ctx, result, extend) {
    const manifest = await buildManifest({
      config: ctx.config,
      loaded: ctx.loaded,
      roiIds: roiIds(ctx.roiLabels),
      segmentation: result.segmentation,
      filterSteps: result.filterSteps,
      timings: ctx.timings,
      paths: ctx.paths,
    });
    await extend(manifest);
    await exportRunOutputs(ctx.loaded, ctx.roiLabels, result, ctx.paths, manifest, result.tiffsAhead ?? null);
  },
  summary: (result) => roiSummaryLines(result.tables.overview),
};

/**
 * `twoChannelLayout` reading only the analysis window where the format allows (analysis-window.ts): the ROIs are
 * resolved on the frame before any pixel is read, and cut to the window for the analysis.
 */
export const windowedTwoChannelLayout = windowedTwoChannelLayoutFor(null);

/**
 * `windowedTwoChannelLayout` whose planned window must also pass `accept` (`reanalyze`: the masks read from disk
 * must lie inside it, reanalyze-window.ts); a refused window = the whole frame is read, as without windows.
 */
export function windowedTwoChannelLayoutFor(
  accept: ((window: AnalysisWindow, config: AnalysisConfig) => Promise<boolean>) | null,
): AnalysisLayout<LoadedImageChannels, TwoChannelResult, RoiSummaryLine> {
  return {
    ...twoChannelLayout,
    load: (config) =>
      loadAnalysisImages(config.image, config.channelConfig, config.voxelScaleZyx, {
        cropForTesting: config.runtimeConfig.cropForTesting,
        t: config.runtimeConfig.t,
        resolutionLevel: config.resolutionLevel,
        planWindow: async (frame) => {
          const w = await planAnalysisWindow(config, frame, resolveZCrop(config, frame[0]));
          return w && (!accept || (await accept(w, config))) ? w : null;
        },
      }).then((l) => prepareLoadedImagesForAnalysis(l, config)),
    roiLabels: (loaded) => loaded.analysisWindow?.roiLabels ?? null,
  };
}

/**
 * The `run` step: both channels (and the optional third) segmented ROI by ROI, then every table (spec 7.1). The ROI
 * label TIFF is encoded during the segmentation and the cell and marker mask TIFFs while the tables are built, on the
 * thread pool (export/tiffs-ahead.ts: the second core is otherwise idle then).
 */
function segmentTwoChannels(
  worker: SegmentationWorker | null,
  parallel: 'auto' | boolean,
): AnalysisStep<LoadedImageChannels, RunResultWithSegmentation & { tiffsAhead: TiffsAhead }> {
  return {
    beforeLoad(config) {
      // compiled off the main thread while the image is read
      precompileSegmentationKernels([config.cellModelConfig, config.markerModelConfig, config.optionalRegionModelConfig]);
    },
    async analyse({ config, loaded, roiLabels, paths, timings, onProgress }) {
      // the same options as exportRunOutputs's export (only the voxel size is set there)
      const tiffsAhead = new TiffsAhead({ voxelSizeUm: exportVoxelSizeUm(loaded) });
      tiffsAhead.roiLabels(roiLabelsForExport(loaded, roiLabels));
      // masks that the export writes as they are (no z-stack padding, no window placement)
      const ahead = (labels: LabelVolume, runs: readonly RunsOfLabels[]) => {
        if (exportsLabelsAsAnalysed(loaded)) tiffsAhead.mask(labels, runs);
      };
      const result = await runRoiColocalization(
        loaded,
        roiLabels,
        config.cellModelConfig,
        config.markerModelConfig,
        config.colocalizationConfig,
        config.runtimeConfig,
        {
          onProgress,
          worker: worker && (parallel === true || shouldUseWorker(loaded.cellImage.data.length)) ? worker : null,
          // Cellpose channels: shared models, GPU, on-disk network cache in the results folder (issue 7).
          backends: cellposeBackendsForConfig(config, paths, { warn: (w) => loaded.warnings.push(w) }),
          // third channel (spec 11.1)
          optionalRegionModelConfig: config.optionalRegionModelConfig,
          // intensity correlation sheets (issue 19)
          intensityColocalization: config.intensityColocalizationConfig ?? null,
          onMasksFinal: (cell, marker, runs) => {
            ahead(cell, runs);
            ahead(marker, runs);
          },
        },
      );
      appendTimings(timings, result.timings);
      return { ...result, tiffsAhead };
    },
  };
}

/**
 * Writes a two-channel result like a run (spec 8): masks (a one-plane z-crop analysed as 2D is exported as a
 * full stack, see z-stack.ts), the sheets in spec 7.6 order, the ROI labels and the manifest (its z-stack entry added).
 */
export async function exportRunOutputs(
  loaded: LoadedImageChannels,
  roiLabels: RoiLabels,
  result: ColocalizationRunResult,
  paths: ResultsPaths,
  manifest: Record<string, unknown>,
  tiffsAhead: TiffsAhead | null = null,
): Promise<void> {
  const zStack = zStackManifestEntry(loaded);
  if (zStack) manifest.zStack = zStack;
  await exportAnalysisOutputs(
    {
      cellMasks: labelsForExport(result.cellMasks, loaded),
      markerMasks: labelsForExport(result.markerMasks, loaded),
      positiveCellMasks: labelsForExport(result.positiveCellMasks, loaded),
      optionalRegionMasks: result.optionalRegionMasks ? labelsForExport(result.optionalRegionMasks, loaded) : null,
      tables: colocalizationSheets(result.tables),
      roiLabels: roiLabelsForExport(loaded, roiLabels),
      // the masks' runs from the measurement passes: the TIFFs of those very arrays are filled without a rescan
      labelRuns: maskRunsOf(result.tables),
    },
    paths,
    { voxelSizeUm: exportVoxelSizeUm(loaded), manifest, tiffsAhead },
  );
}

/** The ROI raster written as `{stem}_roi_labelmask.tif`: a window run analysed the window's; the file is the frame's, as a full read writes it. */
function roiLabelsForExport(loaded: LoadedImageChannels, roiLabels: RoiLabels): RoiLabels {
  return loaded.analysisWindow?.frameRoiLabels ?? roiLabels;
}

/** Per-ROI summary lines (cells, marker-positive cells, marker objects) from `roi_coloc_overview`. */
export function roiSummaryLines(ov: Table): RoiSummaryLine[] {
  const ids = getColumn(ov, 'roi_id').values;
  const nCells = getColumn(ov, 'n_cells').values;
  const nPos = getColumn(ov, 'n_marker_positive_cells').values;
  const nMarkers = getColumn(ov, 'n_marker_objects').values;
  const summary: RoiSummaryLine[] = [];
  for (let i = 0; i < ov.rowCount; i++) {
    summary.push({ roiId: ids[i], nCells: nCells[i], nMarkerPositiveCells: nPos[i], nMarkerObjects: nMarkers[i] });
  }
  return summary;
}

export function describeSource(loaded: LoadedImageChannels): string {
  return loaded.sourcePaths.map((p) => basename(p)).join(' + ');
}
