/**
 * The ROI raster's TIFF when one ROI covers every pixel (`rois: full`, roi/full-image.ts): the plane is one value
 * repeated, so zlib is fed a small buffer of it again and again instead of the raster, which is then never built
 * (issue 21: 8 MiB of fresh memory filled on the main thread for a 2048² image).
 *
 * Same bytes as deflating the whole plane at once: zlib's output depends only on the input bytes and the settings,
 * not on how the input is split across writes without flushes (zlib.h, `deflate`; placed-tiff.ts relies on the
 * same), and the page, tags and pixel type (uint16) are those of `encodeTiffStackChunksAsync` on the raster
 * (test/export-uniform-tiff.test.ts).
 */
import type { RoiLabels } from '../core/volume.js';
import { uniformRoiId } from '../roi/roi-index.js';
import { placementOf } from '../core/placed-volume.js';
import { assembleDeflatedTiff, type TiffWriteOptions } from '../io/tiff-writer.js';
import { deflateRepeated } from './plane-deflate.js';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes per write: few thread-pool round trips, little memory. */
const PIECE_BYTES = 2 << 20;

/** The TIFF of a raster whose one ROI covers every pixel; null when it has none (or is not deflated here). */
export function encodeUniformRoiTiffAsync(roi: RoiLabels, options: TiffWriteOptions): Promise<Uint8Array[]> | null {
  const id = uniformRoiId(roi);
  if (id === 0 || placementOf(roi) || options.compression !== 'deflate' || !LITTLE_ENDIAN_HOST) return null;
  const [Y, X] = roi.shape;
  return deflateConstantPlane(id, Y, X, options.deflateLevel ?? 6).then((strip) =>
    assembleDeflatedTiff([1, Y, X], new Uint16Array(0), [strip], options),
  );
}

/** One zlib stream of a `Y × X` uint16 plane of `value` (little-endian), as the pieces zlib produced. */
export function deflateConstantPlane(value: number, Y: number, X: number, level: number): Promise<Uint8Array[]> {
  const piece = new Uint16Array(Math.min(Y * X, Math.max(1, PIECE_BYTES >>> 1))).fill(value);
  return deflateRepeated(new Uint8Array(piece.buffer), 2 * Y * X, level);
}
