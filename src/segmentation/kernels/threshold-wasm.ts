/**
 * The threshold chain's full-resolution passes over 16-bit channels in WebAssembly (wasm/threshold-kernels.wat):
 * the value histogram, `v > t` packed into bit words, and the closing of the packed mask. Each ran once or twice
 * per process in JavaScript, mostly before V8 had optimised it (issue 21: ≈ 35 ms of a cold 2048² run's main
 * thread); WebAssembly is compiled before it runs. Images are copied into the module's memory in pieces of
 * `PIECE_BYTES` (the memory stays small whatever the image size, and later calls get the optimised code: no
 * on-stack replacement in WebAssembly). Integer work only: the same bits as the JavaScript kernels
 * (test/segmentation-threshold-wasm.test.ts). Each function returns false / null where WebAssembly (with SIMD) is
 * unavailable or `thresholdKernels.engine` is 'js': the caller then runs its JavaScript loops.
 */
import { THRESHOLD_KERNELS_WASM } from './wasm/threshold-kernels-wasm.js';
import { instantiateKernels, grownMemory, precompileKernels } from '../../core/wasm-kernels.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  hist16(data: number, n: number, bins: number): void;
  bits16(data: number, nRows: number, X: number, WX: number, ti: number, out: number): void;
  close(bits: number, tmp: number, Z: number, Y: number, WX: number, lastMask: number, zeros: number, ones: number): void;
  countTrans(bits: number, rows: number, WX: number, lastMask: number, invert: number): number;
  recordTrans(bits: number, rows: number, WX: number, lastMask: number, invert: number, rowStart: number, x0: number, x1: number): void;
  distinct(bins: number, from: number, to: number, offset: number, values: number, counts: number): number;
}

/** 'js' runs the JavaScript loops (the tests' cross-check of the same bits). */
export const thresholdKernels: { engine: 'wasm' | 'js' } = { engine: 'wasm' };

let instance: KernelExports | null | undefined;

/** null without WebAssembly (or SIMD): the JavaScript loops give the same bits. */
function kernels(): KernelExports | null {
  if (thresholdKernels.engine !== 'wasm') return null;
  if (instance === undefined) instance = instantiateKernels<KernelExports>(THRESHOLD_KERNELS_WASM);
  return instance;
}

/** Compiles the module off the main thread ahead of its first use (`precompileKernels`). */
export function precompileThresholdKernels(): void {
  if (thresholdKernels.engine === 'wasm' && instance === undefined) precompileKernels(THRESHOLD_KERNELS_WASM);
}

/** The module's memory, grown to at least `bytes`. */
const memoryOf = (k: KernelExports, bytes: number): ArrayBuffer => grownMemory(k.memory, bytes);

/** Image bytes copied in per call (see the header; the report's kernels measured 256 KiB best, kernels-wasm.ts). */
const PIECE_BYTES = 256 << 10;
const BINS_BYTES = 65536 * 4;
/** Room after each region: the kernels may read one word past a row's end (never used). */
const SLACK = 64;

/**
 * `values > ti` of `Z·Y` rows of `X` uint16 voxels packed into `bits` (rows of `WX` words, bit b of word k = x 32k + b,
 * padding 0), for `ti` in [0, 65534]; false when WebAssembly is unavailable or `ti` is outside (the caller's loop).
 */
export function thresholdBitsU16(values: Uint16Array, rows: number, X: number, WX: number, ti: number, bits: Int32Array): boolean {
  const k = kernels();
  if (!k || !(ti >= 0 && ti <= 65534) || values.length !== rows * X || bits.length < rows * WX) return false;
  const rowsPer = Math.max(1, Math.floor(PIECE_BYTES / (2 * X)));
  const DATA = 0;
  const OUT = DATA + Math.ceil((rowsPer * X * 2) / 16) * 16 + SLACK;
  const buf = memoryOf(k, OUT + rowsPer * WX * 4 + SLACK);
  const mem = new Uint16Array(buf, DATA, rowsPer * X);
  const out = new Int32Array(buf, OUT, rowsPer * WX);
  for (let r0 = 0; r0 < rows; r0 += rowsPer) {
    const n = Math.min(rowsPer, rows - r0);
    mem.set(values.subarray(r0 * X, (r0 + n) * X));
    k.bits16(DATA, n, X, WX, ti, OUT);
    bits.set(out.subarray(0, n * WX), r0 * WX);
  }
  return true;
}

/**
 * `bitmask.ts` `closeBits` of the packed mask `bits` (`Z·Y` rows of `WX` words, last word's valid bits `lastMask`),
 * in place; false when WebAssembly is unavailable.
 */
export function closeBitsWasm(bits: Int32Array, Z: number, Y: number, WX: number, lastMask: number): boolean {
  const k = kernels();
  const words = Z * Y * WX;
  if (!k || bits.length < words || words === 0) return false;
  const BITS = 0;
  const TMP = BITS + words * 4 + SLACK;
  const ZEROS = TMP + words * 4 + SLACK;
  const ONES = ZEROS + WX * 4 + SLACK;
  const buf = memoryOf(k, ONES + WX * 4 + SLACK);
  new Int32Array(buf, ZEROS, WX).fill(0);
  new Int32Array(buf, ONES, WX).fill(-1);
  const mem = new Int32Array(buf, BITS, words);
  mem.set(bits.subarray(0, words));
  k.close(BITS, TMP, Z, Y, WX, lastMask, ZEROS, ONES);
  bits.set(new Int32Array(k.memory.buffer, BITS, words));
  return true;
}

/** Whether the WebAssembly kernels run here (with the 'wasm' engine). */
export function thresholdKernelsLoaded(): boolean {
  return kernels() !== null;
}

/**
 * `bitmask.ts` `findBitRuns`: the runs of set (`invert` 0) or clear (`invert` -1) bits of the packed mask's rows, as
 * `rowStart` (rows + 1 entries), `x0`, `x1`; null when WebAssembly is unavailable.
 */
export function bitRunsWasm(
  bits: Int32Array,
  rows: number,
  WX: number,
  lastMask: number,
  invert: number,
): { rowStart: Int32Array; x0: Int32Array; x1: Int32Array; n: number } | null {
  const k = kernels();
  const words = rows * WX;
  if (!k || bits.length < words || words === 0) return null;
  const BITS = 0;
  const ROWS = BITS + words * 4 + SLACK;
  let buf = memoryOf(k, ROWS + (rows + 1) * 4 + SLACK);
  new Int32Array(buf, BITS, words).set(bits.subarray(0, words));
  const n = k.countTrans(BITS, rows, WX, lastMask, invert) >>> 1; // every run has a start and an end
  const X0 = ROWS + (rows + 1) * 4 + SLACK;
  const X1 = X0 + n * 4 + SLACK;
  buf = memoryOf(k, X1 + n * 4 + SLACK);
  k.recordTrans(BITS, rows, WX, lastMask, invert, ROWS, X0, X1);
  buf = k.memory.buffer;
  return { rowStart: new Int32Array(buf, ROWS, rows + 1).slice(), x0: new Int32Array(buf, X0, n).slice(), x1: new Int32Array(buf, X1, n).slice(), n };
}

/**
 * `threshold/histogram.ts` `positiveHistogram` of uint16 voxels: the distinct strictly positive values (ascending),
 * their counts and the number of positive voxels; null when WebAssembly is unavailable.
 */
export function positiveHistogramU16(W: Uint16Array): { values: Int32Array; counts: Float64Array; nDistinct: number; nValues: number } | null {
  const k = kernels();
  if (!k) return null;
  const BINS = 0;
  const DATA = BINS_BYTES;
  const VALUES = DATA + PIECE_BYTES + SLACK;
  const COUNTS = VALUES + 65536 * 4 + SLACK; // 8-byte aligned: the offsets above are multiples of 8
  let buf = memoryOf(k, COUNTS + 65536 * 8 + SLACK);
  new Int32Array(buf, BINS, 65536).fill(0);
  const piece = PIECE_BYTES >>> 1;
  const mem = new Uint16Array(buf, DATA, piece);
  for (let a = 0; a < W.length; a += piece) {
    const b = Math.min(W.length, a + piece);
    mem.set(W.subarray(a, b));
    k.hist16(DATA, b - a, BINS);
  }
  const nDistinct = k.distinct(BINS, 1, 65536, 0, VALUES, COUNTS);
  buf = k.memory.buffer;
  const values = new Int32Array(buf, VALUES, nDistinct).slice();
  const counts = new Float64Array(buf, COUNTS, nDistinct).slice();
  let nValues = 0;
  for (let i = 0; i < nDistinct; i++) nValues += counts[i];
  return { values, counts, nDistinct, nValues };
}
