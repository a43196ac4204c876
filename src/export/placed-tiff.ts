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
import type { RoiLabels, Volume } from '../core/volume.js';
import { placementOf, type Placement } from '../core/placed-volume.js';
import { assembleDeflatedTiff, encodeTiffStackChunksAsync, type TiffVoxelData, type TiffWriteOptions } from '../io/tiff-writer.js';
import { deflatePlaneFast } from './zero-run-deflate.js';
import { encodeUniformRoiTiffAsync } from './uniform-tiff.js';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;


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
    Array.from({ length: Z }, (_, z) => (z >= oz && z < oz + bz ? deflatePlaneFast(p, z, level) : (zeroPlane ??= deflatePlaneFast(p, -1, level)))),
  );
  const Ctor = p.box.data instanceof Uint16Array ? Uint16Array : Uint32Array;
  return assembleDeflatedTiff(p.frameShape, new Ctor(0), strips, { ...options, compression: 'deflate' });
}

/**
 * The ROI raster's TIFF (one uint16 page): streamed from its box when it is placed, from one repeated value when one
 * ROI covers it (uniform-tiff.ts), else as before.
 */
export function encodeRoiLabelsTiffAsync(roi: RoiLabels, options: TiffWriteOptions): Promise<Uint8Array[]> {
  const uniform = encodeUniformRoiTiffAsync(roi, options);
  if (uniform) return uniform;
  const [Y, X] = roi.shape;
  const frame = { shape: [1, Y, X] as const, get data() { return roi.data; } };
  const p = placementOf(roi);
  return p ? encodePlacedTiffAsync(frame, p, options) : encodeTiffStackChunksAsync({ data: roi.data, shape: [1, Y, X] }, options);
}
