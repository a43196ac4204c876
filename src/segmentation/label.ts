/**
 * Connected-component labelling with `skimage.measure.label` numbering: components get ids 1..N in the
 * raster (C) order of their first voxel. Run-length labelling (`runs.ts`): one scan into runs, a union-find over
 * runs, then the ids painted per run.
 *
 * `connectivity`: `'full'` = 8 (2-D) / 26 (3-D) neighbours (skimage default `connectivity=ndim`),
 * `'face'` = 4 / 6 neighbours (`connectivity=1`, SciPy `generate_binary_structure(ndim, 1)`).
 * A volume with `shape[0] == 1` behaves exactly like the 2-D plane (there are no z neighbours).
 */
import type { LabelData, Shape3 } from '../core/volume.js';
import type { LabelRuns } from '../core/label-runs.js';
import { valueError } from '../core/errors.js';
import { componentSizes, findRuns, resolveComponents, paintLabels, unzeroedLabels, type Connectivity } from './runs.js';
import { findBitRuns, type BitMask } from './bitmask.js';

export type { Connectivity };

export interface LabelResult {
  labels: Uint32Array;
  count: number;
}

export function labelComponents(mask: Uint8Array, shape: Shape3, connectivity: Connectivity): LabelResult {
  const [Z, Y, X] = shape;
  const n = Z * Y * X;
  if (mask.length !== n) throw valueError(`labelComponents: mask has ${mask.length} voxels, shape (${Z}, ${Y}, ${X}) needs ${n}`);
  const runs = findRuns(mask, shape, 1);
  const count = resolveComponents(runs, shape, connectivity);
  const labels = unzeroedLabels(n, true);
  paintLabels(runs, shape, labels);
  return { labels, count };
}

/**
 * `labelComponents` of a bit-packed mask (`bitmask.ts`): the runs come from whole words. Also returns the voxel
 * count per id (`counts[0]` = background), summed over the runs, and the label runs (`core/label-runs.ts`: each
 * run of set bits is one maximal run of its label, since horizontal neighbours always connect), so that later steps
 * need not rescan the labels.
 *
 * The labels are uint16 when the count (known before painting) is at most 65535, else uint32 (`LabelData`,
 * issue 21): on a 2048² image that is 8 MiB of fresh memory instead of 16 (~0.6 ms/MiB of page faults here), half
 * the traffic of every later label pass, and the label TIFF (uint16 then) is deflated from the array itself.
 */
export function labelBitMask(mask: BitMask, connectivity: Connectivity): { labels: LabelData; count: number; counts: Float64Array; labelRuns: LabelRuns } {
  const [Z, Y, X] = mask.shape;
  const runs = findBitRuns(mask, 1);
  const count = resolveComponents(runs, mask.shape, connectivity);
  const labels = unzeroedLabels(Z * Y * X, count > 0xffff);
  paintLabels(runs, mask.shape, labels);
  const counts = componentSizes(runs, count);
  let foreground = 0;
  for (let c = 1; c <= count; c++) foreground += counts[c];
  counts[0] = Z * Y * X - foreground;
  return { labels, count, counts, labelRuns: labelRunsOf(runs, mask.shape) };
}

/** The resolved runs as label runs (flat start index, length, component id), raster order. */
function labelRunsOf(runs: ReturnType<typeof findBitRuns>, shape: Shape3): LabelRuns {
  const X = shape[2];
  const rows = shape[0] * shape[1];
  const n = runs.count;
  const start = new Float64Array(n);
  const length = new Int32Array(n);
  const label = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const base = r * X;
    for (let k = runs.rowStart[r]; k < runs.rowStart[r + 1]; k++) {
      start[k] = base + runs.x0[k];
      length[k] = runs.x1[k] - runs.x0[k];
      label[k] = runs.comp[k];
    }
  }
  return { n, start, length, label };
}

/**
 * `labelComponents` plus each component's bounding box, read off the runs (no extra pass over the voxels):
 * half-open `[z0, z1, y0, y1, x0, x1]` of component c at `boxes[6 * c]`.
 */
export function labelComponentsWithBoxes(mask: Uint8Array | BitMask, shape: Shape3, connectivity: Connectivity): LabelResult & { boxes: Int32Array } {
  const [Z, Y, X] = shape;
  const n = Z * Y * X;
  let runs: ReturnType<typeof findRuns>;
  if (mask instanceof Uint8Array) {
    if (mask.length !== n) throw valueError(`labelComponents: mask has ${mask.length} voxels, shape (${Z}, ${Y}, ${X}) needs ${n}`);
    runs = findRuns(mask, shape, 1);
  } else {
    // A bit-packed mask (the threshold chain's, `bitmask.ts`): runs from whole words, no unpacking.
    if (mask.shape[0] !== Z || mask.shape[1] !== Y || mask.shape[2] !== X) throw valueError(`labelComponents: mask shape (${mask.shape.join(', ')}) is not (${Z}, ${Y}, ${X})`);
    runs = findBitRuns(mask, 1);
  }
  const count = resolveComponents(runs, shape, connectivity);
  const labels = unzeroedLabels(n, true);
  paintLabels(runs, shape, labels);
  const boxes = new Int32Array(6 * (count + 1));
  for (let c = 1; c <= count; c++) {
    boxes[6 * c] = Z;
    boxes[6 * c + 2] = Y;
    boxes[6 * c + 4] = X;
  }
  for (let r = 0; r < Z * Y; r++) {
    const z = Math.floor(r / Y);
    const y = r - z * Y;
    for (let k = runs.rowStart[r]; k < runs.rowStart[r + 1]; k++) {
      const b = 6 * runs.comp[k];
      if (z < boxes[b]) boxes[b] = z;
      if (z + 1 > boxes[b + 1]) boxes[b + 1] = z + 1;
      if (y < boxes[b + 2]) boxes[b + 2] = y;
      if (y + 1 > boxes[b + 3]) boxes[b + 3] = y + 1;
      if (runs.x0[k] < boxes[b + 4]) boxes[b + 4] = runs.x0[k];
      if (runs.x1[k] > boxes[b + 5]) boxes[b + 5] = runs.x1[k];
    }
  }
  return { labels, count, boxes };
}
