/**
 * `roi_coloc_overview` (spec 7.4) under the polygon membership rule (see `src/tables/index.ts`):
 * `n_cells` = `cell_summary` rows of ROI k (cells touching polygon(k)), `n_marker_positive_cells` = their
 * `marker_positive` sum, `n_marker_objects` = markers touching polygon(k); occupancy blocks over
 * R3 = polygon(k) × [z0, z1). The occupancy counts come from each channel's measurement pass
 * (`roiVoxels`, `roiProjectedPx`), which covers all planes: the masks handed to the tables are zero
 * outside [z0, z1) (spec 7.1 step 1), so this equals counting inside R3; `zBounds` sets the ROI depth.
 */
import { valueError } from '../core/errors.js';
import { column, getColumn, makeTable, type Column, type Table } from '../core/table.js';
import { formatShape, sameShape, type RoiLabels, type VoxelSizeUm } from '../core/volume.js';
import type { ObjectMeasurements } from './object-measurements.js';
import { indexRois, resolveZRange, type RoiIndex } from '../roi/roi-index.js';

export const OCCUPANCY_SUFFIXES = [
  'occupancy_area_px_2d_projection',
  'occupancy_area_um2_2d_projection',
  'occupancy_coverage_2d_percent',
  'occupancy_volume_voxels_3d',
  'occupancy_volume_um3_3d',
  'occupancy_coverage_3d_percent',
] as const;

const OCCUPANCY_KINDS = ['int', 'float', 'float', 'int', 'float', 'float'] as const;

export interface OccupancyChannel {
  /** `cell`, `marker`, `optional_region`. */
  prefix: string;
  /** Measurements of the channel's (z-bounded) masks with the same ROI image. */
  measurements: ObjectMeasurements;
}

export interface RoiOverviewInput {
  roi: RoiLabels;
  /** cell first, then marker, then (later) optional_region. */
  channels: OccupancyChannel[];
  summary: Table;
  markerMeasurements: ObjectMeasurements;
  voxelSizeUm: VoxelSizeUm;
  zBounds: readonly [number, number] | null;
  roiIndex?: RoiIndex;
}

export function roiOverviewColumns(prefixes: string[], summaryHasOptional = false): string[] {
  return [
    'roi_id',
    'n_cells',
    'n_marker_positive_cells',
    'n_marker_objects',
    'drawn_roi_area_px',
    'drawn_roi_area_um2',
    'roi_volume_voxels',
    'roi_volume_um3',
    ...(summaryHasOptional ? ['n_optional_region_positive_cells', 'n_marker_and_optional_region_positive_cells'] : []),
    ...prefixes.flatMap((p) => OCCUPANCY_SUFFIXES.map((s) => `${p}_${s}`)),
  ];
}

export function buildRoiOverview(input: RoiOverviewInput): Table {
  const { roi, channels, summary, markerMeasurements, voxelSizeUm } = input;
  const ri = input.roiIndex ?? indexRois(roi);
  const shape = channels[0].measurements.shape;
  const [Z, Y, X] = shape;
  for (const ch of channels) {
    if (!sameShape(ch.measurements.shape, shape)) {
      throw valueError(`${ch.prefix} mask shape ${formatShape(ch.measurements.shape)} does not match ${formatShape(shape)}`);
    }
  }
  if (roi.shape[0] !== Y || roi.shape[1] !== X) {
    throw valueError(`ROI label image shape ${formatShape(roi.shape)} does not match image plane ${formatShape([Y, X])}`);
  }
  const [z0, z1] = resolveZRange(input.zBounds, Z);
  const depth = z1 - z0;
  const [sz, sy, sx] = voxelSizeUm;
  const nR = ri.ids.length;
  const roiPos = new Int32Array(65536).fill(-1);
  ri.ids.forEach((id, j) => (roiPos[id] = j));

  const sRoi = getColumn(summary, 'roi_id').values;
  const sPos = getColumn(summary, 'marker_positive').values;
  const hasOpt = summary.columns.some((c) => c.name === 'optional_region_positive');
  const nCells = new Float64Array(nR);
  const nPos = new Float64Array(nR);
  const nOpt = new Float64Array(nR);
  const nBoth = new Float64Array(nR);
  const sOpt = hasOpt ? getColumn(summary, 'optional_region_positive').values : null;
  const sBoth = hasOpt ? getColumn(summary, 'marker_and_optional_region_positive').values : null;
  for (let i = 0; i < sRoi.length; i++) {
    const j = roiPos[sRoi[i]];
    if (j < 0) continue;
    nCells[j]++;
    nPos[j] += sPos[i] ? 1 : 0;
    if (sOpt && sBoth) {
      nOpt[j] += sOpt[i] ? 1 : 0;
      nBoth[j] += sBoth[i] ? 1 : 0;
    }
  }

  const f = (fn: (j: number) => number) => Float64Array.from({ length: nR }, (_, j) => fn(j));
  const areaPx = (j: number) => ri.areaPx[j];
  const volVox = (j: number) => ri.areaPx[j] * depth;
  const cols: Column[] = [
    column('roi_id', 'int', f((j) => ri.ids[j])),
    column('n_cells', 'int', nCells),
    column('n_marker_positive_cells', 'int', nPos),
    column('n_marker_objects', 'int', f((j) => markerMeasurements.objectsByRoi.get(ri.ids[j])?.length ?? 0)),
    column('drawn_roi_area_px', 'int', f(areaPx)),
    column('drawn_roi_area_um2', 'float', f((j) => areaPx(j) * sy * sx)),
    column('roi_volume_voxels', 'int', f(volVox)),
    column('roi_volume_um3', 'float', f((j) => volVox(j) * sz * sy * sx)),
  ];
  if (hasOpt) {
    cols.push(column('n_optional_region_positive_cells', 'int', nOpt));
    cols.push(column('n_marker_and_optional_region_positive_cells', 'int', nBoth));
  }
  for (let c = 0; c < channels.length; c++) {
    const p = channels[c].prefix;
    const m = channels[c].measurements;
    const a = (j: number) => m.roiProjectedPx[ri.ids[j]];
    const v = (j: number) => m.roiVoxels[ri.ids[j]];
    const values = [
      f(a),
      f((j) => a(j) * sy * sx),
      f((j) => (areaPx(j) > 0 ? (100 * a(j)) / areaPx(j) : NaN)),
      f(v),
      f((j) => v(j) * sz * sy * sx),
      f((j) => (volVox(j) > 0 ? (100 * v(j)) / volVox(j) : NaN)),
    ];
    OCCUPANCY_SUFFIXES.forEach((s, q) => cols.push(column(`${p}_${s}`, OCCUPANCY_KINDS[q], values[q])));
  }
  return makeTable('roi_coloc_overview', cols);
}
