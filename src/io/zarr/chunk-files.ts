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
 * own (size from `fstat`). The chunks are views into the slab; a slab is freed with its last chunk.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const SLAB_BYTES = 1 << 20;
/** A slab with less free space than this is replaced (a typical compressed chunk is 10–200 KiB). */
const MIN_FREE = 256 << 10;

let slab: Buffer | null = null;
let used = 0;

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
    if (!slab || slab.length - used < MIN_FREE) {
      slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      used = 0;
    }
    const free = slab.length - used;
    const n = readAll(fd, slab, used, free, 0);
    if (n < free) {
      const v = slab.subarray(used, used + n);
      // 8-byte aligned starts, so that a raw chunk can be viewed as its elements without a copy
      used += (n + 7) & ~7;
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
