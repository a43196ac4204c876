/**
 * Gaussian filters with SciPy 1.10 `scipy.ndimage` semantics on float32 C-order arrays of 1–3 axes.
 *
 * - `gaussian_filter`: one `correlate1d` pass per axis, axis 0 first; axes with sigma <= 1e-15 are skipped
 *   together with their derivative order (Q17). Each pass reads float32, convolves in float64 and stores the
 *   line as float32 again (`output.dtype == input.dtype`), so the rounding after every pass is reproduced.
 * - `gaussian_laplace`: `generic_laplace` = second derivative along axis 0, then `output += d2/dx_i^2` for the
 *   other axes, the sum done in float32.
 * - scikit-image 0.19 `filters.gaussian(..., preserve_range=True)`: float32 input stays float32
 *   (`convert_to_float` + `_supported_float_type`), mode `nearest`.
 */
import { valueError } from '../../core/errors.js';
import { pairwiseSum64 } from '../numeric.js';
import { axisLayout, extensionMap, type BorderMode } from './boundary.js';

/** SciPy `_gaussian_kernel1d(sigma, order, radius)` (float64, *not* yet reversed). */
export function gaussianKernel1d(sigma: number, order: number, radius: number): Float64Array {
  if (order < 0 || !Number.isInteger(order)) throw valueError(`gaussian kernel: order must be a non-negative integer, got ${order}`);
  const n = 2 * radius + 1;
  const sigma2 = sigma * sigma;
  const c = -0.5 / sigma2; // `-0.5 / sigma2 * x ** 2` evaluates the scalar factor first
  const phi = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = i - radius;
    phi[i] = Math.exp(c * (x * x));
  }
  const sum = pairwiseSum64(phi, 0, n); // `phi_x.sum()` (NumPy pairwise summation)
  for (let i = 0; i < n; i++) phi[i] = phi[i] / sum;
  if (order === 0) return phi;
  // q(x) polynomial coefficients: q <- (D + P) q, `order` times, with D q = q' and P q = q * p'(x), p' = -x / sigma^2.
  let q = new Float64Array(order + 1);
  q[0] = 1;
  const pDiag = 1 / -sigma2; // `numpy.ones(order) / -sigma2`
  for (let it = 0; it < order; it++) {
    const next = new Float64Array(order + 1);
    for (let i = 0; i <= order; i++) {
      // Row i of D + P has D[i, i+1] = i+1 and P[i, i-1] = -1/sigma^2 (at most two non-zeros).
      let acc = 0;
      if (i - 1 >= 0) acc += pDiag * q[i - 1];
      if (i + 1 <= order) acc += (i + 1) * q[i + 1];
      next[i] = acc;
    }
    q = next;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = i - radius;
    // `(x[:, None] ** exponent_range).dot(q)`: sum_k x^k q_k, k ascending.
    let acc = 0;
    let xp = 1;
    for (let k = 0; k <= order; k++) {
      acc += xp * q[k];
      xp *= x;
    }
    out[i] = acc * phi[i];
  }
  return out;
}

/** Radius SciPy uses: `int(truncate * sigma + 0.5)`. */
export function gaussianRadius(sigma: number, truncate = 4.0): number {
  return Math.trunc(truncate * sigma + 0.5);
}

/**
 * SciPy `correlate1d(data, weights, axis, output=data, mode)` with origin 0, in place on float32 data.
 * Mirrors `NI_Correlate1D`: the kernel is checked for (anti)symmetry with `DBL_EPSILON` and the symmetric
 * branches sum `(in[-j] ± in[+j]) * w[-j]` from the outermost tap inwards, exactly in C's order.
 */
export function correlate1d(data: Float32Array, dims: readonly number[], axis: number, weights: Float64Array, mode: BorderMode): void {
  const filterSize = weights.length;
  const size1 = Math.floor(filterSize / 2);
  const size2 = filterSize - size1 - 1;
  const [outer, n, inner] = axisLayout(dims, axis);
  if (n === 0 || outer * inner === 0) return;
  let symmetric = 0;
  if (filterSize & 1) {
    symmetric = 1;
    for (let ii = 1; ii <= size1; ii++) {
      if (Math.abs(weights[size1 + ii] - weights[size1 - ii]) > Number.EPSILON) { symmetric = 0; break; }
    }
    if (symmetric === 0) {
      symmetric = -1;
      for (let ii = 1; ii <= size1; ii++) {
        if (Math.abs(weights[size1 + ii] + weights[size1 - ii]) > Number.EPSILON) { symmetric = 0; break; }
      }
    }
  }
  const map = extensionMap(n, size1, size2, mode);
  const w0 = weights[size1];
  if (inner > 1) {
    correlateAcross(data, outer, n, inner, weights, map, size1, size2, symmetric);
    return;
  }
  const buf = new Float64Array(n + size1 + size2);
  if (symmetric > 0) {
    // Along the last axis with a symmetric kernel (the gaussian): four outputs per step, each with its own sum in the
    // C order — four independent chains of additions instead of one, whose latency bounded the loop (2048² plane,
    // σ 1: ~48 → ~31 ms).
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      for (let k = 0; k < buf.length; k++) buf[k] = data[base + map[k]];
      let kk = 0;
      for (; kk + 3 < n; kk += 4) {
        const c = kk + size1;
        let a0 = buf[c] * w0;
        let a1 = buf[c + 1] * w0;
        let a2 = buf[c + 2] * w0;
        let a3 = buf[c + 3] * w0;
        for (let jj = -size1; jj < 0; jj++) {
          const w = weights[size1 + jj];
          a0 += (buf[c + jj] + buf[c - jj]) * w;
          a1 += (buf[c + 1 + jj] + buf[c + 1 - jj]) * w;
          a2 += (buf[c + 2 + jj] + buf[c + 2 - jj]) * w;
          a3 += (buf[c + 3 + jj] + buf[c + 3 - jj]) * w;
        }
        data[base + kk] = a0;
        data[base + kk + 1] = a1;
        data[base + kk + 2] = a2;
        data[base + kk + 3] = a3;
      }
      for (; kk < n; kk++) {
        const c = kk + size1;
        let a = buf[c] * w0;
        for (let jj = -size1; jj < 0; jj++) a += (buf[c + jj] + buf[c - jj]) * weights[size1 + jj];
        data[base + kk] = a;
      }
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * n * inner + j;
      for (let k = 0; k < buf.length; k++) buf[k] = data[base + map[k] * inner];
      for (let kk = 0; kk < n; kk++) {
        const c = kk + size1; // centre tap in the extended buffer
        let acc: number;
        if (symmetric > 0) {
          acc = buf[c] * w0;
          for (let jj = -size1; jj < 0; jj++) acc += (buf[c + jj] + buf[c - jj]) * weights[size1 + jj];
        } else if (symmetric < 0) {
          acc = buf[c] * w0;
          for (let jj = -size1; jj < 0; jj++) acc += (buf[c + jj] - buf[c - jj]) * weights[size1 + jj];
        } else {
          acc = buf[c + size2] * weights[size1 + size2];
          for (let jj = -size1; jj < size2; jj++) acc += buf[c + jj] * weights[size1 + jj];
        }
        data[base + kk * inner] = acc; // Float32Array store = C cast double -> float (round to nearest)
      }
    }
  }
}

/**
 * `correlate1d` along an axis that is not the last (lines `inner` elements apart): the same sums, term by term in
 * the same order, taken a whole line of `inner` outputs at a time from a copy of the input, so that memory is read
 * and written contiguously. The line-by-line gather of `NI_Correlate1D` read one float per cache line and per page
 * (the y pass of a 2048² plane, σ 1: ~80 → ~54 ms).
 */
function correlateAcross(
  data: Float32Array,
  outer: number,
  n: number,
  inner: number,
  weights: Float64Array,
  map: Int32Array,
  size1: number,
  size2: number,
  symmetric: number,
): void {
  const src = new Float32Array(n * inner);
  const acc = new Float64Array(inner);
  const w0 = weights[size1];
  // The symmetric case (the gaussian): four outputs of a line per step, each summed in registers in the C order —
  // four independent chains of additions (2048² plane, σ 1: ~54 → ~33 ms).
  const ra = new Int32Array(size1);
  const rb = new Int32Array(size1);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    src.set(data.subarray(base, base + n * inner));
    if (symmetric > 0) {
      for (let kk = 0; kk < n; kk++) {
        const c = kk + size1;
        const r0 = map[c] * inner;
        for (let t = 0; t < size1; t++) {
          ra[t] = map[c - size1 + t] * inner; // tap jj = t − size1
          rb[t] = map[c + size1 - t] * inner;
        }
        const out = base + kk * inner;
        let x = 0;
        for (; x + 3 < inner; x += 4) {
          let a0 = src[r0 + x] * w0;
          let a1 = src[r0 + x + 1] * w0;
          let a2 = src[r0 + x + 2] * w0;
          let a3 = src[r0 + x + 3] * w0;
          for (let t = 0; t < size1; t++) {
            const w = weights[t];
            const p = ra[t] + x;
            const q = rb[t] + x;
            a0 += (src[p] + src[q]) * w;
            a1 += (src[p + 1] + src[q + 1]) * w;
            a2 += (src[p + 2] + src[q + 2]) * w;
            a3 += (src[p + 3] + src[q + 3]) * w;
          }
          data[out + x] = a0;
          data[out + x + 1] = a1;
          data[out + x + 2] = a2;
          data[out + x + 3] = a3;
        }
        for (; x < inner; x++) {
          let a = src[r0 + x] * w0;
          for (let t = 0; t < size1; t++) a += (src[ra[t] + x] + src[rb[t] + x]) * weights[t];
          data[out + x] = a;
        }
      }
      continue;
    }
    for (let kk = 0; kk < n; kk++) {
      // extended index e ↔ input line map[e]; the centre tap of output kk is e = kk + size1
      const c = kk + size1;
      if (symmetric !== 0) {
        const r0 = map[c] * inner;
        for (let x = 0; x < inner; x++) acc[x] = src[r0 + x] * w0;
        for (let jj = -size1; jj < 0; jj++) {
          const ra = map[c + jj] * inner;
          const rb = map[c - jj] * inner;
          const w = weights[size1 + jj];
          if (symmetric > 0) for (let x = 0; x < inner; x++) acc[x] += (src[ra + x] + src[rb + x]) * w;
          else for (let x = 0; x < inner; x++) acc[x] += (src[ra + x] - src[rb + x]) * w;
        }
      } else {
        const rl = map[c + size2] * inner;
        const wl = weights[size1 + size2];
        for (let x = 0; x < inner; x++) acc[x] = src[rl + x] * wl;
        for (let jj = -size1; jj < size2; jj++) {
          const r = map[c + jj] * inner;
          const w = weights[size1 + jj];
          for (let x = 0; x < inner; x++) acc[x] += src[r + x] * w;
        }
      }
      data.set(acc, base + kk * inner); // float64 → float32 stores round to nearest, as the C cast
    }
  }
}

/**
 * SciPy `gaussian_filter(input, sigma, order, mode=mode, truncate=truncate)` for float32 input.
 * `sigma` / `order` give one value per axis. Returns a new array.
 */
export function gaussianFilter(
  input: Float32Array,
  dims: readonly number[],
  sigma: readonly number[],
  order: readonly number[] | number = 0,
  mode: BorderMode = 'reflect',
  truncate = 4.0,
): Float32Array {
  if (sigma.length !== dims.length) throw valueError(`gaussian_filter: ${sigma.length} sigmas for ${dims.length} axes`);
  const orders = typeof order === 'number' ? dims.map(() => order) : order;
  const out = new Float32Array(input);
  for (let axis = 0; axis < dims.length; axis++) {
    const s = sigma[axis];
    // SciPy keeps only axes with sigma > 1e-15; the order of a skipped axis is dropped with it (Q17).
    if (!(s > 1e-15)) continue;
    const radius = gaussianRadius(s, truncate);
    const k = gaussianKernel1d(s, orders[axis], radius);
    k.reverse(); // `_gaussian_kernel1d(...)[::-1]`, then correlation
    correlate1d(out, dims, axis, k, mode);
  }
  return out;
}

/**
 * SciPy `gaussian_laplace(input, sigma, mode)`: sum over axes of the second Gaussian derivative along that
 * axis (`generic_laplace`), accumulated in float32 in axis order.
 */
export function gaussianLaplace(
  input: Float32Array,
  dims: readonly number[],
  sigma: readonly number[],
  mode: BorderMode = 'reflect',
  truncate = 4.0,
): Float32Array {
  if (dims.length === 0) return new Float32Array(input);
  const orderFor = (axis: number) => dims.map((_, a) => (a === axis ? 2 : 0));
  const out = gaussianFilter(input, dims, sigma, orderFor(0), mode, truncate);
  for (let axis = 1; axis < dims.length; axis++) {
    const tmp = gaussianFilter(input, dims, sigma, orderFor(axis), mode, truncate);
    for (let i = 0; i < out.length; i++) out[i] = out[i] + tmp[i]; // `output += tmp` in float32 (store rounds)
  }
  return out;
}

/**
 * scikit-image 0.19 `filters.gaussian(image, sigma, mode='nearest', truncate=4.0, preserve_range=True)` on a
 * float32 image: stays float32 (`_supported_float_type(float32) == float32`), isotropic `sigma` on every axis.
 * Quirk kept on purpose: a 3-D image whose last axis has length 3 is taken as RGB (warning upstream) and
 * that axis is not smoothed (`channel_axis = -1`).
 */
export function skimageGaussian(input: Float32Array, dims: readonly number[], sigma: number, truncate = 4.0): Float32Array {
  if (sigma < 0) throw valueError(`gaussian background: sigma must be >= 0, got ${sigma}`);
  const sig = dims.map(() => sigma);
  if (dims.length === 3 && dims[2] === 3) sig[2] = 0;
  return gaussianFilter(input, dims, sig, 0, 'nearest', truncate);
}
