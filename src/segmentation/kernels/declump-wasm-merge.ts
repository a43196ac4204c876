/**
 * The watershed of a plane and basin merging in WebAssembly, each in one go (wasm/declump-kernels-watershed.wat and
 * declump-kernels-merge.wat, with `see` of declump-kernels-seeds.wat): the border test, ranks and flood of
 * `seededWatershedOfDistance` / `seededWatershedOfNegated` (watershed*.ts), and `mergeShallowBasins`' scan, early
 * test, decisions and relabelling (merge-shallow.ts). A fresh process (a user's `cellcoloc run`) would otherwise run that JavaScript
 * once per clump in V8's interpreter and baseline tiers (docs/declumping.md, "Cold start"). The same integers
 * and the same floating-point operations in the same order as the JavaScript, which stays the fallback and the
 * reference (test/declump-wasm-merge.test.ts compares both). Every function returns a "could not run" value
 * (false or −1: nothing written) where the plane does not fit, WebAssembly is unavailable or
 * `declumpKernels.engine` is 'js'; the caller then runs its JavaScript.
 */
import { declumpViews, WASM_PLANE_VOXELS } from './declump-wasm.js';

interface MergeExports {
  floodInteriorPlane(u: number, X: number, n: number): number;
  negatedIntegerRanks(n: number): number;
  negatedFloatRanks(n: number): number;
  mergeScan(Y: number, X: number, k: number, nc: number): number;
  planeBorderEmpty(Y: number, X: number): number;
  distanceRanks(n: number, B: number, inv: number): number;
  mergeDecide(
    k: number,
    nc: number,
    np: number,
    n: number,
    minVoxels: number,
    h0: number,
    rel0: number,
    mean0: number,
    h1: number,
    rel1: number,
    mean1: number,
    checkOnly: number,
  ): number;
}

/** Regions of the module's memory these wrappers fill (declump-kernels.wat's memory map). */
const VALS = 196608;
const OUT = 458752;
const NEED = 720896;
const FLOOD_RANK = 1310720;
const FLOOD_LABELS = 1572864;
/** `distanceRanks`' table of distance values (declump-kernels-watershed.wat). */
const GTAB = 11296768;
/** Labels 1…63 in the merge scan's pair table. */
const MERGE_LABELS = 64;

interface Views {
  e: MergeExports;
  vals: Float32Array;
  out: Float32Array;
  need: Uint8Array;
  rank: Int32Array;
  labels: Uint32Array;
  g: Float32Array;
}

const module = declumpViews<MergeExports, Views>((e, b) => ({
  e,
  vals: new Float32Array(b, VALS, WASM_PLANE_VOXELS),
  out: new Float32Array(b, OUT, WASM_PLANE_VOXELS),
  need: new Uint8Array(b, NEED, WASM_PLANE_VOXELS),
  rank: new Int32Array(b, FLOOD_RANK, WASM_PLANE_VOXELS),
  labels: new Uint32Array(b, FLOOD_LABELS, WASM_PLANE_VOXELS),
  g: new Float32Array(b, GTAB, WASM_PLANE_VOXELS),
}));

/**
 * `floodByRank` (watershed.ts) of a Y × X plane whose mask leaves the outer rows and columns empty, on the ranks
 * [0, u) of its in-mask voxels: `labels` (markers in, flooded labels out) updated in place. False (nothing changed)
 * where the mask touches the plane's border, the plane is under 3 × 3, or the kernels cannot run it.
 */
export function floodPlaneWasm(rank: Int32Array, u: number, labels: Uint32Array, mask: Uint8Array, Y: number, X: number): boolean {
  const n = Y * X;
  if (n > WASM_PLANE_VOXELS || u > WASM_PLANE_VOXELS || rank.length < n || labels.length < n || mask.length < n) return false;
  const v = module();
  if (!v) return false;
  v.need.set(mask.subarray(0, n));
  if (!v.e.planeBorderEmpty(Y, X)) return false;
  v.rank.set(rank.subarray(0, n));
  v.labels.set(labels.subarray(0, n));
  if (!v.e.floodInteriorPlane(u, X, n)) return false;
  labels.set(v.labels.subarray(0, n));
  return true;
}

/**
 * `seededWatershedOfDistance` (watershed-distance.ts) of a Y × X plane with square pixels whose mask leaves the outer
 * rows and columns empty, ranked by the integer squares k of its distances (`squaredDistanceRanks`: `g` holds
 * g(k) = fround(√(pixel² · k)) for k < B, `inv` = 1 / pixel²) and flooded: `labels` (markers in, flooded labels
 * out) updated in place. False (labels unchanged) where the mask touches the border, some value is not g(k) for a
 * k < B, or the kernels cannot run it.
 */
export function distanceWatershedPlaneWasm(dist: Float32Array, labels: Uint32Array, mask: Uint8Array, Y: number, X: number, g: Float32Array, B: number, inv: number): boolean {
  const n = Y * X;
  if (n > WASM_PLANE_VOXELS || B > WASM_PLANE_VOXELS || g.length < B || dist.length < n || labels.length < n || mask.length < n) return false;
  const v = module();
  if (!v) return false;
  v.need.set(mask.subarray(0, n));
  if (!v.e.planeBorderEmpty(Y, X)) return false;
  v.vals.set(dist.subarray(0, n));
  v.g.set(g.subarray(0, B));
  if (v.e.distanceRanks(n, B, inv) < 0) return false;
  v.labels.set(labels.subarray(0, n));
  if (!v.e.floodInteriorPlane(B, X, n)) return false;
  labels.set(v.labels.subarray(0, n));
  return true;
}

/**
 * `seededWatershedOfNegated` (watershed.ts) of a Y × X plane whose mask leaves the outer rows and columns empty: the
 * ranks max − v where the values are integers in a range below the voxel count (`integerRanks`), else the dense
 * ranks of the negated values (`rankValues`' radix sort), and the interior flood. False (labels unchanged) where
 * the mask touches the border, an in-mask value is NaN, or the kernels cannot run it.
 */
export function negatedWatershedPlaneWasm(image: Float32Array, labels: Uint32Array, mask: Uint8Array, Y: number, X: number): boolean {
  const n = Y * X;
  if (n > WASM_PLANE_VOXELS || image.length < n || labels.length < n || mask.length < n) return false;
  const v = module();
  if (!v) return false;
  v.need.set(mask.subarray(0, n));
  if (!v.e.planeBorderEmpty(Y, X)) return false;
  v.vals.set(image.subarray(0, n));
  let u = v.e.negatedIntegerRanks(n);
  // Other values (a prefiltered image): the dense ranks of the negated values (`rankValues`' radix sort).
  if (u < 0) u = v.e.negatedFloatRanks(n);
  if (u < 0 || u > WASM_PLANE_VOXELS) return false;
  v.labels.set(labels.subarray(0, n));
  if (!v.e.floodInteriorPlane(u, X, n)) return false;
  labels.set(v.labels.subarray(0, n));
  return true;
}

/** A criterion of `mergeShallowBasins` (merge-shallow.ts `SaddleCriterion`). */
interface Criterion {
  map: Float32Array | (() => Float32Array);
  h: number;
  relative: boolean;
  saddle?: 'max' | 'mean';
}

/**
 * `mergeShallowBasins` (merge-shallow.ts) of a Y × X plane with labels 1…k (k < 64) and one or two criteria, in
 * WebAssembly: with one map given and one to be made, the early test on the given one first (the other map made
 * only when it cannot rule out every merge), then the scan, the merges and the relabelling. Returns the number of
 * objects left (labels relabelled in place), or −1 with the labels unchanged where the kernels cannot run it; the
 * maps it made are then in `made` (by criterion), for the caller's JavaScript to use instead of making them again.
 */
export function mergeShallowPlaneWasm(
  labels: Uint32Array,
  k: number,
  Y: number,
  X: number,
  criteria: readonly Criterion[],
  minVoxels: number,
  made: (Float32Array | undefined)[],
): number {
  const n = Y * X;
  const nc = criteria.length;
  if (n > WASM_PLANE_VOXELS || k >= MERGE_LABELS || nc < 1 || nc > 2 || labels.length !== n) return -1;
  const v = module();
  if (!v) return -1;
  const c0 = criteria[0];
  const c1 = nc > 1 ? criteria[1] : c0;
  const ready0 = typeof c0.map !== 'function';
  const ready1 = typeof c1.map !== 'function';
  if (ready0 !== ready1) {
    // The early test with the map at hand: no fragment and every pair deep in it means nothing can merge.
    const cr = ready0 ? c0 : c1;
    const map = cr.map as Float32Array;
    if (map.length < n) return -1;
    v.labels.set(labels);
    v.vals.set(map.subarray(0, n));
    const np = v.e.mergeScan(Y, X, k, 1);
    if (!v.e.mergeDecide(k, 1, np, n, minVoxels, cr.h, cr.relative ? 1 : 0, cr.saddle === 'mean' ? 1 : 0, 0, 0, 0, 1)) return k;
  }
  // Made in the criteria's order, before the labels and maps are copied in (a maker may run other kernels).
  const map0 = typeof c0.map === 'function' ? (made[0] = c0.map()) : c0.map;
  const map1 = nc < 2 ? map0 : typeof c1.map === 'function' ? (made[1] = c1.map()) : c1.map;
  if (map0.length < n || map1.length < n) return -1;
  v.labels.set(labels);
  v.vals.set(map0.subarray(0, n));
  if (nc > 1) v.out.set(map1.subarray(0, n));
  const np = v.e.mergeScan(Y, X, k, nc);
  const m = v.e.mergeDecide(k, nc, np, n, minVoxels, c0.h, c0.relative ? 1 : 0, c0.saddle === 'mean' ? 1 : 0, c1.h, c1.relative ? 1 : 0, c1.saddle === 'mean' ? 1 : 0, 0);
  if (m >= 0 && m < k) labels.set(v.labels.subarray(0, n));
  return m;
}
