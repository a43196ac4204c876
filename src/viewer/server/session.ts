/**
 * State of one `cellcoloc view` session (issue 8): the config, the analysed image, the ROI labels, the result of
 * the last run (read back from its results folder, or produced in the session), the hand-edited label layers,
 * and the operations of the HTTP API (save ROIs, run, edit planes, re-analyse, refine from the Cellpose cache,
 * export). Every file path comes from the config or from `buildResultsPaths` — never from a request.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisConfig, ModelConfig, RoiShape } from '../../config/types.js';
import type { LabelVolume, RoiLabels, Volume } from '../../core/volume.js';
import { CellColocError, notSupported } from '../../core/errors.js';
import { loadConfigFile } from '../../config/load-config.js';
import { effectiveZBounds, labelsForAnalysis } from '../../pipeline/z-stack.js';
import { resolveRoiLabels, runWorkflow } from '../../pipeline/workflow.js';
import type { ColocalizationRunResult } from '../../pipeline/analyze.js';
import type { ProgressEvent } from '../../pipeline/progress.js';
import type { ResultsPaths } from '../../export/results-paths.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { oneLine, wireDtype, toWire, maxProjection, tableToJson, validateShapes, type PlaneBytes, type TableJson } from './wire.js';
import { colocalizationSheets } from '../../tables/optional-region.js';
import { proposeRoisChange, applyRoisChange, type ConfigRoisChange } from './config-edit.js';
import { cellposeCacheDir } from '../../segmentation/cellpose/cache.js';
import { AnalysisWorker } from './analysis-worker.js';
import { LabelEdits } from './session-edits.js';
import { CellposeSliders, REFINABLE, type RefinableChannel, type RefineRequest } from './session-cellpose.js';
import { sessionExportJob, loadSessionImages, readLastMasks, readSavedShapes, roiFilesBesideConfig, sessionResultsPaths, type Loaded } from './session-files.js';
import type { ChannelRole, EditableLayer, LabelLayer } from './security.js';

export type { WireDtype, PlaneBytes, TableJson } from './wire.js';
export { tableToJson, validateShapes, compactLabelIds } from './wire.js';

export type { RefineRequest } from './session-cellpose.js';

export { SessionRequestError } from './session-error.js';
import { SessionRequestError } from './session-error.js';

export interface ViewerSessionOptions {
  /** `--results-dir` override, as for `cellcoloc run`. */
  resultsDir?: string;
}

export class ViewerSession {
  config: AnalysisConfig;
  loaded: Loaded;
  roiLabels: RoiLabels;
  paths: ResultsPaths;
  /** Accepted result (tables, positive layer, filtered masks): the last run, re-analysis or refinement. */
  result: ColocalizationRunResult | null = null;
  /** Working copies of the label layers while the user edits them (session-edits.ts). */
  private readonly edits = new LabelEdits();
  /** Cellpose sliders: caches available, last thresholds, entries and mask memo (session-cellpose.ts). */
  private readonly sliders = new CellposeSliders((ch) => this.modelConfigOf(ch));
  /** The table passes (re-analysis, refinement, the last results) run in a worker thread (issue 15.5). */
  protected readonly analysisWorker = new AnalysisWorker();
  /** The heavy change in progress (re-analysis, refinement, export, ROI save): other changes are refused meanwhile. */
  protected heavy: string | null = null;
  /** The step of the heavy change the worker is in (e.g. `cellpose masks`), else null. */
  protected step: string | null = null;
  /** Background work in the worker (the Cellpose prewarm's mask computation), else null. */
  private background: string | null = null;
  private channelMaxCache = new Map<ChannelRole, Volume>();
  protected roiPlaneCache: Uint32Array | null = null;
  busy = false;
  progress: ProgressEvent | null = null;
  error: string | null = null;
  /** Warnings of loading (voxel-size fallback, stale result files, …). */
  warnings: string[] = [];
  protected runPromise: Promise<void> | null = null;

  protected constructor(
    readonly configPath: string,
    protected readonly options: ViewerSessionOptions,
    config: AnalysisConfig,
    loaded: Loaded,
    roiLabels: RoiLabels,
    paths: ResultsPaths,
  ) {
    this.config = config;
    this.loaded = loaded;
    this.roiLabels = roiLabels;
    this.paths = paths;
  }

  /**
   * Loads the config and the image, the ROI labels, and the last run's masks (if its results folder has them).
   * With `deferResults`, the last results are not read here: `startDeferredResultLoad` reads them later (the
   * server calls it once the first image has been served, so the first paint does not wait for the masks and
   * the tables: ~2.3 s on a 2048×2048 image on the 2-core dev machine); until then the session is `busy`.
   */
  static async open(configPath: string, options: ViewerSessionOptions & { deferResults?: boolean } = {}): Promise<ViewerSession> {
    const config = await loadConfigFile(configPath, options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {});
    if (config.singleChannel) {
      throw notSupported(`${config.configPath}: single_channel_config is set: the viewer supports the two-channel workflow only (use cellcoloc run)`);
    }
    const loaded = await loadSessionImages(config);
    const [, Y, X] = loaded.cellImage.shape;
    const roiLabels = await resolveRoiLabels(config, [Y, X]);
    const paths = sessionResultsPaths(config, loaded);
    const s = new ViewerSession(config.configPath ?? configPath, options, config, loaded, roiLabels, paths);
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
    try {
      const masks = await readLastMasks(this.paths, loaded, this.config);
      if (!masks) return;
      // The exported masks are already filtered: only the size filter (idempotent) runs again, no postfilters.
      // In the worker: this table pass held the server's thread ~2 s on a 2048² image.
      this.result = await this.analysisWorker.twoChannel(loaded, this.roiLabels, {
        kind: 'two_channel',
        cellMasks: labelsForAnalysis(masks.cell, loaded),
        markerMasks: labelsForAnalysis(masks.marker, loaded),
        colocalizationConfig: this.config.colocalizationConfig,
        options: {
          analysisZBounds: effectiveZBounds(loaded),
          optionalRegionMasks: masks.region ? labelsForAnalysis(masks.region, loaded) : null,
          ownsMasks: true,
          intensityColocalization: this.config.intensityColocalizationConfig ?? null,
        },
        compact: false,
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

  get shapeZyx(): [number, number, number] {
    const [z, y, x] = this.loaded.cellImage.shape;
    return [z, y, x];
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

  /** Shapes of the last "Save ROIs" (`<stem>_rois.json`), else the config's `rois.shapes`, else none. */
  private async savedShapes(): Promise<RoiShape[]> {
    // Beside the config (since issue 16.7), else in the results folder (older sessions).
    const saved = await readSavedShapes([this.roiFilesBesideConfig().shapesPath, this.roiShapesPath()]);
    return saved ?? (this.config.rois.kind === 'shapes' ? this.config.rois.shapes : []);
  }

  roiShapesPath(): string {
    return join(this.paths.resultsDir, `${this.paths.stem}_rois.json`);
  }

  channelCount(): number {
    return this.loaded.optionalRegionImage ? 3 : 2;
  }

  private image(role: ChannelRole): Volume | null {
    if (role === 'cell') return this.loaded.cellImage;
    if (role === 'marker') return this.loaded.markerImage;
    return this.loaded.optionalRegionImage;
  }

  /** `GET /api/channel/<role>?z=` — one plane (a view, no copy) or the max projection (computed once). */
  channelPlane(role: ChannelRole, z: number | 'max'): PlaneBytes | null {
    const img = this.image(role);
    if (!img) return null;
    const [Z, Y, X] = img.shape;
    const n = Y * X;
    let plane: Volume['data'];
    if (z === 'max') {
      let mp = this.channelMaxCache.get(role);
      if (!mp) {
        mp = maxProjection(img);
        this.channelMaxCache.set(role, mp);
      }
      plane = mp.data;
    } else {
      if (z >= Z) return null;
      plane = img.data.subarray(z * n, (z + 1) * n);
    }
    return { ...toWire(plane), shapeYx: [Y, X] };
  }

  /** The label volume of a layer (edited copy where there is one); null = layer absent. */
  labelVolume(layer: Exclude<LabelLayer, 'rois'>): LabelVolume | null {
    const r = this.result;
    if (layer === 'cell') return this.edits.cell ?? r?.cellMasks ?? null;
    if (layer === 'marker') return this.edits.marker ?? r?.markerMasks ?? null;
    if (layer === 'positive') return r?.positiveCellMasks ?? null;
    return r?.optionalRegionMasks ?? null;
  }

  /** `GET /api/labels/<layer>?z=` — Uint32 plane; `max` = the largest id over z; null = no such layer. */
  labelPlane(layer: LabelLayer, z: number | 'max'): Uint32Array | null {
    const [Z, Y, X] = this.shapeZyx;
    const n = Y * X;
    if (layer === 'rois') {
      if (!this.roiPlaneCache) this.roiPlaneCache = new Uint32Array(this.roiLabels.data); // typed-array copy, not the (slow) iterator path of Uint32Array.from
      return this.roiPlaneCache;
    }
    const vol = this.labelVolume(layer);
    if (!vol) return null;
    if (z === 'max') return maxProjection(vol).data as Uint32Array;
    if (z >= Z) return null;
    return vol.data.subarray(z * n, (z + 1) * n);
  }

  /** `GET /api/table/<sheet>` */
  tableJson(sheet: string): TableJson | null {
    if (!this.result) return null;
    const t = colocalizationSheets(this.result.tables).find((x) => x.name === sheet);
    return t ? tableToJson(t) : null;
  }

  protected assertIdle(): void {
    if (this.busy) throw new SessionRequestError(409, 'the analysis is running; wait until it has finished');
    if (this.heavy) throw new SessionRequestError(409, `a ${this.heavy} is in progress; wait until it has finished`);
  }

  /** Runs a heavy change (in the worker) with every other change refused meanwhile; GET requests are still answered. */
  /** Records the worker's step of the heavy change in progress (shown by `GET /api/state`). */
  protected readonly onStep = (step: string | null): void => {
    if (this.heavy) this.step = step;
  };

  protected async exclusive<T>(what: string, work: () => Promise<T>): Promise<T> {
    this.assertIdle();
    this.heavy = what;
    this.step = null;
    try {
      return await work();
    } finally {
      this.heavy = null;
      this.step = null;
    }
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
    const job = await sessionExportJob(this.config, this.loaded, this.roiLabels, r, this.paths);
    return { files: (await this.analysisWorker.exportResults(job, this.onStep)).map((w) => w.path) };
  }

  /**
   * `POST /api/rois` — rasterises the shapes (pixel units, napari layout) and writes `<config stem>_rois.tif` and
   * `<config stem>_rois.json` beside the config (not into the results folder: deleting results must not break the
   * config). The config file is NOT changed here: the answer carries the proposed minimal edit (config-edit.ts),
   * which `POST /api/rois-config` applies once the user confirms. Meanwhile this session's runs use the new mask.
   * The accepted result stays until the next run (its masks were segmented per the old ROIs).
   */
  async saveRois(shapesIn: unknown): Promise<{ roiIds: number[]; maskPath: string; shapesPath: string; config: Omit<ConfigRoisChange, 'before' | 'after'> }> {
    this.assertIdle();
    const shapes = validateShapes(shapesIn);
    const [, Y, X] = this.shapeZyx;
    return this.exclusive('ROI save', async () => {
      const { maskPath, shapesPath } = this.roiFilesBesideConfig();
      // Rasterising (O(vertices × rows)) and the ROI TIFF's encoding run in the worker, which writes the mask only
      // when some shape covers a pixel.
      let raster: { labels: RoiLabels; ids: number[] };
      try {
        raster = await this.analysisWorker.rasterizeRois({ kind: 'rasterize_rois', shapes, shapeYx: [Y, X], maskPath }, this.onStep);
      } catch (err) {
        if (err instanceof CellColocError && err._tag === 'ValueError') throw new SessionRequestError(400, err.message);
        throw err;
      }
      const { labels, ids } = raster;
      if (ids.length === 0) throw new SessionRequestError(400, 'shapes: no shape covers a pixel centre of the image (the ROI mask would be empty)');
      await writeFileAtomic(shapesPath, JSON.stringify({ format: 'napari-shapes', units: 'pixel', shapes }, null, 2) + '\n');
      this.roiMaskOverride = maskPath;
      this.pendingRoisChange = await proposeRoisChange(this.configPath, maskPath);
      this.config = await this.reloadConfig();
      this.roiLabels = labels;
      this.roiPlaneCache = null;
      const { before: _b, after: _a, ...change } = this.pendingRoisChange;
      return { roiIds: ids, maskPath, shapesPath, config: change };
    });
  }

  /** `POST /api/rois-config` — applies the config change proposed by the last "Save ROIs" (after the user confirmed). */
  async applyRoisConfig(): Promise<{ configPath: string; line: string }> {
    this.assertIdle();
    const change = this.pendingRoisChange;
    if (!change) throw new SessionRequestError(409, 'no ROI change to apply: press "Save ROIs" first');
    await applyRoisChange(change);
    this.pendingRoisChange = null;
    this.config = await this.reloadConfig();
    return { configPath: change.configPath, line: change.line };
  }

  /** ROI files beside the config: `<config stem>_rois.tif` and `<config stem>_rois.json`. */
  roiFilesBesideConfig(): { maskPath: string; shapesPath: string } {
    return roiFilesBesideConfig(this.configPath);
  }

  /** The mask of the last "Save ROIs" of this session (used by its runs, whether or not the config was changed). */
  private roiMaskOverride: string | null = null;
  private pendingRoisChange: ConfigRoisChange | null = null;

  protected async reloadConfig(): Promise<AnalysisConfig> {
    const c = await loadConfigFile(this.configPath, this.options.resultsDir !== undefined ? { resultsDir: this.options.resultsDir } : {});
    if (this.roiMaskOverride) c.rois = { kind: 'label_image', path: this.roiMaskOverride };
    return c;
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
        const res = await runWorkflow(config, { onProgress: (e) => (this.progress = e) });
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

  /** Resolves when the background run (if any) has finished (tests, shutdown). */
  async waitForRun(): Promise<void> {
    await this.runPromise;
  }
}
