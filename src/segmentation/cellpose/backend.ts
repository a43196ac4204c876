/**
 * The Cellpose segmentation backend (spec 5.1–5.2, issue 7): per ROI crop from the driver (`roi-driver.ts`,
 * spec 4.1) → network stage (flows + cell probability; skipped on a cache hit) → mask stage (`computeMasks`
 * with CellColoc's fixed constants) → uint32 labels. The network outputs are cached on disk (`cache.ts`) so
 * that `cellcoloc refine` and a re-run with changed thresholds never run the network again.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Box2, Volume } from '../../core/volume.js';
import type { AnalysisConfig, ModelConfig } from '../../config/types.js';
import { configError, valueError } from '../../core/errors.js';
import { maxLabel } from '../../core/volume.js';
import type { CropSegmentation, SegmentationBackend } from '../backend.js';
import type { CellposeModelInfo, CellposeNetOutput, MaskParams } from './types.js';
import { cacheFileName, cacheKey, cellposeCacheDir, networkSettings, readCacheEntry, writeCacheEntry, type CacheChannel } from './cache.js';
import { join } from 'node:path';
import type { CellposeModel } from './network/index.js';
import { computeMasks } from './dynamics/index.js';

/** CellColoc's hard-coded `_compute_masks` constants (spec 5.2, Q12). */
export const CELLPOSE_MIN_SIZE = 15;
export const CELLPOSE_MAX_SIZE_FRACTION = 0.4;
export const CELLPOSE_STITCH_THRESHOLD = 0;

/** Options of the network stage for one crop (what `runCellposeNetwork` receives). */
export interface CellposeNetworkOptions {
  do3d: boolean;
  diameter: number | null;
  anisotropy: number | null;
  flow3dSmooth: number;
  zAxis: number;
  channelAxis: number | null;
}

/** A loaded network as the backend sees it: only its description is read here. */
export interface CellposeModelHandle {
  info: CellposeModelInfo;
}

/** The three stages, injectable so tests can count network calls or replace the network. */
export interface CellposeStages {
  resolveModelPath(nameOrPath: string): string | Promise<string>;
  /** The model's description (metadata or sidecar) without opening an inference session. */
  readModelInfo(path: string): CellposeModelInfo | Promise<CellposeModelInfo>;
  loadModel(path: string, options: { useGpu: boolean; warn: (message: string) => void }): Promise<CellposeModelHandle>;
  runNetwork(model: CellposeModelHandle, crop: Volume, options: CellposeNetworkOptions): Promise<CellposeNetOutput>;
  computeMasks(dP: Float32Array, cellprob: Float32Array, shape: [number, number, number], params: MaskParams): Uint32Array;
}

/**
 * The network stage is imported on first use: it loads onnxruntime's native library (~0.15 s), which runs
 * with only threshold methods never need.
 */
const network = () => import('./network/index.js');

export const defaultCellposeStages: CellposeStages = {
  resolveModelPath: async (name) => (await network()).resolveModelPath(name),
  readModelInfo: async (path) => (await network()).readModelInfo(path),
  loadModel: async (path, options) => (await network()).loadCellposeModel(path, options),
  runNetwork: async (model, crop, options) =>
    (await network()).runCellposeNetwork(model as CellposeModel, crop as { data: Float32Array; shape: [number, number, number] }, options),
  computeMasks: (dP, cellprob, shape, params) => computeMasks(dP, cellprob, shape, params),
};

export interface LoadedCellposeModel {
  /** As written in the config. */
  nameOrPath: string;
  path: string;
  sha256: string;
  info: CellposeModelInfo;
  /**
   * The inference session, opened on first use: a run whose every ROI is a cache hit never opens it (for
   * cpsam, ~1.2 GB of weights, that saves seconds).
   */
  handle(): Promise<CellposeModelHandle>;
}

async function sha256OfFile(path: string): Promise<string> {
  const h = createHash('sha256');
  await new Promise<void>((res, rej) => {
    const s = createReadStream(path, { highWaterMark: 1 << 20 });
    s.on('data', (c) => h.update(c));
    s.on('error', rej);
    s.on('end', () => res());
  });
  return h.digest('hex');
}

/**
 * Models of one run, shared per resolved file path (spec 5.1: cell and marker with the same model get one
 * instance; the original rebuilt models on every run, so a pool lives for one run).
 */
export class CellposeModelPool {
  private readonly models = new Map<string, Promise<LoadedCellposeModel>>();
  private readonly byName = new Map<string, Promise<LoadedCellposeModel>>();
  /** Number of models actually loaded (tests: one for two channels with the same model). */
  loadCount = 0;
  constructor(
    readonly stages: CellposeStages,
    readonly options: { useGpu: boolean; warn: (message: string) => void },
  ) {}

  get(nameOrPath: string): Promise<LoadedCellposeModel> {
    let p = this.byName.get(nameOrPath);
    if (!p) {
      p = (async () => {
        const path = await this.stages.resolveModelPath(nameOrPath);
        let m = this.models.get(path);
        if (!m) {
          m = (async () => {
            const [info, sha256] = await Promise.all([this.stages.readModelInfo(path), sha256OfFile(path)]);
            let session: Promise<CellposeModelHandle> | null = null;
            const handle = () => {
              if (!session) {
                this.loadCount++;
                session = this.stages.loadModel(path, this.options);
                session.catch(() => (session = null));
              }
              return session;
            };
            return { nameOrPath, path, sha256, info, handle };
          })();
          this.models.set(path, m);
        }
        return m;
      })();
      this.byName.set(nameOrPath, p);
      // A failed load is not cached: a later call retries (and reports the error again).
      p.catch(() => this.byName.delete(nameOrPath));
    }
    return p;
  }
}

/** Resolved evaluation parameters for one crop (spec 5.2). */
export interface CellposeEvalParams {
  do3d: boolean;
  /** null = no anisotropy correction. */
  anisotropy: number | null;
  niter: number;
}

/** `niter = int(200 / (30 / diameter))` if diameter > 0 else 200 (spec 5.2; same float64 operations as Python). */
export function cellposeNiter(diameter: number | null): number {
  return diameter !== null && diameter > 0 ? Math.trunc(200 / (30 / diameter)) : 200;
}

/**
 * spec 5.2: `do3d = do_3d ?? (Z > 1)`; `do_3d: false` with Z > 1 → ValueError; flow3d_smooth in [0, 10];
 * anisotropy (3D only): false → none, a number > 0 → as is, true → z / ((y + x) / 2) unless z ≤ 1.25·xy.
 */
export function resolveCellposeEval(
  config: ModelConfig,
  cropShape: readonly [number, number, number],
  voxelSizeUm: readonly [number, number, number],
  key = 'model_config',
): CellposeEvalParams {
  const Z = cropShape[0];
  const do3d = config.do3d ?? Z > 1;
  if (!Number.isInteger(config.flow3dSmooth) || config.flow3dSmooth < 0 || config.flow3dSmooth > 10) {
    throw valueError(`${key}.flow3d_smooth: expected an integer from 0 to 10, got ${config.flow3dSmooth}`);
  }
  if (!do3d && Z !== 1) {
    throw valueError(`${key}.do_3d: false needs a single z plane, but the crop has ${Z} planes (set do_3d to true or null)`);
  }
  let anisotropy: number | null = null;
  if (do3d) {
    const a = config.anisotropy;
    if (typeof a === 'number') {
      if (!(a > 0) || !Number.isFinite(a)) throw valueError(`${key}.anisotropy: expected false, true or a number > 0, got ${a}`);
      anisotropy = a;
    } else if (a === true) {
      const [z, y, x] = voxelSizeUm;
      const xy = (y + x) / 2;
      anisotropy = z <= 1.25 * xy ? null : z / xy;
    }
  }
  return { do3d, anisotropy, niter: cellposeNiter(config.diameter) };
}

export interface CellposeBackendOptions {
  /** Which channel (cache file names, error messages). */
  channel: CacheChannel;
  pool: CellposeModelPool;
  /** Cache folder, or null for no on-disk cache. */
  cacheDir: string | null;
  /** Called once per network run (tests count them). */
  onNetworkCall?: (info: { channel: CacheChannel; roiId: number }) => void;
}

/** Per-ROI details recorded in the manifest. */
export interface CellposeCallInfo {
  modelNameOrPath: string;
  modelPath: string;
  modelSha256: string;
  cellposeVersion: 3 | 4;
  do3d: boolean;
  anisotropy: number | null;
  diameter: number | null;
  flow3dSmooth: number;
  niter: number;
  cellprobThreshold: number;
  flowThreshold: number;
  minSize: number;
  maxSizeFraction: number;
  cache: 'hit' | 'miss' | 'off';
  cacheFile: string | null;
  cacheKey: string;
}

export function createCellposeBackend(options: CellposeBackendOptions): SegmentationBackend {
  const { channel, pool } = options;
  const key = channel === 'optional_region' ? 'optional_region_model_config' : channel === 'object' ? 'model_config' : `${channel}_model_config`;
  return {
    method: 'cellpose',
    async segmentCrop(crop, config, ctx): Promise<CropSegmentation> {
      const name = config.modelNameOrPath;
      if (name === null || name.trim() === '') {
        throw configError(
          `${key}.model_name_or_path: required for segmentation_method cellpose (a built-in model name or an .onnx file path), got ${JSON.stringify(name)}`,
        );
      }
      const shape = crop.shape as [number, number, number];
      const ev = resolveCellposeEval(config, shape, ctx.voxelSizeUm, key);
      const model = await pool.get(name);
      const info = model.info;
      const box: Box2 = ctx.box ?? { yMin: 0, yMax: shape[1], xMin: 0, xMax: shape[2] };
      const z0 = ctx.z0 ?? 0;
      const settings = networkSettings(config, { modelSha256: model.sha256, do3d: ev.do3d, anisotropy: ev.anisotropy });
      const k = cacheKey(crop, box, z0, settings);
      const mask: MaskParams = {
        cellprobThreshold: config.cellprobThreshold,
        flowThreshold: config.flowThreshold,
        minSize: CELLPOSE_MIN_SIZE,
        maxSizeFraction: CELLPOSE_MAX_SIZE_FRACTION,
        niter: ev.niter,
        do3d: ev.do3d,
        stitchThreshold: CELLPOSE_STITCH_THRESHOLD,
        cellposeVersion: info.cellposeVersion,
      };
      let net: CellposeNetOutput | null = null;
      let cache: CellposeCallInfo['cache'] = 'off';
      let cacheFile: string | null = null;
      if (options.cacheDir) {
        cacheFile = join(options.cacheDir, cacheFileName(channel, ctx.roiId));
        const entry = await readCacheEntry(cacheFile).catch(() => null); // a corrupt file is a miss (and is replaced)
        if (entry && entry.header.key === k) {
          net = { shape: entry.header.shape, do3d: entry.header.mask.do3d, dP: entry.dP, cellprob: entry.cellprob };
          cache = 'hit';
        } else cache = 'miss';
      }
      if (!net) {
        options.onNetworkCall?.({ channel, roiId: ctx.roiId });
        // The network stage reads float32 (`astype(np.float32)`); unfiltered integer crops are converted here.
        const input: Volume = crop.data instanceof Float32Array ? crop : { data: Float32Array.from(crop.data as ArrayLike<number>), shape };
        net = await pool.stages.runNetwork(await model.handle(), input, {
          do3d: ev.do3d,
          diameter: config.diameter,
          anisotropy: ev.anisotropy,
          flow3dSmooth: config.flow3dSmooth,
          zAxis: config.zAxis,
          channelAxis: config.channelAxis,
        });
        checkNetOutput(net, shape, ev.do3d, `${key} ROI ${ctx.roiId}`);
        if (options.cacheDir) {
          await writeCacheEntry(options.cacheDir, {
            key: k,
            channel,
            roiId: ctx.roiId,
            box,
            z0,
            net,
            roiMask: ctx.roiMask2d,
            model: { path: model.path, sha256: model.sha256, cellposeVersion: info.cellposeVersion, architecture: info.architecture },
            network: settings,
            mask,
          });
        }
      }
      const labels = pool.stages.computeMasks(net.dP, net.cellprob, shape, mask);
      const nLabelsRaw = maxLabel(labels);
      const cellpose: CellposeCallInfo = {
        modelNameOrPath: name,
        modelPath: model.path,
        modelSha256: model.sha256,
        cellposeVersion: info.cellposeVersion,
        do3d: ev.do3d,
        anisotropy: ev.anisotropy,
        diameter: config.diameter,
        flow3dSmooth: config.flow3dSmooth,
        niter: ev.niter,
        cellprobThreshold: mask.cellprobThreshold,
        flowThreshold: mask.flowThreshold,
        minSize: mask.minSize,
        maxSizeFraction: mask.maxSizeFraction,
        cache,
        cacheFile,
        cacheKey: k,
      };
      return {
        labels: { data: labels, shape },
        info: { method: 'cellpose', threshold: null, nValues: crop.data.length, nLabelsRaw, cellpose },
      };
    },
  };
}

/** spec 5.2: 3D must give dP `(3, Z, h, w)`, 2D `(2, 1, h, w)`; cellprob `(Z, h, w)`. */
export function checkNetOutput(net: CellposeNetOutput, shape: readonly [number, number, number], do3d: boolean, where: string): void {
  const [Z, h, w] = shape;
  const nFlow = do3d ? 3 : 2;
  const ok =
    net.shape[0] === Z &&
    net.shape[1] === h &&
    net.shape[2] === w &&
    net.do3d === do3d &&
    net.dP.length === nFlow * Z * h * w &&
    net.cellprob.length === Z * h * w;
  if (!ok) {
    throw valueError(
      `${where}: the Cellpose network returned shape (${net.shape.join(', ')}), dP ${net.dP.length} and cellprob ${net.cellprob.length} values, expected (${Z}, ${h}, ${w}) with ${nFlow} flow components`,
    );
  }
}

/**
 * Backends for the channels of one run whose method is `cellpose` (others: undefined = the driver's default),
 * sharing one model pool (spec 5.1).
 */
export function createCellposeBackends(
  configs: { cell: ModelConfig; marker: ModelConfig },
  options: {
    useGpu: boolean;
    warn: (message: string) => void;
    cacheDir: string | null;
    stages?: CellposeStages;
    onNetworkCall?: CellposeBackendOptions['onNetworkCall'];
  },
): { cell?: SegmentationBackend; marker?: SegmentationBackend; pool: CellposeModelPool } {
  const pool = new CellposeModelPool(options.stages ?? defaultCellposeStages, { useGpu: options.useGpu, warn: options.warn });
  const mk = (channel: 'cell' | 'marker') =>
    createCellposeBackend({ channel, pool, cacheDir: options.cacheDir, onNetworkCall: options.onNetworkCall });
  return {
    cell: configs.cell.segmentationMethod === 'cellpose' ? mk('cell') : undefined,
    marker: configs.marker.segmentationMethod === 'cellpose' ? mk('marker') : undefined,
    pool,
  };
}

/**
 * The Cellpose backends of a whole-config run (`cellcoloc run`, `runWorkflow`): GPU from
 * `runtime_config.use_gpu`, cache in `<results>/<stem>_cellpose_cache/`. Empty when no channel uses Cellpose.
 */
export function cellposeBackendsForConfig(
  config: AnalysisConfig,
  /** The run's results folder and file stem (export/results-paths.ts): the network cache lives there. */
  results: { resultsDir: string; stem: string },
  options: { warn: (message: string) => void; stages?: CellposeStages; onNetworkCall?: CellposeBackendOptions['onNetworkCall'] },
): { cell?: SegmentationBackend; marker?: SegmentationBackend; optionalRegion?: SegmentationBackend } {
  const region = config.optionalRegionModelConfig;
  const regionCellpose = region !== null && region.segmentationMethod === 'cellpose';
  if (config.cellModelConfig.segmentationMethod !== 'cellpose' && config.markerModelConfig.segmentationMethod !== 'cellpose' && !regionCellpose) {
    return {};
  }
  // Before any work: a Cellpose channel without a model is a config error naming the key (spec 2.4, 5.1).
  for (const [key, m] of [['cell_model_config', config.cellModelConfig], ['marker_model_config', config.markerModelConfig], ['optional_region_model_config', region]] as const) {
    if (m && m.segmentationMethod === 'cellpose' && (m.modelNameOrPath === null || m.modelNameOrPath.trim() === '')) {
      throw configError(
        `${config.configPath ?? 'config'}: ${key}.model_name_or_path: required for segmentation_method cellpose (a built-in model name or an .onnx file path), got ${JSON.stringify(m.modelNameOrPath)}`,
      );
    }
  }
  const cacheDir = cellposeCacheDir(results.resultsDir, results.stem);
  const { cell, marker } = createCellposeBackends(
    { cell: config.cellModelConfig, marker: config.markerModelConfig },
    { useGpu: config.runtimeConfig.useGpu, warn: options.warn, cacheDir, stages: options.stages, onNetworkCall: options.onNetworkCall },
  );
  // spec 5.1: the third channel always gets its own model instance (its own pool).
  const optionalRegion = regionCellpose
    ? createCellposeBackend({
        channel: 'optional_region',
        pool: new CellposeModelPool(options.stages ?? defaultCellposeStages, { useGpu: config.runtimeConfig.useGpu, warn: options.warn }),
        cacheDir,
        onNetworkCall: options.onNetworkCall,
      })
    : undefined;
  return { cell, marker, optionalRegion };
}
