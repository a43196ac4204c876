/**
 * The native decoders of native-codecs.ts installed in zarrita's codec registry (issue 20, speed), for the chunks
 * zarrita still decodes (zarrita-array.ts: Fortran order, filters, transpose, sharding, big-endian data, and blosc
 * frames the direct path leaves to it). Its own module so that a read that never needs zarrita never loads it.
 */
import * as zarr from 'zarrita';
import { decodeBloscFrame, type StreamDecoder } from './blosc-frame.js';
import { asBuffer, bloscDecoders, gunzipAsync, inflateAsync, nativeZstd } from './native-codecs.js';

type BytesCodec = { kind: 'bytes_to_bytes'; encode(b: Uint8Array): Promise<Uint8Array>; decode(b: Uint8Array): Promise<Uint8Array> };
type CodecEntry = { fromConfig(config: unknown, meta: unknown): BytesCodec };
type Loader = () => Promise<unknown>;

/**
 * Registers `decode` in front of zarrita's entry `name`: chunks it returns null for, and all encoding, go to the
 * entry registered before (loaded only when first needed: numcodecs' 1.4 MB of base64 WebAssembly).
 */
function override(name: string, decode: (b: Uint8Array) => Promise<Uint8Array | null>): void {
  const previous = zarr.registry.get(name) as Loader | undefined;
  const entry: CodecEntry = {
    fromConfig(config, meta) {
      let inner: Promise<BytesCodec> | null = null;
      const fallback = () => {
        if (!previous) throw new Error(`codec ${name}: no fallback decoder`);
        return (inner ??= previous().then((E) => (E as CodecEntry).fromConfig(config, meta)));
      };
      return {
        kind: 'bytes_to_bytes',
        encode: async (b) => (await fallback()).encode(b),
        decode: async (b) => (await decode(b)) ?? (await fallback()).decode(b),
      };
    },
  };
  zarr.registry.set(name, (() => entry) as never);
}

let installed = false;

/** Installs the native decoders in zarrita's codec registry (once per process). */
export function installNativeCodecs(): void {
  if (installed) return;
  installed = true;
  let decoders: Partial<Record<number, StreamDecoder>> | null = null;
  const blosc = (b: Uint8Array) => decodeBloscFrame(b, (decoders ??= bloscDecoders()));
  const zstd = async (b: Uint8Array) => {
    const z = nativeZstd();
    return z ? z.decompress(asBuffer(b)) : null;
  };
  for (const prefix of ['', 'numcodecs.']) {
    override(`${prefix}blosc`, blosc);
    override(`${prefix}zstd`, zstd);
    override(`${prefix}zlib`, inflateAsync);
    override(`${prefix}gzip`, gunzipAsync);
  }
}
