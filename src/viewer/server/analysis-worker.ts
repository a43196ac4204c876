/**
 * The viewer's table pass in a worker thread (issue 15.5: heavy work must not block other requests). Re-analysis,
 * the re-analysis before an export and the table pass of a refinement (`analyzeExistingMasks` /
 * `analyzeExistingSingleChannelMasks`: id compaction, size filter, postfilters, every table, the positive mask)
 * take ~1–2 s on a 2048² image; on the server's thread they held every other request (a plane, the state poll)
 * for that long. In the worker, the server keeps answering.
 *
 * Memory: the images and the ROI labels are moved into SharedArrayBuffers once per loaded image (in place: the
 * session's own volumes then live in shared memory), so the worker reads them without a copy. The masks go to the
 * worker as copies (the session keeps showing them) and the results come back transferred (no copy). The worker
 * keeps its own measurement memo (tables/object-measurements.ts), so an unchanged channel is measured once.
 *
 * The worker runs this very module (its own URL, or the bundle's when the CLI is bundled, as
 * pipeline/segment-workers.ts): at load time it checks `workerData` and, inside a worker, serves jobs.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { CellColocError, type CellColocErrorTag } from '../../core/errors.js';
import type { LabelVolume, RoiLabels } from '../../core/volume.js';
import type { ColocalizationConfig } from '../../config/types.js';
import { analyzeExistingMasks, type AnalyzeExistingMasksOptions, type ColocalizationRunResult } from '../../pipeline/analyze.js';
import type { LoadedImageChannels } from '../../pipeline/load-images.js';
import {
  analyzeExistingSingleChannelMasks,
  type AnalyzeSingleChannelOptions,
  type LoadedSingleChannelImage,
  type SingleChannelAnalysisConfig,
  type SingleChannelRunResult,
} from '../../pipeline/single-channel.js';
import { MeasurementMemo } from '../../tables/object-measurements.js';
import { compactLabelIds } from './wire.js';

const WORKER_FLAG = 'cellcolocViewerAnalysisWorker';

/** What the worker keeps between jobs: the image(s) of the session (shared memory) and its ROI labels. */
interface Context {
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

type Job = (TwoChannelJob | SingleChannelJob) & { id: number; context: Context | null };

type Reply =
  | { id: number; ok: true; result: ColocalizationRunResult | SingleChannelRunResult }
  | { id: number; ok: false; tag: CellColocErrorTag | null; message: string };

type Shareable = { data: ArrayBufferView & { length: number; set(a: ArrayLike<number>): void } };

/** Moves a volume's data into a SharedArrayBuffer, in place (the same object, so every holder sees it). */
function shareInPlace(v: Shareable | null | undefined): void {
  if (!v || v.data.buffer instanceof SharedArrayBuffer) return;
  const Ctor = v.data.constructor as new (b: SharedArrayBuffer) => Shareable['data'];
  const shared = new Ctor(new SharedArrayBuffer(v.data.byteLength));
  shared.set(v.data as unknown as ArrayLike<number>);
  (v as { data: Shareable['data'] }).data = shared;
}

function shareContext(ctx: Context): void {
  const l = ctx.loaded as Partial<LoadedImageChannels & LoadedSingleChannelImage>;
  for (const v of [l.cellImage, l.markerImage, l.optionalRegionImage, l.image, ctx.roiLabels]) shareInPlace(v as Shareable | null | undefined);
}

/** The buffers of a result that can be transferred back (each once; shared ones stay shared). */
function transferables(result: ColocalizationRunResult | SingleChannelRunResult): ArrayBuffer[] {
  const r = result as Partial<ColocalizationRunResult & SingleChannelRunResult>;
  const out = new Set<ArrayBuffer>();
  for (const v of [r.cellMasks, r.markerMasks, r.positiveCellMasks, r.optionalRegionMasks, r.masks]) {
    const b = v?.data.buffer;
    if (b instanceof ArrayBuffer && b.byteLength > 0) out.add(b);
  }
  return [...out];
}

/**
 * One worker per viewer session, started on first use; one job at a time (the session refuses other changes
 * while a job runs). A worker that dies (out of memory) fails its job and is replaced by the next job.
 */
export class AnalysisWorker {
  private worker: Worker | null = null;
  private sent: Context | null = null;
  private nextId = 1;
  private pending = new Map<number, { resolve: (r: never) => void; reject: (e: Error) => void }>();

  twoChannel(loaded: LoadedImageChannels, roiLabels: RoiLabels, job: TwoChannelJob): Promise<ColocalizationRunResult> {
    return this.post({ loaded, roiLabels }, job);
  }

  singleChannel(loaded: LoadedSingleChannelImage, roiLabels: RoiLabels, job: SingleChannelJob): Promise<SingleChannelRunResult> {
    return this.post({ loaded, roiLabels }, job);
  }

  private post<R>(ctx: Context, job: TwoChannelJob | SingleChannelJob): Promise<R> {
    const w = this.worker ?? this.start();
    let context: Context | null = null;
    if (!this.sent || this.sent.loaded !== ctx.loaded || this.sent.roiLabels !== ctx.roiLabels) {
      shareContext(ctx);
      context = ctx;
      this.sent = ctx;
    }
    const id = this.nextId++;
    // Held while a job runs; an idle worker never keeps the process alive (a snapshot or a test ends normally).
    w.ref();
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: never) => void, reject });
      try {
        w.postMessage({ ...job, id, context } satisfies Job);
      } catch (err) {
        this.pending.delete(id);
        reject(err as Error);
      }
    });
  }

  private start(): Worker {
    const url = new URL(import.meta.url);
    const options = { workerData: { [WORKER_FLAG]: true } };
    const w = url.pathname.endsWith('.ts')
      ? // From TypeScript sources (tests under tsx): register tsx in the worker before importing this module.
        new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`, { ...options, eval: true })
      : new Worker(url, options);
    w.unref();
    w.on('message', (msg: Reply) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) w.unref();
      if (msg.ok) p.resolve(msg.result as never);
      else p.reject(msg.tag ? new CellColocError(msg.tag, msg.message) : new Error(msg.message));
    });
    const fail = (err: Error) => {
      if (this.worker === w) {
        this.worker = null;
        this.sent = null;
      }
      for (const p of this.pending.values()) p.reject(new Error(`the analysis worker stopped: ${err.message}`));
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.worker = w;
    return w;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.sent = null;
    if (w) await w.terminate();
  }
}

if (!isMainThread && workerData && (workerData as Record<string, unknown>)[WORKER_FLAG]) {
  const port = parentPort!;
  let ctx: Context | null = null;
  let memo = new MeasurementMemo();
  port.on('message', (job: Job) => {
    try {
      if (job.context) {
        ctx = job.context;
        memo = new MeasurementMemo(); // keyed by the image objects, which are new
      }
      if (!ctx) throw new Error('analysis worker: no image context');
      let result: ColocalizationRunResult | SingleChannelRunResult;
      if (job.kind === 'two_channel') {
        const cell = job.compact ? compactLabelIds(job.cellMasks) : job.cellMasks;
        const marker = job.compact ? compactLabelIds(job.markerMasks) : job.markerMasks;
        result = analyzeExistingMasks(ctx.loaded as LoadedImageChannels, ctx.roiLabels, cell, marker, job.colocalizationConfig, {
          ...job.options,
          measurementMemo: memo,
        });
      } else {
        result = analyzeExistingSingleChannelMasks(ctx.loaded as LoadedSingleChannelImage, ctx.roiLabels, job.masks, job.analysisConfig, job.options);
      }
      port.postMessage({ id: job.id, ok: true, result } satisfies Reply, transferables(result));
    } catch (err) {
      const tag = err instanceof CellColocError ? err._tag : null;
      port.postMessage({ id: job.id, ok: false, tag, message: err instanceof Error ? err.message : String(err) } satisfies Reply);
    }
  });
}
