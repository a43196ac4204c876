/**
 * Ideal flows from masks by heat diffusion from each mask's centre (internals §11), the two CPU
 * variants Cellpose uses in its flow-error QC:
 * - v4 `masks_to_flows_gpu` (torch, every device): one iteration count for the whole image
 *   (2 · max(bbox h + bbox w + 2)), centre = mean rounded half to even in bbox-local coordinates, or the
 *   mask pixel closest to that point if it is not in the mask,
 *   update T ← mean of the 9 same-label neighbours (sum in torch's neighbour order, / 9), gradient read
 *   from the whole T (touching cells' heat enters).
 * - v3 `masks_to_flows_cpu` (numba): per mask on its bbox + 1 px with a local T (other cells read 0),
 *   centre = mask pixel closest to the float mean, 2·(h + 2 + w + 2) iterations, update (1/9)·sum.
 * Both return unit vectors (gy, gx)/(1e−60 + |g|) on mask pixels, 0 elsewhere, float64 `[2, Y, X]`.
 */

import { dynamicsHelperWanted, helperIdle, startHelperJob } from './follow-worker.js';
import { scratchBuffer } from './scratch.js';
import { FOLLOW_V4_WASM } from './wasm/follow-v4-wasm.js';
import { dynamicsWasm, followFlowsOptions, type FollowWasm } from './follow-flows.js';

const followFlowsHelperMinPoints = (): number => followFlowsOptions.helperMinPoints;

export interface MaskBoxes {
  /** number of labels (max id) */
  count: number;
  y0: Int32Array;
  y1: Int32Array; // exclusive
  x0: Int32Array;
  x1: Int32Array; // exclusive
  npix: Float64Array;
  sumY: Float64Array;
  sumX: Float64Array;
}

/** Bounding boxes, pixel counts and coordinate sums per label (scipy `find_objects` + means), 2-D. */
export function maskBoxes2D(masks: Uint32Array, Y: number, X: number): MaskBoxes {
  let count = 0;
  for (let i = 0; i < masks.length; i++) if (masks[i] > count) count = masks[i];
  const b: MaskBoxes = {
    count,
    y0: new Int32Array(count + 1).fill(2 ** 30),
    y1: new Int32Array(count + 1),
    x0: new Int32Array(count + 1).fill(2 ** 30),
    x1: new Int32Array(count + 1),
    npix: new Float64Array(count + 1),
    sumY: new Float64Array(count + 1),
    sumX: new Float64Array(count + 1),
  };
  for (let y = 0, q = 0; y < Y; y++) {
    for (let x = 0; x < X; x++, q++) {
      const l = masks[q];
      if (l === 0) continue;
      if (y < b.y0[l]) b.y0[l] = y;
      if (y + 1 > b.y1[l]) b.y1[l] = y + 1;
      if (x < b.x0[l]) b.x0[l] = x;
      if (x + 1 > b.x1[l]) b.x1[l] = x + 1;
      b.npix[l]++;
      b.sumY[l] += y;
      b.sumX[l] += x;
    }
  }
  return b;
}

/** numpy `round` (half to even). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Closest pixel of label l in its bbox to (cy, cx) (squared Euclidean, first in raster order on ties). */
function closestPixel(masks: Uint32Array, X: number, b: MaskBoxes, l: number, cy: number, cx: number): [number, number] {
  let best = Infinity;
  let by = -1;
  let bx = -1;
  for (let y = b.y0[l]; y < b.y1[l]; y++) {
    for (let x = b.x0[l]; x < b.x1[l]; x++) {
      if (masks[y * X + x] !== l) continue;
      const d = (x - cx) ** 2 + (y - cy) ** 2;
      if (d < best) {
        best = d;
        by = y;
        bx = x;
      }
    }
  }
  return [by, bx];
}

/**
 * Summation order matters beyond the last bit: on a cell's axis of symmetry the exact gradient is 0,
 * and a rounding residue of 1e−17 would be normalised to a unit vector (a separable 3×3 sum changed a
 * fixture cell's flow error from 0 to 0.048). So the 9 terms are added in the original's order.
 *
 * Runs `niter` Jacobi steps of the label-restricted diffusion for one mask on a local zero-padded
 * buffer of its bbox (+1 px): T outside the mask stays 0, so neighbours of other labels contribute 0
 * (= torch's `isneighbor` mask / numba's local T). `v4` sums in torch's neighbour order and divides by 9;
 * v3 multiplies the left-to-right sum by 1/9.
 */
function diffuse(
  masks: Uint32Array,
  X: number,
  l: number,
  by0: number,
  by1: number,
  bx0: number,
  bx1: number,
  cy: number,
  cx: number,
  niter: number,
  v4: boolean,
): { T: Float64Array; W: number } {
  const H = by1 - by0 + 2;
  const W = bx1 - bx0 + 2;
  const wasm = dynamicsWasm();
  if (wasm) return diffuseWasm(wasm, masks, X, l, by0, by1, bx0, bx1, cy, cx, niter, v4);
  // Pixel list of the mask in local coordinates (raster order).
  let cnt = 0;
  for (let y = by0; y < by1; y++) for (let x = bx0; x < bx1; x++) if (masks[y * X + x] === l) cnt++;
  const pix = new Int32Array(cnt);
  let c = 0;
  for (let y = by0; y < by1; y++)
    for (let x = bx0; x < bx1; x++) if (masks[y * X + x] === l) pix[c++] = (y - by0 + 1) * W + (x - bx0 + 1);
  // Ping-pong buffers: every mask pixel is rewritten each step and the rest stays 0 in both.
  let T = new Float64Array(H * W);
  let U = new Float64Array(H * W);
  const centre = (cy - by0 + 1) * W + (cx - bx0 + 1);
  const ninth = 1 / 9;
  for (let t = 0; t < niter; t++) {
    T[centre] += 1;
    if (v4) {
      for (let i = 0; i < cnt; i++) {
        const q = pix[i];
        // torch order: self, y−1, y+1, x−1, x+1, (−1,−1), (−1,+1), (+1,−1), (+1,+1); mean = sum / 9.
        U[q] = (T[q] + T[q - W] + T[q + W] + T[q - 1] + T[q + 1] + T[q - W - 1] + T[q - W + 1] + T[q + W - 1] + T[q + W + 1]) / 9;
      }
    } else {
      for (let i = 0; i < cnt; i++) {
        const q = pix[i];
        U[q] = ninth * (T[q] + T[q - W] + T[q + W] + T[q - 1] + T[q + 1] + T[q - W - 1] + T[q - W + 1] + T[q + W - 1] + T[q + W + 1]);
      }
    }
    const sw = T;
    T = U;
    U = sw;
  }
  return { T, W };
}

/**
 * `diffuse` in WebAssembly (wasm/follow-v4.wat `diffuse`): two box pixels per SIMD step, the same IEEE operations
 * in the same order, so the same bits (tested against the scalar code). T is returned as a view of the instance's
 * memory, valid until the next call.
 */
function diffuseWasm(
  w: FollowWasm,
  masks: Uint32Array,
  X: number,
  l: number,
  by0: number,
  by1: number,
  bx0: number,
  bx1: number,
  cy: number,
  cx: number,
  niter: number,
  v4: boolean,
): { T: Float64Array; W: number } {
  const H = by1 - by0 + 2;
  const W = bx1 - bx0 + 2;
  const n = H * W + 2; // +2: the last pixel pair reads one value past the box
  const TB = 0;
  const UB = 8 * n;
  const MB = 16 * n;
  const bytes = 24 * n;
  const have = w.memory.buffer.byteLength;
  if (bytes > have) w.memory.grow(Math.ceil((bytes - have) / 65536));
  const buf = w.memory.buffer;
  new Float64Array(buf, TB, 2 * n).fill(0);
  const m32 = new Int32Array(buf, MB, 2 * n);
  m32.fill(0);
  for (let y = by0; y < by1; y++) {
    const r = y * X;
    const o = 2 * ((y - by0 + 1) * W + 1 - bx0);
    for (let x = bx0; x < bx1; x++) if (masks[r + x] === l) m32[o + 2 * x] = m32[o + 2 * x + 1] = -1;
  }
  const out = w.diffuse(TB, UB, MB, H, W, niter, (cy - by0 + 1) * W + (cx - bx0 + 1), v4 ? 1 : 0);
  return { T: new Float64Array(w.memory.buffer, out, H * W), W };
}

/**
 * Where the unit flows go: into `mu` (`masksToFlows`), or straight into per-label sums of squared
 * differences to dP/5 (`flowError`: no full-size float64 flow image is allocated).
 */
export interface FlowSink {
  mu?: Float64Array;
  dP?: Float32Array;
  s0?: Float64Array;
  s1?: Float64Array;
  cnt?: Float64Array;
}

const f = Math.fround;

function emit(sink: FlowSink, q: number, plane: number, l: number, gy: number, gx: number): void {
  let uy = gy;
  let ux = gx;
  if (gy !== 0 || gx !== 0) {
    const d = 1e-60 + Math.sqrt(gy * gy + gx * gx);
    uy = gy / d;
    ux = gx / d;
  }
  if (sink.mu) {
    sink.mu[q] = uy;
    sink.mu[plane + q] = ux;
  } else {
    // dP/5 is a float32 division (numpy), the difference is float64.
    const d0 = uy - f(sink.dP![q] / 5);
    const d1 = ux - f(sink.dP![plane + q] / 5);
    sink.s0![l] += d0 * d0;
    sink.s1![l] += d1 * d1;
    sink.cnt![l]++;
  }
}

/** Heat-diffusion flows of a 2-D label image, delivered to `sink` (see `masksToFlows`). */
export function heatFlows(masks: Uint32Array, Y: number, X: number, version: 3 | 4, sink: FlowSink, b: MaskBoxes = maskBoxes2D(masks, Y, X)): void {
  const plane = Y * X;
  const v4 = version === 4;
  let niterAll = 0;
  if (v4) {
    for (let l = 1; l <= b.count; l++) {
      if (b.npix[l] === 0) continue;
      const ext = b.y1[l] - b.y0[l] + (b.x1[l] - b.x0[l]) + 2;
      if (2 * ext > niterAll) niterAll = 2 * ext;
    }
  }
  // v4 needs the whole T for gradients across touching cells; v3 uses each cell's local T.
  const WP = X + 2;
  if (v4) {
    const Tall = v4HeatMap(masks, Y, X, b, niterAll);
    for (let y = 0, q = 0; y < Y; y++)
      for (let x = 0; x < X; x++, q++) {
        const l = masks[q];
        if (l === 0) continue;
        const t = (y + 1) * WP + x + 1;
        emit(sink, q, plane, l, Tall[t + WP] - Tall[t - WP], Tall[t + 1] - Tall[t - 1]);
      }
    return;
  }
  // v3: each cell on its own local T (touching cells read 0), gradients from that local T.
  for (let l = 1; l <= b.count; l++) {
    if (b.npix[l] === 0) continue;
    const [cy, cx] = closestPixel(masks, X, b, l, b.sumY[l] / b.npix[l], b.sumX[l] / b.npix[l]);
    const h = b.y1[l] - b.y0[l];
    const w = b.x1[l] - b.x0[l];
    const { T, W } = diffuse(masks, X, l, b.y0[l], b.y1[l], b.x0[l], b.x1[l], cy, cx, 2 * (h + 2 + (w + 2)), false);
    for (let y = b.y0[l]; y < b.y1[l]; y++)
      for (let x = b.x0[l]; x < b.x1[l]; x++) {
        const q = y * X + x;
        if (masks[q] !== l) continue;
        const t = (y - b.y0[l] + 1) * W + (x - b.x0[l] + 1);
        emit(sink, q, plane, l, T[t + W] - T[t - W], T[t + 1] - T[t - 1]);
      }
  }
}

/** v4 cell centre: bbox-local mean rounded half to even, or the closest mask pixel to it. */
function v4Centre(masks: Uint32Array, Y: number, X: number, b: MaskBoxes, l: number): [number, number] {
  // `center_of_mass` rounds the mean in bbox-local coordinates (half to even depends on the offset's parity).
  const cy = b.y0[l] + roundHalfEven((b.sumY[l] - b.npix[l] * b.y0[l]) / b.npix[l]);
  const cx = b.x0[l] + roundHalfEven((b.sumX[l] - b.npix[l] * b.x0[l]) / b.npix[l]);
  if (cy < 0 || cy >= Y || cx < 0 || cx >= X || masks[cy * X + cx] !== l) return closestPixel(masks, X, b, l, cy, cx);
  return [cy, cx];
}

/**
 * The v4 padded heat map T ((Y+2)·(X+2), float64) after `niter` steps for every cell. Large jobs
 * give about half of the cells (by pixel count) to the helper thread (follow-worker.ts), which runs
 * the same code on shared memory; cells are disjoint, so both write distinct pixels.
 */
function v4HeatMap(masks: Uint32Array, Y: number, X: number, b: MaskBoxes, niter: number): Float64Array {
  const WP = X + 2;
  const size = (Y + 2) * WP;
  let work = 0;
  for (let l = 1; l <= b.count; l++) work += b.npix[l];
  work *= niter;
  const useHelper = b.count > 1 && dynamicsHelperWanted(work / 64, followFlowsHelperMinPoints());
  // Scratch memory (see scratch.ts), unless an abandoned helper job might still write into the shared one.
  const reuse = helperIdle();
  const Tall = reuse ? new Float64Array(scratchBuffer('heat-map', 8 * size, useHelper), 0, size).fill(0) : useHelper ? new Float64Array(new SharedArrayBuffer(8 * size)) : new Float64Array(size);
  const mine: number[] = [];
  const theirs: number[] = [];
  if (useHelper) {
    // Greedy balance by pixel count (largest cells first).
    const ids: number[] = [];
    for (let l = 1; l <= b.count; l++) if (b.npix[l] > 0) ids.push(l);
    ids.sort((p, q) => b.npix[q] - b.npix[p] || p - q);
    let a = 0;
    let c = 0;
    for (const l of ids) {
      if (a <= c) {
        mine.push(l);
        a += b.npix[l];
      } else {
        theirs.push(l);
        c += b.npix[l];
      }
    }
  } else {
    for (let l = 1; l <= b.count; l++) if (b.npix[l] > 0) mine.push(l);
  }
  let finish: (() => boolean) | null = null;
  if (theirs.length > 0) {
    const shared = reuse ? (scratchBuffer('heat-masks', 4 * masks.length, true) as SharedArrayBuffer) : new SharedArrayBuffer(4 * masks.length);
    new Uint32Array(shared, 0, masks.length).set(masks);
    const jobs = new Int32Array(7 * theirs.length);
    theirs.forEach((l, i) => {
      const [cy, cx] = v4Centre(masks, Y, X, b, l);
      jobs.set([l, b.y0[l], b.y1[l], b.x0[l], b.x1[l], cy, cx], 7 * i);
    });
    finish = startHelperJob(FOLLOW_V4_WASM, { kind: 'heat', masks: shared, X, WP, Tall: Tall.buffer as SharedArrayBuffer, jobs, niter, wasm: dynamicsWasm() !== null });
    if (!finish) mine.push(...theirs);
  }
  const diffuseInto = (l: number): void => {
    const [cy, cx] = v4Centre(masks, Y, X, b, l);
    const { T, W } = diffuse(masks, X, l, b.y0[l], b.y1[l], b.x0[l], b.x1[l], cy, cx, niter, true);
    for (let y = b.y0[l]; y < b.y1[l]; y++)
      for (let x = b.x0[l]; x < b.x1[l]; x++)
        if (masks[y * X + x] === l) Tall[(y + 1) * WP + x + 1] = T[(y - b.y0[l] + 1) * W + (x - b.x0[l] + 1)];
  };
  for (const l of mine) diffuseInto(l);
  if (finish && !finish()) for (const l of theirs) diffuseInto(l); // helper failed: do its cells here
  return Tall;
}

/** v4 `masks_to_flows_gpu` or v3 `masks_to_flows_cpu` on a 2-D label image (Y×X); returns float64 `[2, Y, X]`. */
export function masksToFlows(masks: Uint32Array, Y: number, X: number, version: 3 | 4): Float64Array {
  const mu = new Float64Array(2 * Y * X);
  heatFlows(masks, Y, X, version, { mu });
  return mu;
}
