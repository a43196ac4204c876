/**
 * The Cellpose sliders of a two-channel viewer session (issue 8.5): which channels have a cache, the last
 * thresholds per channel, the cache entries and mask memo kept in memory between refinements, and the prewarm
 * that computes the mask stage once in the background so the first slider move is incremental. The session
 * (session.ts) owns one and calls it from `refine`.
 */
import { existsSync } from 'node:fs';
import type { ModelConfig } from '../../config/types.js';
import { cellposeCacheDir, listCacheEntries, CacheEntryMemo } from '../../segmentation/cellpose/cache.js';
import { MaskMemo } from '../../segmentation/cellpose/dynamics/mask-memo.js';
import type { ResultsPaths } from '../../export/results-paths.js';
import type { RefineThresholds } from '../../pipeline/refine.js';
import { SessionRequestError } from './session-error.js';

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
  /**
   * Cellpose cache entries read by the sliders (re-read only when a file changes) and the mask stage's memo
   * (keyed by the entries' flow arrays, so a new run's cache starts afresh).
   */
  readonly memo = { entries: new CacheEntryMemo(), masks: new MaskMemo() };
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
  cancelPrewarm(): void {
    this.generation++;
  }

  /**
   * Computes the mask stage of every Cellpose channel once at the current thresholds, in the background after the
   * results are loaded, so that the first slider move already reuses the trajectories (mask-memo.ts) instead of
   * integrating every pixel. 3-D (`do_3d`) caches have no incremental path and are skipped. Failures are ignored
   * here: `refine` reports them. `busy()` stops it (a run or another change started).
   */
  prewarm(paths: ResultsPaths, busy: () => boolean): void {
    const generation = ++this.generation;
    const timer = setTimeout(() => {
      void (async () => {
        const dir = cellposeCacheDir(paths.resultsDir, paths.stem);
        for (const ch of REFINABLE) {
          const mc = this.modelConfigOf(ch);
          if (!this.available[ch] || !mc) continue;
          for (const path of await listCacheEntries(dir, ch)) {
            await new Promise((r) => setImmediate(r));
            if (generation !== this.generation || busy()) return;
            const e = await this.memo.entries.readEntry(path);
            if (!e || e.header.mask.do3d) continue;
            const th = this.thresholds[ch];
            const params = {
              ...e.header.mask,
              cellprobThreshold: th.cellprobThreshold ?? mc.cellprobThreshold,
              flowThreshold: th.flowThreshold ?? mc.flowThreshold,
            };
            // The current thresholds, then a small cellprob step away and back: leaves the memo at the current
            // thresholds with the incremental path already compiled by the JIT (the first real moves were ~2× slower).
            this.memo.masks.computeMasks(e.dP, e.cellprob, e.header.shape, params);
            for (const cp of [params.cellprobThreshold + 0.05, params.cellprobThreshold]) {
              await new Promise((r) => setImmediate(r));
              if (generation !== this.generation || busy()) return;
              this.memo.masks.computeMasks(e.dP, e.cellprob, e.header.shape, { ...params, cellprobThreshold: cp });
            }
          }
        }
      })().catch(() => undefined);
      // A second after the results are in: the page fetches the label layers of its first view meanwhile, and each
      // mask computation holds the event loop (~0.3 s on 1024², ~1 s on 2048²).
    }, 1000);
    timer.unref();
  }
}
