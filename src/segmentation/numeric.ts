/**
 * NumPy-compatible floating point reductions. NumPy sums contiguous float arrays with *pairwise*
 * summation (`pairwise_sum` in `numpy/core/src/umath/loops_utils.h.src`): blocks of at most 128
 * elements are summed with 8 interleaved accumulators, larger ranges are split in two at a multiple
 * of 8. Reproducing that order is what makes `np.mean` / `ndarray.sum` results bit-identical.
 */

const PW_BLOCKSIZE = 128;

/** `np.sum` of a float64 range `a[start .. start+n)` (float64 accumulation). */
export function pairwiseSum64(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    // NumPy starts this branch from `res = 0.` (and `-0.0 + 0.0` style details do not matter for our data).
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    let r0 = a[start], r1 = a[start + 1], r2 = a[start + 2], r3 = a[start + 3];
    let r4 = a[start + 4], r5 = a[start + 5], r6 = a[start + 6], r7 = a[start + 7];
    let i = 8;
    const end = n - (n % 8);
    for (; i < end; i += 8) {
      const p = start + i;
      r0 += a[p]; r1 += a[p + 1]; r2 += a[p + 2]; r3 += a[p + 3];
      r4 += a[p + 4]; r5 += a[p + 5]; r6 += a[p + 6]; r7 += a[p + 7];
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum64(a, start, n2) + pairwiseSum64(a, start + n2, n - n2);
}

/** `np.sum` of a float32 range with float32 accumulation (every addition rounded with `Math.fround`). */
export function pairwiseSum32(a: ArrayLike<number>, start: number, n: number): number {
  const f = Math.fround;
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res = f(res + a[start + i]);
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    let r0 = a[start], r1 = a[start + 1], r2 = a[start + 2], r3 = a[start + 3];
    let r4 = a[start + 4], r5 = a[start + 5], r6 = a[start + 6], r7 = a[start + 7];
    let i = 8;
    const end = n - (n % 8);
    for (; i < end; i += 8) {
      const p = start + i;
      r0 = f(r0 + a[p]); r1 = f(r1 + a[p + 1]); r2 = f(r2 + a[p + 2]); r3 = f(r3 + a[p + 3]);
      r4 = f(r4 + a[p + 4]); r5 = f(r5 + a[p + 5]); r6 = f(r6 + a[p + 6]); r7 = f(r7 + a[p + 7]);
    }
    let res = f(f(f(r0 + r1) + f(r2 + r3)) + f(f(r4 + r5) + f(r6 + r7)));
    for (; i < n; i++) res = f(res + a[start + i]);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return f(pairwiseSum32(a, start, n2) + pairwiseSum32(a, start + n2, n - n2));
}

/** `np.mean` of a float32 array range: float32 pairwise sum, then one float32 division (`_mean` in `numpy/core/_methods.py`). */
export function meanFloat32(a: Float32Array, start: number, n: number): number {
  return Math.fround(pairwiseSum32(a, start, n) / n);
}
