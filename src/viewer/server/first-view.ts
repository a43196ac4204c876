/**
 * The first view of a multiscale OME-Zarr image before its analysed level is loaded (issue 20.5): the viewer
 * answers `GET /api/state` from the store's metadata and the first paint's previews (`?step=`) from the store's
 * own coarser levels, read chunk by chunk, while the session reads the analysed level in the background. A 16384²
 * two-channel image is 1 GiB at level 0; its 4096² level is 1/16 of that, so the page paints long before the
 * session is ready. Masks, ROIs, tables and analysis stay on the analysed level (the session): nothing here is
 * analysed, and the preview is placed on the analysed grid (pyramid.ts), so everything drawn meanwhile is in
 * analysed-level pixels.
 *
 * Used only where the session's view is the stored level as it is: no `crop_for_testing`, no z-crop or
 * z-projection (their views differ from the stored planes), and a store with a level coarser than the analysed
 * one. Otherwise the viewer behaves as for a TIFF (the analysed level's block means, after it has loaded).
 */
import { join } from 'node:path';
import type { AnalysisConfig, ModelConfig } from '../../config/types.js';
import type { Volume } from '../../core/volume.js';
import { resolveVoxelScale } from '../../io/image-stack.js';
import { isZarrPath } from '../../io/zarr/zarr-path.js';
import type { ZarrImage } from '../../io/zarr/zarr-stack.js';
import { buildResultsPaths } from '../../export/results-paths.js';
import { maxProjection, toWire, type PlaneBytes, type WireDtype } from './wire.js';
import { readSavedShapes, roiFilesBesideConfig } from './session-files.js';
import { downsampleMean, planeContrast, preview } from './plane-preview.js';
import { chooseLevel, extraReduction, isCoarser, levelGeometry, levelPlane, prefetchLevel, previewPlacement, type LevelGeometry } from './pyramid.js';
import type { ChannelRole } from './security.js';

/** A first-paint preview from a coarser level: the plane bytes and where they lie on the analysed grid. */
export interface LevelPreview {
  plane: PlaneBytes;
  /** 0.5 / 99.5 percentiles of the coarse plane: provisional (the analysed plane's come with it). */
  contrast: [number, number];
  /** Whether `plane` holds uint8 display levels of `contrast`. */
  scaled: boolean;
  level: number;
  originYx: [number, number];
  pixelYx: [number, number];
}

interface FirstViewChannel {
  role: ChannelRole;
  index: number;
  name: string;
}

/** Chunks of a level's array that reading channels one by one touches (the reader counts a chunk per read). */
function chunkCount(img: ZarrImage, channels: number): number {
  let n = channels;
  img.ngff.axes.forEach((a, i) => {
    if (a === 'z' || a === 'y' || a === 'x') {
      const size = img.shapeTzcyx[a === 'z' ? 1 : a === 'y' ? 3 : 4];
      n *= Math.ceil(size / img.chunkShape[i]);
    }
  });
  return n;
}

/** The participating model configs of a config (z settings would change the session's view of the stored planes). */
function modelConfigs(config: AnalysisConfig): ModelConfig[] {
  if (config.singleChannel) return [config.singleChannel.modelConfig];
  return [config.cellModelConfig, config.markerModelConfig, ...(config.optionalRegionModelConfig ? [config.optionalRegionModelConfig] : [])];
}

export class FirstView {
  /** Coarse planes read so far, by `level/channel/z` (dropped by `release` once the session has the analysed level). */
  private readonly planes = new Map<string, Promise<Volume>>();
  /** The first failed read of a coarse level (one line), else null. */
  failure: string | null = null;
  /** Roles whose preview has been sent; `painted` resolves once every shown channel's has (the page can paint). */
  private readonly sentRoles = new Set<ChannelRole>();
  private paintedResolve: () => void = () => undefined;
  readonly painted = new Promise<void>((r) => (this.paintedResolve = r));
  private readonly levelImages = new Map<number, Promise<ZarrImage>>();

  private constructor(
    readonly path: string,
    private readonly analysed: ZarrImage,
    /** Levels coarser than the analysed one (empty: a single-level store, used for load progress only). */
    readonly levels: LevelGeometry[],
    private readonly channels: FirstViewChannel[],
    private readonly t: number,
    private readonly earlyState: Record<string, unknown>,
    /** Chunks the session reads for the analysed level (its load progress). */
    readonly analysedChunks: number,
    private readonly openLevel: (level: number) => Promise<ZarrImage>,
  ) {}

  /**
   * The first view of `config`'s image, or null where there is none: not a single OME-Zarr store, or settings the
   * first view cannot follow (channel or time point out of range: the session reports those). Reads metadata only.
   */
  static async open(config: AnalysisConfig): Promise<FirstView | null> {
    const image = typeof config.image === 'string' ? config.image : config.image.length === 1 ? config.image[0] : null;
    if (image === null || !(await isZarrPath(image))) return null;
    // zarrita and the codecs load only for a Zarr input, as in io/image-stack.ts
    const { openZarrImage } = await import('../../io/zarr/zarr-stack.js');
    const level = config.resolutionLevel ?? 0;
    const analysed = await openZarrImage(image, level);
    const [T, Z, C, Y, X] = analysed.shapeTzcyx;
    const t = config.runtimeConfig.t ?? 0;
    const channels = FirstView.channelsOf(config);
    if (!Number.isInteger(t) || t < 0 || t >= T || channels.some((c) => !Number.isInteger(c.index) || c.index < 0 || c.index >= C)) return null;
    const distinct = new Set(channels.map((c) => c.index)).size;
    const openLevel = (k: number) => openZarrImage(image, k);
    // The session's view must be the stored planes for a first view of them to be its preview.
    const plain = !config.runtimeConfig.cropForTesting && modelConfigs(config).every((m) => m.zCrop === null && m.zProjection === null);
    const levels: LevelGeometry[] = [];
    if (plain) {
      for (let k = 0; k < analysed.ngff.levels.length; k++) {
        if (k === level) continue;
        try {
          const img = await openLevel(k);
          const [, Zk, Ck, Yk, Xk] = img.shapeTzcyx;
          const g = levelGeometry(analysed.ngff, level, k, [Zk, Yk, Xk]);
          // A level with other channels or time points is not a pyramid level of this image.
          if (Ck === C && img.shapeTzcyx[0] === T && isCoarser(g)) levels.push(g);
        } catch {
          // an unreadable coarse level only loses the early first paint; the analysed level decides errors
        }
      }
    }
    const resultsPaths = buildResultsPaths(image, { resultsDir: config.resultsDir, cropForTesting: null });
    const configPath = config.configPath ?? '';
    const savedShapes = await readSavedShapes([roiFilesBesideConfig(configPath).shapesPath, join(resultsPaths.resultsDir, `${resultsPaths.stem}_rois.json`)]);
    const voxel = resolveVoxelScale(config.voxelScaleZyx, { zyxUm: [...analysed.voxelUm], warnings: analysed.warnings }, Z > 1);
    const wire: Record<string, WireDtype> = { uint8: 'uint8', uint16: 'uint16', uint32: 'uint32', int16: 'int16' };
    const single = !!config.singleChannel;
    const earlyState: Record<string, unknown> = {
      configPath,
      stem: resultsPaths.stem,
      workflow: single ? 'single_channel' : 'two_channel',
      image: { shapeZyx: [Z, Y, X], voxelSizeUm: [...voxel.voxelSizeUm], dtype: wire[analysed.dtype] ?? 'float32', channels },
      layers: { rois: true, cell: false, marker: false, positive: false, optional_region: false },
      tables: [],
      cellpose: { cell: false, marker: false },
      methods: single
        ? { cell: config.singleChannel!.modelConfig.segmentationMethod }
        : {
            cell: config.cellModelConfig.segmentationMethod,
            marker: config.markerModelConfig.segmentationMethod,
            ...(config.optionalRegionModelConfig ? { optional_region: config.optionalRegionModelConfig.segmentationMethod } : {}),
          },
      shapes: savedShapes ?? (config.rois.kind === 'shapes' ? config.rois.shapes : []),
      busy: true,
      working: null,
      step: null,
      background: null,
      error: null,
      warnings: [],
      edited: { cell: false, marker: false },
    };
    return new FirstView(image, analysed, levels, channels, t, earlyState, chunkCount(analysed, distinct), openLevel);
  }

  /** The channels the session shows, as its `GET /api/state` lists them. */
  private static channelsOf(config: AnalysisConfig): FirstViewChannel[] {
    const sc = config.singleChannel;
    if (sc) return [{ role: 'cell', index: sc.channelIndex, name: config.displayNames.cell || `channel ${sc.channelIndex}` }];
    const cc = config.channelConfig;
    const dn = config.displayNames;
    const out: FirstViewChannel[] = [
      { role: 'cell', index: cc.cellChannel, name: dn.cell },
      { role: 'marker', index: cc.markerChannel, name: dn.marker },
    ];
    if (cc.optionalRegionChannel !== null) out.push({ role: 'optional_region', index: cc.optionalRegionChannel, name: dn.optionalRegion });
    return out;
  }

  /** Whether the store has a level to paint from (else only the load progress is used). */
  get hasLevels(): boolean {
    return this.levels.length > 0;
  }

  /** The analysed level's `[Z, Y, X]`. */
  get shapeZyx(): [number, number, number] {
    const [, Z, , Y, X] = this.analysed.shapeTzcyx;
    return [Z, Y, X];
  }

  /** One line for the command line: which level the first paint reads ahead, and which level the session reads. */
  describe(): string {
    const [, Y, X] = this.shapeZyx;
    const g = prefetchLevel(this.levels);
    const first = g ? `level ${g.level} (${g.shapeZyx[2]}×${g.shapeZyx[1]})` : 'its coarser levels';
    return `the page paints first from ${first} of the store while level ${this.analysed.level} (${X}×${Y}) is read`;
  }

  hasRole(role: ChannelRole): boolean {
    return this.channels.some((c) => c.role === role);
  }

  /**
   * `GET /api/state` before the session has loaded: what the session will answer, with no result layers or
   * tables yet, `busy` and `loading` (the app loads the session's own state once the analysed planes arrived).
   */
  state(progress: { stage: string; done?: number; total?: number }): Record<string, unknown> {
    return { ...this.earlyState, loading: true, progress, firstView: { levels: this.levels.map((g) => g.level) } };
  }

  private levelImage(level: number): Promise<ZarrImage> {
    let p = this.levelImages.get(level);
    if (!p) {
      p = this.openLevel(level);
      p.catch(() => this.levelImages.delete(level));
      this.levelImages.set(level, p);
    }
    return p;
  }

  /** Plane `z` (a level plane, or `max` = the max projection of the level) of channel `c` of level `g`. */
  private plane(g: LevelGeometry, c: number, z: number | 'max'): Promise<Volume> {
    const key = `${g.level}/${c}/${z}`;
    let p = this.planes.get(key);
    if (!p) {
      p = (async () => {
        const img = await this.levelImage(g.level);
        const [Zk, Yk, Xk] = g.shapeZyx;
        if (z === 'max') return maxProjection(await img.read(c, this.t, [[0, Zk], [0, Yk], [0, Xk]]));
        return img.read(c, this.t, [[z, z + 1], [0, Yk], [0, Xk]]);
      })();
      // A failed read is not kept: the next request tries again (or the session's block means answer it). The
      // first failure is kept for the command line: a corrupt coarse level should not pass unnoticed.
      p.catch((e: unknown) => {
        this.planes.delete(key);
        this.failure ??= `the first paint could not use level ${g.level} of ${this.path}: ${((e as Error)?.message ?? String(e)).split('\n')[0]}`;
      });
      this.planes.set(key, p);
    }
    return p;
  }

  /**
   * Reads ahead the planes the first paint most likely asks for (the first view's plane of every channel, from
   * `prefetchLevel`), while the page loads. Resolves when they are in memory (never rejects).
   */
  async prefetch(): Promise<void> {
    const g = prefetchLevel(this.levels);
    if (!g) return;
    const z = this.shapeZyx[0] > 1 ? 'max' : 0;
    await Promise.all(
      [...new Set(this.channels.map((c) => c.index))].map(async (c) => {
        try {
          const vol = await this.plane(g, c, z === 'max' ? 'max' : levelPlane(g, z));
          // The contrast limits too (a pass over the plane, ~50 ms at 4096²): the preview request then only averages.
          planeContrast({ ...toWire(vol.data), shapeYx: [vol.shape[1], vol.shape[2]] });
        } catch {
          // a level that cannot be read: its preview requests fall back to the session (server.ts)
        }
      }),
    );
  }

  /**
   * The preview of `role` at analysed plane `z` (or the max projection) for a reduction of `step` analysed pixels
   * per preview pixel, from the coarsest level that fits (`chooseLevel`), block-averaged further where the level
   * is finer than needed; `scaled`: as uint8 display levels of the coarse plane's contrast limits. null = no
   * level fits this step (or the role is not shown).
   */
  async channelPreview(role: ChannelRole, z: number | 'max', step: number, scaled: boolean): Promise<LevelPreview | null> {
    const ch = this.channels.find((c) => c.role === role);
    const g = chooseLevel(this.levels, step);
    if (!ch || !g) return null;
    const vol = await this.plane(g, ch.index, z === 'max' ? 'max' : levelPlane(g, z));
    const p: PlaneBytes = { ...toWire(vol.data), shapeYx: [vol.shape[1], vol.shape[2]] };
    const k = extraReduction(g, step);
    const contrast = planeContrast(p);
    const plane = scaled ? preview(p, k) : k > 1 ? downsampleMean(p, k) : p;
    return { plane, contrast, scaled, level: g.level, ...previewPlacement(g, k) };
  }

  /** A preview of `role` has been sent to a page. */
  markSent(role: ChannelRole): void {
    this.sentRoles.add(role);
    if (this.channels.every((c) => this.sentRoles.has(c.role))) this.paintedResolve();
  }

  /** Drops the coarse planes read (the session now has the analysed level; a later preview reads them again). */
  release(): void {
    this.planes.clear();
  }
}
