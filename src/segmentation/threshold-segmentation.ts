/**
 * Threshold segmentation of one (prefiltered, ROI-masked) crop: `segment_threshold_channel`, spec 4.3.
 *
 * 1. W = float32 crop (2-D when it has one plane).
 * 2. Background subtraction iff `thresholdBackgroundSigma > 0`: W = W - skimage gaussian(W, σ, nearest), negatives → 0.
 * 3. values = entries of W that are finite and > 0, in C order (none → empty labels).
 * 4. t = otsu | li | percentile of the values. 5. mask = W > t (float32 comparison, NumPy 1.24 casting).
 * 6. closing with disk(1)/ball(1). 7. remove objects < n (4/6-conn.). 8. fill holes < n (4/6-conn., Q14).
 * 9. label with full connectivity (Q13), raster-order ids.
 */
import type { FloatVolume, LabelVolume } from '../core/volume.js';
import type { ModelConfig, SegmentationMethod } from '../config/types.js';
import { valueError } from '../core/errors.js';
import { skimageGaussian } from './kernels/gaussian.js';
import { thresholdOtsu } from './threshold/otsu.js';
import { thresholdLi } from './threshold/li.js';
import { percentileLinear } from './threshold/percentile.js';
import { binaryClosing, removeSmallHoles, removeSmallObjects } from './morphology.js';
import { labelComponents } from './label.js';

export type ThresholdMethod = Exclude<SegmentationMethod, 'cellpose'>;

export interface ThresholdSegmentation {
  labels: LabelVolume;
  /** The threshold (foreground = value > threshold), or null when the crop had no positive value. */
  threshold: number | null;
  /** Number of finite, strictly positive voxels the threshold was computed from. */
  nValues: number;
  /** Range of those values (NaN when there are none). */
  valuesMin: number;
  valuesMax: number;
}

export function isThresholdMethod(m: string): m is ThresholdMethod {
  return m === 'otsu' || m === 'li' || m === 'percentile';
}

export function segmentThresholdChannel(crop: FloatVolume, config: ModelConfig, method: string = config.segmentationMethod): ThresholdSegmentation {
  if (!isThresholdMethod(method)) {
    throw valueError(`segmentation_method: '${method}' is not a threshold method (expected otsu, li or percentile)`);
  }
  const shape: [number, number, number] = [crop.shape[0], crop.shape[1], crop.shape[2]];
  const n = shape[0] * shape[1] * shape[2];
  if (crop.data.length !== n) throw valueError(`segmentThresholdChannel: crop has ${crop.data.length} voxels, shape needs ${n}`);
  const is3d = shape[0] > 1;
  const W = new Float32Array(crop.data);

  const bgSigma = config.thresholdBackgroundSigma;
  if (bgSigma !== null && bgSigma > 0) {
    const dims = is3d ? shape : [shape[1], shape[2]];
    const bg = skimageGaussian(W, dims, bgSigma);
    for (let i = 0; i < n; i++) {
      const v = Math.fround(W[i] - bg[i]);
      W[i] = v < 0 ? 0 : v; // `W[W < 0] = 0` (NaN stays NaN)
    }
  }

  let nValues = 0;
  for (let i = 0; i < n; i++) if (W[i] > 0 && W[i] !== Infinity) nValues++;
  const empty = (): ThresholdSegmentation => ({
    labels: { data: new Uint32Array(n), shape },
    threshold: null,
    nValues: 0,
    valuesMin: NaN,
    valuesMax: NaN,
  });
  if (nValues === 0) return empty();
  const values = new Float32Array(nValues);
  let vmin = Infinity;
  let vmax = -Infinity;
  for (let i = 0, k = 0; i < n; i++) {
    const v = W[i];
    if (v > 0 && v !== Infinity) {
      values[k++] = v;
      if (v < vmin) vmin = v;
      if (v > vmax) vmax = v;
    }
  }

  let threshold: number;
  if (method === 'otsu') threshold = thresholdOtsu(values);
  else if (method === 'li') threshold = thresholdLi(values);
  else threshold = percentileLinear(values, config.thresholdPercentile);

  // NumPy 1.24 compares a float32 array with a float64 scalar in float32 (value-based casting), so the
  // float64 percentile is rounded to float32 first; otsu/li thresholds already are float32.
  const t32 = Math.fround(threshold);
  let mask: Uint8Array = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = W[i] > t32 ? 1 : 0;
  if (config.thresholdApplyClosing) mask = binaryClosing(mask, shape);
  if (config.thresholdMinObjectVoxels > 0) mask = removeSmallObjects(mask, shape, config.thresholdMinObjectVoxels);
  if (config.thresholdMinHoleVoxels > 0) mask = removeSmallHoles(mask, shape, config.thresholdMinHoleVoxels);
  const { labels } = labelComponents(mask, shape, 'full');
  return { labels: { data: labels, shape }, threshold, nValues, valuesMin: vmin, valuesMax: vmax };
}
