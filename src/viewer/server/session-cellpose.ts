/**
 * The Cellpose sliders of a two-channel viewer session (issue 8.5): which channels have a cache, the last
 * thresholds per channel, and the prewarm that computes the mask stage once in the background so the first
 * slider move is incremental. The cache entries and the mask memo live in the session's analysis worker
 * (analysis-worker-jobs.ts), where the mask stage runs (issue 15.5). The session (session.ts) owns one and
 * calls it from `refine`.
 */
import { existsSync } from 'node:fs';
import type { ModelConfig } from '../../config/types.js';
import { cellposeCacheDir, listCacheEntries } from '../../segmentation/cellpose/cache.js';
import type { ResultsPaths } from '../../export/results-paths.js';
import type { RefineThresholds } from '../../pipeline/refine.js';
import { SessionRequestError } from './session-error.js';
import type { AnalysisWorker, OnStep, PrewarmEntry } from './analysis-worker.js';

export interface RefineRequest {
  cell?: { cellprobThreshold?: number; flowThreshold?: number };
  marker?: { cellprobThreshold?: number; flowThreshold?: number };
  /** The third channel (optional_region_model_config), when it was segmented by Cellpose. */
  optional_region?: { cellprobThreshold?: number; flowThreshold?: number };
}

export type RefinableChannel = 'cell' | 'marker' | 'optional_region';
export const REFINABLE: readonly RefinableChannel[] = ['cell', 'marker', 'optional_region'];

type Thresholds = { cellprobThreshold?: number; flowThreshold?: number };

export class CellposeSliders {
  /** Last refinement thresholds per channel (kept so refining one channel does not reset the other's). */
  thresholds: Record<RefinableChannel, Thresholds> = { cell: {}, marker: {}, optional_region: {} };
  available: Record<RefinableChannel, boolean> = { cell: false, marker: false, optional_region: false };
  private generation = 0;

  constructor(private readonly modelConfigOf: (ch: RefinableChannel) => ModelConfig | null) {}

  async refreshAvailability(paths: ResultsPaths): Promise<void> {
    const dir = cellposeCacheDir(paths.resultsDir, paths.stem);
    const has = async (ch: RefinableChannel) => {
      const mc = this.modelConfigOf(ch);
      return !!mc && mc.segmentationMethod === 'cellpose' && existsSync(dir) && (await listCacheEntries(dir, ch)).length > 0;
    };
    this.available = { cell: await has('cell'), marker: await has('marker'), optional_region: await has('optional_region') };
  }

  /** A new run: thresholds back to the config's. */
  resetThresholds(): void {
    this.thresholds = { cell: {}, marker: {}, optional_region: {} };
  }

  /** Checks a `POST /api/refine` body and records its thresholds; throws 400 with the reason. */
  accept(req: RefineRequest, resultsDir: string): void {
    for (const ch of REFINABLE) {
      const t = req[ch];
      if (t === undefined) continue;
      const mc = this.modelConfigOf(ch);
      if (!mc) throw new SessionRequestError(400, 'optional_region: the config has no third channel (optional_region_model_config is null)');
      if (mc.segmentationMethod !== 'cellpose') {
        throw new SessionRequestError(400, `${ch}_model_config uses segmentation_method ${mc.segmentationMethod}, not cellpose: nothing to re-threshold`);
      }
      if (!this.available[ch]) {
        throw new SessionRequestError(400, `no Cellpose cache for the ${ch} channel in ${resultsDir}: run the analysis first`);
      }
      for (const k of ['cellprobThreshold', 'flowThreshold'] as const) {
        const v = t[k];
        if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
          throw new SessionRequestError(400, `${ch}.${k}: expected a finite number, got ${JSON.stringify(v)}`);
        }
      }
      this.thresholds[ch] = { ...this.thresholds[ch], ...t };
    }
    if (!req.cell && !req.marker && !req.optional_region) {
      throw new SessionRequestError(400, 'body: expected {cell?: {cellprobThreshold, flowThreshold}, marker?: {…}, optional_region?: {…}}');
    }
  }

  /** The thresholds of the channels named in `req` (the others null: their masks are kept), as pipeline/refine.ts takes them. */
  refineThresholds(req: RefineRequest): RefineThresholds {
    const th = this.thresholds;
    const of = (ch: RefinableChannel, k: keyof Thresholds) => (req[ch] ? (th[ch][k] ?? null) : null);
    return {
      cellCellprobThreshold: of('cell', 'cellprobThreshold'),
      cellFlowThreshold: of('cell', 'flowThreshold'),
      markerCellprobThreshold: of('marker', 'cellprobThreshold'),
      markerFlowThreshold: of('marker', 'flowThreshold'),
      optionalRegionCellprobThreshold: of('optional_region', 'cellprobThreshold'),
      optionalRegionFlowThreshold: of('optional_region', 'flowThreshold'),
    };
  }

  /** Stops a prewarm that has not finished (a new one, a run, or the server closing). */
  cancelPrewarm(worker: AnalysisWorker): void {
    this.generation++;
    worker.cancelPrewarm();
  }

  /**
   * Computes the mask stage of every Cellpose channel once at the current thresholds, in the analysis worker
   * (analysis-worker-jobs.ts `prewarm`) after the results are loaded, so that the first slider move already reuses
   * the trajectories (mask-memo.ts) instead of integrating every pixel. Failures are ignored here: `refine`
   * reports them. `busy()` at the start skips it (a run or another change started); any later job stops it.
   */
  prewarm(paths: ResultsPaths, worker: AnalysisWorker, busy: () => boolean, onStep?: OnStep): void {
    const generation = ++this.generation;
    const timer = setTimeout(() => {
      void (async () => {
        const dir = cellposeCacheDir(paths.resultsDir, paths.stem);
        const entries: PrewarmEntry[] = [];
        for (const ch of REFINABLE) {
          const mc = this.modelConfigOf(ch);
          if (!this.available[ch] || !mc) continue;
          const th = this.thresholds[ch];
          for (const path of await listCacheEntries(dir, ch)) {
            entries.push({ path, cellprobThreshold: th.cellprobThreshold ?? mc.cellprobThreshold, flowThreshold: th.flowThreshold ?? mc.flowThreshold });
          }
        }
        if (entries.length === 0 || generation !== this.generation || busy()) return;
        await worker.prewarm(entries, onStep);
      })().catch(() => undefined);
      // A second after the results are in: the page fetches the label layers of its first view meanwhile, and the
      // two cores are better spent on those than on the prewarm (~0.3 s per mask computation on 1024², ~1 s on 2048²).
    }, 1000);
    timer.unref();
  }
}
