/**
 * Costes' automatic thresholds (Costes et al. 2004, Biophys J 86:3993) as CellProfiler's
 * `linear_costes` (cellprofiler_library/functions/measurement.py) searches them, over one region (a ROI):
 *
 *  1. orthogonal (total least squares) regression ch2 = a·ch1 + b over the pixels where either channel is
 *     > 0, from the sample variances (ddof 1) of ch1, ch2 and ch1 + ch2: cov = ½(var(ch1+ch2) − var1 − var2),
 *     a = ((var2 − var1) + √((var2 − var1)² + 4cov²)) / (2cov), b = mean2 − a·mean1;
 *  2. the candidate threshold i starts one step above the larger channel maximum (`step · (max // step + 1)`,
 *     Python floor division), is first lowered while it is above both maxima, then lowered while i > step:
 *     thresholds (i, a·i + b); Pearson r of the pixels below either threshold (ch1 < i or ch2 < a·i + b);
 *     stop at the first r ≤ 0 (or fewer than 2 pixels). `accurate`: always one step; `fast` (CellProfiler's
 *     accelerated steps): 10 steps while r > 0.45, 5 while r > 0.35, 2 while r > 0.25, else 1, and single
 *     steps once i < 10 steps;
 *  3. the thresholds are the last (i, a·i + b) tried; a pixel is above when ≥.
 *
 * Intensities are divided by `divisor` first and i moves by `step` in that scale, with the same floating-point
 * operations as CellProfiler (i accumulates `i -= step`): on 8-bit data (divisor 255, step 1/255, i.e. one grey
 * level) the thresholds are CellProfiler's bit for bit, which matters because they land exactly on grey levels.
 * The step comes from the data (issue 19.3), not a fixed 1/255: integer data — one grey level (divisor = the
 * type's maximum, 255 / 65535 / …); non-integer float data — 1/65535 of the larger channel maximum.
 *
 * Speed: instead of CellProfiler's full Pearson pass per candidate, every pixel gets the threshold below which it
 * belongs to the "below" set — key = min(ch1, h(ch2)) with h(y) = the largest i whose a·i + b ≤ y (exact in
 * floating point, found by bisection) — so the below set of candidate i is {key < i}: pixels are bucketed by key
 * once and each candidate costs a binary search plus prefix sums (centred on the region means). Integer data
 * is bucketed through its levels (no sort of the pixels).
 */
import type { VoxelData } from '../../core/volume.js';
import { isIntegerArray } from './ranks.js';

export type CostesMode = 'fast' | 'accurate';

export interface CostesScale {
  /** Intensities are divided by this before the search (CellProfiler's 0–1 image scale). */
  divisor: number;
  /** Candidate step in the divided scale. */
  step: number;
}

export interface CostesResult {
  /** Thresholds in the divided scale (compare `value / divisor >= threshold`). */
  threshold1: number;
  threshold2: number;
  divisor: number;
  /** Regression slope and intercept (divided scale). */
  a: number;
  b: number;
  /** Number of Pearson evaluations (distinct candidate sets). */
  evaluations: number;
}

const TYPE_MAX = new Map<string, number>([
  ['Uint8Array', 255],
  ['Int8Array', 127],
  ['Uint16Array', 65535],
  ['Int16Array', 32767],
  ['Uint32Array', 4294967295],
  ['Int32Array', 2147483647],
]);

/**
 * The search scale for two channels' values (issue 19.3: from the data's real bit depth). `integerValued`:
 * every value of both channels in the region is an integer; `maxValue`: the larger channel maximum there.
 */
export function costesScale(a: VoxelData, b: VoxelData, integerValued: boolean, maxValue: number): CostesScale | null {
  if (!(maxValue > 0)) return null;
  if (isIntegerArray(a) && isIntegerArray(b)) {
    const divisor = Math.max(TYPE_MAX.get(a.constructor.name) ?? 65535, TYPE_MAX.get(b.constructor.name) ?? 65535);
    return { divisor, step: 1 / divisor };
  }
  if (integerValued) {
    // integer-valued float data (a max projection of an integer stack): one grey level of the smallest
    // unsigned type that holds it
    const divisor = maxValue <= 255 ? 255 : maxValue <= 65535 ? 65535 : 4294967295;
    return { divisor, step: 1 / divisor };
  }
  return { divisor: maxValue, step: 1 / 65535 };
}

/** Python's float floor division `a // b` (CPython `float_floor_div`: fmod, then correction and rounding). */
export function pyFloorDiv(a: number, b: number): number {
  let mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) {
    mod += b;
    div -= 1;
  }
  if (div === 0) return b < 0 ? -0 : 0;
  let floordiv = Math.floor(div);
  if (div - floordiv > 0.5) floordiv += 1;
  return floordiv;
}

/**
 * Costes thresholds of one region (`x[s..e)`, `y[s..e)`), or null when undefined: fewer than 2 pixels, no
 * positive intensity, or a regression slope that is not a positive finite number (Costes' method assumes
 * positively correlated channels; CellProfiler would leave the thresholds above the maxima then).
 */
export function costesThresholds(x: VoxelData, y: VoxelData, s: number, e: number, scale: CostesScale, mode: CostesMode): CostesResult | null {
  const n = e - s;
  if (n < 2) return null;
  const D = scale.divisor;
  const step = scale.step;

  // 1. orthogonal regression over pixels where either channel is > 0 (two-pass sample variances)
  let nz = 0;
  let sx = 0;
  let sy = 0;
  let fiMax = -Infinity;
  let siMax = -Infinity;
  let sumAllX = 0;
  let sumAllY = 0;
  for (let i = s; i < e; i++) {
    const fi = x[i] / D;
    const si = y[i] / D;
    sumAllX += fi;
    sumAllY += si;
    if (fi > fiMax) fiMax = fi;
    if (si > siMax) siMax = si;
    if (fi > 0 || si > 0) {
      nz++;
      sx += fi;
      sy += si;
    }
  }
  if (nz < 2) return null;
  const xmean = sx / nz;
  const ymean = sy / nz;
  const zmean = (sx + sy) / nz;
  let vx = 0;
  let vy = 0;
  let vz = 0;
  for (let i = s; i < e; i++) {
    const fi = x[i] / D;
    const si = y[i] / D;
    if (fi > 0 || si > 0) {
      const dx = fi - xmean;
      const dy = si - ymean;
      const dz = fi + si - zmean;
      vx += dx * dx;
      vy += dy * dy;
      vz += dz * dz;
    }
  }
  const xvar = vx / (nz - 1);
  const yvar = vy / (nz - 1);
  const zvar = vz / (nz - 1);
  const covar = 0.5 * (zvar - (xvar + yvar));
  const denom = 2 * covar;
  const num = yvar - xvar + Math.sqrt((yvar - xvar) * (yvar - xvar) + 4 * (covar * covar));
  const a = num / denom;
  const b = ymean - a * xmean;
  if (!(a > 0) || !Number.isFinite(a) || !Number.isFinite(b)) return null;

  // 2. bucket the pixels by the threshold below which they join the "below" set
  const g = (i: number) => a * i + b;
  const below = buildBelowSets(x, y, s, e, D, a, b, sumAllX / n, sumAllY / n);

  const imgMax = Math.max(fiMax, siMax);
  let i = step * (pyFloorDiv(imgMax, step) + 1);
  let thr1 = i;
  let thr2 = g(i);
  while (i > fiMax && g(i) > siMax) i -= step;
  let lastCount = -1;
  let r = NaN;
  let evaluations = 0;
  while (i > step) {
    thr1 = i;
    thr2 = g(i);
    const k = below.countBelow(i);
    const cnt = below.cumN[k];
    if (cnt !== lastCount) {
      if (cnt < 2) break; // scipy.stats.pearsonr raises for < 2 values; CellProfiler stops there
      r = below.pearson(k);
      lastCount = cnt;
      evaluations++;
    }
    if (r <= 0) break;
    if (mode === 'accurate' || i < step * 10) i -= step;
    else if (r > 0.45) i -= step * 10;
    else if (r > 0.35) i -= step * 5;
    else if (r > 0.25) i -= step * 2;
    else i -= step; // includes NaN (a constant below set), as CellProfiler's comparison chain
  }
  return { threshold1: thr1, threshold2: thr2, divisor: D, a, b, evaluations };
}

interface BelowSets {
  /** Number of buckets whose key is < i (the below set of candidate i is buckets [0, k)). */
  countBelow(i: number): number;
  /** Pixel count of buckets [0, k), length buckets + 1. */
  cumN: Float64Array;
  /** Pearson r of the pixels in buckets [0, k) (NaN when one channel is constant there). */
  pearson(k: number): number;
}

/** The largest double i with g(i) ≤ v, for a non-decreasing g (bisection between adjacent doubles). */
function largestAtMost(g: (i: number) => number, v: number, guess: number): number {
  // (v − b) / a can overflow for a tiny slope: start from the largest finite double instead (the loops below stop at ±Infinity)
  if (!Number.isFinite(guess)) guess = guess > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
  let lo: number;
  let hi: number;
  let d = Math.max(Math.abs(guess) * 2.3e-16, Number.MIN_VALUE);
  if (g(guess) <= v) {
    lo = guess;
    hi = guess + d;
    while (g(hi) <= v) {
      lo = hi;
      d *= 2;
      hi = guess + d;
      if (hi === Infinity) return Infinity;
    }
  } else {
    hi = guess;
    lo = guess - d;
    while (g(lo) > v) {
      hi = lo;
      d *= 2;
      lo = guess - d;
      if (lo === -Infinity) return -Infinity;
    }
  }
  for (;;) {
    const m = lo + (hi - lo) / 2;
    if (m <= lo || m >= hi) return lo;
    if (g(m) <= v) lo = m;
    else hi = m;
  }
}

const LEVEL_LIMIT = 1 << 20;

function buildBelowSets(
  x: VoxelData,
  y: VoxelData,
  s: number,
  e: number,
  D: number,
  a: number,
  b: number,
  mx: number,
  my: number,
): BelowSets {
  const g = (i: number) => a * i + b;
  const h = (si: number) => largestAtMost(g, si, (si - b) / a);
  const n = e - s;
  // bucket index per pixel, and the sorted distinct keys
  const bucket = new Int32Array(n);
  let keys: Float64Array;
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  let integer = true;
  for (let i = s; i < e; i++) {
    const xv = x[i];
    const yv = y[i];
    if (xv < xMin) xMin = xv;
    if (xv > xMax) xMax = xv;
    if (yv < yMin) yMin = yv;
    if (yv > yMax) yMax = yv;
    if (integer && (Math.floor(xv) !== xv || Math.floor(yv) !== yv)) integer = false;
  }
  const xr = xMax - xMin + 1;
  const yr = yMax - yMin + 1;
  if (integer && xr <= LEVEL_LIMIT && yr <= LEVEL_LIMIT) {
    // keys through the levels: ch1 level l → l / D, ch2 level l → h(l / D); no per-pixel sort
    const xPresent = new Uint8Array(xr);
    const yPresent = new Uint8Array(yr);
    for (let i = s; i < e; i++) {
      xPresent[x[i] - xMin] = 1;
      yPresent[y[i] - yMin] = 1;
    }
    const cand: number[] = [];
    for (let l = 0; l < xr; l++) if (xPresent[l]) cand.push((l + xMin) / D);
    const yKey = new Float64Array(yr);
    for (let l = 0; l < yr; l++) {
      if (yPresent[l]) {
        yKey[l] = h((l + yMin) / D);
        cand.push(yKey[l]);
      }
    }
    keys = uniqueSorted(Float64Array.from(cand));
    const xb = new Int32Array(xr);
    const yb = new Int32Array(yr);
    for (let l = 0; l < xr; l++) if (xPresent[l]) xb[l] = lowerBound(keys, (l + xMin) / D);
    for (let l = 0; l < yr; l++) if (yPresent[l]) yb[l] = lowerBound(keys, yKey[l]);
    for (let i = s, j = 0; i < e; i++, j++) {
      const bx = xb[x[i] - xMin];
      const by = yb[y[i] - yMin];
      bucket[j] = bx < by ? bx : by;
    }
  } else {
    const key = new Float64Array(n);
    for (let i = s, j = 0; i < e; i++, j++) {
      const fi = x[i] / D;
      const hk = h(y[i] / D);
      key[j] = fi < hk ? fi : hk;
    }
    keys = uniqueSorted(key.slice());
    for (let j = 0; j < n; j++) bucket[j] = lowerBound(keys, key[j]);
  }
  // per-bucket sums of the centred (divided) values, then prefix sums
  const m = keys.length;
  const cumN = new Float64Array(m + 1);
  const cx = new Float64Array(m + 1);
  const cy = new Float64Array(m + 1);
  const cxx = new Float64Array(m + 1);
  const cyy = new Float64Array(m + 1);
  const cxy = new Float64Array(m + 1);
  // first and last values seen per prefix, to tell a constant set exactly (NaN Pearson, as scipy)
  const bxMin = new Float64Array(m).fill(Infinity);
  const bxMax = new Float64Array(m).fill(-Infinity);
  const byMin = new Float64Array(m).fill(Infinity);
  const byMax = new Float64Array(m).fill(-Infinity);
  for (let i = s, j = 0; i < e; i++, j++) {
    const k = bucket[j] + 1;
    const fi = x[i] / D;
    const si = y[i] / D;
    const dx = fi - mx;
    const dy = si - my;
    cumN[k]++;
    cx[k] += dx;
    cy[k] += dy;
    cxx[k] += dx * dx;
    cyy[k] += dy * dy;
    cxy[k] += dx * dy;
    const kb = k - 1;
    if (fi < bxMin[kb]) bxMin[kb] = fi;
    if (fi > bxMax[kb]) bxMax[kb] = fi;
    if (si < byMin[kb]) byMin[kb] = si;
    if (si > byMax[kb]) byMax[kb] = si;
  }
  const pxMin = new Float64Array(m + 1).fill(Infinity);
  const pxMax = new Float64Array(m + 1).fill(-Infinity);
  const pyMin = new Float64Array(m + 1).fill(Infinity);
  const pyMax = new Float64Array(m + 1).fill(-Infinity);
  for (let k = 1; k <= m; k++) {
    cumN[k] += cumN[k - 1];
    cx[k] += cx[k - 1];
    cy[k] += cy[k - 1];
    cxx[k] += cxx[k - 1];
    cyy[k] += cyy[k - 1];
    cxy[k] += cxy[k - 1];
    pxMin[k] = Math.min(pxMin[k - 1], bxMin[k - 1]);
    pxMax[k] = Math.max(pxMax[k - 1], bxMax[k - 1]);
    pyMin[k] = Math.min(pyMin[k - 1], byMin[k - 1]);
    pyMax[k] = Math.max(pyMax[k - 1], byMax[k - 1]);
  }
  return {
    cumN,
    countBelow: (i: number) => lowerBound(keys, i),
    pearson: (k: number) => {
      const nn = cumN[k];
      if (pxMin[k] === pxMax[k] || pyMin[k] === pyMax[k]) return NaN;
      const vxx = cxx[k] - (cx[k] * cx[k]) / nn;
      const vyy = cyy[k] - (cy[k] * cy[k]) / nn;
      const vxy = cxy[k] - (cx[k] * cy[k]) / nn;
      const r = vxy / Math.sqrt(vxx * vyy);
      return r > 1 ? 1 : r < -1 ? -1 : r;
    },
  };
}

/** Sorts in place and returns the distinct values (a prefix view). */
function uniqueSorted(a: Float64Array): Float64Array {
  a.sort();
  let m = 0;
  for (let j = 0; j < a.length; j++) if (m === 0 || a[j] !== a[m - 1]) a[m++] = a[j];
  return a.subarray(0, m);
}

/** First index whose value is ≥ v (= number of values < v). */
function lowerBound(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
