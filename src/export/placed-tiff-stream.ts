/**
 * The frame-sized TIFFs of a window run (placed-tiff.ts: masks and ROI raster, zero outside one box) streamed
 * straight into the atomic write's temporary file (io/atomic-write.ts `StreamedContent`) as zlib produces them,
 * instead of being held deflated in memory until the write (issue 20, speed: a 512² ROI on a 16384² image held
 * four masks and the ROI raster, ~2.35 MB of deflated zeros each, until every file was written). Measured alone
 * this hardly lowered the peak RSS at that size: zlib's 16 KiB output buffers, filled slowly from zero runs,
 * outlive two scavenges and wait in V8's old space for a full GC either way; what lowered it (and the time) is
 * producing less output through zlib at all (zero-run-deflate.ts). Streaming bounds the memory of files whose
 * compressed size is large (big 3D windows), which no longer have to fit in memory whole.
 *
 * Same bytes as `encodePlacedTiffAsync` (test/export-placed-tiff-stream.test.ts): the strips are the same zlib
 * streams, written at the offsets the TIFF head gives them, and the head is built last by the same assembler from
 * the strips' lengths (dummy views of those lengths: the head holds only offsets and counts). The head's own size
 * does not depend on the strips, unless the file would outgrow a classic TIFF (4 GiB) and the writer switched to
 * BigTIFF: frames whose deflate worst case could reach that are encoded in memory as before.
 */
import type { RoiLabels, Volume } from '../core/volume.js';
import { placementOf, type Placement } from '../core/placed-volume.js';
import type { FileSink, StreamedContent } from '../io/atomic-write.js';
import { assembleDeflatedTiff, type TiffVoxelData, type TiffWriteOptions } from '../io/tiff-writer.js';
import { deflatePlaneFast } from './zero-run-deflate.js';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Views of this buffer stand for strips of a given length when the head is assembled; never read. */
const DUMMY = new Uint8Array(1 << 20);
const PAD = new Uint8Array(1); // a compressed strip of odd length is followed by one zero byte (tiff-writer.ts)

/** A placed mask's TIFF as streamed content, or null when it is not placed or cannot be streamed (see above). */
export function streamedPlacedTiff(volume: Volume<TiffVoxelData>, options: TiffWriteOptions): StreamedContent | null {
  const p = placementOf(volume);
  return p ? streamPlacement(p, options) : null;
}

/** The placed ROI raster's TIFF as streamed content, or null. */
export function streamedRoiLabelsTiff(roi: RoiLabels, options: TiffWriteOptions): StreamedContent | null {
  const p = placementOf(roi);
  return p ? streamPlacement(p, options) : null;
}

function streamPlacement(p: Placement, options: TiffWriteOptions): StreamedContent | null {
  if (options.compression !== 'deflate' || !LITTLE_ENDIAN_HOST) return null;
  const [Z, Y, X] = p.frameShape;
  const bpe = p.box.data.BYTES_PER_ELEMENT;
  const raw = Z * Y * X * bpe;
  // zlib's deflateBound: n + n/4096 + n/16384 + n/2^25 + 13 per stream (+ 6 for the zlib wrapper); generous margins.
  if (options.bigTiff === undefined && raw + raw / 1000 + Z * 64 + (1 << 20) > 0xffffffff) return null;
  const level = options.deflateLevel ?? 6;
  const sample = bpe === 2 ? new Uint16Array(0) : new Uint32Array(0);
  const head = (lengths: readonly number[]) => assembleDeflatedTiff(p.frameShape, sample, lengths.map(dummyStrip), options)[0];
  return {
    async stream(sink) {
      const headSize = head(new Array<number>(Z).fill(0)).length;
      const [oz] = p.origin;
      const bz = p.box.shape[0];
      // Planes outside the box are all zeros: deflated once, written for each.
      let zeroPlane: Promise<Uint8Array[]> | null = null;
      const produce = async (z: number, slot: PlaneSlot) => {
        if (z >= oz && z < oz + bz) await deflatePlaneFast(p, z, level, (piece) => slot.push(piece));
        else for (const piece of await (zeroPlane ??= deflatePlaneFast(p, -1, level))) slot.push(piece);
      };
      // Up to LOOKAHEAD planes are deflated at once (as the in-memory encoder deflates them all in parallel); a
      // plane's output waits in memory only until every plane before it is written, then goes to its place.
      const slots: PlaneSlot[] = [];
      const startUpTo = (n: number) => {
        for (let z = slots.length; z < Math.min(n, Z); z++) {
          const slot = new PlaneSlot(sink);
          slot.done = produce(z, slot);
          slot.done.catch(() => undefined); // rethrown when its turn comes
          slots.push(slot);
        }
      };
      const lengths: number[] = [];
      let pos = headSize;
      for (let z = 0; z < Z; z++) {
        startUpTo(z + LOOKAHEAD);
        const slot = slots[z];
        slot.goLive(pos);
        await slot.done;
        await slot.chain;
        slots[z] = null as unknown as PlaneSlot; // its pieces may go
        lengths.push(slot.length);
        pos += slot.length;
        if (slot.length & 1) await sink.writeAt(PAD, pos++);
      }
      const h = head(lengths);
      if (h.length !== headSize) throw new Error(`placed-tiff-stream: the TIFF head grew from ${headSize} to ${h.length} bytes`);
      await sink.writeAt(h, 0);
      return pos;
    },
  };
}

/** Planes deflated at once per file. */
const LOOKAHEAD = 4;

/** One plane's strip: pieces held until its place in the file is known, then written there in order as they come. */
class PlaneSlot {
  done: Promise<void> = Promise.resolve();
  chain: Promise<void> = Promise.resolve();
  length = 0;
  private held: Uint8Array[] = [];
  private at = -1;
  private written = 0;
  constructor(private readonly sink: FileSink) {}

  push(piece: Uint8Array): void {
    this.length += piece.length;
    if (this.at < 0) this.held.push(piece);
    else this.write(piece);
  }

  goLive(at: number): void {
    this.at = at;
    for (const piece of this.held) this.write(piece);
    this.held = [];
  }

  /** Writes are chained in output order; zlib keeps producing meanwhile. */
  private write(piece: Uint8Array): void {
    const where = this.at + this.written;
    this.written += piece.length;
    this.chain = this.chain.then(() => this.sink.writeAt(piece, where));
    this.chain.catch(() => undefined); // surfaced by the caller's `await slot.chain`
  }
}

function dummyStrip(length: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let n = length; n > 0; n -= DUMMY.length) parts.push(DUMMY.subarray(0, Math.min(n, DUMMY.length)));
  return parts;
}
