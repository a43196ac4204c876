/**
 * Block downsampling of a box of a full-resolution plane to a thumbnail's size: area average for image planes,
 * block maximum for label planes (so that no object vanishes). Block v of an axis covers source pixels
 * `[floor(v·f), max(start + 1, floor((v + 1)·f)))` of the box, `f` = box size / output size.
 *
 * Kept as the plain block-by-block loops: a row-by-row variant (rows folded into a line accumulator, then the
 * line's blocks) was measured no faster warm on 2048² planes and slower in a fresh process, where these loops
 * run mostly before V8 has optimised them.
 */

/** A box of a plane in source pixels, half-open `[y0, y1) × [x0, x1)`. */
export interface Box {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/** Block-maximum downsampling of a label plane (row length `X`) to `w × h`. */
export function downLabels(src: ArrayLike<number>, X: number, box: Box, w: number, h: number): Uint32Array {
  const out = new Uint32Array(w * h);
  const fy = (box.y1 - box.y0) / h;
  const fx = (box.x1 - box.x0) / w;
  for (let v = 0; v < h; v++) {
    const sy0 = box.y0 + Math.floor(v * fy);
    const sy1 = Math.max(sy0 + 1, box.y0 + Math.floor((v + 1) * fy));
    for (let u = 0; u < w; u++) {
      const sx0 = box.x0 + Math.floor(u * fx);
      const sx1 = Math.max(sx0 + 1, box.x0 + Math.floor((u + 1) * fx));
      let m = 0;
      for (let y = sy0; y < sy1; y++) {
        const row = y * X;
        for (let x = sx0; x < sx1; x++) if (src[row + x] > m) m = src[row + x];
      }
      out[v * w + u] = m;
    }
  }
  return out;
}

/** Area-average downsampling of an image plane (row length `X`) to `w × h`; NaN and −∞ (no data) count as 0. */
export function downImage(src: ArrayLike<number>, X: number, box: Box, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  const fy = (box.y1 - box.y0) / h;
  const fx = (box.x1 - box.x0) / w;
  for (let v = 0; v < h; v++) {
    const sy0 = box.y0 + Math.floor(v * fy);
    const sy1 = Math.max(sy0 + 1, box.y0 + Math.floor((v + 1) * fy));
    for (let u = 0; u < w; u++) {
      const sx0 = box.x0 + Math.floor(u * fx);
      const sx1 = Math.max(sx0 + 1, box.x0 + Math.floor((u + 1) * fx));
      let s = 0;
      for (let y = sy0; y < sy1; y++) {
        const row = y * X;
        for (let x = sx0; x < sx1; x++) {
          const val = src[row + x];
          if (val > -Infinity) s += val;
        }
      }
      out[v * w + u] = s / ((sy1 - sy0) * (sx1 - sx0));
    }
  }
  return out;
}
