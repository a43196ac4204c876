/**
 * A helper thread for the v4 2-D integration (compute-bound: ≈ 2× on 2 cores). `computeMasks` is
 * synchronous, so the hand-off is too: one persistent worker (started on first use, `unref`ed) sleeps
 * in `Atomics.wait`; a job is posted on a MessagePort and picked up with `receiveMessageOnPort`
 * (synchronous), the worker integrates its share of the blocks in its own WebAssembly instance and
 * signals completion through a shared Int32Array, on which the main thread waits after doing its own
 * share. The worker script is self-contained (no imports of this package), so it runs the same from
 * TypeScript sources, the compiled `dist/` and the esbuild bundle.
 *
 * Off with `CELLCOLOC_DYNAMICS_THREADS=1`; used only for ≥ 65 536 points and when the machine has more
 * than one CPU.
 */
import { Worker, MessageChannel, type MessagePort } from 'node:worker_threads';
import { availableParallelism } from 'node:os';

const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { port, ctrl: ctrlBuf, wasm } = workerData;
const ctrl = new Int32Array(ctrlBuf);
Atomics.store(ctrl, 2, 1); // alive
// v4 heat diffusion of the listed cells into the shared padded T (same code and summation order as
// diffuse() in masks-to-flows.ts, v4 branch; with j.wasm the instance's SIMD diffuse, as diffuseWasm there).
function heatWasm(j) {
  const masks = new Uint32Array(j.masks), Tall = new Float64Array(j.Tall), X = j.X, WP = j.WP, jobs = j.jobs, niter = j.niter;
  for (let o = 0; o < jobs.length; o += 7) {
    const l = jobs[o], by0 = jobs[o + 1], by1 = jobs[o + 2], bx0 = jobs[o + 3], bx1 = jobs[o + 4], cy = jobs[o + 5], cx = jobs[o + 6];
    const H = by1 - by0 + 2, W = bx1 - bx0 + 2, n = H * W + 2, UB = 8 * n, MB = 16 * n, bytes = 24 * n;
    const have = inst.memory.buffer.byteLength;
    if (bytes > have) inst.memory.grow(Math.ceil((bytes - have) / 65536));
    const buf = inst.memory.buffer;
    new Float64Array(buf, 0, 2 * n).fill(0);
    const m32 = new Int32Array(buf, MB, 2 * n);
    m32.fill(0);
    for (let y = by0; y < by1; y++) {
      const r = y * X, off = 2 * ((y - by0 + 1) * W + 1 - bx0);
      for (let x = bx0; x < bx1; x++) if (masks[r + x] === l) m32[off + 2 * x] = m32[off + 2 * x + 1] = -1;
    }
    const T = new Float64Array(inst.memory.buffer, inst.diffuse(0, UB, MB, H, W, niter, (cy - by0 + 1) * W + (cx - bx0 + 1), 1), H * W);
    for (let y = by0; y < by1; y++)
      for (let x = bx0; x < bx1; x++)
        if (masks[y * X + x] === l) Tall[(y + 1) * WP + x + 1] = T[(y - by0 + 1) * W + (x - bx0 + 1)];
  }
}
function heat(j) {
  if (j.wasm) return heatWasm(j);
  const masks = new Uint32Array(j.masks), Tall = new Float64Array(j.Tall), X = j.X, WP = j.WP, jobs = j.jobs, niter = j.niter;
  for (let o = 0; o < jobs.length; o += 7) {
    const l = jobs[o], by0 = jobs[o + 1], by1 = jobs[o + 2], bx0 = jobs[o + 3], bx1 = jobs[o + 4], cy = jobs[o + 5], cx = jobs[o + 6];
    const H = by1 - by0 + 2, W = bx1 - bx0 + 2;
    let cnt = 0;
    for (let y = by0; y < by1; y++) for (let x = bx0; x < bx1; x++) if (masks[y * X + x] === l) cnt++;
    const pix = new Int32Array(cnt);
    let c = 0;
    for (let y = by0; y < by1; y++) for (let x = bx0; x < bx1; x++) if (masks[y * X + x] === l) pix[c++] = (y - by0 + 1) * W + (x - bx0 + 1);
    let T = new Float64Array(H * W), U = new Float64Array(H * W);
    const centre = (cy - by0 + 1) * W + (cx - bx0 + 1);
    for (let t = 0; t < niter; t++) {
      T[centre] += 1;
      for (let i = 0; i < cnt; i++) {
        const q = pix[i];
        U[q] = (T[q] + T[q - W] + T[q + W] + T[q - 1] + T[q + 1] + T[q - W - 1] + T[q - W + 1] + T[q + W - 1] + T[q + W + 1]) / 9;
      }
      const sw = T; T = U; U = sw;
    }
    for (let y = by0; y < by1; y++)
      for (let x = bx0; x < bx1; x++)
        if (masks[y * X + x] === l) Tall[(y + 1) * WP + x + 1] = T[(y - by0 + 1) * W + (x - bx0 + 1)];
  }
}
const mod = new WebAssembly.Module(Buffer.from(wasm, 'base64'));
let inst = new WebAssembly.Instance(mod, {}).exports;
for (;;) {
  Atomics.wait(ctrl, 0, 0);
  const msg = receiveMessageOnPort(port);
  if (!msg) { Atomics.store(ctrl, 0, 0); continue; }
  const j = msg.message;
  if (j.kind === 'heat') {
    try { heat(j); Atomics.store(ctrl, 1, 0); } catch (e) { Atomics.store(ctrl, 1, 1); }
    Atomics.store(ctrl, 0, 0);
    Atomics.notify(ctrl, 0);
    continue;
  }
  try {
    // Layout in our memory: im, then the 10 state arrays for this share (n points).
    const n = j.n, plane = j.plane;
    const IM = 0, GY = IM + 8 * plane, GX = GY + 4 * n, TA = GX + 4 * n, TB = TA + 4 * n, TC = TB + 4 * n,
      TD = TC + 4 * n, POW = TD + 4 * n, LAM = POW + 4 * n, STOP = LAM + 4 * n, ACT = STOP + 4 * n, TRK = ACT + 4 * n,
      bytes = TRK + (j.trk ? 16 * n : 0);
    const have = inst.memory.buffer.byteLength;
    if (bytes > have) inst.memory.grow(Math.ceil((bytes - have) / 65536));
    const buf = inst.memory.buffer;
    new Float32Array(buf, IM, 2 * plane).set(new Float32Array(j.im, 0, 2 * plane));
    const gy = new Float32Array(buf, GY, n), gx = new Float32Array(buf, GX, n);
    gy.set(new Float32Array(j.gy, 0, n)); gx.set(new Float32Array(j.gx, 0, n));
    new Float32Array(buf, TA, n).set(gy); new Float32Array(buf, TB, n).set(gx);
    new Int32Array(buf, POW, n).fill(1); new Int32Array(buf, LAM, n).fill(0); new Int32Array(buf, STOP, n).fill(j.niter + 1);
    const act = new Int32Array(buf, ACT, n); for (let k = 0; k < n; k++) act[k] = k;
    const trk = j.trk ? new Int32Array(buf, TRK, 4 * n) : null;
    if (trk) trk.set(new Int32Array(j.trk, 0, 4 * n));
    for (let s = 0; s < n; s += j.block) {
      if (j.v3) inst.v3(j.X, j.Y, j.niter, Math.min(j.block, n - s), IM, GY, GX, TA, TB, TC, TD, POW, LAM, STOP, ACT + 4 * s, trk ? TRK : 0);
      else inst.v4(j.X, j.Y, j.niter, Math.min(j.block, n - s), j.hX, j.hY, IM, GY, GX, TA, TB, TC, TD, POW, LAM, STOP, ACT + 4 * s, trk ? TRK : 0);
    }
    new Float32Array(j.gy, 0, n).set(gy); new Float32Array(j.gx, 0, n).set(gx);
    if (trk) new Int32Array(j.trk, 0, 4 * n).set(trk);
    if (buf.byteLength > (64 << 20)) inst = new WebAssembly.Instance(mod, {}).exports;
    Atomics.store(ctrl, 1, 0);
  } catch (e) {
    Atomics.store(ctrl, 1, 1);
  }
  Atomics.store(ctrl, 0, 0);
  Atomics.notify(ctrl, 0);
}
`;

interface Helper {
  worker: Worker;
  port: MessagePort;
  ctrl: Int32Array;
}
let helper: Helper | null = null;
let disabled = false;

/** Jobs the helper completed, and whether it was given up (for tests and diagnostics). */
export const dynamicsHelperStats = { jobsDone: 0, disabled: false };

export function dynamicsHelperWanted(points: number, minPoints: number): boolean {
  if (disabled || points < minPoints) return false;
  if (Number(process.env.CELLCOLOC_DYNAMICS_THREADS ?? 2) < 2) return false;
  return availableParallelism() > 1;
}

function getHelper(wasmB64: string): Helper | null {
  if (helper) return helper;
  try {
    const { port1, port2 } = new MessageChannel();
    const ctrl = new Int32Array(new SharedArrayBuffer(12));
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: port2, ctrl: ctrl.buffer, wasm: wasmB64 }, transferList: [port2] });
    worker.unref();
    port1.unref();
    worker.on('error', () => {
      disabled = true;
      helper = null;
    });
    helper = { worker, port: port1, ctrl };
    return helper;
  } catch {
    disabled = true;
    return null;
  }
}

export interface HeatJob {
  kind: 'heat';
  /** Uint32 labels (Y·X), shared */
  masks: SharedArrayBuffer;
  X: number;
  /** padded width X + 2 */
  WP: number;
  /** Float64 padded heat map ((Y+2)·(X+2)), shared: the helper writes its cells' pixels */
  Tall: SharedArrayBuffer;
  /** 7 ints per cell: label, y0, y1, x0, x1 (exclusive ends), centre y, centre x */
  jobs: Int32Array;
  niter: number;
  /** diffuse with the WebAssembly SIMD kernel (as the main thread does) instead of the scalar code */
  wasm: boolean;
}

export interface HelperJob {
  X: number;
  Y: number;
  niter: number;
  hX: number;
  hY: number;
  block: number;
  plane: number;
  /** float32 field (2·plane), shared */
  im: SharedArrayBuffer;
  /** start positions of the helper's points in, end positions out (float32, shared) */
  gy: SharedArrayBuffer;
  gx: SharedArrayBuffer;
  n: number;
  /** tap boxes (4 int32 per point: row min/max, column min/max), initial values in, results out; null = not tracked */
  trk: SharedArrayBuffer | null;
  /** Cellpose 3 integration (the kernel's "v3": pixel units, no tap boxes) instead of v4 */
  v3?: boolean;
}

/** True unless a job handed to the helper is still running (one abandoned by an exception on the main thread). */
export function helperIdle(): boolean {
  return !helper || Atomics.load(helper.ctrl, 0) === 0;
}

/** Posts a job; returns a function that blocks until it is done (true) or failed (false). */
export function startHelperJob(wasmB64: string, job: HelperJob | HeatJob): (() => boolean) | null {
  const h = getHelper(wasmB64);
  if (!h) return null;
  // A job abandoned by an exception on the main thread is still running: let it finish first.
  while (Atomics.load(h.ctrl, 0) === 1 && Atomics.load(h.ctrl, 2) === 1) Atomics.wait(h.ctrl, 0, 1, 100);
  if (Atomics.load(h.ctrl, 0) === 1) return null; // still starting with an abandoned job: do this one alone
  Atomics.store(h.ctrl, 1, 1);
  h.port.postMessage(job);
  Atomics.store(h.ctrl, 0, 1);
  Atomics.notify(h.ctrl, 0);
  const t0 = Date.now();
  return () => {
    // ctrl: [0] job pending, [1] failed, [2] worker alive. A worker that never came alive (10 s) is given up.
    while (Atomics.load(h.ctrl, 0) === 1) {
      Atomics.wait(h.ctrl, 0, 1, 100);
      if (Atomics.load(h.ctrl, 2) === 0 && Date.now() - t0 > 10000) {
        disabled = dynamicsHelperStats.disabled = true;
        helper = null;
        void h.worker.terminate();
        return false;
      }
    }
    if (Atomics.load(h.ctrl, 1) !== 0) {
      disabled = dynamicsHelperStats.disabled = true;
      return false;
    }
    dynamicsHelperStats.jobsDone++;
    return true;
  };
}
