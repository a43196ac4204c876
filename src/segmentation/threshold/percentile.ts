/**
 * NumPy 1.24 `np.percentile(values, q)` with the default `linear` method, on float32 values:
 * virtual index `(n - 1) * (q / 100)`; `a = v[floor]`, `b = v[floor + 1]` (clipped) of the sorted values;
 * `_lerp`: `diff = f32(b - a)` (float32 subtraction), gamma in float64, then
 * `a + diff * gamma`, or `b - diff * (1 - gamma)` where gamma >= 0.5 — both in float64.
 * Returns a float64 number.
 *
 * The two order statistics come from a selection (like NumPy's `np.partition`), not a full sort: O(n) instead
 * of O(n log n) — the sort of a prefiltered 2048² channel's values cost more than the rest of its segmentation.
 */
import { valueError } from '../../core/errors.js';

export function percentileLinear(values: Float32Array, q: number): number {
  return numpyLinearPercentile(values.length, q, (prev, next) => orderStatistics(values, prev, next));
}

/**
 * The `linear` method given `n` values and a way to read two order statistics (a selection here, cumulative
 * histogram counts in histogram.ts): virtual index, clipped neighbours and NumPy's `_lerp` as described above.
 */
export function numpyLinearPercentile(n: number, q: number, orderStats: (prev: number, next: number) => [number, number]): number {
  if (n === 0) throw valueError('percentile: no values');
  if (!(q >= 0 && q <= 100)) throw valueError(`percentile: q must be within [0, 100], got ${q}`);
  const quantile = q / 100; // np.true_divide(q, 100)
  const virtual = (n - 1) * quantile;
  const prev = Math.max(0, Math.min(n - 1, Math.floor(virtual)));
  const next = Math.min(n - 1, prev + 1);
  const [a, b] = orderStats(prev, next);
  const gamma = virtual - prev;
  const diff = Math.fround(b - a);
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/** Sorted values at positions `k` and `next` (`next` = k or k + 1), the input left unchanged. */
function orderStatistics(values: Float32Array, k: number, next: number): [number, number] {
  const work = values.slice();
  let hasNaN = false;
  for (let i = 0; i < work.length; i++) if (work[i] !== work[i]) { hasNaN = true; break; }
  if (hasNaN || !selectKth(work, k)) {
    // NaN breaks comparisons (the typed-array sort puts NaN last, as NumPy); a selection that degrades to
    // quadratic work hands over to the sort as well.
    const sorted = hasNaN ? work.sort() : values.slice().sort();
    return [sorted[k], sorted[next]];
  }
  const a = work[k];
  if (next === k) return [a, a];
  // Every value after position k is >= a; the smallest of them is the next order statistic.
  let b = Infinity;
  for (let i = k + 1; i < work.length; i++) if (work[i] < b) b = work[i];
  return [a, b];
}

/**
 * Quickselect with a median-of-three pivot and a three-way partition (runs of equal values, frequent in
 * integer-valued images, end in one step): afterwards `a[k]` is the k-th smallest value, everything before it
 * is <= and everything after it >=. Returns false (leaving `a` permuted) when it needs too many rounds.
 */
function selectKth(a: Float32Array, k: number): boolean {
  let lo = 0;
  let hi = a.length - 1;
  let rounds = 0;
  const maxRounds = 64 + 4 * Math.ceil(Math.log2(a.length + 1));
  while (hi > lo) {
    if (++rounds > maxRounds) return false;
    const x = a[lo];
    const y = a[(lo + hi) >>> 1];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    // [lo, lt) < pivot, [lt, i) == pivot, (gt, hi] > pivot
    let lt = lo;
    let i = lo;
    let gt = hi;
    while (i <= gt) {
      const v = a[i];
      if (v < pivot) {
        a[i] = a[lt];
        a[lt] = v;
        lt++;
        i++;
      } else if (v > pivot) {
        a[i] = a[gt];
        a[gt] = v;
        gt--;
      } else i++;
    }
    if (k < lt) hi = lt - 1;
    else if (k > gt) lo = gt + 1;
    else return true; // a[k] == pivot, partitioned around it
  }
  return true;
}
