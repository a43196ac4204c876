/**
 * Thresholds of integer images from a full-resolution value histogram (issue 21). The original thresholds
 * `W[(W > 0) & isfinite(W)]` as float32 values; for 8/16-bit stored voxels every value is an integer exact in
 * float32, so one pass counting each value (65,536 bins at most) holds everything Otsu's binning and the
 * percentile's order statistics need: the thresholds stay bit-identical to the value-array kernels
 * (`otsu.ts`, `percentile.ts`), at the cost of one cheap counting pass instead of two float passes (Otsu) or a
 * copy and sort of every value (percentile).
 */
import { thresholdOtsuOfDistinct } from './otsu.js';
import { numpyLinearPercentile } from './percentile.js';
import { positiveHistogramU16 } from '../kernels/threshold-wasm.js';

export type IntegerVoxels = Uint8Array | Uint16Array | Int8Array | Int16Array;

export function isIntegerVoxels(a: ArrayLike<number>): a is IntegerVoxels {
  return a instanceof Uint16Array || a instanceof Uint8Array || a instanceof Int16Array || a instanceof Int8Array;
}

/** Distinct strictly positive values (ascending) with their counts. */
export interface PositiveHistogram {
  values: Int32Array;
  counts: Float64Array;
  nDistinct: number;
  /** Number of strictly positive voxels. */
  nValues: number;
}

/** One counting buffer reused across channels (256 KiB; zeroed per use). */
let bins: Int32Array | null = null;

/** Histogram of the strictly positive voxels of an integer image: one pass. */
export function positiveHistogram(W: IntegerVoxels): PositiveHistogram {
  // uint16 (the usual channel): counted and listed in WebAssembly (kernels/threshold-wasm.ts)
  const fast = W instanceof Uint16Array ? positiveHistogramU16(W) : null;
  if (fast) return fast;
  const signed = W instanceof Int16Array || W instanceof Int8Array;
  const size = W instanceof Uint8Array || W instanceof Int8Array ? 256 : 65536;
  const offset = signed ? size >>> 1 : 0; // bin of value v = v + offset
  if (!bins || bins.length < 65536) bins = new Int32Array(65536);
  const h = bins;
  h.fill(0, 0, size);
  const len = W.length;
  if (offset === 0) {
    for (let i = 0; i < len; i++) h[W[i]]++;
  } else {
    for (let i = 0; i < len; i++) h[W[i] + offset]++;
  }
  let nDistinct = 0;
  for (let b = offset + 1; b < size; b++) if (h[b] !== 0) nDistinct++;
  const values = new Int32Array(nDistinct);
  const counts = new Float64Array(nDistinct);
  let nValues = 0;
  for (let b = offset + 1, k = 0; b < size; b++) {
    const c = h[b];
    if (c === 0) continue;
    values[k] = b - offset;
    counts[k++] = c;
    nValues += c;
  }
  return { values, counts, nDistinct, nValues };
}

/** `threshold_otsu(values)` (scikit-image 0.19, 256 bins) of the histogram's values. */
export function otsuOfHistogram(h: PositiveHistogram): number {
  return thresholdOtsuOfDistinct(h.values, h.counts, h.nDistinct);
}

/**
 * `np.percentile(values, q)` (NumPy 1.24 `linear`, as `percentile.ts`) of the histogram's values: the two
 * order statistics are read off the cumulative counts instead of a sort.
 */
export function percentileOfHistogram(h: PositiveHistogram, q: number): number {
  return numpyLinearPercentile(h.nValues, q, (prev, next) => [valueAtRank(h, prev), valueAtRank(h, next)]);
}

/** The value at 0-based position `rank` of the sorted values. */
function valueAtRank(h: PositiveHistogram, rank: number): number {
  let seen = 0;
  for (let k = 0; k < h.nDistinct; k++) {
    seen += h.counts[k];
    if (rank < seen) return h.values[k];
  }
  return h.values[h.nDistinct - 1];
}
