/**
 * SciPy 1.10 `ndimage.median_filter(input, size=sizes, mode='reflect')` on float32 C-order arrays (1–3 axes).
 *
 * SciPy takes a full box footprint of `prod(sizes)` elements and returns its order statistic of rank
 * `prod(sizes) // 2` (the upper median for even counts); for a footprint of one element that is the input
 * itself (`minimum_filter` with size 1). The window along an axis of size s covers `i - s//2 .. i - s//2 + s - 1`
 * (origin 0). The selected value is an exact input value, so any exact selection reproduces SciPy bit for
 * bit (NaN inputs are not supported: SciPy's own result is ill-defined there).
 *
 * Implementation: per output voxel the window is gathered through precomputed reflect index maps into one
 * scratch buffer and the k-th smallest element is found with Wirth's in-place selection (no allocation per voxel).
 * Larger windows (3-D 3×3×3 and up) sort each window column — the `sz[0] × sz[1]` values at one x — once per
 * output row and take the rank from the `sz[2]` sorted columns by a merge: a column serves `sz[2]` windows, so
 * the work per voxel drops several-fold. Both return the exact order statistic.
 */
import { valueError } from '../../core/errors.js';
import { extensionMap } from './boundary.js';

/** k-th smallest (0-based) of `buf[0..n)`, reordering `buf` (Wirth / Hoare selection). */
function selectKth(buf: Float32Array, n: number, k: number): number {
  let l = 0;
  let m = n - 1;
  while (l < m) {
    const x = buf[k];
    let i = l;
    let j = m;
    do {
      while (buf[i] < x) i++;
      while (x < buf[j]) j--;
      if (i <= j) {
        const t = buf[i]; buf[i] = buf[j]; buf[j] = t;
        i++; j--;
      }
    } while (i <= j);
    if (j < k) l = i;
    if (k < i) m = j;
  }
  return buf[k];
}

/** Median of exactly 9 values with the classic 19-exchange network (Paeth / Devillard `opt_med9`). */
function median9(p: Float32Array): number {
  let p0 = p[0], p1 = p[1], p2 = p[2], p3 = p[3], p4 = p[4], p5 = p[5], p6 = p[6], p7 = p[7], p8 = p[8], t = 0;
  if (p1 > p2) { t = p1; p1 = p2; p2 = t; }
  if (p4 > p5) { t = p4; p4 = p5; p5 = t; }
  if (p7 > p8) { t = p7; p7 = p8; p8 = t; }
  if (p0 > p1) { t = p0; p0 = p1; p1 = t; }
  if (p3 > p4) { t = p3; p3 = p4; p4 = t; }
  if (p6 > p7) { t = p6; p6 = p7; p7 = t; }
  if (p1 > p2) { t = p1; p1 = p2; p2 = t; }
  if (p4 > p5) { t = p4; p4 = p5; p5 = t; }
  if (p7 > p8) { t = p7; p7 = p8; p8 = t; }
  if (p0 > p3) { t = p0; p0 = p3; p3 = t; }
  if (p5 > p8) { t = p5; p5 = p8; p8 = t; }
  if (p4 > p7) { t = p4; p4 = p7; p7 = t; }
  if (p3 > p6) { t = p3; p3 = p6; p6 = t; }
  if (p1 > p4) { t = p1; p1 = p4; p4 = t; }
  if (p2 > p5) { t = p2; p2 = p5; p5 = t; }
  if (p4 > p7) { t = p4; p4 = p7; p7 = t; }
  if (p4 > p2) { t = p4; p4 = p2; p2 = t; }
  if (p6 > p4) { t = p6; p6 = p4; p4 = t; }
  if (p4 > p2) { t = p4; p4 = p2; p2 = t; }
  return p4;
}

/**
 * `median_filter(input, size, mode='reflect')`. `dims` and `size` have one entry per axis (2-D: `[y, x]`,
 * 3-D: `[z, y, x]`). Returns a new Float32Array.
 */
export function medianFilter(input: Float32Array, dims: readonly number[], size: readonly number[]): Float32Array {
  if (size.length !== dims.length) throw valueError(`median_filter: ${size.length} sizes for ${dims.length} axes`);
  for (const s of size) if (!Number.isInteger(s) || s < 1) throw valueError(`median_filter: size must be an integer >= 1, got ${s}`);
  // Promote to 3 axes (leading singleton axes with size 1 change nothing).
  const d = [1, 1, 1];
  const sz = [1, 1, 1];
  for (let a = 0; a < dims.length; a++) {
    d[3 - dims.length + a] = dims[a];
    sz[3 - dims.length + a] = size[a];
  }
  const [Z, Y, X] = d;
  const count = sz[0] * sz[1] * sz[2];
  const out = new Float32Array(input.length);
  if (count === 1 || input.length === 0) {
    out.set(input);
    return out;
  }
  const rank = Math.floor(count / 2);
  const before = sz.map((s) => Math.floor(s / 2));
  // mz[z + dz] with dz in [0, sz) is the input index of window row `z - before + dz`.
  const mz = extensionMap(Z, before[0], sz[0] - 1 - before[0], 'reflect');
  const my = extensionMap(Y, before[1], sz[1] - 1 - before[1], 'reflect');
  const mx = extensionMap(X, before[2], sz[2] - 1 - before[2], 'reflect');
  if (count > 9 && sz[2] > 1) {
    medianBySortedColumns(input, out, [Z, Y, X], sz, rank, mz, my, mx);
    return out;
  }
  const buf = new Float32Array(count);
  const is9 = count === 9;
  let o = 0;
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++) {
        let n = 0;
        for (let dz = 0; dz < sz[0]; dz++) {
          const zoff = mz[z + dz] * Y;
          for (let dy = 0; dy < sz[1]; dy++) {
            const row = (zoff + my[y + dy]) * X;
            for (let dx = 0; dx < sz[2]; dx++) buf[n++] = input[row + mx[x + dx]];
          }
        }
        out[o++] = is9 ? median9(buf) : selectKth(buf, count, rank);
      }
    }
  }
  return out;
}

/**
 * Median of `sz` windows from sorted columns: for each output row (z, y) the column at input x holds the
 * `sz[0] * sz[1]` window values of that x, sorted ascending; the window at x is the columns `mx[x .. x + sz[2])`
 * and its rank-th smallest value is found by merging those sorted columns.
 */
function medianBySortedColumns(
  input: Float32Array,
  out: Float32Array,
  [Z, Y, X]: number[],
  sz: number[],
  rank: number,
  mz: Int32Array | number[],
  my: Int32Array | number[],
  mx: Int32Array | number[],
): void {
  const c = sz[0] * sz[1];
  const w = sz[2];
  const cols = new Float32Array(X * c); // sorted column of input x at [x * c, (x + 1) * c)
  const heads = new Int32Array(w);
  const bases = new Int32Array(w);
  let o = 0;
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++) {
        // gather the column's values, then insertion-sort them (c is small: 9 for 3×3×3)
        const base = x * c;
        let n = 0;
        for (let dz = 0; dz < sz[0]; dz++) {
          const zoff = mz[z + dz] * Y;
          for (let dy = 0; dy < sz[1]; dy++) {
            const v = input[(zoff + my[y + dy]) * X + x];
            let j = base + n - 1;
            while (j >= base && cols[j] > v) {
              cols[j + 1] = cols[j];
              j--;
            }
            cols[j + 1] = v;
            n++;
          }
        }
      }
      if (w === 3) {
        // The common 3-wide window, merged with three scalar heads (no per-step array traffic).
        for (let x = 0; x < X; x++) {
          const b0 = mx[x] * c;
          const b1 = mx[x + 1] * c;
          const b2 = mx[x + 2] * c;
          const e0 = b0 + c;
          const e1 = b1 + c;
          const e2 = b2 + c;
          let i0 = b0;
          let i1 = b1;
          let i2 = b2;
          let v = 0;
          for (let r = 0; r <= rank; r++) {
            const v0 = i0 < e0 ? cols[i0] : Infinity;
            const v1 = i1 < e1 ? cols[i1] : Infinity;
            const v2 = i2 < e2 ? cols[i2] : Infinity;
            if (v0 <= v1 && v0 <= v2) {
              v = v0;
              i0++;
            } else if (v1 <= v2) {
              v = v1;
              i1++;
            } else {
              v = v2;
              i2++;
            }
          }
          out[o++] = v;
        }
        continue;
      }
      for (let x = 0; x < X; x++) {
        for (let k = 0; k < w; k++) {
          bases[k] = mx[x + k] * c;
          heads[k] = 0;
        }
        // take the smallest head rank + 1 times
        let v = 0;
        for (let r = 0; r <= rank; r++) {
          let best = -1;
          let bv = Infinity;
          for (let k = 0; k < w; k++) {
            if (heads[k] < c) {
              const hv = cols[bases[k] + heads[k]];
              if (best < 0 || hv < bv) {
                best = k;
                bv = hv;
              }
            }
          }
          heads[best]++;
          v = bv;
        }
        out[o++] = v;
      }
    }
  }
}
