/**
 * The files of a two-channel viewer session (session.ts): the image loaded as `cellcoloc run` loads it, the last
 * run's masks read back from its results folder, the export of the accepted result, and the ROI files that
 * "Save ROIs" writes beside the config. Every path comes from the config or from `buildResultsPaths`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { AnalysisConfig, RoiShape } from '../../config/types.js';
import type { LabelVolume, RoiLabels } from '../../core/volume.js';
import type { ImageStack } from '../../io/image-stack.js';
import { loadAnalysisImages, type LoadedImageChannels } from '../../pipeline/load-images.js';
import { exportVoxelSizeUm, labelsForExport, prepareLoadedImagesForAnalysis, zStackManifestEntry, type ZStackLoaded } from '../../pipeline/z-stack.js';
import type { ColocalizationRunResult } from '../../pipeline/analyze.js';
import { readLabelMask } from '../../pipeline/label-masks.js';
import { buildResultsPaths, type ResultsPaths } from '../../export/results-paths.js';
import type { AnalysisOutputs, ExportOptions } from '../../export/export-outputs.js';
import { buildManifest } from '../../export/manifest.js';
import { colocalizationSheets } from '../../tables/optional-region.js';
import { roiIds } from '../../roi/roi-geometry.js';

export type Loaded = LoadedImageChannels & ZStackLoaded;

/** The image as `cellcoloc run` loads it; `onStackOpened` sees the reader before any pixel is read (load progress). */
export async function loadSessionImages(config: AnalysisConfig, onStackOpened?: (stack: ImageStack) => void): Promise<Loaded> {
  const raw = await loadAnalysisImages(config.image, config.channelConfig, config.voxelScaleZyx, {
    cropForTesting: config.runtimeConfig.cropForTesting,
    t: config.runtimeConfig.t,
    resolutionLevel: config.resolutionLevel,
    onStackOpened,
  });
  return prepareLoadedImagesForAnalysis(raw, config);
}

export function sessionResultsPaths(config: AnalysisConfig, loaded: Loaded): ResultsPaths {
  return buildResultsPaths(loaded.sourcePaths[0], { resultsDir: config.resultsDir, cropForTesting: config.runtimeConfig.cropForTesting });
}

/** The last run's exported masks (full-stack shape), or null when its results folder has none. */
export async function readLastMasks(
  paths: ResultsPaths,
  loaded: Loaded,
  config: Pick<AnalysisConfig, 'optionalRegionModelConfig'>,
): Promise<{ cell: LabelVolume; marker: LabelVolume; region: LabelVolume | null } | null> {
  if (!existsSync(paths.cellMaskPath) || !existsSync(paths.markerMaskPath)) return null;
  const [, Y, X] = loaded.cellImage.shape;
  const exportShape: [number, number, number] =
    loaded.zStack?.singlePlane != null ? [loaded.zStack.fullZ, Y, X] : [loaded.cellImage.shape[0], Y, X];
  const [cell, marker] = await Promise.all([
    readLabelMask(paths.cellMaskPath, exportShape, 'cell masks'),
    readLabelMask(paths.markerMaskPath, exportShape, 'marker masks'),
  ]);
  const region =
    config.optionalRegionModelConfig !== null && existsSync(paths.optionalRegionMaskPath)
      ? await readLabelMask(paths.optionalRegionMaskPath, exportShape, 'optional-region masks')
      : null;
  return { cell, marker, region };
}

/** What an export writes: the outputs, where, and how (the analysis worker encodes and writes them). */
export interface SessionExport {
  outputs: AnalysisOutputs;
  paths: ResultsPaths;
  options: ExportOptions;
}

/**
 * The export of the accepted result (spec 8), for the analysis worker, which encodes and writes it atomically into
 * the results folder (the manifest is built here: it reads the package and input files).
 */
export async function sessionExport(
  config: AnalysisConfig,
  loaded: Loaded,
  roiLabels: RoiLabels,
  r: ColocalizationRunResult,
  paths: ResultsPaths,
): Promise<SessionExport> {
  const manifest = await buildManifest({ config, loaded, roiIds: roiIds(roiLabels), filterSteps: r.filterSteps, timings: [], paths });
  manifest.command = 'view';
  const zStack = zStackManifestEntry(loaded);
  if (zStack) manifest.zStack = zStack;
  return {
    outputs: {
      cellMasks: labelsForExport(r.cellMasks, loaded),
      markerMasks: labelsForExport(r.markerMasks, loaded),
      positiveCellMasks: labelsForExport(r.positiveCellMasks, loaded),
      optionalRegionMasks: r.optionalRegionMasks ? labelsForExport(r.optionalRegionMasks, loaded) : null,
      tables: colocalizationSheets(r.tables),
      roiLabels,
    },
    paths,
    options: { voxelSizeUm: exportVoxelSizeUm(loaded), manifest },
  };
}

/** ROI files beside the config: `<config stem>_rois.tif` and `<config stem>_rois.json`. */
export function roiFilesBesideConfig(configPath: string): { maskPath: string; shapesPath: string } {
  const stem = basename(configPath, extname(configPath));
  const dir = dirname(configPath);
  return { maskPath: join(dir, `${stem}_rois.tif`), shapesPath: join(dir, `${stem}_rois.json`) };
}

/** The shapes of the first readable "Save ROIs" sidecar among `sidecars`, else null. */
export async function readSavedShapes(sidecars: string[]): Promise<RoiShape[] | null> {
  for (const sidecar of sidecars) {
    if (!existsSync(sidecar)) continue;
    try {
      const j = JSON.parse(await readFile(sidecar, 'utf8')) as { shapes?: RoiShape[] };
      if (Array.isArray(j.shapes)) return j.shapes;
    } catch {
      // a broken sidecar only loses the editable outlines; the label mask is still shown
    }
  }
  return null;
}
