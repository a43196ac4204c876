/**
 * Native decoding of Zarr chunks compressed with zstd, blosc-zstd, blosc-zlib, zlib and gzip (issue 20, speed).
 *
 * zarrita decodes blosc and zstd with numcodecs.js' Emscripten builds, synchronously on the main thread: in a fresh
 * process (every `cellcoloc run`) that WebAssembly runs mostly in V8's baseline tier, and embind copies each chunk
 * into the module byte by byte. Profiled on the bench's 2048² two-channel blosc-zstd image (128 chunks of 128 KiB):
 * ~0.2–0.3 s CPU, against ~0.03 s for libzstd itself (`zstd -d` on the same streams). zlib and gzip went through
 * web streams (`DecompressionStream`), several promise hops per chunk.
 *
 * Here zstd streams go to libzstd through `@mongodb-js/zstd` (N-API, prebuilt binaries shipped as npm packages per
 * platform, no build step), and zlib/gzip to node's zlib — both run on libuv's thread pool, so chunks decode in
 * parallel with each other and with the main thread, as TIFF strips do. Blosc frames are taken apart in
 * TypeScript (blosc-frame.ts) and their streams decoded the same way. What this does not cover — bit-shuffled,
 * blosclz, lz4 or snappy blosc frames, a platform without the native package — falls back to the codecs that were
 * registered before (numcodecs.js, or its worker pool, decode-pool.ts). `CELLCOLOC_ZARR_NATIVE=0` turns the
 * native zstd decoder off (comparisons, and a way out if a platform's binary misbehaves).
 *
 * This module does not import zarrita: the direct chunk path (direct-decode.ts) needs only the decoders, and a
 * store that path reads whole never loads zarrita at all (zarr-stack.ts). The decoders are installed in zarrita's
 * codec registry by zarrita-codecs.ts.
 */
import { createRequire } from 'node:module';
import { gunzip, inflate } from 'node:zlib';
import { BLOSC_FORMAT, type StreamDecoder } from './blosc-frame.js';

interface NativeZstd {
  decompress(data: Buffer): Promise<Buffer>;
}

let zstdBinding: NativeZstd | null | undefined;

/**
 * libzstd's decoder, or null where it cannot be loaded. The platform package is required directly: the umbrella
 * package's loader calls `process.report.getReport()` to tell glibc from musl, ~10–15 ms per process.
 */
export function nativeZstd(): NativeZstd | null {
  if (zstdBinding !== undefined) return zstdBinding;
  zstdBinding = null;
  if (process.env.CELLCOLOC_ZARR_NATIVE === '0') return null;
  const req = createRequire(import.meta.url);
  const { platform, arch } = process;
  const names = platform === 'linux' ? [`-${arch}-gnu`, `-${arch}-musl`] : platform === 'win32' ? [`-${arch}-msvc`] : [`-${arch}`];
  for (const name of [...names.map((n) => `@mongodb-js/zstd-${platform}${n}`), '@mongodb-js/zstd']) {
    try {
      const m = req(name) as Partial<NativeZstd>;
      if (typeof m.decompress === 'function') return (zstdBinding = m as NativeZstd);
    } catch {
      // not installed for this platform, or not loadable here: try the next
    }
  }
  return null;
}

export const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function zlibAsync(fn: typeof inflate, what: string): (b: Uint8Array) => Promise<Uint8Array> {
  return (b) =>
    new Promise((resolve, reject) => {
      fn(b, (err, out) => (err ? reject(new Error(`${what}: ${err.message}`)) : resolve(out)));
    });
}
export const inflateAsync = zlibAsync(inflate, 'zlib');
export const gunzipAsync = zlibAsync(gunzip as typeof inflate, 'gzip');

/** Stream decoders by blosc compressor format. */
export function bloscDecoders(): Partial<Record<number, StreamDecoder>> {
  const d: Partial<Record<number, StreamDecoder>> = { [BLOSC_FORMAT.zlib]: (s) => inflateAsync(s) };
  const z = nativeZstd();
  if (z) d[BLOSC_FORMAT.zstd] = (s) => z.decompress(asBuffer(s));
  return d;
}
