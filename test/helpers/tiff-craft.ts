/**
 * Builds small hand-crafted classic TIFFs (TIFF 6.0 §2 byte layout, little- or big-endian) for the
 * hostile-input regression tests of issue 15: any tag values, any next-IFD offsets, any bytes as strips.
 * This is a byte writer only — it knows nothing of CellColoc's reader.
 */

/** TIFF field types used here. */
export const SHORT = 3;
export const LONG = 4;
export const RATIONAL = 5;
export const ASCII = 2;

export interface Entry {
  tag: number;
  type: number;
  values: number[] | string;
}

export interface CraftPage {
  entries: Entry[];
  /** Bytes placed in the file; `{data}` in an entry's values is replaced by its offset (see `dataOffsetTag`). */
  data?: Uint8Array;
  /** Tag whose single value is patched to the absolute offset of `data` (273 StripOffsets / 324 TileOffsets). */
  dataOffsetTag?: number;
  /** Override the next-IFD pointer: a page index (→ that page's IFD offset) or a raw byte offset. */
  nextPage?: number;
  nextRaw?: number;
}

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 16: 8 };

/** Writes pages as: header, then per page its data and its IFD (out-of-line values after the entries). */
export function craftTiff(pages: CraftPage[], littleEndian = true): Buffer {
  const chunks: Buffer[] = [];
  let pos = 8;
  const ifdOffsets: number[] = [];
  const nextFieldPos: number[] = [];
  const header = Buffer.alloc(8);
  header.write(littleEndian ? 'II' : 'MM', 0, 'latin1');
  const w16 = (b: Buffer, v: number, o: number) => (littleEndian ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const w32 = (b: Buffer, v: number, o: number) => (littleEndian ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  w16(header, 42, 2);
  chunks.push(header);
  for (const page of pages) {
    let dataOffset = 0;
    if (page.data && page.data.length > 0) {
      dataOffset = pos;
      chunks.push(Buffer.from(page.data));
      pos += page.data.length;
      if (pos % 2) {
        chunks.push(Buffer.alloc(1));
        pos++;
      }
    }
    const entries = [...page.entries].sort((a, b) => a.tag - b.tag);
    const ifdStart = pos;
    ifdOffsets.push(ifdStart);
    const ifdSize = 2 + entries.length * 12 + 4;
    const ifd = Buffer.alloc(ifdSize);
    const extra: Buffer[] = [];
    let extraPos = ifdStart + ifdSize;
    w16(ifd, entries.length, 0);
    entries.forEach((e, i) => {
      const o = 2 + i * 12;
      const raw = typeof e.values === 'string' ? Buffer.from(e.values + '\0', 'latin1') : null;
      let values = typeof e.values === 'string' ? [] : e.values;
      if (e.tag === page.dataOffsetTag) values = values.map(() => dataOffset);
      const count = raw ? raw.length : e.type === RATIONAL ? values.length / 2 : values.length;
      const size = TYPE_SIZE[e.type] ?? 1;
      const bytes = Buffer.alloc(Math.max(4, count * size));
      if (raw) raw.copy(bytes);
      else {
        values.forEach((v, k) => {
          if (e.type === SHORT) w16(bytes, v, k * 2);
          else if (e.type === LONG || e.type === RATIONAL) w32(bytes, v, k * 4);
          else bytes[k] = v;
        });
      }
      w16(ifd, e.tag, o);
      w16(ifd, e.type, o + 2);
      w32(ifd, count, o + 4);
      if (count * size <= 4) bytes.copy(ifd, o + 8, 0, 4);
      else {
        w32(ifd, extraPos, o + 8);
        extra.push(bytes);
        extraPos += bytes.length + (bytes.length % 2);
        if (bytes.length % 2) extra.push(Buffer.alloc(1));
      }
    });
    nextFieldPos.push(chunks.reduce((a, c) => a + c.length, 0) + 2 + entries.length * 12);
    chunks.push(ifd, ...extra);
    pos = extraPos;
  }
  const out = Buffer.concat(chunks);
  w32(out, ifdOffsets[0], 4);
  pages.forEach((p, i) => {
    const next = p.nextRaw ?? (p.nextPage !== undefined ? ifdOffsets[p.nextPage] : i + 1 < pages.length ? ifdOffsets[i + 1] : 0);
    w32(out, next, nextFieldPos[i]);
  });
  return out;
}

/** The usual tags of a single-strip greyscale page (values may be overridden by later entries of the same tag). */
export function greyPage(opts: {
  width: number;
  height: number;
  bits?: number;
  compression?: number;
  predictor?: number;
  sampleFormat?: number;
  samplesPerPixel?: number;
  rowsPerStrip?: number;
  data: Uint8Array;
  byteCount?: number;
  extra?: Entry[];
}): CraftPage {
  const byTag = new Map<number, Entry>();
  const put = (e: Entry) => byTag.set(e.tag, e);
  put({ tag: 256, type: LONG, values: [opts.width] });
  put({ tag: 257, type: LONG, values: [opts.height] });
  put({ tag: 258, type: SHORT, values: [opts.bits ?? 8] });
  put({ tag: 259, type: SHORT, values: [opts.compression ?? 1] });
  put({ tag: 262, type: SHORT, values: [1] });
  put({ tag: 273, type: LONG, values: [0] });
  put({ tag: 277, type: LONG, values: [opts.samplesPerPixel ?? 1] });
  put({ tag: 278, type: LONG, values: [opts.rowsPerStrip ?? opts.height] });
  put({ tag: 279, type: LONG, values: [opts.byteCount ?? opts.data.length] });
  if (opts.predictor) put({ tag: 317, type: SHORT, values: [opts.predictor] });
  if (opts.sampleFormat) put({ tag: 339, type: SHORT, values: [opts.sampleFormat] });
  for (const e of opts.extra ?? []) put(e);
  return { entries: [...byTag.values()], data: opts.data, dataOffsetTag: 273 };
}
