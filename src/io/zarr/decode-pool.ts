/**
 * Blosc and zstd chunks decoded on worker threads (issue 20, speed) — since native-codecs.ts decodes zstd and
 * blosc-zstd/zlib with libzstd and zlib on the thread pool, only for what falls back to numcodecs.js (bit-shuffled,
 * lz4, blosclz or snappy blosc frames; a platform without the native package).
 *
 * zarrita decodes these codecs with numcodecs.js' Emscripten builds of c-blosc / zstd, synchronously on the calling
 * thread, one chunk after the other. In a fresh process (every `cellcoloc run`) the wasm runs in V8's baseline tier
 * for most of a 2048² image: profiled, the 128 blosc-zstd chunks of the bench image cost ~0.25 s CPU on the main
 * thread (wasm, embind's byte-by-byte copy of the input, the result copy), against ~0.07 s for the same pixels as
 * deflate TIFF strips, which node inflates on its thread pool in parallel. With `CELLCOLOC_ZARR_DECODE_THREADS=N`
 * the chunks of a large read go to N worker threads, each with its own numcodecs instance, so decoding runs in
 * parallel and off the main thread (see `poolSize` for why it is opt-in). Reads of a few chunks (a small crop or
 * ROI window) stay on the main thread: a worker costs ~50 ms of start-up (module load and wasm compile).
 *
 * The workers import numcodecs by its resolved file URL (the CLI is bundled, the workers are not); where it cannot
 * be resolved, decoding stays on the main thread.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import * as zarr from 'zarrita';

type Kind = 'blosc' | 'zstd';

/** Chunks in one read from which the pool is worth its start-up. */
export const POOL_MIN_CHUNKS = 16;

/** CommonJS worker source: loads the numcodecs codec on first use, decodes, transfers the result back. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const codecs = {};
const codec = (kind) => (codecs[kind] ??= import(workerData.urls[kind]).then((m) => new m.default()));
parentPort.on('message', async ({ id, kind, bytes }) => {
  try {
    const out = await (await codec(kind)).decode(bytes);
    parentPort.postMessage({ id, out }, [out.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.message) || e) });
  }
});
`;

interface Pending {
  resolve: (b: Uint8Array) => void;
  reject: (e: Error) => void;
}

class DecodePool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private turn = 0;
  constructor(size: number, urls: Record<Kind, string>) {
    this.workers = Array.from({ length: size }, () => {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { urls } });
      w.on('message', (m: { id: number; out?: Uint8Array; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (this.pending.size === 0) this.unrefAll();
        if (m.out) p.resolve(m.out);
        else p.reject(new Error(m.error ?? 'decode failed'));
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
        this.unrefAll();
      });
      w.unref();
      return w;
    });
  }
  private unrefAll(): void {
    for (const w of this.workers) w.unref();
  }
  decode(kind: Kind, bytes: Uint8Array): Promise<Uint8Array> {
    const id = this.nextId++;
    // A chunk that owns its buffer is transferred (no copy); a view into a larger buffer (a slab of chunk files,
    // chunk-files.ts) is copied — `new Uint8Array(view)`: a Buffer's `slice` is a view and would detach the slab.
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes : new Uint8Array(bytes);
    const w = this.workers[this.turn++ % this.workers.length];
    // Referenced while chunks are in flight (else the process could exit under a pending read), idle workers never
    // keep the process alive.
    if (this.pending.size === 0) for (const x of this.workers) x.ref();
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, kind, bytes: own }, [own.buffer as ArrayBuffer]);
    });
  }
}

let pool: DecodePool | null = null;
let poolTried = false;

/**
 * Workers in the pool: `CELLCOLOC_ZARR_DECODE_THREADS` (default 0 = decode on the main thread). Opt-in, like the
 * segmentation worker (pipeline/segment-workers.ts): measured on the shared 2-core machine (load 15–20), two workers
 * added ~0.2 s of process CPU per 2048² two-channel run (each compiles and warms up its own wasm) and took only
 * ~0.03 s off the main thread, and wall times under that load could not show a gain; worth trying with idle cores.
 * Batch sample processes (`CELLCOLOC_SAMPLE_WORKER`) never start one: a batch already runs one process per core.
 */
function poolSize(): number {
  if (process.env.CELLCOLOC_SAMPLE_WORKER) return 0;
  const env = process.env.CELLCOLOC_ZARR_DECODE_THREADS;
  if (env === undefined || env === '') return 0;
  return Math.min(Math.max(0, Math.floor(Number(env)) || 0), availableParallelism());
}

/** Starts the worker pool (once per process) unless it is disabled or numcodecs cannot be located. */
export function startDecodePool(): void {
  if (poolTried) return;
  poolTried = true;
  const size = poolSize();
  if (size < 1) return;
  try {
    const urls = { blosc: import.meta.resolve('numcodecs/blosc'), zstd: import.meta.resolve('numcodecs/zstd') };
    pool = new DecodePool(size, urls);
  } catch {
    pool = null; // numcodecs not resolvable from here: main-thread decoding
  }
}

/** Whether a codec list (Zarr v2 compressor id or v3 codec names) holds a codec the pool decodes. */
export function poolDecodes(codecNames: readonly string[]): boolean {
  return codecNames.some((n) => n === 'blosc' || n === 'zstd' || n === 'numcodecs.blosc' || n === 'numcodecs.zstd');
}

type CodecLike = { kind: string; encode(b: Uint8Array): Promise<Uint8Array>; decode(b: Uint8Array): Promise<Uint8Array> };
type CodecEntryLike = { fromConfig(config: unknown, meta: unknown): CodecLike };

/**
 * Wraps zarrita's registry entries for blosc and zstd (v3 names and the numcodecs v2 names): encoding and small
 * reads as before; decoding through the pool once it is started.
 */
function installPooledCodecs(): void {
  for (const name of ['blosc', 'zstd', 'numcodecs.blosc', 'numcodecs.zstd']) {
    const kind: Kind = name.endsWith('blosc') ? 'blosc' : 'zstd';
    const load = zarr.registry.get(name);
    if (!load) continue;
    zarr.registry.set(name, async () => {
      const Inner = (await load()) as unknown as CodecEntryLike;
      const entry: CodecEntryLike = {
        fromConfig(config, meta) {
          const inner = Inner.fromConfig(config, meta);
          return {
            kind: inner.kind,
            encode: (b) => inner.encode(b),
            decode: (b) => (pool ? pool.decode(kind, b) : inner.decode(b)),
          };
        },
      };
      return entry as never;
    });
  }
}

installPooledCodecs();
