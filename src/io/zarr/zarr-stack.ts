/**
 * OME-Zarr images (NGFF 0.4 / Zarr v2 and NGFF 0.5 / Zarr v3) as an `ImageStack`: TZCYX view of one
 * resolution level, channels read per (c, t) — and by region, so that a `crop_for_testing` or a z-crop reads
 * only the chunks it touches (assemble.ts). The metadata is read with plain code and, for the common layouts, the
 * chunks are decoded without zarrita (array-metadata.ts, direct-decode.ts); zarrita is loaded only for the arrays and
 * chunks the direct path leaves to it (zarrita-array.ts).
 *
 * Chunk semantics: the Zarr spec lets a missing chunk stand for `fill_value`. For microscopy acquisitions a
 * missing chunk file is almost always a failed copy, so CellColoc refuses it with the chunk's key (a sparse
 * store written on purpose can be re-saved with its chunks materialised). Every chunk read is counted
 * (chunks, bytes) for the run manifest.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { inputError, isCellColocError } from '../../core/errors.js';
import type { Volume, VoxelData } from '../../core/volume.js';
import { readChunkFile, releaseChunk } from './chunk-files.js';
import { assembleRegion, type AxisSelection, type ChunkSource } from './assemble.js';
import { chunkKeyEncoder } from './direct-decode.js';
import { codecNames, ITEM_BYTES, plainArray, readArrayMetadata, type ZarrDtype } from './array-metadata.js';
import { isZarrPath, parseNgffImage, readGroupAttributes, type NgffImage } from './ngff-metadata.js';
import type { ChunkFiles, ZarritaArray } from './zarrita-array.js';

/** Half-open `[[z0, z1], [y0, y1], [x0, x1]]` in voxels of the stored level. */
export type ZyxRegion = [[number, number], [number, number], [number, number]];

export type { ZarrDtype };
const DTYPES: Record<string, ZarrDtype> = { uint8: 'uint8', uint16: 'uint16', uint32: 'uint32', int16: 'int16', int32: 'int32', float32: 'float32' };

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
 * The store's chunk files: counts chunk reads and refuses missing chunks (see the header). Blosc frames are
 * checked against their own header before decoding: numcodecs' blosc decoder returns garbage instead of an error
 * for a truncated frame (seen with a chunk cut to 10 bytes), so the compressed size the 16-byte header declares
 * (bytes 12–15, little-endian) must equal the chunk file's size. zarrita reads through it too (zarrita-array.ts).
 */
class CountingFiles implements ChunkFiles {
  chunks = 0;
  bytes = 0;
  /** Set once the array's metadata says its chunks are blosc frames. */
  bloscFrames = false;
  constructor(private readonly label: string) {}
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
  readMetadata(path: string): Uint8Array | undefined {
    try {
      return readFileSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
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
  const arrayDir = join(path, lv.path);
  const files = new CountingFiles(label);
  const meta = readArrayMetadata(arrayDir);
  const codecs = codecNames(meta);
  files.bloscFrames = codecs.some((c) => c === 'blosc' || c === 'numcodecs.blosc');
  // The common layouts are read without zarrita (array-metadata.ts); it is loaded for the others, and for a chunk
  // the direct path leaves to it (a bit-shuffled or lz4 blosc frame), only then.
  const plain = plainArray(meta);
  let zarrita: Promise<ZarritaArray> | null = null;
  const openZarrita = () =>
    (zarrita ??= import('./zarrita-array.js').then((m) => m.openZarritaArray(path, lv.path, label, files, codecs)));
  const za = plain ? null : await openZarrita();
  const shape = plain ? plain.shape : za!.shape;
  const dtype = plain ? plain.dtype : DTYPES[za!.dtype];
  if (!dtype) throw inputError(`${label}: data type ${za!.dtype} is not supported (expected uint8, uint16, uint32, int16, int32 or float32)`);
  if (shape.length !== ngff.axes.length) {
    throw inputError(`${label}: the array has ${shape.length} dimensions but multiscales axes name ${ngff.axes.length} (${ngff.axes.join(', ')})`);
  }
  const sizeOf = (a: string) => {
    const i = ngff.axes.indexOf(a as never);
    return i < 0 ? 1 : shape[i];
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
  const chunkShape = plain ? plain.chunks : za!.chunks;
  const chunkKey = chunkKeyEncoder(meta);
  /** Chunks the read in progress touches (the decode workers start for large reads only, zarrita-array.ts). */
  let touching = 0;
  const source: ChunkSource = {
    chunkShape,
    codec: plain ? plain.codec : null,
    readChunk: (cc) => {
      const key = chunkKey(cc);
      return files.readChunk(join(arrayDir, key), `${lv.path}/${key}`);
    },
    zarritaChunk: async (cc, bytes) => {
      const z = await openZarrita();
      z.readStarts(touching);
      return z.getChunk(cc, join(arrayDir, chunkKey(cc)), bytes);
    },
    releaseChunk,
  };

  const read = async (c: number, t: number, region: ZyxRegion | null): Promise<Volume> => {
    const [T, Z, C, Y, X] = shapeTzcyx;
    if (!Number.isInteger(c) || c < 0 || c >= C) throw inputError(`${path}: channel ${c} requested but the image has ${C} channel${C === 1 ? '' : 's'}`);
    if (!Number.isInteger(t) || t < 0 || t >= T) throw inputError(`${path}: time point ${t} requested but the image has ${T}`);
    const r: ZyxRegion = region ?? [[0, Z], [0, Y], [0, X]];
    const bounds: AxisSelection[] = ngff.axes.map((a) => (a === 't' ? t : a === 'c' ? c : r[a === 'z' ? 0 : a === 'y' ? 1 : 2]));
    touching = Math.max(touching, chunksTouched(bounds, chunkShape));
    let data: VoxelData | null;
    try {
      data = await assembleRegion(source, bounds, dtype);
    } catch (e) {
      if (isCellColocError(e)) throw e;
      throw inputError(`${label}: cannot decode a chunk (${(e as Error).message.split('\n')[0]}); the store may be truncated or corrupt`, e);
    }
    const shape: [number, number, number] = [r[0][1] - r[0][0], r[1][1] - r[1][0], r[2][1] - r[2][0]];
    // (assembleRegion knows every data type above: null cannot happen)
    if (!data || data.length !== shape[0] * shape[1] * shape[2]) throw inputError(`${label}: decoded ${data?.length ?? 0} values for a region of ${shape.join('×')}`);
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
    stats: () => ({ chunks: files.chunks, bytes: files.bytes }),
  };
}

/** Chunks of an array with chunk shape `chunks` that a selection (index or [start, stop) per axis) touches. */
function chunksTouched(sel: readonly AxisSelection[], chunks: readonly number[]): number {
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
