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
import { fromFile, getDecoder, type GeoTIFF, type GeoTIFFImage } from 'geotiff';
import { inputError, CellColocError } from '../core/errors.js';
import type { VoxelData } from '../core/volume.js';
import { walkPageChain } from './tiff-structure.js';
import {
  CodecError, decodeLzw, decodePackBits, zstdDeclaredSize, undoFloatPredictor, undoPredictor, swapBytes, MAX_COMPRESSION_RATIO, COMPRESSION_NAMES,
} from './tiff-codecs.js';
import {
  arrayForDtype, viewForDtype, canFastDecode, checkGreyPalette, tiffDtype, validatePage, DTYPE_BYTES as BYTES, type TiffDtype, type TiffPage,
} from './tiff-page.js';

export { arrayForDtype, pageDtype, tiffDtype, checkGreyPalette, type TiffDtype, type TiffPage } from './tiff-page.js';

const DEFLATE = new Set([8, 32946]);
/** Bytes a deflate stream may decode to beyond its block (writers pad rarely, never by much). */
const INFLATE_SLACK = 1 << 16;
/** Blocks of one page decoded concurrently (libuv's pool has 4 threads by default). */
const MAX_IN_FLIGHT = 8;

function inflateAsync(buf: InputType, opts: ZlibOptions): Promise<Buffer> {
  return new Promise((res, rej) => inflate(buf, opts, (err, out) => (err ? rej(err) : res(out))));
}

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
async function checkHeader(path: string): Promise<{ size: number; pages: number }> {
  let size: number;
  try {
    const st = await stat(path);
    // FIFOs, devices and directories are refused before any read (a FIFO would block forever).
    if (st.isDirectory()) throw inputError(`${path}: is a directory, expected a TIFF file`);
    if (!st.isFile()) throw inputError(`${path}: not a regular file (a FIFO, socket or device), expected a TIFF file`);
    size = st.size;
  } catch (e) {
    if (e instanceof CellColocError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw inputError(`${path}: file not found`, e);
    throw readError(path, e);
  }
  let fh: FileHandle | null = null;
  let pages: number;
  try {
    fh = await open(path, 'r');
    const head = Buffer.alloc(16);
    const { bytesRead } = await fh.read(head, 0, 16, 0);
    const le = head[0] === 0x49 && head[1] === 0x49;
    const be = head[0] === 0x4d && head[1] === 0x4d;
    const magic = bytesRead >= 4 ? (le ? head.readUInt16LE(2) : head.readUInt16BE(2)) : 0;
    if (bytesRead < 8 || !(le || be) || (magic !== 42 && magic !== 43)) {
      throw inputError(`${path}: not a TIFF file (expected the byte-order mark II/MM and 42 or 43 in the first 8 bytes)`);
    }
    // /proc files report size 0 but hold bytes: the walk below then names the file as truncated.
    pages = await walkPageChain(fh, path, size, head, le, magic === 43);
  } catch (e) {
    if (e instanceof CellColocError) throw e;
    throw readError(path, e);
  } finally {
    await fh?.close();
  }
  return { size, pages };
}

/** A read/open failure as one line naming the file and the system's reason (EIO, EACCES, …). */
function readError(path: string, e: unknown): CellColocError {
  const code = (e as NodeJS.ErrnoException).code;
  const msg = (e as Error).message ?? String(e);
  return inputError(`${path}: cannot read the file (${code ? `${code}: ${msg.replace(/^[A-Z]+: /, '').split(',')[0]}` : msg})`, e);
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
    // Our own walk of the page chain (loop and page limits, every tag value inside the file) replaces
    // geotiff's unbounded getImageCount; geotiff then only parses directories already checked.
    const { size, pages } = await checkHeader(path);
    let tiff: GeoTIFF;
    try {
      tiff = await fromFile(path);
    } catch (e) {
      throw inputError(`${path}: not a readable TIFF file (${(e as Error).message})`, e);
    }
    return new TiffReader(path, size, tiff, pages);
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
      validatePage(this.path, page, bitsAll, fmtAll);
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
    this.checkBlocks(page, sample);
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
    if (sample < page.samplesPerPixel) this.checkBlocks(page, sample);
    if (sample !== 0 || page.samplesPerPixel !== 1 || page.tiled || page.photometric === 3 || !canFastDecode(page)) return null;
    if ((page.compression !== 1 && !DEFLATE.has(page.compression)) || page.predictor === 3) return null;
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
        src = await inflateAsync(raw, { chunkSize: Math.max(64, need), maxOutputLength: need + INFLATE_SLACK });
      } catch {
        return null;
      }
    }
    // Only a buffer that is exactly the page (own memory, offset 0) becomes the result.
    if (src.length !== need || src.byteOffset !== 0 || src.buffer.byteLength !== need) return null;
    if (!this.littleEndian && bps > 1) swapBytes(src, 0, need, bps);
    const out = viewForDtype(dtype, src.buffer as ArrayBuffer, need / bps);
    if (page.predictor === 2) undoPredictor(out, 0, page.height, page.width, 1);
    return out;
  }

  private decoders = new Map<number, Promise<{ decodeBlock(b: ArrayBuffer): ArrayBuffer | Promise<ArrayBuffer> }>>();

  /** geotiff's decoder for the page's compression, created once per page (JPEG tables are per page). */
  private blockDecoder(page: TiffPage): Promise<{ decodeBlock(b: ArrayBuffer): ArrayBuffer | Promise<ArrayBuffer> }> {
    let d = this.decoders.get(page.index);
    if (!d) {
      d = (async () => {
        const img = await this.image(page.index);
        const fd = img.fileDirectory;
        // geotiff's decoder parameters (compression/index.js), predictor 1: decodeBlock never applies it.
        const params: Record<string, unknown> = {
          tileWidth: page.blockWidth,
          tileHeight: page.blockHeight,
          planarConfiguration: page.planarConfiguration,
          bitsPerSample: page.bitsPerSample,
          predictor: 1,
        };
        if (page.compression === 7) params.JPEGTables = await fd.loadValue('JPEGTables' as never);
        return (await getDecoder(page.compression, params as never)) as never;
      })();
      // A failed load (e.g. WebAssembly unavailable) is reported by the awaiting block; never unhandled.
      d.catch(() => {});
      this.decoders.set(page.index, d);
    }
    return d;
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

  /**
   * Before any pixel I/O: every block of `sample` lies inside the file, and the page's declared pixel bytes
   * are no more than its stored bytes can hold at the compression's largest possible ratio (uncompressed:
   * 1:1). So a 130-byte file declaring 20000 × 20000 pixels, or one strip declaring 2^20 rows, is refused
   * in microseconds instead of decoded for a minute.
   */
  private checkBlocks(page: TiffPage, sample: number): void {
    const { first, count } = this.blocksFor(page, sample);
    const kind = page.tiled ? 'tile' : 'strip';
    let stored = 0;
    for (let b = first; b < first + count; b++) {
      const n = page.byteCounts[b];
      if (n === 0) continue;
      const end = page.offsets[b] + n;
      if (end > this.fileSize) {
        throw inputError(
          `${this.path}: truncated: ${kind} ${b} of page ${page.index} ends at byte ${end} but the file has ${this.fileSize} bytes`,
        );
      }
      stored += n;
    }
    const valuesPerPixel = page.planarConfiguration === 2 ? 1 : page.samplesPerPixel;
    const rows = page.tiled ? Math.ceil(page.height / page.blockHeight) * page.blockHeight : page.height;
    const cols = page.tiled ? Math.ceil(page.width / page.blockWidth) * page.blockWidth : page.width;
    const declared = Math.ceil((rows * cols * valuesPerPixel * page.bitsPerSample) / 8);
    const ratio = MAX_COMPRESSION_RATIO.get(page.compression) ?? 1;
    // A few KiB of slack for compressed streams: a tiny page may legitimately "compress" to more bytes.
    const holdable = stored * ratio + (page.compression === 1 ? 0 : 4096);
    if (declared > holdable) {
      const codec = COMPRESSION_NAMES.get(page.compression) ?? String(page.compression);
      throw inputError(
        `${this.path}: corrupt TIFF: page ${page.index} declares ${page.width} × ${page.height} pixels (${declared} bytes) but its ` +
          `${count} ${kind}${count === 1 ? '' : 's'} hold ${stored} bytes` +
          (page.compression === 1 ? ' (uncompressed)' : `, more than ${codec} can expand to (at most ${ratio}:1)`),
      );
    }
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
    // The floating-point predictor's output is host-order already (undoFloatPredictor), never swapped.
    const swap = !this.littleEndian && bps > 1 && page.predictor !== 3;
    const fpRow = page.predictor === 3 ? new Uint8Array(bw * valsPerPixel * bps) : null;
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
        if (fpRow) undoFloatPredictor(src!, rows, W * valsPerPixel, bps, valsPerPixel, fpRow);
        outBytes.set(src!.subarray(0, needBytes), destEl * bps);
        if (swap) swapBytes(outBytes, destEl * bps, needBytes, bps);
        if (page.predictor === 2) undoPredictor(out, destEl, rows, W, 1);
        return;
      }
      if (src !== null) scratchBytes!.set(src.subarray(0, needBytes));
      if (fpRow && src !== null) undoFloatPredictor(scratchBytes!, rows, bw * valsPerPixel, bps, valsPerPixel, fpRow);
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
      const need = expectedBytes(k);
      let src: Uint8Array;
      if (page.compression === 5 || page.compression === 32773) {
        // Our bounded decoders write at most the block's expected bytes (synchronous, O(input + output)).
        const buf = new Uint8Array(need);
        try {
          const got = page.compression === 5 ? decodeLzw(raw, buf) : decodePackBits(raw, buf);
          src = buf.subarray(0, got);
        } catch (e) {
          if (!(e instanceof CodecError)) throw e;
          throw inputError(`${this.path}: ${e.message} in ${kind} ${b} of page ${page.index}`, e);
        }
      } else if (!DEFLATE.has(page.compression)) {
        // JPEG / ZSTD: geotiff's block decoder (no predictor: place() applies it), its console muted.
        try {
          if (page.compression === 50000) {
            const declared = zstdDeclaredSize(raw);
            if (declared !== null && declared > need + INFLATE_SLACK) {
              throw new CodecError(`ZSTD frame declares ${declared} bytes but the block needs ${need}`);
            }
          }
          const decoder = await this.blockDecoder(page);
          const ab = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length) as ArrayBuffer;
          src = new Uint8Array(await quietly(async () => decoder.decodeBlock(ab)));
        } catch (e) {
          const codec = COMPRESSION_NAMES.get(page.compression);
          throw inputError(`${this.path}: corrupt ${codec} data in ${kind} ${b} of page ${page.index} (${(e as Error).message ?? String(e)})`, e);
        }
      } else {
        try {
          // Async inflate runs on the libuv thread pool, so the strips of a page decode in parallel;
          // chunkSize = expected size → zlib hands back one buffer (no concatenation); maxOutputLength
          // stops a stream that would expand beyond the block.
          src = await inflateAsync(raw, { chunkSize: Math.max(64, need), maxOutputLength: need + INFLATE_SLACK });
        } catch (e) {
          const why = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? `expands beyond the ${need} bytes the block needs` : (e as Error).message;
          throw inputError(`${this.path}: corrupt deflate data in ${kind} ${b} of page ${page.index} (${why})`, e);
        }
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
      const rasters = (await quietly(() => img.readRasters({ samples: [sample] }))) as unknown as ArrayLike<number>[];
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

let quietDepth = 0;
let savedConsole: Pick<Console, 'warn' | 'log' | 'error' | 'info'> | null = null;

/**
 * Runs a geotiff decode with console output suppressed: its decoders print warnings (`console.warn` in the
 * JPEG decoder) straight to stderr, before our one-line error. Nested/concurrent calls share one mute.
 */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  if (quietDepth++ === 0) {
    savedConsole = { warn: console.warn, log: console.log, error: console.error, info: console.info };
    const mute = () => {};
    console.warn = mute;
    console.log = mute;
    console.error = mute;
    console.info = mute;
  }
  try {
    return await fn();
  } finally {
    if (--quietDepth === 0 && savedConsole) {
      Object.assign(console, savedConsole);
      savedConsole = null;
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

/** Opens `path` as a TIFF (InputError for missing, non-TIFF or corrupt files). */
export function openTiff(path: string): Promise<TiffReader> {
  return TiffReader.open(path);
}
