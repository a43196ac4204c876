/**
 * Single-channel workflow tables (spec 13.3): `object_summary`, `voxel_plausibility_check` and
 * `roi_overview`, built from one measurement pass over the (z-bounded, size-filtered, postfiltered) labels.
 *
 * ROI membership follows the one rule of `src/tables/index.ts` (fix Q1):
 *  - `object_summary` / `voxel_plausibility_check`: one row per object, `roi_id` = the smallest ROI id the
 *    object touches (0 = none), as upstream;
 *  - `roi_overview`: `n_objects` = objects touching polygon(k) (an object touching two ROIs counts in both;
 *    upstream counted the object rows whose `roi_id` is k, which is the same for non-touching ROIs and a
 *    whole-image ROI), the `average_object_*` columns average over exactly those objects; occupancy over
 *    polygon(k) × [z0, z1) as in spec 7.4.
 *
 * Column kinds: ids and counts 'int'; `object_voxels_props` and the difference column are integer counts
 * too (Q37: the fixtures, scikit-image 0.19, print `203`; newer scikit-image prints `203.0`).
 */
import { column, makeTable, type Column, type Table } from '../core/table.js';
import type { LabelVolume, RoiLabels, Volume, VoxelSizeUm } from '../core/volume.js';
import { measureObjects, type ObjectMeasurements } from './object-measurements.js';
import { metricColumnNames, propertiesTableFromMeasurements } from './properties.js';
import { OCCUPANCY_SUFFIXES } from './roi-overview.js';
import { buildRoiObjectSummary, rowsByTouchedRoi } from './roi-summaries.js';
import { indexRois, resolveZRange, type RoiIndex } from '../roi/roi-index.js';

export const OBJECT_SUMMARY_SHEET = 'object_summary';
export const VOXEL_PLAUSIBILITY_SHEET = 'voxel_plausibility_check';
export const SINGLE_CHANNEL_OVERVIEW_SHEET = 'roi_overview';

/** spec 13.3: the literal upstream column name (with spaces). */
export const VOXEL_DIFFERENCE_COLUMN = 'object_voxels - object_voxels_props';

export const VOXEL_PLAUSIBILITY_COLUMNS = ['roi_id', 'object_label', 'object_voxels', 'object_voxels_props', VOXEL_DIFFERENCE_COLUMN];

export interface SingleChannelTables {
  /** sheet `object_summary` (also `{stem}_single_channel_objects.csv`) */
  objects: Table;
  /** sheet `voxel_plausibility_check` */
  voxelPlausibility: Table;
  /** sheet `roi_overview` */
  overview: Table;
}

export interface SingleChannelTablesInput {
  /** Labels after z bounds, `min_object_voxels` and postfilters. */
  masks: LabelVolume;
  /** The channel's analysis view (raw voxels, never prefiltered); null → intensity columns NaN. */
  intensity: Volume | null;
  roi: RoiLabels;
  voxelSizeUm: VoxelSizeUm;
  /** Analysis z bounds `[z0, z1)` or null (all planes); the masks are already zero outside. */
  zBounds: readonly [number, number] | null;
  /** Where the arrays start in the image (`[z, y, x]`, an analysis window, issue 20.3): centroids in image coordinates. */
  coordinateOriginZyx?: readonly [number, number, number] | null;
}

export function buildSingleChannelTables(input: SingleChannelTablesInput): SingleChannelTables {
  const { masks, roi, voxelSizeUm } = input;
  const roiIndex = indexRois(roi);
  // one measurement pass serves the property rows, the plausibility counts, ROI membership and occupancy
  const m = measureObjects(masks, input.intensity, roi, voxelSizeUm, input.coordinateOriginZyx ?? null);
  const objects = propertiesTableFromMeasurements(m, {
    prefix: 'object',
    labelColumn: 'object_label',
    voxelSizeUm,
    sheetName: OBJECT_SUMMARY_SHEET,
  });
  return {
    objects,
    voxelPlausibility: buildVoxelPlausibility(m),
    overview: buildSingleChannelOverview(m, objects, roiIndex, input.zBounds),
  };
}

/**
 * `voxel_plausibility_check`: per object (sorted by roi_id, label) the direct voxel count and the
 * regionprops area. Both are the same exact count here (regionprops `area` of a label = its voxel count), so
 * the difference column is 0 for every row, as in every upstream run.
 */
export function buildVoxelPlausibility(m: ObjectMeasurements): Table {
  const order = Array.from({ length: m.n }, (_, k) => k).sort((a, b) => m.minRoi[a] - m.minRoi[b] || m.ids[a] - m.ids[b]);
  const roiId = new Float64Array(m.n);
  const label = new Float64Array(m.n);
  const voxels = new Float64Array(m.n);
  for (let i = 0; i < order.length; i++) {
    const k = order[i];
    roiId[i] = m.minRoi[k];
    label[i] = m.ids[k];
    voxels[i] = m.count[k];
  }
  const props = voxels.slice();
  const diff = new Float64Array(m.n); // count − area = 0 (both exact integers)
  for (let i = 0; i < diff.length; i++) diff[i] = voxels[i] - props[i];
  return makeTable(VOXEL_PLAUSIBILITY_SHEET, [
    column('roi_id', 'int', roiId),
    column('object_label', 'int', label),
    column('object_voxels', 'int', voxels),
    column('object_voxels_props', 'int', props),
    column(VOXEL_DIFFERENCE_COLUMN, 'int', diff),
  ]);
}

export function singleChannelOverviewColumns(): string[] {
  return [
    'roi_id',
    'n_objects',
    'drawn_roi_area_px',
    'drawn_roi_area_um2',
    'roi_volume_voxels',
    'roi_volume_um3',
    ...OCCUPANCY_SUFFIXES.map((s) => `object_${s}`),
    ...OBJECT_AVERAGE_COLUMNS,
  ];
}

const OBJECT_AVERAGE_COLUMNS = metricColumnNames('object').map((n) => `average_${n}`);

const OCCUPANCY_KINDS = ['int', 'float', 'float', 'int', 'float', 'float'] as const;

/**
 * `roi_overview` (spec 13.3): one row per ROI id ascending. Geometry and occupancy formulas of spec 7.4
 * (area in px and µm², volume = area × analysed depth, coverage in percent, NaN for an empty ROI); the
 * averages are means of the non-NaN metric values of the objects touching the ROI.
 */
export function buildSingleChannelOverview(
  m: ObjectMeasurements,
  objects: Table,
  roiIndex: RoiIndex,
  zBounds: readonly [number, number] | null,
): Table {
  const [z0, z1] = resolveZRange(zBounds, m.shape[0]);
  const depth = z1 - z0;
  const [sz, sy, sx] = m.voxelSizeUm;
  const ids = roiIndex.ids;
  const nR = ids.length;
  const f = (fn: (j: number) => number) => Float64Array.from({ length: nR }, (_, j) => fn(j));
  const areaPx = (j: number) => roiIndex.areaPx[j];
  const volVox = (j: number) => roiIndex.areaPx[j] * depth;
  // counts and averages from the shared per-ROI summary builder, over the objects touching polygon(k)
  const avg = buildRoiObjectSummary({
    sheetName: SINGLE_CHANNEL_OVERVIEW_SHEET,
    roiIds: ids,
    countColumn: 'n_objects',
    prefix: 'object',
    source: objects,
    rowsOfRoi: rowsByTouchedRoi(objects, 'object_label', m),
  });
  const a = (j: number) => m.roiProjectedPx[ids[j]];
  const v = (j: number) => m.roiVoxels[ids[j]];
  const occupancy = [
    f(a),
    f((j) => a(j) * sy * sx),
    f((j) => (areaPx(j) > 0 ? (100 * a(j)) / areaPx(j) : NaN)),
    f(v),
    f((j) => v(j) * sz * sy * sx),
    f((j) => (volVox(j) > 0 ? (100 * v(j)) / volVox(j) : NaN)),
  ];
  const cols: Column[] = [
    column('roi_id', 'int', f((j) => ids[j])),
    avg.columns[1], // n_objects
    column('drawn_roi_area_px', 'int', f(areaPx)),
    column('drawn_roi_area_um2', 'float', f((j) => areaPx(j) * sy * sx)),
    column('roi_volume_voxels', 'int', f(volVox)),
    column('roi_volume_um3', 'float', f((j) => volVox(j) * sz * sy * sx)),
    ...OCCUPANCY_SUFFIXES.map((s, q) => column(`object_${s}`, OCCUPANCY_KINDS[q], occupancy[q])),
    ...avg.columns.slice(2),
  ];
  return makeTable(SINGLE_CHANNEL_OVERVIEW_SHEET, cols);
}
