/**
 * OME-Zarr images (NGFF 0.4 / Zarr v2 and NGFF 0.5 / Zarr v3) as an `ImageStack`: TZCYX view of one
 * resolution level, channels read per (c, t) — and by region, so that a `crop_for_testing` or a z-crop reads
 * only the chunks it touches (zarrita's `get` with slices fetches only the chunks a selection overlaps).
 *
 * Chunk semantics: the Zarr spec lets a missing chunk stand for `fill_value`. For microscopy acquisitions a
 * missing chunk file is almost always a failed copy, so CellColoc refuses it with the chunk's key (a sparse
 * store written on purpose can be re-saved with its chunks materialised). Every chunk read is counted
 * (chunks, bytes) for the run manifest.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';
import { inputError, isCellColocError } from '../../core/errors.js';
import type { Volume, VoxelData } from '../../core/volume.js';
import { readChunkFile } from './chunk-files.js';
import { assembleRegion, type AxisSelection, type ChunkLike, type ChunkSource } from './assemble.js';
import { chunkKeyEncoder, directCodecOf, type ArrayMetadata } from './direct-decode.js';
import { POOL_MIN_CHUNKS, poolDecodes, startDecodePool } from './decode-pool.js';
import { installNativeCodecs } from './native-codecs.js';
import { isZarrPath, parseNgffImage, readGroupAttributes, type NgffImage } from './ngff-metadata.js';

// After decode-pool.js has wrapped numcodecs' entries: the native decoders fall back to those.
installNativeCodecs();

/** Half-open `[[z0, z1], [y0, y1], [x0, x1]]` in voxels of the stored level. */
export type ZyxRegion = [[number, number], [number, number], [number, number]];

export type ZarrDtype = 'uint8' | 'uint16' | 'uint32' | 'int16' | 'int32' | 'float32';
const DTYPES: Record<string, ZarrDtype> = { uint8: 'uint8', uint16: 'uint16', uint32: 'uint32', int16: 'int16', int32: 'int32', float32: 'float32' };
const ITEM_BYTES: Record<ZarrDtype, number> = { uint8: 1, uint16: 2, uint32: 4, int16: 2, int32: 4, float32: 4 };

export interface ZarrReadStats {
  chunks: number;
  bytes: number;
}

export interface ZarrImage {
  /** Absolute path of the image group. */
  path: string;
  ngff: NgffImage;
  level: number;
  /** Stored shape as TZCYX (absent axes = 1). */
  shapeTzcyx: [number, number, number, number, number];
  dtype: ZarrDtype;
  /** µm per voxel of the chosen level, `[z, y, x]` (null = unknown unit / absent axis). */
  voxelUm: [number | null, number | null, number | null];
  /** Warnings about units that could not be used. */
  warnings: string[];
  chunkShape: number[];
  read(c: number, t: number, region: ZyxRegion | null): Promise<Volume>;
  stats(): ZarrReadStats;
}

/**
 * A FileSystemStore that counts chunk reads and refuses missing chunks (see the header). Blosc frames are
 * checked against their own header before decoding: numcodecs' blosc decoder returns garbage instead of an
 * error for a truncated frame (seen with a chunk cut to 10 bytes), so the compressed size the 16-byte header
 * declares (bytes 12–15, little-endian) must equal the chunk file's size.
 */
class CountingStore extends FileSystemStore {
  chunks = 0;
  bytes = 0;
  /** Set once the array's metadata says its chunks are blosc frames. */
  bloscFrames = false;
  /** Chunks already read by the direct path and handed to zarrita (chunks it does not decode): not read again. */
  private readonly preloaded = new Map<string, Uint8Array>();
  constructor(root: string, private readonly label: string) {
    super(root);
  }
  override async get(key: `/${string}`): Promise<Uint8Array | undefined> {
    const path = join(this.root, key.slice(1));
    const pre = this.preloaded.get(path);
    if (pre) {
      this.preloaded.delete(path);
      return pre;
    }
    const isMeta = /(^|\/)(\.zarray|\.zattrs|\.zgroup|zarr\.json|\.zmetadata)$/.test(key);
    return isMeta ? readLocal(path) : this.readChunk(path, key.slice(1));
  }
  /** A chunk file's bytes (`key` = its key in the store, for messages), checked and counted. */
  readChunk(path: string, key: string): Uint8Array {
    const v = readChunkFile(path);
    if (v === undefined) throw inputError(`${this.label}: chunk ${key} is missing (expected a chunk file; the store may be incomplete)`);
    if (this.bloscFrames) {
      const declared = v.byteLength >= 16 ? new DataView(v.buffer, v.byteOffset, 16).getUint32(12, true) : -1;
      if (declared !== v.byteLength) {
        throw inputError(`${this.label}: chunk ${key} is truncated or corrupt (a blosc frame of ${v.byteLength} bytes${declared >= 0 ? ` declaring ${declared}` : ''})`);
      }
    }
    this.chunks++;
    this.bytes += v.byteLength;
    return v;
  }
  /** The next `get` of the chunk at `path` returns `bytes` (already read and counted). */
  preload(path: string, bytes: Uint8Array): void {
    this.preloaded.set(path, bytes);
  }
}

/** A metadata file's bytes, or undefined when there is no such file. */
function readLocal(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Opens level `level` of the OME-Zarr image at `path` (metadata only; pixels on `read`). */
export async function openZarrImage(path: string, level = 0): Promise<ZarrImage> {
  const ga = await readGroupAttributes(path, path);
  const ngff = parseNgffImage(ga, path);
  if (!Number.isInteger(level) || level < 0 || level >= ngff.levels.length) {
    throw inputError(`${path}: resolution_level: expected 0..${ngff.levels.length - 1} (the image has ${ngff.levels.length} level${ngff.levels.length === 1 ? '' : 's'}), got ${level}`);
  }
  const lv = ngff.levels[level];
  const label = `${path}: ${lv.path}`;
  const store = new CountingStore(path, label);
  let arr: zarr.Array<zarr.DataType, CountingStore>;
  try {
    arr = await zarr.open(zarr.root(store).resolve(lv.path), { kind: 'array' });
  } catch (e) {
    throw inputError(`${label}: cannot open the array (${(e as Error).message.split('\n')[0]})`, e);
  }
  const meta = await readArrayMetadata(join(path, lv.path));
  const codecs = codecNames(meta);
  // An unknown codec is refused before any chunk is read (else it surfaces as an undecodable chunk).
  // (`sharding_indexed` is zarrita's own, outside the registry.)
  const unknown = codecs.find((n) => n !== 'sharding_indexed' && !zarr.registry.has(n) && !zarr.registry.has(`numcodecs.${n}`));
  if (unknown) {
    throw inputError(`${label}: codec "${unknown}" is not supported (expected blosc, zstd, gzip, zlib, lz4 or none)`);
  }
  store.bloscFrames = codecs.some((c) => c === 'blosc' || c === 'numcodecs.blosc');
  const pooled = poolDecodes(codecs);
  const dtype = DTYPES[arr.dtype as string];
  if (!dtype) throw inputError(`${label}: data type ${arr.dtype} is not supported (expected uint8, uint16, uint32, int16, int32 or float32)`);
  if (arr.shape.length !== ngff.axes.length) {
    throw inputError(`${label}: the array has ${arr.shape.length} dimensions but multiscales axes name ${ngff.axes.length} (${ngff.axes.join(', ')})`);
  }
  const sizeOf = (a: string) => {
    const i = ngff.axes.indexOf(a as never);
    return i < 0 ? 1 : arr.shape[i];
  };
  const shapeTzcyx: [number, number, number, number, number] = [sizeOf('t'), sizeOf('c'), sizeOf('z'), sizeOf('y'), sizeOf('x')].map((v, i, s) =>
    // reorder T C Z Y X → T Z C Y X
    i === 1 ? s[2] : i === 2 ? s[1] : v,
  ) as [number, number, number, number, number];
  const warnings: string[] = [];
  const um = (a: 'z' | 'y' | 'x'): number | null => {
    const i = ngff.axes.indexOf(a);
    if (i < 0) return null;
    if (ngff.unitUm[i] === null) {
      if (ngff.units[i] !== '') warnings.push(`${path}: axis ${a} has unit "${ngff.units[i]}", which is not a length unit CellColoc knows`);
      return null;
    }
    return lv.scale[i] * ngff.unitUm[i]!;
  };
  const voxelUm: [number | null, number | null, number | null] = [um('z'), um('y'), um('x')];
  const chunkShape = (arr as unknown as { chunks: number[] }).chunks;
  const arrayDir = join(path, lv.path);
  const chunkKey = chunkKeyEncoder(meta);
  const source: ChunkSource = {
    chunkShape,
    codec: directCodecOf(meta, ITEM_BYTES[dtype]),
    readChunk: (cc) => {
      const key = chunkKey(cc);
      return store.readChunk(join(arrayDir, key), `${lv.path}/${key}`);
    },
    zarritaChunk: async (cc, bytes) => {
      if (bytes) store.preload(join(arrayDir, chunkKey(cc)), bytes);
      return (await arr.getChunk(cc as number[])) as unknown as ChunkLike;
    },
  };

  const read = async (c: number, t: number, region: ZyxRegion | null): Promise<Volume> => {
    const [T, Z, C, Y, X] = shapeTzcyx;
    if (!Number.isInteger(c) || c < 0 || c >= C) throw inputError(`${path}: channel ${c} requested but the image has ${C} channel${C === 1 ? '' : 's'}`);
    if (!Number.isInteger(t) || t < 0 || t >= T) throw inputError(`${path}: time point ${t} requested but the image has ${T}`);
    const r: ZyxRegion = region ?? [[0, Z], [0, Y], [0, X]];
    const sel = ngff.axes.map((a) => {
      switch (a) {
        case 't':
          return t;
        case 'c':
          return c;
        case 'z':
          return zarr.slice(r[0][0], r[0][1]);
        case 'y':
          return zarr.slice(r[1][0], r[1][1]);
        default:
          return zarr.slice(r[2][0], r[2][1]);
      }
    });
    if (pooled) {
      const touched = ngff.axes.map((a) => (a === 't' ? t : a === 'c' ? c : r[a === 'z' ? 0 : a === 'y' ? 1 : 2]));
      if (chunksTouched(touched, (arr as unknown as { chunks: number[] }).chunks) >= POOL_MIN_CHUNKS) startDecodePool();
    }
    const bounds: AxisSelection[] = ngff.axes.map((a) => (a === 't' ? t : a === 'c' ? c : r[a === 'z' ? 0 : a === 'y' ? 1 : 2]));
    let chunk: { data: unknown; shape: number[] };
    try {
      const fast = await assembleRegion(source, bounds, dtype);
      chunk = fast ? { data: fast, shape: [] } : ((await zarr.get(arr, sel)) as { data: unknown; shape: number[] });
    } catch (e) {
      if (isCellColocError(e)) throw e;
      throw inputError(`${label}: cannot decode a chunk (${(e as Error).message.split('\n')[0]}); the store may be truncated or corrupt`, e);
    }
    const shape: [number, number, number] = [r[0][1] - r[0][0], r[1][1] - r[1][0], r[2][1] - r[2][0]];
    const data = chunk.data as VoxelData;
    if (data.length !== shape[0] * shape[1] * shape[2]) throw inputError(`${label}: decoded ${data.length} values for a region of ${shape.join('×')}`);
    return { data, shape };
  };
  return {
    path,
    ngff,
    level,
    shapeTzcyx,
    dtype,
    voxelUm,
    warnings,
    chunkShape,
    read,
    stats: () => ({ chunks: store.chunks, bytes: store.bytes }),
  };
}

/** The array's metadata file (read synchronously, as readJson in ngff-metadata.ts): Zarr v2 `.zarray` or v3 `zarr.json` ({} when neither parses: zarrita opened it). */
async function readArrayMetadata(arrayPath: string): Promise<ArrayMetadata> {
  const read = async (f: string) => {
    try {
      return JSON.parse(readFileSync(join(arrayPath, f), 'utf8')) as ArrayMetadata;
    } catch {
      return null;
    }
  };
  const v2 = await read('.zarray');
  if (v2) return { ...v2, zarr_format: 2 };
  return (await read('zarr.json')) ?? {};
}

/** The array's compression codecs: Zarr v2 `.zarray` `compressor.id`, or the v3 `zarr.json` codec names. */
function codecNames(meta: ArrayMetadata): string[] {
  if (meta.zarr_format === 2) return meta.compressor?.id ? [meta.compressor.id] : [];
  return (meta.codecs ?? []).map((c) => c?.name ?? '').filter((n) => n !== '');
}

/** Chunks of an array with chunk shape `chunks` that a selection (index or [start, stop) per axis) touches. */
function chunksTouched(sel: readonly (number | [number, number])[], chunks: readonly number[]): number {
  let n = 1;
  sel.forEach((s, i) => {
    if (typeof s !== 'number') n *= Math.ceil(s[1] / chunks[i]) - Math.floor(s[0] / chunks[i]);
  });
  return n;
}

export { isZarrPath };

/** A short name for messages. */
export function zarrName(path: string): string {
  return basename(path);
}
