/**
 * What the viewer's analysis worker does (analysis-worker.ts starts it and posts the jobs; issue 15.5: heavy work
 * does not block other requests). Every job here took the server's thread for a noticeable time:
 * - the table passes (re-analysis, export's re-analysis, loading the last results: its mask TIFFs too): ~1–2 s on
 *   a 2048² image;
 * - a Cellpose slider move (`refine_*`): reading the cache entries, the mask stage (~0.3 s on 1024², ~1 s on
 *   2048²), the clip/paste and the table pass; and the mask stage's background prewarm (3 mask computations);
 * - an export's encoding (CSV, xlsx, the TIFFs' uint16 narrowing and deflate) and writing;
 * - rasterising saved ROI shapes (up to 20,000 vertices; O(vertices × rows)) and writing the ROI TIFF;
 * - "Run": the whole workflow (its table pass and export held the thread ~0.8 s on a 1024² image).
 *
 * The worker keeps what makes a repeated job cheap: the measurement memo (tables/object-measurements.ts), the
 * Cellpose cache entries read so far (re-read when a file changes) and the mask memo (mask-memo.ts), which is
 * keyed by the entries' flow arrays — so it lives here, beside the entries, and a new run's cache starts afresh.
 * Jobs run one at a time in the order posted; a prewarm gives way to any job posted after it. The label volumes of
 * the results come back in shared memory (`shareResult`).
 */
import type { MessagePort } from 'node:worker_threads';
import { CellColocError, type CellColocErrorTag } from '../../core/errors.js';
import type { LabelVolume, RoiLabels } from '../../core/volume.js';
import type { AnalysisConfig, ColocalizationConfig, ModelConfig, RoiShape } from '../../config/types.js';
import { analyzeExistingMasks, type AnalyzeExistingMasksOptions, type ColocalizationRunResult } from '../../pipeline/analyze.js';
import type { LoadedImageChannels } from '../../pipeline/load-images.js';
import { labelsForAnalysis, type ZStackLoaded } from '../../pipeline/z-stack.js';
import {
  analyzeExistingSingleChannelMasks,
  runSingleChannelWorkflow,
  type SingleChannelWorkflowResult,
  type AnalyzeSingleChannelOptions,
  type LoadedSingleChannelImage,
  type SingleChannelAnalysisConfig,
  type SingleChannelRunResult,
} from '../../pipeline/single-channel.js';
import { refineRunResultFromCellposeCache, type RefineInput, type RefineResult } from '../../pipeline/refine.js';
import { runWorkflow, type WorkflowResult } from '../../pipeline/workflow.js';
import type { ProgressEvent } from '../../pipeline/progress.js';
import { rebuildChannelFromCache, type CacheRebuildContext } from '../../pipeline/refine-cache.js';
import { exportAnalysisOutputs, type AnalysisOutputs, type ExportOptions, type WrittenFile } from '../../export/export-outputs.js';
import { exportSingleChannelOutputs, type SingleChannelOutputs } from '../../export/single-channel-export.js';
import type { ResultsPaths } from '../../export/results-paths.js';
import { CacheEntryMemo } from '../../segmentation/cellpose/cache.js';
import { MaskMemo } from '../../segmentation/cellpose/dynamics/mask-memo.js';
import type { MaskParams } from '../../segmentation/cellpose/types.js';
import { MeasurementMemo } from '../../tables/object-measurements.js';
import { rasterizeShapesToLabels } from '../../roi/rasterize-shapes.js';
import { roiIds } from '../../roi/roi-geometry.js';
import { saveRoiLabels } from '../../roi/roi-io.js';
import { compactLabelIds } from './wire.js';
import { readLastMasks, type Loaded } from './session-files.js';

/** The image(s) of the session (shared memory) and its ROI labels, kept by the worker between jobs. */
export interface WorkerContext {
  loaded: LoadedImageChannels | LoadedSingleChannelImage;
  roiLabels: RoiLabels;
}

export interface TwoChannelJob {
  kind: 'two_channel';
  cellMasks: LabelVolume;
  markerMasks: LabelVolume;
  colocalizationConfig: ColocalizationConfig;
  options: Omit<AnalyzeExistingMasksOptions, 'measurementMemo'>;
  /** Renumber sparse ids 1..n first (hand edits; issue 15.5). */
  compact: boolean;
}

export interface SingleChannelJob {
  kind: 'single_channel';
  masks: LabelVolume;
  analysisConfig: SingleChannelAnalysisConfig;
  options: AnalyzeSingleChannelOptions;
}

/** A two-channel slider move: `refineRunResultFromCellposeCache` on the context's image and ROIs, with the worker's memos. */
export interface RefineTwoChannelJob {
  kind: 'refine_two_channel';
  input: Omit<RefineInput, 'loaded' | 'roiLabels' | 'stages' | 'readEntry' | 'measurementMemo'>;
}

/** A single-channel slider move: the object channel rebuilt from its cache, then the single-channel table pass. */
export interface RefineSingleChannelJob {
  kind: 'refine_single_channel';
  rebuild: Omit<CacheRebuildContext, 'roiLabels' | 'stages' | 'readEntry'>;
  modelConfig: ModelConfig;
  cellprobThreshold?: number;
  flowThreshold?: number;
  analysisConfig: SingleChannelAnalysisConfig;
  options: AnalyzeSingleChannelOptions;
}

/** One cache entry to prewarm at the channel's current thresholds. */
export interface PrewarmEntry {
  path: string;
  cellprobThreshold: number;
  flowThreshold: number;
}

export interface PrewarmJob {
  kind: 'prewarm';
  entries: PrewarmEntry[];
}

export type ExportJob =
  | { kind: 'export_two_channel'; outputs: AnalysisOutputs; paths: ResultsPaths; options: ExportOptions }
  | { kind: 'export_single_channel'; outputs: SingleChannelOutputs; paths: ResultsPaths; options: ExportOptions };

/** "Save ROIs": rasterise, list the ids, and (when some shape covers a pixel) write the ROI TIFF. */
export interface RasterizeRoisJob {
  kind: 'rasterize_rois';
  shapes: RoiShape[];
  shapeYx: [number, number];
  maskPath: string;
}

/**
 * The last run's results of a two-channel session: its mask TIFFs read (session-files.ts `readLastMasks`) and the
 * table pass (only the size filter again: exported masks are filtered). null when the folder has no masks.
 */
export interface LoadTwoChannelJob {
  kind: 'load_two_channel';
  paths: ResultsPaths;
  config: Pick<AnalysisConfig, 'optionalRegionModelConfig'>;
  colocalizationConfig: ColocalizationConfig;
  options: Omit<AnalyzeExistingMasksOptions, 'measurementMemo' | 'optionalRegionMasks'>;
}

/**
 * "Run" in the viewer: the whole workflow (`runWorkflow` / `runSingleChannelWorkflow`: read, segment, tables,
 * export) on the config; the loaded images, ROI labels and masks come back in shared memory. Progress events go to
 * the session as they come.
 */
export interface RunJob {
  kind: 'run_two_channel' | 'run_single_channel';
  config: AnalysisConfig;
}

export type AnalysisJob =
  | RunJob
  | TwoChannelJob
  | SingleChannelJob
  | LoadTwoChannelJob
  | RefineTwoChannelJob
  | RefineSingleChannelJob
  | PrewarmJob
  | ExportJob
  | RasterizeRoisJob;

/** What each job answers. */
export interface JobResults {
  two_channel: ColocalizationRunResult;
  single_channel: SingleChannelRunResult;
  run_two_channel: Pick<WorkflowResult, 'loaded' | 'roiLabels' | 'result' | 'paths' | 'warnings'>;
  run_single_channel: Pick<SingleChannelWorkflowResult, 'loaded' | 'roiLabels' | 'result' | 'paths' | 'warnings'>;
  load_two_channel: ColocalizationRunResult | null;
  refine_two_channel: RefineResult;
  refine_single_channel: SingleChannelRunResult;
  /** false when it gave way to another job (or was cancelled) before the end. */
  prewarm: { completed: boolean };
  export_two_channel: WrittenFile[];
  export_single_channel: WrittenFile[];
  rasterize_rois: { labels: RoiLabels; ids: number[] };
}

/** Jobs that read the session's image and ROIs (sent with the first such job after they change). */
export const NEEDS_CONTEXT: ReadonlySet<AnalysisJob['kind']> = new Set(['two_channel', 'single_channel', 'load_two_channel', 'refine_two_channel', 'refine_single_channel']);

/** Messages to the worker: a job, or the cancellation of a running prewarm. */
export type ToWorker = (AnalysisJob & { id: number; context: WorkerContext | null }) | { kind: 'cancel_prewarm' };

/** Messages from the worker: a job's answer, or the step it is in (`null` = between steps). */
export type FromWorker =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; tag: CellColocErrorTag | null; message: string }
  | { id: number; step: string | null }
  | { id: number; progress: ProgressEvent };

/** The step names a job reports while it runs (shown by `GET /api/state`). */
export const STEP_CELLPOSE_MASKS = 'cellpose masks';
export const STEP_PREWARM = 'cellpose prewarm';
export const STEP_ENCODE = 'encoding and writing the results';
export const STEP_RASTERIZE = 'rasterising ROIs';

type Shareable = { data: ArrayBufferView & { length: number; set(a: ArrayLike<number>): void } };

/**
 * Moves a volume's data into a SharedArrayBuffer, in place (the same object, so every holder sees it). `widenLabels`:
 * uint16 label ids (a threshold run's, `LabelData`) become uint32 on the way — the viewer serves and edits uint32
 * label planes (a drawn object may take an id above 65535).
 */
export function shareInPlace(v: Shareable | null | undefined, widenLabels = false): void {
  if (!v || v.data.buffer instanceof SharedArrayBuffer) return;
  const Ctor = (widenLabels && v.data instanceof Uint16Array ? Uint32Array : v.data.constructor) as new (b: SharedArrayBuffer) => Shareable['data'];
  const shared = new Ctor(new SharedArrayBuffer(v.data.length * (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT));
  shared.set(v.data as unknown as ArrayLike<number>);
  (v as { data: Shareable['data'] }).data = shared;
}

/**
 * The label volumes of a result go back in shared memory (copied here, on the worker's thread): the server's
 * thread receives them without a copy, and sends them back (an export, the kept channel of a refinement, a
 * re-analysis) without one either — a 2048² uint32 volume cloned on its thread held it ~130 ms on the loaded
 * 2-core machine, four of them for an export ~330 ms.
 */
function shareResult(result: unknown): void {
  const r = (result ?? {}) as Record<string, Shareable | null | undefined>;
  for (const k of ['cellMasks', 'markerMasks', 'positiveCellMasks', 'optionalRegionMasks', 'masks', 'labels']) {
    const v = r[k];
    if (!v || v.data.buffer instanceof SharedArrayBuffer) continue;
    // A new plain volume (the spread reads every field): some are views whose `data` is built on first read (the
    // positive mask, core/label-subset.ts), which the message would have materialised anyway.
    const plain = { ...v };
    shareInPlace(plain, true);
    r[k] = plain;
  }
}

/**
 * A mask volume the job filters in place (`ownsMasks`): shared ones are the session's own (shown, edited) and are
 * copied first.
 */
function owned<V extends LabelVolume>(v: V): V;
function owned<V extends LabelVolume>(v: V | null | undefined): V | null;
function owned<V extends LabelVolume>(v: V | null | undefined): V | null {
  if (!v) return null;
  return v.data.buffer instanceof SharedArrayBuffer ? { ...v, data: v.data.slice() } : v;
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/** The worker's side: serves jobs posted on `port`, one at a time. */
export function serveAnalysisJobs(port: MessagePort): void {
  let ctx: WorkerContext | null = null;
  let measurementMemo = new MeasurementMemo();
  const entries = new CacheEntryMemo();
  const masks = new MaskMemo();
  let prewarmGeneration = 0;
  /** Jobs posted and not yet started: a running prewarm stops for them. */
  let waiting = 0;
  let chain: Promise<void> = Promise.resolve();

  const context = (): WorkerContext => {
    if (!ctx) throw new Error('analysis worker: no image context');
    return ctx;
  };

  async function run(job: AnalysisJob, step: (s: string | null) => void): Promise<unknown> {
    /** The mask stage with its step reported around it (the proof, in the tests, that the server answered meanwhile). */
    const computeMasks = (dP: Float32Array, cellprob: Float32Array, shape: [number, number, number], params: MaskParams): Uint32Array => {
      step(STEP_CELLPOSE_MASKS);
      try {
        return masks.computeMasks(dP, cellprob, shape, params);
      } finally {
        step(null);
      }
    };
    const readEntry = (path: string) => entries.readEntry(path);
    switch (job.kind) {
      case 'run_two_channel':
      case 'run_single_channel': {
        const onProgress = (progress: ProgressEvent) => port.postMessage({ id: currentId, progress } satisfies FromWorker);
        const res =
          job.kind === 'run_two_channel' ? await runWorkflow(job.config, { onProgress }) : await runSingleChannelWorkflow(job.config, { onProgress });
        const l = res.loaded as Partial<LoadedImageChannels & LoadedSingleChannelImage>;
        for (const v of [l.cellImage, l.markerImage, l.optionalRegionImage, l.image, res.roiLabels]) shareInPlace(v as Shareable | null | undefined);
        shareResult(res.result);
        return { loaded: res.loaded, roiLabels: res.roiLabels, result: res.result, paths: res.paths, warnings: res.warnings };
      }
      case 'two_channel': {
        const c = context();
        const cell = owned(job.compact ? compactLabelIds(job.cellMasks) : job.cellMasks);
        const marker = owned(job.compact ? compactLabelIds(job.markerMasks) : job.markerMasks);
        const options = { ...job.options, optionalRegionMasks: owned(job.options.optionalRegionMasks), measurementMemo };
        return analyzeExistingMasks(c.loaded as LoadedImageChannels, c.roiLabels, cell, marker, job.colocalizationConfig, options);
      }
      case 'load_two_channel': {
        const c = context();
        const loaded = c.loaded as Loaded;
        const masks = await readLastMasks(job.paths, loaded, job.config);
        if (!masks) return null;
        return analyzeExistingMasks(loaded, c.roiLabels, labelsForAnalysis(masks.cell, loaded), labelsForAnalysis(masks.marker, loaded), job.colocalizationConfig, {
          ...job.options,
          optionalRegionMasks: masks.region ? labelsForAnalysis(masks.region, loaded) : null,
          measurementMemo,
        });
      }
      case 'single_channel': {
        const c = context();
        return analyzeExistingSingleChannelMasks(c.loaded as LoadedSingleChannelImage, c.roiLabels, owned(job.masks), job.analysisConfig, job.options);
      }
      case 'refine_two_channel': {
        const c = context();
        return refineRunResultFromCellposeCache({
          ...job.input,
          loaded: c.loaded as LoadedImageChannels & ZStackLoaded,
          roiLabels: c.roiLabels,
          stages: { computeMasks },
          readEntry,
          measurementMemo,
        });
      }
      case 'refine_single_channel': {
        const c = context();
        const rebuilt = await rebuildChannelFromCache(
          'object',
          { ...job.rebuild, roiLabels: c.roiLabels, stages: { computeMasks }, readEntry },
          job.modelConfig,
          job.cellprobThreshold,
          job.flowThreshold,
        );
        return analyzeExistingSingleChannelMasks(c.loaded as LoadedSingleChannelImage, c.roiLabels, rebuilt.labels, job.analysisConfig, job.options);
      }
      case 'prewarm':
        return prewarm(job, step);
      case 'export_two_channel':
      case 'export_single_channel': {
        step(STEP_ENCODE);
        try {
          return job.kind === 'export_two_channel'
            ? await exportAnalysisOutputs(job.outputs, job.paths, job.options)
            : await exportSingleChannelOutputs(job.outputs, job.paths, job.options);
        } finally {
          step(null);
        }
      }
      case 'rasterize_rois': {
        step(STEP_RASTERIZE);
        try {
          const labels = rasterizeShapesToLabels(job.shapes, job.shapeYx, [1, 1]);
          const ids = roiIds(labels);
          if (ids.length > 0) await saveRoiLabels(job.maskPath, labels);
          return { labels, ids } satisfies JobResults['rasterize_rois'];
        } finally {
          step(null);
        }
      }
    }
  }

  /**
   * The mask stage of each entry at the current thresholds, then a small cellprob step away and back: leaves the
   * memo at the current thresholds with the incremental path already compiled by the JIT (the first real slider
   * moves were ~2× slower without). 3-D (`do_3d`) entries have no incremental path and are skipped. Stops between
   * computations when cancelled or when another job is waiting; unreadable entries are skipped (refine reports them).
   */
  async function prewarm(job: PrewarmJob, step: (s: string | null) => void): Promise<JobResults['prewarm']> {
    const generation = prewarmGeneration;
    const stop = () => generation !== prewarmGeneration || waiting > 0;
    for (const en of job.entries) {
      await nextTurn();
      if (stop()) return { completed: false };
      const e = await entries.readEntry(en.path).catch(() => null);
      if (!e || e.header.mask.do3d) continue;
      const params = { ...e.header.mask, cellprobThreshold: en.cellprobThreshold, flowThreshold: en.flowThreshold };
      for (const cp of [params.cellprobThreshold, params.cellprobThreshold + 0.05, params.cellprobThreshold]) {
        await nextTurn();
        if (stop()) return { completed: false };
        step(STEP_PREWARM);
        try {
          masks.computeMasks(e.dP, e.cellprob, e.header.shape, { ...params, cellprobThreshold: cp });
        } catch {
          return { completed: false };
        } finally {
          step(null);
        }
      }
    }
    return { completed: true };
  }

  /** The job running now (its progress messages carry its id). */
  let currentId = 0;
  port.on('message', (msg: ToWorker) => {
    if (msg.kind === 'cancel_prewarm') {
      prewarmGeneration++;
      return;
    }
    waiting++;
    chain = chain.then(async () => {
      waiting--;
      const id = msg.id;
      currentId = id;
      try {
        if (msg.context) {
          ctx = msg.context;
          measurementMemo = new MeasurementMemo(); // keyed by the image objects, which are new
        }
        const result = await run(msg, (step) => port.postMessage({ id, step } satisfies FromWorker));
        shareResult(result);
        port.postMessage({ id, ok: true, result } satisfies FromWorker);
      } catch (err) {
        const tag = err instanceof CellColocError ? err._tag : null;
        port.postMessage({ id, ok: false, tag, message: err instanceof Error ? err.message : String(err) } satisfies FromWorker);
      }
    });
  });
}
