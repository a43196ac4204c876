/**
 * A `cellcoloc view` session of a single-channel config (issue 16.6, spec 13): the counted channel is shown as
 * the `cell` channel and its object masks as the `cell` label layer, so the app's layers, ROI drawing, label
 * editing, re-analysis and Cellpose refinement work unchanged; there is no marker, positive or third-channel
 * layer. Runs, re-analysis, refinement and export use the single-channel pipeline (pipeline/single-channel.ts,
 * single-channel-refine.ts' cache rebuild) and write what `cellcoloc run` / `reanalyze` / `refine` write.
 */
import { existsSync } from 'node:fs';
import { notSupported } from '../../core/errors.js';
import type { AnalysisConfig } from '../../config/types.js';
import type { LabelVolume, RoiLabels } from '../../core/volume.js';
import { loadConfigFile } from '../../config/load-config.js';
import { resolveRoiLabels } from '../../pipeline/workflow.js';
import {
  isReducedView,
  loadSingleChannelImage,
  prepareSingleChannelImageForAnalysis,
  type LoadedSingleChannelImage,
  type SingleChannelRunResult,
} from '../../pipeline/single-channel.js';
import { readLabelMask } from '../../pipeline/label-masks.js';
import { buildResultsPaths, type ResultsPaths } from '../../export/results-paths.js';
import type { SingleChannelJob } from './analysis-worker.js';
import { buildManifest } from '../../export/manifest.js';
import { roiIds } from '../../roi/roi-geometry.js';
import { cellposeCacheDir, listCacheEntries } from '../../segmentation/cellpose/cache.js';
import { SessionRequestError, ViewerSession, tableToJson, type RefineRequest, type TableJson, type ViewerSessionOptions, type ViewerSessionOpenOptions } from './session.js';
import type { ImageStack } from '../../io/image-stack.js';
import type { EditableLayer, LabelLayer } from './security.js';

type BaseLoaded = ViewerSession['loaded'];

/** The single-channel image as the base session's two-channel view: the channel is `cellImage`, nothing else. */
function asBaseLoaded(l: LoadedSingleChannelImage): BaseLoaded {
  return { ...l, cellImage: l.image, markerImage: null, optionalRegionImage: null, warnings: l.warnings } as unknown as BaseLoaded;
}

export class SingleChannelSession extends ViewerSession {
  private sc: LoadedSingleChannelImage;
  private scResult: SingleChannelRunResult | null = null;
  private edited: LabelVolume | null = null;
  private hasCache = false;
  private thresholds: { cellprobThreshold?: number; flowThreshold?: number } = {};

  private constructor(configPath: string, options: ViewerSessionOptions, config: AnalysisConfig, loaded: LoadedSingleChannelImage, roiLabels: RoiLabels, paths: ResultsPaths) {
    super(configPath, options, config, asBaseLoaded(loaded), roiLabels, paths);
    this.sc = loaded;
  }

  static async openSingle(configPath: string, options: ViewerSessionOpenOptions = {}): Promise<SingleChannelSession> {
    const config = await loadConfigFile(configPath, options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {});
    const sc = config.singleChannel;
    if (!sc) throw notSupported(`${configPath}: not a single-channel config`);
    const loaded = await loadImage(config, options.onImageStack);
    const [, Y, X] = loaded.image.shape;
    const roiLabels = await resolveRoiLabels(config, [Y, X]);
    const paths = buildResultsPaths(loaded.sourcePaths[0], { resultsDir: config.resultsDir, cropForTesting: config.runtimeConfig.cropForTesting });
    const s = new SingleChannelSession(config.configPath ?? configPath, { resultsDir: options.resultsDir }, config, loaded, roiLabels, paths);
    s.warnings.push(...loaded.warnings);
    await s.refreshCache();
    await s.loadPrevious();
    return s;
  }

  private get modelConfig() {
    return this.config.singleChannel!.modelConfig;
  }

  private async refreshCache(): Promise<void> {
    const dir = cellposeCacheDir(this.paths.resultsDir, this.paths.stem);
    this.hasCache = this.modelConfig.segmentationMethod === 'cellpose' && existsSync(dir) && (await listCacheEntries(dir, 'object')).length > 0;
  }

  /** The last run's object masks from the results folder (only the size filter again: exported masks are filtered). */
  private async loadPrevious(): Promise<void> {
    const p = this.paths.singleChannelMaskPath;
    if (!existsSync(p)) return;
    try {
      const masks = await readLabelMask(p, this.sc.image.shape, 'single-channel masks');
      this.scResult = await this.analyse(masks, false);
    } catch (err) {
      this.warnings.push(`the results in ${this.paths.resultsDir} were not loaded: ${(err as Error).message}`);
    }
  }

  /** The table pass, in the session's worker thread (issue 15.5); the worker filters its own copy of the masks. */
  private analyse(masks: LabelVolume, postfilters: boolean): Promise<SingleChannelRunResult> {
    return this.analysisWorker.singleChannel(this.sc, this.roiLabels, { kind: 'single_channel', masks, ...this.analysisJob(postfilters) });
  }

  private analysisJob(postfilters: boolean): Pick<SingleChannelJob, 'analysisConfig' | 'options'> {
    return {
      analysisConfig: { minObjectVoxels: this.config.singleChannel!.minObjectVoxels },
      options: {
        modelConfig: postfilters ? this.modelConfig : null,
        ownsMasks: true,
        // As `cellcoloc reanalyze`: an edited mask gets the config's border / diameter rules again (issue 18.5).
        reapplyObjectRules: postfilters,
      },
    };
  }

  override sheetNames(): string[] {
    const t = this.scResult?.tables;
    return t ? [t.overview.name, t.objects.name, t.voxelPlausibility.name] : [];
  }

  override tableJson(sheet: string): TableJson | null {
    const t = this.scResult?.tables;
    if (!t) return null;
    const found = [t.overview, t.objects, t.voxelPlausibility].find((x) => x.name === sheet);
    return found ? tableToJson(found) : null;
  }

  override async state(): Promise<Record<string, unknown>> {
    const base = await super.state();
    const name = this.config.displayNames.cell || `channel ${this.sc.channelIndex}`;
    const has = this.scResult !== null;
    return {
      ...base,
      workflow: 'single_channel',
      image: { ...(base.image as Record<string, unknown>), channels: [{ role: 'cell', index: this.sc.channelIndex, name }] },
      layers: { rois: true, cell: has, marker: false, positive: false, optional_region: false },
      tables: this.sheetNames(),
      cellpose: { cell: this.hasCache, marker: false },
      methods: { cell: this.modelConfig.segmentationMethod },
      edited: { cell: this.edited !== null, marker: false },
    };
  }

  override labelVolume(layer: Exclude<LabelLayer, 'rois'>): LabelVolume | null {
    return layer === 'cell' ? (this.edited ?? this.scResult?.masks ?? null) : null;
  }

  override putLabelPlane(layer: EditableLayer, z: number, body: Uint8Array): void {
    this.assertIdle();
    if (layer !== 'cell') throw new SessionRequestError(400, 'a single-channel analysis has one object layer: edit "cell"');
    const [Z, Y, X] = this.shapeZyx;
    const n = Y * X;
    if (body.byteLength !== n * 4) throw new SessionRequestError(400, `body: expected ${n * 4} bytes (uint32 plane of ${Y}×${X}), got ${body.byteLength}`);
    if (!Number.isInteger(z) || z < 0 || z >= Z) throw new SessionRequestError(400, `z: expected an integer plane in [0, ${Z}), got ${z}`);
    const base = this.labelVolume('cell');
    if (!base) throw new SessionRequestError(404, 'no object masks yet: run the analysis first');
    if (!this.edited) this.edited = { data: base.data.slice(), shape: base.shape };
    new Uint8Array(this.edited.data.buffer, this.edited.data.byteOffset + z * n * 4, n * 4).set(body);
  }

  /**
   * Size filter, the object removal rules (`exclude_border_objects`, `discard_outside_diameter`) and the
   * `model_config` postfilters on the (edited) masks, tables recomputed (as `cellcoloc reanalyze`).
   */
  protected override async reanalyzeNow(): Promise<{ ms: number }> {
    const cur = this.labelVolume('cell');
    if (!cur) throw new SessionRequestError(409, 'no result to re-analyse: run the analysis first');
    const t0 = performance.now();
    this.scResult = await this.analyse(cur, true);
    this.edited = null;
    return { ms: performance.now() - t0 };
  }

  /** The object masks rebuilt from the run's Cellpose cache (`object_roi<k>.cpcache`); the `cell` entry holds the thresholds. */
  override async refine(req: RefineRequest): Promise<{ ms: number }> {
    this.assertIdle();
    const t = req.cell;
    if (!t || req.marker || req.optional_region) throw new SessionRequestError(400, 'body: expected {cell: {cellprobThreshold, flowThreshold}} (the single-channel objects)');
    if (this.modelConfig.segmentationMethod !== 'cellpose') {
      throw new SessionRequestError(400, `model_config uses segmentation_method ${this.modelConfig.segmentationMethod}, not cellpose: nothing to re-threshold`);
    }
    if (!this.hasCache) throw new SessionRequestError(400, `no Cellpose cache in ${this.paths.resultsDir}: run the analysis first`);
    for (const k of ['cellprobThreshold', 'flowThreshold'] as const) {
      const v = t[k];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) throw new SessionRequestError(400, `cell.${k}: expected a finite number, got ${JSON.stringify(v)}`);
    }
    this.thresholds = { ...this.thresholds, ...t };
    return this.exclusive('refinement', () => this.refineNow());
  }

  /** The cache entries, the mask stage (with the worker's mask memo) and the table pass, all in the worker (issue 15.5). */
  private async refineNow(): Promise<{ ms: number }> {
    const t0 = performance.now();
    this.scResult = await this.analysisWorker.refineSingleChannel(
      this.sc,
      this.roiLabels,
      {
        kind: 'refine_single_channel',
        rebuild: {
          shape: this.sc.image.shape,
          zBounds: isReducedView(this.sc) ? null : this.sc.analysisZBounds,
          voxelSizeUm: this.sc.voxelSizeUm,
          cacheDir: cellposeCacheDir(this.paths.resultsDir, this.paths.stem),
          configKey: 'model_config',
        },
        modelConfig: this.modelConfig,
        cellprobThreshold: this.thresholds.cellprobThreshold,
        flowThreshold: this.thresholds.flowThreshold,
        ...this.analysisJob(true),
      },
      this.onStep,
    );
    this.edited = null;
    return { ms: performance.now() - t0 };
  }

  protected override async exportNow(): Promise<{ files: string[] }> {
    if (this.edited) await this.reanalyzeNow();
    const r = this.scResult;
    if (!r) throw new SessionRequestError(409, 'nothing to export: run the analysis first');
    const manifest = await buildManifest({
      config: this.config,
      loaded: { ...this.sc, cellImage: this.sc.image },
      roiIds: roiIds(this.roiLabels),
      filterSteps: r.filterSteps,
      timings: [],
      paths: this.paths,
    } as unknown as Parameters<typeof buildManifest>[0]);
    manifest.command = 'view';
    // Encoded and written in the worker (issue 15.5).
    const written = await this.analysisWorker.exportResults(
      {
        kind: 'export_single_channel',
        outputs: { masks: r.masks, tables: r.tables, roiLabels: this.roiLabels },
        paths: this.paths,
        options: { voxelSizeUm: this.sc.voxelSizeUm, manifest },
      },
      this.onStep,
    );
    return { files: written.map((w) => w.path) };
  }

  override startRun(): boolean {
    if (this.busy || this.heavy) return false;
    this.busy = true;
    this.error = null;
    this.progress = { stage: 'starting' };
    this.runPromise = (async () => {
      try {
        const config = await this.reloadConfig();
        if (!config.singleChannel) throw notSupported(`${this.configPath}: single_channel_config was removed from the config: open the viewer again`);
        // In the worker (issue 15.5), as the two-channel run.
        const res = await this.analysisWorker.run({ kind: 'run_single_channel', config }, (e) => (this.progress = e));
        this.config = config;
        this.sc = res.loaded;
        this.loaded = asBaseLoaded(res.loaded);
        this.roiLabels = res.roiLabels;
        this.paths = res.paths;
        this.scResult = res.result;
        this.edited = null;
        this.roiPlaneCache = null;
        this.warnings = [...res.warnings];
        await this.refreshCache();
        this.progress = { stage: 'done' };
      } catch (err) {
        this.error = ((err as Error)?.message ?? String(err)).replace(/\s*\n\s*/g, ' ').trim();
        this.progress = null;
      } finally {
        this.busy = false;
      }
    })();
    return true;
  }
}

async function loadImage(config: AnalysisConfig, onStackOpened?: (stack: ImageStack) => void): Promise<LoadedSingleChannelImage> {
  const sc = config.singleChannel!;
  const raw = await loadSingleChannelImage(config.image, sc.channelIndex, config.voxelScaleZyx, {
    cropForTesting: config.runtimeConfig.cropForTesting,
    t: config.runtimeConfig.t,
    resolutionLevel: config.resolutionLevel,
    onStackOpened,
  });
  return prepareSingleChannelImageForAnalysis(raw, sc.modelConfig, config.configPath ?? 'config');
}

/** Opens the session a config needs: single-channel or two-channel. */
export async function openViewerSession(configPath: string, options: ViewerSessionOpenOptions = {}): Promise<ViewerSession> {
  const config = await loadConfigFile(configPath, options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {});
  return config.singleChannel ? SingleChannelSession.openSingle(configPath, options) : ViewerSession.open(configPath, options);
}
