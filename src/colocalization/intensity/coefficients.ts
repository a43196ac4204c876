/**
 * Intensity colocalization coefficients of one channel pair over grouped voxels (one ROI or one cell per
 * group), with CellProfiler's MeasureColocalization definitions — `cellprofiler_library/functions/measurement.py`
 * (CellProfiler 5 library; function names cited below). Issue 19.3.
 *
 * Per group, with ch1 = x, ch2 = y and the group's own thresholds t1 = threshold_percent/100 · max(x),
 * t2 likewise (`get_threshold_values_for_objects`; a value is above when ≥, `get_threshold_sum_and_mask`):
 *  - pearson: over all the group's voxels, no threshold (`measure_correlation_and_slope`);
 *  - slope: least-squares slope of y on x = cov(x, y) / var(x) (CellProfiler's `lstsq` on [x, 1]; it has no
 *    per-object slope, ours is the same formula on the cell's voxels);
 *  - manders_m1 = Σx over both-above / Σx over x-above; manders_m2 the mirror (`measure_manders_coefficient`);
 *  - rwc_1 = Σ x·w over both-above / Σx over x-above, w = (R − |r1 − r2|) / R with r dense ranks from 0 and
 *    R = max rank + 1 over both channels (`get_image_rank`, `calculate_rank_weight`,
 *    `measure_rwc_coefficient`); ranks are taken within the group — for a cell, within the cell
 *    (CellProfiler's `measure_rwc_coefficient_from_objects` ranks across all objects of the image);
 *  - overlap = Σxy / √(Σx² · Σy²), k1 = Σxy / Σx², k2 = Σxy / Σy², over both-above (`measure_overlap_coefficient`);
 *  - costes_m1 = Σx over (x ≥ T1 and y ≥ T2) / Σx over x ≥ T1, costes_m2 the mirror, with the ROI's Costes
 *    thresholds T (`measure_costes_coefficient_from_objects`: the image's thresholds applied to every object);
 *    costes_threshold_1/2 = T in the data's units;
 *  - coloc2_tm1 = Σx over (y > 0 and y ≥ T2) / Σx over the whole group — Fiji Coloc 2's tM1
 *    (`MandersColocalization`, ThresholdMode.Above: the denominator is not thresholded), on our Costes
 *    thresholds; coloc2_tm2 the mirror.
 * Everything is float64 over centred sums (means first); a ratio whose denominator is 0, an empty group, a
 * constant channel (Pearson, slope) or a non-finite voxel gives NaN (an empty field in CSV and xlsx).
 */
import type { VoxelData } from '../../core/volume.js';
import type { VoxelGroups } from './group-voxels.js';
import { denseRanks, pairSegmentStats, rankTable, RankScratch, statsAndRankTables16 } from './ranks.js';
import type { CostesResult } from './costes.js';

export const COEFFICIENT_NAMES = [
  'pearson',
  'slope',
  'manders_m1',
  'manders_m2',
  'rwc_1',
  'rwc_2',
  'overlap',
  'k1',
  'k2',
  'costes_m1',
  'costes_m2',
  'costes_threshold_1',
  'costes_threshold_2',
  'coloc2_tm1',
  'coloc2_tm2',
] as const;
export type CoefficientName = (typeof COEFFICIENT_NAMES)[number];
export type CoefficientColumns = Record<CoefficientName, Float64Array>;

export function emptyCoefficientColumns(n: number): CoefficientColumns {
  const out = {} as CoefficientColumns;
  for (const name of COEFFICIENT_NAMES) out[name] = new Float64Array(n).fill(NaN);
  return out;
}

/** a / b, or NaN when b is 0 or either is not finite (no division warning, no ±Infinity in a table). */
function ratio(a: number, b: number): number {
  if (b === 0 || !Number.isFinite(a) || !Number.isFinite(b)) return NaN;
  return a / b;
}

/** Scratch reused across the groups of one table. */
export class CoefficientScratch {
  readonly ranks = new RankScratch();
  private r1 = new Int32Array(0);
  private r2 = new Int32Array(0);
  rankBuffers(n: number): [Int32Array, Int32Array] {
    if (this.r1.length < n) {
      const size = Math.max(n, this.r1.length * 2);
      this.r1 = new Int32Array(size);
      this.r2 = new Int32Array(size);
    }
    return [this.r1, this.r2];
  }
}

/**
 * Fills row `g` of `out` with the coefficients of the pair (`x`, `y`) over `[s, e)`. `costes`: the Costes
 * thresholds to apply (the ROI's), or null for empty Costes columns.
 */
export function pairCoefficientsOfSegment(
  x: VoxelData,
  y: VoxelData,
  s: number,
  e: number,
  thresholdPercent: number,
  costes: CostesResult | null,
  scratch: CoefficientScratch,
  out: CoefficientColumns,
  g: number,
): void {
  if (costes) {
    out.costes_threshold_1[g] = costes.threshold1 * costes.divisor;
    out.costes_threshold_2[g] = costes.threshold2 * costes.divisor;
  }
  const n = e - s;
  if (n === 0) return;
  // 8/16-bit data and a large segment: statistics and rank tables in one pass; else stats, then ranks
  const fused = statsAndRankTables16(x, y, s, e, scratch.ranks);
  const [st1, st2] = fused ? [fused.st1, fused.st2] : pairSegmentStats(x, y, s, e);
  if (st1.nonFinite || st2.nonFinite) return;
  const m1 = st1.sum / n;
  const m2 = st2.sum / n;
  // get_threshold_values_for_objects: (percent / 100) * maximum, per region
  const t1 = (thresholdPercent / 100) * st1.max;
  const t2 = (thresholdPercent / 100) * st2.max;
  // ranks: a table over the integer levels (no sort), else a sort of this segment only
  const tab1 = fused ? fused.tab1 : rankTable(x, s, e, st1, scratch.ranks, 0);
  const tab2 = fused ? fused.tab2 : rankTable(y, s, e, st2, scratch.ranks, 1);
  const [rk1, rk2] = scratch.rankBuffers(tab1 && tab2 ? 0 : n);
  const R = Math.max(tab1 ? tab1.distinct : denseRanks(x, s, e, rk1, scratch.ranks), tab2 ? tab2.distinct : denseRanks(y, s, e, rk2, scratch.ranks));
  const lut1 = tab1 ? tab1.lut : null;
  const lut2 = tab2 ? tab2.lut : null;
  const lo1 = tab1 ? tab1.lo : 0;
  const lo2 = tab2 ? tab2.lo : 0;

  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  let above1 = 0; // Σx over x ≥ t1
  let above2 = 0;
  let both1 = 0; // Σx over both above
  let both2 = 0;
  let bxy = 0;
  let bxx = 0;
  let byy = 0;
  let rwc1 = 0;
  let rwc2 = 0;
  const useCostes = costes !== null;
  const D = costes ? costes.divisor : 1;
  const T1 = costes ? costes.threshold1 : 0;
  const T2 = costes ? costes.threshold2 : 0;
  let cAbove1 = 0;
  let cAbove2 = 0;
  let cBoth1 = 0;
  let cBoth2 = 0;
  let tm1 = 0;
  let tm2 = 0;
  for (let i = s, j = 0; i < e; i++, j++) {
    const a = x[i];
    const b = y[i];
    const da = a - m1;
    const db = b - m2;
    sxx += da * da;
    syy += db * db;
    sxy += da * db;
    const up1 = a >= t1;
    const up2 = b >= t2;
    if (up1) above1 += a;
    if (up2) above2 += b;
    if (up1 && up2) {
      both1 += a;
      both2 += b;
      bxy += a * b;
      bxx += a * a;
      byy += b * b;
      const d = (lut1 !== null ? lut1[a - lo1] : rk1[j]) - (lut2 !== null ? lut2[b - lo2] : rk2[j]);
      const w = (R - (d < 0 ? -d : d)) / R;
      rwc1 += a * w;
      rwc2 += b * w;
    }
    if (useCostes) {
      // compared in the search's divided scale, as CellProfiler (fi >= thr_fi_c)
      const c1 = a / D >= T1;
      const c2 = b / D >= T2;
      if (c1) cAbove1 += a;
      if (c2) cAbove2 += b;
      if (c1 && c2) {
        cBoth1 += a;
        cBoth2 += b;
      }
      if (c2 && b > 0) tm1 += a;
      if (c1 && a > 0) tm2 += b;
    }
  }
  const constant1 = st1.min === st1.max;
  const constant2 = st2.min === st2.max;
  out.pearson[g] = n < 2 || constant1 || constant2 ? NaN : Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
  out.slope[g] = n < 2 || constant1 ? NaN : sxy / sxx;
  out.manders_m1[g] = ratio(both1, above1);
  out.manders_m2[g] = ratio(both2, above2);
  out.rwc_1[g] = ratio(rwc1, above1);
  out.rwc_2[g] = ratio(rwc2, above2);
  out.overlap[g] = ratio(bxy, Math.sqrt(bxx * byy));
  out.k1[g] = ratio(bxy, bxx);
  out.k2[g] = ratio(bxy, byy);
  if (useCostes) {
    out.costes_m1[g] = ratio(cBoth1, cAbove1);
    out.costes_m2[g] = ratio(cBoth2, cAbove2);
    out.coloc2_tm1[g] = ratio(tm1, st1.sum);
    out.coloc2_tm2[g] = ratio(tm2, st2.sum);
  }
}

/** Coefficients of the pair (channel `c1`, channel `c2`) for every group; `costesOf(g)` gives group g's thresholds. */
export function pairCoefficients(
  groups: VoxelGroups,
  c1: number,
  c2: number,
  thresholdPercent: number,
  costesOf: (g: number) => CostesResult | null,
  scratch: CoefficientScratch = new CoefficientScratch(),
): CoefficientColumns {
  const out = emptyCoefficientColumns(groups.n);
  const x = groups.values[c1];
  const y = groups.values[c2];
  for (let g = 0; g < groups.n; g++) {
    pairCoefficientsOfSegment(x, y, groups.offsets[g], groups.offsets[g + 1], thresholdPercent, costesOf(g), scratch, out, g);
  }
  return out;
}
