/**
 * Binary morphology of the threshold chain (spec 4.3 steps 6–8) on `Uint8Array` masks (0/1) of shape
 * `[z, y, x]`. A volume with `shape[0] == 1` is the 2-D case: the 6-neighbour cross `ball(1)` restricted to
 * one plane is the 4-neighbour cross `disk(1)`, and 6-connectivity is 4-connectivity, so one code path
 * serves both (there are no z neighbours to look at).
 */
import type { Shape3 } from '../core/volume.js';
import { labelComponents } from './label.js';

/**
 * `skimage.morphology.binary_closing(mask, disk(1) | ball(1))` (scikit-image 0.19): dilation with voxels
 * outside the array counted as False (`border_value=0`), then erosion with outside counted as True.
 */
export function binaryClosing(mask: Uint8Array, shape: Shape3): Uint8Array {
  return crossErosion(crossDilation(mask, shape), shape);
}

function crossDilation(m: Uint8Array, shape: Shape3): Uint8Array {
  const [Z, Y, X] = shape;
  const P = Y * X;
  const out = new Uint8Array(m.length);
  let i = 0;
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++, i++) {
        out[i] = m[i] || (x > 0 && m[i - 1]) || (x < X - 1 && m[i + 1]) || (y > 0 && m[i - X]) ||
          (y < Y - 1 && m[i + X]) || (z > 0 && m[i - P]) || (z < Z - 1 && m[i + P]) ? 1 : 0;
      }
    }
  }
  return out;
}

function crossErosion(m: Uint8Array, shape: Shape3): Uint8Array {
  const [Z, Y, X] = shape;
  const P = Y * X;
  const out = new Uint8Array(m.length);
  let i = 0;
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++, i++) {
        out[i] = m[i] && (x === 0 || m[i - 1]) && (x === X - 1 || m[i + 1]) && (y === 0 || m[i - X]) &&
          (y === Y - 1 || m[i + X]) && (z === 0 || m[i - P]) && (z === Z - 1 || m[i + P]) ? 1 : 0;
      }
    }
  }
  return out;
}

/**
 * `skimage.morphology.remove_small_objects(mask, min_size=minSize, connectivity=1)` (0.19 API; upstream's
 * `max_size = minSize - 1` in >= 0.26): components (4/6-connected) with fewer than `minSize` voxels removed.
 * Returns a new mask.
 */
export function removeSmallObjects(mask: Uint8Array, shape: Shape3, minSize: number): Uint8Array {
  const out = new Uint8Array(mask);
  if (minSize <= 0) return out;
  const { labels, count } = labelComponents(mask, shape, 'face');
  const sizes = new Float64Array(count + 1);
  for (let i = 0; i < labels.length; i++) sizes[labels[i]]++;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l !== 0 && sizes[l] < minSize) out[i] = 0;
  }
  return out;
}

/**
 * `skimage.morphology.remove_small_holes(mask, area_threshold=minSize, connectivity=1)`: background
 * components (4/6-connected) with fewer than `minSize` voxels become foreground — including background
 * regions touching the array border (Q14), because skimage just removes small objects of the inverse.
 */
export function removeSmallHoles(mask: Uint8Array, shape: Shape3, minSize: number): Uint8Array {
  const inv = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) inv[i] = mask[i] ? 0 : 1;
  const kept = removeSmallObjects(inv, shape, minSize);
  for (let i = 0; i < kept.length; i++) kept[i] = kept[i] ? 0 : 1;
  return kept;
}
