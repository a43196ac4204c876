/**
 * Chunk files read synchronously into shared slabs (issue 20, speed).
 *
 * Why synchronous: `fs.promises.readFile` costs four thread-pool round trips per file (open, fstat, read, close);
 * a 2048² two-channel image in 256² chunks is 128 files, and on a loaded machine each round trip waits to be
 * scheduled: measured 1.1–1.6 s wall for 0.15 s CPU. A chunk is tens to hundreds of KiB from the page cache or a
 * local disk, read in well under a millisecond, so blocking is cheaper than the hops.
 *
 * Why slabs: `readFileSync` adds an `fstat` and a buffer per file to the open/read/close; reading each file into
 * the free end of a 1 MiB slab instead took the main-thread time of those 128 reads from ~5.7 to ~4.0 ms (fresh
 * process, median of 3, noisy). A file that fills the slab's free end may be larger: it is then read whole on its
 * own (size from `fstat`). The chunks are views into the slab.
 *
 * Why slabs are reused: the bytes of a chunk are dead once it is decoded and placed, and the reader says so
 * (`releaseChunk`). A slab that is full and has no chunk left in use is read into again, so that its pages — faulted
 * in once by the kernel — serve the next files instead of fresh ones: the bench's 2048² two-channel store (7.6 MB
 * of chunks, 32 chunks in flight) took 10 fresh slabs, now 6. A chunk that is never released (an error on the way)
 * only keeps its slab from being reused, as before.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const SLAB_BYTES = 1 << 20;
/** A slab with less free space than this is replaced (a typical compressed chunk is 10–200 KiB). */
const MIN_FREE = 256 << 10;
/** Slabs kept for reuse at most (the rest go to the garbage collector): 16 chunks per channel are in flight. */
const MAX_SPARE = 4;

interface Slab {
  buf: Buffer;
  used: number;
  /** Chunks read into it and not yet released. */
  live: number;
  /** No longer read into: reusable once `live` is 0. */
  retired: boolean;
}

let slab: Slab | null = null;
const spare: Slab[] = [];
/** The slab of each chunk view handed out, by its ArrayBuffer. */
const slabOf = new WeakMap<ArrayBufferLike, Slab>();

function nextSlab(): Slab {
  if (slab) {
    slab.retired = true;
    if (slab.live === 0 && spare.length < MAX_SPARE) spare.push(slab);
  }
  const s = spare.pop() ?? { buf: Buffer.allocUnsafeSlow(SLAB_BYTES), used: 0, live: 0, retired: false };
  s.used = 0;
  s.retired = false;
  slabOf.set(s.buf.buffer, s);
  return (slab = s);
}

/** The file's bytes, or undefined when there is no such file (the caller decides whether that is an error). */
export function readChunkFile(path: string): Uint8Array | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const s = slab && slab.buf.length - slab.used >= MIN_FREE ? slab : nextSlab();
    const free = s.buf.length - s.used;
    const n = readAll(fd, s.buf, s.used, free, 0);
    if (n < free) {
      const v = s.buf.subarray(s.used, s.used + n);
      // 8-byte aligned starts, so that a raw chunk can be viewed as its elements without a copy
      s.used += (n + 7) & ~7;
      s.live++;
      return v;
    }
    // The file filled the free space: read it whole on its own.
    const size = fstatSync(fd).size;
    const own = Buffer.allocUnsafeSlow(size);
    return own.subarray(0, readAll(fd, own, 0, size, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * Says that a chunk returned by `readChunkFile` is no longer used (decoded and placed; nothing holds a view of it):
 * its slab may be read into again. Anything else (a chunk read on its own, another array) is ignored.
 */
export function releaseChunk(bytes: Uint8Array): void {
  const s = slabOf.get(bytes.buffer);
  if (!s || s.live === 0) return;
  s.live--;
  if (s.live === 0 && s.retired && spare.length < MAX_SPARE && !spare.includes(s)) spare.push(s);
}

/** Reads up to `length` bytes at `position` (several reads if the kernel returns fewer); the bytes read. */
function readAll(fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
