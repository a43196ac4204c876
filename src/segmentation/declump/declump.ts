/**
 * Declumping: touching objects of a thresholded mask split by a seeded watershed, after CellProfiler
 * IdentifyPrimaryObjects (`separate_neighboring_objects`, `get_maxima`, `smooth_image`,
 * `calc_smoothing_filter_size`; CellProfiler/CellProfiler `cellprofiler/modules/identifyprimaryobjects.py`).
 *
 * - `shape`: seeds = local maxima of the smoothed Euclidean distance transform of the (hole-filled) mask
 *   ("Method to distinguish clumped objects: Shape"), dividing lines = watershed of the negated distance
 *   transform ("Method to draw dividing lines: Shape"). CellProfiler takes the maxima of the unsmoothed
 *   distance plus uniform noise in [0, 0.001) to make them unique; here the distance map is smoothed with
 *   the declumping filter (the same one CellProfiler applies to the intensity), which removes the spurious
 *   maxima of ragged outlines deterministically.
 * - `intensity`: seeds = local maxima of the smoothed intensity, dividing lines = watershed of the negated
 *   (prefiltered, unsmoothed) intensity, CellProfiler's `1 - image`.
 *
 * Sizes (CellProfiler's "automatically calculate" rules, from the typical diameter range [min, max]):
 * smoothing filter size S = 2.35 · min / 3.5 (Gaussian σ = S / 2.35 = min / 3.5), maxima suppression distance
 * = min / 1.5, used as the radius max(1, d − 0.5) of the disk a maximum must dominate (`strel_disk`).
 * CellProfiler's "Speed up by using lower-resolution image to find local maxima?" (a 10 / min downsampling
 * when min > 10 px) is not reproduced: maxima are found at full resolution with the same radius rule.
 * Every distance is in µm with the voxel size, so anisotropic stacks get ellipsoidal filters and footprints;
 * `*_px` settings are converted with the x pixel size.
 */
import type { Shape3 } from '../../core/volume.js';
import type { ModelConfig } from '../../config/types.js';
import { valueError } from '../../core/errors.js';
import { labelComponents } from '../label.js';
import { distanceTransform } from '../kernels/distance-transform.js';
import { maskedSmooth } from '../kernels/masked-smooth.js';
import { peakLocalMax } from '../kernels/peaks.js';
import { seededWatershed } from '../kernels/watershed.js';
import { applyObjectRules, fillLabelHoles, relabelRasterOrder, type ObjectRuleCounts } from './object-rules.js';

import type { DeclumpMethod } from '../../config/types.js';
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
  // CellProfiler `calc_smoothing_filter_size`: S = 2.35 · min diameter / 3.5; σ = S / 2.35.
  const smoothingFilterSizePx = config.declumpSmoothingPx ?? (2.35 * minPx) / 3.5;
  // CellProfiler automatic maxima suppression size: min diameter / 1.5.
  const minDistancePx = config.declumpMinDistancePx ?? minPx / 1.5;
  return {
    method: config.declumpMethod,
    diameterUm,
    smoothingSigmaUm: (smoothingFilterSizePx / 2.35) * px,
    // `strel_disk(max(1, maxima_suppression_size - .5))`.
    minDistanceUm: Math.max(1, minDistancePx - 0.5) * px,
    fillHoles: config.fillHoles,
    excludeBorderObjects: config.excludeBorderObjects,
    discardOutsideDiameter: config.discardOutsideDiameter,
    smoothingFilterSizePx,
    minDistancePx,
  };
}

export interface DeclumpInfo extends ObjectRuleCounts {
  method: DeclumpMethod;
  typicalDiameterUm: [number, number] | null;
  smoothingFilterSizePx: number;
  minDistancePx: number;
  /** Connected components of the thresholded mask (full connectivity). */
  components: number;
  /** Watershed seeds (= objects after splitting). */
  seeds: number;
  /** Components split into more than one object. */
  clumpsSplit: number;
  /** Objects kept after every rule. */
  objects: number;
}

/**
 * Labels (1..N, raster order) of the cleaned threshold mask with declumping and the object rules.
 * @param mask 0/1 mask after the threshold chain's cleanup; not modified
 * @param intensity the thresholded crop (prefiltered), read by the `intensity` method
 * @param roiMask2d in-ROI pixels of one plane, or null when the ROI fills the crop
 */
export function declumpMask(
  mask: Uint8Array,
  intensity: ArrayLike<number>,
  shape: Shape3,
  spacing: readonly [number, number, number],
  roiMask2d: Uint8Array | null,
  s: DeclumpSettings,
): { labels: Uint32Array; info: DeclumpInfo } {
  const n = shape[0] * shape[1] * shape[2];
  const is3d = shape[0] > 1;
  const { labels: comps, count } = labelComponents(mask, shape, 'full');
  // Hole filling before the split (CellProfiler "after both thresholding and declumping"): holes smaller than
  // a max-diameter object, so that a ring of touching nuclei keeps the background it encloses.
  const maxHole = s.diameterUm
    ? is3d
      ? (Math.PI / 6) * s.diameterUm[1] ** 3 / (spacing[0] * spacing[1] * spacing[2])
      : (Math.PI / 4) * s.diameterUm[1] ** 2 / (spacing[1] * spacing[2])
    : Infinity;
  let foreground = mask;
  let floodMask = mask;
  if (s.fillHoles || s.method === 'shape') {
    // `shape` always measures distances on the filled foreground (CellProfiler does so even when holes are
    // not filled: a point far from the edge may be next to a hole).
    const filled = new Uint32Array(comps);
    fillLabelHoles(filled, shape, maxHole);
    foreground = new Uint8Array(n);
    for (let i = 0; i < n; i++) foreground[i] = filled[i] !== 0 ? 1 : 0;
    if (s.fillHoles) {
      floodMask = foreground;
      comps.set(filled);
    }
  }
  const split =
    s.method === 'shape' ? splitByShape(foreground, floodMask) : s.method === 'intensity' ? splitByIntensity(floodMask) : { labels: comps, seeds: count };
  return finish(split);

  function roiMask3d(): Uint8Array | null {
    if (!roiMask2d) return null;
    const P = shape[1] * shape[2];
    const m = new Uint8Array(n);
    for (let z = 0; z < shape[0]; z++) m.set(roiMask2d, z * P);
    return m;
  }

  function seedAndFlood(seedValues: Float32Array, floodValues: Float32Array, floodMask: Uint8Array): { labels: Uint32Array; seeds: number } {
    const peaks = peakLocalMax(seedValues, comps, shape, { minDistance: s.minDistanceUm, spacing, seedEveryRegion: true });
    const labels = new Uint32Array(n);
    for (let k = 0; k < peaks.length; k++) labels[peaks[k]] = k + 1;
    seededWatershed(floodValues, labels, floodMask, shape);
    return { labels, seeds: peaks.length };
  }

  function splitByShape(foreground: Uint8Array, floodMask: Uint8Array) {
    const dist = distanceTransform(foreground, shape, spacing);
    const seedValues = s.smoothingSigmaUm > 0 ? maskedSmooth(dist, foreground, shape, spacing, s.smoothingSigmaUm) : dist;
    const flood = new Float32Array(n);
    for (let i = 0; i < n; i++) flood[i] = -dist[i];
    return seedAndFlood(seedValues, flood, floodMask);
  }

  function splitByIntensity(floodMask: Uint8Array) {
    const seedValues = s.smoothingSigmaUm > 0 ? maskedSmooth(intensity, roiMask3d(), shape, spacing, s.smoothingSigmaUm) : Float32Array.from(intensity);
    const flood = new Float32Array(n);
    for (let i = 0; i < n; i++) flood[i] = -intensity[i];
    return seedAndFlood(seedValues, flood, floodMask);
  }

  function finish(split: { labels: Uint32Array; seeds: number }): { labels: Uint32Array; info: DeclumpInfo } {
    const labels = split.labels;
    // Components split: count distinct seeds per component.
    let clumpsSplit = 0;
    if (s.method !== 'none') {
      const per = new Uint32Array(count + 1);
      const seen = new Uint8Array(split.seeds + 1);
      for (let i = 0; i < n; i++) {
        const l = labels[i];
        if (l !== 0 && !seen[l] && comps[i] !== 0) {
          seen[l] = 1;
          if (++per[comps[i]] === 2) clumpsSplit++;
        }
      }
    }
    const counts = applyObjectRules(labels, shape, spacing, roiMask2d, {
      excludeBorderObjects: s.excludeBorderObjects,
      diameterRangeUm: s.discardOutsideDiameter ? s.diameterUm : null,
      fillHoles: s.fillHoles,
    });
    const objects = relabelRasterOrder(labels);
    return {
      labels,
      info: {
        method: s.method,
        typicalDiameterUm: s.diameterUm,
        smoothingFilterSizePx: s.smoothingFilterSizePx,
        minDistancePx: s.minDistancePx,
        components: count,
        seeds: split.seeds,
        clumpsSplit,
        objects,
        ...counts,
      },
    };
  }
}
