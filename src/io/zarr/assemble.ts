/**
 * Assembles a region of a Zarr array from its chunks (issue 20, speed).
 *
 * Chunks go through a few lanes at a time: a lane reads its chunk file (synchronously, see zarr-stack.ts), hands
 * its compressed streams to the thread pool and, while they decode, the next lane reads the next file — so file
 * reads, decoding on libuv's threads and the main thread's placing overlap, and no more than `LANES` decoded
 * chunks are alive at once (a whole 16384² level is 4096 chunks). Before, every file was read before the first
 * decode could start.
 *
 * Each chunk's overlap with the region is copied by its row plan (place-rows.ts). Chunks of the common layouts are
 * decoded here without zarrita (direct-decode.ts); the others through zarrita's `getChunk`, Fortran-order chunks
 * (Zarr v2 `order: F`) element by element along their strides. The output is always C order (zarrita's `get`
 * returns an F-order array's region in F order, which the reader once took for C order).
 */
import type { VoxelData } from '../../core/volume.js';
import { decodeChunk, placeTarget, type DirectCodec } from './direct-decode.js';
import { prefault } from './prefault.js';
import { placeElements, rowPlan, type RowPlan } from './place-rows.js';

/** Per axis of the array: a single index (t, c) or a half-open `[start, stop)` range (z, y, x). */
export type AxisSelection = number | readonly [number, number];

type Ctor = new (n: number) => VoxelData;
const CTORS: Record<string, Ctor> = {
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
};

/** A decoded chunk as zarrita returns it. */
export interface ChunkLike {
  data: VoxelData;
  shape: number[];
  stride: number[];
}

/** Where the chunks come from (zarr-stack.ts). */
export interface ChunkSource {
  chunkShape: readonly number[];
  /** The direct decoder for this array, or null: every chunk through `zarritaChunk`. */
  codec: DirectCodec | null;
  /** A chunk's stored bytes (counted; a missing or truncated chunk throws). */
  readChunk(cc: readonly number[]): Uint8Array;
  /** zarrita's decoded chunk; `bytes` = its stored bytes when already read (not read or counted again). */
  zarritaChunk(cc: readonly number[], bytes?: Uint8Array): Promise<ChunkLike>;
  /** Called with a chunk's stored bytes (from `readChunk`) once it is placed: no view of them is used any more. */
  releaseChunk?(bytes: Uint8Array): void;
}

/**
 * Chunks in flight at once: enough to keep libuv's 4 threads busy (a blosc chunk is one or two jobs) while the
 * main thread reads and places, few enough to bound the decoded chunks alive at once.
 */
const LANES = 16;

/** The region in C order over the range axes (absent axes of size 1); null for a data type it does not know. */
export async function assembleRegion(src: ChunkSource, sel: readonly AxisSelection[], dtype: string): Promise<VoxelData | null> {
  const Out = CTORS[dtype];
  if (!Out) return null;
  const chunkShape = src.chunkShape;
  const nd = sel.length;
  const lo = sel.map((s) => (typeof s === 'number' ? s : s[0]));
  const hi = sel.map((s) => (typeof s === 'number' ? s + 1 : s[1]));
  const ext = lo.map((l, i) => hi[i] - l);
  // Output strides over all axes (single-index axes have extent 1, so they do not move the offset).
  const outStride = new Array<number>(nd).fill(1);
  for (let i = nd - 2; i >= 0; i--) outStride[i] = outStride[i + 1] * ext[i + 1];
  const out = new Out(ext.reduce((a, b) => a * b, 1));
  const target = placeTarget(out);
  const chunkElems = chunkShape.reduce((a, b) => a * b, 1);
  const c0 = lo.map((l, i) => Math.floor(l / chunkShape[i]));
  const c1 = hi.map((h, i) => Math.ceil(h / chunkShape[i]));
  const coords: number[][] = [];
  if (c0.every((v, i) => v < c1[i])) {
    const cur = [...c0];
    for (;;) {
      coords.push([...cur]);
      let a = nd - 1;
      while (a >= 0) {
        if (++cur[a] < c1[a]) break;
        cur[a] = c0[a];
        a--;
      }
      if (a < 0) break;
    }
  }
  // One plan for the region's chunks, reused: each is placed as soon as its plan is made (nothing awaits between).
  let scratch: RowPlan | undefined;
  const planOf = (cc: number[]) => (scratch = rowPlan(cc, chunkShape, lo, hi, outStride, scratch));
  const viaZarrita = (cc: number[], ch: ChunkLike) => {
    const plan = planOf(cc);
    if (isCOrder(ch.stride, chunkShape)) placeElements(out, plan, ch.data, 0, 0, chunkElems);
    else placeStrided(out, cc, ch, chunkShape, lo, hi, outStride);
  };
  // The output's pages are touched on the thread pool while the first chunks are read; nothing is written into it
  // before that is done (prefault.ts).
  const ready = prefault(out);
  const one = async (cc: number[]) => {
    if (src.codec === null) {
      const ch = await src.zarritaChunk(cc);
      await ready;
      return viaZarrita(cc, ch);
    }
    const bytes = src.readChunk(cc);
    const place = await decodeChunk(bytes, src.codec, target, chunkElems);
    const ch = place ? null : await src.zarritaChunk(cc, bytes);
    await ready;
    if (place) place(planOf(cc));
    else viaZarrita(cc, ch!);
    // placed: neither the direct decoders nor zarrita's hand back a view of the stored bytes (blosc-frame.ts copies)
    src.releaseChunk?.(bytes);
  };
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < coords.length) {
      try {
        await one(coords[next++]);
      } catch (e) {
        failed = true; // the other lanes stop reading
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LANES, coords.length) }, lane));
  return out;
}

function isCOrder(stride: readonly number[], shape: readonly number[]): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] > 1 && stride[i] !== s) return false;
    s *= shape[i];
  }
  return true;
}

/** A chunk of any strides (Fortran order) into the region, element by element. */
function placeStrided(out: VoxelData, cc: readonly number[], ch: ChunkLike, chunkShape: readonly number[], lo: readonly number[], hi: readonly number[], outStride: readonly number[]): void {
  const nd = cc.length;
  const st = ch.stride;
  const src = ch.data;
  const start = cc.map((k, i) => Math.max(lo[i], k * chunkShape[i]));
  const stop = cc.map((k, i) => Math.min(hi[i], (k + 1) * chunkShape[i]));
  if (start.some((s, i) => s >= stop[i])) return;
  const run = stop[nd - 1] - start[nd - 1];
  const step = st[nd - 1];
  const pos = [...start];
  for (;;) {
    let s = 0;
    let d = 0;
    for (let i = 0; i < nd; i++) {
      s += (pos[i] - cc[i] * chunkShape[i]) * st[i];
      d += (pos[i] - lo[i]) * outStride[i];
    }
    for (let k = 0; k < run; k++) out[d + k] = src[s + k * step];
    let a = nd - 2;
    while (a >= 0 && ++pos[a] >= stop[a]) {
      pos[a] = start[a];
      a--;
    }
    if (a < 0) break;
  }
}
