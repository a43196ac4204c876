/**
 * Zarr chunks decoded and placed without zarrita's chunk pipeline, for the layouts nearly every OME-Zarr uses
 * (issue 20, speed): C-order chunks of a little-endian data type, no filters, compressed with blosc, zstd, zlib or
 * gzip, or not at all. Everything else (Fortran order, filters, transpose, sharding, big-endian data; blosc frames
 * that are bit-shuffled or lz4/blosclz/snappy; no native zstd) goes through zarrita as before (assemble.ts).
 *
 * Why: zarrita decodes a chunk into a chunk-sized typed array (after numcodecs' unshuffle into another one), which
 * the reader then copies into the region — per chunk several promise hops, one or two full passes and two buffers
 * of garbage. Here a blosc frame's streams go to libzstd / zlib on the thread pool (native-codecs.ts) and its
 * byte-shuffled blocks are unshuffled straight into the region (place-rows.ts); other chunks are placed from the
 * decoded buffer itself.
 *
 * Metadata: Zarr v2 `.zarray` (`compressor`, `filters`, `order`, `dtype` byte order, `dimension_separator`) and
 * Zarr v3 `zarr.json` (`codecs`: `bytes` little-endian, then at most one compressor; `chunk_key_encoding`),
 * https://zarr-specs.readthedocs.io.
 */
import { endianness } from 'node:os';
import { bloscBytes, decodeBloscBlocks, type BloscContent } from './blosc-frame.js';
import { asBuffer, bloscDecoders, gunzipAsync, inflateAsync, nativeZstd } from './native-codecs.js';
import { placeElements, placeShuffled2, placeShuffled4, type RowPlan } from './place-rows.js';
import type { VoxelData } from '../../core/volume.js';

export type DirectCodec = 'blosc' | 'zstd' | 'zlib' | 'gzip' | 'raw';

/** An array's metadata file as read (`.zarray` or `zarr.json`), only the fields used here. */
export interface ArrayMetadata {
  zarr_format?: number;
  // v2
  compressor?: { id?: string } | null;
  filters?: unknown[] | null;
  order?: string;
  dtype?: string;
  dimension_separator?: string;
  // v3
  codecs?: { name?: string; configuration?: { endian?: string } }[];
  chunk_key_encoding?: { name?: string; configuration?: { separator?: string } };
}

const COMPRESSORS: Record<string, DirectCodec> = { blosc: 'blosc', zstd: 'zstd', zlib: 'zlib', gzip: 'gzip' };
const compressorOf = (name: string | undefined): DirectCodec | undefined => COMPRESSORS[(name ?? '').replace(/^numcodecs\./, '')];

/** The codec of the direct path for this array, or null when zarrita must decode it (see the header). */
export function directCodecOf(meta: ArrayMetadata, itemBytes: number): DirectCodec | null {
  if (endianness() !== 'LE') return null;
  if (meta.zarr_format === 2 || meta.dtype !== undefined) {
    if (meta.order !== undefined && meta.order !== 'C') return null;
    if (meta.filters && meta.filters.length > 0) return null;
    if (itemBytes > 1 && !/^</.test(meta.dtype ?? '')) return null;
    if (!meta.compressor) return 'raw';
    return compressorOf(meta.compressor.id) ?? null;
  }
  const codecs = meta.codecs ?? [];
  if (codecs.length < 1 || codecs.length > 2 || codecs[0]?.name !== 'bytes') return null;
  if (itemBytes > 1 && codecs[0].configuration?.endian !== 'little') return null;
  return codecs.length === 1 ? 'raw' : (compressorOf(codecs[1]?.name) ?? null);
}

/** The chunk key (relative to the array) of chunk-grid coordinates `cc`: v2 `0.1.2` (or `/`), v3 `c/0/1/2`. */
export function chunkKeyEncoder(meta: ArrayMetadata): (cc: readonly number[]) => string {
  if (meta.zarr_format === 2 || meta.dtype !== undefined) {
    const sep = meta.dimension_separator ?? '.';
    return (cc) => (cc.length === 0 ? '0' : cc.join(sep));
  }
  const enc = meta.chunk_key_encoding;
  if (enc?.name === 'v2') {
    const sep = enc.configuration?.separator ?? '.';
    return (cc) => (cc.length === 0 ? '0' : cc.join(sep));
  }
  const sep = enc?.configuration?.separator ?? '/';
  return (cc) => ['c', ...cc].join(sep);
}

/** Where decoded chunks go: the region's array and its unsigned views for the unshuffle. */
export interface PlaceTarget {
  out: VoxelData;
  /** Bytes per element (1, 2 or 4). */
  itemBytes: number;
  /** The element type's constructor (a view of decoded bytes as elements). */
  View: new (buffer: ArrayBufferLike, byteOffset: number, length: number) => VoxelData;
  out16: Uint16Array | null;
  out32: Uint32Array | null;
}

export function placeTarget(out: VoxelData): PlaceTarget {
  const itemBytes = out.BYTES_PER_ELEMENT;
  return {
    out,
    itemBytes,
    View: out.constructor as PlaceTarget['View'],
    out16: itemBytes === 2 ? new Uint16Array(out.buffer, out.byteOffset, out.length) : null,
    out32: itemBytes === 4 ? new Uint32Array(out.buffer, out.byteOffset, out.length) : null,
  };
}

let blosc: ReturnType<typeof bloscDecoders> | null = null;

/** Places a decoded chunk's overlap (its row plan) into the target. */
export type Placer = (plan: RowPlan) => void;

/**
 * Decodes one chunk's stored bytes; the result places it (kept apart so that the caller can wait for the output to
 * be ready between the two, prefault.ts). null = this chunk needs zarrita (a blosc frame this path does not
 * decode, no native zstd here); throws for a chunk that does not decode to the chunk's size.
 */
export async function decodeChunk(bytes: Uint8Array, codec: DirectCodec, t: PlaceTarget, chunkElems: number): Promise<Placer | null> {
  const want = chunkElems * t.itemBytes;
  let decoded: Uint8Array;
  switch (codec) {
    case 'raw':
      decoded = bytes;
      break;
    case 'zstd': {
      const z = nativeZstd();
      if (!z) return null;
      decoded = await z.decompress(asBuffer(bytes));
      break;
    }
    case 'zlib':
      decoded = await inflateAsync(bytes);
      break;
    case 'gzip':
      decoded = await gunzipAsync(bytes);
      break;
    case 'blosc': {
      const c = await decodeBloscBlocks(bytes, (blosc ??= bloscDecoders()));
      if (!c) return null;
      if (!('bytes' in c) && c.nbytes === want && unshuffles(c, t)) return (plan) => placeUnshuffled(c, t, plan);
      decoded = bloscBytes(c, bytes);
      break;
    }
  }
  if (decoded.byteLength !== want) throw new Error(`a chunk decoded to ${decoded.byteLength} bytes, expected ${want} (${chunkElems} values)`);
  const E = t.itemBytes;
  // A view of the decoded bytes as elements needs an aligned offset; else one copy to a fresh buffer
  // (`new Uint8Array(view)` copies; a Buffer's `slice` would not).
  const src = decoded.byteOffset % E === 0 ? new t.View(decoded.buffer, decoded.byteOffset, chunkElems) : new t.View(new Uint8Array(decoded).buffer, 0, chunkElems);
  return (plan) => placeElements(t.out, plan, src, 0, 0, chunkElems);
}

type BloscBlocks = Exclude<BloscContent, { bytes: Uint8Array }>;

/**
 * Whether a frame's blocks can be unshuffled straight into the target: byte-shuffled 2- or 4-byte elements, the
 * shuffle size the element's, whole elements per block. Otherwise the caller joins the blocks and places the bytes.
 */
function unshuffles(c: BloscBlocks, t: PlaceTarget): boolean {
  const E = t.itemBytes;
  if (!c.shuffled || c.typesize !== E || (E !== 2 && E !== 4)) return false;
  return c.blocks.every((b) => b.size % E === 0 && b.offset % E === 0 && (b.parts.length === 1 || b.parts.length === E));
}

/** Byte-shuffled blosc blocks (`unshuffles`) unshuffled straight into the target. */
function placeUnshuffled(c: BloscBlocks, t: PlaceTarget, plan: RowPlan): void {
  const E = t.itemBytes;
  for (const b of c.blocks) {
    const n = b.size / E;
    const e0 = b.offset / E;
    // Split: one stream per byte of the element. Unsplit: the block's n first bytes, then its n second bytes, ….
    const p = (k: number) => (b.parts.length === 1 ? b.parts[0] : b.parts[k]);
    const at = (k: number) => (b.parts.length === 1 ? k * n : 0);
    if (E === 2) placeShuffled2(t.out16!, plan, p(0), at(0), p(1), at(1), e0, e0 + n);
    else placeShuffled4(t.out32!, plan, p(0), at(0), p(1), at(1), p(2), at(2), p(3), at(3), e0, e0 + n);
  }
}
