/**
 * The seeded watershed of a NEGATED Euclidean distance map (declumping's `shape` dividing lines, CellProfiler
 * IdentifyPrimaryObjects "Method to draw dividing lines: Shape"; `skimage.segmentation.watershed(-distance,
 * markers, mask=mask)`): the deepest voxels flood first. The same labels, to the voxel, as `seededWatershed` of
 * the negated map; only the ranking differs.
 *
 * Why: on a plane with square pixels of side s, the exact distance transform (`distance-transform.ts`) holds only
 * values g(k) = fround(√fl(s² · k)) for integer k (squared distances in pixels). The integer k itself then ranks
 * the voxels: no negated copy, no sorting or hashing of float keys. Every voxel's value is checked to be g(k);
 * any other map (anisotropic pixels, a smoothed map, 3-D) falls back to ranking the negated values.
 */
import type { Shape3 } from '../../core/volume.js';
import { valueError } from '../../core/errors.js';
import { GrowBuffer } from './grow-buffer.js';
import { floodByRank, maskBorderEmpty, seededWatershed } from './watershed.js';
import { squaredDistanceTop } from './distance-transform-int.js';
import { distanceWatershedPlaneWasm, floodPlaneWasm } from './declump-wasm-merge.js';
import { WASM_PLANE_VOXELS } from './declump-wasm.js';

const rankScratch = new GrowBuffer(Int32Array);
const negatedScratch = new GrowBuffer(Float32Array);
/** g(0), g(1), … for the squared pixel size `gPixel2` (grown on demand). */
let gTable = new Float32Array(0);
let gPixel2 = 0;

/**
 * In place: `labels` holds the markers on entry and the flooded labels on return (as `seededWatershed`).
 * @param pixel2 the squared pixel size (y and x spacing equal), or 0 when they differ (always the fallback)
 * @param ranks `squaredDistanceTop(Y, X)` − k of every in-mask voxel, as `unitPlaneDistanceTransform` writes them
 * with `dist` (unit pixels: dist = √k exactly), or null to derive them from `dist` here
 */
export function seededWatershedOfDistance(dist: Float32Array, labels: Uint32Array, mask: Uint8Array, shape: Shape3, pixel2: number, ranks: Int32Array | null = null): void {
  const [Z, Y, X] = shape;
  const n = Z * Y * X;
  if (dist.length !== n || labels.length !== n || mask.length !== n) throw valueError('watershed: image, markers and mask must have the shape\'s voxel count');
  if (ranks && Z === 1) {
    // The transform's own integer squares: k ≤ top where the border is empty (see `squaredDistanceRanks`); the
    // border test and the flood in one go in WebAssembly (declump-wasm-merge.ts) when it can.
    if (floodPlaneWasm(ranks, squaredDistanceTop(Y, X) + 1, labels, mask, Y, X)) return;
    if (maskBorderEmpty(mask, Y, X)) {
      floodByRank(ranks, squaredDistanceTop(Y, X) + 1, labels, mask, shape);
      return;
    }
  }
  if (Z === 1 && pixel2 > 0 && n <= WASM_PLANE_VOXELS) {
    // The ranks of the integer squares and the flood in WebAssembly (declump-wasm-merge.ts) when it can.
    const B = squaredDistanceTop(Y, X) + 1;
    if (distanceWatershedPlaneWasm(dist, labels, mask, Y, X, gValues(pixel2, B), B, 1 / pixel2)) return;
  }
  if (Z === 1 && pixel2 > 0 && maskBorderEmpty(mask, Y, X)) {
    const rank = rankScratch.get(n);
    const u = squaredDistanceRanks(dist, mask, n, Y, X, rank, pixel2);
    if (u > 0) {
      floodByRank(rank, u, labels, mask, shape);
      return;
    }
  }
  const negated = negatedScratch.get(n);
  for (let i = 0; i < n; i++) negated[i] = -dist[i];
  seededWatershed(negated, labels, mask, shape, true);
}

/**
 * Ranks (0 = flooded first) of the in-mask voxels: B − 1 − k with k = round(v² / pixel2); returns the number
 * of buckets B, or -1 (ranks partly written) when some value is not g(k) for an integer k < B.
 *
 * B: the mask leaves the plane's outer rows and columns empty, so every in-mask voxel (y, x) has background
 * within min(y, x, Y − 1 − y, X − 1 − x) ≤ ⌊(min(Y, X) − 1) / 2⌋ = h pixels along an axis: k ≤ h², B = h² + 1.
 *
 * Exactness: when every value is g(k), the order of the k is the order of the values if g is strictly
 * increasing on [0, B): fl(s² · k) is (consecutive k differ by a relative 1/k ≫ 2⁻⁵²), and the square roots
 * of consecutive k differ by a relative √(1 + 1/k) − 1 > 2⁻²³ (k < 2²¹), more than one float32 ulp, so
 * rounding to float32 keeps them apart and in order. Equal values thus have equal k, and descending k is the
 * ascending order of the negated values; buckets of k that do not occur stay empty.
 */
function squaredDistanceRanks(dist: Float32Array, mask: Uint8Array, n: number, Y: number, X: number, rank: Int32Array, pixel2: number): number {
  const B = squaredDistanceTop(Y, X) + 1;
  if (B > 1 << 21) return -1;
  const g = gValues(pixel2, B);
  const inv = 1 / pixel2;
  const top = B - 1;
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    const v = dist[i];
    // Any rounding of v² / s² to a candidate k will do: the table check below is what proves it.
    const k = Math.round(v * v * inv);
    if (!(k <= top) || g[k] !== v) return -1;
    rank[i] = top - k;
  }
  return B;
}

/** g(k) = fround(√fl(pixel2 · k)) for k in [0, count), cached between calls (the same pixel size each time). */
function gValues(pixel2: number, count: number): Float32Array {
  if (gPixel2 !== pixel2 || gTable.length < count) {
    // Grown by doubling for one pixel size; a new pixel size starts afresh (no doubling per change of size).
    const table = new Float32Array(Math.max(count, gPixel2 === pixel2 ? 2 * gTable.length : 0, 1024));
    for (let k = 0; k < table.length; k++) table[k] = Math.sqrt(pixel2 * k);
    gTable = table;
    gPixel2 = pixel2;
  }
  return gTable;
}
