/**
 * `roi_intensity_colocalization` and `cell_intensity_colocalization` (issue 19): intensity correlation between the
 * raw channels (as loaded, after the z-crop / projection) beside the object overlap, with CellProfiler's
 * definitions (see `colocalization/intensity/coefficients.ts` and `costes.ts`; docs/intensity-colocalization.md).
 *
 * - ROI sheet: one row per ROI id, over every voxel of polygon(k) in the analysed planes.
 * - Cell sheet: one row per (roi_id, cell_label), over the cell's voxels inside polygon(k) — the membership rule
 *   of `cell_summary` (tables/index.ts); Costes thresholds are the ROI's (one search per ROI, applied to its cells).
 * Channel pair cell ↔ marker: columns `pearson … coloc2_tm2` (ch1 = cell channel, ch2 = marker channel). With a
 * third channel, the same columns again prefixed `cell_optional_region_` (ch1 = cell, ch2 = third) and
 * `marker_optional_region_` (ch1 = marker, ch2 = third).
 */
import { column, makeTable, type Column, type Table } from '../core/table.js';
import type { LabelVolume, RoiLabels, Volume } from '../core/volume.js';
import type { IntensityColocalizationConfig } from '../config/types.js';
import { groupVoxelsByRoiAndCell } from '../colocalization/intensity/group-voxels.js';
import { COEFFICIENT_NAMES, CoefficientScratch, pairCoefficients, type CoefficientColumns } from '../colocalization/intensity/coefficients.js';
import { costesScale, costesThresholds, type CostesResult } from '../colocalization/intensity/costes.js';
import { pairSegmentStats } from '../colocalization/intensity/ranks.js';

export const ROI_INTENSITY_SHEET = 'roi_intensity_colocalization';
export const CELL_INTENSITY_SHEET = 'cell_intensity_colocalization';

export interface IntensityColocalizationInput {
  cellIntensity: Volume;
  markerIntensity: Volume;
  /** Third channel's intensities, or null/absent (then only cell ↔ marker). */
  optionalRegionIntensity?: Volume | null;
  /** Final cell labels (after size filter and postfilters). */
  cellMasks: LabelVolume;
  roi: RoiLabels;
  zBounds: [number, number] | null;
  config: IntensityColocalizationConfig;
}

export interface IntensityColocalizationTables {
  roi: Table;
  cell: Table;
}

interface PairSpec {
  prefix: string;
  c1: number;
  c2: number;
}

/** The column prefixes of the channel pairs, in column order. */
export function intensityPairs(withThirdChannel: boolean): PairSpec[] {
  const pairs: PairSpec[] = [{ prefix: '', c1: 0, c2: 1 }];
  if (withThirdChannel) {
    pairs.push({ prefix: 'cell_optional_region_', c1: 0, c2: 2 }, { prefix: 'marker_optional_region_', c1: 1, c2: 2 });
  }
  return pairs;
}

export function intensityCoefficientColumnNames(withThirdChannel: boolean): string[] {
  return intensityPairs(withThirdChannel).flatMap((p) => COEFFICIENT_NAMES.map((n) => `${p.prefix}${n}`));
}

function coefficientColumns(prefix: string, c: CoefficientColumns): Column[] {
  return COEFFICIENT_NAMES.map((n) => column(`${prefix}${n}`, 'float', c[n]));
}

export function buildIntensityColocalizationTables(input: IntensityColocalizationInput): IntensityColocalizationTables {
  const third = input.optionalRegionIntensity ?? null;
  const channels = third ? [input.cellIntensity, input.markerIntensity, third] : [input.cellIntensity, input.markerIntensity];
  const grouped = groupVoxelsByRoiAndCell(channels, input.cellMasks, input.roi, input.zBounds);
  const { rois, cells } = grouped;
  const percent = input.config.thresholdPercent;
  const costesMode = input.config.costes;
  const scratch = new CoefficientScratch();

  const roiCols: Column[] = [column('roi_id', 'int', grouped.roiIds), column('n_voxels', 'int', groupSizes(rois.offsets))];
  const cellCols: Column[] = [
    column('roi_id', 'int', grouped.cellRoiIds),
    column('cell_label', 'int', grouped.cellLabels),
    column('n_voxels', 'int', groupSizes(cells.offsets)),
  ];
  for (const pair of intensityPairs(third !== null)) {
    // one Costes search per ROI and pair, applied to the ROI row and to the ROI's cells
    const costes: (CostesResult | null)[] = new Array(rois.n).fill(null);
    if (costesMode !== 'none') {
      const x = rois.values[pair.c1];
      const y = rois.values[pair.c2];
      for (let g = 0; g < rois.n; g++) {
        const s = rois.offsets[g];
        const e = rois.offsets[g + 1];
        const [st1, st2] = pairSegmentStats(x, y, s, e);
        if (st1.nonFinite || st2.nonFinite) continue;
        const scale = costesScale(x, y, st1.integerValued && st2.integerValued, Math.max(st1.max, st2.max));
        costes[g] = scale ? costesThresholds(x, y, s, e, scale, costesMode) : null;
      }
    }
    const roiC = pairCoefficients(rois, pair.c1, pair.c2, percent, (g) => costes[g], scratch);
    const cellC = pairCoefficients(cells, pair.c1, pair.c2, percent, (g) => costes[grouped.cellRoiGroup[g]], scratch);
    roiCols.push(...coefficientColumns(pair.prefix, roiC));
    cellCols.push(...coefficientColumns(pair.prefix, cellC));
  }
  return { roi: makeTable(ROI_INTENSITY_SHEET, roiCols), cell: makeTable(CELL_INTENSITY_SHEET, cellCols) };
}

function groupSizes(offsets: Float64Array): Float64Array {
  const n = new Float64Array(offsets.length - 1);
  for (let g = 0; g < n.length; g++) n[g] = offsets[g + 1] - offsets[g];
  return n;
}
