/**
 * Blosc 1 frames (the `blosc` codec of Zarr v2 and v3) taken apart in TypeScript, so that the compressed streams
 * inside can go to a native decoder (issue 20, speed; see native-codecs.ts) instead of numcodecs.js' WebAssembly
 * build of c-blosc.
 *
 * Frame layout (c-blosc 1.x, `README_CHUNK_FORMAT.rst` of c-blosc; `blosc_d` / `serial_blosc` in blosc.c):
 *   16-byte header: version (2), versionlz, flags, typesize, nbytes (u32 LE, decoded size), blocksize (u32),
 *   cbytes (u32, frame size); flags bit 0 = byte shuffle, bit 1 = stored without compression (memcpyed),
 *   bit 2 = bit shuffle, bit 4 = blocks not split by byte, bits 5–7 = compressor format (0 blosclz, 1 lz4/lz4hc,
 *   2 snappy, 3 zlib, 4 zstd).
 *   Then (unless memcpyed) one u32 offset per block (`bstarts`), and per block `nsplits` streams, each an i32
 *   compressed size followed by the stream; a stream whose size equals its decoded size is stored raw.
 * A block is split in `typesize` streams (one per byte of the element) unless the frame says it is not split,
 * the block is the last, shorter one, or it is too small (typesize > 16 or fewer than 128 elements) — the
 * decoder's rule, which also reads frames written before the split flag existed.
 *
 * Only what a native decoder covers is handled here: zstd and zlib streams, no shuffle or byte shuffle. Bit
 * shuffle, blosclz, lz4 and snappy frames, and frame versions other than 2, return `null` and the caller falls
 * back to numcodecs.js.
 */

/** Compressor formats of the flags byte (bits 5–7). */
export const BLOSC_FORMAT = { blosclz: 0, lz4: 1, snappy: 2, zlib: 3, zstd: 4 } as const;

/** Decodes one compressed stream; `size` = the decoded size the frame declares. */
export type StreamDecoder = (stream: Uint8Array, size: number) => Promise<Uint8Array>;

export interface BloscHeader {
  version: number;
  flags: number;
  typesize: number;
  nbytes: number;
  blocksize: number;
  cbytes: number;
  /** Compressor format, `BLOSC_FORMAT`. */
  format: number;
}

export function readBloscHeader(frame: Uint8Array): BloscHeader {
  if (frame.byteLength < 16) throw new Error(`blosc frame of ${frame.byteLength} bytes is shorter than its 16-byte header`);
  const v = new DataView(frame.buffer, frame.byteOffset, 16);
  const flags = frame[2];
  return {
    version: frame[0],
    flags,
    typesize: frame[3],
    nbytes: v.getUint32(4, true),
    blocksize: v.getUint32(8, true),
    cbytes: v.getUint32(12, true),
    format: (flags & 0xe0) >> 5,
  };
}

/**
 * The decoded bytes of a blosc frame, or null when the frame needs a decoder this module does not have
 * (`decoders` maps the formats it may use). Streams are decoded concurrently (native decoders run on libuv's
 * thread pool); a stream that does not decode to its declared size, or offsets outside the frame, throw.
 */
export async function decodeBloscFrame(frame: Uint8Array, decoders: Partial<Record<number, StreamDecoder>>): Promise<Uint8Array | null> {
  const h = readBloscHeader(frame);
  if (h.version !== 2) return null;
  const { flags, typesize, nbytes, blocksize } = h;
  if (h.cbytes > frame.byteLength) throw new Error(`blosc frame of ${frame.byteLength} bytes declares ${h.cbytes}`);
  if (flags & 0x02) {
    // Stored uncompressed after the header.
    if (16 + nbytes > frame.byteLength) throw new Error(`blosc frame stored uncompressed holds ${frame.byteLength - 16} of ${nbytes} bytes`);
    return frame.slice(16, 16 + nbytes);
  }
  if (flags & 0x04) return null; // bit shuffle
  const decode = decoders[h.format];
  if (!decode) return null;
  if (nbytes === 0) return new Uint8Array(0);
  if (blocksize <= 0) throw new Error(`blosc frame declares a block size of ${blocksize}`);
  const shuffled = (flags & 0x01) !== 0 && typesize > 1;
  const dontSplit = (flags & 0x10) !== 0;
  const nblocks = Math.ceil(nbytes / blocksize);
  const leftover = nbytes % blocksize;
  if (16 + 4 * nblocks > frame.byteLength) throw new Error(`blosc frame of ${frame.byteLength} bytes is too short for the offsets of its ${nblocks} blocks`);
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);

  // Every stream of every block, in frame order, with where its decoded bytes go (before unshuffling).
  interface Stream {
    block: number;
    at: number; // offset in the block's (shuffled) bytes
    size: number; // decoded size
    raw: boolean;
    data: Uint8Array;
  }
  const streams: Stream[] = [];
  const blockSizes: number[] = [];
  for (let j = 0; j < nblocks; j++) {
    const isLeftover = j === nblocks - 1 && leftover > 0;
    const bsize = isLeftover ? leftover : blocksize;
    blockSizes.push(bsize);
    const nsplits = !dontSplit && typesize <= 16 && Math.floor(bsize / typesize) >= 128 && !isLeftover ? typesize : 1;
    const neblock = Math.floor(bsize / nsplits);
    let src = dv.getUint32(16 + 4 * j, true);
    for (let s = 0; s < nsplits; s++) {
      if (src + 4 > frame.byteLength) throw new Error(`blosc block ${j} starts past the end of the frame`);
      const cb = dv.getInt32(src, true);
      src += 4;
      if (cb < 0 || src + cb > frame.byteLength) throw new Error(`blosc block ${j} declares a stream of ${cb} bytes past the end of the frame`);
      streams.push({ block: j, at: s * neblock, size: neblock, raw: cb === neblock, data: frame.subarray(src, src + cb) });
      src += cb;
    }
  }
  const decoded = await Promise.all(streams.map((s) => (s.raw ? s.data : decode(s.data, s.size))));
  decoded.forEach((d, i) => {
    if (d.byteLength !== streams[i].size) throw new Error(`blosc block ${streams[i].block} decoded to ${d.byteLength} bytes, expected ${streams[i].size}`);
  });
  // One unshuffled, unsplit stream that is the whole frame: hand it over without a copy.
  if (!shuffled && streams.length === 1 && !streams[0].raw) return decoded[0];
  const out = new Uint8Array(nbytes);
  if (!shuffled) {
    decoded.forEach((d, i) => out.set(d, streams[i].block * blocksize + streams[i].at));
    return out;
  }
  // Byte shuffle: a block of n elements of `typesize` bytes is stored as n first bytes, n second bytes, …; the
  // bytes of a trailing partial element follow unshuffled (c-blosc's `unshuffle_generic`).
  let k = 0;
  const tmp = new Uint8Array(blocksize);
  for (let j = 0; j < nblocks; j++) {
    const bsize = blockSizes[j];
    for (; k < streams.length && streams[k].block === j; k++) tmp.set(decoded[k], streams[k].at);
    unshuffleBlock(tmp, bsize, typesize, out, j * blocksize);
  }
  return out;
}

/** c-blosc's byte unshuffle of one block of `bsize` bytes from `src` into `dst` at `at`. */
function unshuffleBlock(src: Uint8Array, bsize: number, typesize: number, dst: Uint8Array, at: number): void {
  const n = Math.floor(bsize / typesize);
  if (typesize === 2) {
    for (let i = 0; i < n; i++) {
      dst[at + 2 * i] = src[i];
      dst[at + 2 * i + 1] = src[n + i];
    }
  } else if (typesize === 4) {
    for (let i = 0; i < n; i++) {
      const o = at + 4 * i;
      dst[o] = src[i];
      dst[o + 1] = src[n + i];
      dst[o + 2] = src[2 * n + i];
      dst[o + 3] = src[3 * n + i];
    }
  } else {
    for (let b = 0; b < typesize; b++) {
      const base = b * n;
      for (let i = 0; i < n; i++) dst[at + i * typesize + b] = src[base + i];
    }
  }
  const tail = bsize - n * typesize;
  if (tail > 0) dst.set(src.subarray(n * typesize, bsize), at + n * typesize);
}
