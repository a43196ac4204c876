/**
 * The arrays (and chunks) zarrita opens and decodes (issue 20): those the direct path does not read — Fortran order,
 * filters, transpose, sharding, big-endian data, data types or fields array-metadata.ts does not take — and, per
 * chunk, the blosc frames the direct path leaves to it (bit shuffle, lz4, blosclz, snappy). Loaded on demand
 * (zarr-stack.ts), with zarrita, its codec registry (native decoders in front, zarrita-codecs.ts) and the decode
 * worker pool (decode-pool.ts), so that a store read entirely by the direct path never loads any of them.
 */
import { join } from 'node:path';
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';
import { inputError } from '../../core/errors.js';
import type { ChunkLike } from './assemble.js';
import { POOL_MIN_CHUNKS, poolDecodes, startDecodePool } from './decode-pool.js';
import { installNativeCodecs } from './zarrita-codecs.js';

// After decode-pool.js has wrapped numcodecs' entries: the native decoders fall back to those.
installNativeCodecs();

/** Where zarrita's chunk reads go: the store's counting, checking reader (zarr-stack.ts). */
export interface ChunkFiles {
  /** A chunk file's bytes (`key` = its key in the store, for messages), checked and counted; throws when missing. */
  readChunk(path: string, key: string): Uint8Array;
  /** A metadata file's bytes, or undefined when there is no such file. */
  readMetadata(path: string): Uint8Array | undefined;
}

/**
 * A FileSystemStore whose chunk reads go through `files` (counted, missing chunks refused, blosc frames checked),
 * and which hands over chunks the direct path has already read (`preload`) instead of reading them again.
 */
class CheckedStore extends FileSystemStore {
  private readonly preloaded = new Map<string, Uint8Array>();
  constructor(
    root: string,
    private readonly files: ChunkFiles,
  ) {
    super(root);
  }
  override async get(key: `/${string}`): Promise<Uint8Array | undefined> {
    const path = join(this.root, key.slice(1));
    const pre = this.preloaded.get(path);
    if (pre) {
      this.preloaded.delete(path);
      return pre;
    }
    const isMeta = /(^|\/)(\.zarray|\.zattrs|\.zgroup|zarr\.json|\.zmetadata)$/.test(key);
    return isMeta ? this.files.readMetadata(path) : this.files.readChunk(path, key.slice(1));
  }
  preload(path: string, bytes: Uint8Array): void {
    this.preloaded.set(path, bytes);
  }
}

export interface ZarritaArray {
  shape: number[];
  chunks: number[];
  dtype: string;
  /** zarrita's decoded chunk `cc`; `bytes` = its stored bytes at `path` when already read (not read or counted again). */
  getChunk(cc: readonly number[], path: string, bytes?: Uint8Array): Promise<ChunkLike>;
  /** Starts the decode workers (CELLCOLOC_ZARR_DECODE_THREADS) for a read of `chunks` chunks, where they help. */
  readStarts(chunks: number): void;
}

/** Opens the array at `arrayKey` (relative to the store `root`) with zarrita; `label` names it in messages. */
export async function openZarritaArray(root: string, arrayKey: string, label: string, files: ChunkFiles, codecs: readonly string[]): Promise<ZarritaArray> {
  // An unknown codec is refused before any chunk is read (else it surfaces as an undecodable chunk).
  // (`sharding_indexed` is zarrita's own, outside the registry.)
  const unknown = codecs.find((n) => n !== 'sharding_indexed' && !zarr.registry.has(n) && !zarr.registry.has(`numcodecs.${n}`));
  const store = new CheckedStore(root, files);
  let arr: zarr.Array<zarr.DataType, CheckedStore>;
  try {
    arr = await zarr.open(zarr.root(store).resolve(arrayKey), { kind: 'array' });
  } catch (e) {
    throw inputError(`${label}: cannot open the array (${(e as Error).message.split('\n')[0]})`, e);
  }
  if (unknown) throw inputError(`${label}: codec "${unknown}" is not supported (expected blosc, zstd, gzip, zlib, lz4 or none)`);
  const pooled = poolDecodes(codecs);
  return {
    shape: arr.shape,
    chunks: (arr as unknown as { chunks: number[] }).chunks,
    dtype: arr.dtype as string,
    getChunk: async (cc, path, bytes) => {
      if (bytes) store.preload(path, bytes);
      return (await arr.getChunk(cc as number[])) as unknown as ChunkLike;
    },
    readStarts: (chunks) => {
      if (pooled && chunks >= POOL_MIN_CHUNKS) startDecodePool();
    },
  };
}
