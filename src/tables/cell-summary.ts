/**
 * `cell_summary` (spec 7.3) with our fixes: one row per (ROI k, cell touching polygon(k)) — the groups
 * of the detailed table; one centroid triple (fix Q3) = whole-label centroid in index units (z included,
 * 0.0 in 2D); the 15 `cell_*` metrics joined on `cell_label` only (fix Q2); `cell_voxels_props` is the
 * whole-label voxel count as an integer (Q37).
 *
 * Positivity (Q5):
 *  - `best_object` (upstream, default): n_overlapping_markers > 0 AND best_overlap_voxels ≥ min_overlap_voxels
 *    AND best_overlap_fraction ≥ overlap_fraction_threshold, best = the single marker with the largest overlap
 *    (ties → smallest marker label);
 *  - `union`: union_overlap_voxels > 0 AND union_overlap_voxels ≥ min_overlap_voxels AND
 *    union_overlap_fraction ≥ overlap_fraction_threshold, with union = |cell ∩ polygon(k) ∩ ⋃ markers|
 *    (the README's `O = |C ∩ ⋃M|`); adds `union_overlap_voxels`, `union_overlap_fraction` after
 *    `best_overlap_fraction`.
 * Fractions use the polygon-clipped `cell_voxels` as denominator.
 */
import type { ColocalizationConfig } from '../config/types.js';
import { column, getColumn, makeTable, type Column, type Table } from '../core/table.js';
import type { DetailedOverlaps } from './detailed-overlaps.js';
import type { ObjectMeasurements } from './object-measurements.js';
import { metricColumnNames } from './properties.js';

/** Whole-label voxel count and centroid (index units) per cell label. */
export interface WholeLabelStats {
  /** Label ids, ascending. */
  readonly ids: Float64Array;
  readonly voxels: Float64Array;
  readonly centroidZ: Float64Array;
  readonly centroidY: Float64Array;
  readonly centroidX: Float64Array;
}

export function wholeLabelStatsFromMeasurements(m: ObjectMeasurements): WholeLabelStats {
  return { ids: m.ids, voxels: m.count, centroidZ: m.centroidZ, centroidY: m.centroidY, centroidX: m.centroidX };
}

export type PositivityRule = ColocalizationConfig['positivityRule'];

/** Column names of `cell_summary` (with or without the union columns). */
export function cellSummaryColumns(rule: PositivityRule): string[] {
  return [
    'roi_id',
    'cell_label',
    'cell_voxels',
    'marker_positive',
    'n_overlapping_markers',
    'best_marker_label',
    'best_overlap_voxels',
    'best_overlap_fraction',
    ...(rule === 'union' ? ['union_overlap_voxels', 'union_overlap_fraction'] : []),
    'cell_voxels_props',
    'centroid_z',
    'centroid_y',
    'centroid_x',
    'cell_voxels_delta',
    ...metricColumnNames('cell'),
  ];
}

export function buildCellSummary(
  detailed: DetailedOverlaps,
  cellProps: Table,
  colocalizationConfig: ColocalizationConfig,
  wholeLabelStats: WholeLabelStats,
): Table {
  const rule = colocalizationConfig.positivityRule ?? 'best_object';
  const minVox = colocalizationConfig.minOverlapVoxels;
  const minFrac = colocalizationConfig.overlapFractionThreshold;
  const g = detailed.groups;
  const n = g.roiId.length;
  const t = detailed.table;
  const dN = getColumn(t, 'n_overlapping_markers').values;
  const dMarker = getColumn(t, 'marker_label').values;
  const dOv = getColumn(t, 'overlap_voxels').values;
  const dFrac = getColumn(t, 'overlap_fraction_of_cell').values;

  const positive = new Float64Array(n);
  const nMarkers = new Float64Array(n);
  const bestLabel = new Float64Array(n);
  const bestVox = new Float64Array(n);
  const bestFrac = new Float64Array(n);
  const unionVox = new Float64Array(n);
  const unionFrac = new Float64Array(n);
  const props = new Float64Array(n).fill(NaN);
  const cz = new Float64Array(n).fill(NaN);
  const cy = new Float64Array(n).fill(NaN);
  const cx = new Float64Array(n).fill(NaN);
  const delta = new Float64Array(n).fill(NaN);

  const statRow = new Map<number, number>();
  for (let k = 0; k < wholeLabelStats.ids.length; k++) statRow.set(wholeLabelStats.ids[k], k);

  for (let i = 0; i < n; i++) {
    // the detailed rows of a group are sorted by overlap ↓ then marker ↑: the first row is the best one
    const r0 = g.firstRow[i];
    nMarkers[i] = dN[r0];
    bestLabel[i] = dMarker[r0];
    bestVox[i] = dOv[r0];
    bestFrac[i] = dFrac[r0];
    unionVox[i] = g.unionOverlapVoxels[i];
    unionFrac[i] = g.unionOverlapVoxels[i] / g.cellVoxels[i];
    positive[i] =
      rule === 'union'
        ? Number(unionVox[i] > 0 && unionVox[i] >= minVox && unionFrac[i] >= minFrac)
        : Number(nMarkers[i] > 0 && bestVox[i] >= minVox && bestFrac[i] >= minFrac);
    const k = statRow.get(g.cellLabel[i]);
    if (k !== undefined) {
      props[i] = wholeLabelStats.voxels[k];
      cz[i] = wholeLabelStats.centroidZ[k];
      cy[i] = wholeLabelStats.centroidY[k];
      cx[i] = wholeLabelStats.centroidX[k];
      delta[i] = g.cellVoxels[i] - props[i];
    }
  }

  // metrics joined on cell_label (fix Q2)
  const metricNames = metricColumnNames('cell');
  const propLabels = getColumn(cellProps, 'cell_label').values;
  const propRow = new Map<number, number>();
  for (let r = 0; r < propLabels.length; r++) propRow.set(propLabels[r], r);
  const metricCols: Column[] = metricNames.map((name) => {
    const src = getColumn(cellProps, name).values;
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const r = propRow.get(g.cellLabel[i]);
      v[i] = r === undefined ? NaN : src[r];
    }
    return column(name, 'float', v);
  });

  const cols: Column[] = [
    column('roi_id', 'int', g.roiId.slice()),
    column('cell_label', 'int', g.cellLabel.slice()),
    column('cell_voxels', 'int', g.cellVoxels.slice()),
    column('marker_positive', 'bool', positive),
    column('n_overlapping_markers', 'int', nMarkers),
    column('best_marker_label', 'label', bestLabel),
    column('best_overlap_voxels', 'int', bestVox),
    column('best_overlap_fraction', 'float', bestFrac),
    ...(rule === 'union'
      ? [column('union_overlap_voxels', 'int', unionVox), column('union_overlap_fraction', 'float', unionFrac)]
      : []),
    column('cell_voxels_props', 'int', props),
    column('centroid_z', 'float', cz),
    column('centroid_y', 'float', cy),
    column('centroid_x', 'float', cx),
    column('cell_voxels_delta', 'int', delta),
    ...metricCols,
  ];
  return makeTable('cell_summary', cols);
}
