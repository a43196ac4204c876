/**
 * Per-ROI object summaries (spec 7.5.2): `roi_cell_summary`, `roi_marker_summary` (and later
 * `roi_3rd_channel_summary`). One row per ROI id of the ROI image, ascending: `roi_id`, a count column,
 * then `average_<prefix>_<metric>` for the 15 metrics = mean of the non-NaN values (NaN if none).
 * Which source rows belong to ROI k is decided by the caller (polygon rule, see `src/tables/index.ts`):
 * cells → the `cell_summary` rows with that `roi_id`; markers → the marker objects touching polygon(k).
 */
import { column, getColumn, makeTable, type Column, type Table } from '../core/table.js';
import type { ObjectMeasurements } from './object-measurements.js';
import { metricColumnNames } from './properties.js';

export interface RoiObjectSummaryOptions {
  sheetName: string;
  /** ROI ids of the ROI image, ascending. */
  roiIds: readonly number[];
  /** `n_cells`, `n_marker_objects`, `n_3rd_channel_objects`. */
  countColumn: string;
  /** Metric prefix of the source table: `cell`, `marker`, `optional_region`. */
  prefix: string;
  source: Table;
  /** Source row indices belonging to the ROI (an object may belong to several ROIs). */
  rowsOfRoi: (roiId: number) => ArrayLike<number>;
}

export function roiObjectSummaryColumns(countColumn: string, prefix: string): string[] {
  return ['roi_id', countColumn, ...metricColumnNames(prefix).map((m) => `average_${m}`)];
}

export function buildRoiObjectSummary(o: RoiObjectSummaryOptions): Table {
  const nR = o.roiIds.length;
  const names = metricColumnNames(o.prefix);
  const src = names.map((n) => getColumn(o.source, n).values);
  const counts = new Float64Array(nR);
  const avgs = names.map(() => new Float64Array(nR));
  for (let j = 0; j < nR; j++) {
    const rows = o.rowsOfRoi(o.roiIds[j]);
    counts[j] = rows.length;
    for (let q = 0; q < src.length; q++) {
      const v = src[q];
      let s = 0;
      let c = 0;
      for (let i = 0; i < rows.length; i++) {
        const x = v[rows[i]];
        if (!Number.isNaN(x)) {
          s += x;
          c++;
        }
      }
      avgs[q][j] = c > 0 ? s / c : NaN;
    }
  }
  const cols: Column[] = [
    column('roi_id', 'int', Float64Array.from(o.roiIds)),
    column(o.countColumn, 'int', counts),
    ...names.map((n, q) => column(`average_${n}`, 'float', avgs[q])),
  ];
  return makeTable(o.sheetName, cols);
}

/** Rows grouped by the table's `roi_id` column (cell summary rows: one row per (ROI, cell)). */
export function rowsByRoiIdColumn(table: Table): (roiId: number) => number[] {
  const roi = getColumn(table, 'roi_id').values;
  const map = new Map<number, number[]>();
  for (let i = 0; i < roi.length; i++) {
    let l = map.get(roi[i]);
    if (!l) map.set(roi[i], (l = []));
    l.push(i);
  }
  return (id) => map.get(id) ?? [];
}

/** Rows of a property table whose object touches polygon(k) (from the measurement pass). */
export function rowsByTouchedRoi(table: Table, labelColumn: string, m: ObjectMeasurements): (roiId: number) => number[] {
  const labels = getColumn(table, labelColumn).values;
  const rowOfLabel = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) rowOfLabel.set(labels[i], i);
  return (id) => {
    const ks = m.objectsByRoi.get(id);
    if (!ks) return [];
    const out: number[] = [];
    for (let i = 0; i < ks.length; i++) {
      const r = rowOfLabel.get(m.ids[ks[i]]);
      if (r !== undefined) out.push(r);
    }
    return out;
  };
}
