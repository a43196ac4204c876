/**
 * Block downsampling of a box of a full-resolution plane to a thumbnail's size: area average for image planes,
 * block maximum for label planes (so that no object vanishes). Block v of an axis covers source pixels
 * `[floor(v·f), max(start + 1, floor((v + 1)·f)))` of the box, `f` = box size / output size.
 *
 * The full-resolution passes (a 2048² run's planes: 4 × 4 Mpixel per report) walk the source row by row, in
 * memory order: labels through a column → block table, skipping background (most pixels: 4 % of the bench run's
 * cell mask is foreground) four 16-bit pixels per test; integer
 * images as one run of columns per block, summed in a register and added to a line of per-block sums, with the
 * plane's exact histogram (the display contrast, render/composite.ts `histogramContrast`) counted in the same
 * pass. Integer sums are exact in float64 in any order, so the thumbnails are bit-identical to the
 * block-at-a-time loops (kept below: float images, whose sums depend on the order, and any box whose blocks are
 * not contiguous, i.e. `f < 1`, which a thumbnail never has). Uint16 planes (what runs and most microscopes
 * write) take the same passes in WebAssembly (kernels-wasm.ts: same bits, compiled before it runs); the loops here
 * are for the other types and where WebAssembly is unavailable.
 */

import { downImageF32, downImageU16, downLabelsWasm } from './kernels-wasm.js';

/** A box of a plane in source pixels, half-open `[y0, y1) × [x0, x1)`. */
export interface Box {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/**
 * Block bounds of an axis of `size` source pixels shrunk to `n` (relative to the box): block v is
 * `[start[v], start[v + 1])`; `start[n]` ≤ size (the last pixels are in no block when `floor(n·f)` falls
 * short). Null when the blocks are not contiguous (`f < 1`).
 */
export function blockStarts(size: number, n: number): Int32Array | null {
  const f = size / n;
  const start = new Int32Array(n + 1);
  for (let v = 0; v < n; v++) {
    const s0 = Math.floor(v * f);
    const s1 = Math.max(s0 + 1, Math.floor((v + 1) * f));
    if ((v > 0 && s0 !== start[v]) || s1 > size) return null;
    start[v] = s0;
    start[v + 1] = s1;
  }
  return start;
}

/** Integer sample types: their sums are exact in float64 whatever the order. */
function isIntegerArray(a: ArrayLike<number>): boolean {
  return a instanceof Uint8Array || a instanceof Uint16Array || a instanceof Int16Array || a instanceof Uint32Array || a instanceof Int32Array;
}

/** Block-maximum downsampling of a label plane (row length `X`) to `w × h`. */
export function downLabels(src: ArrayLike<number>, X: number, box: Box, w: number, h: number): Uint32Array {
  const rows = blockStarts(box.y1 - box.y0, h);
  const cols = blockStarts(box.x1 - box.x0, w);
  if (!rows || !cols) return downLabelsByBlock(src, X, box, w, h);
  const end = cols[w];
  const colOf = new Int32Array(end);
  for (let u = 0; u < w; u++) colOf.fill(u, cols[u], cols[u + 1]);
  if (src instanceof Uint16Array || src instanceof Uint32Array) {
    const fast = downLabelsWasm(src, X, box, w, h, rows, colOf);
    if (fast) return fast;
  }
  const out = new Uint32Array(w * h);
  // 16-bit masks (what runs write when the labels fit): four background pixels at a time, as two 32-bit words.
  const words = src instanceof Uint16Array && src.byteOffset % 4 === 0 ? new Uint32Array(src.buffer, src.byteOffset, src.length >> 1) : null;
  for (let v = 0; v < h; v++) {
    const line = v * w;
    for (let y = box.y0 + rows[v]; y < box.y0 + rows[v + 1]; y++) {
      const row = y * X + box.x0;
      let x = 0;
      if (words) {
        if ((row & 1) === 1 && end > 0) x = maxInto(out, src, colOf, line, row, 0, 1);
        for (; x + 4 <= end; x += 4) {
          const k = (row + x) >> 1;
          if ((words[k] | words[k + 1]) !== 0) maxInto(out, src, colOf, line, row, x, x + 4);
        }
      }
      maxInto(out, src, colOf, line, row, x, end);
    }
  }
  return out;
}

/** Block maxima of the pixels `[x0, x1)` of one source row; returns x1. */
function maxInto(out: Uint32Array, src: ArrayLike<number>, colOf: Int32Array, line: number, row: number, x0: number, x1: number): number {
  for (let x = x0; x < x1; x++) {
    const val = src[row + x];
    // Labels are ≥ 0 and mostly background: only a nonzero value can raise a block's maximum.
    if (val !== 0) {
      const k = line + colOf[x];
      if (val > out[k]) out[k] = val;
    }
  }
  return x1;
}

/** Area-average downsampling of an image plane (row length `X`) to `w × h`; NaN and −∞ (no data) count as 0. */
export function downImage(src: ArrayLike<number>, X: number, box: Box, w: number, h: number): Float32Array {
  return (isIntegerArray(src) && downImageInteger(src, X, box, w, h, null, 0)) || downImageByBlock(src, X, box, w, h);
}

/**
 * `downImage` of an integer plane that also counts every pixel of the box (covered by a block or not) into
 * `hist[value + offset]`, in the same pass; null (nothing counted) when the blocks are not contiguous.
 */
export function downImageCounting(src: ArrayLike<number>, X: number, box: Box, w: number, h: number, hist: Uint32Array, offset: number): Float32Array | null {
  if (!isIntegerArray(src)) return null;
  return downImageInteger(src, X, box, w, h, hist, offset);
}

function downImageInteger(src: ArrayLike<number>, X: number, box: Box, w: number, h: number, hist: Uint32Array | null, offset: number): Float32Array | null {
  const bw = box.x1 - box.x0;
  const bh = box.y1 - box.y0;
  const rows = blockStarts(bh, h);
  const cols = blockStarts(bw, w);
  if (!rows || !cols) return null;
  if (src instanceof Uint16Array && offset === 0) {
    const fast = downImageU16(src, X, box, w, h, rows, cols, hist);
    if (fast) return fast;
  }
  const out = new Float32Array(w * h);
  const acc = new Float64Array(w);
  const end = cols[w];
  for (let v = 0; v < h; v++) {
    acc.fill(0);
    for (let y = box.y0 + rows[v]; y < box.y0 + rows[v + 1]; y++) {
      const row = y * X + box.x0;
      if (hist) {
        for (let u = 0; u < w; u++) {
          let s = 0;
          for (let i = row + cols[u], e = row + cols[u + 1]; i < e; i++) {
            const val = src[i];
            s += val;
            hist[val + offset]++;
          }
          acc[u] += s;
        }
        for (let i = row + end; i < row + bw; i++) hist[src[i] + offset]++;
      } else {
        for (let u = 0; u < w; u++) {
          let s = 0;
          for (let i = row + cols[u], e = row + cols[u + 1]; i < e; i++) s += src[i];
          acc[u] += s;
        }
      }
    }
    const n = rows[v + 1] - rows[v];
    for (let u = 0; u < w; u++) out[v * w + u] = acc[u] / (n * (cols[u + 1] - cols[u]));
  }
  if (hist) {
    for (let y = box.y0 + rows[h]; y < box.y1; y++) {
      for (let i = y * X + box.x0, e = i + bw; i < e; i++) hist[src[i] + offset]++;
    }
  }
  return out;
}

/** The block-at-a-time form of `downLabels` (any `f`, overlapping blocks included). */
export function downLabelsByBlock(src: ArrayLike<number>, X: number, box: Box, w: number, h: number): Uint32Array {
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

/** The block-at-a-time form of `downImage`: float planes (their sums keep this order) and `f < 1`. */
export function downImageByBlock(src: ArrayLike<number>, X: number, box: Box, w: number, h: number): Float32Array {
  const fy = (box.y1 - box.y0) / h;
  const fx = (box.x1 - box.x0) / w;
  if (src instanceof Float32Array) {
    // The same blocks and sums in WebAssembly (kernels-wasm.ts); bounds relative to the box.
    const rs = new Int32Array(h), re = new Int32Array(h), cs = new Int32Array(w), ce = new Int32Array(w);
    for (let v = 0; v < h; v++) {
      rs[v] = Math.floor(v * fy);
      re[v] = Math.max(rs[v] + 1, Math.floor((v + 1) * fy));
    }
    for (let u = 0; u < w; u++) {
      cs[u] = Math.floor(u * fx);
      ce[u] = Math.max(cs[u] + 1, Math.floor((u + 1) * fx));
    }
    const fast = downImageF32(src, X, box, w, h, rs, re, cs, ce);
    if (fast) return fast;
  }
  const out = new Float32Array(w * h);
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
