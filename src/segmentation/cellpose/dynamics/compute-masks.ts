/**
 * Cellpose's `_compute_masks` / `resize_and_compute_masks` without resizing (CellColoc calls it on
 * crop-sized flows). 2-D / per plane: dynamics → histogram clustering → flow QC (if flowThreshold > 0)
 * → fill holes / min size. Stacks: do3d → 3-D dynamics, no QC, 3-D fill/min size; else every plane in
 * 2-D (min_size −1 when stitching) and, with stitchThreshold > 0, `stitch3D` then 3-D fill/min size.
 * With Z > 1, do3d false and stitchThreshold 0 the planes are labelled independently (Cellpose's
 * "masks are made per plane only").
 */
import type { MaskParams } from '../types.js';
import { foregroundIndices, followFlows } from './follow-flows.js';
import { getMasks } from './get-masks.js';
import { removeBadFlowMasks } from './flow-error.js';
import { fillHolesAndRemoveSmallMasks } from './fill-holes.js';
import { stitch3D } from './stitch.js';

/** One 2-D plane (Y×X): dP `[2, Y, X]`, cellprob `[Y, X]`. */
export function computeMasks2D(dP: Float32Array, cellprob: Float32Array, Y: number, X: number, params: MaskParams, minSize: number): Uint32Array {
  const shape: [number, number, number] = [1, Y, X];
  const v = params.cellposeVersion;
  const inds = foregroundIndices(cellprob, params.cellprobThreshold);
  // v3 returns empty masks below 5 integrated pixels; v4 whenever there are none (seeds need > 10 anyway).
  if (inds.length === 0 || (v === 3 && inds.length < 5)) return new Uint32Array(Y * X);
  const p = followFlows(dP, inds, shape, params.niter, v, 2);
  const masks = getMasks(p, inds, shape, params.maxSizeFraction, 2);
  if (params.flowThreshold > 0) {
    let any = false;
    for (let i = 0; i < masks.length; i++) if (masks[i]) { any = true; break; }
    if (any) removeBadFlowMasks(masks, dP, Y, X, params.flowThreshold, v);
  }
  return fillHolesAndRemoveSmallMasks(masks, shape, minSize, v, 2);
}

/**
 * How one 2-D plane is turned into masks: `computeMasks2D`, or a memoising equivalent (mask-memo.ts) that is told
 * which plane `z` of which stack `dP` it is working on (`dPz` is a fresh copy for stacks).
 */
export type PlaneMasks = (dPz: Float32Array, cellprob: Float32Array, Y: number, X: number, params: MaskParams, minSize: number, dP: Float32Array, z: number) => Uint32Array;

/**
 * See the module comment. `dP` is `[ndim, Z, Y, X]` (2-D: (dY, dX) with Z planes; do3d: (dZ, dY, dX)).
 * `plane2D` replaces `computeMasks2D` for every 2-D plane (it must return the same labels).
 */
export function computeMasks(
  dP: Float32Array,
  cellprob: Float32Array,
  shape: [number, number, number],
  params: MaskParams,
  plane2D: PlaneMasks = computeMasks2D,
): Uint32Array {
  const [Z, Y, X] = shape;
  const nvox = Z * Y * X;
  if (cellprob.length !== nvox) throw new Error(`computeMasks: cellprob has ${cellprob.length} values, expected ${nvox} for shape [${shape.join(', ')}]`);
  const ndim = params.do3d ? 3 : 2;
  if (dP.length !== ndim * nvox) throw new Error(`computeMasks: dP has ${dP.length} values, expected ${ndim * nvox} (${ndim} × ${shape.join('×')})`);
  const v = params.cellposeVersion;
  if (params.do3d) {
    const inds = foregroundIndices(cellprob, params.cellprobThreshold);
    if (inds.length === 0) return new Uint32Array(nvox);
    const p = followFlows(dP, inds, shape, params.niter, v, 3);
    const masks = getMasks(p, inds, shape, params.maxSizeFraction, 3);
    return fillHolesAndRemoveSmallMasks(masks, shape, params.minSize, v, 3);
  }
  const plane = Y * X;
  if (Z === 1) return plane2D(dP, cellprob, Y, X, params, params.minSize, dP, 0);
  const stitch = params.stitchThreshold > 0;
  const out = new Uint32Array(nvox);
  const dPz = new Float32Array(2 * plane);
  for (let z = 0; z < Z; z++) {
    dPz.set(dP.subarray(z * plane, (z + 1) * plane), 0);
    dPz.set(dP.subarray(nvox + z * plane, nvox + (z + 1) * plane), plane);
    const m = plane2D(dPz, cellprob.subarray(z * plane, (z + 1) * plane), Y, X, params, stitch ? -1 : params.minSize, dP, z);
    out.set(m, z * plane);
  }
  if (stitch) {
    stitch3D(out, shape, params.stitchThreshold);
    fillHolesAndRemoveSmallMasks(out, shape, params.minSize, v, 3);
  }
  return out;
}
