/**
 * The exact Euclidean distance transform of a plane with unit pixels in integer arithmetic: the same float32
 * distances as the Felzenszwalb–Huttenlocher passes of `distance-transform.ts` (with unit spacing every squared
 * distance is an integer, exact in both, and the root of the same integer is the same float), faster on
 * declumping's small boxes.
 *
 * Algorithm: A. Meijster, J. B. T. M. Roerdink, W. H. Hesselink, "A general algorithm for computing distance
 * transforms in linear time", Mathematical Morphology and its Applications to Image and Signal Processing
 * (2000), with the two phases swapped so that both run over contiguous memory: phase 1 gives every voxel the
 * distance h to the nearest background voxel of its COLUMN by a downward and an upward sweep taken row by row;
 * phase 2 takes, along each ROW, the lower envelope of the parabolas (x − i)² + h(i)² (Meijster's `Sep`
 * intersections, integer numerators), over the row's stretch from the background voxel before its first
 * foreground voxel to the one after its last (voxels outside it are background; a parabola rooted beyond a
 * background voxel never lies below that voxel's own inside the stretch).
 *
 * Square pixels of any side s: the squared distance in pixels is the same integer k, and the distance is
 * fround(√fl(s² · k)) — the value the float passes give (their sums of s²-scaled squares are fl(s² · k) wherever
 * `watershed-distance.ts` can rank them, which it checks voxel by voxel), exactly, for s a power of two (the products
 * are exact); elsewhere the one rounding of s² · k instead of the float passes' several (a rare last-bit difference
 * of the float32 distance, `test/declump-distance-int.test.ts`).
 */
import { unitPlaneDistanceTransformWasm } from './declump-wasm.js';

/**
 * Scratch of at most `BOX_VOXELS` voxels and rows of at most `ROW_VOXELS`: fixed module constants rather than
 * grown buffers, because TurboFan then embeds their addresses and lengths in the compiled loops — the same
 * passes ran about 30 % slower on declumping's boxes with views of grow-buffers (measured, Node 20). Larger
 * planes take the general passes. 256 KiB + 48 KiB, committed by the OS only where touched.
 */
const BOX_VOXELS = 1 << 16;
const ROW_VOXELS = 1 << 12;
const H = new Int32Array(BOX_VOXELS);
const F = new Int32Array(ROW_VOXELS);
const S = new Int32Array(ROW_VOXELS);
const T = new Int32Array(ROW_VOXELS);

/** Larger than any distance in a plane of fewer than 2¹⁴ rows and columns: a column without background. */
const FAR = 1 << 15;

/**
 * The largest squared distance a plane can hold at a voxel when its outer rows and columns are background:
 * h² with h = ⌊(min(Y, X) − 1) / 2⌋ (every voxel (y, x) has background within min(y, x, Y − 1 − y, X − 1 − x) ≤ h
 * pixels along an axis). `watershed-distance.ts` ranks voxels by this minus their squared distance.
 */
export function squaredDistanceTop(Y: number, X: number): number {
  const h = (Math.min(Y, X) - 1) >> 1;
  return h * h;
}

/**
 * Distances (0 for background) of a Y × X plane with square pixels (`pixel2` = the squared side, 1 = unit pixels)
 * into `out`; with `ranks`, also
 * `squaredDistanceTop(Y, X)` − (squared distance) of every voxel between a row's first and last foreground
 * voxels (the flooding order of the negated map, `watershed-distance.ts`; meaningful where the mask leaves the
 * outer rows and columns empty). Returns false, with
 * `out` unspecified, when the plane has no background voxel (the transform is +∞ there) or is larger than the
 * scratch; the caller then uses the general passes.
 */
export function unitPlaneDistanceTransform(mask: Uint8Array, Y: number, X: number, out: Float32Array, ranks: Int32Array | null = null, pixel2 = 1): boolean {
  if (Y * X > BOX_VOXELS || X > ROW_VOXELS || Y >= 1 << 14) return false;
  // The same passes in WebAssembly (declump-wasm.ts) when it can run them; the JavaScript in a separate function, so
  // that a fresh process does not compile its body for a call that does not run it.
  if (unitPlaneDistanceTransformWasm(mask, Y, X, out, ranks, pixel2)) return true;
  return unitPlaneDistanceTransformJs(mask, Y, X, out, ranks, pixel2);
}

function unitPlaneDistanceTransformJs(mask: Uint8Array, Y: number, X: number, out: Float32Array, ranks: Int32Array | null, pixel2: number): boolean {
  const h = H;
  // Phase 1, downward: distance to the nearest background voxel above (FAR = none yet).
  let background = false;
  for (let x = 0; x < X; x++) {
    if (mask[x]) h[x] = FAR;
    else {
      h[x] = 0;
      background = true;
    }
  }
  for (let i = X, end = Y * X; i < end; i++) {
    if (!mask[i]) {
      h[i] = 0;
      background = true;
    } else {
      const v = h[i - X] + 1;
      h[i] = v > FAR ? FAR : v;
    }
  }
  if (!background) return false;
  // Upward: the nearest background voxel below, where nearer.
  for (let i = (Y - 1) * X - 1; i >= 0; i--) {
    const v = h[i + X] + 1;
    if (v < h[i]) h[i] = v;
  }
  // Phase 2, along each row: f(i) = h(i)² ≤ 2³⁰, the envelope's roots s[] and the starts t[] of their segments
  // (every sum below stays within int32).
  const f = F;
  const s = S;
  const t = T;
  const top = squaredDistanceTop(Y, X);
  for (let y = 0; y < Y; y++) {
    const row = y * X;
    let first = 0;
    while (first < X && !mask[row + first]) first++;
    if (first === X) {
      out.fill(0, row, row + X);
      continue;
    }
    let last = X - 1;
    while (!mask[row + last]) last--;
    const x0 = first > 0 ? first - 1 : 0;
    const x1 = last < X - 1 ? last + 2 : X;
    out.fill(0, row, row + x0);
    out.fill(0, row + x1, row + X);
    const m = x1 - x0;
    for (let u = 0; u < m; u++) {
      const v = h[row + x0 + u];
      f[u] = v * v;
    }
    let q = 0;
    s[0] = 0;
    t[0] = 0;
    for (let u = 1; u < m; u++) {
      const fu = f[u];
      // Drop the parabolas that u's lies below at the start of their segment.
      while (q >= 0) {
        const a = t[q] - s[q];
        const b = t[q] - u;
        if (a * a + f[s[q]] <= b * b + fu) break;
        q--;
      }
      if (q < 0) {
        q = 0;
        s[0] = u;
      } else {
        // Meijster's Sep(s[q], u) + 1: the first x where u's parabola is strictly below s[q]'s.
        const p = s[q];
        const w = 1 + Math.floor((u * u - p * p + fu - f[p]) / (2 * (u - p)));
        if (w < m) {
          q++;
          s[q] = u;
          t[q] = w;
        }
      }
    }
    if (ranks) {
      for (let u = m - 1; u >= 0; u--) {
        const a = u - s[q];
        const k = a * a + f[s[q]];
        out[row + x0 + u] = Math.sqrt(k * pixel2);
        ranks[row + x0 + u] = top - k;
        if (u === t[q]) q--;
      }
      continue;
    }
    for (let u = m - 1; u >= 0; u--) {
      const a = u - s[q];
      out[row + x0 + u] = Math.sqrt((a * a + f[s[q]]) * pixel2);
      if (u === t[q]) q--;
    }
  }
  return true;
}
