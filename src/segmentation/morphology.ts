/**
 * Binary morphology of the threshold chain (spec 4.3 steps 6–8) on `Uint8Array` masks (0/1) of shape
 * `[z, y, x]`. A volume with `shape[0] == 1` is the 2-D case: the 6-neighbour cross `ball(1)` restricted to
 * one plane is the 4-neighbour cross `disk(1)`, and 6-connectivity is 4-connectivity, so one code path
 * serves both (there are no z neighbours to look at).
 */
import type { Shape3 } from '../core/volume.js';
import { borrowMask, returnMask } from './scratch.js';
import { findRuns, resolveComponents, componentSizes, paintSmallComponents } from './runs.js';

/**
 * `skimage.morphology.binary_closing(mask, disk(1) | ball(1))` (scikit-image 0.19): dilation with voxels
 * outside the array counted as False (`border_value=0`), then erosion with outside counted as True.
 */
export function binaryClosing(mask: Uint8Array, shape: Shape3): Uint8Array {
  const out = new Uint8Array(mask);
  binaryClosingInPlace(out, shape);
  return out;
}

/** `binaryClosing` writing the result back into `mask` (one temporary mask). */
export function binaryClosingInPlace(mask: Uint8Array, shape: Shape3): void {
  const dilated = borrowMask(mask.length); // every voxel is written by the dilation
  crossDilation(mask, shape, dilated);
  crossErosion(dilated, shape, mask);
  returnMask(dilated);
}

/**
 * Dilation by the face-neighbour cross. Rows are processed with the in-row neighbours handled by a
 * running window and the y/z neighbours by whole-row ORs, so the inner loops carry no border tests.
 */
function crossDilation(m: Uint8Array, shape: Shape3, out: Uint8Array): void {
  const [Z, Y, X] = shape;
  const P = Y * X;
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      const row = (z * Y + y) * X;
      // x neighbours (outside = False).
      for (let x = 0; x < X; x++) {
        const i = row + x;
        out[i] = m[i] | (x > 0 ? m[i - 1] : 0) | (x < X - 1 ? m[i + 1] : 0);
      }
      if (y > 0) for (let x = 0, i = row, j = row - X; x < X; x++, i++, j++) out[i] |= m[j];
      if (y < Y - 1) for (let x = 0, i = row, j = row + X; x < X; x++, i++, j++) out[i] |= m[j];
      if (z > 0) for (let x = 0, i = row, j = row - P; x < X; x++, i++, j++) out[i] |= m[j];
      if (z < Z - 1) for (let x = 0, i = row, j = row + P; x < X; x++, i++, j++) out[i] |= m[j];
    }
  }
}

/** Erosion by the face-neighbour cross, outside counted as True (scikit-image 0.19 `binary_erosion`). */
function crossErosion(m: Uint8Array, shape: Shape3, out: Uint8Array): void {
  const [Z, Y, X] = shape;
  const P = Y * X;
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      const row = (z * Y + y) * X;
      for (let x = 0; x < X; x++) {
        const i = row + x;
        out[i] = m[i] & (x > 0 ? m[i - 1] : 1) & (x < X - 1 ? m[i + 1] : 1);
      }
      if (y > 0) for (let x = 0, i = row, j = row - X; x < X; x++, i++, j++) out[i] &= m[j];
      if (y < Y - 1) for (let x = 0, i = row, j = row + X; x < X; x++, i++, j++) out[i] &= m[j];
      if (z > 0) for (let x = 0, i = row, j = row - P; x < X; x++, i++, j++) out[i] &= m[j];
      if (z < Z - 1) for (let x = 0, i = row, j = row + P; x < X; x++, i++, j++) out[i] &= m[j];
    }
  }
}

/**
 * `skimage.morphology.remove_small_objects(mask, min_size=minSize, connectivity=1)` (0.19 API; upstream's
 * `max_size = minSize - 1` in >= 0.26): components (4/6-connected) with fewer than `minSize` voxels removed.
 * Returns a new mask.
 */
export function removeSmallObjects(mask: Uint8Array, shape: Shape3, minSize: number): Uint8Array {
  const out = new Uint8Array(mask);
  removeSmallObjectsInPlace(out, shape, minSize);
  return out;
}

export function removeSmallObjectsInPlace(mask: Uint8Array, shape: Shape3, minSize: number): void {
  paintSmall(mask, shape, minSize, 1);
}

/**
 * `skimage.morphology.remove_small_holes(mask, area_threshold=minSize, connectivity=1)`: background
 * components (4/6-connected) with fewer than `minSize` voxels become foreground — including background
 * regions touching the array border (Q14), because skimage just removes small objects of the inverse.
 */
export function removeSmallHoles(mask: Uint8Array, shape: Shape3, minSize: number): Uint8Array {
  const out = new Uint8Array(mask);
  removeSmallHolesInPlace(out, shape, minSize);
  return out;
}

export function removeSmallHolesInPlace(mask: Uint8Array, shape: Shape3, minSize: number): void {
  paintSmall(mask, shape, minSize, 0);
}

/** Components of voxels equal to `value` (face connectivity) smaller than `minSize` are flipped. */
function paintSmall(mask: Uint8Array, shape: Shape3, minSize: number, value: 0 | 1): void {
  if (minSize <= 0) return;
  const runs = findRuns(mask, shape, value);
  const count = resolveComponents(runs, shape, 'face');
  paintSmallComponents(mask, shape, runs, componentSizes(runs, count), minSize, value === 1 ? 0 : 1);
}
