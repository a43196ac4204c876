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
