/**
 * Mask recovery from final positions (internals §10, Cellpose v3.1+/v4 `dynamics.get_masks_torch`):
 * histogram of the truncated end points (padded by 20 bins), seeds = local maxima of a 5-wide max
 * filter with more than 10 points, each grown ≤ 5 times by a 3-wide max filter inside an 11-wide
 * window through bins with more than 2 points, labels written in ascending seed-count order (larger
 * seeds overwrite), every pixel gets its end bin's label, masks larger than `maxSizeFraction` of the
 * image are dropped and ids are renumbered by first appearance (C order).
 */
import { scratchBuffer } from './scratch.js';

const RPAD = 20;

/** Relabels in place by order of first appearance in C order (0 kept), like `fastremap.renumber`; returns the max id. */
export function renumberInPlace(labels: Uint32Array): number {
  let maxIn = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > maxIn) maxIn = labels[i];
  if (maxIn === 0) return 0;
  const map = new Uint32Array(maxIn + 1);
  let next = 0;
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v === 0) continue;
    let m = map[v];
    if (m === 0) {
      m = ++next;
      map[v] = m;
    }
    labels[i] = m;
  }
  return next;
}

/**
 * `p`: final float positions `[ndim, n]` (from `followFlows`), `inds`: the integrated pixels (C-order
 * linear indices), `shape`: [Z, Y, X] (ndim 2 → Z = 1). Returns labels over the whole image.
 */
export function getMasks(
  p: Float32Array,
  inds: Uint32Array,
  shape: [number, number, number],
  maxSizeFraction: number,
  ndim: 2 | 3 = 2,
  /** Where the labels go (zeroed here; any contents); default a new array. */
  into?: Uint32Array,
): Uint32Array {
  const n = inds.length;
  const dims = ndim === 2 ? [shape[1], shape[2]] : [shape[0], shape[1], shape[2]];
  const nvox = shape[0] * shape[1] * shape[2];
  const out = into && into.length === nvox ? into.fill(0) : new Uint32Array(nvox);
  if (n === 0) return out;
  const hd = dims.map((d) => d + 2 * RPAD);
  // Histogram strides (C order); 2-D uses a dummy leading axis of 1.
  const HZ = ndim === 3 ? hd[0] : 1;
  const HY = hd[ndim - 2];
  const HX = hd[ndim - 1];
  const hsize = HZ * HY * HX;
  // Histogram (later reused as the bin → label map) and each point's bin: scratch memory (scratch.ts).
  const h = new Int32Array(scratchBuffer('clustering-histogram', 4 * hsize, false), 0, hsize).fill(0);
  const bin = new Uint32Array(scratchBuffer('clustering-bins', 4 * n, false), 0, n);
  for (let k = 0; k < n; k++) {
    let b = 0;
    for (let a = 0; a < ndim; a++) {
      // .int() truncates (positions ≥ 0), then +rpad, clamped to [0, L + rpad − 1].
      let v = Math.trunc(p[a * n + k]) + RPAD;
      const hi = dims[a] + RPAD - 1;
      if (v < 0) v = 0;
      else if (v > hi) v = hi;
      b = b * hd[a] + v;
    }
    bin[k] = b;
    h[b]++;
  }

  // Seeds: h == max over the 5-wide window (existing neighbours only) and h > 10, in C order.
  const seeds: number[] = [];
  const zr = ndim === 3 ? 2 : 0;
  for (let b = 0; b < hsize; b++) {
    const v = h[b];
    if (v <= 10) continue;
    const z = (b / (HY * HX)) | 0;
    const rem = b - z * HY * HX;
    const y = (rem / HX) | 0;
    const x = rem - y * HX;
    let isMax = true;
    for (let dz = -zr; dz <= zr && isMax; dz++) {
      const zz = z + dz;
      if (zz < 0 || zz >= HZ) continue;
      for (let dy = -2; dy <= 2 && isMax; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= HY) continue;
        const row = (zz * HY + yy) * HX;
        for (let dx = -2; dx <= 2; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= HX) continue;
          if (h[row + xx] > v) {
            isMax = false;
            break;
          }
        }
      }
    }
    if (isMax) seeds.push(b);
  }
  if (seeds.length === 0) return out;
  // Ascending count; ties keep C order (torch's argsort gives no guarantee; stable order matches the fixtures).
  const order = seeds.map((_, i) => i).sort((a, b) => h[seeds[a]] - h[seeds[b]] || a - b);

  // Grow each seed inside its 11-wide window; record the grown bins.
  const W = 11;
  const WZ = ndim === 3 ? W : 1;
  const wsize = WZ * W * W;
  let cur = new Uint8Array(wsize);
  let nxt = new Uint8Array(wsize);
  const good = new Uint8Array(wsize);
  const grown: Int32Array[] = [];
  for (const si of order) {
    const b = seeds[si];
    const z = (b / (HY * HX)) | 0;
    const rem = b - z * HY * HX;
    const y = (rem / HX) | 0;
    const x = rem - y * HX;
    const z0 = ndim === 3 ? z - 5 : 0;
    const y0 = y - 5;
    const x0 = x - 5;
    // Seeds lie in [rpad, L + rpad − 1], so the window is always inside the histogram.
    for (let wz = 0; wz < WZ; wz++)
      for (let wy = 0; wy < W; wy++)
        for (let wx = 0; wx < W; wx++) good[(wz * W + wy) * W + wx] = h[((z0 + wz) * HY + y0 + wy) * HX + x0 + wx] > 2 ? 1 : 0;
    cur.fill(0);
    cur[ndim === 3 ? (5 * W + 5) * W + 5 : 5 * W + 5] = 1;
    for (let it = 0; it < 5; it++) {
      for (let wz = 0; wz < WZ; wz++)
        for (let wy = 0; wy < W; wy++)
          for (let wx = 0; wx < W; wx++) {
            const i = (wz * W + wy) * W + wx;
            if (!good[i]) {
              nxt[i] = 0;
              continue;
            }
            let m = 0;
            for (let dz = ndim === 3 ? -1 : 0; dz <= (ndim === 3 ? 1 : 0) && !m; dz++) {
              const zz = wz + dz;
              if (zz < 0 || zz >= WZ) continue;
              for (let dy = -1; dy <= 1 && !m; dy++) {
                const yy = wy + dy;
                if (yy < 0 || yy >= W) continue;
                for (let dx = -1; dx <= 1; dx++) {
                  const xx = wx + dx;
                  if (xx < 0 || xx >= W) continue;
                  if (cur[(zz * W + yy) * W + xx]) {
                    m = 1;
                    break;
                  }
                }
              }
            }
            nxt[i] = m;
          }
      const t = cur;
      cur = nxt;
      nxt = t;
    }
    let cnt = 0;
    for (let i = 0; i < wsize; i++) cnt += cur[i];
    const list = new Int32Array(cnt);
    let c = 0;
    for (let wz = 0; wz < WZ; wz++)
      for (let wy = 0; wy < W; wy++)
        for (let wx = 0; wx < W; wx++)
          if (cur[(wz * W + wy) * W + wx]) list[c++] = ((z0 + wz) * HY + y0 + wy) * HX + x0 + wx;
    grown.push(list);
  }

  // Reuse the histogram as the label image: clear the bins the points occupy, then paint seeds in order.
  for (let k = 0; k < n; k++) h[bin[k]] = 0;
  for (let k = 0; k < grown.length; k++) {
    const list = grown[k];
    for (let i = 0; i < list.length; i++) h[list[i]] = k + 1;
  }
  // Only bins that points ended in are read; painted bins elsewhere are irrelevant.
  const counts = new Float64Array(grown.length + 1);
  for (let k = 0; k < n; k++) {
    const l = h[bin[k]];
    out[inds[k]] = l;
    counts[l]++;
  }
  const big = nvox * maxSizeFraction;
  let anyBig = false;
  for (let l = 1; l < counts.length; l++) if (counts[l] > big) anyBig = true;
  if (anyBig) {
    for (let k = 0; k < n; k++) {
      const q = inds[k];
      if (counts[out[q]] > big) out[q] = 0;
    }
  }
  renumberInPlace(out);
  return out;
}
