/**
 * The viewer's table pass in a worker thread (issue 15.5: heavy work must not block other requests). Re-analysis,
 * the re-analysis before an export and the table pass of a refinement (`analyzeExistingMasks` /
 * `analyzeExistingSingleChannelMasks`: id compaction, size filter, postfilters, every table, the positive mask)
 * take ~1–2 s on a 2048² image; on the server's thread they held every other request (a plane, the state poll)
 * for that long. In the worker, the server keeps answering.
 *
 * The jobs and what the worker keeps between them (measurement memo, Cellpose cache entries, mask memo) are in
 * analysis-worker-jobs.ts: besides the table passes, the Cellpose slider's mask stage and its prewarm, an
 * export's encoding and writing, and rasterising saved ROIs.
 *
 * Memory: the images and the ROI labels are moved into SharedArrayBuffers once per loaded image (in place: the
 * session's own volumes then live in shared memory), so the worker reads them without a copy. The results' label
 * volumes come back in shared memory too (made so on the worker's thread), and the hand-edited copies are made
 * in shared memory (session-edits.ts), so masks travel both ways without a copy on the server's thread; the
 * worker copies what it filters in place.
 *
 * The worker runs this very module (its own URL, or the bundle's when the CLI is bundled, as
 * pipeline/segment-workers.ts): at load time it checks `workerData` and, inside a worker, serves jobs.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { CellColocError } from '../../core/errors.js';
import type { RoiLabels } from '../../core/volume.js';
import type { ColocalizationRunResult } from '../../pipeline/analyze.js';
import type { LoadedImageChannels } from '../../pipeline/load-images.js';
import type { LoadedSingleChannelImage, SingleChannelRunResult } from '../../pipeline/single-channel.js';
import type { RefineResult } from '../../pipeline/refine.js';
import type { ProgressEvent } from '../../pipeline/progress.js';
import {
  NEEDS_CONTEXT,
  serveAnalysisJobs,
  shareInPlace,
  type AnalysisJob,
  type ExportJob,
  type FromWorker,
  type JobResults,
  type LoadTwoChannelJob,
  type RunJob,
  type PrewarmEntry,
  type RasterizeRoisJob,
  type RefineSingleChannelJob,
  type RefineTwoChannelJob,
  type SingleChannelJob,
  type ToWorker,
  type TwoChannelJob,
  type WorkerContext,
} from './analysis-worker-jobs.js';

export type { TwoChannelJob, SingleChannelJob, RefineTwoChannelJob, RefineSingleChannelJob, ExportJob, PrewarmEntry } from './analysis-worker-jobs.js';

const WORKER_FLAG = 'cellcolocViewerAnalysisWorker';

function shareContext(ctx: WorkerContext): void {
  const l = ctx.loaded as Partial<LoadedImageChannels & LoadedSingleChannelImage>;
  for (const v of [l.cellImage, l.markerImage, l.optionalRegionImage, l.image, ctx.roiLabels]) shareInPlace(v as Parameters<typeof shareInPlace>[0]);
}

/** Called with the step a job is in (`null` = between steps), as the worker reports it. */
export type OnStep = (step: string | null) => void;

interface Pending {
  resolve: (r: never) => void;
  reject: (e: Error) => void;
  onStep?: OnStep;
  onProgress?: (e: ProgressEvent) => void;
  /** Holds the process alive while it runs (a background prewarm does not). */
  keepsAlive: boolean;
}

/**
 * One worker per viewer session, started on first use; jobs run one at a time in the order posted (the session
 * refuses other changes while a heavy job runs). A worker that dies (out of memory) fails its jobs and is
 * replaced by the next job.
 */
export class AnalysisWorker {
  private worker: Worker | null = null;
  private sent: WorkerContext | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();

  twoChannel(loaded: LoadedImageChannels, roiLabels: RoiLabels, job: TwoChannelJob): Promise<ColocalizationRunResult> {
    return this.post({ loaded, roiLabels }, job);
  }

  singleChannel(loaded: LoadedSingleChannelImage, roiLabels: RoiLabels, job: SingleChannelJob): Promise<SingleChannelRunResult> {
    return this.post({ loaded, roiLabels }, job);
  }

  /** "Run": the whole workflow in the worker; `onProgress` gets its progress events. */
  run<K extends RunJob['kind']>(job: RunJob & { kind: K }, onProgress: (e: ProgressEvent) => void): Promise<JobResults[K]> {
    return this.post(null, job, undefined, true, onProgress);
  }

  /** The last run's masks read and analysed in the worker; null when the results folder has none. */
  loadTwoChannel(loaded: LoadedImageChannels, roiLabels: RoiLabels, job: LoadTwoChannelJob): Promise<ColocalizationRunResult | null> {
    return this.post({ loaded, roiLabels }, job);
  }

  /** A two-channel slider move: cache entries, mask stage (the worker's `MaskMemo`) and table pass, all in the worker. */
  refineTwoChannel(loaded: LoadedImageChannels, roiLabels: RoiLabels, job: RefineTwoChannelJob, onStep?: OnStep): Promise<RefineResult> {
    return this.post({ loaded, roiLabels }, job, onStep);
  }

  refineSingleChannel(loaded: LoadedSingleChannelImage, roiLabels: RoiLabels, job: RefineSingleChannelJob, onStep?: OnStep): Promise<SingleChannelRunResult> {
    return this.post({ loaded, roiLabels }, job, onStep);
  }

  /** The mask stage once per entry in the background; gives way to any later job. Never keeps the process alive. */
  prewarm(entries: PrewarmEntry[], onStep?: OnStep): Promise<JobResults['prewarm']> {
    return this.post(null, { kind: 'prewarm', entries }, onStep, false);
  }

  /** Stops a running prewarm at its next mask computation (a run starts, the server closes). */
  cancelPrewarm(): void {
    this.worker?.postMessage({ kind: 'cancel_prewarm' } satisfies ToWorker);
  }

  /** Encodes and writes an export (CSV, xlsx, TIFFs, manifest) atomically, in the worker. */
  exportResults(job: ExportJob, onStep?: OnStep): Promise<JobResults['export_two_channel']> {
    return this.post(null, job, onStep);
  }

  /** "Save ROIs": the shapes rasterised (and the ROI TIFF written when the mask is not empty) in the worker. */
  rasterizeRois(job: RasterizeRoisJob, onStep?: OnStep): Promise<JobResults['rasterize_rois']> {
    return this.post(null, job, onStep);
  }

  private post<R>(ctx: WorkerContext | null, job: AnalysisJob, onStep?: OnStep, keepsAlive = true, onProgress?: (e: ProgressEvent) => void): Promise<R> {
    const w = this.worker ?? this.start();
    let context: WorkerContext | null = null;
    if (NEEDS_CONTEXT.has(job.kind)) {
      if (!ctx) throw new Error(`analysis worker: a ${job.kind} job needs the image context`);
      if (!this.sent || this.sent.loaded !== ctx.loaded || this.sent.roiLabels !== ctx.roiLabels) {
        shareContext(ctx);
        context = ctx;
        this.sent = ctx;
      }
    }
    const id = this.nextId++;
    // Held while a job runs; an idle worker never keeps the process alive (a snapshot or a test ends normally).
    if (keepsAlive) w.ref();
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: never) => void, reject, onStep, onProgress, keepsAlive });
      try {
        w.postMessage({ ...job, id, context } satisfies ToWorker);
      } catch (err) {
        this.pending.delete(id);
        this.refOnlyWhileNeeded(w);
        reject(err as Error);
      }
    });
  }

  private refOnlyWhileNeeded(w: Worker): void {
    if (![...this.pending.values()].some((p) => p.keepsAlive)) w.unref();
  }

  private start(): Worker {
    const url = new URL(import.meta.url);
    const options = { workerData: { [WORKER_FLAG]: true } };
    const w = url.pathname.endsWith('.ts')
      ? // From TypeScript sources (tests under tsx): register tsx in the worker before importing this module.
        new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`, { ...options, eval: true })
      : new Worker(url, options);
    w.unref();
    w.on('message', (msg: FromWorker) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      if ('step' in msg) {
        p.onStep?.(msg.step);
        return;
      }
      if ('progress' in msg) {
        p.onProgress?.(msg.progress);
        return;
      }
      this.pending.delete(msg.id);
      p.onStep?.(null);
      this.refOnlyWhileNeeded(w);
      if (msg.ok) p.resolve(msg.result as never);
      else p.reject(msg.tag ? new CellColocError(msg.tag, msg.message) : new Error(msg.message));
    });
    const fail = (err: Error) => {
      if (this.worker === w) {
        this.worker = null;
        this.sent = null;
      }
      for (const p of this.pending.values()) {
        p.onStep?.(null);
        p.reject(new Error(`the analysis worker stopped: ${err.message}`));
      }
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.worker = w;
    return w;
  }

  /** Whether the worker thread has been started (it starts on the first job). */
  get started(): boolean {
    return this.worker !== null;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.sent = null;
    if (w) await w.terminate();
  }
}

if (!isMainThread && workerData && (workerData as Record<string, unknown>)[WORKER_FLAG]) serveAnalysisJobs(parentPort!);
