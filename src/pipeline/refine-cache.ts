/**
 * Rebuilding one channel's labels from its Cellpose cache entries (spec 5.5, fixes Q7, Q9, Q10; see refine.ts):
 * each entry is checked against the current ROI, z range and network settings, its mask stage recomputed with the
 * new thresholds, clipped to the ROI polygon, offset like the run and pasted into its planes. Shared by the
 * two-channel refinement (refine.ts), the single-channel one (single-channel-refine.ts) and the viewer's worker.
 */
import type { ModelConfig } from '../config/types.js';
import type { LabelVolume, RoiLabels } from '../core/volume.js';
import { formatShape, maxLabel } from '../core/volume.js';
import { inputError, valueError } from '../core/errors.js';
import { indexRois } from '../roi/roi-index.js';
import { relabelWithOffset, shiftBox, type RoiSegmentationCall } from '../segmentation/roi-driver.js';
import { readCacheEntry, cacheFileName, type CacheChannel, type CellposeCacheEntry } from '../segmentation/cellpose/cache.js';
import { defaultCellposeStages, resolveCellposeEval, type CellposeStages } from '../segmentation/cellpose/backend.js';
import { join } from 'node:path';

/** How one channel was obtained, with the thresholds used (recorded in the manifest's `refinement`). */
export interface RefinedChannelInfo {
  source: 'cellpose_cache' | 'threshold_resegmentation' | 'kept';
  cellprobThreshold: number | null;
  flowThreshold: number | null;
  /** Where each threshold came from (fix Q10 order: argument, config, cache). */
  thresholdSource: { cellprob: 'argument' | 'config' | 'cache' | null; flow: 'argument' | 'config' | 'cache' | null };
  cacheFiles: string[];
  rawLabelCounts: number[];
}

/** A threshold: argument ?? config ?? cached run value (fix Q10), with where it came from. */
function pick(arg: number | null | undefined, config: ModelConfig | null, key: 'cellprobThreshold' | 'flowThreshold', cached: number) {
  if (arg !== null && arg !== undefined) {
    if (!Number.isFinite(arg)) throw valueError(`refine: ${key === 'cellprobThreshold' ? 'cellprob_threshold' : 'flow_threshold'} must be a finite number, got ${arg}`);
    return { value: arg, source: 'argument' as const };
  }
  if (config) return { value: config[key], source: 'config' as const };
  return { value: cached, source: 'cache' as const };
}

/** Checks that a cache entry belongs to this ROI and this analysis (geometry, z range, network settings). */
function checkEntry(
  e: CellposeCacheEntry,
  roiId: number,
  box: { yMin: number; yMax: number; xMin: number; xMax: number },
  roiMask: Uint8Array,
  zRange: [number, number],
  config: ModelConfig | null,
  voxelSizeUm: readonly [number, number, number],
  key: string,
): void {
  const h = e.header;
  const b = h.bbox;
  const rerun = 'run `cellcoloc run` again to refresh the cache';
  if (h.roiId !== roiId || b.yMin !== box.yMin || b.yMax !== box.yMax || b.xMin !== box.xMin || b.xMax !== box.xMax) {
    throw inputError(
      `${e.path}: cached ROI ${h.roiId} box y[${b.yMin}, ${b.yMax}) x[${b.xMin}, ${b.xMax}) does not match ROI ${roiId} box y[${box.yMin}, ${box.yMax}) x[${box.xMin}, ${box.xMax}) of the current ROIs; ${rerun}`,
    );
  }
  for (let i = 0; i < roiMask.length; i++) {
    if ((e.roiMask[i] !== 0) !== (roiMask[i] !== 0)) throw inputError(`${e.path}: the cached outline of ROI ${roiId} differs from the current ROI; ${rerun}`);
  }
  if (h.z0 !== zRange[0] || h.zDepth !== zRange[1] - zRange[0]) {
    throw inputError(
      `${e.path}: cached z range [${h.z0}, ${h.z0 + h.zDepth}) differs from the analysed planes [${zRange[0]}, ${zRange[1]}) (z_crop changed?); ${rerun}`,
    );
  }
  if (config) {
    const ev = resolveCellposeEval(config, h.shape, voxelSizeUm, key);
    const n = h.network;
    const same =
      n.diameter === config.diameter &&
      n.do3d === ev.do3d &&
      n.anisotropy === ev.anisotropy &&
      n.flow3dSmooth === config.flow3dSmooth &&
      n.prefilter.names.join(',') === config.prefilter.join(',') &&
      (config.prefilter.length === 0 ||
        (n.prefilter.sigmaXy === config.prefilterSigmaXy &&
          n.prefilter.sigmaZ === config.prefilterSigmaZ &&
          n.prefilter.medianSizeXy === config.prefilterMedianSizeXy &&
          n.prefilter.medianSizeZ === config.prefilterMedianSizeZ));
    if (!same) {
      throw inputError(
        `${e.path}: ${key} network settings (diameter, do_3d, anisotropy, flow3d_smooth, prefilter) differ from the cached run's; only thresholds can be refined, ${rerun}`,
      );
    }
  }
}

/** What rebuilding one channel from its cache needs (shared by the two-channel and single-channel refinements). */
export interface CacheRebuildContext {
  /** Analysis shape `[Z, Y, X]` (every channel's). */
  shape: readonly [number, number, number];
  /** Analysed planes `[z0, z1)`, or null = all (a projected or one-plane view). */
  zBounds: [number, number] | null;
  voxelSizeUm: readonly [number, number, number];
  roiLabels: RoiLabels;
  cacheDir: string;
  /** Config key named in errors (`cell_model_config`, `model_config`, …). */
  configKey: string;
  stages?: Pick<CellposeStages, 'computeMasks'>;
  /**
   * Where the analysed arrays start in the frame, `[z, y, x]`, when only an analysis window was read (issue 20.3):
   * the cache entries hold frame coordinates (roi-driver.ts `frameOrigin`); absent = the whole frame.
   */
  frameOrigin?: readonly [number, number, number] | null;
  readEntry?: (path: string) => Promise<CellposeCacheEntry | null>;
}

/**
 * One channel's labels rebuilt from its cache entries (one per ROI) with thresholds `argument ?? config ?? cache`:
 * the mask stage per entry, clipped to the ROI polygon and offset like the run (Q7), pasted into its planes (Q9).
 */
export async function rebuildChannelFromCache(
  channel: CacheChannel,
  ctx: CacheRebuildContext,
  config: ModelConfig | null,
  argCellprob: number | null | undefined,
  argFlow: number | null | undefined,
): Promise<{ labels: LabelVolume; calls: RoiSegmentationCall[]; info: RefinedChannelInfo }> {
  const { roiLabels, cacheDir } = ctx;
  const key = ctx.configKey;
  const [Z, Y, X] = ctx.shape;
  const zb = ctx.zBounds ?? [0, Z];
  const computeMasks = (ctx.stages ?? defaultCellposeStages).computeMasks;
  const index = indexRois(roiLabels);
  const roi = roiLabels.data;
  // One ROI covering every pixel of every plane (rois: full, no z-crop): its labels are the full image, no paste.
  let full: Uint32Array | null = null;
  const calls: RoiSegmentationCall[] = [];
  const info: RefinedChannelInfo = {
    source: 'cellpose_cache',
    cellprobThreshold: null,
    flowThreshold: null,
    thresholdSource: { cellprob: null, flow: null },
    cacheFiles: [],
    rawLabelCounts: [],
  };
  let offset = 0;
  for (let k = 0; k < index.ids.length; k++) {
    const roiId = index.ids[k];
    const box = index.boxes[k];
    const path = join(cacheDir, cacheFileName(channel, roiId));
    const entry = await (ctx.readEntry ?? readCacheEntry)(path);
    if (!entry) {
      throw inputError(`${path}: no Cellpose cache for ${channel} ROI ${roiId}; run \`cellcoloc run\` with segmentation_method cellpose first`);
    }
    const h = box.yMax - box.yMin;
    const w = box.xMax - box.xMin;
    const plane = h * w;
    const roiMask = new Uint8Array(plane);
    let inside = 0;
    for (let y = 0; y < h; y++) {
      const r = (box.yMin + y) * X + box.xMin;
      for (let x = 0; x < w; x++) inside += roiMask[y * w + x] = roi[r + x] === roiId ? 1 : 0;
    }
    const oz = ctx.frameOrigin?.[0] ?? 0;
    checkEntry(entry, roiId, shiftBox(box, ctx.frameOrigin), roiMask, [zb[0] + oz, zb[1] + oz], config, ctx.voxelSizeUm, key);
    const cp = pick(argCellprob, config, 'cellprobThreshold', entry.header.mask.cellprobThreshold);
    const fl = pick(argFlow, config, 'flowThreshold', entry.header.mask.flowThreshold);
    info.cellprobThreshold = cp.value;
    info.flowThreshold = fl.value;
    info.thresholdSource = { cellprob: cp.source, flow: fl.source };
    info.cacheFiles.push(path);
    const params = { ...entry.header.mask, cellprobThreshold: cp.value, flowThreshold: fl.value };
    const labels = computeMasks(entry.dP, entry.cellprob, entry.header.shape, params);
    const zc = entry.header.zDepth;
    if (labels.length !== zc * plane) {
      throw valueError(`${path}: the mask stage returned ${labels.length} labels, expected ${formatShape(entry.header.shape)}`);
    }
    // As the run (roi-driver.ts): offset from the labels as computed, then clip to the polygon (fix Q7).
    const rawMax = maxLabel(labels);
    info.rawLabelCounts.push(rawMax);
    if (inside !== plane) {
      for (let z = 0, i = 0; z < zc; z++) for (let p = 0; p < plane; p++, i++) if (!roiMask[p]) labels[i] = 0;
    }
    relabelWithOffset(labels, offset);
    if (rawMax > 0) offset += rawMax;
    // fix Q9: paste into the cached planes [z0, z0 + d) only.
    const z0 = entry.header.z0 - oz; // the cached first plane, in the analysed (window) stack
    if (index.ids.length === 1 && plane === Y * X && zc === Z && z0 === 0) full = labels;
    full ??= new Uint32Array(Z * Y * X);
    for (let z = 0; full !== labels && z < zc; z++) {
      for (let y = 0; y < h; y++) {
        const t = ((z0 + z) * Y + box.yMin + y) * X + box.xMin;
        const s = (z * h + y) * w;
        for (let x = 0; x < w; x++) {
          const v = labels[s + x];
          if (v > full[t + x]) full[t + x] = v;
        }
      }
    }
    calls.push({
      roiId,
      box: shiftBox(box, ctx.frameOrigin), // frame coordinates, as the run records them
      info: {
        method: 'cellpose',
        threshold: null,
        nValues: zc * plane,
        nLabelsRaw: rawMax,
        cellpose: { refined: true, cacheFile: path, niter: params.niter, cellprobThreshold: cp.value, flowThreshold: fl.value, modelSha256: entry.header.model.sha256 },
      },
    });
  }
  return { labels: { data: full ?? new Uint32Array(Z * Y * X), shape: [Z, Y, X] }, calls, info };
}
