/**
 * Euler integration of Cellpose flows (internals §9): every foreground pixel starts at its own integer
 * position and takes `niter` steps p ← clamp(p + F(p)), F = dP·(cellprob > thr)/5.
 *
 * Two samplers, each a bit-exact float32 emulation of what Cellpose runs on CPU:
 * - v4 (and 3-D in both versions): `torch.nn.functional.grid_sample` (bilinear/trilinear,
 *   align_corners=False, zero padding) in normalised coordinates — the field is read half a pixel
 *   off-centre (u = p·L/(L−1) − 0.5) and out-of-image taps count as 0. The 2-D sum uses fused
 *   multiply-adds like torch's AVX2 kernel (internals §9 recipe; reproduces `dyn256_p_final_cp0.npy`).
 * - v3 2-D (numba `map_coordinates`): pixel units, sampled exactly at p, edge-replicated neighbours.
 *
 * CYCLE note (speed, exact): a step is a deterministic function of the float32 position, so once a
 * point revisits a position it repeats the same cycle forever. Converged points end in fixed points or
 * short cycles (period ≤ 8 for > 95 % of the fixtures' points), typically within a few dozen steps.
 * Brent's cycle detection (a position saved at steps 1, 2, 4, 8, …) plus a second position saved every
 * 8 steps (finds periods ≤ 8 within 8 steps of entering them; −35 % steps on the upstream fixture) give
 * a period λ at step t; the end point is then reached after only (niter − t) mod λ more steps —
 * bit-identical to running all niter steps.
 */

import { FOLLOW_V4_WASM } from './wasm/follow-v4-wasm.js';
import { dynamicsHelperWanted, helperIdle, startHelperJob } from './follow-worker.js';
import { scratchBuffer } from './scratch.js';

const f = Math.fround;

/**
 * v4 2-D integration runs in WebAssembly (`wasm/follow-v4.wat`: the same float32 arithmetic as
 * `followBilinearTorch`, but native f32 operations instead of Math.fround round trips — about 2–3× faster).
 * The instance and its memory are kept for the next call (no fresh page faults) unless they grew large.
 */
export interface FollowWasm {
  memory: WebAssembly.Memory;
  v4: (...args: number[]) => void;
  /** Cellpose 3 CPU integration (wasm/follow-v4.wat "v3"): the arithmetic of `followBilinearNumba`. */
  v3: (...args: number[]) => void;
  /** Heat diffusion of one cell (masks-to-flows.ts); returns the byte offset of the final T. */
  diffuse: (T: number, U: number, M: number, H: number, W: number, niter: number, centre: number, v4: number) => number;
}
let wasmInstance: FollowWasm | null = null;
let wasmUnavailable = false;
const WASM_KEEP_BYTES = 64 << 20;

/** The shared WebAssembly instance (null where WebAssembly is unavailable or `v4Engine` is 'js'). */
export function dynamicsWasm(): FollowWasm | null {
  return followFlowsOptions.v4Engine === 'wasm' ? followWasm() : null;
}

function followWasm(): FollowWasm | null {
  if (wasmInstance) return wasmInstance;
  if (typeof WebAssembly === 'undefined' || wasmUnavailable) return null;
  try {
    const mod = new WebAssembly.Module(Buffer.from(FOLLOW_V4_WASM, 'base64'));
    wasmInstance = new WebAssembly.Instance(mod, {}).exports as unknown as FollowWasm;
  } catch {
    wasmUnavailable = true; // e.g. a runtime without WebAssembly SIMD: the JavaScript code gives the same bits
    return null;
  }
  return wasmInstance;
}

/**
 * BLOCK: points are integrated in blocks of this many consecutive (raster-order) points, all steps of a
 * block before the next. Time-major within a block gives instruction-level parallelism across points;
 * blocking keeps the field rows those points visit in cache (a time-major sweep over the whole image
 * misses the cache on every tap: ~2× slower at 1024²).
 */
const BLOCK = 4096;

/** Which implementation `followFlows` uses for v4 2-D ('wasm' by default; 'js' for cross-checks). */
export const followFlowsOptions: { v4Engine: 'wasm' | 'js'; helperMinPoints: number } = {
  v4Engine: 'wasm',
  /** v4 2-D jobs with at least this many points use the helper thread (follow-worker.ts). */
  helperMinPoints: 16384,
};

/** Linear (C-order) indices of pixels with cellprob > threshold (strict), ascending. */
export function foregroundIndices(cellprob: Float32Array, threshold: number): Uint32Array {
  let n = 0;
  for (let i = 0; i < cellprob.length; i++) if (cellprob[i] > threshold) n++;
  const out = new Uint32Array(n);
  let k = 0;
  for (let i = 0; i < cellprob.length; i++) if (cellprob[i] > threshold) out[k++] = i;
  return out;
}

/**
 * Flow field F = f(dP/5) on foreground pixels, 0 elsewhere, one Float32Array per axis
 * (2-D: [dY, dX]; 3-D: [dZ, dY, dX]). `dP` holds the components back to back, each `nvox` long.
 */
function maskedField(dP: Float32Array, inds: Uint32Array, ndim: number, nvox: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let c = 0; c < ndim; c++) {
    const a = new Float32Array(nvox);
    const base = c * nvox;
    // dP·mask is exact; the division by 5 rounds once to float32 (numpy/torch float32 division).
    for (let k = 0; k < inds.length; k++) {
      const q = inds[k];
      a[q] = f(dP[base + q] / 5);
    }
    out.push(a);
  }
  return out;
}

/**
 * Runs the dynamics. `shape` is [Z, Y, X]; `ndim` 2 integrates in YX (Z must be 1), 3 in ZYX.
 * Returns the final float positions `[ndim, inds.length]` (axis-major, like Cellpose's p_final:
 * 2-D rows (y, x); 3-D rows (z, y, x)), before truncation to int.
 */
export function followFlows(
  dP: Float32Array,
  inds: Uint32Array,
  shape: [number, number, number],
  niter: number,
  version: 3 | 4,
  ndim: 2 | 3 = 2,
): Float32Array {
  const [Z, Y, X] = shape;
  const nvox = Z * Y * X;
  if (ndim === 2 && Z !== 1) throw new Error(`followFlows: 2-D integration needs Z = 1, got shape [${shape.join(', ')}]`);
  if (ndim === 3) return followTrilinearTorch(maskedField(dP, inds, 3, nvox), inds, Z, Y, X, niter);
  if (version === 3) {
    const w3 = followFlowsOptions.v4Engine === 'wasm' ? followWasm() : null;
    return w3 ? integrateWasm(3, w3, dP, inds, null, Y, X, niter, false).p : followBilinearNumba(dP, inds, Y, X, niter);
  }
  const w = followFlowsOptions.v4Engine === 'wasm' ? followWasm() : null;
  return w ? followBilinearTorchWasm(w, dP, inds, Y, X, niter) : followBilinearTorch(dP, inds, Y, X, niter);
}

/**
 * State of the points during integration, stepped time-major (all active points per step, as Cellpose
 * does): consecutive points are independent, so the CPU overlaps their long float32 dependency chains
 * (a point-major loop is latency-bound, ~2× slower). Per point: position (a, b) = (y, x), Brent
 * tortoise (ta, tb), power/lam, and `stop` = number of steps after which the end point is known.
 */
interface Points {
  A: Float32Array;
  B: Float32Array;
  TA: Float32Array;
  TB: Float32Array;
  /** second tortoise, saved every 8 steps: catches short cycles soon after they start */
  TC: Float32Array;
  TD: Float32Array;
  POW: Int32Array;
  LAM: Int32Array;
  STOP: Int32Array;
  active: Int32Array;
}

function makePoints(n: number, niter: number): Points {
  const active = new Int32Array(n);
  for (let k = 0; k < n; k++) active[k] = k;
  return {
    A: new Float32Array(n),
    B: new Float32Array(n),
    TA: new Float32Array(n),
    TB: new Float32Array(n),
    TC: new Float32Array(n),
    TD: new Float32Array(n),
    POW: new Int32Array(n).fill(1),
    LAM: new Int32Array(n),
    // niter + 1 marks "still hunting for a cycle"; the end is then niter.
    STOP: new Int32Array(n).fill(niter + 1),
    active,
  };
}

/**
 * Brent's cycle check after step t (0-based) of point k at (a, b); returns whether the point stays
 * active for step t + 1. See the CYCLE note.
 */
function cycleCheck(P: Points, k: number, a: number, b: number, t: number, niter: number): boolean {
  let stop = P.STOP[k];
  if (stop > niter) {
    const lam = P.LAM[k] + 1;
    // Steps since the last multiple-of-8 save (valid once the first save happened, t ≥ 8).
    const l8 = (t & 7) + 1;
    if (a === P.TA[k] && b === P.TB[k]) {
      // Periodic from here with period lam: only (remaining steps mod lam) steps change the end point.
      stop = t + 1 + ((niter - 1 - t) % lam);
      P.STOP[k] = stop;
      return t + 1 < stop;
    }
    if (t >= 8 && a === P.TC[k] && b === P.TD[k]) {
      stop = t + 1 + ((niter - 1 - t) % l8);
      P.STOP[k] = stop;
      return t + 1 < stop;
    }
    if (lam === P.POW[k]) {
      P.TA[k] = a;
      P.TB[k] = b;
      P.POW[k] = 2 * lam;
      P.LAM[k] = 0;
    } else {
      P.LAM[k] = lam;
    }
    if (l8 === 8) {
      P.TC[k] = a;
      P.TD[k] = b;
    }
    stop = niter;
  }
  return t + 1 < stop;
}

/** v4: torch grid_sample bilinear, align_corners=False, zero padding, float32 with fused multiply-adds (AVX2 kernel). */
function followBilinearTorch(dP: Float32Array, inds: Uint32Array, Y: number, X: number, niter: number): Float32Array {
  const n = inds.length;
  const LmY = f(Y - 1);
  const LmX = f(X - 1);
  const sY = f(2 / (Y - 1));
  const sX = f(2 / (X - 1));
  const hY = f(Y / 2);
  const hX = f(X / 2);
  // Field F = f(dP/5) on foreground pixels (0 elsewhere), pre-multiplied by 2/(L−1) (normalised
  // units), float32, interleaved (y, x) per pixel so one tap reads one cache line.
  const plane = Y * X;
  const im = new Float32Array(2 * plane);
  for (let k = 0; k < n; k++) {
    const q = inds[k];
    im[2 * q] = f(f(dP[q] / 5) * sY);
    im[2 * q + 1] = f(f(dP[plane + q] / 5) * sX);
  }
  const Ym1 = Y - 1;
  const Xm1 = X - 1;
  const X2 = 2 * X;
  const P = makePoints(n, niter);
  const { A: GY, B: GX, active } = P;
  for (let k = 0; k < n; k++) {
    const q = inds[k];
    const y0 = (q / X) | 0;
    const x0 = q - y0 * X;
    GY[k] = f(f(f(y0 / LmY) * 2) - 1);
    GX[k] = f(f(f(x0 / LmX) * 2) - 1);
    P.TA[k] = GY[k];
    P.TB[k] = GX[k];
  }
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    let na = end - start;
    for (let t = 0; t < niter && na > 0; t++) {
      let keep = start;
      for (let ai = start; ai < start + na; ai++) {
        const k = active[ai];
        let gy = GY[k];
        let gx = GX[k];
        // grid_sample's source index u = ((g + 1)·L − 1)/2, as f(f(g+1)·(L/2) − 0.5).
        const ux = f(f(f(gx + 1) * hX) - 0.5);
        const uy = f(f(f(gy + 1) * hY) - 0.5);
        const i0 = Math.floor(ux);
        const j0 = Math.floor(uy);
        const w = f(ux - i0);
        const e = f(1 - w);
        const nn = f(uy - j0);
        const s = f(1 - nn);
        const wnw = f(s * e);
        const wne = f(s * w);
        const wsw = f(nn * e);
        const wse = f(nn * w);
        let ry = 0;
        let rx = 0;
        if (i0 >= 0 && i0 < Xm1 && j0 >= 0 && j0 < Ym1) {
          // All four taps inside (the common case).
          const a = 2 * (j0 * X + i0);
          const b = a + X2;
          ry = f(im[a] * wnw);
          rx = f(im[a + 1] * wnw);
          ry = f(im[a + 2] * wne + ry);
          rx = f(im[a + 3] * wne + rx);
          ry = f(im[b] * wsw + ry);
          rx = f(im[b + 1] * wsw + rx);
          ry = f(im[b + 2] * wse + ry);
          rx = f(im[b + 3] * wse + rx);
        } else {
          // Taps outside the image are 0: fma(0, w, r) = r, so they are skipped.
          const inX0 = i0 >= 0 && i0 <= Xm1;
          const inX1 = i0 + 1 >= 0 && i0 + 1 <= Xm1;
          if (j0 >= 0 && j0 <= Ym1) {
            const a = 2 * (j0 * X + i0);
            if (inX0) {
              ry = f(im[a] * wnw);
              rx = f(im[a + 1] * wnw);
            }
            if (inX1) {
              ry = f(im[a + 2] * wne + ry);
              rx = f(im[a + 3] * wne + rx);
            }
          }
          if (j0 + 1 >= 0 && j0 + 1 <= Ym1) {
            const b = 2 * ((j0 + 1) * X + i0);
            if (inX0) {
              ry = f(im[b] * wsw + ry);
              rx = f(im[b + 1] * wsw + rx);
            }
            if (inX1) {
              ry = f(im[b + 2] * wse + ry);
              rx = f(im[b + 3] * wse + rx);
            }
          }
        }
        gy = f(gy + ry);
        gx = f(gx + rx);
        gy = gy < -1 ? -1 : gy > 1 ? 1 : gy;
        gx = gx < -1 ? -1 : gx > 1 ? 1 : gx;
        GY[k] = gy;
        GX[k] = gx;
        if (cycleCheck(P, k, gy, gx, t, niter)) active[keep++] = k;
      }
      na = keep - start;
    }
  }
  const out = new Float32Array(2 * n);
  for (let k = 0; k < n; k++) {
    out[k] = f(f(f(GY[k] + 1) * 0.5) * LmY);
    out[n + k] = f(f(f(GX[k] + 1) * 0.5) * LmX);
  }
  return out;
}

/** `followBilinearTorch` in WebAssembly: same initialisation and end conversion here, the steps in `wasm/follow-v4.wat`. */
function followBilinearTorchWasm(w: FollowWasm, dP: Float32Array, inds: Uint32Array, Y: number, X: number, niter: number): Float32Array {
  return integrateWasm(4, w, dP, inds, null, Y, X, niter, false).p;
}

/**
 * 2-D integration (v4 or v3) with the tap boxes of every trajectory (see `integrateWasm`); null where WebAssembly is
 * unavailable. `subset` = positions in `inds` to integrate (all when null); the field is always built from every
 * point of `inds` (the foreground), so the results equal those of `followFlows(dP, inds, …)` at those positions.
 */
export function followFlowsTracked(
  dP: Float32Array,
  inds: Uint32Array,
  subset: Uint32Array | null,
  Y: number,
  X: number,
  niter: number,
  version: 3 | 4 = 4,
): { p: Float32Array; taps: Int32Array } | null {
  const w = followFlowsOptions.v4Engine === 'wasm' ? followWasm() : null;
  if (!w) return null;
  const r = integrateWasm(version, w, dP, inds, subset, Y, X, niter, true);
  return { p: r.p, taps: r.taps! };
}

/**
 * The WebAssembly integrations (wasm/follow-v4.wat "v4" and "v3"). Points: `inds[subset[k]]` (or `inds[k]`); field
 * from all of `inds`. Returns the final positions `[y(m), x(m)]` and, with `track`, per point the range of tap rows
 * and tap columns read over all steps (int32 × 4: row min, row max, column min, column max; min > max when no step
 * was taken). The versions differ only in the field's scale, the start positions and the end conversion:
 * - v4 works in grid_sample's normalised coordinates: field f(f(dP/5)·2/(L−1)), start g = 2·i/(L−1) − 1, end
 *   p = (g + 1)/2·(L−1) (internals §9, the bit-exact recipe of `followBilinearTorch`);
 * - v3 in pixels: field f(dP/5), start at the pixel, end = the position (`followBilinearNumba`).
 */
function integrateWasm(
  version: 3 | 4,
  w: FollowWasm,
  dP: Float32Array,
  inds: Uint32Array,
  subset: Uint32Array | null,
  Y: number,
  X: number,
  niter: number,
  track: boolean,
): { p: Float32Array; taps: Int32Array | null } {
  const v4 = version === 4;
  const n = subset ? subset.length : inds.length;
  const plane = Y * X;
  const LmY = f(Y - 1);
  const LmX = f(X - 1);
  const sY = f(2 / (Y - 1));
  const sX = f(2 / (X - 1));
  const hX = f(X / 2);
  const hY = f(Y / 2);
  // Layout (bytes): im (2·plane f32), then 10 arrays of n 4-byte values, then (tracking) 4 int32 per point.
  const IM = 0;
  const GY = IM + 8 * plane;
  const GX = GY + 4 * n;
  const TA = GX + 4 * n;
  const TB = TA + 4 * n;
  const TC = TB + 4 * n;
  const TD = TC + 4 * n;
  const POW = TD + 4 * n;
  const LAM = POW + 4 * n;
  const STOP = LAM + 4 * n;
  const ACT = STOP + 4 * n;
  const TRK = ACT + 4 * n;
  const bytes = TRK + (track ? 16 * n : 0);
  const have = w.memory.buffer.byteLength;
  if (bytes > have) w.memory.grow(Math.ceil((bytes - have) / 65536));
  const buf = w.memory.buffer;
  const im = new Float32Array(buf, IM, 2 * plane);
  im.fill(0);
  for (let k = 0; k < inds.length; k++) {
    const q = inds[k];
    im[2 * q] = v4 ? f(f(dP[q] / 5) * sY) : f(dP[q] / 5);
    im[2 * q + 1] = v4 ? f(f(dP[plane + q] / 5) * sX) : f(dP[plane + q] / 5);
  }
  const gy = new Float32Array(buf, GY, n);
  const gx = new Float32Array(buf, GX, n);
  for (let k = 0; k < n; k++) {
    const q = inds[subset ? subset[k] : k];
    const y0 = (q / X) | 0;
    const x0 = q - y0 * X;
    gy[k] = v4 ? f(f(f(y0 / LmY) * 2) - 1) : y0;
    gx[k] = v4 ? f(f(f(x0 / LmX) * 2) - 1) : x0;
  }
  new Float32Array(buf, TA, n).set(gy);
  new Float32Array(buf, TB, n).set(gx);
  new Int32Array(buf, POW, n).fill(1);
  new Int32Array(buf, LAM, n).fill(0);
  new Int32Array(buf, STOP, n).fill(niter + 1);
  const act = new Int32Array(buf, ACT, n);
  for (let k = 0; k < n; k++) act[k] = k;
  const trk = track ? new Int32Array(buf, TRK, 4 * n) : null;
  if (trk) {
    for (let k = 0; k < 4 * n; k += 4) {
      trk[k] = trk[k + 2] = 0x7fffffff;
      trk[k + 1] = trk[k + 3] = -0x80000000;
    }
  }
  // Large jobs: a helper thread integrates the second half of the blocks (follow-worker.ts); the main thread's
  // share is whole blocks, so a job of at most one block stays here.
  let nMain = n;
  let finish: (() => boolean) | null = null;
  let hgy: Float32Array | null = null;
  let hgx: Float32Array | null = null;
  let htrk: Int32Array | null = null;
  if (n > BLOCK && dynamicsHelperWanted(n, followFlowsOptions.helperMinPoints)) {
    nMain = Math.ceil(n / 2 / BLOCK) * BLOCK;
    const nH = n - nMain;
    // Shared copies for the helper: scratch memory (scratch.ts) unless an abandoned job might still read it.
    const reuse = helperIdle();
    const sab = (purpose: string, size: number): SharedArrayBuffer =>
      reuse ? (scratchBuffer(purpose, size, true) as SharedArrayBuffer) : new SharedArrayBuffer(size);
    const imS = sab('follow-field', 8 * plane);
    new Float32Array(imS, 0, 2 * plane).set(im);
    const gyS = sab('follow-gy', 4 * nH);
    const gxS = sab('follow-gx', 4 * nH);
    hgy = new Float32Array(gyS, 0, nH);
    hgx = new Float32Array(gxS, 0, nH);
    hgy.set(gy.subarray(nMain));
    hgx.set(gx.subarray(nMain));
    let trkS: SharedArrayBuffer | null = null;
    if (trk) {
      trkS = sab('follow-taps', 16 * nH);
      htrk = new Int32Array(trkS, 0, 4 * nH);
      htrk.set(trk.subarray(4 * nMain));
    }
    finish = startHelperJob(FOLLOW_V4_WASM, { X, Y, niter, hX, hY, block: BLOCK, plane, im: imS, gy: gyS, gx: gxS, n: nH, trk: trkS, v3: !v4 });
    if (!finish) nMain = n;
  }
  // Blocks of consecutive points (see BLOCK): each block's active list is its own segment of ACT.
  const runBlocks = (from: number, to: number): void => {
    for (let start = from; start < to; start += BLOCK) {
      const len = Math.min(BLOCK, to - start);
      if (v4) w.v4(X, Y, niter, len, hX, hY, IM, GY, GX, TA, TB, TC, TD, POW, LAM, STOP, ACT + 4 * start, trk ? TRK : 0);
      else w.v3(X, Y, niter, len, IM, GY, GX, TA, TB, TC, TD, POW, LAM, STOP, ACT + 4 * start, trk ? TRK : 0);
    }
  };
  runBlocks(0, nMain);
  if (finish) {
    if (finish()) {
      gy.set(hgy!, nMain);
      gx.set(hgx!, nMain);
      if (trk) trk.set(htrk!, 4 * nMain);
    } else {
      runBlocks(nMain, n); // helper failed: do its share here (its start positions are untouched)
    }
  }
  const out = new Float32Array(2 * n);
  if (v4) {
    for (let k = 0; k < n; k++) {
      out[k] = f(f(f(gy[k] + 1) * 0.5) * LmY);
      out[n + k] = f(f(f(gx[k] + 1) * 0.5) * LmX);
    }
  } else {
    out.set(gy, 0);
    out.set(gx, n);
  }
  const taps = trk ? trk.slice() : null;
  if (w.memory.buffer.byteLength > WASM_KEEP_BYTES) wasmInstance = null; // let a large memory be collected
  return { p: out, taps };
}

function followBilinearNumba(dP: Float32Array, inds: Uint32Array, Y: number, X: number, niter: number): Float32Array {
  const n = inds.length;
  // F = f(dP/5) on foreground pixels, 0 elsewhere, interleaved (y, x).
  const plane = Y * X;
  const F = new Float32Array(2 * plane);
  for (let k = 0; k < n; k++) {
    const q = inds[k];
    F[2 * q] = f(dP[q] / 5);
    F[2 * q + 1] = f(dP[plane + q] / 5);
  }
  const Ym1 = Y - 1;
  const Xm1 = X - 1;
  const P = makePoints(n, niter);
  const { A: PY, B: PX, active } = P;
  for (let k = 0; k < n; k++) {
    const q = inds[k];
    const y0 = (q / X) | 0;
    PY[k] = y0;
    PX[k] = q - y0 * X;
    P.TA[k] = PY[k];
    P.TB[k] = PX[k];
  }
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    let na = end - start;
    for (let t = 0; t < niter && na > 0; t++) {
      let keep = start;
      for (let ai = start; ai < start + na; ai++) {
        const k = active[ai];
        let py = PY[k];
        let px = PX[k];
        const yf0 = Math.trunc(py);
        const xf0 = Math.trunc(px);
        const fy = f(py - yf0);
        const fx = f(px - xf0);
        const ya = yf0 > Ym1 ? Ym1 : yf0 < 0 ? 0 : yf0;
        const xa = xf0 > Xm1 ? Xm1 : xf0 < 0 ? 0 : xf0;
        const yb = ya + 1 > Ym1 ? Ym1 : ya + 1;
        const xb = xa + 1 > Xm1 ? Xm1 : xa + 1;
        const oy = 1 - fy;
        const ox = 1 - fx;
        const aa = 2 * (ya * X + xa);
        const ab = 2 * (ya * X + xb);
        const ba = 2 * (yb * X + xa);
        const bb = 2 * (yb * X + xb);
        const vy = f(F[aa] * oy * ox + F[ab] * oy * fx + f(F[ba] * fy) * ox + f(f(F[bb] * fy) * fx));
        const vx = f(F[aa + 1] * oy * ox + F[ab + 1] * oy * fx + f(F[ba + 1] * fy) * ox + f(f(F[bb + 1] * fy) * fx));
        py = f(py + vy);
        px = f(px + vx);
        py = py < 0 ? 0 : py > Ym1 ? Ym1 : py;
        px = px < 0 ? 0 : px > Xm1 ? Xm1 : px;
        PY[k] = py;
        PX[k] = px;
        if (cycleCheck(P, k, py, px, t, niter)) active[keep++] = k;
      }
      na = keep - start;
    }
  }
  const out = new Float32Array(2 * n);
  out.set(PY, 0);
  out.set(PX, n);
  return out;
}

/**
 * 3-D (v4, and v3 in 3-D): torch grid_sample trilinear, align_corners=False, zero padding. torch's
 * scalar 3-D CPU kernel: weights as products of float32 distances, taps accumulated in order
 * tnw, tne, tsw, tse, bnw, bne, bsw, bse (float32, no FMA). Not verified bit-exactly (internals §9).
 */
function followTrilinearTorch(field: Float32Array[], inds: Uint32Array, Z: number, Y: number, X: number, niter: number): Float32Array {
  const n = inds.length;
  const [Fz, Fy, Fx] = field;
  const Lm = [f(Z - 1), f(Y - 1), f(X - 1)];
  const sc = [f(2 / (Z - 1)), f(2 / (Y - 1)), f(2 / (X - 1))];
  const YX = Y * X;
  const imZ = new Float32Array(Z * YX);
  const imY = new Float32Array(Z * YX);
  const imX = new Float32Array(Z * YX);
  for (let k = 0; k < n; k++) {
    const q = inds[k];
    imZ[q] = f(Fz[q] * sc[0]);
    imY[q] = f(Fy[q] * sc[1]);
    imX[q] = f(Fx[q] * sc[2]);
  }
  const out = new Float32Array(3 * n);
  const src = (g: number, L: number): number => f(f(f(f(g + 1) * L) - 1) / 2);
  for (let k = 0; k < n; k++) {
    const q = inds[k];
    const z0 = (q / YX) | 0;
    const r = q - z0 * YX;
    const y0 = (r / X) | 0;
    const x0 = r - y0 * X;
    let gz = f(f(f(z0 / Lm[0]) * 2) - 1);
    let gy = f(f(f(y0 / Lm[1]) * 2) - 1);
    let gx = f(f(f(x0 / Lm[2]) * 2) - 1);
    let tz = gz;
    let ty = gy;
    let tx = gx;
    let power = 1;
    let lam = 0;
    let hunting = true;
    for (let t = 0; t < niter; t++) {
      const ix = src(gx, X);
      const iy = src(gy, Y);
      const iz = src(gz, Z);
      const xa = Math.floor(ix);
      const ya = Math.floor(iy);
      const za = Math.floor(iz);
      const dx1 = f(xa + 1 - ix); // ix_bse − ix
      const dx0 = f(ix - xa); // ix − ix_tnw
      const dy1 = f(ya + 1 - iy);
      const dy0 = f(iy - ya);
      const dz1 = f(za + 1 - iz);
      const dz0 = f(iz - za);
      let vz = 0;
      let vy = 0;
      let vx = 0;
      for (let tap = 0; tap < 8; tap++) {
        const bz = tap >> 2;
        const by = (tap >> 1) & 1;
        const bx = tap & 1;
        const zz = za + bz;
        const yy = ya + by;
        const xx = xa + bx;
        if (zz < 0 || zz >= Z || yy < 0 || yy >= Y || xx < 0 || xx >= X) continue;
        const w = f(f((bx ? dx0 : dx1) * (by ? dy0 : dy1)) * (bz ? dz0 : dz1));
        const idx = zz * YX + yy * X + xx;
        vz = f(vz + f(imZ[idx] * w));
        vy = f(vy + f(imY[idx] * w));
        vx = f(vx + f(imX[idx] * w));
      }
      gz = f(gz + vz);
      gy = f(gy + vy);
      gx = f(gx + vx);
      gz = gz < -1 ? -1 : gz > 1 ? 1 : gz;
      gy = gy < -1 ? -1 : gy > 1 ? 1 : gy;
      gx = gx < -1 ? -1 : gx > 1 ? 1 : gx;
      if (hunting) {
        lam++;
        if (gz === tz && gy === ty && gx === tx) {
          t = niter - 1 - ((niter - 1 - t) % lam);
          hunting = false;
        } else if (lam === power) {
          tz = gz;
          ty = gy;
          tx = gx;
          power *= 2;
          lam = 0;
        }
      }
    }
    out[k] = f(f(f(gz + 1) * 0.5) * Lm[0]);
    out[n + k] = f(f(f(gy + 1) * 0.5) * Lm[1]);
    out[2 * n + k] = f(f(f(gx + 1) * 0.5) * Lm[2]);
  }
  return out;
}
