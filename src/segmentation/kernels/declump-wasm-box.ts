/**
 * Declumping's per-component JavaScript of a plane (`declump.ts`) in WebAssembly (wasm/declump-kernels-box.wat): the
 * whole-component tests and the rules of the components left whole, and the paste of a split component's pieces. A
 * fresh process (a user's `cellcoloc run`) runs those loops once, in V8's interpreter and baseline tiers; WebAssembly
 * is compiled at once (docs/declumping.md, "Cold start"). Integer work and the same f64 operations: the same results
 * (test/declump-wasm-box.test.ts compares both engines). Each wrapper returns null where the kernels cannot run (no
 * WebAssembly, `declumpKernels.engine` 'js', sizes past the fixed scratch): the caller then runs its JavaScript.
 */
import { declumpViews, faceConnectedWasm, runsInKernels, runsOverwritten } from './declump-wasm.js';
import type { Runs } from '../runs.js';

interface BoxExports {
  boxClassify(count: number, Y: number, X: number, flags: number, minPiece: number, convexMax: number, solidity: number, sy: number, sx: number, rMin: number, rMax: number): void;
  boxPaste(ly: number, lx: number, y0: number, x0: number, Y: number, X: number, nSeeds: number, withOwn: number, borderTest: number): number;
  boxFillHoles(ly: number, lx: number, maxHole: number): number;
  boxRunsMask(c: number, y0: number, x0: number, ly: number, lx: number): void;
}

// The memory map of declump-kernels-box.wat (and declump-kernels.wat's NEED).
const NEED = 720896;
const BL = 14024704;
const BO = 14286848;
const BF = 14548992;
const BT = 14614528;
const BR = 14680064;
const PV = 15728640;
const PH = 15761408;
const PT = 15794176;
const CV = 15798272;
const CB = 15929344;
const CR = 16322560;
const CH = 16388112;
const CF = 16404496;
const CT = 16420880;
const CK = 16437264;
/** Where `boxFillHoles` leaves its count of large holes (i32). */
const LARGE_HOLES = 15007744;
/** Box voxels and rows, pieces (+ 1), and components (+ 1) the scratch holds. */
const BOX_VOXELS = 1 << 16;
const BOX_ROWS = 1 << 14;
const PIECES = 1 << 12;
const COMPONENTS = 1 << 14;

interface BoxViews {
  k: BoxExports;
  need: Uint8Array;
  labels: Uint32Array;
  own: Uint32Array;
  from: Int32Array;
  to: Int32Array;
  runs: Int32Array;
  pieceVoxels: Float64Array;
  pieceHoles: Float64Array;
  pieceTouches: Uint8Array;
  voxels: Float64Array;
  boxes: Int32Array;
  runStart: Int32Array;
  holeFree: Uint8Array;
  faceConnected: Uint8Array;
  touches: Uint8Array;
  classes: Uint8Array;
  largeHoles: Int32Array;
}

const box = declumpViews<BoxExports, BoxViews>((k, b) => ({
  k,
  need: new Uint8Array(b, NEED, BOX_VOXELS),
  labels: new Uint32Array(b, BL, BOX_VOXELS),
  own: new Uint32Array(b, BO, BOX_VOXELS),
  from: new Int32Array(b, BF, BOX_ROWS),
  to: new Int32Array(b, BT, BOX_ROWS),
  runs: new Int32Array(b, BR, 4 * BOX_VOXELS),
  pieceVoxels: new Float64Array(b, PV, PIECES),
  pieceHoles: new Float64Array(b, PH, PIECES),
  pieceTouches: new Uint8Array(b, PT, PIECES),
  voxels: new Float64Array(b, CV, COMPONENTS),
  boxes: new Int32Array(b, CB, 6 * COMPONENTS),
  runStart: new Int32Array(b, CR, COMPONENTS + 2),
  holeFree: new Uint8Array(b, CH, COMPONENTS),
  faceConnected: new Uint8Array(b, CF, COMPONENTS),
  touches: new Uint8Array(b, CT, COMPONENTS),
  classes: new Uint8Array(b, CK, COMPONENTS),
  largeHoles: new Int32Array(b, LARGE_HOLES, 1),
}));

/** What `classifyComponentsWasm` needs of declump.ts's settings and per-component facts. */
export interface ClassifyInput {
  count: number;
  Y: number;
  X: number;
  fillHoles: boolean;
  method: 'none' | 'shape' | 'intensity';
  excludeBorderObjects: boolean;
  /** Border flags per component (a ROI outline), or null: the box on the image's edge. */
  touchesBorder: Uint8Array | null;
  rangeUm: readonly [number, number] | null;
  spacing: readonly [number, number, number];
  minPieceVoxels: number;
  convexMaxVoxels: number;
  solidity: number;
  voxels: Float64Array;
  boxes: Int32Array;
  holeFree: Uint8Array;
  faceConnected: Uint8Array;
  /** The run index (`componentRunIndex`) whose copy the kernels hold (its `wasmRuns`), or null. */
  runIndex: { runStart: Int32Array; wasmRuns: number } | null;
}

/**
 * Per component 1…count of a plane: 0 = the per-object work, 1 = left whole and kept, 2 / 3 / 4 = left whole and
 * removed by the border / too-small / too-large rule, + 8 = left whole by the convexity rule, 255 = undecided (the
 * caller's tests then). A view of the kernels' memory, valid until the next call; null where the kernels cannot run.
 */
export function classifyComponentsWasm(p: ClassifyInput): Uint8Array | null {
  const { count } = p;
  if (count + 1 > COMPONENTS) return null;
  // The hull and face-connectivity kernels read the run index's copy: only while it is this image's (a query of
  // zero runs answers −1 where it has been replaced).
  const indexed = p.runIndex !== null && p.runIndex.wasmRuns >= 0 && faceConnectedWasm(p.runIndex.wasmRuns, 0, 0) >= 0;
  if (p.convexMaxVoxels > 0 && !indexed) return null;
  const v = box();
  if (!v) return null;
  v.voxels.set(p.voxels.subarray(0, count + 1));
  v.boxes.set(p.boxes.subarray(0, 6 * (count + 1)));
  v.holeFree.set(p.holeFree.subarray(0, count + 1));
  if (indexed) v.runStart.set(p.runIndex!.runStart.subarray(0, count + 2));
  else v.faceConnected.set(p.faceConnected.subarray(0, count + 1));
  if (p.touchesBorder) v.touches.set(p.touchesBorder.subarray(0, count + 1));
  const flags =
    (p.fillHoles ? 1 : 0) |
    (p.method === 'none' ? 2 : 0) |
    (p.method === 'shape' ? 4 : 0) |
    (p.excludeBorderObjects ? 8 : 0) |
    (p.touchesBorder ? 16 : 0) |
    (p.rangeUm ? 32 : 0) |
    (indexed ? 64 : 0);
  const [, sy, sx] = p.spacing;
  runsOverwritten(); // the convexity test's hull points go over the run arrays
  v.k.boxClassify(count, p.Y, p.X, flags, p.minPieceVoxels, p.convexMaxVoxels, p.solidity, sy, sx, p.rangeUm?.[0] ?? 0, p.rangeUm?.[1] ?? 0);
  return v.classes;
}

/**
 * declump.ts's flood mask of component `c` of a plane (1 on its runs, 0 elsewhere) on its box — rows y0 … y0 + ly − 1,
 * columns x0 … x0 + lx − 1, which hold all its runs — into `floodMask`, and each box row's span [from, to) of its
 * voxels into `spanFrom` / `spanTo` (lx / 0 on a row without any), from the image's runs (`rows` rows); false
 * (nothing written) where the kernels cannot run it.
 */
export function boxRunsMaskWasm(
  runs: Runs,
  rows: number,
  c: number,
  y0: number,
  x0: number,
  ly: number,
  lx: number,
  floodMask: Uint8Array,
  spanFrom: Int32Array,
  spanTo: Int32Array,
): boolean {
  const ln = ly * lx;
  if (ln > BOX_VOXELS || ly > BOX_ROWS || floodMask.length < ln || spanFrom.length < ly || spanTo.length < ly) return false;
  const v = box();
  if (!v || !runsInKernels(runs, rows)) return false;
  v.k.boxRunsMask(c, y0, x0, ly, lx);
  floodMask.set(v.need.subarray(0, ln));
  spanFrom.set(v.from.subarray(0, ly));
  spanTo.set(v.to.subarray(0, ly));
  return true;
}

/** The pieces of a split component (`pastePiecesWasm`): their runs and per-piece counts, views valid until the next call. */
export interface PastedPieces {
  /** Runs [row, x0, x1, label] of the box (4 entries each), `count` of them. */
  runs: Int32Array;
  count: number;
  voxels: Float64Array;
  /** Hole voxels per piece (where `own` is not 1), when `own` was given. */
  holeVoxels: Float64Array | null;
  touches: Uint8Array;
}

/**
 * declump.ts's pass over a split component's box on a plane (no ROI outline): the runs of each piece's voxels
 * (labels 1…nSeeds within each row's span), each piece's voxels, hole voxels (`own` not 1, when given) and, with
 * `borderTest`, whether it touches the image's edge. Null where the kernels cannot run it.
 */
export function pastePiecesWasm(
  labels: Uint32Array,
  own: Uint32Array | null,
  spanFrom: Int32Array,
  spanTo: Int32Array,
  ly: number,
  lx: number,
  y0: number,
  x0: number,
  Y: number,
  X: number,
  nSeeds: number,
  borderTest: boolean,
): PastedPieces | null {
  const ln = ly * lx;
  if (ln > BOX_VOXELS || ly > BOX_ROWS || nSeeds + 1 > PIECES) return null;
  const v = box();
  if (!v) return null;
  v.labels.set(labels.subarray(0, ln));
  if (own) v.own.set(own.subarray(0, ln));
  v.from.set(spanFrom.subarray(0, ly));
  v.to.set(spanTo.subarray(0, ly));
  const count = v.k.boxPaste(ly, lx, y0, x0, Y, X, nSeeds, own ? 1 : 0, borderTest ? 1 : 0);
  if (count < 0) return null;
  return { runs: v.runs, count, voxels: v.pieceVoxels, holeVoxels: own ? v.pieceHoles : null, touches: v.pieceTouches };
}

/**
 * object-rules.ts `fillLabelHolesCounted` of a Y × X plane in WebAssembly (in place on `labels`, the same result: the
 * regions and their owners do not depend on the order of the flood); null (nothing changed) where the kernels cannot
 * run it.
 */
export function fillLabelHolesWasm(labels: Uint32Array, Y: number, X: number, maxHoleVoxels: number): { filled: number; largeHoles: number } | null {
  const n = Y * X;
  if (n > BOX_VOXELS || labels.length < n) return null;
  const v = box();
  if (!v) return null;
  v.labels.set(labels.subarray(0, n));
  const filled = v.k.boxFillHoles(Y, X, maxHoleVoxels);
  labels.set(v.labels.subarray(0, n));
  return { filled, largeHoles: v.largeHoles[0] };
}
