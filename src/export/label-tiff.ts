/**
 * Label-mask TIFFs for the results folder, encoded plane by plane: each z plane of the uint32 labels is narrowed
 * to uint16 into a small buffer (applying a positive-cell keep lookup on the way, `core/label-subset.ts`) and
 * deflated on libuv's thread pool while the next planes are prepared. Before, every mask was first copied whole to
 * uint16 (`narrowLabelVolume`: one scan for the maximum, one full-size copy) and the positive-cell mask was a third
 * full uint32 volume; a 40×512² run allocated ~100 MiB of fresh memory for that (~0.6 ms/MiB here).
 *
 * Same bytes as `encodeTiffStackChunksAsync(narrowLabelVolume(materialised volume))`: uint16 when the largest label
 * is ≤ 65535, uint32 otherwise; one zlib stream per plane at the same level (zlib's output depends only on the
 * bytes and the level).
 */
import { deflate as deflateCb } from 'node:zlib';
import { promisify } from 'node:util';
import type { Volume } from '../core/volume.js';
import { labelSubsetOf } from '../core/label-subset.js';
import { assembleDeflatedTiff, encodeTiffStackChunksAsync, narrowLabelVolume, type TiffVoxelData, type TiffWriteOptions } from '../io/tiff-writer.js';

const deflateAsync = promisify(deflateCb);
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Bytes of narrowed planes waiting for (or in) deflate per mask: enough to keep the thread pool busy while the
 * main thread writes CSVs and the workbook (16 planes of a 512² stack), without a full-size copy of a large stack.
 * A plane larger than this (a 2048² image) is still done, one at a time.
 */
const IN_FLIGHT_BYTES = 8 << 20;

/** A label mask (uint32 labels, possibly a lazy subset) as TIFF chunks; any other volume as before. */
export async function encodeLabelTiffAsync(volume: Volume<TiffVoxelData>, options: TiffWriteOptions): Promise<Uint8Array[]> {
  const subset = labelSubsetOf(volume as Volume<Uint32Array>);
  if (options.compression !== 'deflate' || !LITTLE_ENDIAN_HOST) return encodeTiffStackChunksAsync(narrowLabelVolume(volume), options);
  if (subset) {
    if (subset.source.data.length !== volume.shape[0] * volume.shape[1] * volume.shape[2]) return encodeTiffStackChunksAsync(volume, options); // its checks throw
    if (subset.maxKept > 0xffff) return encodeTiffStackChunksAsync(volume, options); // materialises; stays uint32
    const { keep, maxKept } = subset;
    const src = subset.source.data;
    const strips = await deflatePlanes(volume.shape, (a, b, out) => {
      if (maxKept === 0) {
        out.fill(0);
        return true;
      }
      for (let i = a, j = 0; i < b; i++, j++) {
        const l = src[i];
        out[j] = l !== 0 && l <= maxKept && keep[l] === 1 ? l : 0;
      }
      return true;
    }, options);
    return assembleDeflatedTiff(volume.shape, new Uint16Array(0), strips!, options);
  }
  const data = volume.data;
  if (!(data instanceof Uint32Array) || data.length !== volume.shape[0] * volume.shape[1] * volume.shape[2]) return encodeTiffStackChunksAsync(volume, options);
  const strips = await deflatePlanes(volume.shape, (a, b, out) => {
    // narrow and check in one pass: any label > 65535 sets a bit above bit 15 in `or`
    let or = 0;
    for (let i = a, j = 0; i < b; i++, j++) {
      const l = data[i];
      out[j] = l;
      or |= l;
    }
    return or >>> 16 === 0;
  }, options);
  // a label above 65535: the file is uint32, the planes deflated straight from the volume
  if (!strips) return encodeTiffStackChunksAsync(volume, options);
  return assembleDeflatedTiff(volume.shape, new Uint16Array(0), strips, options);
}

/**
 * Fills plane z (voxels `[a, b)`) into a uint16 buffer with `fill` and deflates it; at most `IN_FLIGHT_BYTES` of
 * planes pending at a time (at least one). `fill` returns false when the plane does not fit uint16: then null.
 */
async function deflatePlanes(
  shape: readonly [number, number, number],
  fill: (a: number, b: number, out: Uint16Array) => boolean,
  options: TiffWriteOptions,
): Promise<Uint8Array[] | null> {
  const [Z, Y, X] = shape;
  const plane = Y * X;
  const level = options.deflateLevel ?? 6;
  const maxPending = Math.max(1, Math.floor(IN_FLIGHT_BYTES / (2 * plane)));
  const strips: Uint8Array[] = new Array(Z);
  const pending: Promise<void>[] = [];
  let fits = true;
  for (let z = 0; z < Z && fits; z++) {
    if (pending.length >= maxPending) await pending.shift();
    // a fresh buffer per plane: zlib reads it on a pool thread until its deflate completes
    const out = new Uint16Array(plane);
    if (!fill(z * plane, (z + 1) * plane, out)) {
      fits = false;
      break;
    }
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    pending.push(deflateAsync(bytes, { level }).then((b) => void (strips[z] = new Uint8Array(b.buffer, b.byteOffset, b.byteLength))));
  }
  await Promise.all(pending);
  return fits ? strips : null;
}
