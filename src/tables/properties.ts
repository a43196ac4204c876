/**
 * Per-channel object property tables (spec 7.5.1): `marker_properties`, `3rd_channel_properties`, the
 * cell metrics merged into `cell_summary`, and the single-channel `object_summary`.
 */
import { column, makeTable, type Column, type Table } from '../core/table.js';
import type { LabelVolume, RoiLabels, Volume, VoxelSizeUm } from '../core/volume.js';
import { eigSym2, eigSym3, measureObjects, type ObjectMeasurements } from './object-measurements.js';

export type PropertyPrefix = 'cell' | 'marker' | 'optional_region' | 'object';

export interface PropertiesOptions {
  prefix: PropertyPrefix;
  /** `cell_label`, `marker_label`, `optional_region_label` or `object_label`. */
  labelColumn: string;
  voxelSizeUm: VoxelSizeUm;
  sheetName: string;
}

/** The 15 metric suffixes of spec 7.5.1, in column order. */
export const METRIC_SUFFIXES = [
  'area_px_2d',
  'area_um2_2d',
  'perimeter_px_2d',
  'perimeter_um_2d',
  'roundness_2d',
  'eccentricity_2d',
  'volume_voxels_3d',
  'volume_um3_3d',
  'surface_area_um2_3d',
  'sphericity_3d',
  'ellipticity_3d',
  'mean_intensity',
  'median_intensity',
  'max_intensity',
  'sum_intensity',
] as const;

export function metricColumnNames(prefix: string): string[] {
  return METRIC_SUFFIXES.map((s) => `${prefix}_${s}`);
}

/** Builds the property table from a label volume (one set of passes, see object-measurements.ts). */
export function buildObjectPropertiesTable(
  labels: LabelVolume,
  intensity: Volume | null,
  roi: RoiLabels,
  options: PropertiesOptions,
): Table {
  return propertiesTableFromMeasurements(measureObjects(labels, intensity, roi, options.voxelSizeUm), options);
}

/**
 * Spec 7.5.1 columns from precomputed measurements: `roi_id` (smallest touched ROI id, 0 = none),
 * label, `centroid_z/y/x` (index units; z = 0.0 in 2D), then the 15 metrics; 2D branch iff shape[0] === 1.
 * Rows sorted by (roi_id, label).
 */
export function propertiesTableFromMeasurements(m: ObjectMeasurements, options: PropertiesOptions): Table {
  const n = m.n;
  const [sz, sy, sx] = options.voxelSizeUm;
  const is2d = m.shape[0] === 1;
  const metrics: Float64Array[] = METRIC_SUFFIXES.map(() => new Float64Array(n).fill(NaN));
  const [areaPx, areaUm2, perimPx, perimUm, roundness, ecc, volVox, volUm3, surf, spher, ellip, meanI, medI, maxI, sumI] = metrics;
  const centroidZ = new Float64Array(n);

  for (let k = 0; k < n; k++) {
    const c = m.count[k];
    if (is2d) {
      centroidZ[k] = 0.0;
      areaPx[k] = c;
      areaUm2[k] = c * sy * sx;
      const p = m.perimeterPx[k];
      perimPx[k] = p;
      // Q47: the mean of the y/x pixel size (approximate for anisotropic pixels), as upstream
      perimUm[k] = (p * (sy + sx)) / 2;
      roundness[k] = p > 0 ? (4 * Math.PI * c) / (p * p) : NaN;
      // regionprops eccentricity: inertia tensor [[mean dy², −mean dydx], [−mean dydx, mean dx²]]
      const o = 6 * k;
      const a = m.central2[o + 1] / c;
      const cc = m.central2[o + 2] / c;
      const b = m.central2[o + 5] / c;
      const [l1, l2raw] = eigSym2(a, -b, cc);
      const l2 = Math.max(l2raw, 0);
      ecc[k] = l1 === 0 ? 0 : Math.sqrt(1 - l2 / l1);
    } else {
      centroidZ[k] = m.centroidZ[k];
      volVox[k] = c;
      const vol = c * sz * sy * sx;
      volUm3[k] = vol;
      const f = 3 * k;
      const area = m.faces[f] * (sy * sx) + m.faces[f + 1] * (sz * sx) + m.faces[f + 2] * (sz * sy);
      surf[k] = area;
      spher[k] = area > 0 && vol > 0 ? (Math.cbrt(Math.PI) * Math.pow(6 * vol, 2 / 3)) / area : NaN;
      ellip[k] = ellipticity(m, k, sz, sy, sx);
    }
    meanI[k] = m.meanIntensity[k];
    medI[k] = m.medianIntensity[k];
    maxI[k] = m.maxIntensity[k];
    sumI[k] = m.sumIntensity[k];
  }

  // sort by (roi_id, label); ids are already ascending, so a stable sort on roi_id suffices
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => m.minRoi[a] - m.minRoi[b] || a - b);
  const pick = (src: Float64Array) => {
    const out = new Float64Array(n);
    for (let r = 0; r < n; r++) out[r] = src[order[r]];
    return out;
  };
  const names = metricColumnNames(options.prefix);
  const cols: Column[] = [
    column('roi_id', 'int', pick(m.minRoi)),
    column(options.labelColumn, 'int', pick(m.ids)),
    column('centroid_z', 'float', pick(centroidZ)),
    column('centroid_y', 'float', pick(m.centroidY)),
    column('centroid_x', 'float', pick(m.centroidX)),
    ...metrics.map((v, j) => column(names[j], 'float', pick(v))),
  ];
  return makeTable(options.sheetName, cols);
}

/**
 * Spec 7.5.1 ellipticity: physical coordinates (index × spacing), sample covariance (n − 1, np.cov),
 * eigenvalues descending clipped at 0; NaN if < 3 voxels or λmax ≤ 0; else 1 − √λmin/√λmax.
 */
function ellipticity(m: ObjectMeasurements, k: number, sz: number, sy: number, sx: number): number {
  const c = m.count[k];
  if (c < 3) return NaN;
  const o = 6 * k;
  const d = c - 1;
  const czz = (m.central2[o] * sz * sz) / d;
  const cyy = (m.central2[o + 1] * sy * sy) / d;
  const cxx = (m.central2[o + 2] * sx * sx) / d;
  const czy = (m.central2[o + 3] * sz * sy) / d;
  const czx = (m.central2[o + 4] * sz * sx) / d;
  const cyx = (m.central2[o + 5] * sy * sx) / d;
  const [l0, , l2] = eigSym3(czz, czy, czx, cyy, cyx, cxx);
  const lmax = Math.max(l0, 0);
  const lmin = Math.max(l2, 0);
  if (lmax <= 0) return NaN;
  return 1 - Math.sqrt(lmin) / Math.sqrt(lmax);
}
