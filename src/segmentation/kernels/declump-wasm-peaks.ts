/**
 * The seeds of declumping on a plane in WebAssembly (wasm/declump-kernels-peaks.wat): `peakLocalMax` (peaks.ts) of
 * one region in a single call, and the plane smoothing (masked-smooth.ts, without and with a mask) with its per-row
 * set-up. A fresh process
 * (a user's `cellcoloc run`) would run their JavaScript — per candidate, per voxel, a sort with a comparator, a Map
 * of grid cells — in V8's interpreter and baseline tiers; the WebAssembly is compiled at once (docs/declumping.md,
 * "Cold start"). The same comparisons and the same f64 operations in the same order as the JavaScript, so the same
 * results (test/declump-wasm-peaks.test.ts compares both). Each function returns a "could not run" value (null,
 * false) where the kernels cannot run it — no WebAssembly, `declumpKernels.engine` 'js', a plane too big, inputs
 * outside what the kernel reproduces exactly — and the caller then runs its JavaScript.
 */
import { declumpViews, WASM_PLANE_VOXELS } from './declump-wasm.js';

interface PeakExports {
  peaksPlane(Y: number, X: number, ry: number, rx: number, sy: number, sx: number, r2: number, cell: number, gy: number, gx: number, seedEvery: number): number;
  smoothPlaneNeeded(Y: number, X: number, nky: number, nkx: number, zerosOutside: number, needed: number): void;
  smoothPlaneMasked(Y: number, X: number, nky: number, nkx: number, needed: number): void;
}

/** Rows the kernels' per-row tables hold (the smoothing's FROM/TO, the footprint's half-widths). */
const MAX_ROWS = 1 << 14;
const MAX_TAPS = 64;
// The memory map of declump-kernels.wat and declump-kernels-peaks.wat.
const KY = 0;
const KX = 512;
const VALS = 196608;
const OUT = 458752;
const NEED = 720896;
const REGIONS = 1572864;
const ACCEPTED = 10616832;
/** The masked smoothing's mask (u8), in the peaks' sort-key scratch (the two never run at once). */
const SMOOTH_MASK = 8519680;

interface PeakViews {
  k: PeakExports;
  ky: Float64Array;
  kx: Float64Array;
  vals: Float32Array;
  out: Float32Array;
  need: Uint8Array;
  regions: Uint32Array;
  accepted: Int32Array;
  mask: Uint8Array;
}
const peakKernels = declumpViews<PeakExports, PeakViews>((k, b) => ({
  k,
  ky: new Float64Array(b, KY, MAX_TAPS),
  kx: new Float64Array(b, KX, MAX_TAPS),
  vals: new Float32Array(b, VALS, WASM_PLANE_VOXELS),
  out: new Float32Array(b, OUT, WASM_PLANE_VOXELS),
  need: new Uint8Array(b, NEED, WASM_PLANE_VOXELS),
  regions: new Uint32Array(b, REGIONS, WASM_PLANE_VOXELS),
  accepted: new Int32Array(b, ACCEPTED, WASM_PLANE_VOXELS),
  mask: new Uint8Array(b, SMOOTH_MASK, WASM_PLANE_VOXELS),
}));

/**
 * `peakLocalMax` (peaks.ts) of a Y × X plane whose region voxels all carry one id (`oneRegion`), in one call: the
 * peaks in the same order, or null (nothing done) where the kernels cannot run it. `sz` only matters as the
 * JavaScript's (0 · sz)² terms do: finite.
 */
export function peakLocalMaxPlaneWasm(
  values: Float32Array,
  regions: Uint32Array,
  Y: number,
  X: number,
  minDistance: number,
  spacing: readonly [number, number, number],
  seedEveryRegion: boolean,
): Int32Array | null {
  const n = Y * X;
  const [sz, sy, sx] = spacing;
  if (n > WASM_PLANE_VOXELS || Y > MAX_ROWS || values.length < n || regions.length < n) return null;
  if (!(Number.isFinite(minDistance) && minDistance >= 0 && Number.isFinite(sz))) return null;
  if (!(Number.isFinite(sy) && sy > 0 && Number.isFinite(sx) && sx > 0)) return null;
  // The JavaScript's footprint radii (ellipsoidOffsets: offsets beyond the plane never count), distance bound and
  // grid (peaks.ts), formed by the same expressions.
  const ry = Math.min(Math.floor(minDistance / sy), Y - 1);
  const rx = Math.min(Math.floor(minDistance / sx), X - 1);
  const r2 = minDistance * minDistance * (1 + 1e-12);
  const cell = Math.max(minDistance, 1e-9);
  const gx = Math.ceil((X * sx) / cell) + 1;
  const gy = Math.ceil((Y * sy) / cell) + 1;
  if (!(Number.isFinite(r2) && Number.isFinite(gx) && Number.isFinite(gy))) return null;
  const v = peakKernels();
  if (!v) return null;
  v.vals.set(values.subarray(0, n));
  v.regions.set(regions.subarray(0, n));
  const np = v.k.peaksPlane(Y, X, ry, rx, sy, sx, r2, cell, gy, gx, seedEveryRegion ? 1 : 0);
  return np < 0 ? null : v.accepted.slice(0, np);
}

/**
 * The smoothing kernels' inputs copied in (taps, values, the needed voxels), or null where they do not fit or the
 * kernels cannot run.
 */
function smoothingInputs(values: Float32Array, Y: number, X: number, ky: Float64Array, kx: Float64Array, needed: Uint8Array | null): PeakViews | null {
  const n = Y * X;
  if (n > WASM_PLANE_VOXELS || Y > MAX_ROWS || ky.length > MAX_TAPS || kx.length > MAX_TAPS || values.length < n) return null;
  if (needed && needed.length < n) return null;
  const v = peakKernels();
  if (!v) return null;
  v.ky.set(ky);
  v.kx.set(kx);
  v.vals.set(values.subarray(0, n));
  if (needed) v.need.set(needed.subarray(0, n));
  return v;
}

/**
 * masked-smooth.ts `smoothPlane` without a mask (normalised) in one call, its set-up included: the kernels' weights
 * and each row's needed x range (`needed` null: every voxel). Writes `out` (Y·X voxels) and returns true, or
 * returns false (nothing written) where the kernels cannot run it.
 */
export function smoothPlaneNeededWasm(
  values: Float32Array,
  Y: number,
  X: number,
  ky: Float64Array,
  kx: Float64Array,
  zerosOutside: boolean,
  needed: Uint8Array | null,
  out: Float32Array,
): boolean {
  const v = smoothingInputs(values, Y, X, ky, kx, needed);
  if (!v) return false;
  v.k.smoothPlaneNeeded(Y, X, ky.length, kx.length, zerosOutside ? 1 : 0, needed ? 1 : 0);
  out.set(v.out.subarray(0, Y * X));
  return true;
}

/**
 * masked-smooth.ts `smoothPlane` with a mask (the edge correction by the smoothed in-mask weights) in one call, its
 * row ranges included (`needed` null: every voxel). Writes `out` (Y·X voxels) and returns true, or returns false
 * (nothing written) where the kernels cannot run it.
 */
export function smoothPlaneMaskedWasm(
  values: Float32Array,
  mask: Uint8Array,
  Y: number,
  X: number,
  ky: Float64Array,
  kx: Float64Array,
  needed: Uint8Array | null,
  out: Float32Array,
): boolean {
  const n = Y * X;
  if (mask.length < n) return false;
  const v = smoothingInputs(values, Y, X, ky, kx, needed);
  if (!v) return false;
  v.mask.set(mask.subarray(0, n));
  v.k.smoothPlaneMasked(Y, X, ky.length, kx.length, needed ? 1 : 0);
  out.set(v.out.subarray(0, n));
  return true;
}
