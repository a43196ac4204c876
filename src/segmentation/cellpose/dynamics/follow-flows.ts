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
import { BLOCK, followBilinearNumba, followBilinearTorch, followTrilinearTorch } from './follow-flows-js.js';

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
