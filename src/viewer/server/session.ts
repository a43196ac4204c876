/**
 * A two-channel `cellcoloc view` session (issue 8): on top of what every session has (session-base.ts: image,
 * ROIs, views, one heavy change at a time, "Save ROIs"), the result of the last run (read back from its results
 * folder, or produced in the session), the hand-edited label layers, and the two-channel operations of the HTTP
 * API (state, run, edit planes, re-analyse, refine from the Cellpose cache, export). The heavy parts run in the
 * analysis worker (issue 15.5). Every file path comes from the config or from `buildResultsPaths`.
 */
import { existsSync } from 'node:fs';
import type { AnalysisConfig, ModelConfig } from '../../config/types.js';
import type { LabelVolume, RoiLabels } from '../../core/volume.js';
import { notSupported } from '../../core/errors.js';
import { loadConfigFile } from '../../config/load-config.js';
import { effectiveZBounds } from '../../pipeline/z-stack.js';
import { resolveRoiLabels } from '../../pipeline/workflow.js';
import type { ColocalizationRunResult } from '../../pipeline/analyze.js';
import type { ResultsPaths } from '../../export/results-paths.js';
import { oneLine, wireDtype, tableToJson, type TableJson } from './wire.js';
import { colocalizationSheets } from '../../tables/optional-region.js';
import { cellposeCacheDir } from '../../segmentation/cellpose/cache.js';
import { LabelEdits } from './session-edits.js';
import { CellposeSliders, REFINABLE, type RefinableChannel, type RefineRequest } from './session-cellpose.js';
import { sessionExport, loadSessionImages, sessionResultsPaths, type Loaded } from './session-files.js';
import { ViewerSessionBase, type ViewerSessionOptions, type ViewerSessionOpenOptions } from './session-base.js';
import type { ChannelRole, EditableLayer, LabelLayer } from './security.js';

export type { WireDtype, PlaneBytes, TableJson } from './wire.js';
export { tableToJson, validateShapes, compactLabelIds } from './wire.js';
export type { ViewerSessionOptions, ViewerSessionOpenOptions } from './session-base.js';
export type { RefineRequest } from './session-cellpose.js';

export { SessionRequestError } from './session-error.js';
import { SessionRequestError } from './session-error.js';

export class ViewerSession extends ViewerSessionBase {
  /** Accepted result (tables, positive layer, filtered masks): the last run, re-analysis or refinement. */
  result: ColocalizationRunResult | null = null;
  /** Working copies of the label layers while the user edits them (session-edits.ts). */
  private readonly edits = new LabelEdits();
  /** Cellpose sliders: caches available, last thresholds, the prewarm (session-cellpose.ts). */
  private readonly sliders = new CellposeSliders((ch) => this.modelConfigOf(ch));
  /** Background work in the worker (the Cellpose prewarm's mask computation), else null. */
  private background: string | null = null;

  protected constructor(configPath: string, options: ViewerSessionOptions, config: AnalysisConfig, loaded: Loaded, roiLabels: RoiLabels, paths: ResultsPaths) {
    super(configPath, options, config, loaded, roiLabels, paths);
  }

  /**
   * Loads the config and the image, the ROI labels, and the last run's masks (if its results folder has them).
   * With `deferResults`, the last results are not read here: `startDeferredResultLoad` reads them later (the
   * server calls it once the first image has been served, so the first paint does not wait for the masks and
   * the tables: ~2.3 s on a 2048×2048 image on the 2-core dev machine); until then the session is `busy`.
   */
  static async open(configPath: string, options: ViewerSessionOpenOptions = {}): Promise<ViewerSession> {
    const config = await loadConfigFile(configPath, options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {});
    if (config.singleChannel) {
      throw notSupported(`${config.configPath}: single_channel_config is set: the viewer supports the two-channel workflow only (use cellcoloc run)`);
    }
    const loaded = await loadSessionImages(config, options.onImageStack);
    const [, Y, X] = loaded.cellImage.shape;
    const roiLabels = await resolveRoiLabels(config, [Y, X]);
    const paths = sessionResultsPaths(config, loaded);
    const s = new ViewerSession(config.configPath ?? configPath, { resultsDir: options.resultsDir }, config, loaded, roiLabels, paths);
    s.warnings.push(...loaded.warnings);
    await s.sliders.refreshAvailability(paths);
    if (options.deferResults && existsSync(paths.cellMaskPath) && existsSync(paths.markerMaskPath)) {
      s.busy = true;
      s.progress = { stage: 'loading the last results' };
      s.pendingResultLoad = true;
    } else {
      await s.loadPreviousResult();
      s.prewarmRefinement();
    }
    return s;
  }

  private pendingResultLoad = false;

  /** Starts reading the last run's results if `open` deferred it (idempotent). */
  startDeferredResultLoad(): void {
    if (!this.pendingResultLoad) return;
    this.pendingResultLoad = false;
    this.runPromise = (async () => {
      try {
        await this.loadPreviousResult();
      } finally {
        this.progress = this.result ? { stage: 'done' } : null;
        this.busy = false;
      }
      this.prewarmRefinement();
    })();
  }

  private async loadPreviousResult(): Promise<void> {
    const loaded = this.loaded;
    // No last results (a first session): nothing to read, so do not start the worker for it. Starting it here put its
    // start-up (module loading, sharing the images) in the way of the first paint: 0.5 → 1.3–1.6 s at 2048².
    if (!existsSync(this.paths.cellMaskPath) || !existsSync(this.paths.markerMaskPath)) return;
    try {
      // The mask TIFFs are read and the table pass runs in the worker (together ~2 s on a 2048² image). The exported
      // masks are already filtered: only the size filter (idempotent) runs again, no postfilters.
      this.result = await this.analysisWorker.loadTwoChannel(loaded, this.roiLabels, {
        kind: 'load_two_channel',
        paths: this.paths,
        config: { optionalRegionModelConfig: this.config.optionalRegionModelConfig },
        colocalizationConfig: this.config.colocalizationConfig,
        options: {
          analysisZBounds: effectiveZBounds(loaded),
          ownsMasks: true,
          intensityColocalization: this.config.intensityColocalizationConfig ?? null,
        },
      });
    } catch (err) {
      this.warnings.push(`the results in ${this.paths.resultsDir} were not loaded: ${(err as Error).message}`);
      this.result = null;
    }
  }

  private prewarmRefinement(): void {
    this.sliders.prewarm(this.paths, this.analysisWorker, () => this.busy || this.heavy !== null, (step) => (this.background = step));
  }

  private modelConfigOf(ch: RefinableChannel): ModelConfig | null {
    const c = this.config;
    return ch === 'cell' ? c.cellModelConfig : ch === 'marker' ? c.markerModelConfig : c.optionalRegionModelConfig;
  }

  /** Sheet names of the accepted result, spec 7.6 order. */
  sheetNames(): string[] {
    return this.result ? colocalizationSheets(this.result.tables).map((t) => t.name) : [];
  }

  /** `GET /api/state` */
  async state(): Promise<Record<string, unknown>> {
    const cc = this.config.channelConfig;
    const dn = this.config.displayNames;
    const channels: { role: ChannelRole; index: number; name: string }[] = [
      { role: 'cell', index: cc.cellChannel, name: dn.cell },
      { role: 'marker', index: cc.markerChannel, name: dn.marker },
    ];
    if (this.loaded.optionalRegionImage && cc.optionalRegionChannel !== null) {
      channels.push({ role: 'optional_region', index: cc.optionalRegionChannel, name: dn.optionalRegion });
    }
    const r = this.result;
    return {
      configPath: this.configPath,
      stem: this.paths.stem,
      workflow: 'two_channel',
      image: {
        shapeZyx: this.shapeZyx,
        voxelSizeUm: [...this.loaded.voxelSizeUm],
        dtype: wireDtype(this.loaded.cellImage.data),
        channels,
      },
      layers: {
        rois: true,
        cell: r !== null,
        marker: r !== null,
        positive: r !== null,
        optional_region: r?.optionalRegionMasks != null,
      },
      tables: this.sheetNames(),
      cellpose: { ...this.sliders.available },
      methods: {
        cell: this.config.cellModelConfig.segmentationMethod,
        marker: this.config.markerModelConfig.segmentationMethod,
        ...(this.config.optionalRegionModelConfig ? { optional_region: this.config.optionalRegionModelConfig.segmentationMethod } : {}),
      },
      shapes: await this.savedShapes(),
      busy: this.busy,
      /** The heavy change in progress in the worker (re-analysis, refinement, export, ROI save), else null. */
      working: this.heavy,
      /** Its current step, as the worker reports it (`cellpose masks`, …), else null. */
      step: this.step,
      /** Background work in the worker (`cellpose prewarm`), else null. */
      background: this.background,
      progress: this.progress,
      error: this.error,
      warnings: this.warnings,
      edited: { cell: this.edits.cell !== null, marker: this.edits.marker !== null },
    };
  }

  /** The label volume of a layer (edited copy where there is one); null = layer absent. */
  override labelVolume(layer: Exclude<LabelLayer, 'rois'>): LabelVolume | null {
    const r = this.result;
    if (layer === 'cell') return this.edits.cell ?? r?.cellMasks ?? null;
    if (layer === 'marker') return this.edits.marker ?? r?.markerMasks ?? null;
    if (layer === 'positive') return r?.positiveCellMasks ?? null;
    return r?.optionalRegionMasks ?? null;
  }

  /** `GET /api/table/<sheet>` */
  tableJson(sheet: string): TableJson | null {
    if (!this.result) return null;
    const t = colocalizationSheets(this.result.tables).find((x) => x.name === sheet);
    return t ? tableToJson(t) : null;
  }

  /** `PUT /api/labels/<cell|marker>?z=` — replaces one plane of the working copy (copy-on-first-edit). */
  putLabelPlane(layer: EditableLayer, z: number, body: Uint8Array): void {
    this.assertIdle();
    const base = this.labelVolume(layer);
    if (!base) throw new SessionRequestError(404, `no ${layer} layer yet: run the analysis first`);
    this.edits.put(layer, z, body, base);
  }

  /**
   * `POST /api/reanalyze` — the `analyzeExistingMasks` path on the working masks with the config's model configs
   * (postfilters re-applied, fix Q42; border / diameter rules re-applied, issue 18.5), no re-segmentation, in the
   * worker thread. The result becomes the accepted state.
   */
  async reanalyze(): Promise<{ ms: number }> {
    return this.exclusive('re-analysis', () => this.reanalyzeNow());
  }

  protected async reanalyzeNow(): Promise<{ ms: number }> {
    const r = this.result;
    if (!r) throw new SessionRequestError(409, 'no result to re-analyse: run the analysis first');
    const t0 = performance.now();
    const cfg = this.config;
    const edited = { cell: this.edits.cell, marker: this.edits.marker };
    this.result = await this.analysisWorker.twoChannel(this.loaded, this.roiLabels, {
      kind: 'two_channel',
      cellMasks: edited.cell ?? r.cellMasks,
      markerMasks: edited.marker ?? r.markerMasks,
      colocalizationConfig: cfg.colocalizationConfig,
      options: {
        analysisZBounds: effectiveZBounds(this.loaded),
        cellModelConfig: cfg.cellModelConfig,
        markerModelConfig: cfg.markerModelConfig,
        optionalRegionMasks: r.optionalRegionMasks,
        optionalRegionModelConfig: cfg.optionalRegionModelConfig,
        // the worker filters its own copies of the masks
        ownsMasks: true,
        intensityColocalization: cfg.intensityColocalizationConfig ?? null,
        // As `cellcoloc reanalyze`: edited masks get the border / diameter rules again (issue 18.5).
        reapplyObjectRules: true,
      },
      // Sparse ids (hand edits) are compacted first: per-object arrays are then sized by the number of objects,
      // never by the largest id (issue 15.5).
      compact: true,
    });
    // Edits made meanwhile are refused (`exclusive`), so the working copies are exactly what was analysed.
    this.edits.clear();
    return { ms: performance.now() - t0 };
  }

  /**
   * `POST /api/refine` — masks of the channels named in the request rebuilt from the Cellpose cache with the
   * given thresholds (in memory; Export writes them); the other channel keeps its current masks (hand edits
   * included). Thresholds not given keep the last ones of this session, else the config's/cache's. All of it
   * (cache entries, the mask stage with its memo, the table pass) runs in the worker.
   */
  async refine(req: RefineRequest): Promise<{ ms: number }> {
    this.assertIdle();
    this.sliders.accept(req, this.paths.resultsDir);
    return this.exclusive('refinement', async () => {
      const t0 = performance.now();
      const cfg = this.config;
      const cacheRoot = cellposeCacheDir(this.paths.resultsDir, this.paths.stem);
      // Only the channels named in the request are rebuilt; the other keeps its current masks (hand edits
      // included), so one slider costs one channel's mask stage. The cache entries stay in the worker's memory and
      // its mask memo reuses what the new thresholds cannot change (mask-memo.ts): results identical to a full
      // rebuild. Only the kept channels' masks travel to the worker.
      const keepChannels = REFINABLE.filter((ch) => req[ch] === undefined);
      const r = this.result;
      const kept = (ch: RefinableChannel, v: LabelVolume | null | undefined) => (keepChannels.includes(ch) ? (v ?? null) : null);
      this.result = await this.analysisWorker.refineTwoChannel(
        this.loaded,
        this.roiLabels,
        {
          kind: 'refine_two_channel',
          input: {
            colocalizationConfig: cfg.colocalizationConfig,
            intensityColocalization: cfg.intensityColocalizationConfig ?? null,
            cellModelConfig: req.cell ? cfg.cellModelConfig : null,
            markerModelConfig: req.marker ? cfg.markerModelConfig : null,
            optionalRegionModelConfig: req.optional_region ? cfg.optionalRegionModelConfig : null,
            cacheDir: cacheRoot,
            thresholds: this.sliders.refineThresholds(req),
            runResult: r
              ? {
                  cellMasks: kept('cell', this.edits.cell ?? r.cellMasks)!,
                  markerMasks: kept('marker', this.edits.marker ?? r.markerMasks)!,
                  optionalRegionMasks: kept('optional_region', r.optionalRegionMasks),
                }
              : null,
            keepChannels,
          },
        },
        this.onStep,
      );
      this.edits.clear();
      return { ms: performance.now() - t0 };
    });
  }

  /**
   * `POST /api/export` — writes the accepted state (spec 8) atomically into the results folder. Pending hand
   * edits are re-analysed first, so the files always agree with each other.
   */
  async exportResults(): Promise<{ files: string[] }> {
    return this.exclusive('export', () => this.exportNow());
  }

  protected async exportNow(): Promise<{ files: string[] }> {
    if (this.edits.any) await this.reanalyzeNow();
    const r = this.result;
    if (!r) throw new SessionRequestError(409, 'nothing to export: run the analysis first');
    const job = { kind: 'export_two_channel' as const, ...(await sessionExport(this.config, this.loaded, this.roiLabels, r, this.paths)) };
    return { files: (await this.analysisWorker.exportResults(job, this.onStep)).map((w) => w.path) };
  }

  /** `POST /api/run` — false when a run is already going; else starts it in the background. */
  startRun(): boolean {
    if (this.busy || this.heavy) return false;
    this.busy = true;
    this.sliders.cancelPrewarm(this.analysisWorker);
    this.error = null;
    this.progress = { stage: 'starting' };
    this.runPromise = (async () => {
      try {
        const config = await this.reloadConfig();
        if (config.singleChannel) throw notSupported(`${this.configPath}: single_channel_config is set: the viewer supports the two-channel workflow only`);
        // In the worker (issue 15.5): the run's reading, table pass and export held the server's thread.
        const res = await this.analysisWorker.run({ kind: 'run_two_channel', config }, (e) => (this.progress = e));
        this.config = config;
        this.loaded = res.loaded as Loaded;
        this.roiLabels = res.roiLabels;
        this.paths = res.paths;
        this.result = res.result;
        this.edits.clear();
        this.sliders.resetThresholds();
        this.channelMaxCache.clear();
        this.roiPlaneCache = null;
        this.warnings = [...res.warnings];
        await this.sliders.refreshAvailability(this.paths);
        this.progress = { stage: 'done' };
        this.prewarmRefinement();
      } catch (err) {
        this.error = oneLine((err as Error)?.message ?? String(err));
        this.progress = null;
      } finally {
        this.busy = false;
      }
    })();
    return true;
  }

  /** Stops background work (the refinement prewarm, the analysis worker); the server calls it on close. */
  dispose(): void {
    this.sliders.cancelPrewarm(this.analysisWorker);
    void this.analysisWorker.close();
  }

}
