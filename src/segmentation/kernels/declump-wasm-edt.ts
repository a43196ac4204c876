/**
 * The exact Euclidean distance transform of a plane with any pixel size in WebAssembly
 * (wasm/declump-kernels-edt.wat): `distance-transform.ts`'s Felzenszwalb–Huttenlocher passes with the root output, in
 * one call. Declumping's distance map of a plane whose pixels are not 1 × 1 (real microscopy: e.g. 0.5 µm) takes
 * them; a fresh process (a user's `cellcoloc run`) would run their JavaScript in V8's interpreter and baseline
 * tiers, the WebAssembly is compiled at once. The same f64 operations in the same order and association, one f32
 * rounding at the root, so the same bits (test/declump-wasm-edt.test.ts compares both). Returns false (nothing
 * written) where the kernels cannot run it — no WebAssembly, `declumpKernels.engine` 'js', a plane too big — and
 * the caller then runs its JavaScript.
 */
import { declumpViews, WASM_PLANE_VOXELS } from './declump-wasm.js';

interface EdtExports {
  edtPlane(Y: number, X: number, sx2: number, sy2: number): void;
}

// The memory map of declump-kernels.wat and declump-kernels-edt.wat.
const OUT = 458752;
const NEED = 720896;

const edtKernels = declumpViews<EdtExports, { k: EdtExports; out: Float32Array; need: Uint8Array }>((k, b) => ({
  k,
  out: new Float32Array(b, OUT, WASM_PLANE_VOXELS),
  need: new Uint8Array(b, NEED, WASM_PLANE_VOXELS),
}));

/**
 * Distances (float32, 0 for background, +∞ everywhere without background) of a Y × X plane (Y > 1) with pixels
 * `sy` × `sx` (finite, > 0) into `out`, as `distanceTransform(mask, [1, Y, X], [·, sy, sx], out)`.
 */
export function edtPlaneWasm(mask: Uint8Array, Y: number, X: number, sy: number, sx: number, out: Float32Array): boolean {
  const n = Y * X;
  if (n > WASM_PLANE_VOXELS || Y < 2 || mask.length < n || out.length < n) return false;
  const v = edtKernels();
  if (!v) return false;
  v.need.set(mask.subarray(0, n));
  v.k.edtPlane(Y, X, sx * sx, sy * sy);
  out.set(v.out.subarray(0, n));
  return true;
}
