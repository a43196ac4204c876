/**
 * Copying a decoded Zarr chunk's overlap with a region into the region's array (issue 20, speed).
 *
 * A chunk's overlap is a list of runs along x (the last NGFF axis), contiguous in a C-order chunk: its *row plan*,
 * computed once per chunk. Runs that follow each other in both the chunk and the output (a chunk as wide as the
 * region) are merged into one. Every copy then walks that plan with running offsets.
 *
 * Why not `out.set(src.subarray(…))` per row, as before: a fresh process (every `cellcoloc run`) pays for a new
 * typed-array object per row — the 2048² bench image in 256² chunks is 32768 rows, ~31 ms of main-thread CPU in
 * `--cpu-prof` (more than all of its zstd decoding on the thread pool) plus the garbage. A plain element loop is
 * compiled by V8 on the spot (on-stack replacement) and allocates nothing; `set` is kept for long runs (merged
 * rows), where one object per run is nothing.
 *
 * Byte-shuffled blosc blocks (the bench's blosc-zstd, and most blosc stores: shuffle is numcodecs' default) are
 * unshuffled straight into the output (`placeShuffled2`/`placeShuffled4`): one pass over the pixels instead of an
 * unshuffle into a chunk buffer and a copy of that buffer.
 */
import type { VoxelData } from '../../core/volume.js';

/** Runs of a chunk's overlap with the region, sorted by their offset in the chunk (elements, C order). */
export interface RowPlan {
  n: number;
  /** Element offset of each run in the chunk. */
  src: Float64Array;
  /** Element offset of each run in the output. */
  dst: Float64Array;
  len: Float64Array;
}

/**
 * The row plan of chunk `cc` (chunk-grid coordinates) for the region `[lo, hi)` (array coordinates per axis; a
 * single-index axis has `hi = lo + 1`), with C-order chunks of shape `chunkShape` and output strides `outStride`.
 * Offsets are float64: a region may hold more than 2³¹ elements. `into` is reused when it has room (the plan is
 * consumed at once by the caller: one scratch plan per region instead of three arrays per chunk).
 *
 * The offsets are carried from row to row (an odometer over the axes before x that adds a stride per step), not
 * recomputed per row from every axis: in a fresh process this ran mostly unoptimised, ~4 ms for the bench's 128
 * chunks of 256 rows.
 */
export function rowPlan(cc: readonly number[], chunkShape: readonly number[], lo: readonly number[], hi: readonly number[], outStride: readonly number[], into?: RowPlan): RowPlan {
  const nd = cc.length;
  const start = new Array<number>(nd);
  const stop = new Array<number>(nd);
  const cst = new Array<number>(nd);
  cst[nd - 1] = 1;
  for (let i = nd - 2; i >= 0; i--) cst[i] = cst[i + 1] * chunkShape[i + 1];
  let rows = 1;
  let s = 0;
  let d = 0;
  for (let i = 0; i < nd; i++) {
    start[i] = Math.max(lo[i], cc[i] * chunkShape[i]);
    stop[i] = Math.min(hi[i], (cc[i] + 1) * chunkShape[i]);
    if (i < nd - 1) rows *= Math.max(0, stop[i] - start[i]);
    s += (start[i] - cc[i] * chunkShape[i]) * cst[i];
    d += (start[i] - lo[i]) * outStride[i];
  }
  const run = stop[nd - 1] - start[nd - 1];
  const plan: RowPlan = into && into.src.length >= rows ? into : { n: 0, src: new Float64Array(rows), dst: new Float64Array(rows), len: new Float64Array(rows) };
  plan.n = 0;
  if (rows === 0 || run <= 0) return plan;
  const { src, dst, len } = plan;
  const pos = start.slice(0, nd - 1);
  let n = 0;
  for (let r = 0; r < rows; r++) {
    // a run that continues the previous one in both the chunk and the output (a chunk as wide as the region) merges
    if (n > 0 && src[n - 1] + len[n - 1] === s && dst[n - 1] + len[n - 1] === d) len[n - 1] += run;
    else {
      src[n] = s;
      dst[n] = d;
      len[n] = run;
      n++;
    }
    // odometer over the axes before x: a step adds the axis' strides, a wrap takes its span back
    for (let a = nd - 2; a >= 0; a--) {
      if (++pos[a] < stop[a]) {
        s += cst[a];
        d += outStride[a];
        break;
      }
      const back = stop[a] - 1 - start[a];
      pos[a] = start[a];
      s -= back * cst[a];
      d -= back * outStride[a];
    }
  }
  plan.n = n;
  return plan;
}

/** The first run of `plan` that ends after chunk element `e0` (binary search; runs are sorted and disjoint). */
function firstRun(plan: RowPlan, e0: number): number {
  let a = 0;
  let b = plan.n;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (plan.src[m] + plan.len[m] <= e0) a = m + 1;
    else b = m;
  }
  return a;
}

/**
 * Copies chunk elements `[e0, e1)` — held in `src` from index `srcAt` on (element `e0` at `srcAt`) — where the plan
 * puts them in `out`. `src` and `out` have the same element type.
 */
export function placeElements(out: VoxelData, plan: RowPlan, src: VoxelData, srcAt: number, e0: number, e1: number): void {
  const { src: rs, dst: rd, len: rl, n } = plan;
  for (let r = firstRun(plan, e0); r < n; r++) {
    const s0 = rs[r];
    if (s0 >= e1) break;
    const a = s0 > e0 ? s0 : e0;
    const end = s0 + rl[r];
    const m = (end < e1 ? end : e1) - a;
    const d = rd[r] + (a - s0);
    const s = srcAt + (a - e0);
    (out as Uint8Array).set(src.subarray(s, s + m) as Uint8Array, d);
  }
}

/**
 * Unshuffles chunk elements `[e0, e1)` of 2 bytes into `out` (a 16-bit view of the output): element `e` is
 * `lo[loAt + e - e0] | hi[hiAt + e - e0] << 8` (little-endian; blosc's byte shuffle stores all first bytes, then all
 * second bytes).
 */
export function placeShuffled2(out: Uint16Array, plan: RowPlan, lo: Uint8Array, loAt: number, hi: Uint8Array, hiAt: number, e0: number, e1: number): void {
  const { src: rs, dst: rd, len: rl, n } = plan;
  for (let r = firstRun(plan, e0); r < n; r++) {
    const s0 = rs[r];
    if (s0 >= e1) break;
    const a = s0 > e0 ? s0 : e0;
    const end = s0 + rl[r];
    const m = (end < e1 ? end : e1) - a;
    const d = rd[r] + (a - s0);
    const sl = loAt + (a - e0);
    const sh = hiAt + (a - e0);
    for (let k = 0; k < m; k++) out[d + k] = lo[sl + k] | (hi[sh + k] << 8);
  }
}

/** As `placeShuffled2` for 4-byte elements (`out`: a 32-bit unsigned view of the output; bytes `b0` lowest). */
export function placeShuffled4(
  out: Uint32Array,
  plan: RowPlan,
  b0: Uint8Array,
  at0: number,
  b1: Uint8Array,
  at1: number,
  b2: Uint8Array,
  at2: number,
  b3: Uint8Array,
  at3: number,
  e0: number,
  e1: number,
): void {
  const { src: rs, dst: rd, len: rl, n } = plan;
  for (let r = firstRun(plan, e0); r < n; r++) {
    const s0 = rs[r];
    if (s0 >= e1) break;
    const a = s0 > e0 ? s0 : e0;
    const end = s0 + rl[r];
    const m = (end < e1 ? end : e1) - a;
    const d = rd[r] + (a - s0);
    const o = a - e0;
    for (let k = 0; k < m; k++) out[d + k] = (b0[at0 + o + k] | (b1[at1 + o + k] << 8) | (b2[at2 + o + k] << 16) | (b3[at3 + o + k] << 24)) >>> 0;
  }
}
