/**
 * Per-ROI segmentation driver (spec 4.1), shared by every backend and channel.
 *
 * For each ROI id ascending: bounding box → crop of the analysis z range → prefilter (on the box, Q18) →
 * zero voxels outside the ROI polygon on all planes → backend → (default, fix Q7) zero labels outside the
 * polygon → add the running offset → paste with element-wise max into the full-size uint32 image (Q43: where
 * boxes overlap, the later ROI's higher ids win).
 */
import type { Box2, LabelVolume, RoiLabels, Volume } from '../core/volume.js';
import type { ModelConfig } from '../config/types.js';
import { formatShape, maxLabel } from '../core/volume.js';
import { inputError, valueError } from '../core/errors.js';
import { applyPrefilter } from './prefilter.js';
import { backendFor, type CropSegmentation, type SegmentationBackend } from './backend.js';

export interface RoiSegmentationCall {
  roiId: number;
  box: Box2;
  info: CropSegmentation['info'];
}

/** In place: every non-zero label += offset (`relabel_with_offset`). */
export function relabelWithOffset(labels: Uint32Array, offset: number): void {
  if (offset === 0) return;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) labels[i] += offset;
}

/** Bounding boxes (half-open) of every non-zero ROI id, one pass over the ROI image, ids ascending. */
export function roiBoundingBoxes(roi: RoiLabels): Map<number, Box2> {
  const [Y, X] = roi.shape;
  const yMin = new Int32Array(65536).fill(-1);
  const yMax = new Int32Array(65536);
  const xMin = new Int32Array(65536);
  const xMax = new Int32Array(65536);
  const d = roi.data;
  let i = 0;
  for (let y = 0; y < Y; y++) {
    for (let x = 0; x < X; x++, i++) {
      const id = d[i];
      if (id === 0) continue;
      if (yMin[id] < 0) {
        yMin[id] = y; yMax[id] = y + 1; xMin[id] = x; xMax[id] = x + 1;
      } else {
        yMax[id] = y + 1; // rows are visited in order
        if (x < xMin[id]) xMin[id] = x;
        if (x + 1 > xMax[id]) xMax[id] = x + 1;
      }
    }
  }
  const out = new Map<number, Box2>();
  for (let id = 1; id < 65536; id++) {
    if (yMin[id] >= 0) out.set(id, { yMin: yMin[id], yMax: yMax[id], xMin: xMin[id], xMax: xMax[id] });
  }
  return out;
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
  onRoi?: (done: number, total: number) => void;
}

export async function segmentChannelByRoi(
  image: Volume,
  roiLabels: RoiLabels,
  config: ModelConfig,
  options: SegmentChannelOptions,
): Promise<{ labels: LabelVolume; calls: RoiSegmentationCall[] }> {
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
  const full = new Uint32Array(Z * Y * X);
  const calls: RoiSegmentationCall[] = [];
  const boxes = roiBoundingBoxes(roiLabels);
  const total = boxes.size;
  const zc = z1 - z0;
  const src = image.data;
  const roi = roiLabels.data;
  let offset = 0;
  let done = 0;
  for (const [roiId, box] of boxes) {
    const h = box.yMax - box.yMin;
    const w = box.xMax - box.xMin;
    const plane = h * w;
    const roiMask2d = new Uint8Array(plane);
    for (let y = 0; y < h; y++) {
      const r = (box.yMin + y) * X + box.xMin;
      for (let x = 0; x < w; x++) roiMask2d[y * w + x] = roi[r + x] === roiId ? 1 : 0;
    }
    // Crop copy straight into float32 (`astype(np.float32)` happens in the prefilter anyway).
    const cropData = new Float32Array(zc * plane);
    for (let z = 0; z < zc; z++) {
      for (let y = 0; y < h; y++) {
        const s = ((z0 + z) * Y + box.yMin + y) * X + box.xMin;
        const d = (z * h + y) * w;
        for (let x = 0; x < w; x++) cropData[d + x] = src[s + x];
      }
    }
    const filtered = applyPrefilter({ data: cropData, shape: [zc, h, w] }, config);
    const f = filtered.data;
    for (let z = 0, k = 0; z < zc; z++) {
      for (let p = 0; p < plane; p++, k++) if (!roiMask2d[p]) f[k] = 0;
    }
    const seg = await backend.segmentCrop(filtered, config, { roiId, voxelSizeUm: options.voxelSizeUm, roiMask2d });
    const labels = seg.labels.data;
    if (labels.length !== zc * plane) {
      throw valueError(`segmentation backend '${backend.method}' returned ${labels.length} labels for ROI ${roiId}, expected ${zc * plane}`);
    }
    // Running offset from the labels *as segmented*, so clipping (Q7 fix) never renumbers later ROIs.
    const rawMax = maxLabel(labels);
    if (clipToRoi) {
      for (let z = 0, k = 0; z < zc; z++) {
        for (let p = 0; p < plane; p++, k++) if (!roiMask2d[p]) labels[k] = 0;
      }
    }
    if (applyOffsets) relabelWithOffset(labels, offset);
    if (applyOffsets && rawMax > 0) offset += rawMax;
    for (let z = 0; z < zc; z++) {
      for (let y = 0; y < h; y++) {
        const t = ((z0 + z) * Y + box.yMin + y) * X + box.xMin;
        const s = (z * h + y) * w;
        for (let x = 0; x < w; x++) {
          const v = labels[s + x];
          if (v > full[t + x]) full[t + x] = v;
        }
      }
    }
    calls.push({ roiId, box, info: seg.info });
    done++;
    options.onRoi?.(done, total);
  }
  return { labels: { data: full, shape: [Z, Y, X] }, calls };
}
