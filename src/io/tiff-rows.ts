/**
 * One page's sample decoded as a stream of row bands: strip by strip, at most `BAND_BYTES` of decoded rows held at
 * once, so a caller that keeps only a window of the page (`reanalyze`'s label masks for a drawn ROI of a
 * slide-sized frame, issue 20.3) never holds the page. A 16384² uint16 mask is 512 MiB decoded; its band is 4 MiB.
 *
 * Layouts streamed: strips (not tiles) of one sample per pixel (or planar configuration 2), uncompressed or
 * deflate, predictor none or horizontal (2), either byte order — what `cellcoloc run`, tifffile, Fiji and
 * scikit-image write for label images. A deflate strip is inflated by a zlib stream fed from the file in pieces,
 * so even our writer's one-strip page is never whole in memory. Anything else: `canStreamRows` is false and the
 * caller reads the page whole (tiff-blocks.ts).
 */
import { createInflate } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { inputError, isCellColocError } from '../core/errors.js';
import type { VoxelData } from '../core/volume.js';
import { undoPredictor, swapBytes } from './tiff-codecs.js';
import { blocksFor, readBlock, DEFLATE, type BlockSource } from './tiff-blocks.js';
import { viewForDtype, DTYPE_BYTES as BYTES, type TiffPage } from './tiff-page.js';

/** Decoded bytes held per band (rounded down to whole rows; at least one row). */
const BAND_BYTES = 4 << 20;
/** Compressed bytes read from the file per piece fed to zlib. */
const READ_BYTES = 1 << 20;

/**
 * Receives rows `y0 … y0 + rows − 1` of the page as `band` (`rows × width` values in the page's dtype). The band's
 * memory is reused for the next call: copy what you keep. Returning `false` stops the stream (nothing more is read).
 */
export type RowBandSink = (y0: number, band: VoxelData, rows: number) => void | boolean;

/** Thrown by a band's delivery when the sink returned false; ends the strip's streams, caught in `streamRows`. */
class SinkStopped extends Error {}

/** True when `streamRows` can stream this page's `sample` (see the module comment). */
export function canStreamRows(page: TiffPage, sample: number): boolean {
  return (
    !page.tiled &&
    page.dtype !== null &&
    page.photometric !== 3 &&
    (page.samplesPerPixel === 1 || page.planarConfiguration === 2) &&
    sample >= 0 &&
    sample < page.samplesPerPixel &&
    (page.compression === 1 || DEFLATE.has(page.compression)) &&
    (page.predictor === 1 || page.predictor === 2)
  );
}

/**
 * Streams sample `sample` of `page` to `sink` in row bands, top to bottom. Requires `canStreamRows`. A strip that is
 * truncated, corrupt, or decodes to more or fewer bytes than its rows is one error naming the file, strip and page.
 * Resolves true when every row was delivered, false when the sink stopped the stream.
 */
export async function streamRows(file: BlockSource, page: TiffPage, sample: number, sink: RowBandSink): Promise<boolean> {
  try {
    await deliverRows(file, page, sample, sink);
    return true;
  } catch (e) {
    if (e instanceof SinkStopped) return false;
    throw e;
  }
}

async function deliverRows(file: BlockSource, page: TiffPage, sample: number, sink: RowBandSink): Promise<void> {
  if (!canStreamRows(page, sample)) throw new Error(`streamRows: page ${page.index} cannot be streamed (check canStreamRows first)`);
  const dtype = page.dtype!;
  const bps = BYTES[dtype];
  const W = page.width;
  const H = page.height;
  const rowBytes = W * bps;
  const bandRows = Math.max(1, Math.min(page.blockHeight, Math.floor(BAND_BYTES / rowBytes)));
  const buffer = new ArrayBuffer(bandRows * rowBytes);
  const bandBytes = new Uint8Array(buffer);
  const bandValues = viewForDtype(dtype, buffer, bandRows * W);
  const swap = !file.littleEndian && bps > 1;
  const { first, count } = blocksFor(file.path, page, sample);
  const fh = await file.handle();
  const where = (b: number) => `strip ${b} of page ${page.index}`;

  for (let k = 0; k < count; k++) {
    const b = first + k;
    const y0 = k * page.blockHeight;
    if (y0 >= H) break;
    const rows = Math.min(page.blockHeight, H - y0);
    const need = rows * rowBytes;
    const off = page.offsets[b];
    const n = page.byteCounts[b];
    if (off + n > file.fileSize) {
      throw inputError(`${file.path}: truncated: ${where(b)} ends at byte ${off + n} but the file has ${file.fileSize} bytes`);
    }
    // Rows of this strip filled so far into the band, and the band's first row.
    let filled = 0;
    let bandY = y0;
    let decoded = 0;
    const flush = () => {
      const r = filled / rowBytes;
      if (r === 0) return;
      if (swap) swapBytes(bandBytes, 0, filled, bps);
      if (page.predictor === 2) undoPredictor(bandValues, 0, r, W, 1);
      if (sink(bandY, bandValues.subarray(0, r * W), r) === false) throw new SinkStopped();
      bandY += r;
      filled = 0;
    };
    const take = (chunk: Uint8Array) => {
      if (decoded + chunk.length > need) {
        throw inputError(`${file.path}: corrupt TIFF: ${where(b)} decodes to more than the ${need} bytes its ${rows} rows hold`);
      }
      decoded += chunk.length;
      let p = 0;
      while (p < chunk.length) {
        const room = Math.min(bandBytes.length, (y0 + rows - bandY) * rowBytes) - filled;
        const m = Math.min(room, chunk.length - p);
        bandBytes.set(chunk.subarray(p, p + m), filled);
        filled += m;
        p += m;
        if (filled === bandRows * rowBytes || filled === (y0 + rows - bandY) * rowBytes) flush();
      }
    };

    if (n === 0) {
      // An empty strip holds zeros (as in fastDecode).
      bandBytes.fill(0);
      for (let y = y0; y < y0 + rows; y += bandRows) {
        const r = Math.min(bandRows, y0 + rows - y);
        if (sink(y, bandValues.subarray(0, r * W), r) === false) throw new SinkStopped();
      }
      continue;
    }
    if (page.compression === 1) {
      if (n < need) throw inputError(`${file.path}: corrupt TIFF: ${where(b)} holds ${n} bytes, expected ${need}`);
      for (let pos = 0; pos < need; pos += READ_BYTES) take(await readBlock(fh, off + pos, Math.min(READ_BYTES, need - pos), file.path));
    } else {
      async function* compressed() {
        for (let pos = 0; pos < n; pos += READ_BYTES) yield await readBlock(fh, off + pos, Math.min(READ_BYTES, n - pos), file.path);
      }
      try {
        await pipeline(compressed, createInflate({ chunkSize: 1 << 20 }), async (inflated: AsyncIterable<Buffer>) => {
          for await (const chunk of inflated) take(chunk);
        });
      } catch (e) {
        if (isCellColocError(e) || e instanceof SinkStopped) throw e;
        throw inputError(`${file.path}: corrupt deflate data in ${where(b)} (${(e as Error).message})`, e);
      }
    }
    if (decoded !== need) {
      throw inputError(`${file.path}: corrupt TIFF: ${where(b)} decodes to ${decoded} bytes, expected ${need}`);
    }
  }
}
