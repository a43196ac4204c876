/**
 * Cellpose's percentile normalisation (`transforms.normalize99`, internals §4), bit-exact with NumPy 1.24:
 * p_lo, p_hi = `np.percentile` (method "linear") in float64; X ← f32(f32(X − f32(p_lo)) / f32(p_hi − p_lo))
 * (NumPy's value-based casting turns the float64 scalars into float32 for the in-place `-=` and `/=`);
 * a channel whose percentile range is ≤ 1e-3 becomes 0. Checked bit-exact against `v3net/e1_input_normalized.npy`.
 */

/** Above this many elements Cellpose takes the percentiles on a strided subsample (`downsample=True`, 224³). */
export const DOWNSAMPLE_ABOVE = 224 ** 3;

/** k-th smallest (0-based) of `a[lo..hi]` by in-place quickselect (Hoare partition, median-of-three pivot). */
function select(a: Float32Array, k: number, lo: number, hi: number): number {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three as pivot value
    let x = a[lo];
    let y = a[mid];
    let z = a[hi];
    if (x > y) [x, y] = [y, x];
    if (y > z) [y, z] = [z, y];
    if (x > y) [x, y] = [y, x];
    const pivot = y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Smallest value of a[lo..hi]. */
function minOf(a: Float32Array, lo: number, hi: number): number {
  let m = a[lo];
  for (let i = lo + 1; i <= hi; i++) if (a[i] < m) m = a[i];
  return m;
}

/**
 * NumPy `percentile(values, q)` (method "linear") for each q, in float64. `values` is consumed (reordered).
 * Rank r = (n − 1)·q/100; lerp between the floor(r)-th and next order statistics exactly as NumPy's `_lerp`
 * (a + (b − a)·t, or b − (b − a)·(1 − t) when t ≥ 0.5). NaN values are not expected (images).
 */
export function percentiles(values: Float32Array, qs: readonly number[]): number[] {
  const n = values.length;
  if (n === 0) return qs.map(() => NaN);
  const out: number[] = [];
  for (const q of qs) {
    const r = (n - 1) * (q / 100);
    const i0 = Math.floor(r);
    const t = r - i0;
    const a = select(values, i0, 0, n - 1);
    // after select, a[i0+1..] are all ≥ a[i0]: the next order statistic is their minimum
    const b = i0 + 1 < n ? minOf(values, i0 + 1, n - 1) : a;
    const d = b - a;
    out.push(t >= 0.5 ? b - d * (1 - t) : a + d * t);
  }
  return out;
}

/**
 * Copies the values Cellpose uses for the percentiles of a `[Z, Y, X]` channel volume: all of them, or for
 * more than 224³ elements the subsample `X[::s0, ::s1, ::s2]` with s1 = max(1, Y // 224), s2 = max(1, X // 224)
 * and s0 = max(1, Z // 50) (a single 2D image is the 3-D slice `[1, Y, X]`, internals §4).
 */
export function percentileSample(data: Float32Array, shape: readonly [number, number, number]): Float32Array {
  const [Z, Y, X] = shape;
  if (data.length <= DOWNSAMPLE_ABOVE) return Float32Array.from(data);
  const s0 = Math.max(1, Math.floor(Z / 50));
  const s1 = Math.max(1, Math.floor(Y / 224));
  const s2 = Math.max(1, Math.floor(X / 224));
  const nz = Math.ceil(Z / s0);
  const ny = Math.ceil(Y / s1);
  const nx = Math.ceil(X / s2);
  const out = new Float32Array(nz * ny * nx);
  let k = 0;
  for (let z = 0; z < Z; z += s0)
    for (let y = 0; y < Y; y += s1) {
      const row = (z * Y + y) * X;
      for (let x = 0; x < X; x += s2) out[k++] = data[row + x];
    }
  return out;
}

export interface NormalizeOptions {
  /** Percentiles mapped to 0 and 1 (Cellpose default [1, 99]). */
  percentile?: readonly [number, number];
  /** Explicit [low, high] instead of percentiles (Cellpose `lowhigh`). */
  lowhigh?: readonly [number, number];
  /** x ← 1 − x after normalising (Cellpose `invert`). */
  invert?: boolean;
}

/**
 * Normalises one channel volume in place (whole volume = Cellpose's `norm3D=True`, which is what a single 2D
 * image and a do_3D stack get). Returns false when the channel was left unnormalised: constant channel
 * (peak-to-peak 0) — Cellpose v3 keeps it, v4 zeroes it; the caller decides.
 */
export function normalizeChannelInPlace(data: Float32Array, shape: readonly [number, number, number], opts: NormalizeOptions = {}): boolean {
  const n = data.length;
  if (opts.lowhigh) {
    const [lo, hi] = opts.lowhigh;
    // `(x - lo) / (hi - lo)` on a float32 array with Python float scalars: float32 arithmetic
    const lo32 = Math.fround(lo);
    const d32 = Math.fround(hi - lo);
    for (let i = 0; i < n; i++) data[i] = Math.fround(data[i] - lo32) / d32;
    if (opts.invert) for (let i = 0; i < n; i++) data[i] = 1 - data[i];
    return true;
  }
  let mn = Infinity;
  let mx = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  if (!(mx - mn > 0)) return false; // `np.ptp(x) > 0` fails: channel not normalised
  const [qlo, qhi] = opts.percentile ?? [1, 99];
  const [lo, hi] = percentiles(percentileSample(data, shape), [qlo, qhi]);
  if (hi - lo > 1e-3) {
    const lo32 = Math.fround(lo);
    const d32 = Math.fround(hi - lo);
    for (let i = 0; i < n; i++) data[i] = Math.fround(data[i] - lo32) / d32; // Float32Array store rounds the quotient
  } else {
    data.fill(0);
  }
  if (opts.invert) for (let i = 0; i < n; i++) data[i] = 1 - data[i];
  return true;
}
