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
 * The strips/tiles checks and the fast-path decode live in tiff-blocks.ts; tag checks in tiff-page.ts; the
 * page-chain walk in tiff-structure.ts; our bounded codecs in tiff-codecs.ts.
 *
 * Every failure is ONE `InputError` naming the file and what is wrong.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { fromFile, getDecoder, type GeoTIFF, type GeoTIFFImage } from 'geotiff';
import { inputError, CellColocError } from '../core/errors.js';
import type { VoxelData } from '../core/volume.js';
import { walkPageChain } from './tiff-structure.js';
import { canStreamRows, streamRows, type RowBandSink } from './tiff-rows.js';
import { undoPredictor, swapBytes } from './tiff-codecs.js';
import { viewForDtype, canFastDecode, checkGreyPalette, tiffDtype, validatePage, DTYPE_BYTES as BYTES, type TiffPage } from './tiff-page.js';
import { blocksFor, checkBlocks, fastDecode, inflateAsync, quietly, readBlock, DEFLATE, INFLATE_SLACK, OUTPUT_SPARE, type BlockDecoder, type BlockSource } from './tiff-blocks.js';

export { arrayForDtype, pageDtype, tiffDtype, checkGreyPalette, type TiffDtype, type TiffPage } from './tiff-page.js';

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
    checkBlocks(this.path, this.fileSize, page, sample);
    if (canFastDecode(page)) {
      await fastDecode(this.blockSource(), page, sample, out, outOffset);
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
    if (sample < page.samplesPerPixel) checkBlocks(this.path, this.fileSize, page, sample);
    if (sample !== 0 || page.samplesPerPixel !== 1 || page.tiled || page.photometric === 3 || !canFastDecode(page)) return null;
    if ((page.compression !== 1 && !DEFLATE.has(page.compression)) || page.predictor === 3) return null;
    const { first, count } = blocksFor(this.path, page, sample);
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
        // One byte over the page: zlib's output buffer is then never full, and it does not allocate a second,
        // unused page-sized buffer (tiff-blocks.ts, OUTPUT_SPARE).
        src = await inflateAsync(raw, { chunkSize: Math.max(64, need + OUTPUT_SPARE), maxOutputLength: need + INFLATE_SLACK });
      } catch {
        return null;
      }
    }
    // Only a buffer that is the page (own memory, offset 0, at most the spare byte more) becomes the result.
    if (src.length !== need || src.byteOffset !== 0 || src.buffer.byteLength > need + OUTPUT_SPARE) return null;
    if (!this.littleEndian && bps > 1) swapBytes(src, 0, need, bps);
    const out = viewForDtype(dtype, src.buffer as ArrayBuffer, need / bps);
    if (page.predictor === 2) undoPredictor(out, 0, page.height, page.width, 1);
    return out;
  }

  /**
   * Streams sample `sample` of page `pageIndex` to `sink` in row bands (tiff-rows.ts) without holding the page:
   * true when every row was delivered, false when the sink stopped it; null, with nothing read, for a layout that
   * cannot be streamed (then `readSample` it whole).
   */
  async streamSampleRows(pageIndex: number, sample: number, sink: RowBandSink): Promise<boolean | null> {
    const page = await this.page(pageIndex);
    if (!canStreamRows(page, sample)) return null;
    checkBlocks(this.path, this.fileSize, page, sample);
    return streamRows(this.blockSource(), page, sample, sink);
  }

  private decoders = new Map<number, Promise<BlockDecoder>>();

  /** geotiff's decoder for the page's compression, created once per page (JPEG tables are per page). */
  private blockDecoder(page: TiffPage): Promise<BlockDecoder> {
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
        return (await withoutFetch(() => getDecoder(page.compression, params as never))) as never;
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

  /** This file as the fast path (tiff-blocks.ts) sees it. */
  private blockSource(): BlockSource {
    return {
      path: this.path,
      fileSize: this.fileSize,
      littleEndian: this.littleEndian,
      handle: () => this.handle(),
      blockDecoder: (page) => this.blockDecoder(page),
    };
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

/**
 * Runs `fn` with `globalThis.fetch` hidden. geotiff's ZSTD decoder (zstddec) loads its WebAssembly through
 * `fetch(data:…)` when fetch exists; Node's fetch then instantiates undici's own WebAssembly parser, and when that
 * fails (a memory cap, issue 15.1) its rejection is unhandled and ends the process before our error line. Without
 * fetch, zstddec takes its Node path (`WebAssembly.instantiate` on the bytes), whose failure is awaited here and
 * becomes one error naming the file. Nothing else in a run uses fetch meanwhile.
 */
async function withoutFetch<T>(fn: () => Promise<T>): Promise<T> {
  const g = globalThis as { fetch?: unknown };
  const saved = g.fetch;
  g.fetch = undefined;
  try {
    return await fn();
  } finally {
    g.fetch = saved;
  }
}

/** Opens `path` as a TIFF (InputError for missing, non-TIFF or corrupt files). */
export function openTiff(path: string): Promise<TiffReader> {
  return TiffReader.open(path);
}
