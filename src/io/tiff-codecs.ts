/**
 * Bounded block codecs of the TIFF fast path (TIFF 6.0 §9 PackBits, §13 LZW, §14 differencing predictor;
 * Adobe TIFF Technical Note 3 floating-point predictor). Each decoder writes into an output buffer of the
 * size the page needs and stops there, so a hostile stream can neither grow memory nor run for long: work
 * is O(input + output). geotiff's LZW decoder builds a JS array with no bound (a corrupt stream grows it
 * until V8 aborts the process — issue 15), hence our own.
 */
import type { VoxelData } from '../core/volume.js';

/** A corrupt compressed stream (caught by the reader and turned into an InputError naming file/page/block). */
export class CodecError extends Error {}

const LZW_CLEAR = 256;
const LZW_EOI = 257;
const LZW_FIRST = 258;
const LZW_MAX_CODES = 4096;

/**
 * TIFF LZW (MSB-first codes, 9..12 bits, "early change" as libtiff's `LZWDecode`) into `out`.
 * Returns the number of bytes written; stops when `out` is full, at EOI or at the end of the input
 * (a missing EOI is tolerated, like libtiff). Throws CodecError for codes that cannot occur in a valid
 * stream and for the pre-6.0 "old-style" (LSB-first) variant.
 */
export function decodeLzw(src: Uint8Array, out: Uint8Array): number {
  if (src.length >= 2 && src[0] === 0 && (src[1] & 0x1) !== 0) {
    throw new CodecError('old-style (pre-TIFF 6.0, LSB-first) LZW is not supported');
  }
  const prefix = new Uint16Array(LZW_MAX_CODES);
  const suffix = new Uint8Array(LZW_MAX_CODES);
  const first = new Uint8Array(LZW_MAX_CODES);
  const length = new Uint16Array(LZW_MAX_CODES);
  for (let i = 0; i < 256; i++) {
    suffix[i] = i;
    first[i] = i;
    length[i] = 1;
  }
  const cap = out.length;
  let pos = 0;
  let inPos = 0;
  let bitBuf = 0;
  let bitCount = 0;
  let nbits = 9;
  let next = LZW_FIRST;
  let prev = -1;

  // Writes the string of `code` at `pos` (walking the prefix chain backwards), clipped to `out`.
  const emit = (code: number): void => {
    const len = length[code];
    let c = code;
    for (let k = len - 1; k >= 0; k--) {
      if (pos + k < cap) out[pos + k] = suffix[c];
      c = prefix[c];
    }
    pos = Math.min(cap, pos + len);
  };

  while (pos < cap) {
    while (bitCount < nbits) {
      if (inPos >= src.length) return pos; // input ended without EOI
      bitBuf = ((bitBuf << 8) | src[inPos++]) & 0xffffff;
      bitCount += 8;
    }
    const code = (bitBuf >>> (bitCount - nbits)) & ((1 << nbits) - 1);
    bitCount -= nbits;
    if (code === LZW_EOI) break;
    if (code === LZW_CLEAR) {
      next = LZW_FIRST;
      nbits = 9;
      prev = -1;
      continue;
    }
    if (prev < 0) {
      if (code > 255) throw new CodecError(`corrupt LZW data: code ${code} right after a Clear code (expected a literal < 256)`);
      emit(code);
      prev = code;
      continue;
    }
    let firstChar: number;
    if (code < next) {
      if (code >= LZW_FIRST || code < 256) firstChar = first[code];
      else throw new CodecError(`corrupt LZW data: code ${code}`);
    } else if (code === next && next < LZW_MAX_CODES) {
      firstChar = first[prev]; // the KwKwK case: the new string is prev + its own first byte
    } else {
      throw new CodecError(`corrupt LZW data: code ${code} but the table holds ${next} entries`);
    }
    if (next < LZW_MAX_CODES) {
      prefix[next] = prev;
      suffix[next] = firstChar;
      first[next] = first[prev];
      length[next] = length[prev] + 1;
      next++;
      // Early change (libtiff): widen the codes one entry before the table fills the current width.
      if (next >= (1 << nbits) - 1 && nbits < 12) nbits++;
    }
    emit(code);
    prev = code;
  }
  return pos;
}

/** PackBits (TIFF 6.0 §9) into `out`; returns the bytes written (stops when `out` is full or the input ends). */
export function decodePackBits(src: Uint8Array, out: Uint8Array): number {
  const cap = out.length;
  let i = 0;
  let o = 0;
  while (i < src.length && o < cap) {
    const n = src[i++];
    if (n < 128) {
      const run = Math.min(n + 1, src.length - i, cap - o);
      out.set(src.subarray(i, i + run), o);
      i += n + 1;
      o += run;
    } else if (n > 128) {
      if (i >= src.length) break;
      const run = Math.min(257 - n, cap - o);
      out.fill(src[i++], o, o + run);
      o += run;
    } // 128: no-op
  }
  return o;
}

/**
 * Undo TIFF horizontal differencing (Predictor 2, TIFF 6.0 §14): per row, each value is the delta to the
 * previous pixel's same sample; the typed array's store wraps modulo 2^bits exactly like the encoder.
 */
export function undoPredictor(a: VoxelData, start: number, rows: number, rowPixels: number, stride: number): void {
  const rowLen = rowPixels * stride;
  for (let r = 0; r < rows; r++) {
    const base = start + r * rowLen;
    const end = base + rowLen;
    for (let i = base + stride; i < end; i++) a[i] += a[i - stride];
  }
}

/**
 * Undo the floating-point predictor (Predictor 3, Adobe TIFF Technical Note 3, as libtiff's `fpAcc`):
 * per row, bytes were split into planes (most significant byte first) and byte-differenced with a stride
 * of the samples per pixel. Rewrites `bytes` (rows × rowValues × bps) in place as little-endian values —
 * the host order, whatever the file's byte order. `scratch` holds one row (rowValues × bps bytes).
 */
export function undoFloatPredictor(bytes: Uint8Array, rows: number, rowValues: number, bps: number, spp: number, scratch: Uint8Array): void {
  const rowBytes = rowValues * bps;
  for (let r = 0; r < rows; r++) {
    const row = bytes.subarray(r * rowBytes, (r + 1) * rowBytes);
    for (let i = spp; i < rowBytes; i++) row[i] = (row[i] + row[i - spp]) & 0xff;
    scratch.set(row);
    for (let v = 0; v < rowValues; v++) {
      for (let b = 0; b < bps; b++) row[v * bps + b] = scratch[(bps - 1 - b) * rowValues + v];
    }
  }
}

/** In-place byte reversal of `n` bytes of `bps`-byte big-endian values (→ host little-endian). */
export function swapBytes(a: Uint8Array, start: number, n: number, bps: number): void {
  const end = start + n;
  if (bps === 2) {
    for (let i = start; i < end; i += 2) {
      const t = a[i];
      a[i] = a[i + 1];
      a[i + 1] = t;
    }
  } else if (bps === 4) {
    for (let i = start; i < end; i += 4) {
      let t = a[i];
      a[i] = a[i + 3];
      a[i + 3] = t;
      t = a[i + 1];
      a[i + 1] = a[i + 2];
      a[i + 2] = t;
    }
  } else if (bps === 8) {
    for (let i = start; i < end; i += 8) {
      for (let j = 0; j < 4; j++) {
        const t = a[i + j];
        a[i + j] = a[i + 7 - j];
        a[i + 7 - j] = t;
      }
    }
  }
}

/**
 * Largest output/input ratio a valid stream of each compression can reach, used to refuse a page whose
 * declared pixel bytes its stored bytes cannot possibly hold (a 130-byte file declaring 20000 × 20000).
 * Deflate: 1032:1 (zlib technical details); LZW: a 12-bit code emits at most 4096 − 258 bytes, ≈ 2560:1;
 * PackBits: 2 bytes → 128 (64:1); JPEG: one ≥ 1-bit code per 8 × 8 block and sample (≤ 512:1); ZSTD: a
 * 3-byte RLE block header per ≤ 128 KiB block (≈ 43700:1). LERC (a GIS codec) is not read: geotiff's
 * decoder loads WebAssembly in the background, and a failed load escapes as an unhandled rejection.
 */
export const MAX_COMPRESSION_RATIO: ReadonlyMap<number, number> = new Map([
  [1, 1],
  [5, 4096],
  [7, 4096],
  [8, 1100],
  [32946, 1100],
  [32773, 128],
  [50000, 65536],
]);

/** Compression schemes CellColoc reads (others are refused with the tag value named). */
export const COMPRESSION_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'none'],
  [5, 'LZW'],
  [7, 'JPEG'],
  [8, 'deflate'],
  [32946, 'deflate'],
  [32773, 'PackBits'],
  [50000, 'ZSTD'],
]);

/**
 * The decompressed size a ZSTD frame header declares (RFC 8878 §3.1.1.1), or null when absent. Checked before
 * geotiff's WebAssembly decoder allocates that many bytes: a corrupt header could declare gigabytes.
 */
export function zstdDeclaredSize(src: Uint8Array): number | null {
  if (src.length < 5 || src[0] !== 0x28 || src[1] !== 0xb5 || src[2] !== 0x2f || src[3] !== 0xfd) {
    throw new CodecError('corrupt ZSTD data (no frame magic number)');
  }
  const fhd = src[4];
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const dictBytes = [0, 1, 2, 4][fhd & 3];
  const fcsBytes = fcsFlag === 0 ? single : [0, 2, 4, 8][fcsFlag];
  if (fcsBytes === 0) return null;
  const at = 5 + (single ? 0 : 1) + dictBytes;
  if (at + fcsBytes > src.length) throw new CodecError('corrupt ZSTD data (truncated frame header)');
  let v = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) v = v * 256 + src[at + i];
  return fcsBytes === 2 ? v + 256 : v;
}
