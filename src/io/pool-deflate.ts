/**
 * Deflate on libuv's thread pool in (usually) one task. `zlib.deflate(buf, cb)` hands zlib output space of
 * `chunkSize` bytes (default 16 KiB) at a time; each time that fills up, the stream returns to the main thread's
 * event loop to ask for more. Behind synchronous work on the main thread (tables, the workbook's XML) a label TIFF
 * of ~100 KB then waited 6 turns of the loop, and its deflate ended only once the main thread was idle (issue 21).
 * With output space for the whole result of a typical mask or sheet, the deflate runs to its end on a pool thread.
 *
 * Same bytes as the default chunk size: zlib's output depends on the input, the settings and the flush calls, not
 * on how the output space is handed over (one write with Z_FINISH either way).
 */
import { deflate, deflateRaw, type ZlibOptions } from 'node:zlib';

/**
 * Output space per zlib call: a quarter of the input (label planes and generated XML compress far better than
 * 4:1; worse data just takes more calls), at least 64 KiB, at most zlib's `deflateBound` (+ 6 bytes of zlib
 * header and trailer), and never below zlib's minimum of 64 bytes. The buffer is allocated uninitialised: only the
 * pages zlib writes become resident.
 */
export function deflateChunkSize(inputBytes: number): number {
  const bound = inputBytes + (inputBytes >>> 12) + (inputBytes >>> 14) + (inputBytes >>> 25) + 13 + 6;
  return Math.max(64, Math.min(bound, Math.max(64 << 10, Math.ceil(inputBytes / 4))));
}

/** `zlib.deflate` (zlib stream) on the thread pool with `deflateChunkSize` output space. */
export function deflateOnPool(data: Uint8Array, level: number): Promise<Buffer> {
  return run(deflate, data, { level, chunkSize: deflateChunkSize(data.byteLength) });
}

/** `zlib.deflateRaw` (no zlib header, as in a ZIP entry) on the thread pool with `deflateChunkSize` output space. */
export function deflateRawOnPool(data: Uint8Array, level: number): Promise<Buffer> {
  return run(deflateRaw, data, { level, chunkSize: deflateChunkSize(data.byteLength) });
}

function run(fn: typeof deflate, data: Uint8Array, options: ZlibOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => fn(data, options, (err, out) => (err ? reject(err) : resolve(out))));
}
