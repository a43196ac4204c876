/**
 * One placed plane (core/placed-volume.ts) through zlib, fed row by row from the box: see placed-tiff.ts for why
 * the bytes are those of the whole-frame encoder.
 */
import { createDeflate } from 'node:zlib';
import type { Placement } from '../core/placed-volume.js';

/**
 * Zero runs are fed to zlib in pieces of `ZERO_PIECE` bytes from one shared buffer that is never written (its pages
 * stay the kernel's zero page: no resident memory); each write is a thread-pool round trip, so pieces are large.
 * Box rows (zero-padded to the frame's width) are staged in two `STAGE`-byte buffers per stream, reused once zlib
 * is done with them: fresh buffers per batch cost 16 MiB per mask for a 512-row ROI on a 16384-wide image.
 */
export const ZERO_PIECE = 4 << 20;
const STAGE = 256 << 10;
export const ZEROS = new Uint8Array(ZERO_PIECE);

/**
 * One zlib stream of frame plane `z` (-1: an all-zero plane). `emit`: each piece of output is handed over as zlib
 * produces it (streamed to the file, placed-tiff-stream.ts) instead of collected; the result is then empty.
 * `trim`: bytes left out of the leading and trailing zero runs (zero-run-deflate.ts puts their output back).
 */
export async function deflatePlane(
  p: Placement,
  z: number,
  level: number,
  emit?: (piece: Uint8Array) => void,
  trim: { before: number; after: number } = { before: 0, after: 0 },
): Promise<Uint8Array[]> {
  const [, Y, X] = p.frameShape;
  const [oz, oy, ox] = p.origin;
  const [, by, bx] = p.box.shape;
  const src = p.box.data;
  const bpe = src.BYTES_PER_ELEMENT;
  const rowBytes = X * bpe;
  const d = createDeflate({ level });
  const out: Buffer[] = [];
  d.on('data', emit ?? ((c: Buffer) => out.push(c)));
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
    await zeros(Y * rowBytes - trim.before);
  } else {
    await zeros(oy * rowBytes - trim.before);
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
    await zeros((Y - oy - by) * rowBytes - trim.after);
  }
  d.end();
  await finished;
  // The pieces as zlib produced them (slices of its 16 KiB output buffers): one copy of the strip in memory.
  return out;
}

/**
 * One zlib stream of `totalBytes` bytes that repeat `piece` (the last write cut short), as the pieces zlib produced:
 * a constant plane deflated without building it. The output is that of deflating the whole run at once (zlib's
 * output does not depend on how the input is split across writes without flushes).
 */
export async function deflateRepeated(piece: Uint8Array, totalBytes: number, level: number): Promise<Buffer[]> {
  const d = createDeflate({ level });
  const out: Buffer[] = [];
  d.on('data', (c: Buffer) => out.push(c));
  const finished = new Promise<void>((resolve, reject) => {
    d.on('end', resolve);
    d.on('error', reject);
  });
  // zlib reads `piece` on the thread pool: it is never changed, so every write may hand over the same buffer
  for (let left = totalBytes; left > 0; left -= piece.length) {
    if (!d.write(left >= piece.length ? piece : piece.subarray(0, left))) await new Promise<void>((r) => d.once('drain', () => r()));
  }
  d.end();
  await finished;
  return out;
}
