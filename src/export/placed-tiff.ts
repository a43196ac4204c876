/**
 * TIFFs of frame-sized images that are zero outside one box (core/placed-volume.ts: the masks and ROI raster of a
 * run that analysed only an analysis window, issue 20.3), streamed from the box: each page's strip is deflated by
 * a zlib stream fed the frame's rows — shared zero buffers outside the box, the box's rows padded with zeros inside
 * — so memory stays bounded by the box plus ~1 MiB per file, however large the frame (a 512² ROI on a 16384²
 * image no longer allocates four 512 MiB masks and a 512 MiB ROI raster to write them).
 *
 * Same bytes as the whole-frame encoders (`encodeLabelTiffAsync` / `encodeTiffStackChunksAsync` on the
 * materialised frame; test/export-placed-tiff.test.ts): zlib's output depends only on the input bytes and the
 * settings, not on how the input is split across writes without flushes (zlib.h, `deflate`: "Z_NO_FLUSH allows
 * deflate to decide how much data to accumulate before producing output"), and the pages, tags and pixel type are
 * the same (the caller narrowed the box to uint16 where the labels fit, as the label encoder would).
 */
import { createDeflate } from 'node:zlib';
import type { RoiLabels, Volume } from '../core/volume.js';
import { placementOf, type Placement } from '../core/placed-volume.js';
import { assembleDeflatedTiff, encodeTiffStackChunksAsync, type TiffVoxelData, type TiffWriteOptions } from '../io/tiff-writer.js';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Zero runs are fed to zlib in pieces of `ZERO_PIECE` bytes from one shared buffer that is never written (its pages
 * stay the kernel's zero page: no resident memory); each write is a thread-pool round trip, so pieces are large.
 * Box rows (zero-padded to the frame's width) are staged in two `STAGE`-byte buffers per stream, reused once zlib
 * is done with them: fresh buffers per batch cost 16 MiB per mask for a 512-row ROI on a 16384-wide image.
 */
const ZERO_PIECE = 4 << 20;
const STAGE = 256 << 10;
const ZEROS = new Uint8Array(ZERO_PIECE);

/**
 * The TIFF of `volume` (frame-sized, placed as `p`) as chunks to write in order. Anything but deflate on a
 * little-endian host is encoded from the materialised frame, as before.
 */
export async function encodePlacedTiffAsync(volume: Volume<TiffVoxelData>, p: Placement, options: TiffWriteOptions): Promise<Uint8Array[]> {
  if (options.compression !== 'deflate' || !LITTLE_ENDIAN_HOST) return encodeTiffStackChunksAsync({ data: volume.data, shape: volume.shape }, options);
  const level = options.deflateLevel ?? 6;
  const [Z] = p.frameShape;
  const [oz] = p.origin;
  const bz = p.box.shape[0];
  // Planes outside the box are all zeros: deflated once, shared.
  let zeroPlane: Promise<Uint8Array[]> | null = null;
  const strips = await Promise.all(
    Array.from({ length: Z }, (_, z) => (z >= oz && z < oz + bz ? deflatePlane(p, z, level) : (zeroPlane ??= deflatePlane(p, -1, level)))),
  );
  const Ctor = p.box.data instanceof Uint16Array ? Uint16Array : Uint32Array;
  return assembleDeflatedTiff(p.frameShape, new Ctor(0), strips, { ...options, compression: 'deflate' });
}

/** The ROI raster's TIFF (one uint16 page): streamed from its box when it is placed, else as before. */
export function encodeRoiLabelsTiffAsync(roi: RoiLabels, options: TiffWriteOptions): Promise<Uint8Array[]> {
  const [Y, X] = roi.shape;
  const frame = { shape: [1, Y, X] as const, get data() { return roi.data; } };
  const p = placementOf(roi);
  return p ? encodePlacedTiffAsync(frame, p, options) : encodeTiffStackChunksAsync({ data: roi.data, shape: [1, Y, X] }, options);
}

/** One zlib stream of frame plane `z` (-1: an all-zero plane). */
async function deflatePlane(p: Placement, z: number, level: number): Promise<Uint8Array[]> {
  const [, Y, X] = p.frameShape;
  const [oz, oy, ox] = p.origin;
  const [, by, bx] = p.box.shape;
  const src = p.box.data;
  const bpe = src.BYTES_PER_ELEMENT;
  const rowBytes = X * bpe;
  const d = createDeflate({ level });
  const out: Buffer[] = [];
  d.on('data', (c: Buffer) => out.push(c));
  const finished = new Promise<void>((resolve, reject) => {
    d.on('end', resolve);
    d.on('error', reject);
  });
  const write = (b: Uint8Array) =>
    d.write(b) ? Promise.resolve() : new Promise<void>((resolve) => d.once('drain', () => resolve()));
  const zeros = async (n: number) => {
    for (; n > 0; n -= ZERO_PIECE) await write(n >= ZERO_PIECE ? ZEROS : ZEROS.subarray(0, n));
  };
  if (z < 0) {
    await zeros(Y * rowBytes);
  } else {
    await zeros(oy * rowBytes);
    const rowsPer = Math.max(1, Math.floor(STAGE / rowBytes));
    const Ctor = src instanceof Uint16Array ? Uint16Array : Uint32Array;
    // Two staging buffers: one is filled while zlib reads the other; a buffer is refilled only after its write's
    // callback (zlib has consumed it).
    const stage = [new Ctor(rowsPer * X), new Ctor(rowsPer * X)];
    const busy: (Promise<void> | null)[] = [null, null];
    let k = 0;
    for (let y = 0; y < by; y += rowsPer, k ^= 1) {
      const n = Math.min(rowsPer, by - y);
      await busy[k];
      const buf = stage[k];
      for (let r = 0; r < n; r++) {
        const s = ((z - oz) * by + y + r) * bx;
        buf.set(src.subarray(s, s + bx), r * X + ox); // the zeros left and right of the box are never written
      }
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset, n * rowBytes);
      let ok = true;
      busy[k] = new Promise<void>((resolve, reject) => {
        ok = d.write(bytes, (err) => (err ? reject(err) : resolve()));
      });
      busy[k]!.catch(() => undefined); // surfaced through the stream's 'error' (finished)
      if (!ok) await new Promise<void>((resolve) => d.once('drain', () => resolve()));
    }
    await Promise.all(busy);
    await zeros((Y - oy - by) * rowBytes);
  }
  d.end();
  await finished;
  // The pieces as zlib produced them (slices of its 16 KiB output buffers): one copy of the strip in memory.
  return out;
}
