/**
 * Size filter (spec 1.2 `filter_labels_by_size`, spec 7.1 step 2, Q31): labels with fewer than
 * `minSize` voxels are deleted; surviving ids are kept (no relabelling).
 */
import type { LabelData, LabelVolume } from '../core/volume.js';
import type { LabelRuns } from '../core/label-runs.js';
import { valueError } from '../core/errors.js';

/**
 * Voxel count per label id, index = label (`np.bincount(labels.ravel())`). One pass: without `maxId` the
 * counts array grows as larger ids appear (no separate max scan over the image).
 * Length is `maxLabel + 1`; index 0 counts the background.
 */
export function labelVoxelCounts(data: LabelData, maxId?: number): Float64Array {
  // Float64 so counts above 2^32 never wrap (huge stacks); exact up to 2^53.
  if (maxId !== undefined) {
    const counts = new Float64Array(maxId + 1);
    for (let i = 0; i < data.length; i++) counts[data[i]]++;
    return counts;
  }
  let counts = new Float64Array(1024);
  let max = 0;
  let background = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v === 0) {
      background++;
      continue;
    }
    if (v >= counts.length) {
      const grown = new Float64Array(Math.max(v + 1, counts.length * 2));
      grown.set(counts);
      counts = grown;
    }
    if (v > max) max = v;
    counts[v]++;
  }
  counts[0] = background;
  return counts.length === max + 1 ? counts : counts.slice(0, max + 1);
}

/**
 * Copy of `labels` where every label with voxel count `< minSize` is set to 0 (ids kept).
 * `removed` lists the deleted ids ascending; `nIn` is the number of distinct labels before the filter (so
 * callers need no extra pass to count them). `minSize <= 1` removes nothing (a present label has ≥ 1 voxel).
 */
export function filterLabelsBySize(
  labels: LabelVolume,
  minSize: number,
  options: {
    /** modify `labels` itself (callers that own the array save a full-size copy) */ inPlace?: boolean;
    /** exact voxel count per id of `labels` (index 0 = background, e.g. from labelling): skips the counting pass */
    counts?: Float64Array | null;
    /**
     * the runs of `labels` (`core/label-runs.ts`, e.g. from labelling): only the deleted labels' runs are zeroed (no
     * pass over the image), and the result carries the runs of its labels
     */
    runs?: LabelRuns | null;
  } = {},
): { labels: LabelVolume; removed: number[]; nIn: number; runs?: LabelRuns } {
  if (!Number.isFinite(minSize)) {
    throw valueError(`filterLabelsBySize: min_size must be a finite number, got ${minSize}`);
  }
  const src = labels.data;
  const out = options.inPlace ? src : new Uint32Array(src);
  const shape = [labels.shape[0], labels.shape[1], labels.shape[2]] as const;
  const counts = options.counts ?? labelVoxelCounts(src);
  const maxId = counts.length - 1;
  const runs = options.runs ?? null;
  if (maxId === 0) return { labels: { data: out, shape }, removed: [], nIn: 0, ...(runs ? { runs } : {}) };
  // Lookup table: 1 = delete this id. One more pass applies it (no per-label image scans, Q46).
  const drop = new Uint8Array(maxId + 1);
  const removed: number[] = [];
  let nIn = 0;
  for (let id = 1; id <= maxId; id++) {
    if (counts[id] > 0) nIn++;
    if (counts[id] > 0 && counts[id] < minSize) {
      drop[id] = 1;
      removed.push(id);
    }
  }
  if (removed.length === 0) return { labels: { data: out, shape }, removed, nIn, ...(runs ? { runs } : {}) };
  if (!runs) {
    for (let i = 0; i < out.length; i++) if (drop[out[i]] === 1) out[i] = 0;
    return { labels: { data: out, shape }, removed, nIn };
  }
  // the deleted labels' runs are zeroed; the others are the runs of the result
  let kept = 0;
  for (let r = 0; r < runs.n; r++) if (drop[runs.label[r]] !== 1) kept++;
  const start = new Float64Array(kept);
  const length = new Int32Array(kept);
  const label = new Float64Array(kept);
  for (let r = 0, k = 0; r < runs.n; r++) {
    const l = runs.label[r];
    if (drop[l] === 1) {
      out.fill(0, runs.start[r], runs.start[r] + runs.length[r]);
    } else {
      start[k] = runs.start[r];
      length[k] = runs.length[r];
      label[k++] = l;
    }
  }
  return { labels: { data: out, shape }, removed, nIn, runs: { n: kept, start, length, label } };
}
