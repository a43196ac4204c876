/**
 * Assembles a region of a Zarr array from its chunks with one `TypedArray.set` per chunk row (issue 20, speed).
 *
 * zarrita's `get` copies every chunk into the output through its generic strided setter (`setFromChunkBinary`,
 * element by element): profiled, that copy was as costly on the main thread as decoding for a 2048² image. Here
 * each chunk's overlap with the region is copied row by row (runs along x, the last NGFF axis, contiguous in a
 * C-order chunk) straight into the output, and the chunks are fetched concurrently so that file reads and the
 * decode workers (decode-pool.ts) overlap. Chunks that are not C-contiguous along x (F order, a transpose codec)
 * return null: the caller falls back to `zarr.get`.
 */
import type * as zarr from 'zarrita';
import type { VoxelData } from '../../core/volume.js';

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

interface ChunkLike {
  data: VoxelData;
  shape: number[];
  stride: number[];
}

/** The region, C order over the range axes (absent axes of size 1); null when a chunk is not C-contiguous along x. */
export async function assembleRegion(
  arr: zarr.Array<zarr.DataType, zarr.Readable>,
  sel: readonly AxisSelection[],
  dtype: string,
): Promise<VoxelData | null> {
  const Out = CTORS[dtype];
  if (!Out) return null;
  const chunkShape = (arr as unknown as { chunks: number[] }).chunks;
  const nd = sel.length;
  const lo = sel.map((s) => (typeof s === 'number' ? s : s[0]));
  const hi = sel.map((s) => (typeof s === 'number' ? s + 1 : s[1]));
  const ext = lo.map((l, i) => hi[i] - l);
  // Output strides over all axes (single-index axes have extent 1, so they do not move the offset).
  const outStride = new Array<number>(nd).fill(1);
  for (let i = nd - 2; i >= 0; i--) outStride[i] = outStride[i + 1] * ext[i + 1];
  const out = new Out(ext.reduce((a, b) => a * b, 1));
  const c0 = lo.map((l, i) => Math.floor(l / chunkShape[i]));
  const c1 = hi.map((h, i) => Math.ceil(h / chunkShape[i]));
  const coords: number[][] = [];
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
  let contiguous = true;
  const place = (cc: number[], ch: ChunkLike) => {
    if (ch.stride[nd - 1] !== 1) {
      contiguous = false;
      return;
    }
    // Overlap of this chunk with the region, per axis, in array coordinates.
    const start = cc.map((k, i) => Math.max(lo[i], k * chunkShape[i]));
    const stop = cc.map((k, i) => Math.min(hi[i], (k + 1) * chunkShape[i]));
    const run = stop[nd - 1] - start[nd - 1];
    const pos = [...start];
    const src = ch.data;
    for (;;) {
      let s = 0;
      let d = 0;
      for (let i = 0; i < nd; i++) {
        s += (pos[i] - cc[i] * chunkShape[i]) * ch.stride[i];
        d += (pos[i] - lo[i]) * outStride[i];
      }
      out.set(src.subarray(s, s + run) as never, d);
      let a = nd - 2;
      while (a >= 0 && ++pos[a] >= stop[a]) {
        pos[a] = start[a];
        a--;
      }
      if (a < 0) break;
    }
  };
  await Promise.all(
    coords.map(async (cc) => {
      const ch = (await arr.getChunk(cc)) as unknown as ChunkLike;
      if (contiguous) place(cc, ch);
    }),
  );
  return contiguous ? out : null;
}
