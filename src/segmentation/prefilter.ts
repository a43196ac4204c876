/**
 * Prefilter chain (`apply_prefilter`, spec 4.2), applied to each ROI bounding-box crop before zeroing the
 * outside of the ROI polygon (Q18). Input cast to float32; filters run in configured order; a crop with one
 * plane is filtered as a 2-D image (sigma `(σxy, σxy)`, size `(sxy, sxy)`), a deeper crop as a volume
 * (sigma `(σz, σxy, σxy)`, size `(sz, sxy, sxy)`), SciPy `reflect` borders throughout.
 */
import type { FloatVolume, Volume } from '../core/volume.js';
import type { ModelConfig } from '../config/types.js';
import { valueError } from '../core/errors.js';
import { gaussianFilter, gaussianLaplace } from './kernels/gaussian.js';
import { medianFilter } from './kernels/median.js';

/** `crop.astype(np.float32)` (round to nearest, as `Math.fround`); always a new array. */
export function toFloat32(crop: Volume): Float32Array {
  return crop.data instanceof Float32Array ? new Float32Array(crop.data) : Float32Array.from(crop.data as ArrayLike<number>);
}

function checkSigma(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw valueError(`prefilter: ${name} must be a finite number >= 0, got ${value}`);
}

function checkSize(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw valueError(`prefilter: ${name} must be an integer >= 1, got ${value}`);
}

/**
 * @param options.inPlace a float32 crop the caller owns may be filtered without the defensive copy (the
 * per-ROI driver builds a fresh crop for every ROI).
 */
export function applyPrefilter(crop: Volume, config: ModelConfig, options: { inPlace?: boolean } = {}): FloatVolume {
  const shape = crop.shape;
  let data = options.inPlace && crop.data instanceof Float32Array ? crop.data : toFloat32(crop);
  const is3d = shape[0] > 1;
  const dims = is3d ? [shape[0], shape[1], shape[2]] : [shape[1], shape[2]];
  for (const name of config.prefilter) {
    if (name === 'gaussian' || name === 'laplacian_of_gaussian') {
      const sxy = config.prefilterSigmaXy;
      checkSigma('prefilter_sigma_xy', sxy);
      let sigma = [sxy, sxy];
      if (is3d) {
        const sz = config.prefilterSigmaZ ?? sxy;
        checkSigma('prefilter_sigma_z', sz);
        sigma = [sz, sxy, sxy];
      }
      if (name === 'gaussian') {
        data = gaussianFilter(data, dims, sigma, 0, 'reflect');
      } else {
        // Negated `gaussian_laplace` (bright blobs positive). A z sigma <= 1e-15 drops the z term's order
        // as SciPy does (Q17); a tiny positive z sigma gives the radius-0 kernel [-1/σz²] — both reproduced.
        data = gaussianLaplace(data, dims, sigma, 'reflect');
        for (let i = 0; i < data.length; i++) data[i] = -data[i];
      }
    } else if (name === 'median') {
      const sxy = config.prefilterMedianSizeXy;
      checkSize('prefilter_median_size_xy', sxy);
      let size = [sxy, sxy];
      if (is3d) {
        const sz = config.prefilterMedianSizeZ ?? sxy;
        checkSize('prefilter_median_size_z', sz);
        size = [sz, sxy, sxy];
      }
      data = medianFilter(data, dims, size);
    } else {
      throw valueError(`prefilter: unknown filter '${String(name)}' (expected gaussian, median or laplacian_of_gaussian)`);
    }
  }
  return { data, shape: [shape[0], shape[1], shape[2]] };
}
