/**
 * Structural checks of a TIFF before geotiff touches it (issue 15): the page (IFD) chain is walked once with
 * a loop check and a page limit, and every directory entry's value must lie inside the file with a sane
 * count. geotiff's own `getImageCount` follows next-IFD offsets without a loop check (a chain pointing back
 * hangs forever while memory grows) and allocates a tag's array from its declared count before reading it.
 * After this walk, geotiff only parses directories we have seen, and every array it allocates is bounded
 * by the file size.
 *
 * SubIFDs (tag 330) are not followed by CellColoc (pyramids / thumbnails are never read), so there is no
 * SubIFD recursion to bound; their offsets are still checked like every other value.
 */
import type { FileHandle } from 'node:fs/promises';
import { inputError } from '../core/errors.js';

/** TIFF field type → byte size (TIFF 6.0 §2 plus BigTIFF's LONG8/SLONG8/IFD8). */
const TYPE_SIZE: Record<number, number> = {
  1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8,
};

/** More pages than any microscope writes in one file; bounds the chain walk's time and memory. */
export const MAX_PAGES = 1 << 20;
/** libtiff refuses directories with more entries ("Sanity check on directory count failed"). */
const MAX_ENTRIES = 4096;
/** Read-ahead window of the walk: most IFDs of a stack are near each other, one read serves many. */
const WINDOW = 1 << 16;

interface Cursor {
  fh: FileHandle;
  size: number;
  buf: Buffer;
  start: number;
  end: number;
}

/** `n` bytes at `pos` (n ≤ WINDOW), from the cached window or a fresh read. Caller checks pos + n ≤ size. */
async function bytesAt(c: Cursor, pos: number, n: number): Promise<Buffer> {
  if (pos < c.start || pos + n > c.end) {
    const len = Math.min(WINDOW, c.size - pos);
    let done = 0;
    while (done < len) {
      const { bytesRead } = await c.fh.read(c.buf, done, len - done, pos + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    c.start = pos;
    c.end = pos + done;
    if (done < n) throw new Error(`short read at byte ${pos}`);
  }
  return c.buf.subarray(pos - c.start, pos - c.start + n);
}

/**
 * Walks the page chain from the header's first-IFD offset; returns the number of pages.
 * Throws one InputError naming the file, the page and what is wrong.
 */
export async function walkPageChain(
  fh: FileHandle,
  path: string,
  size: number,
  head: Buffer,
  le: boolean,
  big: boolean,
): Promise<number> {
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  const countBytes = big ? 8 : 2;
  const entryBytes = big ? 20 : 12;
  const offBytes = big ? 8 : 4;
  const inline = big ? 8 : 4;
  const cursor: Cursor = { fh, size, buf: Buffer.allocUnsafe(WINDOW), start: 0, end: 0 };
  const seen = new Map<number, number>();
  let ifd = big ? u64(head, 8) : u32(head, 4);
  let page = 0;
  while (ifd !== 0) {
    const where = page === 0 ? 'the first IFD' : `the IFD of page ${page}`;
    if (page >= MAX_PAGES) {
      throw inputError(`${path}: corrupt TIFF: more than ${MAX_PAGES} pages in the page chain (the limit)`);
    }
    const before = seen.get(ifd);
    if (before !== undefined) {
      throw inputError(
        `${path}: corrupt TIFF: the page chain loops (the next-IFD offset of page ${page - 1} points back to byte ${ifd}, the IFD of page ${before})`,
      );
    }
    if (ifd < 8 || ifd + countBytes > size) {
      throw inputError(`${path}: truncated: ${where} starts at byte ${ifd} but the file has ${size} bytes`);
    }
    seen.set(ifd, page);
    let n: number;
    let entries: Buffer;
    try {
      const cb = await bytesAt(cursor, ifd, countBytes);
      n = big ? u64(cb, 0) : u16(cb, 0);
      if (n > MAX_ENTRIES) {
        throw inputError(`${path}: corrupt TIFF: ${where} (byte ${ifd}) declares ${n} entries (at most ${MAX_ENTRIES})`);
      }
      const end = ifd + countBytes + n * entryBytes + offBytes;
      if (end > size) {
        throw inputError(`${path}: truncated: ${where} (${n} entries) ends at byte ${end} but the file has ${size} bytes`);
      }
      entries = await bytesAt(cursor, ifd + countBytes, n * entryBytes + offBytes);
    } catch (e) {
      if ((e as { _tag?: string })._tag) throw e;
      throw inputError(`${path}: cannot read ${where} at byte ${ifd} (${(e as Error).message})`, e);
    }
    for (let i = 0; i < n; i++) {
      const o = i * entryBytes;
      const tag = u16(entries, o);
      const type = u16(entries, o + 2);
      const count = big ? u64(entries, o + 4) : u32(entries, o + 4);
      const typeSize = TYPE_SIZE[type];
      if (typeSize === undefined) {
        throw inputError(`${path}: corrupt TIFF: tag ${tag} of page ${page} has the unknown field type ${type}`);
      }
      const bytes = count * typeSize;
      if (bytes <= inline) continue;
      const at = big ? u64(entries, o + 4 + offBytes) : u32(entries, o + 8);
      if (bytes > size || at + bytes > size) {
        const what = tag === 270 ? 'the ImageDescription' : `tag ${tag}`;
        throw inputError(
          `${path}: truncated: ${what} of page ${page} (bytes ${at}..${at + bytes}) ends past the end of the file (${size} bytes)`,
        );
      }
    }
    ifd = big ? u64(entries, n * entryBytes) : u32(entries, n * entryBytes);
    page++;
  }
  if (page === 0) throw inputError(`${path}: TIFF file has no pages (the first-IFD offset is 0)`);
  return page;
}
