/**
 * Strips and tiles of a TIFF page (tiff-reader.ts): where a sample's blocks are, the checks made before any pixel
 * I/O (every block inside the file, the declared pixel bytes within what the stored bytes can expand to), and the
 * fast-path decode — uncompressed, deflate on the libuv pool, our bounded LZW / PackBits, geotiff's JPEG / ZSTD
 * block decoders — into one preallocated output array. Every failure is ONE `InputError` naming the file, the
 * page and the block.
 */
import type { FileHandle } from 'node:fs/promises';
import { inflate, type InputType, type ZlibOptions } from 'node:zlib';
import { inputError } from '../core/errors.js';
import type { VoxelData } from '../core/volume.js';
import { CodecError, decodeLzw, decodePackBits, zstdDeclaredSize, undoFloatPredictor, undoPredictor, swapBytes, MAX_COMPRESSION_RATIO, COMPRESSION_NAMES } from './tiff-codecs.js';
import { arrayForDtype, DTYPE_BYTES as BYTES, type TiffPage } from './tiff-page.js';

export const DEFLATE = new Set([8, 32946]);
/** Bytes a deflate stream may decode to beyond its block (writers pad rarely, never by much). */
export const INFLATE_SLACK = 1 << 16;
/**
 * Bytes beyond a block's expected size in zlib's output chunk. When the output fills a chunk exactly, node's zlib
 * allocates the next chunk before it learns that the stream has ended (lib/zlib.js, processCallback): with
 * chunkSize = expected size, every inflate of a 2048² uint16 page allocated 8 MiB twice (16 MiB of external
 * memory per page, GCs for "external memory pressure"). One spare byte keeps the chunk from ever filling.
 */
export const OUTPUT_SPARE = 1;
/** Blocks of one page decoded concurrently (libuv's pool has 4 threads by default). */
const MAX_IN_FLIGHT = 8;

export function inflateAsync(buf: InputType, opts: ZlibOptions): Promise<Buffer> {
  return new Promise((ok, fail) => inflate(buf, opts, (e, r) => (e ? fail(e) : ok(r))));
}

export interface BlockDecoder {
  decodeBlock(b: ArrayBuffer): ArrayBuffer | Promise<ArrayBuffer>;
}

/** What the fast path needs of an open TIFF. */
export interface BlockSource {
  path: string;
  fileSize: number;
  littleEndian: boolean;
  handle(): Promise<FileHandle>;
  /** geotiff's decoder for the page's compression (JPEG, ZSTD). */
  blockDecoder(page: TiffPage): Promise<BlockDecoder>;
}

/** Blocks (strips/tiles) holding `sample`: their indices into offsets/byteCounts. */
export function blocksFor(path: string, page: TiffPage, sample: number): { first: number; count: number; across: number } {
  const across = Math.ceil(page.width / page.blockWidth);
  const down = Math.ceil(page.height / page.blockHeight);
  const perPlane = across * down;
  const planes = page.planarConfiguration === 2 ? page.samplesPerPixel : 1;
  if (page.offsets.length < perPlane * planes || page.byteCounts.length < perPlane * planes) {
    throw inputError(
      `${path}: corrupt TIFF: page ${page.index} lists ${page.offsets.length} ${page.tiled ? 'tile' : 'strip'} offsets and ` +
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
export function checkBlocks(path: string, fileSize: number, page: TiffPage, sample: number): void {
  const { first, count } = blocksFor(path, page, sample);
  const kind = page.tiled ? 'tile' : 'strip';
  let stored = 0;
  for (let b = first; b < first + count; b++) {
    const n = page.byteCounts[b];
    if (n === 0) continue;
    const end = page.offsets[b] + n;
    if (end > fileSize) {
      throw inputError(
        `${path}: truncated: ${kind} ${b} of page ${page.index} ends at byte ${end} but the file has ${fileSize} bytes`,
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
      `${path}: corrupt TIFF: page ${page.index} declares ${page.width} × ${page.height} pixels (${declared} bytes) but its ` +
        `${count} ${kind}${count === 1 ? '' : 's'} hold ${stored} bytes` +
        (page.compression === 1 ? ' (uncompressed)' : `, more than ${codec} can expand to (at most ${ratio}:1)`),
    );
  }
}

/**
 * The fast path (see tiff-reader.ts): decodes `sample` of `page` into `out` at `outOffset`, block by block, at most
 * MAX_IN_FLIGHT blocks at once; every decoded block is checked against the size it must have.
 */
export async function fastDecode(file: BlockSource, page: TiffPage, sample: number, out: VoxelData, outOffset: number): Promise<void> {
  const dtype = page.dtype!;
  const bps = BYTES[dtype];
  const { first, count, across } = blocksFor(file.path, page, sample);
  const kind = page.tiled ? 'tile' : 'strip';
  // Truncation check on every block before any I/O, so the message names the first bad block.
  let lo = Infinity;
  let hi = 0;
  let sum = 0;
  for (let b = first; b < first + count; b++) {
    const off = page.offsets[b];
    const end = off + page.byteCounts[b];
    if (page.byteCounts[b] === 0) continue;
    if (end > file.fileSize) {
      throw inputError(
        `${file.path}: truncated: ${kind} ${b} of page ${page.index} ends at byte ${end} but the file has ${file.fileSize} bytes`,
      );
    }
    if (off < lo) lo = off;
    if (end > hi) hi = end;
    sum += page.byteCounts[b];
  }
  if (sum === 0) return; // sparse page: all zeros (out is zero-initialised by the caller)
  const fh = await file.handle();
  // One read for the page's blocks when they are (nearly) contiguous, as every common writer lays them out;
  // otherwise one read per block. Only this page's bytes are read (memory: one channel at a time).
  const span = hi - lo;
  let spanBuf: Buffer | null = null;
  if (span <= sum * 1.25 + 65536) {
    spanBuf = Buffer.allocUnsafe(span);
    await readFully(fh, spanBuf, lo, file.path);
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
  const swap = !file.littleEndian && bps > 1 && page.predictor !== 3;
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
        `${file.path}: corrupt TIFF: ${kind} ${b} of page ${page.index} decodes to ${src.length} bytes, expected ${needBytes}`,
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
      : await readBlock(fh, page.offsets[b], n, file.path);
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
        throw inputError(`${file.path}: ${e.message} in ${kind} ${b} of page ${page.index}`, e);
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
        const decoder = await file.blockDecoder(page);
        const ab = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length) as ArrayBuffer;
        src = new Uint8Array(await quietly(async () => decoder.decodeBlock(ab)));
      } catch (e) {
        const codec = COMPRESSION_NAMES.get(page.compression);
        throw inputError(`${file.path}: corrupt ${codec} data in ${kind} ${b} of page ${page.index} (${(e as Error).message ?? String(e)})`, e);
      }
    } else {
      try {
        // Async inflate runs on the libuv thread pool, so the strips of a page decode in parallel;
        // chunkSize = expected size + OUTPUT_SPARE → zlib hands back one buffer (no concatenation);
        // maxOutputLength stops a stream that would expand beyond the block.
        src = await inflateAsync(raw, { chunkSize: Math.max(64, need + OUTPUT_SPARE), maxOutputLength: need + INFLATE_SLACK });
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? `expands beyond the ${need} bytes the block needs` : (e as Error).message;
        throw inputError(`${file.path}: corrupt deflate data in ${kind} ${b} of page ${page.index} (${why})`, e);
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

let quietDepth = 0;
let savedConsole: Pick<Console, 'warn' | 'log' | 'error' | 'info'> | null = null;

/**
 * Runs a geotiff decode with console output suppressed: its decoders print warnings (`console.warn` in the
 * JPEG decoder) straight to stderr, before our one-line error. Nested/concurrent calls share one mute.
 */
export async function quietly<T>(fn: () => Promise<T>): Promise<T> {
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

export async function readFully(fh: FileHandle, buf: Buffer, pos: number, path: string): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, pos + done);
    if (bytesRead === 0) {
      throw inputError(`${path}: truncated: expected ${buf.length} bytes at byte ${pos} but the file ends at byte ${pos + done}`);
    }
    done += bytesRead;
  }
}

export async function readBlock(fh: FileHandle, pos: number, n: number, path: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(n);
  await readFully(fh, buf, pos, path);
  return buf;
}
