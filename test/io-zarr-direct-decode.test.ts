/**
 * Regions assembled from chunks without zarrita (src/io/zarr/assemble.ts, direct-decode.ts, place-rows.ts; issue 20
 * speed): blosc frames written by c-blosc (scripts/make_blosc_frames.py, test/fixtures/zarr/blosc-frames/) —
 * byte-shuffled 2- and 4-byte elements unshuffled straight into the region, split and unsplit, several blocks with
 * a shorter last one, shuffle sizes other than the element's, a frame stored uncompressed — and zstd, zlib, gzip
 * and raw chunks, placed as every chunk of a grid into regions that cut chunks on every side. The expected pixels
 * are the generator's formula placed by a plain loop, not any decoder's output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { assembleRegion, type ChunkLike, type ChunkSource } from '../src/io/zarr/assemble.js';
import { chunkKeyEncoder, directCodecOf, type DirectCodec } from '../src/io/zarr/direct-decode.js';
import { nativeZstd } from '../src/io/zarr/native-codecs.js';

const DIR = join(import.meta.dirname, 'fixtures', 'zarr', 'blosc-frames');
const frame = (name: string) => new Uint8Array(readFileSync(join(DIR, `${name}.blosc`)));

/** scripts/make_blosc_frames.py's `payload(n)`. */
function payload(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let k = 0; k < n; k++) out[k] = (Math.floor((k * 7) / 3) + (k >> 9) * 13 + Math.floor((k * k) / 8192)) & 0xff;
  return out;
}

/** Element `i` (little-endian, `E` bytes) of the payload, as an unsigned integer. */
function element(p: Uint8Array, i: number, E: number): number {
  let v = 0;
  for (let b = E - 1; b >= 0; b--) v = v * 256 + p[i * E + b];
  return v;
}

/**
 * Every chunk of a (1, Y, X) grid of chunk shape (1, H, W) holds the same frame; the region (channel 0, rows
 * y0..y1, columns x0..x1) is compared with the payload placed by a plain loop. `fallback` = the chunk zarrita would
 * decode (its payload), for frames the direct path leaves to it.
 */
async function checkRegion(bytes: Uint8Array, codec: DirectCodec, dtype: string, H: number, W: number, region: [number, number, number, number], expectFallback = false): Promise<void> {
  const E = dtype === 'uint16' ? 2 : 4;
  const p = payload(H * W * E);
  let fallbacks = 0;
  const src: ChunkSource = {
    chunkShape: [1, H, W],
    codec,
    readChunk: () => bytes,
    zarritaChunk: async () => {
      fallbacks++;
      const Ctor = dtype === 'uint16' ? Uint16Array : dtype === 'float32' ? Float32Array : Uint32Array;
      return { data: new Ctor(p.slice().buffer as ArrayBuffer), shape: [1, H, W], stride: [H * W, W, 1] } as ChunkLike;
    },
  };
  const [y0, y1, x0, x1] = region;
  const out = await assembleRegion(src, [0, [y0, y1], [x0, x1]], dtype);
  assert.ok(out);
  const bits = new (E === 2 ? Uint16Array : Uint32Array)(out.buffer as ArrayBuffer, out.byteOffset, out.length);
  const w = x1 - x0;
  assert.equal(bits.length, (y1 - y0) * w);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const want = element(p, (y % H) * W + (x % W), E);
      if (bits[(y - y0) * w + (x - x0)] !== want) assert.fail(`${dtype} ${codec}: pixel (${y}, ${x}) is ${bits[(y - y0) * w + (x - x0)]}, expected ${want}`);
    }
  }
  assert.equal(fallbacks > 0, expectFallback, `${dtype} ${codec}: zarrita ${expectFallback ? 'expected' : 'not expected'}`);
}

test('blosc frames by c-blosc: unshuffled straight into regions that cut chunks on every side', { skip: !nativeZstd() && 'no native zstd here' }, async () => {
  // [frame, dtype, chunk rows, chunk columns]: the chunk is the frame's bytes
  const cases: [string, string, number, number][] = [
    ['zstd_shuffle_u16', 'uint16', 100, 200], // one unsplit shuffled block
    ['zstd_shuffle_u16_split', 'uint16', 100, 200], // one block, one stream per byte
    ['zstd_shuffle_u16_blocks_leftover_split', 'uint16', 250, 200], // split blocks and a shorter last one
    ['zlib_shuffle_u16_blocks', 'uint16', 125, 200], // zlib streams, several blocks
    ['zstd_noshuffle_u16', 'uint16', 100, 200],
    ['zstd_clevel0_memcpyed', 'uint16', 25, 100], // stored uncompressed
    ['zstd_shuffle_u32', 'uint32', 64, 128],
    ['zstd_shuffle_u32', 'float32', 64, 128], // the same bits as float32
    ['zstd_shuffle_t8', 'uint32', 50, 200], // shuffled by 8 bytes, read as 4-byte elements
    ['zstd_shuffle_t3', 'uint16', 75, 200], // shuffled by 3 bytes
  ];
  for (const [name, dtype, H, W] of cases) {
    await checkRegion(frame(name), 'blosc', dtype, H, W, [Math.floor(H / 2), 2 * H + 3, 7, 2 * W - 5]);
    await checkRegion(frame(name), 'blosc', dtype, H, W, [H, 2 * H, 0, W]); // exactly one chunk
  }
  // A region of more than 1 MiB (its pages are touched on the thread pool first, prefault.ts), 8 × 5 chunks.
  await checkRegion(frame('zstd_shuffle_u16_blocks_leftover_split'), 'blosc', 'uint16', 250, 200, [3, 8 * 250 - 1, 1, 5 * 200 - 2]);
});

test('blosc frames this path does not decode (bit shuffle, lz4) go to zarrita and are placed the same way', async () => {
  await checkRegion(frame('zstd_bitshuffle_u16'), 'blosc', 'uint16', 50, 200, [20, 130, 3, 390], true);
  await checkRegion(frame('lz4_shuffle_u16'), 'blosc', 'uint16', 50, 200, [20, 130, 3, 390], true);
});

test('zstd, zlib, gzip and raw chunks; a chunk of the wrong size is an error', async () => {
  const raw = payload(60 * 80 * 2);
  await checkRegion(raw, 'raw', 'uint16', 60, 80, [5, 170, 11, 230]);
  await checkRegion(new Uint8Array(deflateSync(raw)), 'zlib', 'uint16', 60, 80, [5, 170, 11, 230]);
  await checkRegion(new Uint8Array(gzipSync(raw)), 'gzip', 'uint16', 60, 80, [5, 170, 11, 230]);
  const z = nativeZstd();
  if (z) {
    const { compress } = (await import('@mongodb-js/zstd')) as { compress(b: Buffer, level: number): Promise<Buffer> };
    await checkRegion(new Uint8Array(await compress(Buffer.from(raw), 3)), 'zstd', 'uint16', 60, 80, [5, 170, 11, 230]);
  }
  await assert.rejects(checkRegion(new Uint8Array(deflateSync(raw.subarray(0, 1000))), 'zlib', 'uint16', 60, 80, [0, 60, 0, 80]), /decoded to 1000 bytes, expected 9600/);
});

test('which arrays take the direct path, and their chunk keys', () => {
  const v2 = { zarr_format: 2, dtype: '<u2', order: 'C', filters: null, compressor: { id: 'blosc' }, dimension_separator: '/' };
  assert.equal(directCodecOf(v2, 2), 'blosc');
  assert.equal(directCodecOf({ ...v2, compressor: null }, 2), 'raw');
  assert.equal(directCodecOf({ ...v2, order: 'F' }, 2), null);
  assert.equal(directCodecOf({ ...v2, dtype: '>u2' }, 2), null);
  assert.equal(directCodecOf({ ...v2, dtype: '|u1' }, 1), 'blosc');
  assert.equal(directCodecOf({ ...v2, filters: [{ id: 'delta' }] }, 2), null);
  assert.equal(directCodecOf({ ...v2, compressor: { id: 'lz4' } }, 2), null);
  assert.equal(chunkKeyEncoder(v2)([0, 3, 4]), '0/3/4');
  assert.equal(chunkKeyEncoder({ ...v2, dimension_separator: undefined })([0, 3, 4]), '0.3.4');
  const v3 = { zarr_format: 3, codecs: [{ name: 'bytes', configuration: { endian: 'little' } }, { name: 'zstd' }] };
  assert.equal(directCodecOf(v3, 2), 'zstd');
  assert.equal(directCodecOf({ ...v3, codecs: [v3.codecs[0]] }, 2), 'raw');
  assert.equal(directCodecOf({ ...v3, codecs: [{ name: 'bytes', configuration: { endian: 'big' } }, { name: 'zstd' }] }, 2), null);
  assert.equal(directCodecOf({ ...v3, codecs: [{ name: 'transpose' }, ...v3.codecs] }, 2), null);
  assert.equal(directCodecOf({ ...v3, codecs: [{ name: 'sharding_indexed' }] }, 2), null);
  assert.equal(directCodecOf({ ...v3, codecs: [v3.codecs[0], { name: 'numcodecs.zlib' }] }, 2), 'zlib');
  assert.equal(chunkKeyEncoder(v3)([0, 3, 4]), 'c/0/3/4');
  assert.equal(chunkKeyEncoder({ ...v3, chunk_key_encoding: { name: 'default', configuration: { separator: '.' } } })([0, 3, 4]), 'c.0.3.4');
  assert.equal(chunkKeyEncoder({ ...v3, chunk_key_encoding: { name: 'v2', configuration: { separator: '.' } } })([0, 3, 4]), '0.3.4');
});
