/**
 * The run report's full-resolution passes over 16-bit planes in WebAssembly (wasm/report-kernels.wat): block
 * sums with the histogram (downsample.ts `downImageInteger`), block maxima of labels (`downLabels`) and per-label
 * sums (run-planes.ts `meanPerLabel`). Each pass is called once per plane of a report, so in JavaScript it ran
 * mostly unoptimised (2048² bench run: ≈ 60 ms of the main thread's ≈ 200 ms, CPU profile); WebAssembly is
 * compiled before it runs. The planes are copied into the module's memory in pieces (whole block rows of the
 * thumbnail, ≤ 256 KiB; 64 Ki pixels for the sums), so the memory stays small whatever the image size. Every sum is of integers,
 * so the results are the same bits as the JavaScript loops (test/report-kernels-wasm.test.ts). Each function
 * returns null where WebAssembly (with SIMD) is unavailable or `reportKernels.engine` is 'js': the caller then
 * runs its JavaScript loops.
 */
import { REPORT_KERNELS_WASM } from './wasm/report-kernels-wasm.js';
import { instantiateKernels, grownMemory } from '../core/wasm-kernels.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  sumsHistU16(data: number, nRows: number, bw: number, cols: number, w: number, acc: number, hist: number): void;
  downU16(data: number, nBlocks: number, rows: number, bw: number, cols: number, w: number, acc: number, hist: number, out: number): void;
  downMaxU16(data: number, nBlocks: number, rows: number, bw: number, end: number, colOf: number, w: number, out: number): void;
  downMaxU32(data: number, nBlocks: number, rows: number, bw: number, end: number, colOf: number, w: number, out: number): void;
  downF32(data: number, nBlocks: number, rs: number, re: number, bw: number, cs: number, ce: number, w: number, out: number): void;
  labelSumsU16(lab: number, val: number, n: number, maxLabel: number, sum: number, count: number): void;
  addImageF32(d: number, n: number, lo: number, span: number, kr: number, kg: number, kb: number, rgba: number): void;
  drawLabels(y0: number, y1: number, w: number, h: number, cell: number, marker: number, region: number, rois: number, rgba: number, pos: number, maxPos: number, noImage: number, roiId: number, colors: number): void;
  scanlinesNone(w: number, h: number, rgba: number, raw: number, shift: number, half: number, top: number): void;
}

/** 'js' runs the JavaScript loops (the tests' cross-check of the same bits). */
export const reportKernels: { engine: 'wasm' | 'js' } = { engine: 'wasm' };

let instance: KernelExports | null | undefined;

/** null without WebAssembly (or SIMD): the JavaScript loops give the same bits. */
function kernels(): KernelExports | null {
  if (reportKernels.engine !== 'wasm') return null;
  if (instance === undefined) instance = instantiateKernels<KernelExports>(REPORT_KERNELS_WASM);
  return instance;
}

/** The module's memory, grown to at least `bytes`. */
const memoryOf = (k: KernelExports, bytes: number): ArrayBuffer => grownMemory(k.memory, bytes);

const align = (n: number, a: number) => Math.ceil(n / a) * a;
const HIST_BYTES = 65536 * 4;

type Plane = Uint16Array | Uint32Array | Float32Array;

/** Rows `[y0, y1)` of the box's columns `[x0, x0 + bw)` of `src` (row length X) into `mem` (same type) at element `at`. */
function copyRows<T extends Plane>(mem: T, at: number, src: T, X: number, x0: number, bw: number, y0: number, y1: number): void {
  if (x0 === 0 && bw === X) {
    mem.set(src.subarray(y0 * X, y1 * X) as never, at);
    return;
  }
  for (let y = y0; y < y1; y++, at += bw) mem.set(src.subarray(y * X + x0, y * X + x0 + bw) as never, at);
}

/** The module's memory viewed as `src`'s type. */
function viewLike<T extends Plane>(src: T, buf: ArrayBuffer): T {
  return new (src.constructor as new (b: ArrayBuffer) => T)(buf);
}

/**
 * Bytes of the plane's rows copied into the module's memory per call (at most; a taller block row is one call).
 * Not the whole plane: WebAssembly has no on-stack replacement, so a function runs its first, baseline-compiled
 * code until the call returns; in pieces of 256 KiB (32 calls for a 2048² uint16 plane) the later calls get the
 * optimised code. Measured on the bench run's two channels (first calls, fresh process): ≈ 16 ms at 256 KiB
 * against ≈ 26 ms in 4 MiB pieces; 16 and 64 KiB gained nothing more (noisy 2-core machine).
 */
const CHUNK_BYTES = 256 << 10;

/**
 * Consecutive block rows `[v0, v1)` of `rows` whose source rows fit CHUNK_BYTES (at least one block row), and the
 * tallest such group's row count (the memory to reserve).
 */
function blockRowChunks(rows: Int32Array, rowBytes: number): { chunks: [number, number][]; maxRows: number } {
  const limit = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
  const chunks: [number, number][] = [];
  let maxRows = 1;
  const h = rows.length - 1;
  for (let v0 = 0; v0 < h; ) {
    let v1 = v0 + 1;
    while (v1 < h && rows[v1 + 1] - rows[v0] <= limit) v1++;
    chunks.push([v0, v1]);
    maxRows = Math.max(maxRows, rows[v1] - rows[v0]);
    v0 = v1;
  }
  return { chunks, maxRows };
}

/**
 * Area averages of the blocks (`rows` × `cols`, downsample.ts `blockStarts`) of a box of a uint16 plane; with
 * `hist`, every pixel of the box is also counted into `hist[value]` (65536 bins).
 */
export function downImageU16(
  src: Uint16Array,
  X: number,
  box: { y0: number; y1: number; x0: number; x1: number },
  w: number,
  h: number,
  rows: Int32Array,
  cols: Int32Array,
  hist: Uint32Array | null,
): Float32Array | null {
  const k = kernels();
  if (!k || (hist && hist.length !== 65536)) return null;
  const bw = box.x1 - box.x0;
  const { chunks, maxRows } = blockRowChunks(rows, 2 * bw);
  const maxBlocks = Math.max(...chunks.map(([v0, v1]) => v1 - v0));
  const HIST = 0;
  const COLS = hist ? HIST_BYTES : 0;
  const ROWS = align(COLS + 4 * (w + 1), 16);
  const ACC = align(ROWS + 4 * (h + 1), 16);
  const OUT = align(ACC + 8 * w, 16);
  const DATA = align(OUT + 4 * w * maxBlocks, 16);
  const buf = memoryOf(k, DATA + 2 * bw * maxRows);
  const mem16 = new Uint16Array(buf);
  new Int32Array(buf, COLS, w + 1).set(cols);
  const rowsMem = new Int32Array(buf, ROWS, h + 1);
  const histMem = hist ? new Uint32Array(buf, HIST, 65536) : null;
  histMem?.set(hist!);
  const histAt = hist ? HIST : -1;
  const out = new Float32Array(w * h);
  for (const [v0, v1] of chunks) {
    for (let v = v0; v <= v1; v++) rowsMem[v - v0] = rows[v] - rows[v0];
    copyRows(mem16, DATA / 2, src, X, box.x0, bw, box.y0 + rows[v0], box.y0 + rows[v1]);
    k.downU16(DATA, v1 - v0, ROWS, bw, COLS, w, ACC, histAt, OUT);
    out.set(new Float32Array(buf, OUT, w * (v1 - v0)), v0 * w);
  }
  if (histMem) {
    // Rows below the last block: counted, in no block (cols[0] = 0 and w = 0: the histogram only).
    for (let y = box.y0 + rows[h]; y < box.y1; y += maxRows) {
      const y1 = Math.min(box.y1, y + maxRows);
      copyRows(mem16, DATA / 2, src, X, box.x0, bw, y, y1);
      k.sumsHistU16(DATA, y1 - y, bw, COLS, 0, ACC, HIST);
    }
    hist!.set(histMem);
  }
  return out;
}

/**
 * Block maxima (`rows` × the columns' block index `colOf`, `[0, colOf.length)`) of a box of a uint16 or uint32
 * label plane.
 */
export function downLabelsWasm(
  src: Uint16Array | Uint32Array,
  X: number,
  box: { y0: number; y1: number; x0: number; x1: number },
  w: number,
  h: number,
  rows: Int32Array,
  colOf: Int32Array,
): Uint32Array | null {
  const k = kernels();
  if (!k) return null;
  const bw = box.x1 - box.x0;
  const end = colOf.length;
  const bytes = src.BYTES_PER_ELEMENT;
  const { chunks, maxRows } = blockRowChunks(rows, bytes * bw);
  const maxBlocks = Math.max(...chunks.map(([v0, v1]) => v1 - v0));
  const COLOF = 0;
  const ROWS = align(4 * end, 16);
  const OUT = align(ROWS + 4 * (h + 1), 16);
  const DATA = align(OUT + 4 * w * maxBlocks, 16);
  const buf = memoryOf(k, DATA + bytes * bw * maxRows);
  const mem = viewLike(src, buf);
  new Int32Array(buf, COLOF, end).set(colOf);
  const rowsMem = new Int32Array(buf, ROWS, h + 1);
  const out = new Uint32Array(w * h);
  const kernel = bytes === 2 ? k.downMaxU16 : k.downMaxU32;
  for (const [v0, v1] of chunks) {
    for (let v = v0; v <= v1; v++) rowsMem[v - v0] = rows[v] - rows[v0];
    copyRows(mem, DATA / bytes, src, X, box.x0, bw, box.y0 + rows[v0], box.y0 + rows[v1]);
    kernel(DATA, v1 - v0, ROWS, bw, end, COLOF, w, OUT);
    out.set(new Uint32Array(buf, OUT, w * (v1 - v0)), v0 * w);
  }
  return out;
}

/**
 * downsample.ts `downImageByBlock` of a float32 plane (the overlays' own levels, 3D max projections): blocks
 * `[rs[v], re[v]) × [cs[u], ce[u])` relative to the box, summed in the same order (same float sums).
 */
export function downImageF32(
  src: Float32Array,
  X: number,
  box: { y0: number; y1: number; x0: number; x1: number },
  w: number,
  h: number,
  rs: Int32Array,
  re: Int32Array,
  cs: Int32Array,
  ce: Int32Array,
): Float32Array | null {
  const k = kernels();
  if (!k) return null;
  const bw = box.x1 - box.x0;
  // Pieces of consecutive block rows (rows and blocks never decrease along v; blocks may overlap only if f < 1).
  const limit = Math.max(1, Math.floor(CHUNK_BYTES / (4 * bw)));
  const chunks: [number, number][] = [];
  let maxRows = 1;
  for (let v0 = 0; v0 < h; ) {
    let v1 = v0 + 1;
    while (v1 < h && re[v1] - rs[v0] <= limit) v1++;
    chunks.push([v0, v1]);
    maxRows = Math.max(maxRows, re[v1 - 1] - rs[v0]);
    v0 = v1;
  }
  const maxBlocks = Math.max(...chunks.map(([v0, v1]) => v1 - v0));
  const CS = 0;
  const CE = align(4 * w, 16);
  const RS = align(CE + 4 * w, 16);
  const RE = align(RS + 4 * h, 16);
  const OUT = align(RE + 4 * h, 16);
  const DATA = align(OUT + 4 * w * maxBlocks, 16);
  const buf = memoryOf(k, DATA + 4 * bw * maxRows);
  const mem = new Float32Array(buf);
  new Int32Array(buf, CS, w).set(cs);
  new Int32Array(buf, CE, w).set(ce);
  const rsMem = new Int32Array(buf, RS, h);
  const reMem = new Int32Array(buf, RE, h);
  const out = new Float32Array(w * h);
  for (const [v0, v1] of chunks) {
    for (let v = v0; v < v1; v++) {
      rsMem[v - v0] = rs[v] - rs[v0];
      reMem[v - v0] = re[v] - rs[v0];
    }
    copyRows(mem, DATA / 4, src, X, box.x0, bw, box.y0 + rs[v0], box.y0 + re[v1 - 1]);
    k.downF32(DATA, v1 - v0, RS, RE, bw, CS, CE, w, OUT);
    out.set(new Float32Array(buf, OUT, w * (v1 - v0)), v0 * w);
  }
  return out;
}

const SUM_CHUNK = 1 << 16;
/** Labels beyond this keep the JavaScript loop (16 bytes of sums per label in the module's memory). */
const MAX_SUM_LABEL = 1 << 22;

/**
 * Per label l in `[1, maxLabel]`: the sum of `values` over the pixels labelled l, and their count (Float64Array
 * each, index = label), for uint16 labels and values of the same length.
 */
export function labelSumsU16(labels: Uint16Array, values: Uint16Array, maxLabel: number): { sum: Float64Array; count: Float64Array } | null {
  const k = kernels();
  if (!k || maxLabel > MAX_SUM_LABEL || labels.length !== values.length) return null;
  const SUM = 0;
  const COUNT = 8 * (maxLabel + 1);
  const LAB = align(COUNT + 8 * (maxLabel + 1), 16);
  const VAL = LAB + 2 * SUM_CHUNK;
  const buf = memoryOf(k, VAL + 2 * SUM_CHUNK);
  const mem16 = new Uint16Array(buf);
  const sum = new Float64Array(buf, SUM, maxLabel + 1);
  const count = new Float64Array(buf, COUNT, maxLabel + 1);
  sum.fill(0);
  count.fill(0);
  for (let i = 0; i < labels.length; i += SUM_CHUNK) {
    const e = Math.min(labels.length, i + SUM_CHUNK);
    mem16.set(labels.subarray(i, e), LAB / 2);
    mem16.set(values.subarray(i, e), VAL / 2);
    k.labelSumsU16(LAB, VAL, e - i, maxLabel, SUM, COUNT);
  }
  return { sum: sum.slice(), count: count.slice() };
}

/** Pixels per call of the overlay's passes (≈ 20 calls per pass of a 560² overlay). */
const OVERLAY_PIECE = 16384;

/** What thumbnail.ts draws, for `overlayScanlines`. */
export interface OverlayPlanes {
  width: number;
  height: number;
  /** Image layers, bottom first: f32 planes, contrast limits, colour (0..1 per channel, opacity 1, gamma 1). */
  images: { data: Float32Array; contrast: readonly [number, number]; rgb: readonly [number, number, number] }[];
  cell: Uint32Array | null;
  marker: Uint32Array | null;
  region: Uint32Array | null;
  rois: Uint32Array | null;
  /** 1 at the marker-positive cell labels. */
  isPositive: Uint8Array;
  noImage: boolean;
  roiId: number | undefined;
  /** RGBA (alpha 0..1) of: no-image fill, positive fill, positive outline, cell outline, third channel, marker, ROI. */
  colors: readonly (readonly number[])[];
  /** Posterisation: colour bits kept (png-rgb.ts). */
  bits: number;
}

/**
 * The PNG scanlines (filter None, posterised to `bits`) of a thumbnail's overlay: the image layers composited as
 * render/composite.ts `compositeLayers` does on an opaque black background, then thumbnail.ts's label drawing —
 * the same arithmetic, so the same bytes as the JavaScript path.
 */
export function overlayScanlines(o: OverlayPlanes): Uint8Array | null {
  const k = kernels();
  if (!k || o.roiId === -1) return null;
  const { width: w, height: h } = o;
  const n = w * h;
  const pad = 16;
  let at = pad;
  const take = (bytes: number) => {
    const p = at;
    at = align(at + bytes + pad, 16);
    return p;
  };
  const RGBA = take(4 * n);
  const RAW = take((3 * w + 1) * h);
  const COLORS = take(7 * 32);
  const POS = take(o.isPositive.length);
  const SCRATCH = take(4 * n);
  const planes = [o.cell, o.marker, o.region, o.rois].map((p) => (p ? take(4 * n) : -1));
  const buf = memoryOf(k, at);
  new Uint32Array(buf, RGBA, n).fill(0xff000000); // opaque black (little-endian bytes 0, 0, 0, 255)
  const f32 = new Float32Array(buf);
  // In pieces of OVERLAY_PIECE pixels (bands of rows): the later calls run the optimised code (CHUNK_BYTES says why).
  const band = Math.max(1, Math.floor(OVERLAY_PIECE / w));
  for (const { data, contrast, rgb } of o.images) {
    const [lo, hi] = contrast;
    f32.set(data, SCRATCH / 4);
    for (let i = 0; i < n; i += band * w) {
      k.addImageF32(SCRATCH + 4 * i, Math.min(band * w, n - i), lo, hi > lo ? hi - lo : 1, rgb[0] * 255, rgb[1] * 255, rgb[2] * 255, RGBA + 4 * i);
    }
  }
  new Float64Array(buf, COLORS, 28).set(o.colors.flat());
  new Uint8Array(buf, POS, o.isPositive.length).set(o.isPositive);
  const u32 = new Uint32Array(buf);
  [o.cell, o.marker, o.region, o.rois].forEach((p, j) => p && u32.set(p, planes[j] / 4));
  const shift = 8 - Math.min(8, Math.max(1, o.bits));
  for (let y = 0; y < h; y += band) {
    const y1 = Math.min(h, y + band);
    k.drawLabels(y, y1, w, h, planes[0], planes[1], planes[2], planes[3], RGBA, POS, o.isPositive.length - 1, o.noImage ? 1 : 0, o.roiId ?? -1, COLORS);
    k.scanlinesNone(w, y1 - y, RGBA + 4 * w * y, RAW + (3 * w + 1) * y, shift, shift > 0 ? 1 << (shift - 1) : 0, 255 - ((1 << shift) - 1));
  }
  return new Uint8Array(buf, RAW, (3 * w + 1) * h).slice();
}
