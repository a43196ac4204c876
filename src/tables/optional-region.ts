/**
 * Third channel ("optional region", spec 11): the optional cell-positivity columns appended to
 * `cell_summary` (spec 11.2) and the workbook's sheet order with the third-channel sheets (spec 7.6).
 *
 * Positivity uses the same membership rule as the marker (see `src/tables/index.ts`): the overlaps of
 * each (ROI k, cell touching polygon(k)) pair with the third-channel objects are counted over the voxels
 * inside polygon(k) × the analysed z range (upstream: inside the ROI bbox, Q4), and the same best-object
 * rule and thresholds as the marker decide: positive ⇔ at least one overlapping object AND best overlap
 * ≥ `min_overlap_voxels` AND best overlap / cell_voxels ≥ `overlap_fraction_threshold`; best = the single
 * object with the largest overlap, ties → smallest label. `positivity_rule: union` does not change this
 * rule (the original has no union variant for the third channel).
 */
import { valueError } from '../core/errors.js';
import type { ColocalizationConfig } from '../config/types.js';
import { column, getColumn, type Column, type Table } from '../core/table.js';
import type { LabelVolume, RoiLabels } from '../core/volume.js';
import type { RoiIndex } from '../roi/roi-index.js';
import type { LabelRuns } from './label-runs.js';
import { buildDetailedOverlaps, type OverlapGroups } from './detailed-overlaps.js';

/** spec 11.2, in this order after the cell metrics. */
export const OPTIONAL_REGION_POSITIVITY_COLUMNS = [
  'optional_region_positive',
  'n_overlapping_optional_region_objects',
  'best_optional_region_label',
  'best_optional_region_overlap_voxels',
  'best_optional_region_overlap_fraction',
  'marker_and_optional_region_positive',
] as const;

/**
 * The six spec 11.2 columns, one value per `cell_summary` row. `cellGroups` are the (ROI, cell) groups the
 * summary was built from (same order); `markerPositive` is the summary's `marker_positive` column.
 */
export function optionalRegionPositivityColumns(
  cellMasks: LabelVolume,
  regionMasks: LabelVolume,
  roi: RoiLabels,
  zBounds: readonly [number, number] | null,
  roiIndex: RoiIndex,
  cellGroups: OverlapGroups,
  markerPositive: Float64Array,
  colocalization: Pick<ColocalizationConfig, 'minOverlapVoxels' | 'overlapFractionThreshold'>,
  /** The runs of `cellMasks` from its measurement pass (as for `detailed_overlaps`): only cell voxels are visited. */
  cellRuns: LabelRuns | null = null,
): Column[] {
  // Same pass as `detailed_overlaps` with the third channel in the marker's place: the (ROI, cell) pairs
  // depend only on the cell and ROI images, so its groups are the summary's rows in the same order.
  const d = buildDetailedOverlaps(cellMasks, regionMasks, roi, zBounds, roiIndex, cellRuns);
  const g = d.groups;
  const n = cellGroups.roiId.length;
  if (g.roiId.length !== n) {
    throw valueError(`optional-region overlaps: ${g.roiId.length} (ROI, cell) pairs, expected ${n} as in cell_summary`);
  }
  const nObj = getColumn(d.table, 'n_overlapping_markers').values;
  const label = getColumn(d.table, 'marker_label').values;
  const ov = getColumn(d.table, 'overlap_voxels').values;
  const frac = getColumn(d.table, 'overlap_fraction_of_cell').values;
  const minVox = colocalization.minOverlapVoxels;
  const minFrac = colocalization.overlapFractionThreshold;

  const positive = new Float64Array(n);
  const count = new Float64Array(n);
  const bestLabel = new Float64Array(n);
  const bestVox = new Float64Array(n);
  const bestFrac = new Float64Array(n);
  const both = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (g.roiId[i] !== cellGroups.roiId[i] || g.cellLabel[i] !== cellGroups.cellLabel[i]) {
      throw valueError(`optional-region overlaps: row ${i} is (ROI ${g.roiId[i]}, cell ${g.cellLabel[i]}), expected (ROI ${cellGroups.roiId[i]}, cell ${cellGroups.cellLabel[i]})`);
    }
    // rows of a group are sorted by overlap ↓ then label ↑: the first row is the best object (NaN label = none)
    const r = g.firstRow[i];
    count[i] = nObj[r];
    bestLabel[i] = label[r];
    bestVox[i] = ov[r];
    bestFrac[i] = frac[r];
    const pos = count[i] > 0 && bestVox[i] >= minVox && bestFrac[i] >= minFrac;
    positive[i] = Number(pos);
    both[i] = Number(pos && markerPositive[i] !== 0);
  }
  return [
    column('optional_region_positive', 'bool', positive),
    column('n_overlapping_optional_region_objects', 'int', count),
    column('best_optional_region_label', 'label', bestLabel),
    column('best_optional_region_overlap_voxels', 'int', bestVox),
    column('best_optional_region_overlap_fraction', 'float', bestFrac),
    column('marker_and_optional_region_positive', 'bool', both),
  ];
}

/** The sheets a colocalization run writes, in the original's workbook order (spec 7.6). */
export interface ColocalizationSheetSource {
  detailed: Table;
  summary: Table;
  markerProperties: Table;
  thirdChannelProperties?: Table | null;
  overview: Table;
  roiCellSummary: Table;
  roiMarkerSummary: Table;
  roiThirdChannelSummary?: Table | null;
  roiIntensityColocalization?: Table | null;
  cellIntensityColocalization?: Table | null;
}

/**
 * `detailed_overlaps, cell_summary, marker_properties, [3rd_channel_properties], roi_coloc_overview,
 * roi_cell_summary, roi_marker_summary, [roi_3rd_channel_summary], [roi_intensity_colocalization,
 * cell_intensity_colocalization]` — the third-channel sheets only when the run had third-channel masks, the
 * intensity sheets only with `intensity_colocalization_config.enabled` (issue 19).
 */
export function colocalizationSheets(t: ColocalizationSheetSource): Table[] {
  const out: Table[] = [t.detailed, t.summary, t.markerProperties];
  if (t.thirdChannelProperties) out.push(t.thirdChannelProperties);
  out.push(t.overview, t.roiCellSummary, t.roiMarkerSummary);
  if (t.roiThirdChannelSummary) out.push(t.roiThirdChannelSummary);
  if (t.roiIntensityColocalization) out.push(t.roiIntensityColocalization);
  if (t.cellIntensityColocalization) out.push(t.cellIntensityColocalization);
  return out;
}
