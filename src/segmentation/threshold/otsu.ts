/**
 * scikit-image 0.19 `filters.threshold_otsu(values, nbins=256)` on float32 values, bit for bit.
 *
 * - all values equal → that value;
 * - histogram = NumPy 1.24 `np.histogram(values, bins=256)` (range = [min, max]): the bin edges are
 *   `np.linspace(min, max, 257)` computed in float64 and stored as float32 (last edge = max); a value's bin is
 *   `int(f32(f32(v - min) * f32(256 / f32(max - min))))`, corrected by one against the float32 edges
 *   (`v < edge[i]` → i-1; `v >= edge[i+1]` and not the last bin → i+1), the last bin closed on the right;
 * - bin centres `f32(f32(edge[i] + edge[i+1]) / 2)`;
 * - float64 class weights/means, between-class term `w1[i] * w2[i+1] * (m1[i] - m2[i+1])^2`, first argmax.
 * Returns the float32 bin centre (as a JS number; compare `value > t` with float32 values, which is exact).
 */
import { valueError } from '../../core/errors.js';

const NBINS = 256;

export function thresholdOtsu(values: Float32Array, nbins = NBINS): number {
  return otsu(values, false, nbins);
}

/**
 * `threshold_otsu(W[(W > 0) & isfinite(W)])` without building the value array (spec 4.3 steps 3–4):
 * the same histogram, visiting W in the same order. Saves a crop-sized allocation per channel.
 */
export function thresholdOtsuOfPositive(
  W: Float32Array | Uint16Array | Uint8Array | Int16Array | Int8Array,
  nbins = NBINS,
  /** min and max of the positive finite values when the caller already scanned them (saves a pass) */
  range?: { vmin: number; vmax: number },
): number {
  if (range) {
    // All values equal ⇔ min = max (the values are finite); then that value is the threshold.
    if (range.vmin === range.vmax) return range.vmin;
    return binnedOtsu(W, true, range.vmin, range.vmax, nbins);
  }
  return otsu(W, true, nbins);
}

function otsu(values: Float32Array | Uint16Array | Uint8Array | Int16Array | Int8Array, positiveOnly: boolean, nbins: number): number {
  const len = values.length;
  let first = NaN;
  let n = 0;
  let allEqual = true;
  let vmin = Infinity;
  let vmax = -Infinity;
  for (let i = 0; i < len; i++) {
    const v = values[i];
    if (positiveOnly && !(v > 0 && v !== Infinity)) continue;
    if (n++ === 0) first = v;
    else if (v !== first) allEqual = false;
    if (v < vmin) vmin = v;
    if (v > vmax) vmax = v;
  }
  if (n === 0) throw valueError('threshold_otsu: no values to threshold');
  if (allEqual) return first;
  return binnedOtsu(values, positiveOnly, vmin, vmax, nbins);
}

function binnedOtsu(
  values: Float32Array | Uint16Array | Uint8Array | Int16Array | Int8Array,
  positiveOnly: boolean,
  vmin: number,
  vmax: number,
  nbins: number,
): number {
  const len = values.length;
  const { edges, norm, counts } = histogramBins(vmin, vmax, nbins);
  for (let k = 0; k < len; k++) {
    const v = values[k];
    if (positiveOnly && !(v > 0 && v !== Infinity)) continue;
    counts[binOf(v, vmin, norm, edges, nbins)] += 1;
  }
  return otsuOfHistogram(edges, counts, nbins);
}

/**
 * `threshold_otsu` from a histogram of integer values (`histogram.ts`): `values[i]` ascending distinct, each
 * occurring `counts[i]` times. Every occurrence of a value lands in the same bin, so adding its count at once
 * gives the per-value histogram exactly (counts are integers, exact in float64).
 */
export function thresholdOtsuOfDistinct(values: ArrayLike<number>, counts: ArrayLike<number>, nDistinct: number, nbins = NBINS): number {
  if (nDistinct === 0) throw valueError('threshold_otsu: no values to threshold');
  if (nDistinct === 1) return values[0];
  const vmin = values[0];
  const vmax = values[nDistinct - 1];
  const h = histogramBins(vmin, vmax, nbins);
  for (let i = 0; i < nDistinct; i++) h.counts[binOf(values[i], vmin, h.norm, h.edges, nbins)] += counts[i];
  return otsuOfHistogram(h.edges, h.counts, nbins);
}

/** NumPy 1.24 `np.histogram(values, bins=nbins)` bin edges and scale (see the header), counts zeroed. */
function histogramBins(vmin: number, vmax: number, nbins: number): { edges: Float32Array; norm: number; counts: Float64Array } {
  const f = Math.fround;
  // np.linspace(first_edge, last_edge, nbins + 1) in float64, cast to float32, endpoint set to stop.
  const edges = new Float32Array(nbins + 1);
  const step = (vmax - vmin) / nbins;
  for (let i = 0; i < nbins; i++) edges[i] = i * step + vmin;
  edges[nbins] = vmax;
  const norm = f(nbins / f(vmax - vmin)); // float64 scalar, cast to float32 by the float32-array multiply
  return { edges, norm, counts: new Float64Array(nbins) };
}

/** The bin of value v: NumPy's float32 index computation, corrected by one against the float32 edges. */
function binOf(v: number, vmin: number, norm: number, edges: Float32Array, nbins: number): number {
  const f = Math.fround;
  let idx = Math.trunc(f(f(v - vmin) * norm));
  if (idx === nbins) idx -= 1;
  if (v < edges[idx]) idx -= 1;
  if (v >= edges[idx + 1] && idx !== nbins - 1) idx += 1;
  return idx;
}

function otsuOfHistogram(edges: Float32Array, counts: Float64Array, nbins: number): number {
  const f = Math.fround;
  const centers = new Float64Array(nbins);
  for (let i = 0; i < nbins; i++) centers[i] = f(f(edges[i] + edges[i + 1]) / 2);
  // weight1/mean1 from the bottom, weight2/mean2 from the top (np.cumsum in float64; counts * centres is float64).
  const w1 = new Float64Array(nbins);
  const m1 = new Float64Array(nbins);
  const w2 = new Float64Array(nbins);
  const m2 = new Float64Array(nbins);
  let cw = 0;
  let cs = 0;
  for (let i = 0; i < nbins; i++) {
    cw += counts[i];
    cs += counts[i] * centers[i];
    w1[i] = cw;
    m1[i] = cs / cw;
  }
  cw = 0;
  cs = 0;
  for (let i = nbins - 1; i >= 0; i--) {
    cw += counts[i];
    cs += counts[i] * centers[i];
    w2[i] = cw;
    m2[i] = cs / cw;
  }
  let best = -Infinity;
  let idx = 0;
  for (let i = 0; i < nbins - 1; i++) {
    const d = m1[i] - m2[i + 1];
    const v = w1[i] * w2[i + 1] * (d * d);
    // np.argmax: first maximum; NaN would win in NumPy (cannot occur: both class weights are >= 1 here).
    if (v > best) { best = v; idx = i; }
  }
  return centers[idx];
}
