/**
 * The one workflow runner shared by `run` (two-channel and single-channel), `reanalyze`, `refine` and `batch`:
 *
 *     (before load: checks that must fail before any reading) → load (+ z handling) → ROIs → results paths
 *     → the command's analysis step (segment / read masks / rebuild from the Cellpose cache) → manifest + export
 *
 * What differs between the workflows is split along two axes:
 * - the *layout* (`AnalysisLayout`): two-channel colocalisation (`workflow.ts`) or single-channel counting
 *   (`single-channel.ts`) — how the image is loaded, how results are written (manifest + files), the summary lines;
 * - the *step* (`AnalysisStep`): what turns the loaded image and ROIs into a result — segmentation (`run`),
 *   label TIFFs read from disk (`reanalyze`), masks rebuilt from the Cellpose cache (`refine`).
 * Stage timings, progress events, ROI resolution and results paths are done here once for all of them.
 */
import { resolveChannelNames } from '../config/channel-names.js';
import type { AnalysisConfig } from '../config/types.js';
import { checkParametersAgainstImage, type AnalysedImage } from '../config/image-bounds.js';
import type { RoiLabels } from '../core/volume.js';
import { resolveRoiLabels } from '../roi/resolve-rois.js';
import { buildResultsPaths, type ResultsPaths } from '../export/results-paths.js';
import { prefetchSha256 } from '../export/manifest.js';
import { stageTimer, type ProgressCallback } from './progress.js';

export type StageTimings = { stage: string; ms: number }[];

/** What a step (and the writer) sees of the run in progress. */
export interface RunContext<L> {
  config: AnalysisConfig;
  loaded: L;
  roiLabels: RoiLabels;
  paths: ResultsPaths;
  /** Stage timings so far (a step appends its own stages, in ms rounded to µs). */
  timings: StageTimings;
  /** Runs `fn` as a named stage: progress event at its start, its wall time appended to `timings`. */
  timed: <T>(stage: string, fn: () => Promise<T> | T) => Promise<T>;
  onProgress?: ProgressCallback;
}

/** Two-channel or single-channel: loading, writing and summarising (see the module comment). */
export interface AnalysisLayout<L, R, S> {
  /** Reads the image(s) and applies the z handling of the config (spec 3, 12). */
  load(config: AnalysisConfig): Promise<L>;
  /** `[Y, X]` of the analysed image (the ROIs are rasterised at this size). */
  planeShape(loaded: L): [number, number];
  /** Shape and voxel size of the analysed image (filter sizes are checked against it, issue 15.3). */
  analysedImage(loaded: L): AnalysedImage;
  /** The first input file: names the results folder and stem (spec 8). */
  firstSource(loaded: L): string;
  warnings(loaded: L): string[];
  /** ROI labels decided while loading (a window read cuts them to the window); null/absent = resolve them here. */
  roiLabels?(loaded: L): RoiLabels | null;
  /** Builds the manifest (then `extend` adds the command's sections) and writes every result file atomically. */
  write(ctx: RunContext<L>, result: R, extend: (manifest: Record<string, unknown>) => Promise<void>): Promise<void>;
  summary(result: R): S[];
}

/** What a command does between loading and writing. */
export interface AnalysisStep<L, R> {
  /** Checks that must fail before the (possibly large) image is read: missing mask files, model settings. */
  beforeLoad?(config: AnalysisConfig): Promise<void> | void;
  analyse(ctx: RunContext<L>): Promise<R>;
  /** Command-specific manifest sections (`command`, `maskInputs`, `refinement`, …), added before writing. */
  extendManifest?(ctx: RunContext<L>, result: R, manifest: Record<string, unknown>): Promise<void> | void;
}

export interface AnalysisRun<L, R, S> {
  loaded: L;
  roiLabels: RoiLabels;
  result: R;
  paths: ResultsPaths;
  summary: S[];
  warnings: string[];
  timings: StageTimings;
}

export async function runAnalysis<L, R, S>(
  config: AnalysisConfig,
  layout: AnalysisLayout<L, R, S>,
  step: AnalysisStep<L, R>,
  options: { onProgress?: ProgressCallback } = {},
): Promise<AnalysisRun<L, R, S>> {
  // Configs built in memory (batch samples, library callers) may still name channels: resolve them first.
  config = await resolveChannelNames(config);
  await step.beforeLoad?.(config);
  const { timings, timed } = stageTimer(options.onProgress);
  const loading = timed('load', () => layout.load(config));
  // the manifest's input SHA-256s: read now, digested on the thread pool once the load is done (export/manifest.ts)
  prefetchSha256([...configImages(config), ...(config.rois.kind === 'label_image' ? [config.rois.path] : [])], loading);
  const loaded = await loading;
  // Filter sizes and radii that cannot mean anything for this image are refused before any segmentation.
  checkParametersAgainstImage(config, layout.analysedImage(loaded));
  const roiLabels = await timed('rois', () => layout.roiLabels?.(loaded) ?? resolveRoiLabels(config, layout.planeShape(loaded)));
  const paths = resultsPathsFor(config, layout.firstSource(loaded));
  const ctx: RunContext<L> = { config, loaded, roiLabels, paths, timings, timed, onProgress: options.onProgress };
  const result = await step.analyse(ctx);
  await timed('export', () =>
    layout.write(ctx, result, async (manifest) => {
      await step.extendManifest?.(ctx, result, manifest);
    }),
  );
  return { loaded, roiLabels, result, paths, summary: layout.summary(result), warnings: layout.warnings(loaded), timings };
}

/** Results folder and file stem of a config's run (spec 8): beside the first image unless `results_dir` is set. */
export function resultsPathsFor(config: AnalysisConfig, firstSource: string): ResultsPaths {
  return buildResultsPaths(firstSource, { resultsDir: config.resultsDir, cropForTesting: config.runtimeConfig.cropForTesting });
}

/** The config's input file(s) as a list (a config's `image` is one file or single-channel files stacked). */
export function configImages(config: AnalysisConfig): string[] {
  return Array.isArray(config.image) ? config.image : [config.image];
}

/** A step's own timings (unrounded ms) appended to the run's, rounded to µs like `stageTimer`'s. */
export function appendTimings(timings: StageTimings, own: readonly { stage: string; ms: number }[]): void {
  for (const t of own) timings.push({ stage: t.stage, ms: Math.round(t.ms * 1000) / 1000 });
}
