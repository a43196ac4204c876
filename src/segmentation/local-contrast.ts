/**
 * The `local_contrast` postfilter (spec 6, Q15, Q16) and the footprint / border helpers it shares with the
 * reference tests; split from postfilters.ts, which runs the filters in config order.
 */
import type { LabelData, LabelVolume, Volume } from '../core/volume.js';

/**
 * `local_contrast`, reproducing the original `_apply_local_contrast_postfilter` exactly:
 *
 * - regions (ids ascending, bounding boxes) are computed once up front (`skimage.measure.regionprops`);
 * - for each label, work on its bounding-box crop of the *current* label image (z included):
 *   `obj = crop == label`; shell = `dilation(obj, fp(outer)) & ~dilation(obj, fp(inner))`
 *   (`inner = obj` when the inner radius is 0), then `& ~obj & (crop == 0)`, so labels deleted earlier
 *   in this loop count as background (Q16);
 * - the footprint is `skimage.morphology.disk(r)` when the whole label image has one plane, else
 *   `ball(r)`, isotropic in voxels (anisotropy ignored, Q16);
 * - `skimage.morphology.dilation` is `scipy.ndimage.grey_dilation` on the crop with the default
 *   `mode='reflect'` border (half-sample symmetric: … c b a | a b c … , period 2·len);
 * - empty shell → keep. Else `om = median(obj)`, `bm = median(shell)`, `mad = median(|shell − bm|)`
 *   (unscaled), removed when `om <= bm + k·mad`.
 *
 * Q15 (kept on purpose, not fixed here): the shell is clipped to the object's own bounding box, so it
 * only contains the bbox corners not covered by the object. Compact objects (a disc, a single pixel)
 * therefore often have an empty or tiny shell and are always kept; a properly padded crop (padding by
 * the outer radius) would measure the real surroundings. The upstream test
 * `test_apply_postfilters_local_contrast_keeps_bright_object_and_removes_dim_object` depends on the
 * clipped behaviour.
 *
 * Cost: Σ over objects of (bbox voxels padded by r) × (2r + 1) × axes — the dilations are computed as a
 * windowed squared Euclidean distance (equivalent to dilating with disk/ball, see below); no
 * full-image pass per object.
 */
export function localContrastInPlace(
  labels: LabelVolume,
  intensity: Volume,
  counts: Float64Array,
  k: number,
  innerRadius: number,
  outerRadius: number,
): number[] {
  const [Z, Y, X] = labels.shape;
  const data = labels.data;
  const values = intensity.data;
  const maxId = counts.length - 1;
  const removed: number[] = [];
  if (maxId === 0) return removed;

  const is3d = Z > 1;
  const boxes = labelBoundingBoxes(data, labels.shape, maxId);
  const rz = is3d ? outerRadius : 0; // disk(r) in 2D: no z extent
  const r = outerRadius;
  const outer2 = outerRadius * outerRadius;
  const inner2 = innerRadius * innerRadius;
  const cap = outer2 + 1;

  // Scratch buffers grow to the largest crop seen.
  let obj = new Uint8Array(0);
  let f0 = new Int32Array(0);
  let gx = new Int32Array(0);
  let gy = new Int32Array(0);
  let gz = new Int32Array(0);
  let objVals = new Float64Array(0);
  let shellVals = new Float64Array(0);

  for (let id = 1; id <= maxId; id++) {
    if (counts[id] === 0) continue;
    const b = id * 6;
    const z0 = boxes[b], z1 = boxes[b + 1] + 1;
    const y0 = boxes[b + 2], y1 = boxes[b + 3] + 1;
    const x0 = boxes[b + 4], x1 = boxes[b + 5] + 1;
    const dz = z1 - z0, dy = y1 - y0, dx = x1 - x0;
    const nCrop = dz * dy * dx;
    if (obj.length < nCrop) {
      obj = new Uint8Array(nCrop);
      objVals = new Float64Array(nCrop);
      shellVals = new Float64Array(nCrop);
    }

    // Object mask of the crop from the current label image.
    for (let z = 0; z < dz; z++)
      for (let y = 0; y < dy; y++) {
        const src = ((z0 + z) * Y + (y0 + y)) * X + x0;
        const dst = (z * dy + y) * dx;
        for (let x = 0; x < dx; x++) obj[dst + x] = data[src + x] === id ? 1 : 0;
      }

    // Grey dilation of a binary mask with disk(r)/ball(r) is "some object voxel within Euclidean
    // distance r" (the footprint is exactly x² + y² (+ z²) <= r²). So one squared-distance map
    // answers both dilations: d² <= outer² (outer) and d² <= inner² (inner; inner 0 → the object
    // itself, d² = 0). The object mask is first extended by the outer radius with scipy's
    // 'reflect' rule, which is what `grey_dilation` sees outside the crop.
    const pz = dz + 2 * rz, py = dy + 2 * r, px = dx + 2 * r;
    const nPad = pz * py * px;
    if (f0.length < nPad) f0 = new Int32Array(nPad);
    for (let z = 0; z < pz; z++) {
      const sz = reflectIndex(z - rz, dz);
      for (let y = 0; y < py; y++) {
        const sy = reflectIndex(y - r, dy);
        const rowDst = (z * py + y) * px;
        const rowSrc = (sz * dy + sy) * dx;
        for (let x = 0; x < px; x++) f0[rowDst + x] = obj[rowSrc + reflectIndex(x - r, dx)] === 1 ? 0 : cap;
      }
    }
    // Separable windowed squared distance (window ±r per axis suffices: anything farther is > r²),
    // values capped at `cap` = r² + 1 ("farther than r"), so all arithmetic is small exact integers.
    // x pass: [pz, py, dx]; y pass: [pz, dy, dx]; z pass (3D only): [dz, dy, dx].
    const nX = pz * py * dx;
    if (gx.length < nX) gx = new Int32Array(nX);
    for (let zy = 0; zy < pz * py; zy++) {
      const srcRow = zy * px;
      const dstRow = zy * dx;
      for (let x = 0; x < dx; x++) {
        let m = cap;
        for (let d = -r; d <= r; d++) {
          const v = f0[srcRow + x + r + d] + d * d;
          if (v < m) m = v;
        }
        gx[dstRow + x] = m;
      }
    }
    const nY = pz * dy * dx;
    if (gy.length < nY) gy = new Int32Array(nY);
    for (let z = 0; z < pz; z++)
      for (let y = 0; y < dy; y++) {
        const dst = (z * dy + y) * dx;
        for (let x = 0; x < dx; x++) {
          let m = cap;
          for (let d = -r; d <= r; d++) {
            const v = gx[(z * py + y + r + d) * dx + x] + d * d;
            if (v < m) m = v;
          }
          gy[dst + x] = m;
        }
      }
    let dist = gy;
    if (rz > 0) {
      if (gz.length < nCrop) gz = new Int32Array(nCrop);
      const plane = dy * dx;
      for (let z = 0; z < dz; z++)
        for (let i = 0; i < plane; i++) {
          let m = cap;
          for (let d = -rz; d <= rz; d++) {
            const v = gy[(z + rz + d) * plane + i] + d * d;
            if (v < m) m = v;
          }
          gz[z * plane + i] = m;
        }
      dist = gz;
    }

    let nObj = 0;
    let nShell = 0;
    for (let z = 0; z < dz; z++)
      for (let y = 0; y < dy; y++) {
        const src = ((z0 + z) * Y + (y0 + y)) * X + x0;
        const ci = (z * dy + y) * dx;
        for (let x = 0; x < dx; x++) {
          if (obj[ci + x] === 1) {
            objVals[nObj++] = values[src + x];
            continue;
          }
          if (data[src + x] !== 0) continue; // another (current) label: never shell
          const d2 = dist[ci + x];
          if (d2 > inner2 && d2 <= outer2) shellVals[nShell++] = values[src + x];
        }
      }
    if (nShell === 0 || nObj === 0) continue;

    const om = sortedMedian(objVals, 0, nObj);
    const bm = sortedMedian(shellVals, 0, nShell);
    for (let i = 0; i < nShell; i++) shellVals[i] = Math.abs(shellVals[i] - bm);
    const mad = sortedMedian(shellVals, 0, nShell);
    if (om <= bm + k * mad) {
      removed.push(id);
      for (let z = z0; z < z1; z++)
        for (let y = y0; y < y1; y++) {
          const row = (z * Y + y) * X;
          for (let x = x0; x < x1; x++) if (data[row + x] === id) data[row + x] = 0;
        }
    }
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------
// Footprints and helpers

/** `skimage.morphology.disk(r)`: `(2r+1)²` mask, 1 where `x² + y² <= r²` (row-major y, x). */
export function diskFootprint(r: number): { data: Uint8Array; shape: [number, number, number] } {
  const n = 2 * r + 1;
  const out = new Uint8Array(n * n);
  for (let y = -r; y <= r; y++) for (let x = -r; x <= r; x++) if (x * x + y * y <= r * r) out[(y + r) * n + (x + r)] = 1;
  return { data: out, shape: [1, n, n] };
}

/** `skimage.morphology.ball(r)`: `(2r+1)³` mask, 1 where `x² + y² + z² <= r²` (isotropic in voxels). */
export function ballFootprint(r: number): { data: Uint8Array; shape: [number, number, number] } {
  const n = 2 * r + 1;
  const out = new Uint8Array(n * n * n);
  for (let z = -r; z <= r; z++)
    for (let y = -r; y <= r; y++)
      for (let x = -r; x <= r; x++) if (x * x + y * y + z * z <= r * r) out[((z + r) * n + (y + r)) * n + (x + r)] = 1;
  return { data: out, shape: [n, n, n] };
}

/**
 * `scipy.ndimage` `mode='reflect'` coordinate mapping (half-sample symmetric, `d c b a | a b c d | d c b a`),
 * periodic with period `2·len`; a length-1 axis maps everything to 0.
 */
export function reflectIndex(c: number, len: number): number {
  if (c >= 0 && c < len) return c;
  if (len <= 1) return 0;
  const p = 2 * len;
  const m = ((c % p) + p) % p; // in [0, p), never -0
  return m < len ? m : p - 1 - m;
}

/**
 * Bounding box per label in one pass: `[zMin, zMax, yMin, yMax, xMin, xMax]` (inclusive) at `id * 6`.
 * Unused ids keep `zMin > zMax`.
 */
function labelBoundingBoxes(data: LabelData, shape: readonly [number, number, number], maxId: number): Int32Array {
  const [Z, Y, X] = shape;
  const boxes = new Int32Array((maxId + 1) * 6);
  for (let id = 0; id <= maxId; id++) {
    const b = id * 6;
    boxes[b] = boxes[b + 2] = boxes[b + 4] = 0x7fffffff;
    boxes[b + 1] = boxes[b + 3] = boxes[b + 5] = -1;
  }
  let i = 0;
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++, i++) {
        const id = data[i];
        if (id === 0) continue;
        const b = id * 6;
        if (z < boxes[b]) boxes[b] = z;
        if (z > boxes[b + 1]) boxes[b + 1] = z;
        if (y < boxes[b + 2]) boxes[b + 2] = y;
        if (y > boxes[b + 3]) boxes[b + 3] = y;
        if (x < boxes[b + 4]) boxes[b + 4] = x;
        if (x > boxes[b + 5]) boxes[b + 5] = x;
      }
  return boxes;
}

/**
 * `np.median` of `a[from..to)` (sorts that range in place): middle value, or the mean of the two middle
 * values for an even count; NaN if the range holds a NaN (typed-array sort puts NaN last), as NumPy.
 */
export function sortedMedian(a: Float64Array, from: number, to: number): number {
  const n = to - from;
  if (n === 0) return NaN;
  const s = a.subarray(from, to);
  s.sort();
  if (s[n - 1] !== s[n - 1]) return NaN;
  const h = n >> 1;
  return n % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2;
}
