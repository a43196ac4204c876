/**
 * All multi-channel colocalisation tables (spec 7) from already z-bounded, size-filtered and
 * postfiltered masks.
 *
 * ROI MEMBERSHIP RULE (fix Q1, Q2, Q4; upstream uses three different rules, spec 9.4)
 * -----------------------------------------------------------------------------------
 * An object belongs to ROI k when at least one of its voxels lies in polygon(k) — the ROI raster,
 * broadcast over the analysed z range (the masks are zero outside it, so "all planes" is the same).
 * Every per-ROI number uses this one rule:
 *  - `detailed_overlaps` / `cell_summary`: one group of rows per (ROI k, cell touching polygon(k));
 *    `cell_voxels`, `overlap_voxels`, `overlap_fraction_of_cell` (and the union overlap) are counted
 *    over the voxels inside polygon(k), not inside its bbox; `y_min, y_max, x_min, x_max` stay the ROI
 *    bbox (as upstream). A cell touching two ROIs has rows under both.
 *  - `roi_coloc_overview`: `n_cells` = `cell_summary` rows of ROI k; `n_marker_positive_cells` = their
 *    `marker_positive` sum; `n_marker_objects` = markers touching polygon(k); occupancy over
 *    polygon(k) × [z0, z1) (as upstream).
 *  - `roi_cell_summary`: counts and averages over the `cell_summary` rows of ROI k;
 *    `roi_marker_summary`: over the markers touching polygon(k) (an object touching two ROIs counts in both).
 *  - property tables (`marker_properties`, the cell metrics): one row per object, `roi_id` = smallest
 *    ROI id touched (0 = none), as upstream; cell metrics are joined into `cell_summary` on `cell_label`.
 * With a whole-image ROI (the only ROI covers every pixel) all of this equals the original exactly.
 *
 * Column kinds: ids/counts 'int', `marker_label`/`best_marker_label` 'label', `marker_positive` 'bool',
 * everything else 'float'. Empty inputs give tables with the full column set and 0 rows (fix Q38);
 * no ROI gives an overview with its columns and 0 rows.
 *
 * Third channel (spec 11, not implemented yet): `buildRoiOverview` takes the optional-region
 * labels as a third entry of `channels` (occupancy block), `propertiesTableFromMeasurements` takes prefix `optional_region`,
 * and `buildRoiObjectSummary` builds `roi_3rd_channel_summary`; the optional positivity columns would be
 * appended to `cell_summary` after the metrics.
 */
import type { ColocalizationConfig } from '../config/types.js';
import type { Table } from '../core/table.js';
import type { LabelVolume, RoiLabels, Volume, VoxelSizeUm } from '../core/volume.js';
import { buildCellSummary, wholeLabelStatsFromMeasurements } from './cell-summary.js';
import { buildDetailedOverlaps } from './detailed-overlaps.js';
import { measureObjects } from './object-measurements.js';
import { propertiesTableFromMeasurements } from './properties.js';
import { indexRois } from '../roi/roi-index.js';
import { buildRoiOverview } from './roi-overview.js';
import { buildRoiObjectSummary, rowsByRoiIdColumn, rowsByTouchedRoi } from './roi-summaries.js';

export interface ColocalizationTables {
  detailed: Table;
  summary: Table;
  markerProperties: Table;
  overview: Table;
  roiCellSummary: Table;
  roiMarkerSummary: Table;
  // later: thirdChannelProperties?: Table; roiThirdChannelSummary?: Table;
}

export interface ColocalizationTablesInput {
  cellMasks: LabelVolume;
  markerMasks: LabelVolume;
  cellIntensity: Volume | null;
  markerIntensity: Volume | null;
  roi: RoiLabels;
  voxelSizeUm: VoxelSizeUm;
  /** Analysis z bounds `[z0, z1)` or null (all planes); masks are already zero outside. */
  zBounds: [number, number] | null;
  colocalization: ColocalizationConfig;
}

export function buildColocalizationTables(input: ColocalizationTablesInput): ColocalizationTables {
  const { cellMasks, markerMasks, roi, voxelSizeUm, zBounds, colocalization } = input;
  const roiIndex = indexRois(roi);

  // one measurement pass per channel serves the property table, the summary centroids/sizes,
  // ROI membership (`roi_id`, objects per ROI) and the overview occupancy
  const cellM = measureObjects(cellMasks, input.cellIntensity, roi, voxelSizeUm);
  const markerM = measureObjects(markerMasks, input.markerIntensity, roi, voxelSizeUm);
  const cellProps = propertiesTableFromMeasurements(cellM, {
    prefix: 'cell',
    labelColumn: 'cell_label',
    voxelSizeUm,
    sheetName: 'cell_properties',
  });
  const markerProperties = propertiesTableFromMeasurements(markerM, {
    prefix: 'marker',
    labelColumn: 'marker_label',
    voxelSizeUm,
    sheetName: 'marker_properties',
  });

  const detailed = buildDetailedOverlaps(cellMasks, markerMasks, roi, zBounds, roiIndex);
  const summary = buildCellSummary(detailed, cellProps, colocalization, wholeLabelStatsFromMeasurements(cellM));

  const overview = buildRoiOverview({
    roi,
    channels: [
      { prefix: 'cell', measurements: cellM },
      { prefix: 'marker', measurements: markerM },
    ],
    summary,
    markerMeasurements: markerM,
    voxelSizeUm,
    zBounds,
    roiIndex,
  });
  const roiCellSummary = buildRoiObjectSummary({
    sheetName: 'roi_cell_summary',
    roiIds: roiIndex.ids,
    countColumn: 'n_cells',
    prefix: 'cell',
    source: summary,
    rowsOfRoi: rowsByRoiIdColumn(summary),
  });
  const roiMarkerSummary = buildRoiObjectSummary({
    sheetName: 'roi_marker_summary',
    roiIds: roiIndex.ids,
    countColumn: 'n_marker_objects',
    prefix: 'marker',
    source: markerProperties,
    rowsOfRoi: rowsByTouchedRoi(markerProperties, 'marker_label', markerM),
  });
  return { detailed: detailed.table, summary, markerProperties, overview, roiCellSummary, roiMarkerSummary };
}

export { buildObjectPropertiesTable, propertiesTableFromMeasurements, METRIC_SUFFIXES, metricColumnNames } from './properties.js';
export { buildDetailedOverlaps, DETAILED_COLUMNS, type DetailedOverlaps, type OverlapGroups } from './detailed-overlaps.js';
export { buildCellSummary, cellSummaryColumns, wholeLabelStatsFromMeasurements, type WholeLabelStats } from './cell-summary.js';
export { buildRoiOverview, roiOverviewColumns } from './roi-overview.js';
export { buildRoiObjectSummary, roiObjectSummaryColumns, rowsByRoiIdColumn, rowsByTouchedRoi } from './roi-summaries.js';
export { measureObjects, type ObjectMeasurements } from './object-measurements.js';
export { indexRois, type RoiIndex } from '../roi/roi-index.js';
