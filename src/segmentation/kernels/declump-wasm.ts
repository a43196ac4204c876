/**
 * Declumping's per-clump kernels in WebAssembly (wasm/declump-kernels.wat, SIMD): the plane smoothing without a
 * mask (`masked-smooth.ts` `smoothPlane`: the `shape` distance map, the `intensity` map without a ROI mask; called
 * with its set-up, and the masked variant, through declump-wasm-peaks.ts like the seeds' search in full) and
 * the integer distance transform of a unit-pixel plane (`distance-transform-int.ts`, with the watershed's ranks),
 * the watershed's flood of a plane whose in-mask voxels are interior (`watershed.ts`), and the first step of the
 * seeds' search (`peaks.ts`: the 8-neighbourhood maxima of a plane's interior, f32 comparisons), and the scan
 * of basin merging (`merge-shallow.ts`), and the convex hull's pixel count of a component's runs
 * (`convex-hull.ts`), and the whole-image passes over the runs that a fresh process would otherwise run interpreted
 * (`componentRunStats`, `componentRunIndex`, `faceConnectedRuns`; declump-kernels-runs.wat). The
 * same floating-point operations in the same order as the JavaScript loops — each lane of an f64x2 is one
 * voxel's sum — so the results are the same to the last bit (test/declump-wasm.test.ts compares both); about
 * twice as fast on declumping's boxes (two voxels per instruction, no bounds checks). The module's memory is
 * fixed (planes of at most `WASM_PLANE_VOXELS` voxels); each call copies the plane in and the result out. Every
 * function returns false where WebAssembly (with SIMD) is unavailable, the plane does not fit, or
 * `declumpKernels.engine` is 'js': the caller then runs its JavaScript loops.
 */
import { DECLUMP_KERNELS_WASM } from './wasm/declump-kernels-wasm.js';
import { instantiateKernels, precompileKernels } from '../../core/wasm-kernels.js';
import type { Runs } from '../runs.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  unitPlaneDT(Y: number, X: number, withRanks: number, pixel2: number): number;
  floodInteriorPlane(u: number, X: number, n: number): number;
  peakCandidates(Y: number, X: number): number;
  mergeScan(Y: number, X: number, k: number, nc: number): number;
  negatedIntegerRanks(n: number): number;
  hullPixels(qStart: number, qEnd: number): number;
  runStats(Z: number, Y: number, X: number, count: number, runCount: number, withPairs: number): void;
  runIndex(rows: number, withHull: number): void;
  faceConnected(qStart: number, qEnd: number): number;
}

/** 'js' runs the JavaScript loops (the tests' cross-check of the same bits). */
export const declumpKernels: { engine: 'wasm' | 'js' } = { engine: 'wasm' };

/** The largest plane (voxels) and row count the fixed memory holds (the layout in declump-kernels.wat). */
export const WASM_PLANE_VOXELS = 1 << 16;
const MAX_ROWS = 1 << 14;
const MAX_TAPS = 64;
const KY = 0;
const KX = 512;
const FROM = 65536;
const TO = 131072;
const VALS = 196608;
const OUT = 458752;
const NEED = 720896;
const RANKS = 1048576;
const FLOOD_RANK = 1310720;
const FLOOD_LABELS = 1572864;
/** Runs of an image the convexity test's arrays hold, and its points per component (two per row). */
const HULL_RUNS = 1 << 16;
const HULL_POINTS = 1 << 14;
/** Which image's runs the convexity test's arrays hold (a `prepareHullRunsWasm` call's number). */
let hullGeneration = 0;
/** Labels 1…63 in the merge scan's pair table (slot = lower · 64 + higher). */
const MERGE_LABELS = 64;
/** Rows of the distance transform's envelope scratch (F, S, T in declump-kernels.wat). */
const DT_ROW_VOXELS = 4096;
/** Runs, rows and components (+ 1) the whole-image run passes' arrays hold (declump-kernels-runs.wat). */
const RUN_PASS_MAX = 1 << 16;

interface Views {
  k: KernelExports;
  ky: Float64Array;
  kx: Float64Array;
  from: Int32Array;
  to: Int32Array;
  vals: Float32Array;
  out: Float32Array;
  need: Uint8Array;
  ranks: Int32Array;
  floodRank: Int32Array;
  floodLabels: Uint32Array;
  mergeVox: Float64Array;
  mergePeak: Float64Array;
  mergeStats: Float64Array;
  mergeSlots: Int32Array;
  hullX0: Int32Array;
  hullX1: Int32Array;
  hullRow: Int32Array;
  rsRowStart: Int32Array;
  rsX0: Int32Array;
  rsX1: Int32Array;
  rsComp: Int32Array;
  rsPairs: Int32Array;
  rsBoxes: Int32Array;
  rsVoxels: Float64Array;
  rsNRuns: Int32Array;
  rsHoleFree: Uint8Array;
  rsFill: Int32Array;
  rsRunsOf: Int32Array;
  rsRowOf: Int32Array;
}

let views: Views | null | undefined;

function kernels(): Views | null {
  if (declumpKernels.engine !== 'wasm') return null;
  if (views === undefined) {
    const k = instantiateKernels<KernelExports>(DECLUMP_KERNELS_WASM);
    if (k === null) {
      views = null; // no WebAssembly (or no SIMD): the JavaScript loops give the same bits
    } else {
      // The memory never grows (no `grow` export, maximum = initial), so these views stay attached.
      const b = k.memory.buffer;
      views = {
        k,
        ky: new Float64Array(b, KY, MAX_TAPS),
        kx: new Float64Array(b, KX, MAX_TAPS),
        from: new Int32Array(b, FROM, MAX_ROWS),
        to: new Int32Array(b, TO, MAX_ROWS),
        vals: new Float32Array(b, VALS, WASM_PLANE_VOXELS),
        out: new Float32Array(b, OUT, WASM_PLANE_VOXELS),
        need: new Uint8Array(b, NEED, WASM_PLANE_VOXELS),
        ranks: new Int32Array(b, RANKS, WASM_PLANE_VOXELS),
        floodRank: new Int32Array(b, FLOOD_RANK, WASM_PLANE_VOXELS),
        floodLabels: new Uint32Array(b, FLOOD_LABELS, WASM_PLANE_VOXELS),
        mergeVox: new Float64Array(b, 786432, MERGE_LABELS),
        mergePeak: new Float64Array(b, 788480, 2 * MERGE_LABELS),
        mergeStats: new Float64Array(b, 1835008, 6 * MERGE_LABELS * MERGE_LABELS),
        mergeSlots: new Int32Array(b, 2113536, MERGE_LABELS * MERGE_LABELS),
        hullX0: new Int32Array(b, 2621440, HULL_RUNS),
        hullX1: new Int32Array(b, 2883584, HULL_RUNS),
        hullRow: new Int32Array(b, 3145728, HULL_RUNS),
        rsRowStart: new Int32Array(b, 3407872, RUN_PASS_MAX + 1),
        rsX0: new Int32Array(b, 3735552, RUN_PASS_MAX),
        rsX1: new Int32Array(b, 3997696, RUN_PASS_MAX),
        rsComp: new Int32Array(b, 4259840, RUN_PASS_MAX),
        rsPairs: new Int32Array(b, 4521984, RUN_PASS_MAX),
        rsBoxes: new Int32Array(b, 4784128, 6 * RUN_PASS_MAX),
        rsVoxels: new Float64Array(b, 6356992, RUN_PASS_MAX),
        rsNRuns: new Int32Array(b, 6881280, RUN_PASS_MAX),
        rsHoleFree: new Uint8Array(b, 7405568, RUN_PASS_MAX),
        rsFill: new Int32Array(b, 7471104, RUN_PASS_MAX),
        rsRunsOf: new Int32Array(b, 7733248, RUN_PASS_MAX),
        rsRowOf: new Int32Array(b, 7995392, RUN_PASS_MAX),
      };
    }
  }
  return views;
}

/**
 * Compiles the module off the main thread ahead of its first use (`precompileKernels`), then instantiates it: its
 * 16 MiB memory counts as external memory for V8's garbage collector, and allocated while the image is read, the
 * collections it brings forward fall in the load's waits for the decoding threads instead of the segmentation
 * (in a fresh process, two scavenges and a mark-compact, ~3–5 ms, measured with --trace-gc).
 */
export function precompileDeclumpKernels(): void {
  if (declumpKernels.engine === 'wasm' && views === undefined) void precompileKernels(DECLUMP_KERNELS_WASM).then(() => kernels());
}

/**
 * The module for kernel wrappers in other files (each declares the exports it calls and keeps to its own scratch
 * in the memory map of declump-kernels.wat), or null where the kernels cannot run (no WebAssembly or SIMD, or
 * `declumpKernels.engine` is 'js'). The memory never grows: views of `memory` stay attached.
 */
export function declumpModule<T>(): { exports: T; memory: ArrayBuffer } | null {
  const v = kernels();
  return v ? { exports: v.k as unknown as T, memory: v.k.memory.buffer } : null;
}

/**
 * A wrapper file's views of the module — its exports and typed arrays over its own regions, made by `make` once per
 * instance (the memory never grows, so they stay attached; another instance, in tests, gets new ones) — or null where
 * the kernels cannot run.
 */
export function declumpViews<T, V>(make: (exports: T, memory: ArrayBuffer) => V): () => V | null {
  let cached: { memory: ArrayBuffer; views: V } | null = null;
  return () => {
    const m = declumpModule<T>();
    if (!m) return null;
    if (cached?.memory !== m.memory) cached = { memory: m.memory, views: make(m.exports, m.memory) };
    return cached.views;
  };
}

/**
 * `unitPlaneDistanceTransform` of distance-transform-int.ts in WebAssembly (the same integers, float32 roots of
 * `pixel2` · k and
 * ranks; ranks written for every voxel of the plane, meaningful where the JavaScript writes them). Returns true
 * when done, false when the plane has no background voxel (the caller's fallback then finds the same) or when the
 * kernels cannot run it (nothing written).
 */
export function unitPlaneDistanceTransformWasm(mask: Uint8Array, Y: number, X: number, out: Float32Array, ranks: Int32Array | null, pixel2 = 1): boolean {
  const n = Y * X;
  if (n > WASM_PLANE_VOXELS || X > DT_ROW_VOXELS || Y >= 1 << 14 || mask.length < n) return false;
  const v = kernels();
  if (!v) return false;
  v.need.set(mask.subarray(0, n));
  if (!v.k.unitPlaneDT(Y, X, ranks ? 1 : 0, pixel2)) return false;
  out.set(v.out.subarray(0, n));
  if (ranks) ranks.set(v.ranks.subarray(0, n));
  return true;
}

/**
 * `floodInteriorPlane` of watershed.ts in WebAssembly: the same bucket queue, pops and neighbour order, so the
 * same labels. `labels` (markers in, flooded labels out) is updated in place; returns false (nothing changed)
 * where the kernels cannot run it.
 */
export function floodInteriorPlaneWasm(rank: Int32Array, u: number, labels: Uint32Array, mask: Uint8Array, X: number, n: number): boolean {
  if (n > WASM_PLANE_VOXELS || u > WASM_PLANE_VOXELS) return false;
  const v = kernels();
  if (!v) return false;
  v.floodRank.set(rank.subarray(0, n));
  v.floodLabels.set(labels.subarray(0, n));
  v.need.set(mask.subarray(0, n));
  if (!v.k.floodInteriorPlane(u, X, n)) return false;
  labels.set(v.floodLabels.subarray(0, n));
  return true;
}

/**
 * Step 1 of `peakLocalMax` (peaks.ts) on the interior voxels of a Y × X plane (rows 1…Y−2, columns 1…X−2; Y, X ≥ 3):
 * the indices, in raster order, of the region voxels with a value > 0 and no larger value among their 8 neighbours
 * of the same region, written to `out`. Returns their number, or −1 (nothing written) where the kernels cannot run.
 */
export function peakCandidatesWasm(values: Float32Array, regions: Uint32Array, Y: number, X: number, out: Int32Array): number {
  const n = Y * X;
  if (n > WASM_PLANE_VOXELS || Y < 3 || X < 3 || values.length < n || regions.length < n) return -1;
  const v = kernels();
  if (!v) return -1;
  v.vals.set(values.subarray(0, n));
  v.floodLabels.set(regions.subarray(0, n));
  const nc = v.k.peakCandidates(Y, X);
  out.set(v.floodRank.subarray(0, nc));
  return nc;
}

/**
 * The scan of `mergeShallowBasins` (merge-shallow.ts) over a plane with labels 1…k (k < 64) and one or two
 * criterion maps, in WebAssembly: `vox` (k + 1) and `peak` ((k + 1) · nc) filled as there, and the boundary
 * pairs in the order they are first met, each as [key = lower · (k + 1) + higher, its 3 · nc statistics]
 * ([highest, sum, count] of min(m[i], m[j]) per map). Null (nothing written) where the kernels cannot run it.
 */
export function mergeScanWasm(labels: Uint32Array, k: number, Y: number, X: number, maps: Float32Array[], vox: Float64Array, peak: Float64Array): [number, Float64Array][] | null {
  const n = Y * X;
  const nc = maps.length;
  if (n > WASM_PLANE_VOXELS || k >= MERGE_LABELS || nc < 1 || nc > 2 || labels.length !== n) return null;
  const v = kernels();
  if (!v) return null;
  v.floodLabels.set(labels);
  v.vals.set(maps[0].subarray(0, n));
  if (nc > 1) v.out.set(maps[1].subarray(0, n));
  const np = v.k.mergeScan(Y, X, k, nc);
  vox.set(v.mergeVox.subarray(0, k + 1));
  peak.set(v.mergePeak.subarray(0, (k + 1) * nc));
  const pairs: [number, Float64Array][] = [];
  for (let p = 0; p < np; p++) {
    const slot = v.mergeSlots[p];
    const lo = slot >> 6;
    const hi = slot & (MERGE_LABELS - 1);
    pairs.push([lo * (k + 1) + hi, v.mergeStats.slice(6 * slot, 6 * slot + 3 * nc)]);
  }
  return pairs;
}

/**
 * The convexity test's own arrays (left end, right end inclusive, row of each run, in the order of the caller's
 * run index) for a caller that fills them in its own pass over the runs, or null where the kernels cannot hold
 * `count` runs; after filling, `hullRunsFilled()` gives the number that identifies this filling for
 * `hullPixelsWasm` (later fillings replace it).
 */
export function hullRunsTarget(count: number): { x0: Int32Array; x1: Int32Array; row: Int32Array } | null {
  if (count > HULL_RUNS) return null;
  const v = kernels();
  if (!v) return null;
  hullGeneration++; // whatever the arrays held is being replaced
  return { x0: v.hullX0, x1: v.hullX1, row: v.hullRow };
}

export function hullRunsFilled(): number {
  return ++hullGeneration;
}

/**
 * `hullPixelsIndexed` (convex-hull.ts) of the runs [qStart, qEnd) of the filling `generation` spanning `rows` rows,
 * in WebAssembly; −1 where that filling has been replaced or the points do not fit (the caller's loops then).
 */
export function hullPixelsWasm(generation: number, qStart: number, qEnd: number, rows: number): number {
  if (generation !== hullGeneration || 2 * rows > HULL_POINTS || declumpKernels.engine !== 'wasm') return -1;
  const v = kernels();
  if (!v) return -1;
  loaded = null; // the hull's points are written over the run arrays (declump-kernels-seeds.wat)
  return v.k.hullPixels(qStart, qEnd);
}

/*
 * Whole-image passes over the runs. A fresh process (a user's `cellcoloc run`) executes these loops once, in V8's
 * interpreter and baseline tiers: several ms each on the 2048² bench image, where the WebAssembly (compiled at once
 * by Liftoff) takes a fraction of a millisecond (docs/declumping.md, "Cold start"). Integer work: the same numbers
 * as the JavaScript loops they replace (test/declump-wasm.test.ts compares both).
 */

/**
 * The runs last copied in (`loadRuns`), with their row and run counts; null once a kernel has written over them (the
 * convexity test's hull keeps its points there: `hullPixelsWasm`, and `boxClassify` through `runsOverwritten`).
 */
let loaded: { runs: Runs; rows: number; count: number } | null = null;

/** For a kernel wrapper elsewhere whose kernel writes over the run arrays (the hull's points). */
export function runsOverwritten(): void {
  loaded = null;
}

/** The runs' arrays copied in, or false where they do not fit. */
function loadRuns(v: Views, runs: Runs, rows: number): boolean {
  if (runs.count > RUN_PASS_MAX || rows > RUN_PASS_MAX) return false;
  v.rsRowStart.set(runs.rowStart.subarray(0, rows + 1));
  v.rsX0.set(runs.x0.subarray(0, runs.count));
  v.rsX1.set(runs.x1.subarray(0, runs.count));
  v.rsComp.set(runs.comp.subarray(0, runs.count));
  loaded = { runs, rows, count: runs.count };
  return true;
}

/**
 * Whether the kernels' run arrays hold these runs (of `rows` rows) — loaded by the whole-image passes of the same
 * `declumpMask` call (no other kernel writes them), or copied in now; false where they do not fit or the kernels
 * cannot run. The caller must not have changed the runs since.
 */
export function runsInKernels(runs: Runs, rows: number): boolean {
  const v = kernels();
  if (!v) return false;
  if (loaded && loaded.runs === runs && loaded.rows === rows && loaded.count === runs.count) return true;
  return loadRuns(v, runs, rows);
}

/**
 * `componentRunStats`' pass over the runs (component-runs.ts) of components 1…count: boxes, voxels, runs, and with
 * `rowPairs` (a plane's touching pairs per run) the hole-free flags (else all 0); null where the kernels cannot run.
 */
export function componentRunStatsWasm(
  runs: Runs,
  shape: readonly [number, number, number],
  count: number,
  rowPairs: Int32Array | null,
): { boxes: Int32Array; voxels: Float64Array; nRuns: Int32Array; holeFree: Uint8Array } | null {
  const [Z, Y, X] = shape;
  if (count + 1 > RUN_PASS_MAX) return null;
  const v = kernels();
  if (!v || !loadRuns(v, runs, Z * Y)) return null;
  if (rowPairs) v.rsPairs.set(rowPairs.subarray(0, runs.count));
  v.k.runStats(Z, Y, X, count, runs.count, rowPairs ? 1 : 0);
  return {
    boxes: v.rsBoxes.slice(0, 6 * (count + 1)),
    voxels: v.rsVoxels.slice(0, count + 1),
    nRuns: v.rsNRuns.slice(0, count + 1),
    holeFree: v.rsHoleFree.slice(0, count + 1),
  };
}

/**
 * `componentRunIndex`' pass (convex-hull.ts): component c's runs at `runsOf[runStart[c] …]` in raster order, each
 * run's row, and the convexity test's run arrays filled (`generation` for `hullPixelsWasm`); null where the kernels
 * cannot run it.
 */
export function componentRunIndexWasm(
  runs: Runs,
  runStart: Int32Array,
  count: number,
  rows: number,
): { runsOf: Int32Array; rowOf: Int32Array; generation: number } | null {
  if (count + 1 > RUN_PASS_MAX || runs.count > HULL_RUNS) return null;
  const v = kernels();
  if (!v || !loadRuns(v, runs, rows)) return null;
  v.rsFill.set(runStart.subarray(0, count + 1));
  hullGeneration++; // whatever the hull's arrays held is being replaced
  v.k.runIndex(rows, 1);
  return { runsOf: v.rsRunsOf.slice(0, runs.count), rowOf: v.rsRowOf.slice(0, runs.count), generation: ++hullGeneration };
}

/**
 * `faceConnectedRuns` (component-runs.ts) of the runs [qStart, qEnd) of the run index `generation`
 * (`componentRunIndexWasm`, whose hull arrays hold each run's x range and row): 1 or 0, or −1 where that index has
 * been replaced or the kernels cannot run.
 */
export function faceConnectedWasm(generation: number, qStart: number, qEnd: number): number {
  if (generation !== hullGeneration || declumpKernels.engine !== 'wasm') return -1;
  const v = kernels();
  if (!v) return -1;
  return v.k.faceConnected(qStart, qEnd);
}
