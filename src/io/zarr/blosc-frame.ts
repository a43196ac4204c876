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

/** One decoded block of a blosc frame: its decoded streams in frame order (before unshuffling). */
export interface BloscBlock {
  /** Offset of the block in the frame's decoded bytes. */
  offset: number;
  /** Decoded size of the block (bytes). */
  size: number;
  /** The block's streams: one per byte of the element when split (`typesize` of them), else one. */
  parts: Uint8Array[];
}

/** A blosc frame's decoded contents: its bytes as they are (stored uncompressed), or its blocks. */
export type BloscContent =
  | { bytes: Uint8Array }
  | { blocks: BloscBlock[]; shuffled: boolean; typesize: number; nbytes: number; blocksize: number };

/**
 * The decoded blocks of a blosc frame, or null when the frame needs a decoder this module does not have
 * (`decoders` maps the formats it may use). Streams are decoded concurrently (native decoders run on libuv's
 * thread pool); a stream that does not decode to its declared size, or offsets outside the frame, throw.
 * Kept apart from the unshuffle so that a reader can unshuffle straight into its destination (direct-read.ts).
 */
export async function decodeBloscBlocks(frame: Uint8Array, decoders: Partial<Record<number, StreamDecoder>>): Promise<BloscContent | null> {
  const h = readBloscHeader(frame);
  if (h.version !== 2) return null;
  const { flags, typesize, nbytes, blocksize } = h;
  if (h.cbytes > frame.byteLength) throw new Error(`blosc frame of ${frame.byteLength} bytes declares ${h.cbytes}`);
  if (flags & 0x02) {
    // Stored uncompressed after the header.
    if (16 + nbytes > frame.byteLength) throw new Error(`blosc frame stored uncompressed holds ${frame.byteLength - 16} of ${nbytes} bytes`);
    return { bytes: frame.subarray(16, 16 + nbytes) };
  }
  if (flags & 0x04) return null; // bit shuffle
  const decode = decoders[h.format];
  if (!decode) return null;
  if (nbytes === 0) return { bytes: new Uint8Array(0) };
  if (blocksize <= 0) throw new Error(`blosc frame declares a block size of ${blocksize}`);
  const shuffled = (flags & 0x01) !== 0 && typesize > 1;
  const dontSplit = (flags & 0x10) !== 0;
  const nblocks = Math.ceil(nbytes / blocksize);
  const leftover = nbytes % blocksize;
  if (16 + 4 * nblocks > frame.byteLength) throw new Error(`blosc frame of ${frame.byteLength} bytes is too short for the offsets of its ${nblocks} blocks`);
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);

  // Every stream of every block, in frame order; decoding starts once the whole frame's layout is checked (a
  // decode started before a later offset throws would reject unobserved).
  const streams: { data: Uint8Array; raw: boolean }[] = [];
  const sizes: number[] = [];
  const owner: number[] = [];
  const blocks: BloscBlock[] = [];
  for (let j = 0; j < nblocks; j++) {
    const isLeftover = j === nblocks - 1 && leftover > 0;
    const bsize = isLeftover ? leftover : blocksize;
    blocks.push({ offset: j * blocksize, size: bsize, parts: [] });
    const nsplits = !dontSplit && typesize <= 16 && Math.floor(bsize / typesize) >= 128 && !isLeftover ? typesize : 1;
    const neblock = Math.floor(bsize / nsplits);
    let src = dv.getUint32(16 + 4 * j, true);
    for (let s = 0; s < nsplits; s++) {
      if (src + 4 > frame.byteLength) throw new Error(`blosc block ${j} starts past the end of the frame`);
      const cb = dv.getInt32(src, true);
      src += 4;
      if (cb < 0 || src + cb > frame.byteLength) throw new Error(`blosc block ${j} declares a stream of ${cb} bytes past the end of the frame`);
      const data = frame.subarray(src, src + cb);
      streams.push({ data, raw: cb === neblock });
      sizes.push(neblock);
      owner.push(j);
      src += cb;
    }
  }
  const decoded = await Promise.all(streams.map((st, i) => (st.raw ? st.data : decode(st.data, sizes[i]))));
  decoded.forEach((d, i) => {
    if (d.byteLength !== sizes[i]) throw new Error(`blosc block ${owner[i]} decoded to ${d.byteLength} bytes, expected ${sizes[i]}`);
    blocks[owner[i]].parts.push(d);
  });
  return { blocks, shuffled, typesize, nbytes, blocksize };
}

/**
 * The decoded bytes of a blosc frame, or null when the frame needs a decoder this module does not have
 * (see `decodeBloscBlocks`).
 */
export async function decodeBloscFrame(frame: Uint8Array, decoders: Partial<Record<number, StreamDecoder>>): Promise<Uint8Array | null> {
  const c = await decodeBloscBlocks(frame, decoders);
  return c && bloscBytes(c, frame);
}

/** The bytes of a decoded frame (`decodeBloscBlocks` of `frame`): its blocks joined and unshuffled. */
export function bloscBytes(c: BloscContent, frame: Uint8Array): Uint8Array {
  // A view into the frame (stored uncompressed) is copied: the caller owns what it gets. (`new Uint8Array(view)`
  // copies; a Buffer's `slice` would not.)
  if ('bytes' in c) return c.bytes.buffer === frame.buffer ? new Uint8Array(c.bytes) : c.bytes;
  const { blocks, shuffled, typesize, nbytes, blocksize } = c;
  // One unshuffled, unsplit block that is the whole frame: hand it over without a copy.
  if (!shuffled && blocks.length === 1 && blocks[0].parts.length === 1) {
    const only = blocks[0].parts[0];
    return only.buffer === frame.buffer ? new Uint8Array(only) : only;
  }
  const out = new Uint8Array(nbytes);
  if (!shuffled) {
    for (const b of blocks) concatParts(b, out, b.offset);
    return out;
  }
  // Byte shuffle: a block of n elements of `typesize` bytes is stored as n first bytes, n second bytes, …; the
  // bytes of a trailing partial element follow unshuffled (c-blosc's `unshuffle_generic`).
  const tmp = new Uint8Array(blocksize);
  for (const b of blocks) {
    concatParts(b, tmp, 0);
    unshuffleBlock(tmp, b.size, typesize, out, b.offset);
  }
  return out;
}

/** A block's streams one after the other (its bytes as stored, shuffled or not) into `dst` at `at`. */
export function concatParts(b: BloscBlock, dst: Uint8Array, at: number): void {
  let o = at;
  for (const p of b.parts) {
    dst.set(p, o);
    o += p.byteLength;
  }
}

/** c-blosc's byte unshuffle of one block of `bsize` bytes from `src` into `dst` at `at`. */
export function unshuffleBlock(src: Uint8Array, bsize: number, typesize: number, dst: Uint8Array, at: number): void {
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
