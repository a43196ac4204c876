/**
 * Threshold segmentation of one (prefiltered, ROI-masked) crop: `segment_threshold_channel`, spec 4.3.
 *
 * 1. W = float32 crop (2-D when it has one plane).
 * 2. Background subtraction iff `thresholdBackgroundSigma > 0`: W = W - skimage gaussian(W, σ, nearest), negatives → 0.
 * 3. values = entries of W that are finite and > 0, in C order (none → empty labels).
 * 4. t = otsu | li | percentile of the values. 5. mask = W > t (float32 comparison, NumPy 1.24 casting).
 * 6. closing with disk(1)/ball(1). 7. remove objects < n (4/6-conn.). 8. fill holes < n (4/6-conn., Q14).
 * 9. label with full connectivity (Q13), raster-order ids.
 *
 * Beyond the original (all off by default, docs/declumping.md): step 9 becomes declumping and the object rules
 * (`declump/declump.ts`: seeded watershed of touching objects, border / diameter rules, hole filling) when the
 * config asks for any of them.
 */
import type { LabelVolume, Volume } from '../core/volume.js';
import type { LabelRuns } from '../core/label-runs.js';
import type { ModelConfig, SegmentationMethod } from '../config/types.js';
import { valueError } from '../core/errors.js';
import { skimageGaussian } from './kernels/gaussian.js';
import { thresholdOtsuOfPositive } from './threshold/otsu.js';
import { isIntegerVoxels, otsuOfHistogram, percentileOfHistogram, positiveHistogram } from './threshold/histogram.js';
import { thresholdLi } from './threshold/li.js';
import { percentileLinear } from './threshold/percentile.js';
import { removeSmallBitComponents } from './morphology.js';
import { closeBits, releaseBitMask, thresholdToBits } from './bitmask.js';
import { labelBitMask } from './label.js';
import { declumpMask, declumpingActive, resolveDeclumpSettings, type DeclumpInfo } from './declump/declump.js';
import { precompileThresholdKernels } from './kernels/threshold-wasm.js';
import { precompileDeclumpKernels } from './kernels/declump-wasm.js';

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
  /** Largest label id (the number of objects: ids are 1..N without gaps). */
  maxLabel: number;
  /** Voxel count per label id (index 0 = background), when the chain knows it without a scan. */
  labelCounts?: Float64Array;
  /** The runs of `labels` (`core/label-runs.ts`), when the chain knows them without a scan. */
  labelRuns?: LabelRuns;
  /** Declumping and object-rule counts, when the config enables any of them. */
  declump?: DeclumpInfo;
}

/** What declumping needs to know about the crop beyond its voxels. */
export interface ThresholdContext {
  /** `[z, y, x]` µm; distances of the declumping are in µm. Default `[1, 1, 1]` (pixels). */
  voxelSizeUm?: readonly [number, number, number];
  /** In-ROI pixels of one crop plane (the ROI outline is a border for `exclude_border_objects`). */
  roiMask2d?: Uint8Array | null;
}

function isExactInFloat32(a: Volume['data']): a is Float32Array | Uint16Array | Uint8Array | Int16Array | Int8Array {
  return a instanceof Float32Array || a instanceof Uint16Array || a instanceof Uint8Array || a instanceof Int16Array || a instanceof Int8Array;
}

export function isThresholdMethod(m: string): m is ThresholdMethod {
  return m === 'otsu' || m === 'li' || m === 'percentile';
}

/**
 * @param crop float32 crop, or stored voxels whose values are exact in float32 (uint8/int8/uint16/int16);
 * never modified.
 */
export function segmentThresholdChannel(
  crop: Volume,
  config: ModelConfig,
  method: string = config.segmentationMethod,
  context: ThresholdContext = {},
): ThresholdSegmentation {
  if (!isThresholdMethod(method)) {
    throw valueError(`segmentation_method: '${method}' is not a threshold method (expected otsu, li or percentile)`);
  }
  const shape: [number, number, number] = [crop.shape[0], crop.shape[1], crop.shape[2]];
  const n = shape[0] * shape[1] * shape[2];
  if (crop.data.length !== n) throw valueError(`segmentThresholdChannel: crop has ${crop.data.length} voxels, shape needs ${n}`);
  const is3d = shape[0] > 1;
  const bgSigma = config.thresholdBackgroundSigma;
  const subtractBackground = bgSigma !== null && bgSigma > 0;
  // The crop is only read unless the background is subtracted.
  let W: Float32Array | Uint16Array | Uint8Array | Int16Array | Int8Array;
  if (subtractBackground) {
    const Wf = Float32Array.from(crop.data as ArrayLike<number>);
    const dims = is3d ? shape : [shape[1], shape[2]];
    const bg = skimageGaussian(Wf, dims, bgSigma!);
    for (let i = 0; i < n; i++) {
      const v = Math.fround(Wf[i] - bg[i]);
      Wf[i] = v < 0 ? 0 : v; // `W[W < 0] = 0` (NaN stays NaN)
    }
    W = Wf;
  } else {
    W = isExactInFloat32(crop.data) ? crop.data : Float32Array.from(crop.data as ArrayLike<number>);
  }

  let nValues = 0;
  let vmin = Infinity;
  let vmax = -Infinity;
  let threshold: number;
  if (isIntegerVoxels(W) && method !== 'li') {
    // Integer voxels: one counting pass gives the range, the count and the exact threshold (`histogram.ts`).
    const h = positiveHistogram(W);
    nValues = h.nValues;
    if (nValues === 0) return emptyResult(n, shape);
    vmin = h.values[0];
    vmax = h.values[h.nDistinct - 1];
    threshold = method === 'otsu' ? otsuOfHistogram(h) : percentileOfHistogram(h, config.thresholdPercentile);
  } else {
    for (let i = 0; i < n; i++) {
      const v = W[i];
      if (v > 0 && v !== Infinity) {
        nValues++;
        if (v < vmin) vmin = v;
        if (v > vmax) vmax = v;
      }
    }
    if (nValues === 0) return emptyResult(n, shape);
    if (method === 'otsu') {
      // Otsu needs only a histogram: no copy of the values, and the range is known from the pass above.
      threshold = thresholdOtsuOfPositive(W, undefined, { vmin, vmax });
    } else {
      const values = new Float32Array(nValues);
      for (let i = 0, k = 0; i < n; i++) {
        const v = W[i];
        if (v > 0 && v !== Infinity) values[k++] = v;
      }
      threshold = method === 'li' ? thresholdLi(values) : percentileLinear(values, config.thresholdPercentile);
    }
  }

  // NumPy 1.24 compares a float32 array with a float64 scalar in float32 (value-based casting), so the
  // float64 percentile is rounded to float32 first; otsu/li thresholds already are float32.
  const t32 = Math.fround(threshold);
  // Steps 5–8 on a bit-packed mask (`bitmask.ts`): 32 voxels per word operation, 1/8 of the memory.
  const bits = thresholdToBits(W, shape, t32);
  if (config.thresholdApplyClosing) closeBits(bits);
  if (config.thresholdMinObjectVoxels > 0) removeSmallBitComponents(bits, config.thresholdMinObjectVoxels, 1);
  if (config.thresholdMinHoleVoxels > 0) removeSmallBitComponents(bits, config.thresholdMinHoleVoxels, 0);
  if (declumpingActive(config)) {
    const spacing = context.voxelSizeUm ?? ([1, 1, 1] as const);
    let roi = context.roiMask2d ?? null;
    // A ROI filling its box has no outline inside the crop (native `indexOf`: a per-voxel callback over a
    // whole-image ROI cost tens of ms).
    if (roi && roi.indexOf(0) < 0) roi = null;
    // Declumping labels the packed mask itself (no unpacking) and numbers its objects 1..objects.
    const d = declumpMask(bits, W, shape, spacing, roi, resolveDeclumpSettings(config, spacing));
    releaseBitMask(bits);
    return { labels: { data: d.labels, shape }, threshold, nValues, valuesMin: vmin, valuesMax: vmax, maxLabel: d.info.objects, labelCounts: d.counts, declump: d.info, ...(d.labelRuns ? { labelRuns: d.labelRuns } : {}) };
  }
  const { labels, count, counts, labelRuns } = labelBitMask(bits, 'full');
  releaseBitMask(bits);
  // Ids are 1..count in raster order, so the count is the largest id (no rescan of the labels).
  return { labels: { data: labels, shape }, threshold, nValues, valuesMin: vmin, valuesMax: vmax, maxLabel: count, labelCounts: counts, labelRuns };
}

/**
 * Starts compiling the WebAssembly kernels that segmenting with these model configs will use, off the main thread
 * (the threshold chain's; declumping's where it is active), for a caller about to read the image: the first
 * segmentation then need not compile them (~0.3–0.4 ms each in a fresh process).
 */
export function precompileSegmentationKernels(models: readonly (ModelConfig | null | undefined)[]): void {
  for (const m of models) {
    if (!m || m.segmentationMethod === 'cellpose') continue;
    precompileThresholdKernels();
    if (declumpingActive(m)) precompileDeclumpKernels();
  }
}

function emptyResult(n: number, shape: [number, number, number]): ThresholdSegmentation {
  return { labels: { data: new Uint32Array(n), shape }, threshold: null, nValues: 0, valuesMin: NaN, valuesMax: NaN, maxLabel: 0 };
}
