/**
 * ROI ids, pixel counts and bounding boxes of a 2D ROI label image, in one pass (spec "Conventions":
 * `bbox(ROI k)` is half-open, `y_max = last row + 1`).
 */
import type { Box2, RoiLabels } from '../core/volume.js';

export interface RoiIndex {
  /** ROI ids present (non-zero), ascending. */
  readonly ids: number[];
  /** Pixel count of polygon(k) (the raster), aligned with `ids`. */
  readonly areaPx: number[];
  /** Half-open bbox of polygon(k), aligned with `ids`. */
  readonly boxes: Box2[];
}

/**
 * Index per ROI raster, keyed by its pixel array: a run asks for the ROI ids, boxes and areas from the segmentation
 * driver, the tables and the manifest (5 full-raster passes, ~40 ms on a 2048² image before this cache). ROI label
 * images are never changed in place — the viewer and the workflows replace them with new ones — so the array's
 * identity (with the shape) identifies the raster.
 */
const cache = new WeakMap<Uint16Array, { Y: number; X: number; index: RoiIndex }>();

/** Indexes their makers recorded (`rememberRoiIndex`), keyed by the raster object: its `data` may not exist yet. */
const remembered = new WeakMap<RoiLabels, { Y: number; X: number; index: RoiIndex }>();

function knownIndex(roi: RoiLabels): { Y: number; X: number; index: RoiIndex } | undefined {
  return remembered.get(roi) ?? cache.get(roi.data);
}

export function indexRois(roi: RoiLabels): RoiIndex {
  const [Y, X] = roi.shape;
  const hit = knownIndex(roi);
  if (hit && hit.Y === Y && hit.X === X) return hit.index;
  const index = computeRoiIndex(roi);
  cache.set(roi.data, { Y, X, index });
  return index;
}

/** The ROI id covering every pixel of the raster (the whole-image ROI), when its index is known already; else 0. */
export function uniformRoiId(roi: RoiLabels): number {
  const hit = knownIndex(roi);
  if (!hit || hit.Y !== roi.shape[0] || hit.X !== roi.shape[1]) return 0;
  const { ids, areaPx } = hit.index;
  return ids.length === 1 && areaPx[0] === hit.Y * hit.X ? ids[0] : 0;
}

/**
 * Records the index of a raster its maker knows without reading it (the full-image ROI: one id, every pixel), so
 * the first `indexRois` needs no pass over it (~10 ms on a 2048² image, issue 21) and `uniformRoiId` needs no `data`
 * (the full-image raster builds its array only when read). Kept for this raster object.
 */
export function rememberRoiIndex(roi: RoiLabels, ids: number[], areaPx: number[], boxes: Box2[]): void {
  for (const b of boxes) Object.freeze(b);
  const index = Object.freeze({ ids: Object.freeze(ids) as number[], areaPx: Object.freeze(areaPx) as number[], boxes: Object.freeze(boxes) as Box2[] });
  remembered.set(roi, { Y: roi.shape[0], X: roi.shape[1], index });
}

function computeRoiIndex(roi: RoiLabels): RoiIndex {
  const [Y, X] = roi.shape;
  const area = new Float64Array(65536);
  const yMin = new Int32Array(65536).fill(Y);
  const yMax = new Int32Array(65536);
  const xMin = new Int32Array(65536).fill(X);
  const xMax = new Int32Array(65536);
  const d = roi.data;
  // run by run along x: one update per run of equal ids
  for (let y = 0; y < Y; y++) {
    const row = y * X;
    let x = 0;
    while (x < X) {
      const r = d[row + x];
      let x1 = x + 1;
      while (x1 < X && d[row + x1] === r) x1++;
      if (r !== 0) {
        area[r] += x1 - x;
        if (y < yMin[r]) yMin[r] = y;
        if (y + 1 > yMax[r]) yMax[r] = y + 1;
        if (x < xMin[r]) xMin[r] = x;
        if (x1 > xMax[r]) xMax[r] = x1;
      }
      x = x1;
    }
  }
  const ids: number[] = [];
  const areaPx: number[] = [];
  const boxes: Box2[] = [];
  for (let r = 1; r < 65536; r++) {
    if (area[r] === 0) continue;
    ids.push(r);
    areaPx.push(area[r]);
    boxes.push({ yMin: yMin[r], yMax: yMax[r], xMin: xMin[r], xMax: xMax[r] });
  }
  // frozen: the index is shared by every caller of the same raster
  for (const b of boxes) Object.freeze(b);
  return Object.freeze({ ids: Object.freeze(ids) as number[], areaPx: Object.freeze(areaPx) as number[], boxes: Object.freeze(boxes) as Box2[] });
}

/** `[z0, z1)` clamped to `[0, Z]`; null → all planes. */
export function resolveZRange(zBounds: readonly [number, number] | null, Z: number): [number, number] {
  if (!zBounds) return [0, Z];
  const z0 = Math.max(0, Math.min(Z, Math.trunc(zBounds[0])));
  const z1 = Math.max(z0, Math.min(Z, Math.trunc(zBounds[1])));
  return [z0, z1];
}
