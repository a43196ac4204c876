/**
 * Binary morphology of the threshold chain (spec 4.3 steps 6–8) on `Uint8Array` masks (0/1) of shape
 * `[z, y, x]`. A volume with `shape[0] == 1` is the 2-D case: the 6-neighbour cross `ball(1)` restricted to
 * one plane is the 4-neighbour cross `disk(1)`, and 6-connectivity is 4-connectivity, so one code path
 * serves both (there are no z neighbours to look at).
 *
 * The byte-mask functions here pack the mask and run the bit-packed kernels of `bitmask.ts` (which the threshold
 * chain calls directly), so the scikit-image reference tests of these functions check those kernels.
 */
import type { Shape3 } from '../core/volume.js';
import { resolveComponents, componentSizes } from './runs.js';
import { closeBits, findBitRuns, packMask, paintSmallBitRuns, releaseBitMask, unpackMask, type BitMask } from './bitmask.js';

/**
 * `skimage.morphology.binary_closing(mask, disk(1) | ball(1))` (scikit-image 0.19): dilation with voxels
 * outside the array counted as False (`border_value=0`), then erosion with outside counted as True.
 */
export function binaryClosing(mask: Uint8Array, shape: Shape3): Uint8Array {
  const out = new Uint8Array(mask);
  binaryClosingInPlace(out, shape);
  return out;
}

/** `binaryClosing` writing the result back into `mask` (bit-packed kernel, `bitmask.ts`). */
export function binaryClosingInPlace(mask: Uint8Array, shape: Shape3): void {
  const bits = packMask(mask, shape);
  closeBits(bits);
  unpackMask(bits, mask);
  releaseBitMask(bits);
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
  const bits = packMask(mask, shape);
  removeSmallBitComponents(bits, minSize, value);
  unpackMask(bits, mask);
  releaseBitMask(bits);
}

/**
 * Bit-packed `remove_small_objects` (value 1) / `remove_small_holes` (value 0), face connectivity: components
 * of voxels equal to `value` with fewer than `minSize` voxels are flipped, in place.
 */
export function removeSmallBitComponents(bits: BitMask, minSize: number, value: 0 | 1): void {
  if (minSize <= 0) return;
  const runs = findBitRuns(bits, value);
  const count = resolveComponents(runs, bits.shape, 'face');
  paintSmallBitRuns(bits, runs, componentSizes(runs, count), minSize, value === 1 ? 0 : 1);
}
