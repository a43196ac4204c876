/**
 * Per-segment channel statistics and dense intensity ranks for the rank-weighted colocalization (RWC).
 *
 * Ranks follow CellProfiler's `get_image_rank` (cellprofiler_library/functions/measurement.py): sort the
 * values, rank 0 for the smallest, +1 at every change of value, ties share a rank ("dense" ranks starting
 * at 0). They are computed over one segment only (one ROI, or one cell — issue 19.3: per cell, the rank is
 * within the cell), either with a presence table over the integer levels (O(n + range), no sort) or, for
 * non-integer or wide-range data, by sorting only that segment's values.
 */
import type { VoxelData } from '../../core/volume.js';

export interface SegmentStats {
  n: number;
  sum: number;
  min: number;
  max: number;
  /** Every value is an integer (always true for integer typed arrays). */
  integerValued: boolean;
  /** A NaN or ±Infinity is present: every coefficient of this segment is empty. */
  nonFinite: boolean;
}

export function isIntegerArray(a: VoxelData): boolean {
  return !(a instanceof Float32Array || a instanceof Float64Array);
}

export function segmentStats(v: VoxelData, s: number, e: number): SegmentStats {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let nonFinite = false;
  let integerValued = isIntegerArray(v);
  if (integerValued) {
    for (let i = s; i < e; i++) {
      const x = v[i];
      sum += x;
      if (x < min) min = x;
      if (x > max) max = x;
    }
  } else {
    integerValued = true;
    for (let i = s; i < e; i++) {
      const x = v[i];
      if (!Number.isFinite(x)) {
        nonFinite = true;
        continue;
      }
      sum += x;
      if (x < min) min = x;
      if (x > max) max = x;
      if (integerValued && Math.floor(x) !== x) integerValued = false;
    }
  }
  return { n: e - s, sum, min, max, integerValued, nonFinite };
}

/** `segmentStats` of two channels over the same segment in one pass (the hot path: integer typed arrays). */
export function pairSegmentStats(x: VoxelData, y: VoxelData, s: number, e: number): [SegmentStats, SegmentStats] {
  if (!isIntegerArray(x) || !isIntegerArray(y)) return [segmentStats(x, s, e), segmentStats(y, s, e)];
  let sx = 0;
  let sy = 0;
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = s; i < e; i++) {
    const a = x[i];
    const b = y[i];
    sx += a;
    sy += b;
    if (a < minX) minX = a;
    if (a > maxX) maxX = a;
    if (b < minY) minY = b;
    if (b > maxY) maxY = b;
  }
  return [
    { n: e - s, sum: sx, min: minX, max: maxX, integerValued: true, nonFinite: false },
    { n: e - s, sum: sy, min: minY, max: maxY, integerValued: true, nonFinite: false },
  ];
}

/** Reusable scratch buffers (grown on demand) so that a table of thousands of cells allocates a few arrays only. */
export class RankScratch {
  private luts: Int32Array[] = [new Int32Array(0), new Int32Array(0)];
  private sorted = new Float64Array(0);

  /** Level table `which` (0 or 1: one per channel of a pair, both alive at once). */
  levels(size: number, which = 0): Int32Array {
    if (this.luts[which].length < size) this.luts[which] = new Int32Array(Math.max(size, this.luts[which].length * 2));
    return this.luts[which];
  }

  values(size: number): Float64Array {
    if (this.sorted.length < size) this.sorted = new Float64Array(Math.max(size, this.sorted.length * 2));
    return this.sorted;
  }
}

/** Integer levels spanning more than this many values per voxel (plus a constant) are ranked by sorting instead. */
const LUT_RANGE_PER_VOXEL = 4;
const LUT_RANGE_CONSTANT = 4096;

/** Dense ranks as a table over the integer levels: rank of value v = `lut[v - lo]`. */
export interface RankTable {
  lut: Int32Array;
  lo: number;
  /** Number of distinct values (= largest rank + 1). */
  distinct: number;
}

/**
 * The rank table of an integer-valued segment whose level range is small enough (O(n + range), no sort), or
 * null when the segment must be ranked by sorting (`denseRanks`).
 */
export function rankTable(v: VoxelData, s: number, e: number, stats: SegmentStats, scratch: RankScratch, which: number): RankTable | null {
  if (e <= s) return { lut: scratch.levels(1, which), lo: 0, distinct: 0 };
  const range = stats.max - stats.min + 1;
  if (!stats.integerValued || range > LUT_RANGE_PER_VOXEL * (e - s) + LUT_RANGE_CONSTANT) return null;
  // presence table over the levels, then its running count is the rank of each level
  const lut = scratch.levels(range, which);
  lut.fill(0, 0, range);
  const lo = stats.min;
  for (let i = s; i < e; i++) lut[v[i] - lo] = 1;
  let r = -1;
  for (let k = 0; k < range; k++) {
    if (lut[k] !== 0) lut[k] = ++r;
  }
  return { lut, lo, distinct: r + 1 };
}

/**
 * Writes the dense rank of `v[s + j]` to `out[j]` (j = 0 … e − s − 1) by sorting this segment's values, and
 * returns the number of distinct values (= the largest rank + 1). `stats` must be the segment's (finite values).
 */
export function denseRanks(v: VoxelData, s: number, e: number, out: Int32Array, scratch: RankScratch): number {
  const n = e - s;
  if (n === 0) return 0;
  const buf = scratch.values(n);
  for (let i = s, j = 0; i < e; i++, j++) buf[j] = v[i];
  const sorted = buf.subarray(0, n).sort();
  let m = 0;
  for (let j = 0; j < n; j++) {
    if (j === 0 || sorted[j] !== sorted[m - 1]) sorted[m++] = sorted[j];
  }
  for (let i = s, j = 0; i < e; i++, j++) {
    const x = v[i];
    let lo = 0;
    let hi = m - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    out[j] = lo;
  }
  return m;
}

/**
 * Statistics and rank tables of two 8/16-bit channels in ONE pass (the hot path of a large ROI): the presence
 * tables are indexed by the value itself (size 256 or 65536, zeroed first), so no prior min is needed. Null when
 * the arrays are not Uint8Array/Uint16Array or the segment is too small for a 65536-entry table to pay off.
 */
export function statsAndRankTables16(
  x: VoxelData,
  y: VoxelData,
  s: number,
  e: number,
  scratch: RankScratch,
): { st1: SegmentStats; st2: SegmentStats; tab1: RankTable; tab2: RankTable } | null {
  const size = (a: VoxelData) => (a instanceof Uint8Array ? 256 : a instanceof Uint16Array ? 65536 : 0);
  const s1 = size(x);
  const s2 = size(y);
  const n = e - s;
  if (s1 === 0 || s2 === 0 || n === 0 || Math.max(s1, s2) > LUT_RANGE_PER_VOXEL * n + LUT_RANGE_CONSTANT) return null;
  const lut1 = scratch.levels(s1, 0);
  const lut2 = scratch.levels(s2, 1);
  lut1.fill(0, 0, s1);
  lut2.fill(0, 0, s2);
  let sx = 0;
  let sy = 0;
  for (let i = s; i < e; i++) {
    const a = x[i];
    const b = y[i];
    sx += a;
    sy += b;
    lut1[a] = 1;
    lut2[b] = 1;
  }
  const finish = (lut: Int32Array, sizeOf: number, sum: number): [SegmentStats, RankTable] => {
    let min = -1;
    let max = -1;
    let r = -1;
    for (let k = 0; k < sizeOf; k++) {
      if (lut[k] !== 0) {
        if (min < 0) min = k;
        max = k;
        lut[k] = ++r;
      }
    }
    return [
      { n, sum, min, max, integerValued: true, nonFinite: false },
      { lut, lo: 0, distinct: r + 1 },
    ];
  };
  const [st1, tab1] = finish(lut1, s1, sx);
  const [st2, tab2] = finish(lut2, s2, sy);
  return { st1, st2, tab1, tab2 };
}
