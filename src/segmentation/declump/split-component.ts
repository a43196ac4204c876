/**
 * One connected component (on its bounding box) split by a seeded watershed — the core of `declumpMask`.
 *
 * 1. Seed map: `shape` = the Euclidean distance transform (µm) of the hole-filled object, smoothed with the
 *    declumping Gaussian with zeros outside the object (so necks between touching objects stay low);
 *    `intensity` = the smoothed (prefiltered) intensity, edge-corrected inside the ROI (CellProfiler
 *    `smooth_image`).
 * 2. Seeds = `peakLocalMax` of the seed map within the object, at least the minimum distance apart.
 * 3. Watershed from the seeds, restricted to the object: on the negated distance (`shape`) or the negated
 *    intensity (`intensity`), as CellProfiler's "Method to draw dividing lines".
 * 4. Optional basin merging (`merge-shallow.ts`): neighbouring pieces are merged back when neither a neck of
 *    the distance map (depth < `mergeNeckUm`) nor a dip of the intensity (relative depth < `mergeContrast`)
 *    separates them. Each criterion reads the seed map where it is that map, else the unsmoothed map.
 */
import type { Shape3 } from '../../core/volume.js';
import type { DeclumpMethod } from '../../config/types.js';
import { distanceTransform } from '../kernels/distance-transform.js';
import { unitPlaneDistanceTransform } from '../kernels/distance-transform-int.js';
import { maskedSmooth } from '../kernels/masked-smooth.js';
import { peakLocalMax } from '../kernels/peaks.js';
import { seededWatershedOfNegated } from '../kernels/watershed.js';
import { seededWatershedOfDistance } from '../kernels/watershed-distance.js';
import { mergeShallowBasins, type SaddleCriterion } from './merge-shallow.js';
import { GrowBuffer } from '../kernels/grow-buffer.js';

// Per-component temporaries, reused from one component to the next (grow-buffer.ts). Only `labels` leaves
// `splitComponent`, and the caller is done with it before the next call.
const fgScratch = new GrowBuffer(Uint8Array);
const distScratch = new GrowBuffer(Float32Array);
const seedMapScratch = new GrowBuffer(Float32Array);
const labelScratch = new GrowBuffer(Uint32Array);
const rankScratch = new GrowBuffer(Int32Array);

export interface ComponentSplit {
  method: DeclumpMethod;
  shape: Shape3;
  spacing: readonly [number, number, number];
  /** 1 = voxel of the object (holes filled when `fill_holes`), 0 = elsewhere. */
  floodMask: Uint8Array;
  /**
   * Local labels with the object's holes filled (1 = object) when they differ from `floodMask` (holes kept by
   * `fill_holes: false`); null when `floodMask` is the filled object (holes filled, or none): the distance map
   * reads it then.
   */
  filled: Uint32Array | null;
  /** The (prefiltered) intensity of the box, and the in-ROI voxels (null = all), made on demand. */
  intensity: () => Float32Array;
  roiMask: () => Uint8Array | null;
  smoothingSigmaUm: number;
  minDistanceUm: number;
  /** Basin merging thresholds; 0 switches a criterion off, both 0 = no merging. */
  mergeNeckUm: number;
  mergeContrast: number;
  /** With merging, pieces smaller than this many voxels join a neighbour (0 = off). */
  minPieceVoxels: number;
}

/**
 * Labels 1..seeds on the box (0 outside the object) and the number of objects it was split into. The labels
 * are a shared scratch view: valid until the next call.
 */
export function splitComponent(c: ComponentSplit): { labels: Uint32Array; seeds: number } {
  const n = c.floodMask.length;
  const region = labelScratch.get(n);
  region.set(c.floodMask); // native conversion: faster than a loop here (measured)
  if (c.method === 'none') return { labels: region, seeds: 1 };
  let dist: Float32Array | null = null;
  const distance = () => {
    if (dist) return dist;
    let fg = c.floodMask;
    if (c.filled) {
      const filled = c.filled;
      fg = fgScratch.get(n);
      for (let k = 0; k < n; k++) fg[k] = filled[k] === 1 ? 1 : 0;
    }
    const [Z, Y, X] = c.shape;
    // A plane with square pixels (`shape`'s dividing lines): the integer transform also gives the watershed its
    // flooding ranks (the integer squares), so that they need not be derived from the distances.
    const [, sy, sx] = c.spacing;
    if (c.method === 'shape' && Z === 1 && sy === sx && sx > 0 && sx < Infinity) {
      const out = distScratch.get(n);
      const r = rankScratch.get(n);
      if (unitPlaneDistanceTransform(fg, Y, X, out, r, sx * sx)) {
        ranks = r;
        return (dist = out);
      }
    }
    return (dist = distanceTransform(fg, c.shape, c.spacing, distScratch.get(n)));
  };
  let ranks: Int32Array | null = null;
  let vals: Float32Array | null = null;
  const intensity = () => (vals ??= c.intensity());
  const smooth = c.smoothingSigmaUm > 0;
  // The seed map is read only inside the object (maxima of the region, the merge step's saddles and peaks of
  // its pieces), so the smoothing computes only those voxels (`needed`).
  const seedMap =
    c.method === 'shape'
      ? smooth
        ? maskedSmooth(distance(), null, c.shape, c.spacing, c.smoothingSigmaUm, seedMapScratch.get(n), true, c.floodMask)
        : distance()
      : smooth
        ? maskedSmooth(intensity(), c.roiMask(), c.shape, c.spacing, c.smoothingSigmaUm, seedMapScratch.get(n), false, c.floodMask)
        : intensity();
  const peaks = peakLocalMax(seedMap, region, c.shape, { minDistance: c.minDistanceUm, spacing: c.spacing, seedEveryRegion: true, oneRegion: true });
  // One seed: the object is the whole region (what the watershed would give), no flooding needed.
  if (peaks.length === 1) return { labels: region, seeds: 1 };
  const labels = region.fill(0);
  for (let k = 0; k < peaks.length; k++) labels[peaks[k]] = k + 1;
  if (c.method === 'shape') {
    // The distance map's values are square roots of (sums of) squares: ranked by their integer squares on a
    // plane with square pixels, else by hashing its few distinct values (`watershed-distance.ts`).
    const [, sy, sx] = c.spacing;
    seededWatershedOfDistance(distance(), labels, c.floodMask, c.shape, sy === sx ? sx * sx : 0, ranks);
  } else {
    seededWatershedOfNegated(intensity(), labels, c.floodMask, c.shape);
  }
  let seeds = peaks.length;
  if (seeds > 1 && (c.mergeNeckUm > 0 || c.mergeContrast > 0)) {
    const criteria: SaddleCriterion[] = [];
    // Both criteria read unsmoothed maps: the distance transform (a neck between two nuclei) and the intensity
    // — for `shape` the mean along the dividing line (robust to single bright pixels of the raw image), for
    // `intensity` the brightest point of the line in the smoothed intensity its seeds come from.
    // A map not made yet (the intensity box for `shape`, the distance transform for `intensity`) is passed as its
    // maker: the merge makes it only when the other map cannot rule out every merge.
    if (c.mergeContrast > 0) {
      criteria.push(
        c.method === 'intensity'
          ? { map: seedMap, h: c.mergeContrast, relative: true, saddle: 'max' }
          : { map: vals ?? intensity, h: c.mergeContrast, relative: true, saddle: 'mean' },
      );
    }
    if (c.mergeNeckUm > 0) criteria.push({ map: dist ?? distance, h: c.mergeNeckUm, relative: false });
    seeds = mergeShallowBasins(labels, seeds, c.shape, criteria, c.minPieceVoxels);
  }
  return { labels, seeds };
}
