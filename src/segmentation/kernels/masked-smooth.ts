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
import { GrowBuffer } from './grow-buffer.js';
import { SMOOTH_ROWS_VOXELS, smoothRows, xPassRow, yPassRow } from './smooth-rows.js';
import { smoothPlaneMaskedWasm, smoothPlaneNeededWasm } from './declump-wasm-peaks.js';

// Reused between calls: declumping smooths one small box per object (see grow-buffer.ts).
const numScratch = new GrowBuffer(Float64Array);
const denScratch = new GrowBuffer(Float64Array);
const lineScratch = new GrowBuffer(Float64Array);
const kernels = new Map<number, Float64Array | null>();

/** Kernel half-width (voxels) along each axis `[z, y, x]` for σ in µm; 0 = the axis is not smoothed. */
export function smoothingHalfWidths(sigmaUm: number, spacing: readonly [number, number, number]): [number, number, number] {
  const h = (axis: number) => {
    const k = kernelFor(sigmaUm / spacing[axis]);
    return k ? (k.length - 1) >> 1 : 0;
  };
  return [h(0), h(1), h(2)];
}

function kernelFor(sigmaVox: number): Float64Array | null {
  const cached = kernels.get(sigmaVox);
  if (cached !== undefined) return cached;
  const k = makeKernel(sigmaVox);
  if (kernels.size > 64) kernels.clear();
  kernels.set(sigmaVox, k);
  return k;
}

function makeKernel(sigmaVox: number): Float64Array | null {
  if (!(sigmaVox >= 0.1)) return null;
  const size = 2.35 * sigmaVox;
  const half = Math.max(Math.trunc(size / 2), 1);
  const k = new Float64Array(2 * half + 1);
  for (let i = -half; i <= half; i++) k[i + half] = Math.exp((-0.5 * i * i) / (sigmaVox * sigmaVox));
  return k;
}

/**
 * One separable pass along `axis` (0 = z, 1 = y, 2 = x), zeros outside the array (normalised by the in-array
 * taps' weight when `normalize`). Along x a line is copied and filtered in place; along y and z whole rows
 * (planes) are combined instead, so that every inner loop runs over contiguous memory rather than gathering a
 * strided column. Both orders add the taps lowest first, so the sums are the same to the last bit.
 */
function convolveAxis(data: Float64Array, shape: Shape3, axis: number, k: Float64Array, normalize: boolean, zerosOutside = false): void {
  const [Z, Y, X] = shape;
  const n = shape[axis];
  const half = (k.length - 1) >> 1;
  const taps = k.length;
  let kSum = 0;
  for (let t = 0; t < taps; t++) kSum += k[t];
  if (axis === 2) {
    const line = lineScratch.get(n);
    for (let start = 0; start < Z * Y * X; start += X) {
      for (let q = 0; q < n; q++) line[q] = data[start + q];
      for (let q = 0; q < n; q++) {
        let acc = 0;
        if (q >= half && q < n - half) {
          // Interior: every tap inside the line (no bounds, full weight).
          for (let t = 0, j = q - half; t < taps; t++, j++) acc += line[j] * k[t];
          data[start + q] = normalize ? acc / kSum : acc;
          continue;
        }
        const lo = Math.max(-half, -q);
        const hi = Math.min(half, n - 1 - q);
        let w = 0;
        for (let t = lo; t <= hi; t++) {
          acc += line[q + t] * k[t + half];
          w += k[t + half];
        }
        data[start + q] = normalize ? acc / (zerosOutside ? kSum : w) : acc;
      }
    }
    return;
  }
  // Layout [outer][n][inner]: inner = X (rows of a plane) for y, Y·X (planes) for z.
  const inner = axis === 1 ? X : Y * X;
  const outer = axis === 1 ? Z : 1;
  const block = lineScratch.get(n * inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (let i = 0; i < n * inner; i++) block[i] = data[base + i];
    for (let q = 0; q < n; q++) {
      const lo = Math.max(-half, -q);
      const hi = Math.min(half, n - 1 - q);
      const dst = base + q * inner;
      let w = 0;
      for (let t = lo; t <= hi; t++) w += k[t + half];
      for (let i = 0; i < inner; i++) data[dst + i] = 0;
      for (let t = lo; t <= hi; t++) {
        const kt = k[t + half];
        const src = (q + t) * inner;
        for (let i = 0; i < inner; i++) data[dst + i] += block[src + i] * kt;
      }
      if (normalize) {
        const d = zerosOutside || (lo === -half && hi === half) ? kSum : w;
        for (let i = 0; i < inner; i++) data[dst + i] /= d;
      }
    }
  }
}

/**
 * @param sigmaUm Gaussian σ in µm (pixels with unit spacing). `mask` null = every voxel counts.
 * @param out receives the result when given (length = voxels)
 * @param zerosOutside with `mask` null: the array continues with zeros beyond its edges (divide by the
 * whole kernel's weight) instead of being edge-corrected. For a map that is 0 outside an object (its
 * distance transform) this equals smoothing a larger box around it, without computing that box.
 * @param needed when given, only voxels where it is non-zero are computed (the others are 0 in `out`); the
 * computed ones are the same as without it. Planes only (a volume computes every voxel).
 */
export function maskedSmooth(
  values: ArrayLike<number>,
  mask: Uint8Array | null,
  shape: Shape3,
  spacing: readonly [number, number, number],
  sigmaUm: number,
  out: Float32Array = new Float32Array(shape[0] * shape[1] * shape[2]),
  zerosOutside = false,
  needed: Uint8Array | null = null,
): Float32Array {
  // A plane (declumping's seed maps): the whole smoothing in WebAssembly (declump-wasm-peaks.ts: the same sums in
  // the same order) when it can run it; the JavaScript in a separate function, so that a fresh process does not
  // compile its body for a call that does not run it.
  if (shape[0] === 1 && shape[1] > 1 && shape[2] > 1 && values instanceof Float32Array) {
    const ky = kernelFor(sigmaUm / spacing[1]);
    const kx = kernelFor(sigmaUm / spacing[2]);
    if (ky && kx) {
      const [, Y, X] = shape;
      if (mask === null ? smoothPlaneNeededWasm(values, Y, X, ky, kx, zerosOutside, needed, out) : smoothPlaneMaskedWasm(values, mask, Y, X, ky, kx, needed, out)) {
        return out;
      }
    }
  }
  return maskedSmoothJs(values, mask, shape, spacing, sigmaUm, out, zerosOutside, needed);
}

function maskedSmoothJs(
  values: ArrayLike<number>,
  mask: Uint8Array | null,
  shape: Shape3,
  spacing: readonly [number, number, number],
  sigmaUm: number,
  out: Float32Array,
  zerosOutside: boolean,
  needed: Uint8Array | null,
): Float32Array {
  const n = shape[0] * shape[1] * shape[2];
  if (shape[0] === 1 && shape[1] > 1 && shape[2] > 1) {
    const ky = kernelFor(sigmaUm / spacing[1]);
    const kx = kernelFor(sigmaUm / spacing[2]);
    if (ky && kx) {
      smoothPlane(values, mask, shape[1], shape[2], ky, kx, zerosOutside, out, needed);
      return out;
    }
  }
  if (mask === null) {
    // No mask: the edge correction is separable too (the in-array taps' weight sum per axis).
    const data = numScratch.get(n);
    for (let i = 0; i < n; i++) data[i] = values[i];
    for (let axis = 0; axis < 3; axis++) {
      if (shape[axis] === 1) continue;
      const k = kernelFor(sigmaUm / spacing[axis]);
      if (k) convolveAxis(data, shape, axis, k, true, zerosOutside);
    }
    out.set(data);
    return out;
  }
  const num = numScratch.get(n);
  const den = denScratch.get(n);
  for (let i = 0; i < n; i++) {
    const m = mask[i] ? 1 : 0;
    num[i] = m ? values[i] : 0;
    den[i] = m;
  }
  for (let axis = 0; axis < 3; axis++) {
    if (shape[axis] === 1) continue;
    const k = kernelFor(sigmaUm / spacing[axis]);
    if (!k) continue;
    convolveAxis(num, shape, axis, k, false);
    convolveAxis(den, shape, axis, k, false);
  }
  for (let i = 0; i < n; i++) {
    out[i] = mask[i] && den[i] > 0 ? num[i] / den[i] : 0;
  }
  return out;
}

const num2Scratch = new GrowBuffer(Float64Array);
const rowFrom = new GrowBuffer(Int32Array);
const rowTo = new GrowBuffer(Int32Array);
const den2Scratch = new GrowBuffer(Float64Array);

/**
 * `maskedSmooth` of one plane smoothed along both axes (what declumping calls once per 2-D object): the same
 * sums in the same order as the `convolveAxis` passes (y first, then x; taps lowest first; the same divisors),
 * so the results are identical to the last bit, with the x pass writing the output directly and the y pass
 * keeping each sum in a register instead of updating a row buffer once per tap.
 */
function smoothPlane(
  values: ArrayLike<number>,
  mask: Uint8Array | null,
  Y: number,
  X: number,
  ky: Float64Array,
  kx: Float64Array,
  zerosOutside: boolean,
  out: Float32Array,
  needed: Uint8Array | null,
): void {
  const n = Y * X;
  const normalize = mask === null;
  // Per row, the x range [from, to) of the needed voxels (empty: from = to = 0); the y pass computes that range
  // widened by the x kernel's half-width, which is all the x pass reads.
  const from = rowFrom.get(Y);
  const to = rowTo.get(Y);
  for (let y = 0; y < Y; y++) {
    let a = 0;
    let e = 0;
    if (needed) {
      const row = y * X;
      let x = 0;
      while (x < X && !needed[row + x]) x++;
      if (x < X) {
        let l = X - 1;
        while (!needed[row + l]) l--;
        a = x;
        e = l + 1;
      }
    } else {
      e = X;
    }
    from[y] = a;
    to[y] = e;
  }
  const hy = (ky.length - 1) >> 1;
  const hx = (kx.length - 1) >> 1;
  let kySum = 0;
  for (let t = 0; t < ky.length; t++) kySum += ky[t];
  let kxSum = 0;
  for (let t = 0; t < kx.length; t++) kxSum += kx[t];
  // Pass along y into `a` (numerator) and `b` (mask weights, masked case only).
  // The unrolled rows read and write `SMOOTH_ROWS` itself: only when it holds the plane.
  const fixed = n <= SMOOTH_ROWS_VOXELS;
  const a = fixed ? smoothRows() : num2Scratch.get(n);
  const b = normalize ? a : den2Scratch.get(n);
  for (let q = 0; q < Y; q++) {
    const lo = Math.max(-hy, -q);
    const hi = Math.min(hy, Y - 1 - q);
    let w = 0;
    for (let t = lo; t <= hi; t++) w += ky[t + hy];
    const d = zerosOutside || (lo === -hy && hi === hy) ? kySum : w;
    const dst = q * X;
    if (from[q] === to[q]) continue;
    const xa = Math.max(0, from[q] - hx);
    const xe = Math.min(X, to[q] + hx);
    if (normalize) {
      if (fixed && lo === -hy && hi === hy && values instanceof Float32Array && yPassRow(values, ky, q, X, xa, xe, dst, d)) continue;
      for (let x = xa; x < xe; x++) {
        let acc = 0;
        for (let t = lo, j = (q + lo) * X + x; t <= hi; t++, j += X) acc += values[j] * ky[t + hy];
        a[dst + x] = acc / d;
      }
    } else {
      for (let x = xa; x < xe; x++) {
        let acc = 0;
        let wm = 0;
        for (let t = lo, j = (q + lo) * X + x; t <= hi; t++, j += X) {
          const kt = ky[t + hy];
          // Outside the mask the original adds 0 · k = +0, which leaves a sum (never −0) unchanged.
          if (mask![j]) {
            acc += values[j] * kt;
            wm += kt;
          }
        }
        a[dst + x] = acc;
        b[dst + x] = wm;
      }
    }
  }
  // Pass along x, straight into the output.
  const taps = kx.length;
  for (let y = 0; y < Y; y++) {
    const row = y * X;
    if (from[y] === to[y]) {
      out.fill(0, row, row + X);
      continue;
    }
    out.fill(0, row, row + from[y]);
    out.fill(0, row + to[y], row + X);
    // The voxels whose taps all lie inside the row, unrolled (`smooth-rows.ts`); the others below.
    let qa = from[y];
    let qe = qa;
    if (normalize) {
      qa = Math.max(from[y], hx);
      qe = Math.max(qa, Math.min(to[y], X - hx));
      if (!fixed || !xPassRow(kx, row, qa, qe, needed, out, kxSum)) qe = qa;
    }
    for (let q = from[y]; q < to[y]; q++) {
      if (q === qa && qe > qa) {
        q = qe - 1;
        continue;
      }
      if (needed && !needed[row + q]) {
        out[row + q] = 0;
        continue;
      }
      let acc = 0;
      let wm = 0;
      let dx = kxSum;
      if (q >= hx && q < X - hx) {
        for (let t = 0, j = row + q - hx; t < taps; t++, j++) acc += a[j] * kx[t];
        if (!normalize) for (let t = 0, j = row + q - hx; t < taps; t++, j++) wm += b[j] * kx[t];
      } else {
        const lo = Math.max(-hx, -q);
        const hi = Math.min(hx, X - 1 - q);
        let w = 0;
        for (let t = lo; t <= hi; t++) {
          acc += a[row + q + t] * kx[t + hx];
          w += kx[t + hx];
        }
        if (!normalize) for (let t = lo; t <= hi; t++) wm += b[row + q + t] * kx[t + hx];
        if (!zerosOutside) dx = w;
      }
      const i = row + q;
      if (normalize) out[i] = acc / dx;
      else out[i] = mask![i] && wm > 0 ? acc / wm : 0;
    }
  }
}
