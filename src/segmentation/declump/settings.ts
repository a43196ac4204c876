/**
 * Declumping's settings and report: what a channel's config asks for (`declump_method`, the typical diameter, the
 * object rules), resolved to µm for a voxel size with CellProfiler IdentifyPrimaryObjects' automatic sizes, and
 * the counts `declumpMask` (`declump.ts`) reports for the manifest.
 */
import type { DeclumpMethod, ModelConfig } from '../../config/types.js';
import { valueError } from '../../core/errors.js';
import type { ObjectRuleCounts } from './object-rules.js';

export type { DeclumpMethod };

export interface DeclumpSettings {
  method: DeclumpMethod;
  /** Typical diameter range in µm, or null when none is configured. */
  diameterUm: [number, number] | null;
  /** Gaussian σ of the declumping smoothing, µm (0 = none). */
  smoothingSigmaUm: number;
  /** Minimum distance between seeds (footprint radius), µm. */
  minDistanceUm: number;
  fillHoles: boolean;
  excludeBorderObjects: boolean;
  discardOutsideDiameter: boolean;
  /** Basin merging (`merge-shallow.ts`): minimum neck depth of the distance map (µm) and minimum relative
   * intensity dip that keep two pieces apart; 0 = criterion off, both 0 = no merging. */
  mergeNeckUm: number;
  mergeContrast: number;
  /** The same in pixels (x pixel size), for the manifest. */
  smoothingFilterSizePx: number;
  minDistancePx: number;
}

/** True when the config asks for anything beyond the original threshold chain. */
export function declumpingActive(config: ModelConfig): boolean {
  return config.declumpMethod !== 'none' || config.fillHoles || config.excludeBorderObjects || config.discardOutsideDiameter;
}

/** The effective settings of a channel for a voxel size `[z, y, x]` in µm. */
export function resolveDeclumpSettings(config: ModelConfig, voxelSizeUm: readonly [number, number, number]): DeclumpSettings {
  const px = voxelSizeUm[2];
  let diameterUm: [number, number] | null = null;
  if (config.typicalDiameterUm) diameterUm = [config.typicalDiameterUm[0], config.typicalDiameterUm[1]];
  else if (config.typicalDiameterPx) diameterUm = [config.typicalDiameterPx[0] * px, config.typicalDiameterPx[1] * px];
  const needsDiameter = (config.declumpMethod !== 'none' && (config.declumpSmoothingPx === null || config.declumpMinDistancePx === null)) || config.discardOutsideDiameter;
  if (needsDiameter && !diameterUm) {
    throw valueError(
      `typical_diameter_px: expected [min, max] (or typical_diameter_um) because ${config.discardOutsideDiameter ? 'discard_outside_diameter is true' : `declump_method is ${config.declumpMethod}`}`,
    );
  }
  const minPx = diameterUm ? diameterUm[0] / px : 0;
  // Automatic contrast (chosen on the BBBC039 dev split, docs/declumping.md): `shape` compares the mean raw
  // intensity along the dividing line with the dimmer piece's peak, `intensity` the brightest point of the line
  // in the smoothed intensity, which dips less.
  const mergeContrast = config.declumpMergeContrast ?? (config.declumpMethod === 'shape' ? 0.22 : 0.15);
  const merging = config.declumpMergeNeckPx > 0 || mergeContrast > 0;
  // With basin merging the seeds are first over-detected at half CellProfiler's automatic sizes (the merge
  // step removes the spurious ones, which CellProfiler's larger sizes suppress at the cost of merged nuclei).
  const auto = merging ? 0.5 : 1;
  // CellProfiler `calc_smoothing_filter_size`: S = 2.35 · min diameter / 3.5; σ = S / 2.35.
  const smoothingFilterSizePx = config.declumpSmoothingPx ?? (auto * 2.35 * minPx) / 3.5;
  // CellProfiler automatic maxima suppression size: min diameter / 1.5.
  const minDistancePx = config.declumpMinDistancePx ?? (auto * minPx) / 1.5;
  return {
    method: config.declumpMethod,
    diameterUm,
    smoothingSigmaUm: (smoothingFilterSizePx / 2.35) * px,
    // `strel_disk(max(1, maxima_suppression_size - .5))`.
    minDistanceUm: Math.max(1, minDistancePx - 0.5) * px,
    fillHoles: config.fillHoles,
    excludeBorderObjects: config.excludeBorderObjects,
    discardOutsideDiameter: config.discardOutsideDiameter,
    mergeNeckUm: config.declumpMergeNeckPx * px,
    mergeContrast,
    smoothingFilterSizePx,
    minDistancePx,
  };
}

export interface DeclumpInfo extends ObjectRuleCounts {
  method: DeclumpMethod;
  typicalDiameterUm: [number, number] | null;
  smoothingFilterSizePx: number;
  minDistancePx: number;
  mergeNeckPx: number;
  mergeContrast: number;
  /** Connected components of the thresholded mask (full connectivity). */
  components: number;
  /** Objects after splitting (watershed seeds, after basin merging). */
  seeds: number;
  /** Components split into more than one object. */
  clumpsSplit: number;
  /** Components left whole by the convexity rule (2-D; `convex-hull.ts`). */
  convexWhole: number;
  /** Objects kept after every rule. */
  objects: number;
}
