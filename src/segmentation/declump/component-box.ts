/**
 * A component's bounding box cut from the image (`declump.ts`): rows of the intensity and of the ROI mask copied into
 * a box, and the border rule of components left whole, read from their runs.
 */
import type { Shape3 } from '../../core/volume.js';
import type { Runs } from '../runs.js';

/**
 * Rows `ly` × `lx` of `src` starting at `g` (row stride `X`) into `dst` from `k`; with `spanFrom` / `spanTo`, only
 * x in [spanFrom[row0 + y], spanTo[row0 + y]) of row y (the others keep whatever they held). Each row is one native
 * `set` from a typed array (converted to float32 as an element-wise store would: every value of the integer types
 * the chain passes is exact in float32). In a fresh process (a user's `cellcoloc run`) an element loop runs
 * interpreted: the `intensity` boxes of the bench image's 26 clumps (77 000 voxels) took ~0.7–1.2 ms, the row copies
 * ~0.6 ms (medians of 9 cold runs, noisy). Warm, an element loop was faster than the row copies, and a first pass
 * touching every row every 16 voxels let the processor fetch the uncached rows in parallel (0.25 → ~0.15 ms);
 * interpreted, that pass cost more than it saved, so it is gone.
 */
export function copyBoxPlane(
  src: ArrayLike<number>,
  g: number,
  X: number,
  dst: Float32Array,
  k: number,
  ly: number,
  lx: number,
  spanFrom: Int32Array | null = null,
  spanTo: Int32Array | null = null,
  row0 = 0,
): void {
  const typed = ArrayBuffer.isView(src) ? (src as unknown as Float32Array) : null;
  for (let y = 0; y < ly; y++, g += X, k += lx) {
    const a = spanFrom ? spanFrom[row0 + y] : 0;
    const e = spanTo ? spanTo[row0 + y] : lx;
    if (a >= e) continue;
    if (typed) dst.set(typed.subarray(g + a, g + e), k + a);
    else for (let x = a; x < e; x++) dst[k + x] = src[g + x];
  }
}

/** The in-ROI flags of a box's `lz` planes (rows `ly` × `lx` of `roiMask2d` from row `y0`, column `x0`) into `dst`. */
export function copyRoiBox(roiMask2d: Uint8Array, X: number, y0: number, x0: number, lz: number, ly: number, lx: number, dst: Uint8Array): Uint8Array {
  for (let z = 0, k = 0; z < lz; z++) {
    for (let y = 0; y < ly; y++, k += lx) {
      const r = (y0 + y) * X + x0;
      dst.set(roiMask2d.subarray(r, r + lx), k);
    }
  }
  return dst;
}

/**
 * Border rule for components left whole, from their runs: a run on the first or last row or column, or a voxel whose
 * 4-neighbour in the plane is outside the ROI (the same test as the box path's in `declumpMask`). 1 = touches.
 */
export function componentsTouchingBorder(runs: Runs, shape: Shape3, count: number, roiMask2d: Uint8Array | null): Uint8Array {
  const [Z, Y, X] = shape;
  const { rowStart, x0: runX0, x1: runX1, comp: runComp } = runs;
  const touchesBorder = new Uint8Array(count + 1);
  for (let r = 0; r < Z * Y; r++) {
    const y = r % Y;
    for (let k = rowStart[r]; k < rowStart[r + 1]; k++) {
      const c = runComp[k];
      if (touchesBorder[c]) continue;
      if (y === 0 || y === Y - 1 || runX0[k] === 0 || runX1[k] === X) touchesBorder[c] = 1;
      else if (roiMask2d) {
        for (let p = y * X + runX0[k], pEnd = y * X + runX1[k]; p < pEnd; p++) {
          if (!roiMask2d[p - 1] || !roiMask2d[p + 1] || !roiMask2d[p - X] || !roiMask2d[p + X]) {
            touchesBorder[c] = 1;
            break;
          }
        }
      }
    }
  }
  return touchesBorder;
}
