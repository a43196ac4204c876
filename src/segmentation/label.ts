/**
 * Connected-component labelling with `skimage.measure.label` numbering: components get ids 1..N in the
 * raster (C) order of their first voxel. Run-length labelling (`runs.ts`): one scan into runs, a union-find over
 * runs, then the ids painted per run.
 *
 * `connectivity`: `'full'` = 8 (2-D) / 26 (3-D) neighbours (skimage default `connectivity=ndim`),
 * `'face'` = 4 / 6 neighbours (`connectivity=1`, SciPy `generate_binary_structure(ndim, 1)`).
 * A volume with `shape[0] == 1` behaves exactly like the 2-D plane (there are no z neighbours).
 */
import type { Shape3 } from '../core/volume.js';
import { valueError } from '../core/errors.js';
import { findRuns, resolveComponents, paintLabels, type Connectivity } from './runs.js';

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
  const labels = new Uint32Array(n);
  paintLabels(runs, shape, labels);
  return { labels, count };
}
