/**
 * Low-level TIFF page reader (spec 3.1: the pixels under OME-TIFF / ImageJ / plain TIFF).
 *
 * geotiff@3 parses the IFDs and tags (classic and BigTIFF, either byte order). The pixels of the
 * common layouts are decoded here (the "fast path"): uncompressed (Compression 1) and deflate
 * (8 / 32946, `node:zlib` `inflate` on the libuv thread pool), with or without the horizontal-differencing predictor 2,
 * 8/16/32/64-bit samples, strips or tiles, interleaved (PlanarConfiguration 1) or planar (2) samples.
 * Output is one preallocated typed array for the whole channel; a single-sample strip is inflated into a
 * strip-sized buffer and copied once to its rows (Node's zlib has no inflate-into-buffer API); no page-sized
 * temporaries. geotiff's `readRasters` is the fallback for everything
 * else (LZW 5, PackBits 32773, floating-point predictor 3, odd bit depths, …): it is ~4× slower
 * on deflate (ecosystem.md §1: 460–600 ms vs 125 ms for 2 × 2048² uint16), hence the fast path.
 *
 * Every failure is ONE `InputError` naming the file and what is wrong.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { inflate, type InputType, type ZlibOptions } from 'node:zlib';
import { fromFile, type GeoTIFF, type GeoTIFFImage } from 'geotiff';
import { inputError, CellColocError } from '../core/errors.js';
import type { VoxelData } from '../core/volume.js';

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

const DEFLATE = new Set([8, 32946]);
/** Blocks of one page decoded concurrently (libuv's pool has 4 threads by default). */
const MAX_IN_FLIGHT = 8;

function inflateAsync(buf: InputType, opts: ZlibOptions): Promise<Buffer> {
  return new Promise((res, rej) => inflate(buf, opts, (err, out) => (err ? rej(err) : res(out))));
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
function viewForDtype(dtype: TiffDtype, buf: ArrayBuffer, n: number): VoxelData {
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

const BYTES: Record<TiffDtype, number> = {
  uint8: 1, uint16: 2, uint32: 4, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8,
};

function firstNumber(v: unknown, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const a = v as ArrayLike<number | bigint>;
  return a.length > 0 ? Number(a[0]) : fallback;
}

function toFloat64(v: unknown): Float64Array {
  if (v === undefined || v === null) return new Float64Array(0);
  if (typeof v === 'number' || typeof v === 'bigint') return Float64Array.of(Number(v));
  const a = v as ArrayLike<number | bigint>;
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Number(a[i]);
  return out;
}

/** RATIONAL tag → number (geotiff returns `[numerator, denominator]`). */
function rational(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? v : null;
  const a = v as ArrayLike<number>;
  if (a.length < 2 || !(a[1] > 0) || !(a[0] > 0)) return null;
  return a[0] / a[1];
}

/**
 * Reads the 8..16-byte header and classifies the file; throws `<path>: not a TIFF file` otherwise.
 * Done before geotiff so that a non-TIFF gets our one-line message instead of "Invalid byte order value".
 */
async function checkHeader(path: string): Promise<number> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw inputError(`${path}: not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof CellColocError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw inputError(`${path}: file not found`, e);
    throw inputError(`${path}: cannot read the file (${code ?? String(e)})`, e);
  }
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(16);
    const { bytesRead } = await fh.read(head, 0, 16, 0);
    const le = head[0] === 0x49 && head[1] === 0x49;
    const be = head[0] === 0x4d && head[1] === 0x4d;
    const magic = bytesRead >= 4 ? (le ? head.readUInt16LE(2) : head.readUInt16BE(2)) : 0;
    if (bytesRead < 8 || !(le || be) || (magic !== 42 && magic !== 43)) {
      throw inputError(`${path}: not a TIFF file (expected the byte-order mark II/MM and 42 or 43 in the first 8 bytes)`);
    }
    await checkFirstIfd(fh, path, size, head, le, magic === 43);
  } finally {
    await fh.close();
  }
  return size;
}

/**
 * The first IFD and its ImageDescription (tag 270) must lie inside the file. geotiff silently returns an
 * empty description for a value past the end of a truncated file, which would turn an OME-TIFF into a
 * "plain" page stack with wrong axes; this check makes that a clear InputError instead.
 */
async function checkFirstIfd(fh: FileHandle, path: string, size: number, head: Buffer, le: boolean, big: boolean): Promise<void> {
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  const ifd = big ? u64(head, 8) : u32(head, 4);
  const countBytes = big ? 8 : 2;
  const entryBytes = big ? 20 : 12;
  if (ifd + countBytes > size) {
    throw inputError(`${path}: truncated: the first IFD starts at byte ${ifd} but the file has ${size} bytes`);
  }
  const cb = Buffer.alloc(countBytes);
  await fh.read(cb, 0, countBytes, ifd);
  const n = big ? u64(cb, 0) : u16(cb, 0);
  const end = ifd + countBytes + n * entryBytes;
  if (end > size) {
    throw inputError(`${path}: truncated: the first IFD (${n} entries) ends at byte ${end} but the file has ${size} bytes`);
  }
  const entries = Buffer.alloc(n * entryBytes);
  await fh.read(entries, 0, entries.length, ifd + countBytes);
  for (let i = 0; i < n; i++) {
    const o = i * entryBytes;
    if (u16(entries, o) !== 270) continue;
    const count = big ? u64(entries, o + 4) : u32(entries, o + 4);
    if (count <= (big ? 8 : 4)) return; // stored inline
    const at = big ? u64(entries, o + 12) : u32(entries, o + 8);
    if (at + count > size) {
      throw inputError(
        `${path}: truncated: the ImageDescription of page 0 (bytes ${at}..${at + count}) ends past the end of the file (${size} bytes)`,
      );
    }
    return;
  }
}

/** An open TIFF: page layout from geotiff, pixels by the fast path or geotiff. Call `close()`. */
export class TiffReader {
  private readonly pageCache = new Map<number, Promise<TiffPage>>();
  /** Our own handle for the fast path (one per reader; a promise so concurrent page reads share it). */
  private fh: Promise<FileHandle> | null = null;

  private constructor(
    readonly path: string,
    readonly fileSize: number,
    private readonly tiff: GeoTIFF,
    readonly pageCount: number,
  ) {}

  static async open(path: string): Promise<TiffReader> {
    const size = await checkHeader(path);
    let tiff: GeoTIFF;
    let count: number;
    try {
      tiff = await fromFile(path);
    } catch (e) {
      throw inputError(`${path}: not a readable TIFF file (${(e as Error).message})`, e);
    }
    try {
      count = await tiff.getImageCount();
    } catch (e) {
      await tiff.close();
      throw inputError(`${path}: corrupt or truncated TIFF: cannot read the page directory chain (${(e as Error).message})`, e);
    }
    if (count < 1) {
      await tiff.close();
      throw inputError(`${path}: TIFF file has no pages`);
    }
    return new TiffReader(path, size, tiff, count);
  }

  get littleEndian(): boolean {
    return this.tiff.littleEndian;
  }

  get bigTiff(): boolean {
    return (this.tiff as unknown as { bigTiff: boolean }).bigTiff;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    await Promise.all([fh?.then((h) => h.close()), this.tiff.close()]);
  }

  private checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.pageCount) {
      throw inputError(`${this.path}: page ${i} requested but the file has ${this.pageCount} page${this.pageCount === 1 ? '' : 's'}`);
    }
  }

  private async image(i: number): Promise<GeoTIFFImage> {
    this.checkIndex(i);
    try {
      return await this.tiff.getImage(i);
    } catch (e) {
      throw inputError(`${this.path}: corrupt TIFF: cannot parse page ${i} (${(e as Error).message})`, e);
    }
  }

  /** ImageDescription of page `i` (trailing NULs stripped), or null. */
  async imageDescription(i = 0): Promise<string | null> {
    const img = await this.image(i);
    try {
      const v = await img.fileDirectory.loadValue('ImageDescription');
      if (v === undefined || v === null) return null;
      return String(v).replace(/\0+$/, '');
    } catch (e) {
      throw inputError(`${this.path}: cannot read the ImageDescription of page ${i} (${(e as Error).message})`, e);
    }
  }

  /** Layout of page `i` (cached). */
  page(i: number): Promise<TiffPage> {
    let p = this.pageCache.get(i);
    if (!p) {
      p = this.loadPage(i);
      this.pageCache.set(i, p);
    }
    return p;
  }

  private async loadPage(i: number): Promise<TiffPage> {
    const img = await this.image(i);
    const fd = img.fileDirectory;
    try {
      const get = (name: string) => fd.loadValue(name as never) as Promise<unknown>;
      const [bps, sf, comp, pred, planar, photo, spp, rps, tw, tl, so, sbc, to, tbc, cmap, xr, yr, ru] =
        await Promise.all(
          [
            'BitsPerSample', 'SampleFormat', 'Compression', 'Predictor', 'PlanarConfiguration',
            'PhotometricInterpretation', 'SamplesPerPixel', 'RowsPerStrip', 'TileWidth', 'TileLength',
            'StripOffsets', 'StripByteCounts', 'TileOffsets', 'TileByteCounts', 'ColorMap', 'XResolution',
            'YResolution', 'ResolutionUnit',
          ].map(get),
        );
      const width = img.getWidth();
      const height = img.getHeight();
      const bits = firstNumber(bps, 1);
      const sampleFormat = firstNumber(sf, 1);
      const tiled = to !== undefined;
      // Mixed per-sample bit depths / formats are left to geotiff (dtype null).
      const bitsAll = toFloat64(bps);
      const fmtAll = toFloat64(sf);
      const uniform = bitsAll.every((b) => b === bits) && fmtAll.every((f) => f === sampleFormat);
      const page: TiffPage = {
        index: i,
        width,
        height,
        samplesPerPixel: firstNumber(spp, 1),
        bitsPerSample: bits,
        sampleFormat,
        dtype: uniform ? tiffDtype(bits, sampleFormat) : null,
        compression: firstNumber(comp, 1),
        predictor: firstNumber(pred, 1),
        planarConfiguration: firstNumber(planar, 1),
        photometric: firstNumber(photo, 1),
        tiled,
        blockWidth: tiled ? firstNumber(tw, width) : width,
        blockHeight: tiled ? firstNumber(tl, height) : Math.min(firstNumber(rps, height), height),
        offsets: toFloat64(tiled ? to : so),
        byteCounts: toFloat64(tiled ? tbc : sbc),
        colorMap: cmap ? Uint16Array.from(cmap as ArrayLike<number>) : null,
        xResolution: rational(xr),
        yResolution: rational(yr),
        resolutionUnit: firstNumber(ru, 2),
      };
      if (!(width > 0 && height > 0)) throw new Error(`image size ${width} × ${height}`);
      return page;
    } catch (e) {
      if (e instanceof CellColocError) throw e;
      throw inputError(`${this.path}: corrupt TIFF: cannot read the tags of page ${i} (${(e as Error).message})`, e);
    }
  }

  /**
   * Decodes sample `sample` of page `pageIndex` (Y × X values, C order) into `out` starting at element
   * `outOffset`. `out` must have the page's dtype (see `TiffPage.dtype` / `pageDtype`).
   */
  async readSample(pageIndex: number, sample: number, out: VoxelData, outOffset: number): Promise<void> {
    const page = await this.page(pageIndex);
    if (!Number.isInteger(sample) || sample < 0 || sample >= page.samplesPerPixel) {
      throw inputError(`${this.path}: sample ${sample} of page ${pageIndex} requested but it has ${page.samplesPerPixel}`);
    }
    if (page.photometric === 3) checkGreyPalette(this.path, page);
    if (canFastDecode(page)) {
      await this.fastDecode(page, sample, out, outOffset);
    } else {
      await this.fallbackDecode(page, sample, out, outOffset);
    }
  }

  /**
   * Zero-copy variant of `readSample` for the commonest layout: a page of one sample per pixel stored as ONE
   * strip (deflate or uncompressed). Returns the page's values in the decoded buffer itself — no output array
   * allocated, zeroed and copied into (on a 2048² uint16 page: 8 MiB of fresh memory and one copy saved) —
   * or null for any other layout or any irregularity (then `readSample` decodes it and reports errors).
   */
  async readSampleOwned(pageIndex: number, sample: number): Promise<VoxelData | null> {
    const page = await this.page(pageIndex);
    if (sample !== 0 || page.samplesPerPixel !== 1 || page.tiled || page.photometric === 3 || !canFastDecode(page)) return null;
    const { first, count } = this.blocksFor(page, sample);
    if (count !== 1 || page.blockHeight < page.height) return null;
    const dtype = page.dtype!;
    const bps = BYTES[dtype];
    const need = page.width * page.height * bps;
    const off = page.offsets[first];
    const n = page.byteCounts[first];
    if (n === 0 || off + n > this.fileSize) return null;
    const raw = await readBlock(await this.handle(), off, n, this.path);
    let src: Buffer;
    if (page.compression === 1) {
      src = raw;
    } else {
      try {
        src = await inflateAsync(raw, { chunkSize: Math.max(64, need) });
      } catch {
        return null;
      }
    }
    // Only a buffer that is exactly the page (own memory, offset 0) becomes the result.
    if (src.byteOffset !== 0 || src.buffer.byteLength !== need) return null;
    if (!this.littleEndian && bps > 1) swapBytes(src, 0, need, bps);
    const out = viewForDtype(dtype, src.buffer as ArrayBuffer, need / bps);
    if (page.predictor === 2) undoPredictor(out, 0, page.height, page.width, 1);
    return out;
  }

  private handle(): Promise<FileHandle> {
    if (!this.fh) this.fh = open(this.path, 'r');
    return this.fh;
  }

  /** Blocks (strips/tiles) holding `sample`: their indices into offsets/byteCounts. */
  private blocksFor(page: TiffPage, sample: number): { first: number; count: number; across: number } {
    const across = Math.ceil(page.width / page.blockWidth);
    const down = Math.ceil(page.height / page.blockHeight);
    const perPlane = across * down;
    const planes = page.planarConfiguration === 2 ? page.samplesPerPixel : 1;
    if (page.offsets.length < perPlane * planes || page.byteCounts.length < perPlane * planes) {
      throw inputError(
        `${this.path}: corrupt TIFF: page ${page.index} lists ${page.offsets.length} ${page.tiled ? 'tile' : 'strip'} offsets and ` +
          `${page.byteCounts.length} byte counts, expected ${perPlane * planes} for ${page.width} × ${page.height} pixels`,
      );
    }
    return { first: page.planarConfiguration === 2 ? sample * perPlane : 0, count: perPlane, across };
  }

  private async fastDecode(page: TiffPage, sample: number, out: VoxelData, outOffset: number): Promise<void> {
    const dtype = page.dtype!;
    const bps = BYTES[dtype];
    const { first, count, across } = this.blocksFor(page, sample);
    const kind = page.tiled ? 'tile' : 'strip';
    // Truncation check on every block before any I/O, so the message names the first bad block.
    let lo = Infinity;
    let hi = 0;
    let sum = 0;
    for (let b = first; b < first + count; b++) {
      const off = page.offsets[b];
      const end = off + page.byteCounts[b];
      if (page.byteCounts[b] === 0) continue;
      if (end > this.fileSize) {
        throw inputError(
          `${this.path}: truncated: ${kind} ${b} of page ${page.index} ends at byte ${end} but the file has ${this.fileSize} bytes`,
        );
      }
      if (off < lo) lo = off;
      if (end > hi) hi = end;
      sum += page.byteCounts[b];
    }
    if (sum === 0) return; // sparse page: all zeros (out is zero-initialised by the caller)
    const fh = await this.handle();
    // One read for the page's blocks when they are (nearly) contiguous, as every common writer lays them out;
    // otherwise one read per block. Only this page's bytes are read (memory: one channel at a time).
    const span = hi - lo;
    let spanBuf: Buffer | null = null;
    if (span <= sum * 1.25 + 65536) {
      spanBuf = Buffer.allocUnsafe(span);
      await readFully(fh, spanBuf, lo, this.path);
    }

    const spp = page.samplesPerPixel;
    const chunky = page.planarConfiguration !== 2 && spp > 1;
    const valsPerPixel = chunky ? spp : 1;
    const bw = page.blockWidth;
    const bh = page.blockHeight;
    const W = page.width;
    const H = page.height;
    const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    const swap = !this.littleEndian && bps > 1;
    // Direct path: one sample per pixel in full-width strips → a strip is a run of whole output rows.
    const direct = !page.tiled && !chunky;
    // Scratch for the other layouts: one decoded block as typed values (aligned), reused for every block.
    const blockVals = bw * bh * valsPerPixel;
    const scratch = direct ? null : arrayForDtype(dtype, blockVals);
    const scratchBytes = scratch ? new Uint8Array(scratch.buffer) : null;

    // Place one decoded block. Runs synchronously on the main thread (inside one promise continuation),
    // so the shared scratch array is never used by two blocks at once.
    const place = (k: number, src: Uint8Array | null) => {
      const b = first + k;
      const by = Math.floor(k / across);
      const bx = k - by * across;
      const y0 = by * bh;
      const x0 = bx * bw;
      const rows = page.tiled ? bh : Math.min(bh, H - y0); // tiles are always full-size in the file
      const needBytes = rows * bw * valsPerPixel * bps;
      if (src === null) {
        if (!scratch) return; // empty strip: rows stay 0
        scratch.fill(0);
      } else if (src.length < needBytes) {
        throw inputError(
          `${this.path}: corrupt TIFF: ${kind} ${b} of page ${page.index} decodes to ${src.length} bytes, expected ${needBytes}`,
        );
      }
      if (direct) {
        const destEl = outOffset + y0 * W;
        outBytes.set(src!.subarray(0, needBytes), destEl * bps);
        if (swap) swapBytes(outBytes, destEl * bps, needBytes, bps);
        if (page.predictor === 2) undoPredictor(out, destEl, rows, W, 1);
        return;
      }
      if (src !== null) scratchBytes!.set(src.subarray(0, needBytes));
      if (swap) swapBytes(scratchBytes!, 0, needBytes, bps);
      if (page.predictor === 2) undoPredictor(scratch!, 0, rows, bw, valsPerPixel);
      // Copy the in-image part of the block, picking one sample from interleaved pixels.
      const cols = Math.min(bw, W - x0);
      const rowsIn = Math.min(rows, H - y0);
      const s = chunky ? sample : 0;
      for (let r = 0; r < rowsIn; r++) {
        const srcRow = r * bw * valsPerPixel + s;
        const dst = outOffset + (y0 + r) * W + x0;
        if (valsPerPixel === 1) {
          out.set(scratch!.subarray(srcRow, srcRow + cols) as never, dst);
        } else {
          for (let x = 0; x < cols; x++) out[dst + x] = scratch![srcRow + x * valsPerPixel];
        }
      }
    };
    const expectedBytes = (k: number) => {
      const y0 = Math.floor(k / across) * bh;
      return (page.tiled ? bh : Math.min(bh, H - y0)) * bw * valsPerPixel * bps;
    };
    const decodeBlock = async (k: number) => {
      const b = first + k;
      const n = page.byteCounts[b];
      if (n === 0) return place(k, null);
      const raw = spanBuf
        ? spanBuf.subarray(page.offsets[b] - lo, page.offsets[b] - lo + n)
        : await readBlock(fh, page.offsets[b], n, this.path);
      if (page.compression === 1) return place(k, raw);
      let src: Buffer;
      try {
        // Async inflate runs on the libuv thread pool, so the strips of a page decode in parallel;
        // chunkSize = expected size → zlib hands back one buffer (no concatenation).
        src = await inflateAsync(raw, { chunkSize: Math.max(64, expectedBytes(k)) });
      } catch (e) {
        throw inputError(`${this.path}: corrupt deflate data in ${kind} ${b} of page ${page.index} (${(e as Error).message})`, e);
      }
      place(k, src);
    };
    // Bounded fan-out: at most MAX_IN_FLIGHT blocks decoding at once (thread-pool queue and memory).
    let next = 0;
    const worker = async () => {
      while (next < count) await decodeBlock(next++);
    };
    await Promise.all(Array.from({ length: Math.min(MAX_IN_FLIGHT, count) }, worker));
  }

  private async fallbackDecode(page: TiffPage, sample: number, out: VoxelData, outOffset: number): Promise<void> {
    const img = await this.image(page.index);
    let r: ArrayLike<number>;
    try {
      const rasters = (await img.readRasters({ samples: [sample] })) as unknown as ArrayLike<number>[];
      r = rasters[0];
    } catch (e) {
      const msg = (e as Error).message;
      if (/offset|bounds|range/i.test(msg)) {
        throw inputError(`${this.path}: truncated or corrupt pixel data in page ${page.index} (${msg})`, e);
      }
      throw inputError(
        `${this.path}: cannot decode page ${page.index} (compression ${page.compression}, ${page.bitsPerSample}-bit, predictor ${page.predictor}): ${msg}`,
        e,
      );
    }
    const n = page.width * page.height;
    if (r.length < n) {
      throw inputError(`${this.path}: page ${page.index} decoded to ${r.length} values, expected ${n}`);
    }
    if (r.constructor === out.constructor) {
      out.set(r as never, outOffset);
    } else {
      for (let i = 0; i < n; i++) out[outOffset + i] = r[i];
    }
  }
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

function canFastDecode(page: TiffPage): boolean {
  if (!page.dtype) return false;
  if (page.compression !== 1 && !DEFLATE.has(page.compression)) return false;
  // Predictor 2 is integer-only; 3 (floating point) goes to geotiff.
  if (page.predictor !== 1 && !(page.predictor === 2 && page.sampleFormat !== 3)) return false;
  if (page.photometric === 6) return false; // YCbCr (possibly subsampled)
  return page.blockWidth > 0 && page.blockHeight > 0;
}

/**
 * Palette (PhotometricInterpretation 3) images are accepted only when the colour map is a grey ramp
 * (R = G = B = i·65535/(n−1) within one 8-bit step), so the stored indices are the intensities.
 */
export function checkGreyPalette(path: string, page: TiffPage): void {
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

async function readFully(fh: FileHandle, buf: Buffer, pos: number, path: string): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, pos + done);
    if (bytesRead === 0) {
      throw inputError(`${path}: truncated: expected ${buf.length} bytes at byte ${pos} but the file ends at byte ${pos + done}`);
    }
    done += bytesRead;
  }
}

async function readBlock(fh: FileHandle, pos: number, n: number, path: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(n);
  await readFully(fh, buf, pos, path);
  return buf;
}

/** In-place byte reversal of `n` bytes of `bps`-byte big-endian values (→ host little-endian). */
function swapBytes(a: Uint8Array, start: number, n: number, bps: number): void {
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
 * Undo TIFF horizontal differencing (Predictor 2, TIFF 6.0 §14): per row, each value is the delta to the
 * previous pixel's same sample; the typed array's store wraps modulo 2^bits exactly like the encoder.
 */
function undoPredictor(a: VoxelData, start: number, rows: number, rowPixels: number, stride: number): void {
  const rowLen = rowPixels * stride;
  for (let r = 0; r < rows; r++) {
    const base = start + r * rowLen;
    const end = base + rowLen;
    for (let i = base + stride; i < end; i++) a[i] += a[i - stride];
  }
}

/** Opens `path` as a TIFF (InputError for missing, non-TIFF or corrupt files). */
export function openTiff(path: string): Promise<TiffReader> {
  return TiffReader.open(path);
}
