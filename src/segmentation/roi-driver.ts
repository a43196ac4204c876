/**
 * Per-ROI segmentation driver (spec 4.1), shared by every backend and channel.
 *
 * For each ROI id ascending: bounding box → crop of the analysis z range → prefilter (on the box, Q18) →
 * zero voxels outside the ROI polygon on all planes → backend → (default, fix Q7) zero labels outside the
 * polygon → add the running offset → paste with element-wise max into the full-size uint32 image (Q43: where
 * boxes overlap, the later ROI's higher ids win).
 */
import type { Box2, LabelData, LabelVolume, RoiLabels, Volume, VoxelData } from '../core/volume.js';
import type { LabelRuns } from '../core/label-runs.js';
import type { ModelConfig } from '../config/types.js';
import { formatShape } from '../core/volume.js';
import { inputError, valueError } from '../core/errors.js';
import { applyPrefilter } from './prefilter.js';
import { indexRois } from '../roi/roi-index.js';
import { backendFor, type CropSegmentation, type SegmentationBackend } from './backend.js';

export interface RoiSegmentationCall {
  roiId: number;
  box: Box2;
  info: CropSegmentation['info'];
}

/** Stored types whose every value is exactly a float32, so they can be thresholded without conversion. */
function isExactInFloat32(a: VoxelData): a is Uint8Array | Uint16Array | Int8Array | Int16Array | Float32Array {
  return a instanceof Uint8Array || a instanceof Uint16Array || a instanceof Int8Array || a instanceof Int16Array || a instanceof Float32Array;
}

/** Copy of the box `[z0, z0 + zc) × box` in the stored type. */
function copyBox(src: VoxelData, Y: number, X: number, z0: number, zc: number, box: Box2): VoxelData {
  const h = box.yMax - box.yMin;
  const w = box.xMax - box.xMin;
  const Ctor = src.constructor as new (n: number) => VoxelData;
  const out = new Ctor(zc * h * w);
  for (let z = 0; z < zc; z++) {
    for (let y = 0; y < h; y++) {
      const s = ((z0 + z) * Y + box.yMin + y) * X + box.xMin;
      out.set(src.subarray(s, s + w) as never, (z * h + y) * w);
    }
  }
  return out;
}

/**
 * An all-ones ROI mask of `plane` pixels, shared by every channel and ROI that fills its box: backends only
 * read `roiMask2d`, and a fresh 4 MiB mask per channel of a 2048² image costs more than the segmentation's
 * cleanup steps (fresh memory ~0.6 ms/MiB).
 */
let ones: Uint8Array | null = null;
function onesMask(plane: number): Uint8Array {
  if (!ones || ones.length !== plane) ones = new Uint8Array(plane).fill(1);
  return ones;
}

/** In place: every non-zero label += offset (`relabel_with_offset`); the caller makes sure the type holds the sums. */
export function relabelWithOffset(labels: LabelData, offset: number): void {
  if (offset === 0) return;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) labels[i] += offset;
}

/** `box` moved by the `[z, y, x]` origin's y and x (the box itself when there is none). */
export function shiftBox(box: Box2, origin: readonly [number, number, number] | null | undefined): Box2 {
  if (!origin || (origin[1] === 0 && origin[2] === 0)) return box;
  const [, dy, dx] = origin;
  return { yMin: box.yMin + dy, yMax: box.yMax + dy, xMin: box.xMin + dx, xMax: box.xMax + dx };
}

/** Bounding boxes (half-open) of every non-zero ROI id, ids ascending (one run-wise pass, `indexRois`). */
export function roiBoundingBoxes(roi: RoiLabels): Map<number, Box2> {
  const index = indexRois(roi);
  return new Map(index.ids.map((id, k) => [id, index.boxes[k]]));
}

export interface SegmentChannelOptions {
  /** Half-open analysis z range `[z0, z1)` (spec 12.1), or null for all planes. */
  zBounds: [number, number] | null;
  voxelSizeUm: readonly [number, number, number];
  backend?: SegmentationBackend;
  /** Add the running per-channel offset (default true; the original's third channel has none, Q8). */
  applyOffsets?: boolean;
  /** Zero labels outside the ROI polygon (default true = fix Q7; false = the original's initial run). */
  clipToRoi?: boolean;
  /**
   * Where `image` starts in the frame, `[z, y, x]`, when only an analysis window was read (issue 20.3,
   * pipeline/analysis-window.ts): the backends see ROI boxes and first planes in frame coordinates — the Cellpose
   * cache keys and headers are the full read's, so `refine` finds them either way — and the calls record them so.
   */
  frameOrigin?: readonly [number, number, number] | null;
  onRoi?: (done: number, total: number) => void;
}

export async function segmentChannelByRoi(
  image: Volume,
  roiLabels: RoiLabels,
  config: ModelConfig,
  options: SegmentChannelOptions,
): Promise<{
  labels: LabelVolume;
  calls: RoiSegmentationCall[];
  /** Voxel count per id of `labels` (index 0 = background) when known without a scan (one whole-image ROI). */
  labelCounts?: Float64Array;
  /** The runs of `labels` when known without a scan (one whole-image ROI, `core/label-runs.ts`). */
  labelRuns?: LabelRuns;
}> {
  const [Z, Y, X] = image.shape;
  if (roiLabels.shape[0] !== Y || roiLabels.shape[1] !== X) {
    throw inputError(`ROI label image has shape ${formatShape([...roiLabels.shape])}, expected the image's YX shape ${formatShape([Y, X])}`);
  }
  let z0 = 0;
  let z1 = Z;
  if (options.zBounds) {
    [z0, z1] = options.zBounds;
    if (!Number.isInteger(z0) || !Number.isInteger(z1) || z0 < 0 || z1 > Z || z0 >= z1) {
      throw valueError(`z bounds [${z0}, ${z1}) are not a non-empty range within the ${Z} planes of the image`);
    }
  }
  const backend = options.backend ?? backendFor(config);
  const applyOffsets = options.applyOffsets ?? true;
  const clipToRoi = options.clipToRoi ?? true;
  // Allocated lazily: with one ROI covering the whole image the segmented labels are the result (`wholeImage`, uint16
  // when the backend's ids fit, `LabelData`); ROIs pasted together always go into uint32.
  let wholeImage: LabelData | null = null;
  let fullData: Uint32Array | null = null;
  const fullArray = () => (fullData ??= new Uint32Array(Z * Y * X));
  const calls: RoiSegmentationCall[] = [];
  const index = indexRois(roiLabels);
  const total = index.ids.length;
  const zc = z1 - z0;
  const src = image.data;
  let offset = 0;
  let done = 0;
  let labelCounts: Float64Array | undefined;
  let labelRuns: LabelRuns | undefined;
  for (let k = 0; k < total; k++) {
    const roiId = index.ids[k];
    const box = index.boxes[k];
    const h = box.yMax - box.yMin;
    const w = box.xMax - box.xMin;
    const plane = h * w;
    // A ROI that fills its box (the whole-image ROI, rectangles) needs no zeroing or clipping passes; its
    // pixel count (from the index) says so without reading the ROI image again.
    const fillsBox = index.areaPx[k] === plane;
    const roiMask2d = fillsBox ? null : new Uint8Array(plane);
    if (roiMask2d) {
      // the raster itself only here: a whole-image ROI's may not even be built (roi/full-image.ts)
      const roi = roiLabels.data;
      for (let y = 0; y < h; y++) {
        const r = (box.yMin + y) * X + box.xMin;
        for (let x = 0; x < w; x++) roiMask2d[y * w + x] = roi[r + x] === roiId ? 1 : 0;
      }
    }
    // Crop copy straight into float32 (`astype(np.float32)` happens in the prefilter anyway).
    let crop: Volume;
    if (config.prefilter.length === 0 && fillsBox && isExactInFloat32(src)) {
      // Nothing to filter or zero: the backend may read the stored voxels directly (values exact in float32).
      // A box spanning whole planes is even contiguous in memory: a view, no copy at all.
      crop = { data: h === Y && w === X ? src.subarray(z0 * plane, z1 * plane) : copyBox(src, Y, X, z0, zc, box), shape: [zc, h, w] };
    } else {
      // Crop copy straight into float32 (`astype(np.float32)` happens in the prefilter anyway).
      const cropData = new Float32Array(zc * plane);
      for (let z = 0; z < zc; z++) {
        for (let y = 0; y < h; y++) {
          const s = ((z0 + z) * Y + box.yMin + y) * X + box.xMin;
          const d = (z * h + y) * w;
          for (let x = 0; x < w; x++) cropData[d + x] = src[s + x];
        }
      }
      const filtered = applyPrefilter({ data: cropData, shape: [zc, h, w] }, config, { inPlace: true });
      const f = filtered.data;
      if (roiMask2d) {
        for (let z = 0, k = 0; z < zc; z++) {
          for (let p = 0; p < plane; p++, k++) if (!roiMask2d[p]) f[k] = 0;
        }
      }
      crop = filtered;
    }
    const frameBox = shiftBox(box, options.frameOrigin);
    const frameZ0 = z0 + (options.frameOrigin?.[0] ?? 0);
    // The all-ones mask of a ROI filling its box only when a backend reads it (the threshold chain reads it only to
    // declump): 4 MiB of fresh memory on a 2048² image (issue 21).
    const seg = await backend.segmentCrop(crop, config, {
      roiId,
      voxelSizeUm: options.voxelSizeUm,
      get roiMask2d() {
        return roiMask2d ?? onesMask(plane);
      },
      roiFillsBox: fillsBox,
      box: frameBox,
      z0: frameZ0,
    });
    let labels = seg.labels.data;
    if (labels.length !== zc * plane) {
      throw valueError(`segmentation backend '${backend.method}' returned ${labels.length} labels for ROI ${roiId}, expected ${zc * plane}`);
    }
    // Running offset from the labels *as segmented*, so clipping (Q7 fix) never renumbers later ROIs.
    // The backend reports the largest id it produced (no rescan of the labels).
    const rawMax = seg.info.nLabelsRaw;
    if (clipToRoi && roiMask2d) {
      for (let z = 0, k = 0; z < zc; z++) {
        for (let p = 0; p < plane; p++, k++) if (!roiMask2d[p]) labels[k] = 0;
      }
    }
    // uint16 labels (`LabelData`) whose ids would pass 65535 with the offset are widened first
    if (applyOffsets && offset > 0 && labels instanceof Uint16Array && offset + rawMax > 0xffff) labels = new Uint32Array(labels);
    if (applyOffsets) relabelWithOffset(labels, offset);
    if (applyOffsets && rawMax > 0) offset += rawMax;
    if (total === 1 && zc === Z && h === Y && w === X) {
      // One ROI covering the whole image (the default `rois: full`): its labels are the result. With offset 0
      // and nothing clipped they are the backend's own, so its counts and runs still describe them.
      wholeImage = labels;
      if (fillsBox || !clipToRoi) {
        labelCounts = seg.labelCounts;
        labelRuns = seg.labelRuns;
      }
    } else for (let z = 0, full = fullArray(); z < zc; z++) {
      for (let y = 0; y < h; y++) {
        const t = ((z0 + z) * Y + box.yMin + y) * X + box.xMin;
        const s = (z * h + y) * w;
        for (let x = 0; x < w; x++) {
          const v = labels[s + x];
          if (v > full[t + x]) full[t + x] = v;
        }
      }
    }
    calls.push({ roiId, box: frameBox, info: seg.info });
    done++;
    options.onRoi?.(done, total);
    // One turn of the event loop per ROI: the thread pool's finished tasks (the TIFFs encoded ahead, the input's
    // digest) hand over their next piece of work now instead of waiting until the export (issue 21).
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { labels: { data: wholeImage ?? fullArray(), shape: [Z, Y, X] }, calls, ...(labelCounts ? { labelCounts } : {}), ...(labelRuns ? { labelRuns } : {}) };
}
