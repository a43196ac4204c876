/**
 * Size filter (spec 1.2 `filter_labels_by_size`, spec 7.1 step 2, Q31): labels with fewer than
 * `minSize` voxels are deleted; surviving ids are kept (no relabelling).
 */
import type { LabelVolume } from '../core/volume.js';
import { maxLabel } from '../core/volume.js';
import { valueError } from '../core/errors.js';

/**
 * Voxel count per label id, index = label (`np.bincount(labels.ravel())`). One pass.
 * Length is `maxLabel + 1`; index 0 counts the background.
 */
export function labelVoxelCounts(data: Uint32Array, maxId: number = maxLabel(data)): Float64Array {
  // Float64 so counts above 2^32 never wrap (huge stacks); exact up to 2^53.
  const counts = new Float64Array(maxId + 1);
  for (let i = 0; i < data.length; i++) counts[data[i]]++;
  return counts;
}

/**
 * Copy of `labels` where every label with voxel count `< minSize` is set to 0 (ids kept).
 * `removed` lists the deleted ids ascending. `minSize <= 1` removes nothing (a present label has ≥ 1 voxel).
 */
export function filterLabelsBySize(
  labels: LabelVolume,
  minSize: number,
  options: { /** modify `labels` itself (callers that own the array save a full-size copy) */ inPlace?: boolean } = {},
): { labels: LabelVolume; removed: number[]; /** distinct non-zero ids before the filter (saves callers a countLabels pass) */ nPresent: number } {
  if (!Number.isFinite(minSize)) {
    throw valueError(`filterLabelsBySize: min_size must be a finite number, got ${minSize}`);
  }
  const src = labels.data;
  const out = options.inPlace ? src : new Uint32Array(src);
  const shape = [labels.shape[0], labels.shape[1], labels.shape[2]] as const;
  const maxId = maxLabel(src);
  if (maxId === 0) return { labels: { data: out, shape }, removed: [], nPresent: 0 };

  const counts = labelVoxelCounts(src, maxId);
  // Lookup table: 1 = delete this id. One more pass applies it (no per-label image scans, Q46).
  const drop = new Uint8Array(maxId + 1);
  const removed: number[] = [];
  let nPresent = 0;
  for (let id = 1; id <= maxId; id++) {
    if (counts[id] > 0) nPresent++;
    if (counts[id] > 0 && counts[id] < minSize) {
      drop[id] = 1;
      removed.push(id);
    }
  }
  if (removed.length > 0) {
    for (let i = 0; i < out.length; i++) if (drop[out[i]] === 1) out[i] = 0;
  }
  return { labels: { data: out, shape }, removed, nPresent };
}
