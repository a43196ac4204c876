/**
 * What every `cellcoloc view` session has, whatever its workflow (session.ts: two channels;
 * single-channel-session.ts): the config, the loaded image, the ROI labels and the results paths; the views the
 * HTTP API serves (channel planes, label planes, max projections); the rule that one heavy change runs at a time
 * (in the analysis worker, issue 15.5) while GET requests are still answered; and "Save ROIs" with the config
 * change it proposes. Every file path comes from the config or from `buildResultsPaths` — never from a request.
 */
import { join } from 'node:path';
import type { AnalysisConfig, RoiShape } from '../../config/types.js';
import type { LabelVolume, RoiLabels, Volume } from '../../core/volume.js';
import { CellColocError } from '../../core/errors.js';
import { loadConfigFile } from '../../config/load-config.js';
import type { ProgressEvent } from '../../pipeline/progress.js';
import type { ImageStack } from '../../io/image-stack.js';
import type { ResultsPaths } from '../../export/results-paths.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { toWire, maxProjection, validateShapes, type PlaneBytes } from './wire.js';
import { proposeRoisChange, applyRoisChange, type ConfigRoisChange } from './config-edit.js';
import { AnalysisWorker } from './analysis-worker.js';
import { readSavedShapes, roiFilesBesideConfig, type Loaded } from './session-files.js';
import { SessionRequestError } from './session-error.js';
import type { ChannelRole, LabelLayer } from './security.js';

export interface ViewerSessionOptions {
  /** `--results-dir` override, as for `cellcoloc run`. */
  resultsDir?: string;
}

/** How a session is opened (not kept in the session). */
export interface ViewerSessionOpenOptions extends ViewerSessionOptions {
  /** Do not read the last results before the first view (see `ViewerSession.open`). */
  deferResults?: boolean;
  /** Sees the image reader before any pixel is read (the viewer server's load progress). */
  onImageStack?: (stack: ImageStack) => void;
}

export abstract class ViewerSessionBase {
  config: AnalysisConfig;
  loaded: Loaded;
  roiLabels: RoiLabels;
  paths: ResultsPaths;
  /** The heavy work (table passes, refinement, export, ROI rasterising) runs in a worker thread (issue 15.5). */
  protected readonly analysisWorker = new AnalysisWorker();
  /** The heavy change in progress (re-analysis, refinement, export, ROI save): other changes are refused meanwhile. */
  protected heavy: string | null = null;
  /** The step of the heavy change the worker is in (e.g. `cellpose masks`), else null. */
  protected step: string | null = null;
  protected channelMaxCache = new Map<ChannelRole, Volume>();
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

  get shapeZyx(): [number, number, number] {
    const [z, y, x] = this.loaded.cellImage.shape;
    return [z, y, x];
  }

  /** Shapes of the last "Save ROIs" (`<stem>_rois.json`), else the config's `rois.shapes`, else none. */
  protected async savedShapes(): Promise<RoiShape[]> {
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

  protected image(role: ChannelRole): Volume | null {
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
  abstract labelVolume(layer: Exclude<LabelLayer, 'rois'>): LabelVolume | null;

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
    const plane = vol.data.subarray(z * n, (z + 1) * n);
    // uint16 ids (`LabelData`; the analysis worker widens a run's labels already) go out as the uint32 the API promises
    return plane instanceof Uint32Array ? plane : new Uint32Array(plane);
  }

  protected assertIdle(): void {
    if (this.busy) throw new SessionRequestError(409, 'the analysis is running; wait until it has finished');
    if (this.heavy) throw new SessionRequestError(409, `a ${this.heavy} is in progress; wait until it has finished`);
  }

  /** Records the worker's step of the heavy change in progress (shown by `GET /api/state`). */
  protected readonly onStep = (step: string | null): void => {
    if (this.heavy) this.step = step;
  };

  /** Runs a heavy change (in the worker) with every other change refused meanwhile; GET requests are still answered. */
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

  /** Resolves when the background run (if any) has finished (tests, shutdown). */
  async waitForRun(): Promise<void> {
    await this.runPromise;
  }
}
