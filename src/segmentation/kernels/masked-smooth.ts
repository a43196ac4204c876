/**
 * CellProfiler IdentifyPrimaryObjects `smooth_image`: the declumping smoothing filter. A filter size S
 * (pixels, "Size of smoothing filter"; automatic = 2.35 · min diameter / 3.5) gives a Gaussian of
 * σ = S / 2.35 truncated at a half-width of max(⌊S / 2⌋, 1) pixels, applied separably with zeros outside the
 * array; the result is divided by the same filter applied to the mask (edge correction), so voxels near the
 * array or mask border are averages of in-mask voxels only. Voxels outside the mask are 0.
 *
 * Anisotropic volumes: σ is given in µm and converted per axis (σ_axis = σ / spacing_axis); an axis whose σ is
 * below 0.1 voxel is not smoothed (a one-tap filter).
 */
import type { Shape3 } from '../../core/volume.js';

/** Kernel half-width (voxels) along each axis `[z, y, x]` for σ in µm; 0 = the axis is not smoothed. */
export function smoothingHalfWidths(sigmaUm: number, spacing: readonly [number, number, number]): [number, number, number] {
  const h = (axis: number) => {
    const k = kernelFor(sigmaUm / spacing[axis]);
    return k ? (k.length - 1) >> 1 : 0;
  };
  return [h(0), h(1), h(2)];
}

function kernelFor(sigmaVox: number): Float64Array | null {
  if (!(sigmaVox >= 0.1)) return null;
  const size = 2.35 * sigmaVox;
  const half = Math.max(Math.trunc(size / 2), 1);
  const k = new Float64Array(2 * half + 1);
  for (let i = -half; i <= half; i++) k[i + half] = Math.exp((-0.5 * i * i) / (sigmaVox * sigmaVox));
  return k;
}

/** One separable pass along `axis` (0 = z, 1 = y, 2 = x), zeros outside the array; `line` is scratch. */
function convolveAxis(data: Float64Array, shape: Shape3, axis: number, k: Float64Array, line: Float64Array, normalize: boolean): void {
  const [Z, Y, X] = shape;
  const n = shape[axis];
  const stride = axis === 2 ? 1 : axis === 1 ? X : Y * X;
  const half = (k.length - 1) >> 1;
  const taps = k.length;
  let kSum = 0;
  for (let t = 0; t < taps; t++) kSum += k[t];
  const outerCount = (Z * Y * X) / n;
  for (let o = 0; o < outerCount; o++) {
    // Start of the o-th line along `axis`.
    let start: number;
    if (axis === 2) start = o * X;
    else if (axis === 1) start = Math.floor(o / X) * Y * X + (o % X);
    else start = o;
    for (let q = 0; q < n; q++) line[q] = data[start + q * stride];
    for (let q = 0; q < n; q++) {
      let acc = 0;
      if (q >= half && q < n - half) {
        // Interior: every tap inside the line (no bounds, full weight).
        for (let t = 0, j = q - half; t < taps; t++, j++) acc += line[j] * k[t];
        data[start + q * stride] = normalize ? acc / kSum : acc;
        continue;
      }
      const lo = Math.max(-half, -q);
      const hi = Math.min(half, n - 1 - q);
      let w = 0;
      for (let t = lo; t <= hi; t++) {
        acc += line[q + t] * k[t + half];
        w += k[t + half];
      }
      data[start + q * stride] = normalize ? acc / w : acc;
    }
  }
}

/**
 * @param sigmaUm Gaussian σ in µm (pixels with unit spacing). `mask` null = every voxel counts.
 */
export function maskedSmooth(
  values: ArrayLike<number>,
  mask: Uint8Array | null,
  shape: Shape3,
  spacing: readonly [number, number, number],
  sigmaUm: number,
): Float32Array {
  const n = shape[0] * shape[1] * shape[2];
  const out = new Float32Array(n);
  if (mask === null) {
    // No mask: the edge correction is separable too (the in-array taps' weight sum per axis).
    const data = Float64Array.from(values);
    const line = new Float64Array(Math.max(...shape));
    for (let axis = 0; axis < 3; axis++) {
      if (shape[axis] === 1) continue;
      const k = kernelFor(sigmaUm / spacing[axis]);
      if (k) convolveAxis(data, shape, axis, k, line, true);
    }
    out.set(data);
    return out;
  }
  const num = new Float64Array(n);
  const den = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = mask[i] ? 1 : 0;
    num[i] = m ? values[i] : 0;
    den[i] = m;
  }
  const line = new Float64Array(Math.max(...shape));
  for (let axis = 0; axis < 3; axis++) {
    if (shape[axis] === 1) continue;
    const k = kernelFor(sigmaUm / spacing[axis]);
    if (!k) continue;
    convolveAxis(num, shape, axis, k, line, false);
    convolveAxis(den, shape, axis, k, line, false);
  }
  for (let i = 0; i < n; i++) {
    out[i] = mask[i] && den[i] > 0 ? num[i] / den[i] : 0;
  }
  return out;
}
