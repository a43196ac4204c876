/**
 * Bit-packed binary masks for the threshold chain (spec 4.3 steps 5–9): one bit per voxel, 32 voxels per
 * `Int32Array` word, each row `(z, y)` padded to whole words (bit b of word k of a row = x = 32k + b). Padding
 * bits are always 0.
 *
 * Why: the closing, the small-object / small-hole cleanup and the run extraction of labelling work on whole
 * words here — 32 voxels per operation instead of one byte each — and the mask is 1/8 of a `Uint8Array`
 * (less fresh memory per channel). Only the threshold comparison and the final label painting still touch
 * every voxel. Results are identical to the byte-mask kernels (`morphology.ts`), which now wrap these.
 */
import type { Shape3 } from '../core/volume.js';
import type { Runs } from './runs.js';
import { bitRunsWasm, closeBitsWasm, thresholdBitsU16 } from './kernels/threshold-wasm.js';

export interface BitMask {
  /** Row r = z * Y + y occupies words `[r * wordsPerRow, (r + 1) * wordsPerRow)`. */
  bits: Int32Array;
  wordsPerRow: number;
  shape: Shape3;
}

/** Reused word buffers (contents undefined when borrowed): fresh memory costs more than the passes here. */
const pool: Int32Array[] = [];

function borrowWords(length: number): Int32Array {
  for (let i = 0; i < pool.length; i++) {
    if (pool[i].length === length) return pool.splice(i, 1)[0];
  }
  return new Int32Array(length);
}

/** Gives a mask's words back to the pool (at most 3 buffers are kept, the most recent ones). */
export function releaseBitMask(m: BitMask): void {
  if (pool.includes(m.bits)) return;
  pool.push(m.bits);
  if (pool.length > 3) pool.shift();
}

export function allocBitMask(shape: Shape3): BitMask {
  const wordsPerRow = (shape[2] + 31) >>> 5;
  return { bits: borrowWords(shape[0] * shape[1] * wordsPerRow), wordsPerRow, shape };
}

/** Valid bits of a row's last word (all ones when X is a multiple of 32). */
function lastWordMask(X: number): number {
  const r = X & 31;
  return r === 0 ? -1 : (1 << r) - 1;
}

/** `value > t` per voxel (float32 values compared exactly as JS numbers), packed. NaN → 0. */
export function thresholdToBits(values: ArrayLike<number>, shape: Shape3, t: number): BitMask {
  if (Number.isFinite(t) && (values instanceof Uint16Array || values instanceof Uint8Array || values instanceof Int16Array || values instanceof Int8Array)) {
    return integerThresholdToBits(values, shape, Math.floor(t));
  }
  const m = allocBitMask(shape);
  const [Z, Y, X] = shape;
  const { bits, wordsPerRow: WX } = m;
  const rows = Z * Y;
  const full = X >>> 5;
  const rest = X & 31;
  for (let r = 0; r < rows; r++) {
    let src = r * X;
    let dst = r * WX;
    for (let k = 0; k < full; k++, src += 32) {
      let w = 0;
      for (let b = 0; b < 32; b++) if (values[src + b] > t) w |= 1 << b;
      bits[dst++] = w;
    }
    if (rest) {
      let w = 0;
      for (let b = 0; b < rest; b++) if (values[src + b] > t) w |= 1 << b;
      bits[dst] = w;
    }
  }
  return m;
}

/**
 * Integer voxels: `v > t` ⇔ `v > floor(t)` ⇔ `floor(t) - v < 0`, so each bit is the sign of an int32
 * difference — no branch per voxel (the mask's edges would mispredict).
 */
function integerThresholdToBits(values: Uint16Array | Uint8Array | Int16Array | Int8Array, shape: Shape3, ti: number): BitMask {
  const m = allocBitMask(shape);
  const [Z, Y, X] = shape;
  const { bits, wordsPerRow: WX } = m;
  const rows = Z * Y;
  // uint16 (the usual channel): in WebAssembly, 8 voxels per lane comparison (kernels/threshold-wasm.ts)
  if (values instanceof Uint16Array && thresholdBitsU16(values, rows, X, WX, ti, bits)) return m;
  const full = X >>> 5;
  const rest = X & 31;
  for (let r = 0; r < rows; r++) {
    let src = r * X;
    let dst = r * WX;
    for (let k = 0; k < full; k++, src += 32) {
      let w = 0;
      for (let b = 0; b < 32; b++) w |= ((ti - values[src + b]) >>> 31) << b;
      bits[dst++] = w;
    }
    if (rest) {
      let w = 0;
      for (let b = 0; b < rest; b++) w |= ((ti - values[src + b]) >>> 31) << b;
      bits[dst] = w;
    }
  }
  return m;
}

/** Packs a 0/1 byte mask (any non-zero byte is set). */
export function packMask(mask: Uint8Array, shape: Shape3): BitMask {
  const m = allocBitMask(shape);
  const [Z, Y, X] = shape;
  const { bits, wordsPerRow: WX } = m;
  bits.fill(0);
  for (let r = 0; r < Z * Y; r++) {
    for (let x = 0, i = r * X; x < X; x++, i++) if (mask[i] !== 0) bits[r * WX + (x >>> 5)] |= 1 << (x & 31);
  }
  return m;
}

/** Writes the mask as 0/1 bytes into `out` (length Z * Y * X). */
export function unpackMask(m: BitMask, out: Uint8Array): Uint8Array {
  const [Z, Y, X] = m.shape;
  const { bits, wordsPerRow: WX } = m;
  for (let r = 0; r < Z * Y; r++) {
    for (let x = 0, i = r * X; x < X; x++, i++) out[i] = (bits[r * WX + (x >>> 5)] >>> (x & 31)) & 1;
  }
  return out;
}

/**
 * `skimage.morphology.binary_closing(mask, disk(1) | ball(1))` (0.19) in place: dilation by the face-neighbour
 * cross with outside = False, then erosion by the cross with outside = True (as `morphology.ts` documents).
 * In-row neighbours are word shifts with the carry bit from the adjacent word; y/z neighbours are whole words.
 */
export function closeBits(m: BitMask): void {
  const [Z, Y, X] = m.shape;
  const WX = m.wordsPerRow;
  // the same steps in WebAssembly, compiled before they run (kernels/threshold-wasm.ts); the loops below otherwise
  if (closeBitsWasm(m.bits, Z, Y, WX, lastWordMask(X))) return;
  const src = m.bits;
  const tmp = borrowWords(src.length);
  const lastMask = lastWordMask(X);
  const padOnes = ~lastMask;
  const P = Y * WX;
  // Dilation: src → tmp.
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      const base = z * P + y * WX;
      const up = y > 0 ? base - WX : -1;
      const down = y < Y - 1 ? base + WX : -1;
      const front = z > 0 ? base - P : -1;
      const back = z < Z - 1 ? base + P : -1;
      let prev = 0;
      let w = src[base];
      for (let k = 0; k < WX; k++) {
        const next = k < WX - 1 ? src[base + k + 1] : 0;
        let d = w | (w << 1) | (prev >>> 31) | (w >>> 1) | (next << 31);
        if (up >= 0) d |= src[up + k];
        if (down >= 0) d |= src[down + k];
        if (front >= 0) d |= src[front + k];
        if (back >= 0) d |= src[back + k];
        tmp[base + k] = d;
        prev = w;
        w = next;
      }
      tmp[base + WX - 1] &= lastMask;
    }
  }
  // Erosion: tmp → src. Outside the row counts as set: the previous word of the first is all ones, the
  // next of the last too, and the last word's padding bits read as ones for its own right neighbours.
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      const base = z * P + y * WX;
      const up = y > 0 ? base - WX : -1;
      const down = y < Y - 1 ? base + WX : -1;
      const front = z > 0 ? base - P : -1;
      const back = z < Z - 1 ? base + P : -1;
      let prev = -1;
      let w = tmp[base];
      for (let k = 0; k < WX; k++) {
        const last = k === WX - 1;
        const next = last ? -1 : tmp[base + k + 1];
        const wr = last ? w | padOnes : w;
        let e = w & ((w << 1) | (prev >>> 31)) & ((wr >>> 1) | (next << 31));
        if (up >= 0) e &= tmp[up + k];
        if (down >= 0) e &= tmp[down + k];
        if (front >= 0) e &= tmp[front + k];
        if (back >= 0) e &= tmp[back + k];
        src[base + k] = last ? e & lastMask : e;
        prev = w;
        w = next;
      }
    }
  }
  pool.push(tmp);
  if (pool.length > 3) pool.shift();
}

/**
 * Horizontal runs of voxels equal to `value` (the `Runs` of `runs.ts`, same order: rows ascending, x
 * ascending). Transitions are found per word: `w ^ (w << 1 | carry)` has a bit at every run start and end.
 *
 * Two passes (count the transitions, then record them into arrays of the exact size) and a virtual all-zero
 * word after each row (a run reaching the row's end closes there like any other): the loops have no rarely taken
 * branch, because optimized code deoptimizes the first time such a branch runs, and in a one-shot CLI process
 * that cost more than the whole kernel.
 */
export function findBitRuns(m: BitMask, value: 0 | 1): Runs {
  const rows = m.shape[0] * m.shape[1];
  const invert = value === 0 ? -1 : 0;
  // the same two passes in WebAssembly (popcnt / ctz per word), compiled before they run (kernels/threshold-wasm.ts)
  const fast = bitRunsWasm(m.bits, rows, m.wordsPerRow, lastWordMask(m.shape[2]), invert);
  if (fast) return { rowStart: fast.rowStart, x0: fast.x0, x1: fast.x1, comp: new Int32Array(fast.n), count: fast.n };
  const n = countTransitions(m, invert) >>> 1; // every run has a start and an end
  const rowStart = new Int32Array(rows + 1);
  const x0 = new Int32Array(n);
  const x1 = new Int32Array(n);
  recordTransitions(m, invert, rowStart, x0, x1);
  rowStart[rows] = n;
  return { rowStart, x0, x1, comp: new Int32Array(n), count: n };
}

// The two passes are separate functions so that each loop is optimized with its own type feedback (one
// function's on-stack-replaced code would reach the second loop without any and deoptimize there).
function countTransitions(m: BitMask, invert: number): number {
  const WX = m.wordsPerRow;
  const bits = m.bits;
  const rows = m.shape[0] * m.shape[1];
  const lastMask = lastWordMask(m.shape[2]);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * WX;
    let carry = 0;
    for (let k = 0; k <= WX; k++) {
      const w = k < WX ? (bits[base + k] ^ invert) & (k === WX - 1 ? lastMask : -1) : 0;
      let t = w ^ ((w << 1) | carry);
      carry = w >>> 31;
      while (t !== 0) {
        t &= t - 1;
        total++;
      }
    }
  }
  return total;
}

function recordTransitions(m: BitMask, invert: number, rowStart: Int32Array, x0: Int32Array, x1: Int32Array): void {
  const WX = m.wordsPerRow;
  const bits = m.bits;
  const rows = m.shape[0] * m.shape[1];
  const lastMask = lastWordMask(m.shape[2]);
  let e = 0; // transitions recorded: even = starts, odd = ends
  for (let r = 0; r < rows; r++) {
    rowStart[r] = e >>> 1;
    const base = r * WX;
    let carry = 0;
    for (let k = 0; k <= WX; k++) {
      const w = k < WX ? (bits[base + k] ^ invert) & (k === WX - 1 ? lastMask : -1) : 0;
      let t = w ^ ((w << 1) | carry);
      carry = w >>> 31;
      while (t !== 0) {
        const pos = (k << 5) + 31 - Math.clz32(t & -t);
        t &= t - 1;
        if ((e & 1) === 0) x0[e >>> 1] = pos;
        else x1[e >>> 1] = pos;
        e++;
      }
    }
  }
}

/** Sets (value 1) or clears (0) bits `[x0, x1)` of the row starting at word `base`. */
function fillBits(bits: Int32Array, base: number, x0: number, x1: number, value: 0 | 1): void {
  let k = x0 >>> 5;
  const kEnd = (x1 - 1) >>> 5;
  const head = -1 << (x0 & 31);
  const tail = (x1 & 31) === 0 ? -1 : (1 << (x1 & 31)) - 1;
  if (k === kEnd) {
    const mk = head & tail;
    if (value) bits[base + k] |= mk;
    else bits[base + k] &= ~mk;
    return;
  }
  if (value) {
    bits[base + k] |= head;
    for (k++; k < kEnd; k++) bits[base + k] = -1;
    bits[base + kEnd] |= tail;
  } else {
    bits[base + k] &= ~head;
    for (k++; k < kEnd; k++) bits[base + k] = 0;
    bits[base + kEnd] &= ~tail;
  }
}

/** Writes `value` over every run whose component has fewer than `minSize` voxels (`runs.ts` sizes). */
export function paintSmallBitRuns(m: BitMask, runs: Runs, sizes: Float64Array, minSize: number, value: 0 | 1): void {
  const WX = m.wordsPerRow;
  const rows = m.shape[0] * m.shape[1];
  for (let r = 0; r < rows; r++) {
    for (let k = runs.rowStart[r]; k < runs.rowStart[r + 1]; k++) {
      if (sizes[runs.comp[k]] < minSize) fillBits(m.bits, r * WX, runs.x0[k], runs.x1[k], value);
    }
  }
}
