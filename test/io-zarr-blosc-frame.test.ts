/**
 * The TypeScript blosc frame decoder (src/io/zarr/blosc-frame.ts) and the native codecs behind zarrita's registry
 * (src/io/zarr/native-codecs.ts), issue 20 speed. The frames were written by c-blosc 1.21.3 through Debian's
 * numcodecs 0.11 (scripts/make_blosc_frames.py, test/fixtures/zarr/blosc-frames/): byte shuffle with element sizes
 * 2, 3, 4 and 8, split and unsplit blocks, several blocks with a shorter last one, zlib streams, a frame stored
 * uncompressed. The expected bytes are the generator's formula, recomputed here — not any decoder's output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zarr from 'zarrita';
import { decodeBloscFrame } from '../src/io/zarr/blosc-frame.js';
import { bloscDecoders, nativeZstd } from '../src/io/zarr/native-codecs.js';
import { installNativeCodecs } from '../src/io/zarr/zarrita-codecs.js';

const DIR = join(import.meta.dirname, 'fixtures', 'zarr', 'blosc-frames');
const FRAMES = JSON.parse(readFileSync(join(DIR, 'frames.json'), 'utf8')) as { name: string; nbytes: number; flags: number; shuffle: number; cname: string }[];

/** scripts/make_blosc_frames.py's `payload(n)`. */
function payload(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let k = 0; k < n; k++) out[k] = (Math.floor((k * 7) / 3) + (k >> 9) * 13 + Math.floor((k * k) / 8192)) & 0xff;
  return out;
}

const frame = (name: string) => new Uint8Array(readFileSync(join(DIR, `${name}.blosc`)));

test('the native zstd decoder loads on this platform (linux x64 ships a prebuilt binary)', { skip: process.platform !== 'linux' || process.arch !== 'x64' }, () => {
  assert.ok(nativeZstd(), '@mongodb-js/zstd-linux-x64-gnu should load');
});

test('blosc frames written by c-blosc decode to the generator\'s bytes; bit shuffle and lz4 are left to numcodecs', async () => {
  const decoders = bloscDecoders();
  const covered = new Set<string>();
  for (const f of FRAMES) {
    const out = await decodeBloscFrame(frame(f.name), decoders);
    const fallback = f.shuffle === 2 || f.cname === 'lz4' || (f.cname === 'zstd' && !nativeZstd());
    if (fallback) {
      assert.equal(out, null, `${f.name}: expected no native decoding`);
      continue;
    }
    assert.ok(out, `${f.name}: expected a decoded frame`);
    assert.equal(out.byteLength, f.nbytes, f.name);
    assert.deepEqual(Buffer.from(out), Buffer.from(payload(f.nbytes)), f.name);
    covered.add(f.name);
  }
  // The layouts that matter were really decoded here, not passed on.
  if (nativeZstd()) {
    for (const n of ['zstd_shuffle_u16_split', 'zstd_shuffle_u16_blocks_leftover_split', 'zstd_shuffle_u16_blocks_leftover', 'zstd_shuffle_t3', 'zstd_shuffle_t8', 'zstd_shuffle_u32', 'zstd_noshuffle_u16']) {
      assert.ok(covered.has(n), n);
    }
  }
  for (const n of ['zlib_shuffle_u16_blocks', 'zstd_clevel0_memcpyed']) assert.ok(covered.has(n), n);
});

test('zarrita\'s blosc codec, with the native decoders installed, decodes every frame (fallbacks included)', async () => {
  installNativeCodecs();
  for (const name of ['blosc', 'numcodecs.blosc']) {
    const Entry = (await zarr.registry.get(name)!()) as unknown as { fromConfig(c: unknown, m: unknown): { decode(b: Uint8Array): Promise<Uint8Array> } };
    const codec = Entry.fromConfig({ cname: 'zstd', clevel: 5, shuffle: 'shuffle', typesize: 2, blocksize: 0 }, { dataType: 'uint16', shape: [1], codecs: [] });
    for (const f of FRAMES) {
      const out = await codec.decode(frame(f.name));
      assert.deepEqual(Buffer.from(out.buffer, out.byteOffset, out.byteLength), Buffer.from(payload(f.nbytes)), `${name}: ${f.name}`);
    }
  }
});

test('a damaged blosc frame is an error, not garbage', async () => {
  const decoders = bloscDecoders();
  const good = frame('zstd_shuffle_u16_blocks_leftover');
  // Cut inside the streams: the header still declares the full size, a stream runs past the end.
  await assert.rejects(decodeBloscFrame(good.subarray(0, good.byteLength - 100), decoders), /past the end|declares/);
  // A block offset pointing past the frame.
  const bad = good.slice();
  new DataView(bad.buffer).setUint32(16, bad.byteLength + 10, true);
  await assert.rejects(decodeBloscFrame(bad, decoders), /past the end/);
  // Corrupt compressed bytes inside a zlib stream.
  const z = frame('zlib_shuffle_u16_blocks').slice();
  const first = new DataView(z.buffer).getUint32(16, true) + 4;
  z.fill(0x55, first, first + 40);
  await assert.rejects(decodeBloscFrame(z, decoders));
  assert.rejects(decodeBloscFrame(new Uint8Array(8), decoders), /shorter than its 16-byte header/);
});
