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
 * Third channel (spec 11; `optionalRegionMasks` given): `3rd_channel_properties` (prefix `optional_region`,
 * one row per object, `roi_id` = smallest touched ROI, as the marker), the overview's
 * `optional_region_occupancy_*` block after the marker block, `roi_3rd_channel_summary` (objects touching
 * polygon(k), as the marker). With `evaluate_optional_region_cell_positivity` the six spec 11.2 columns are
 * appended to `cell_summary` (see `optional-region.ts`: same polygon rule, best-object rule and thresholds as
 * the marker) and the overview gains their two per-ROI counts after `roi_volume_um3`. Asking for positivity
 * without third-channel masks is an error (fix Q30: the original silently wrote False/0 columns).
 */
import type { ColocalizationConfig, IntensityColocalizationConfig } from '../config/types.js';
import { getColumn, makeTable, type Table } from '../core/table.js';
import { valueError } from '../core/errors.js';
import type { LabelVolume, RoiLabels, Volume, VoxelSizeUm } from '../core/volume.js';
import { buildCellSummary, wholeLabelStatsFromMeasurements } from './cell-summary.js';
import { buildDetailedOverlaps } from './detailed-overlaps.js';
import { measureObjects, type MeasurementMemo } from './object-measurements.js';
import type { RunsOfLabels } from '../core/label-runs.js';
import { propertiesTableFromMeasurements } from './properties.js';
import { indexRois } from '../roi/roi-index.js';
import { buildRoiOverview } from './roi-overview.js';
import { buildRoiObjectSummary, rowsByRoiIdColumn, rowsByTouchedRoi } from './roi-summaries.js';
import { optionalRegionPositivityColumns } from './optional-region.js';
import { buildIntensityColocalizationTables } from './intensity-colocalization.js';

export interface ColocalizationTables {
  detailed: Table;
  summary: Table;
  markerProperties: Table;
  overview: Table;
  roiCellSummary: Table;
  roiMarkerSummary: Table;
  /** `3rd_channel_properties`, present iff third-channel masks were given. */
  thirdChannelProperties?: Table;
  /** `roi_3rd_channel_summary`, present iff third-channel masks were given. */
  roiThirdChannelSummary?: Table;
  /** `roi_intensity_colocalization` / `cell_intensity_colocalization` (issue 19), present iff enabled. */
  roiIntensityColocalization?: Table;
  cellIntensityColocalization?: Table;
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
  /** Third-channel labels (spec 11; z-bounded and postfiltered like the others), or null/absent = none. */
  optionalRegionMasks?: LabelVolume | null;
  /** The third channel's intensity image for its property table; null → NaN intensities. */
  optionalRegionIntensity?: Volume | null;
  /** Reuses the measurement pass of unchanged label images (the viewer's re-analysis); absent = measure every channel. */
  measurementMemo?: MeasurementMemo | null;
  /**
   * `intensity_colocalization_config` (issue 19): when enabled, the two intensity sheets between the raw channels
   * (`cellIntensity`, `markerIntensity` and, when given, `optionalRegionIntensity`); absent/null/disabled = none.
   */
  intensityColocalization?: IntensityColocalizationConfig | null;
  /** `[z, y, x]` of the masks' voxel (0, 0, 0) in the image the centroids refer to (an analysis window); absent = none. */
  coordinateOriginZyx?: readonly [number, number, number] | null;
  /** Runs of mask arrays known without a scan (labelling): a mask whose very array is listed is not scanned. */
  knownRuns?: readonly RunsOfLabels[];
}

const maskRuns = new WeakMap<ColocalizationTables, RunsOfLabels[]>();

/**
 * The label runs the measurement passes of `buildColocalizationTables` scanned (cell and marker masks, as given to
 * it): the label-TIFF export fills its planes from them instead of scanning the masks again (issue 21). Kept beside
 * the tables, not in them, so that nothing that serialises or compares the tables sees them.
 */
export function maskRunsOf(tables: ColocalizationTables): readonly RunsOfLabels[] {
  return maskRuns.get(tables) ?? [];
}

export function buildColocalizationTables(input: ColocalizationTablesInput): ColocalizationTables {
  const { cellMasks, markerMasks, roi, voxelSizeUm, zBounds, colocalization } = input;
  const roiIndex = indexRois(roi);

  // one measurement pass per channel serves the property table, the summary centroids/sizes,
  // ROI membership (`roi_id`, objects per ROI) and the overview occupancy
  const memo = input.measurementMemo ?? null;
  const known = input.knownRuns ?? [];
  const measure = (labels: LabelVolume, intensity: Volume | null) =>
    memo
      ? memo.measure(labels, intensity, roi, voxelSizeUm)
      : measureObjects(labels, intensity, roi, voxelSizeUm, input.coordinateOriginZyx ?? null, known.find((k) => k.data === labels.data)?.runs ?? null);
  const cellM = measure(cellMasks, input.cellIntensity);
  const markerM = measure(markerMasks, input.markerIntensity);
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

  // the cell runs of the measurement pass: the overlap table visits only cell voxels
  const detailed = buildDetailedOverlaps(cellMasks, markerMasks, roi, zBounds, roiIndex, cellM.labelRuns ?? null, markerM.labelRuns ?? null);
  let summary = buildCellSummary(detailed, cellProps, colocalization, wholeLabelStatsFromMeasurements(cellM));

  // third channel (spec 11)
  const regionMasks = input.optionalRegionMasks ?? null;
  if (colocalization.evaluateOptionalRegionCellPositivity && !regionMasks) {
    // fix Q30: the original wrote all-False/0 columns without a word
    throw valueError(
      'colocalization_config.evaluate_optional_region_cell_positivity is true but there are no optional-region (third channel) masks: set channel_config.optional_region_channel and optional_region_model_config, or set it to false',
    );
  }
  const regionM = regionMasks ? measure(regionMasks, input.optionalRegionIntensity ?? null) : null;
  if (regionMasks && colocalization.evaluateOptionalRegionCellPositivity) {
    const extra = optionalRegionPositivityColumns(
      cellMasks,
      regionMasks,
      roi,
      zBounds,
      roiIndex,
      detailed.groups,
      getColumn(summary, 'marker_positive').values,
      colocalization,
      cellM.labelRuns ?? null,
    );
    summary = makeTable(summary.name, [...summary.columns, ...extra]);
  }

  const overview = buildRoiOverview({
    roi,
    channels: [
      { prefix: 'cell', measurements: cellM },
      { prefix: 'marker', measurements: markerM },
      ...(regionM ? [{ prefix: 'optional_region', measurements: regionM }] : []),
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
  const tables: ColocalizationTables = { detailed: detailed.table, summary, markerProperties, overview, roiCellSummary, roiMarkerSummary };
  const intensity = input.intensityColocalization;
  if (intensity?.enabled) {
    if (!input.cellIntensity || !input.markerIntensity) {
      throw valueError('intensity_colocalization_config.enabled is true but the cell or marker intensity image is missing');
    }
    const t = buildIntensityColocalizationTables({
      cellIntensity: input.cellIntensity,
      markerIntensity: input.markerIntensity,
      optionalRegionIntensity: input.optionalRegionIntensity ?? null,
      cellMasks,
      roi,
      zBounds,
      config: intensity,
    });
    tables.roiIntensityColocalization = t.roi;
    tables.cellIntensityColocalization = t.cell;
  }
  if (regionM) {
    const thirdChannelProperties = propertiesTableFromMeasurements(regionM, {
      prefix: 'optional_region',
      labelColumn: 'optional_region_label',
      voxelSizeUm,
      sheetName: '3rd_channel_properties',
    });
    tables.thirdChannelProperties = thirdChannelProperties;
    tables.roiThirdChannelSummary = buildRoiObjectSummary({
      sheetName: 'roi_3rd_channel_summary',
      roiIds: roiIndex.ids,
      countColumn: 'n_3rd_channel_objects',
      prefix: 'optional_region',
      source: thirdChannelProperties,
      rowsOfRoi: rowsByTouchedRoi(thirdChannelProperties, 'optional_region_label', regionM),
    });
  }
  const runs: RunsOfLabels[] = [];
  if (cellM.labelRuns) runs.push({ data: cellMasks.data, runs: cellM.labelRuns });
  if (markerM.labelRuns) runs.push({ data: markerMasks.data, runs: markerM.labelRuns });
  maskRuns.set(tables, runs);
  return tables;
}

export { buildObjectPropertiesTable, propertiesTableFromMeasurements, METRIC_SUFFIXES, metricColumnNames } from './properties.js';
export { buildDetailedOverlaps, DETAILED_COLUMNS, type DetailedOverlaps, type OverlapGroups } from './detailed-overlaps.js';
export { buildCellSummary, cellSummaryColumns, wholeLabelStatsFromMeasurements, type WholeLabelStats } from './cell-summary.js';
export { buildRoiOverview, roiOverviewColumns } from './roi-overview.js';
export { buildRoiObjectSummary, roiObjectSummaryColumns, rowsByRoiIdColumn, rowsByTouchedRoi } from './roi-summaries.js';
export { measureObjects, type ObjectMeasurements } from './object-measurements.js';
export { indexRois, type RoiIndex } from '../roi/roi-index.js';
export { buildIntensityColocalizationTables, intensityCoefficientColumnNames, ROI_INTENSITY_SHEET, CELL_INTENSITY_SHEET } from './intensity-colocalization.js';
export { colocalizationSheets, optionalRegionPositivityColumns, OPTIONAL_REGION_POSITIVITY_COLUMNS, type ColocalizationSheetSource } from './optional-region.js';
