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
import type { Volume } from '../core/volume.js';
import { labelSubsetOf } from '../core/label-subset.js';
import type { LabelRuns, RunsOfLabels } from '../core/label-runs.js';
import { placementOf } from '../core/placed-volume.js';
import { encodePlacedTiffAsync } from './placed-tiff.js';
import { deflateOnPool } from '../io/pool-deflate.js';
import { assembleDeflatedTiff, encodeTiffStackChunksAsync, narrowLabelVolume, type TiffVoxelData, type TiffWriteOptions } from '../io/tiff-writer.js';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Bytes of narrowed planes waiting for (or in) deflate per mask: enough to keep the thread pool busy while the
 * main thread writes CSVs and the workbook (16 planes of a 512² stack), without a full-size copy of a large stack.
 * A plane larger than this (a 2048² image) is still done, one at a time.
 */
const IN_FLIGHT_BYTES = 8 << 20;

/** Runs known for a label array (`core/label-runs.ts`): exactly its non-zero voxels with their labels. */
export type LabelArrayRuns = RunsOfLabels;

/**
 * A label mask (uint32 labels, possibly a lazy subset) as TIFF chunks; any other volume as before. `knownRuns`: runs
 * of label arrays (the tables' measurement passes, `tables/index.ts` `maskRunsOf`); a mask whose array (or whose
 * subset's source array) is among them is filled run by run instead of scanned (issue 21: three 16 MiB scans of a
 * 2048² run, each in code still cold), same bytes.
 */
export async function encodeLabelTiffAsync(
  volume: Volume<TiffVoxelData>,
  options: TiffWriteOptions,
  knownRuns: readonly LabelArrayRuns[] = [],
): Promise<Uint8Array[]> {
  // frame-sized masks of an analysis-window run: streamed from their box (placed-tiff.ts)
  const placed = placementOf(volume);
  if (placed) return encodePlacedTiffAsync(volume, placed, options);
  const subset = labelSubsetOf(volume as Volume<Uint32Array>);
  if (options.compression !== 'deflate' || !LITTLE_ENDIAN_HOST) return encodeTiffStackChunksAsync(narrowLabelVolume(volume), options);
  if (subset) {
    if (subset.source.data.length !== volume.shape[0] * volume.shape[1] * volume.shape[2]) return encodeTiffStackChunksAsync(volume, options); // its checks throw
    if (subset.maxKept > 0xffff) return encodeTiffStackChunksAsync(volume, options); // materialises; stays uint32
    const { keep, maxKept } = subset;
    const src = subset.source.data;
    const runs = knownRuns.find((r) => r.data === src)?.runs;
    if (runs) {
      const strips = await deflatePlanes(volume.shape, runFiller(runs, (l) => l <= maxKept && keep[l] === 1), options);
      return assembleDeflatedTiff(volume.shape, new Uint16Array(0), strips!, options);
    }
    // `out` comes zeroed: only kept labels are written (background, most of a mask, is skipped 4 voxels at a time)
    const strips = await deflatePlanes(volume.shape, (a, b, out) => {
      if (maxKept === 0) return true;
      let i = a;
      for (; i + 4 <= b; i += 4) {
        if ((src[i] | src[i + 1] | src[i + 2] | src[i + 3]) === 0) continue;
        for (let j = i; j < i + 4; j++) {
          const l = src[j];
          if (l !== 0 && l <= maxKept && keep[l] === 1) out[j - a] = l;
        }
      }
      for (; i < b; i++) {
        const l = src[i];
        if (l !== 0 && l <= maxKept && keep[l] === 1) out[i - a] = l;
      }
      return true;
    }, options);
    return assembleDeflatedTiff(volume.shape, new Uint16Array(0), strips!, options);
  }
  const data = volume.data;
  // uint16 labels (a threshold run's, `LabelData`) are the file's planes already: deflated from the array itself
  if (!(data instanceof Uint32Array) || data.length !== volume.shape[0] * volume.shape[1] * volume.shape[2]) return encodeTiffStackChunksAsync(volume, options);
  const runs = knownRuns.find((r) => r.data === data)?.runs;
  const strips = await deflatePlanes(volume.shape, runs ? runFiller(runs, () => true) : (a, b, out) => {
    // `out` comes zeroed: only labels are written (background skipped 4 voxels at a time); any label > 65535 sets
    // a bit above bit 15 in `or`
    let or = 0;
    let i = a;
    for (; i + 4 <= b; i += 4) {
      const q = data[i] | data[i + 1] | data[i + 2] | data[i + 3];
      if (q === 0) continue;
      or |= q;
      out[i - a] = data[i];
      out[i - a + 1] = data[i + 1];
      out[i - a + 2] = data[i + 2];
      out[i - a + 3] = data[i + 3];
    }
    for (; i < b; i++) {
      or |= data[i];
      out[i - a] = data[i];
    }
    return or >>> 16 === 0;
  }, options);
  // a label above 65535: the file is uint32, the planes deflated straight from the volume
  if (!strips) return encodeTiffStackChunksAsync(volume, options);
  return assembleDeflatedTiff(volume.shape, new Uint16Array(0), strips, options);
}

/**
 * `deflatePlanes`' filler from label runs: the runs of voxels `[a, b)` whose label passes `keep` are written into
 * the zeroed plane; a label above 65535 (kept) means the plane does not fit uint16. The planes come in order, so
 * one cursor walks the runs once.
 */
function runFiller(runs: LabelRuns, keep: (label: number) => boolean): (a: number, b: number, out: Uint16Array) => boolean {
  const { n, start, length, label } = runs;
  let r = 0;
  return (a, b, out) => {
    while (r < n && start[r] < a) r++;
    for (; r < n && start[r] < b; r++) {
      const l = label[r];
      if (!keep(l)) continue;
      if (l > 0xffff) return false;
      const s = start[r] - a;
      out.fill(l, s, s + length[r]);
    }
    return true;
  };
}

/**
 * A plane buffer left by the last mask encoded (issue 21): a run's masks are encoded one after another or two at a
 * time, and a used buffer zeroed again costs ~1 ms for a 2048² plane where fresh memory costs ~5 ms of page faults
 * (~0.6 ms/MiB here). One buffer is kept, of the most recent plane size only.
 */
let sparePlane: Uint16Array | null = null;

function takePlane(length: number): Uint16Array {
  const spare = sparePlane;
  if (spare && spare.length === length) {
    sparePlane = null;
    return spare.fill(0);
  }
  return new Uint16Array(length);
}

function giveBackPlane(plane: Uint16Array): void {
  if (!sparePlane || sparePlane.length !== plane.length) sparePlane = plane;
}

/**
 * Fills plane z (voxels `[a, b)`) into a zeroed uint16 buffer with `fill` and deflates it; at most
 * `IN_FLIGHT_BYTES` of planes pending at a time (at least one). A buffer is reused (zeroed again) once zlib is done
 * with it: fresh memory costs ~0.6 ms/MiB here, a 40×512² mask is 20 MiB of planes. `fill` returns false when the
 * plane does not fit uint16: then null.
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
  const pending: Promise<Uint16Array>[] = [];
  const release = async () => {
    for (const out of await Promise.all(pending)) giveBackPlane(out);
  };
  for (let z = 0; z < Z; z++) {
    let out: Uint16Array;
    if (pending.length >= maxPending) {
      out = await pending.shift()!;
      out.fill(0);
    } else {
      out = takePlane(plane);
    }
    if (!fill(z * plane, (z + 1) * plane, out)) {
      giveBackPlane(out);
      await release();
      return null;
    }
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    // zlib reads `out` on a pool thread until its deflate completes; then it is free again
    pending.push(
      deflateOnPool(bytes, level).then((b) => {
        strips[z] = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
        return out;
      }),
    );
  }
  await release();
  return strips;
}
