/**
 * A Zarr array's metadata read with plain code (issue 20, speed): Zarr v2 `.zarray` and v3 `zarr.json`
 * (https://zarr-specs.readthedocs.io). For the layouts the direct chunk path reads (direct-decode.ts) this is all an
 * open needs, so such a store never loads zarrita, its codec registry or the numcodecs glue: ~4–6 ms of module
 * initialisation and compilation per process, more than the whole metadata read.
 *
 * Only what is certain is taken here; anything else (an unknown field value, a sharded or transposed array, a data
 * type CellColoc does not read, a malformed file) returns null, and zarrita opens the array as before — so its
 * checks and messages stay those of every other store.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { directCodecOf, type ArrayMetadata, type DirectCodec } from './direct-decode.js';

export type ZarrDtype = 'uint8' | 'uint16' | 'uint32' | 'int16' | 'int32' | 'float32';
export const ITEM_BYTES: Record<ZarrDtype, number> = { uint8: 1, uint16: 2, uint32: 4, int16: 2, int32: 4, float32: 4 };

/** Zarr v2 dtype codes (little-endian or byte order irrelevant) of the data types above. */
const V2_DTYPES: Record<string, ZarrDtype> = { '|u1': 'uint8', '<u1': 'uint8', '<u2': 'uint16', '<u4': 'uint32', '<i2': 'int16', '<i4': 'int32', '<f4': 'float32' };
const V3_DTYPES: Record<string, ZarrDtype> = { uint8: 'uint8', uint16: 'uint16', uint32: 'uint32', int16: 'int16', int32: 'int32', float32: 'float32' };

/** The array's metadata file: Zarr v2 `.zarray` or v3 `zarr.json` ({} when neither parses: zarrita reports why). */
export function readArrayMetadata(arrayPath: string): ArrayMetadata {
  const read = (f: string): ArrayMetadata | null => {
    try {
      const v = JSON.parse(readFileSync(join(arrayPath, f), 'utf8')) as unknown;
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as ArrayMetadata) : null;
    } catch {
      return null;
    }
  };
  const v2 = read('.zarray');
  if (v2) return { ...v2, zarr_format: 2 };
  return read('zarr.json') ?? {};
}

/** The array's compression codecs: Zarr v2 `.zarray` `compressor.id`, or the v3 `zarr.json` codec names. */
export function codecNames(meta: ArrayMetadata): string[] {
  if (meta.zarr_format === 2) return meta.compressor?.id ? [meta.compressor.id] : [];
  return (meta.codecs ?? []).map((c) => c?.name ?? '').filter((n) => n !== '');
}

/** An array the direct path reads without zarrita. */
export interface PlainArray {
  shape: number[];
  chunks: number[];
  dtype: ZarrDtype;
  codec: DirectCodec;
}

const isDims = (v: unknown): v is number[] => Array.isArray(v) && v.every((n) => Number.isSafeInteger(n) && n >= 0);

/** The array as the direct path reads it, or null: zarrita opens it (see the header). */
export function plainArray(meta: ArrayMetadata): PlainArray | null {
  const m = meta as ArrayMetadata & {
    shape?: unknown;
    chunks?: unknown;
    node_type?: unknown;
    data_type?: unknown;
    chunk_grid?: { name?: unknown; configuration?: { chunk_shape?: unknown } };
    storage_transformers?: unknown[];
  };
  let dtype: ZarrDtype | undefined;
  let chunks: unknown;
  if (m.zarr_format === 2) {
    dtype = typeof m.dtype === 'string' ? V2_DTYPES[m.dtype] : undefined;
    chunks = m.chunks;
  } else if (m.zarr_format === 3 && m.node_type === 'array') {
    if (m.chunk_grid?.name !== 'regular' || (m.storage_transformers && m.storage_transformers.length > 0)) return null;
    dtype = typeof m.data_type === 'string' ? V3_DTYPES[m.data_type] : undefined;
    chunks = m.chunk_grid.configuration?.chunk_shape;
  } else return null;
  if (!dtype || !isDims(m.shape) || !isDims(chunks) || chunks.length !== m.shape.length || chunks.some((c) => c < 1)) return null;
  const codec = directCodecOf(meta, ITEM_BYTES[dtype]);
  return codec ? { shape: m.shape, chunks, dtype, codec } : null;
}
