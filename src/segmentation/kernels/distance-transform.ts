/**
 * Exact Euclidean distance transform with anisotropic sampling: for every foreground voxel (mask != 0) the
 * distance, in the units of `spacing` (µm, or 1 = pixels), to the nearest background voxel; background voxels
 * get 0. Same definition as `scipy.ndimage.distance_transform_edt(mask, sampling=spacing)`: only voxels
 * inside the array count as background (the outside of the array does not), and a mask without background
 * gives +Infinity everywhere.
 *
 * Algorithm: Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled Functions", Theory of Computing 8
 * (2012): the squared distance is separable, so one 1-D lower-envelope-of-parabolas pass per axis (x, then
 * y, then z) turns the 0/∞ indicator into exact squared distances. With sampling s along an axis the
 * parabola rooted at p is f(p) + s²(q − p)², which only scales the intersection formula.
 * O(voxels) per axis; scratch is per line (no per-voxel allocation). The first pass (along x) works on the 0/∞
 * indicator, whose lower envelope is simply the squared distance to the nearest background voxel of the row:
 * two sweeps per row give it exactly, without the parabola intersections (the same values as `envelope1d`).
 * Declumping calls this once per object on its bounding box, so the squared map can be written into a
 * caller's buffer (`out`) and the line scratch is reused between calls.
 */
import type { Shape3 } from '../../core/volume.js';
import { valueError } from '../../core/errors.js';
import { GrowBuffer } from './grow-buffer.js';
import { unitPlaneDistanceTransform } from './distance-transform-int.js';
import { edtPlaneWasm } from './declump-wasm-edt.js';

/** Scratch of one 1-D pass, sized for the longest line. */
interface LineScratch {
  f: Float64Array;
  g: Float64Array;
  d: Float64Array;
  v: Int32Array;
  z: Float64Array;
}

let lineScratch: LineScratch | null = null;
function scratch(n: number): LineScratch {
  if (lineScratch && lineScratch.f.length >= n) return lineScratch;
  const m = Math.max(n, 64);
  return (lineScratch = { f: new Float64Array(m), g: new Float64Array(m), d: new Float64Array(m), v: new Int32Array(m), z: new Float64Array(m + 1) });
}
const squaredScratch = new GrowBuffer(Float64Array);

/**
 * Lower envelope of the parabolas f(p) + s²(q − p)² over p with finite f (FH 2012, algorithm 1); writes
 * d[q] = min_p(...) for q in [0, n). Lines without a finite sample stay +∞.
 */
function envelope1d(sc: LineScratch, n: number, s2: number, start = 0): void {
  const { f, d, v, z, g } = sc;
  // g[q] = f[q] + s²q², the parabola's constant part, evaluated once per sample (the same expression as
  // inline, so the intersections are the same to the last bit).
  let k = -1;
  for (let q = start; q < n; q++) {
    const fq = f[q];
    if (fq === Infinity) continue;
    const gq = (g[q] = fq + s2 * q * q);
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    // Intersection of the parabolas rooted at q and at v[k] (in index units).
    let p = v[k];
    let x = (gq - g[p]) / (2 * s2 * (q - p));
    while (x <= z[k]) {
      k--;
      if (k < 0) break;
      p = v[k];
      x = (gq - g[p]) / (2 * s2 * (q - p));
    }
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    k++;
    v[k] = q;
    z[k] = x;
    z[k + 1] = Infinity;
  }
  if (k < 0) {
    d.fill(Infinity, start, n);
    return;
  }
  let j = 0;
  for (let q = start; q < n; q++) {
    while (z[j + 1] < q) j++;
    const p = v[j];
    const dq = q - p;
    d[q] = s2 * dq * dq + f[p];
  }
}

/**
 * Squared distances (float64) of every voxel to the nearest background voxel, in units of `spacing`
 * (`[z, y, x]`). `mask` is read only; `out` (length = voxels) receives the result when given.
 */
export function squaredDistanceTransform(
  mask: Uint8Array,
  shape: Shape3,
  spacing: readonly [number, number, number],
  out: Float64Array = new Float64Array(shape[0] * shape[1] * shape[2]),
): Float64Array {
  return edt(mask, shape, spacing, out, null);
}

/**
 * The transform; with `root` (planes with Y > 1 only) the last pass writes the distances themselves there
 * (0 for background) instead of the squares into `out`.
 */
function edt(
  mask: Uint8Array,
  shape: Shape3,
  spacing: readonly [number, number, number],
  out: Float64Array,
  root: Float32Array | null,
): Float64Array {
  const [Z, Y, X] = shape;
  const n = Z * Y * X;
  if (mask.length !== n || out.length !== n) throw valueError(`distance transform: mask has ${mask.length} voxels, shape needs ${n}`);
  for (const s of spacing) if (!(s > 0) || !Number.isFinite(s)) throw valueError(`distance transform: spacing must be finite numbers > 0, got [${spacing.join(', ')}]`);
  const sc = scratch(Math.max(X, Y, Z));
  const { f, d } = sc;
  // Pass 1, along x (contiguous): squared distance to the nearest background voxel of the row, by a forward
  // and a backward sweep (∞ when the row has none, as the envelope of no finite sample).
  const sx2 = spacing[2] * spacing[2];
  for (let row = 0; row < Z * Y; row++) {
    const base = row * X;
    let last = -1;
    for (let x = 0; x < X; x++) {
      if (!mask[base + x]) {
        last = x;
        out[base + x] = 0;
      } else {
        out[base + x] = last < 0 ? Infinity : x - last;
      }
    }
    last = -1;
    for (let x = X - 1; x >= 0; x--) {
      const i = base + x;
      if (!mask[i]) {
        last = x;
        continue;
      }
      let dx = out[i];
      if (last >= 0 && last - x < dx) dx = last - x;
      out[i] = dx === Infinity ? Infinity : sx2 * dx * dx;
    }
  }
  // Pass 2, along y, over each column's stretch from the background voxel before its first foreground voxel
  // to the one after its last: a parabola rooted beyond a background voxel (f = 0) never lies below that
  // voxel's own parabola inside the stretch, and the voxels outside it are background (0 already).
  const sy2 = spacing[1] * spacing[1];
  if (root) root.fill(0);
  if (Y > 1) {
    for (let zz = 0; zz < Z; zz++) {
      for (let x = 0; x < X; x++) {
        const base = zz * Y * X + x;
        let first = 0;
        while (first < Y && out[base + first * X] === 0) first++;
        if (first === Y) continue;
        let last = Y - 1;
        while (out[base + last * X] === 0) last--;
        const y0 = first > 0 ? first - 1 : 0;
        const y1 = last < Y - 1 ? last + 2 : Y;
        for (let y = y0; y < y1; y++) f[y] = out[base + y * X];
        envelope1d(sc, y1, sy2, y0);
        if (root) for (let y = y0; y < y1; y++) root[base + y * X] = Math.sqrt(d[y]);
        else for (let y = y0; y < y1; y++) out[base + y * X] = d[y];
      }
    }
  }
  // Pass 3, along z.
  const sz2 = spacing[0] * spacing[0];
  if (Z > 1) {
    const P = Y * X;
    for (let p = 0; p < P; p++) {
      for (let zz = 0; zz < Z; zz++) f[zz] = out[zz * P + p];
      envelope1d(sc, Z, sz2);
      for (let zz = 0; zz < Z; zz++) out[zz * P + p] = d[zz];
    }
  }
  return out;
}

/** Every spacing a finite number > 0 (what `edt` requires). */
function validSpacing(spacing: readonly [number, number, number]): boolean {
  const [a, b, c] = spacing;
  return a > 0 && a < Infinity && b > 0 && b < Infinity && c > 0 && c < Infinity;
}

/**
 * Euclidean distances (float32, units of `spacing`) to the nearest background voxel; background = 0.
 * `out` (length = voxels) receives the result when given.
 */
export function distanceTransform(
  mask: Uint8Array,
  shape: Shape3,
  spacing: readonly [number, number, number],
  out: Float32Array = new Float32Array(shape[0] * shape[1] * shape[2]),
): Float32Array {
  // A plane with square pixels (declumping's planes): integer passes, the same distances (distance-transform-int.ts).
  if (shape[0] === 1 && spacing[1] === spacing[2] && validSpacing(spacing) && mask.length === shape[1] * shape[2] && out.length === mask.length) {
    if (unitPlaneDistanceTransform(mask, shape[1], shape[2], out, null, spacing[2] * spacing[2])) return out;
  }
  if (shape[0] === 1 && shape[1] > 1 && mask.length === out.length) {
    // A plane of any pixel size: the same passes in WebAssembly (declump-wasm-edt.ts) when they can run (invalid
    // input is left to `edt`'s errors); else the column pass writes the roots directly (no separate pass over
    // the squares). `edt` is a separate function, so a fresh process does not compile its body for a call that
    // the kernel runs.
    if (mask.length === shape[1] * shape[2] && validSpacing(spacing) && edtPlaneWasm(mask, shape[1], shape[2], spacing[1], spacing[2], out)) return out;
    edt(mask, shape, spacing, squaredScratch.get(mask.length), out);
    return out;
  }
  const sq = squaredDistanceTransform(mask, shape, spacing, squaredScratch.get(mask.length));
  for (let i = 0; i < sq.length; i++) out[i] = Math.sqrt(sq[i]);
  return out;
}
