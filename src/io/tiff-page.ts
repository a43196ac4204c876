/**
 * One TIFF page's layout as plain data, the dtype mapping, and the range checks every tag value passes
 * before the reader uses it (issue 15: a declared SamplesPerPixel of 2^31 or a 2^24-row strip must be one
 * clear error, never an allocation). Limits are far above what microscopes write, far below what breaks.
 */
import { inputError } from '../core/errors.js';
import type { VoxelData } from '../core/volume.js';
import { COMPRESSION_NAMES } from './tiff-codecs.js';

/** Sample types a page may be stored in (float64/int8 are read but not offered by `ImageStack`). */
export type TiffDtype = 'uint8' | 'uint16' | 'uint32' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** One IFD's layout, as plain data (offsets as numbers; BigTIFF offsets < 2^53 are exact). */
export interface TiffPage {
  /** IFD index in the file (0-based). */
  readonly index: number;
  readonly width: number;
  readonly height: number;
  readonly samplesPerPixel: number;
  readonly bitsPerSample: number;
  /** TIFF SampleFormat: 1 unsigned, 2 signed, 3 IEEE float. */
  readonly sampleFormat: number;
  /** Stored dtype of one sample, or null when the fast path cannot represent it (geotiff decides). */
  readonly dtype: TiffDtype | null;
  readonly compression: number;
  readonly predictor: number;
  /** 1 = interleaved samples (chunky), 2 = one plane per sample. */
  readonly planarConfiguration: number;
  readonly photometric: number;
  readonly tiled: boolean;
  /** Block (strip or tile) size in pixels; a strip is `width × rowsPerStrip`. */
  readonly blockWidth: number;
  readonly blockHeight: number;
  readonly offsets: Float64Array;
  readonly byteCounts: Float64Array;
  /** ColorMap for palette images (3 × 2^bits uint16 values, R then G then B), else null. */
  readonly colorMap: Uint16Array | null;
  /** XResolution / YResolution as pixels per resolution unit (null when absent or invalid). */
  readonly xResolution: number | null;
  readonly yResolution: number | null;
  /** TIFF ResolutionUnit: 1 none, 2 inch, 3 centimetre. */
  readonly resolutionUnit: number;
}

/** Maps (bits, SampleFormat) to a dtype; null for anything the fast path does not decode. */
export function tiffDtype(bits: number, sampleFormat: number): TiffDtype | null {
  if (sampleFormat === 3) return bits === 32 ? 'float32' : bits === 64 ? 'float64' : null;
  if (sampleFormat === 2) return bits === 8 ? 'int8' : bits === 16 ? 'int16' : bits === 32 ? 'int32' : null;
  if (sampleFormat === 1 || sampleFormat === 4 /* undefined → unsigned, as libtiff */) {
    return bits === 8 ? 'uint8' : bits === 16 ? 'uint16' : bits === 32 ? 'uint32' : null;
  }
  return null;
}

/** The dtype `readSample` writes for this page (geotiff's choice for non-fast layouts). */
export function pageDtype(page: TiffPage): TiffDtype | null {
  if (page.dtype) return page.dtype;
  // geotiff's arrayForType: unsigned ≤8 → Uint8, ≤16 → Uint16, ≤32 → Uint32 (e.g. 1-bit, 12-bit).
  if (page.sampleFormat === 1 || page.sampleFormat === 4) {
    if (page.bitsPerSample <= 8) return 'uint8';
    if (page.bitsPerSample <= 16) return 'uint16';
    if (page.bitsPerSample <= 32) return 'uint32';
  }
  return null;
}

/**
 * Compressions decoded block by block by the fast path, every block checked against the size it must have:
 * our bounded decoders (LZW, PackBits), node:zlib (deflate), geotiff's block decoders (JPEG, ZSTD).
 */
export const FAST_COMPRESSIONS = new Set([1, 5, 7, 8, 32946, 32773, 50000]);

/** True when the fast path decodes this page (else geotiff's readRasters, behind the same bounds). */
export function canFastDecode(page: TiffPage): boolean {
  if (!page.dtype) return false;
  if (!FAST_COMPRESSIONS.has(page.compression)) return false;
  // Predictor 2 is integer-only, predictor 3 float-only (validatePage refuses the other pairings).
  if (page.predictor === 2 && page.sampleFormat === 3) return false;
  if (page.predictor === 3 && page.sampleFormat !== 3) return false;
  if (page.photometric === 6) return false; // YCbCr (possibly subsampled)
  return page.blockWidth > 0 && page.blockHeight > 0;
}

/**
 * Palette (PhotometricInterpretation 3) images are accepted only when the colour map is a grey ramp
 * (R = G = B = i·65535/(n−1) within one 8-bit step), so the stored indices are the intensities.
 */
export function checkGreyPalette(path: string, page: TiffPage): void {
  if (page.bitsPerSample > 16) {
    throw inputError(`${path}: palette image (page ${page.index}) with ${page.bitsPerSample}-bit indices; expected at most 16`);
  }
  const cm = page.colorMap;
  const n = 1 << page.bitsPerSample;
  if (!cm || cm.length < 3 * n) {
    throw inputError(`${path}: palette image (page ${page.index}) has no valid ColorMap (expected ${3 * n} entries)`);
  }
  for (let i = 0; i < n; i++) {
    const r = cm[i];
    const ramp = n > 1 ? (i * 65535) / (n - 1) : 0;
    if (r !== cm[n + i] || r !== cm[2 * n + i] || Math.abs(r - ramp) > 257) {
      throw inputError(
        `${path}: palette (indexed-colour) image with a non-grey colour map at entry ${i} (R=${r}, G=${cm[n + i]}, B=${cm[2 * n + i]}); ` +
          `expected a greyscale image or a grey-ramp palette`,
      );
    }
  }
}

/** Typed array constructor for a dtype. */
export function arrayForDtype(dtype: TiffDtype, n: number): VoxelData {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(n);
    case 'uint16':
      return new Uint16Array(n);
    case 'uint32':
      return new Uint32Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
  }
}

/** Typed array of a dtype over an existing buffer (offset 0, `n` values). */
export function viewForDtype(dtype: TiffDtype, buf: ArrayBuffer, n: number): VoxelData {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(buf, 0, n);
    case 'uint16':
      return new Uint16Array(buf, 0, n);
    case 'uint32':
      return new Uint32Array(buf, 0, n);
    case 'int8':
      return new Int8Array(buf, 0, n);
    case 'int16':
      return new Int16Array(buf, 0, n);
    case 'int32':
      return new Int32Array(buf, 0, n);
    case 'float32':
      return new Float32Array(buf, 0, n);
    case 'float64':
      return new Float64Array(buf, 0, n);
  }
}


/** Bytes per sample of each dtype. */
export const DTYPE_BYTES: Record<TiffDtype, number> = {
  uint8: 1, uint16: 2, uint32: 4, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8,
};

/** Width or height in pixels: 2^24 (16.7 M) is beyond any stitched slide CellColoc could segment. */
export const MAX_DIMENSION = 1 << 24;
/** Pixels of one plane: typed-array indices and label ids stay within int32. */
export const MAX_PLANE_PIXELS = 2 ** 31 - 1;
/** Samples per pixel: RGB(A) and interleaved multichannel images stay far below this. */
export const MAX_SAMPLES_PER_PIXEL = 256;
/** One decoded strip or tile (bytes): larger blocks would be a single huge allocation per block. */
export const MAX_BLOCK_BYTES = 2 ** 31 - 1;

/**
 * Range checks of one page's tags (TIFF 6.0 field definitions). `bitsAll`/`formatsAll` are the per-sample
 * BitsPerSample / SampleFormat values. Throws one InputError naming the file, the page and the tag.
 */
export function validatePage(path: string, page: TiffPage, bitsAll: Float64Array, formatsAll: Float64Array): void {
  const bad = (what: string) => inputError(`${path}: corrupt or unsupported TIFF: page ${page.index}: ${what}`);
  const int = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!int(page.width, 1, MAX_DIMENSION) || !int(page.height, 1, MAX_DIMENSION)) {
    throw bad(`ImageWidth × ImageLength = ${page.width} × ${page.height}; expected 1..${MAX_DIMENSION} each`);
  }
  if (page.width * page.height > MAX_PLANE_PIXELS) {
    throw bad(`${page.width} × ${page.height} = ${page.width * page.height} pixels in one plane; at most ${MAX_PLANE_PIXELS} are supported`);
  }
  if (!int(page.samplesPerPixel, 1, MAX_SAMPLES_PER_PIXEL)) {
    throw bad(`SamplesPerPixel = ${page.samplesPerPixel}; expected 1..${MAX_SAMPLES_PER_PIXEL}`);
  }
  if (bitsAll.length !== 1 && bitsAll.length < page.samplesPerPixel) {
    throw bad(`BitsPerSample has ${bitsAll.length} values for SamplesPerPixel = ${page.samplesPerPixel}`);
  }
  for (const b of bitsAll) if (!int(b, 1, 64)) throw bad(`BitsPerSample = ${b}; expected 1..64`);
  for (const f of formatsAll) if (!int(f, 1, 4)) throw bad(`SampleFormat = ${f}; expected 1 (unsigned), 2 (signed), 3 (float) or 4`);
  if (!COMPRESSION_NAMES.has(page.compression)) {
    throw bad(
      `Compression = ${page.compression} is not supported; expected one of ${[...COMPRESSION_NAMES].map(([k, v]) => `${k} (${v})`).join(', ')}`,
    );
  }
  if (!int(page.predictor, 1, 3)) throw bad(`Predictor = ${page.predictor}; expected 1 (none), 2 (horizontal) or 3 (floating point)`);
  if (page.predictor === 2 && page.sampleFormat === 3) throw bad('Predictor 2 (horizontal differencing) on floating-point samples');
  if (page.predictor === 3 && page.sampleFormat !== 3) throw bad('Predictor 3 (floating point) on integer samples');
  if (page.predictor !== 1 && page.bitsPerSample % 8 !== 0) throw bad(`Predictor ${page.predictor} with ${page.bitsPerSample}-bit samples`);
  if (page.planarConfiguration !== 1 && page.planarConfiguration !== 2) {
    throw bad(`PlanarConfiguration = ${page.planarConfiguration}; expected 1 (interleaved) or 2 (planar)`);
  }
  const kind = page.tiled ? 'TileWidth × TileLength' : 'RowsPerStrip';
  if (!int(page.blockWidth, 1, MAX_DIMENSION) || !int(page.blockHeight, 1, MAX_DIMENSION)) {
    throw bad(`${kind} = ${page.tiled ? `${page.blockWidth} × ${page.blockHeight}` : page.blockHeight}; expected 1..${MAX_DIMENSION}`);
  }
  const valuesPerPixel = page.planarConfiguration === 1 ? page.samplesPerPixel : 1;
  const blockBytes = (page.blockWidth * page.blockHeight * valuesPerPixel * page.bitsPerSample) / 8;
  if (blockBytes > MAX_BLOCK_BYTES) {
    throw bad(`one ${page.tiled ? 'tile' : 'strip'} (${kind}) would decode to ${Math.ceil(blockBytes)} bytes; at most ${MAX_BLOCK_BYTES}`);
  }
  for (let i = 0; i < page.offsets.length; i++) {
    if (!(page.offsets[i] >= 0) || !(page.byteCounts[i] >= 0)) {
      throw bad(`${page.tiled ? 'tile' : 'strip'} ${i} has offset ${page.offsets[i]} and byte count ${page.byteCounts[i]}`);
    }
  }
}
