/**
 * Per-object kernels of the measurement pass (`object-measurements.ts`): medians by quickselect, skimage's
 * 2D perimeter codes, and the eigenvalues of the inertia tensors (properties.ts).
 */
import type { LabelData } from '../core/volume.js';

/**
 * numpy.median of `v[a, a + m)` (mean of the two middle values for even m), by quickselect in place
 * (average O(m); a full sort of every segment was the slowest part of the tables).
 */
export function medianInPlace(v: Float64Array, a: number, m: number): number {
  if (m === 0) return NaN;
  const hi = a + m - 1;
  const kHi = a + (m >> 1);
  const upper = select(v, a, hi, kHi);
  if (m % 2 === 1) return upper;
  // after selection every value left of kHi is ≤ v[kHi]: the lower middle is their maximum
  let lower = -Infinity;
  for (let i = a; i < kHi; i++) if (v[i] > lower) lower = v[i];
  return (lower + upper) / 2;
}

/**
 * Objects at least this large take a 65536-bin histogram instead of a values segment when the intensities are
 * uint8/uint16 (the histogram is no bigger than the float64 segment it replaces): the large third-channel regions
 * (10⁵–10⁶ voxels each) made copying and quickselecting their values the costliest table step of a 3-channel run.
 */
export const COUNTING_MEDIAN_MIN = 1 << 15;

/**
 * numpy.median of the `m` integer values counted in `hist` (bin = value): the middle rank, or the mean of the two
 * middle ranks for even m — the same float64 as `medianInPlace` on those values.
 */
export function medianFromHistogram(hist: Uint32Array, m: number): number {
  if (m === 0) return NaN;
  // 0-based ranks: upper middle kHi = m >> 1; for even m the lower middle is rank kHi - 1
  const kHi = m >> 1;
  const kLo = m % 2 === 1 ? kHi : kHi - 1;
  let lower = NaN;
  let cum = 0;
  for (let x = 0; x < hist.length; x++) {
    const c = hist[x];
    if (c === 0) continue;
    if (Number.isNaN(lower) && cum + c > kLo) lower = x;
    if (cum + c > kHi) return m % 2 === 1 ? x : (lower + x) / 2;
    cum += c;
  }
  return NaN;
}

/** `medianInPlace` for a segment of integers in [0, 65535], by its histogram (leaves `v` unchanged). */
export function medianOfUint16Segment(v: Float64Array, a: number, m: number): number {
  const hist = new Uint32Array(65536);
  for (let i = a; i < a + m; i++) hist[v[i]]++;
  return medianFromHistogram(hist, m);
}

/** Hoare-partition quickselect: places the k-th smallest of v[lo..hi] at v[k] and returns it. */
function select(v: Float64Array, lo: number, hi: number, k: number): number {
  while (hi > lo) {
    // median-of-three pivot (swaps through a temporary: a destructuring swap allocates an array per swap until V8
    // optimises the loop, and this one runs once per object, mostly cold)
    const mid = lo + ((hi - lo) >> 1);
    let p0 = v[lo];
    let p1 = v[mid];
    let p2 = v[hi];
    let s: number;
    if (p0 > p1) {
      s = p0;
      p0 = p1;
      p1 = s;
    }
    if (p1 > p2) {
      s = p1;
      p1 = p2;
      p2 = s;
    }
    if (p0 > p1) {
      s = p0;
      p0 = p1;
      p1 = s;
    }
    const pivot = p1;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        const t = v[i];
        v[i] = v[j];
        v[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return v[k];
  }
  return v[k];
}

/** skimage `perimeter` weights indexed by code (0..49). */
const PERIMETER_WEIGHTS = (() => {
  const w = new Float64Array(50);
  for (const c of [5, 7, 15, 17, 25, 27]) w[c] = 1;
  for (const c of [21, 33]) w[c] = Math.SQRT2;
  for (const c of [13, 23]) w[c] = (1 + Math.SQRT2) / 2;
  return w;
})();

/**
 * skimage.measure.perimeter(image, neighborhood=4) evaluated on each object's own bbox crop
 * (regionprops `perimeter`), for all objects of one plane at once:
 * border = object minus its binary erosion by the 4-cross (outside the image and other labels = background;
 * found in pass A); code(p) = 1·border(p) + 2·Σ 4-neighbour border pixels + 10·Σ diagonal border pixels of
 * the same object (the `[[10,2,10],[2,1,2],[10,2,10]]` convolution restricted to one object; codes of
 * non-border pixels are even and carry weight 0, so only border pixels are visited);
 * perimeter = bincount(codes, 50) · weights, per object.
 */
export function perimeterCodes(
  data: LabelData,
  n: number,
  Y: number,
  X: number,
  border: Uint8Array,
  list: Int32Array,
  /** compact object index of each border pixel in `list` */
  listK: Int32Array,
  nb: number,
  out: Float64Array,
): void {
  const hist = new Float64Array(50 * n);
  for (let j = 0; j < nb; j++) {
    const i = list[j];
    const y = (i / X) | 0;
    const x = i - y * X;
    const l = data[i];
    const up = y > 0;
    const down = y < Y - 1;
    const left = x > 0;
    const right = x < X - 1;
    let code = 1;
    if (up && border[i - X] && data[i - X] === l) code += 2;
    if (down && border[i + X] && data[i + X] === l) code += 2;
    if (left && border[i - 1] && data[i - 1] === l) code += 2;
    if (right && border[i + 1] && data[i + 1] === l) code += 2;
    if (up && left && border[i - X - 1] && data[i - X - 1] === l) code += 10;
    if (up && right && border[i - X + 1] && data[i - X + 1] === l) code += 10;
    if (down && left && border[i + X - 1] && data[i + X - 1] === l) code += 10;
    if (down && right && border[i + X + 1] && data[i + X + 1] === l) code += 10;
    hist[50 * listK[j] + code]++;
  }
  for (let k = 0; k < n; k++) {
    let p = 0;
    for (let c = 0; c < 50; c++) p += hist[50 * k + c] * PERIMETER_WEIGHTS[c];
    out[k] = p;
  }
}

/** Eigenvalues of the symmetric 2×2 matrix [[a, b], [b, c]], descending (closed form, float64). */
export function eigSym2(a: number, b: number, c: number): [number, number] {
  const m = (a + c) / 2;
  const d = Math.hypot((a - c) / 2, b);
  return [m + d, m - d];
}

/**
 * Eigenvalues of a symmetric 3×3 matrix (row-major [a00,a01,a02,a11,a12,a22]) by cyclic Jacobi
 * rotations in float64 (converges quadratically; exact zeros stay zero, so planar objects give λ = 0).
 * Returned descending.
 */
export function eigSym3(a00: number, a01: number, a02: number, a11: number, a12: number, a22: number): [number, number, number] {
  const A = [
    [a00, a01, a02],
    [a01, a11, a12],
    [a02, a12, a22],
  ];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = Math.abs(A[0][1]) + Math.abs(A[0][2]) + Math.abs(A[1][2]);
    if (off === 0) break;
    for (let p = 0; p < 2; p++) {
      for (let q = p + 1; q < 3; q++) {
        const apq = A[p][q];
        if (apq === 0) continue;
        const app = A[p][p];
        const aqq = A[q][q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let r = 0; r < 3; r++) {
          const arp = A[r][p];
          const arq = A[r][q];
          A[r][p] = cs * arp - sn * arq;
          A[r][q] = sn * arp + cs * arq;
        }
        for (let r = 0; r < 3; r++) {
          const apr = A[p][r];
          const aqr = A[q][r];
          A[p][r] = cs * apr - sn * aqr;
          A[q][r] = sn * apr + cs * aqr;
        }
        A[p][q] = 0;
        A[q][p] = 0;
      }
    }
  }
  const e = [A[0][0], A[1][1], A[2][2]].sort((u, v) => v - u);
  return [e[0], e[1], e[2]];
}
