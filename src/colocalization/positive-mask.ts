/**
 * `build_positive_cell_mask` (spec 1.2): a copy of the cell labels keeping only the cells whose
 * `marker_positive` is True in at least one summary row (any ROI); everything else 0. An empty summary
 * gives all zeros. Scripts may pass a summary whose `marker_positive` column was replaced by another
 * boolean column to get other subsets.
 */
import { getColumn, type Table } from '../core/table.js';
import { maxLabel, type LabelVolume } from '../core/volume.js';
import { lazyLabelSubset } from '../core/label-subset.js';

/** Above this id the keep-flags table would be too large: Set look-ups and an eager copy instead. */
const DENSE_KEEP_LIMIT = 1 << 26;

export function buildPositiveCellMask(cell: LabelVolume, summary: Table): LabelVolume {
  const out = new Uint32Array(cell.data.length);
  const shape: [number, number, number] = [cell.shape[0], cell.shape[1], cell.shape[2]];
  if (summary.rowCount === 0) return { data: out, shape };
  const labels = getColumn(summary, 'cell_label').values;
  const positive = getColumn(summary, 'marker_positive').values;
  const max = maxLabel(cell.data);
  const d = cell.data;
  if (max > DENSE_KEEP_LIMIT) {
    // sparse huge ids: Set look-ups, cached per run of equal labels
    const set = new Set<number>();
    for (let i = 0; i < labels.length; i++) if (positive[i]) set.add(labels[i]);
    let last = 0;
    let lastKeep = false;
    for (let i = 0; i < d.length; i++) {
      const l = d[i];
      if (l === 0) continue;
      if (l !== last) {
        last = l;
        lastKeep = set.has(l);
      }
      if (lastKeep) out[i] = l;
    }
    return { data: out, shape };
  }
  // keep-flags indexed by label id: one pass over the voxels, no per-label mask
  const keep = new Uint8Array(max + 1);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (positive[i] && l >= 1 && l <= max) keep[l] = 1;
  }
  for (let i = 0; i < d.length; i++) {
    const l = d[i];
    if (l !== 0 && keep[l] === 1) out[i] = l;
  }
  return { data: out, shape };
}

/**
 * The same mask for a run, not materialised (`core/label-subset.ts`): the summary's `cell_label`s are the labels
 * present in `cell` (every table row comes from the measurement pass over it), so the keep-flags table needs no
 * scan of the volume. Its `data` is built on first access; the TIFF export applies the flags while encoding.
 */
export function positiveCellMaskLazy(cell: LabelVolume, summary: Table): LabelVolume {
  if (summary.rowCount === 0) return lazyLabelSubset(cell, new Uint8Array(1), 0);
  const labels = getColumn(summary, 'cell_label').values;
  const positive = getColumn(summary, 'marker_positive').values;
  let maxKept = 0;
  for (let i = 0; i < labels.length; i++) if (positive[i] && labels[i] > maxKept) maxKept = labels[i];
  if (maxKept > DENSE_KEEP_LIMIT) return buildPositiveCellMask(cell, summary);
  const keep = new Uint8Array(maxKept + 1);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (positive[i] && l >= 1) keep[l] = 1;
  }
  return lazyLabelSubset(cell, keep, maxKept);
}
