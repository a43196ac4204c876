/**
 * Re-thresholding from the Cellpose cache, fast (the viewer's sliders, issue 8 item 7): a `MaskMemo` remembers,
 * per 2-D plane, what the last mask computation found and reuses every part that the new thresholds cannot change.
 * The labels are always exactly `computeMasks2D`'s (tested against it on fixtures and synthetic flows).
 *
 * - Same `cellprobThreshold` as last time (only `flowThreshold` moved): the masks before the flow-error QC and the
 *   per-mask flow errors are reused; only the removal and the fill-holes/min-size step run.
 * - New `cellprobThreshold` (v4 or v3 dynamics, WebAssembly): the field the trajectories sample is dP·(cellprob > t)/5,
 *   so a trajectory can only change if one of the pixels it read (its bilinear taps) changed side of the
 *   threshold. The integration records, per trajectory, the box of tap rows/columns it read; a trajectory is reused
 *   when no pixel of its box changed side between the old and the new threshold (one summed-area-table lookup) and
 *   its start pixel was foreground before; every other foreground pixel is integrated again. The box is a superset
 *   of the taps read, so this is exact, only sometimes more work than needed. On a real network's output a small
 *   slider move changes a thin ring at each cell border: most trajectories (those that start inside the ring and
 *   run to the centre) are reused.
 * - 3-D (`do3d`) has no incremental path: it recomputes (`computeMasks` never calls the per-plane memo for it);
 *   without WebAssembly the JavaScript integration recomputes too.
 */
import type { MaskParams } from '../types.js';
import { computeMasks, computeMasks2D, type PlaneMasks } from './compute-masks.js';
import { foregroundIndices, followFlows, followFlowsTracked } from './follow-flows.js';
import { getMasks } from './get-masks.js';
import { flowError } from './flow-error.js';
import { fillHolesAndRemoveSmallMasks } from './fill-holes.js';
import { scratchBuffer } from './scratch.js';

/** What the last computation on one plane left behind. */
interface PlaneState {
  /** Parameters other than the thresholds that the reused parts depend on. */
  niter: number;
  maxSizeFraction: number;
  version: 3 | 4;
  cellprobThreshold: number;
  /** Foreground pixels (C order) and their final positions `[y(n), x(n)]`. */
  inds: Uint32Array;
  p: Float32Array | null;
  /** Tap boxes, 4 int32 per point (v4 WebAssembly only). */
  taps: Int32Array | null;
  /** Labels after `getMasks`, before the flow-error QC (never modified). */
  preQc: Uint32Array;
  /** Flow error per label of `preQc` (computed on first need). */
  errors: Float64Array | null;
}

/** Counters of the last calls (tests and the bench report how much was reused). */
export interface MaskMemoStats {
  planes: number;
  /** Planes whose dynamics and clustering were reused whole (same cellprob threshold). */
  planesReused: number;
  /** Trajectories integrated / reused on planes with a new cellprob threshold. */
  integrated: number;
  reused: number;
}

/** The whole buffer behind a view (the spare may have been a shorter view of a larger one). */
function fullBuffer<T extends Float32Array | Int32Array>(a: T): T {
  return new (a.constructor as new (b: ArrayBufferLike, o: number, n: number) => T)(a.buffer, 0, a.buffer.byteLength / a.BYTES_PER_ELEMENT);
}

export class MaskMemo {
  /** Buffers of a replaced state, reused by the next incremental step. */
  private spare: { p: Float32Array; taps: Int32Array } | null = null;
  /** Keyed by the flow array of the stack and the plane index. */
  private readonly states = new WeakMap<Float32Array, Map<number, PlaneState>>();
  readonly stats: MaskMemoStats = { planes: 0, planesReused: 0, integrated: 0, reused: 0 };

  /** Same contract as `computeMasks`; results identical to it. */
  readonly computeMasks = (dP: Float32Array, cellprob: Float32Array, shape: [number, number, number], params: MaskParams): Uint32Array =>
    computeMasks(dP, cellprob, shape, params, this.plane);

  resetStats(): void {
    this.stats.planes = this.stats.planesReused = this.stats.integrated = this.stats.reused = 0;
  }

  private readonly plane: PlaneMasks = (dPz, cellprob, Y, X, params, minSize, dP, z) => {
    const v = params.cellposeVersion;
    this.stats.planes++;
    let byPlane = this.states.get(dP);
    if (!byPlane) this.states.set(dP, (byPlane = new Map()));
    let prev = byPlane.get(z) ?? null;
    if (prev && (prev.niter !== params.niter || prev.maxSizeFraction !== params.maxSizeFraction || prev.version !== v)) prev = null;
    let state: PlaneState;
    if (prev && prev.cellprobThreshold === params.cellprobThreshold) {
      state = prev;
      this.stats.planesReused++;
    } else {
      const inds = foregroundIndices(cellprob, params.cellprobThreshold);
      if (inds.length === 0 || (v === 3 && inds.length < 5)) {
        byPlane.delete(z);
        return computeMasks2D(dPz, cellprob, Y, X, params, minSize);
      }
      const shape: [number, number, number] = [1, Y, X];
      let p: Float32Array;
      let taps: Int32Array | null = null;
      const tracked = prev?.taps ? this.incremental(dPz, cellprob, inds, prev, params.cellprobThreshold, Y, X, params.niter, v) : null;
      if (tracked) {
        ({ p, taps } = tracked);
      } else {
        const t = followFlowsTracked(dPz, inds, null, Y, X, params.niter, v);
        if (t) {
          ({ p, taps } = t);
          this.stats.integrated += inds.length;
        } else {
          p = followFlows(dPz, inds, shape, params.niter, v, 2);
        }
      }
      // The previous state's labels are not needed any more: their memory takes the new ones (no fresh pages).
      const preQc = getMasks(p, inds, shape, params.maxSizeFraction, 2, prev?.preQc);
      state = { niter: params.niter, maxSizeFraction: params.maxSizeFraction, version: v, cellprobThreshold: params.cellprobThreshold, inds, p: taps ? p : null, taps, preQc, errors: null };
      byPlane.set(z, state);
      // `prev`'s positions and taps are garbage now: spares for the next incremental step (one plane at a time).
      if (prev?.p && prev.taps) this.spare = { p: fullBuffer(prev.p), taps: fullBuffer(prev.taps) };
    }
    // The rest of computeMasks2D, on a copy of the clustering's labels.
    const masks = state.preQc.slice();
    if (params.flowThreshold > 0) {
      let any = false;
      for (let i = 0; i < masks.length; i++) if (masks[i]) { any = true; break; }
      if (any) {
        const err = (state.errors ??= flowError(state.preQc, dPz, Y, X, v));
        const bad = new Uint8Array(err.length + 1);
        let anyBad = false;
        for (let i = 0; i < err.length; i++) {
          if (err[i] > params.flowThreshold) {
            bad[i + 1] = 1;
            anyBad = true;
          }
        }
        if (anyBad) for (let q = 0; q < masks.length; q++) if (bad[masks[q]]) masks[q] = 0;
      }
    }
    return fillHolesAndRemoveSmallMasks(masks, [1, Y, X], minSize, v, 2);
  };

  /** Final positions at the new threshold, reusing the trajectories of `prev` that cannot have changed; null = not possible. */
  private incremental(
    dP: Float32Array,
    cellprob: Float32Array,
    inds: Uint32Array,
    prev: PlaneState,
    t1: number,
    Y: number,
    X: number,
    niter: number,
    version: 3 | 4,
  ): { p: Float32Array; taps: Int32Array } | null {
    const t0 = prev.cellprobThreshold;
    const p0 = prev.p!;
    const taps0 = prev.taps!;
    const n0 = prev.inds.length;
    // Summed-area table of "changed side of the threshold" over (Y+1)×(X+1).
    const W = X + 1;
    const sat = new Int32Array(scratchBuffer('memo-sat', 4 * (Y + 1) * W, false), 0, (Y + 1) * W);
    sat.fill(0, 0, W); // row 0 (the rest is written below)
    for (let y = 0; y < Y; y++) {
      let row = 0;
      const r = y * X;
      sat[(y + 1) * W] = 0;
      for (let x = 0; x < X; x++) {
        const c = cellprob[r + x];
        row += c > t0 !== c > t1 ? 1 : 0;
        sat[(y + 1) * W + x + 1] = sat[y * W + x + 1] + row;
      }
    }
    const n = inds.length;
    const from = new Int32Array(scratchBuffer('memo-from', 4 * n, false), 0, n); // index into prev's points, −1 = integrate
    let nNew = 0;
    let k0 = 0;
    const inds0 = prev.inds;
    for (let k = 0; k < n; k++) {
      const q = inds[k];
      while (k0 < n0 && inds0[k0] < q) k0++;
      let src = -1;
      if (k0 < n0 && inds0[k0] === q) {
        const jmin = taps0[4 * k0];
        const jmax = taps0[4 * k0 + 1];
        if (jmin > jmax) src = k0; // no step taken (niter 0): nothing read
        else {
          // Taps read: rows j0..j0+1, columns i0..i0+1, clipped to the image (outside taps are 0 at every threshold).
          const ya = Math.max(0, jmin);
          const yb = Math.min(Y - 1, jmax + 1);
          const xa = Math.max(0, taps0[4 * k0 + 2]);
          const xb = Math.min(X - 1, taps0[4 * k0 + 3] + 1);
          const changed = ya > yb || xa > xb ? 0 : sat[(yb + 1) * W + xb + 1] - sat[ya * W + xb + 1] - sat[(yb + 1) * W + xa] + sat[ya * W + xa];
          if (changed === 0) src = k0;
        }
      }
      from[k] = src;
      if (src < 0) nNew++;
    }
    const subset = new Uint32Array(nNew);
    for (let k = 0, j = 0; k < n; k++) if (from[k] < 0) subset[j++] = k;
    const fresh = nNew > 0 ? followFlowsTracked(dP, inds, subset, Y, X, niter, version) : { p: new Float32Array(0), taps: new Int32Array(0) };
    if (!fresh) return null;
    // The state before `prev` left its position/tap buffers as spares (`this.spare`): reused when large enough.
    const spare = this.spare;
    this.spare = null;
    const p = spare && spare.p.length >= 2 * n ? spare.p.subarray(0, 2 * n) : new Float32Array(2 * n);
    const taps = spare && spare.taps.length >= 4 * n ? spare.taps.subarray(0, 4 * n) : new Int32Array(4 * n);
    for (let k = 0, j = 0; k < n; k++) {
      const s = from[k];
      if (s >= 0) {
        p[k] = p0[s];
        p[n + k] = p0[n0 + s];
        taps[4 * k] = taps0[4 * s];
        taps[4 * k + 1] = taps0[4 * s + 1];
        taps[4 * k + 2] = taps0[4 * s + 2];
        taps[4 * k + 3] = taps0[4 * s + 3];
      } else {
        p[k] = fresh.p[j];
        p[n + k] = fresh.p[nNew + j];
        const ft = fresh.taps;
        taps[4 * k] = ft[4 * j];
        taps[4 * k + 1] = ft[4 * j + 1];
        taps[4 * k + 2] = ft[4 * j + 2];
        taps[4 * k + 3] = ft[4 * j + 3];
        j++;
      }
    }
    this.stats.integrated += nNew;
    this.stats.reused += n - nNew;
    return { p, taps };
  }
}
