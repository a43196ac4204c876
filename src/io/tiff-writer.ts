/**
 * Minimal little-endian (Big)TIFF writer for label masks and ROI images (ecosystem.md section 2: no npm
 * package writes multi-page uint32 TIFFs with an ImageDescription, so it is written by hand).
 *
 * Layout (deterministic: no timestamps, fixed deflate level, so the same volume gives the same bytes):
 *   header | ImageDescription (page 0 only) | Software | X/YResolution rationals | IFD 0 … IFD Z-1 | strip 0 … strip Z-1
 * One page per z plane, one strip per page, all IFDs before the pixel data (readers find every page with a
 * few small reads; uncompressed pixel data stays one contiguous block, written straight from the volume's
 * buffer without a copy). Classic TIFF while every offset fits in 32 bits, BigTIFF (magic 43, 8-byte
 * offsets) otherwise.
 *
 * Physical size (fix Q39: the original wrote none): an OME-XML ImageDescription with PhysicalSizeX/Y/Z in
 * µm (Fiji / Bio-Formats, tifffile `is_ome`), plus XResolution/YResolution in pixels per centimetre
 * (ResolutionUnit 3) for readers that ignore OME-XML. Or (`description: 'imagej'`, used for z stacks) ImageJ's
 * own description `ImageJ=…\nimages=Z\nslices=Z\nunit=micron\nspacing=<z µm>` with XResolution/YResolution
 * in pixels per µm and ResolutionUnit 1, exactly as ImageJ's TiffEncoder writes a calibrated stack: Fiji without
 * Bio-Formats reads the z step only from an ImageDescription that starts with `ImageJ=` (ij.io.FileOpener),
 * and Bio-Formats, tifffile and napari read that description too.
 */
import { deflateSync } from 'node:zlib';
import { deflateOnPool } from './pool-deflate.js';
import { valueError } from '../core/errors.js';
import type { Shape3, Volume } from '../core/volume.js';


export type TiffVoxelData = Uint8Array | Uint16Array | Uint32Array | Float32Array;

export interface TiffWriteOptions {
  /** `[z, y, x]` voxel size in µm; omitted → no physical size in the file. */
  voxelSizeUm?: readonly [number, number, number] | null;
  /** `deflate` = zlib (Compression 8, no predictor) at `deflateLevel`. Default `none`. */
  compression?: 'none' | 'deflate';
  /** zlib level 1–9, default 6 (fixed, so the output is reproducible). */
  deflateLevel?: number;
  /**
   * `ome` (default): OME-XML with DimensionOrder XYZCT and physical sizes; `imagej`: ImageJ's stack
   * description with `unit=micron` and `spacing=` (resolutions then in pixels per µm); `shaped`: tifffile's
   * default `{"shape": [Z, Y, X]}` JSON (what the original wrote, spec 8.1); any other string is written verbatim.
   */
  description?: 'ome' | 'imagej' | 'shaped' | string;
  /** Force BigTIFF (`true`) or classic (`false`, throws when too large); default: automatic. */
  bigTiff?: boolean;
}

/** TIFF tag ids used here (TIFF 6.0, section 8). */
const TAG = {
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  PhotometricInterpretation: 262,
  ImageDescription: 270,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  XResolution: 282,
  YResolution: 283,
  ResolutionUnit: 296,
  Software: 305,
  SampleFormat: 339,
} as const;

/** Field types: SHORT=3, LONG=4, RATIONAL=5, ASCII=2, LONG8=16 (BigTIFF). */
const T_ASCII = 2;
const T_SHORT = 3;
const T_LONG = 4;
const T_RATIONAL = 5;
const T_LONG8 = 16;

const SOFTWARE = 'cellcoloc';
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface PixelInfo {
  bits: number;
  sampleFormat: number; // 1 = unsigned int, 3 = IEEE float
  omeType: string;
}

function pixelInfo(data: TiffVoxelData): PixelInfo {
  if (data instanceof Uint8Array) return { bits: 8, sampleFormat: 1, omeType: 'uint8' };
  if (data instanceof Uint16Array) return { bits: 16, sampleFormat: 1, omeType: 'uint16' };
  if (data instanceof Uint32Array) return { bits: 32, sampleFormat: 1, omeType: 'uint32' };
  if (data instanceof Float32Array) return { bits: 32, sampleFormat: 3, omeType: 'float' };
  throw valueError(`encodeTiffStack: unsupported voxel type ${(data as object)?.constructor?.name}, expected Uint8/Uint16/Uint32/Float32Array`);
}

/** Best rational approximation with numerator and denominator < 2^32 (continued fractions, like
 * Python's `Fraction.limit_denominator`, which tifffile uses for resolutions). */
export function toRational(x: number): [number, number] {
  const MAX = 0xffffffff;
  if (!(x > 0) || !Number.isFinite(x)) return [0, 1];
  if (x >= MAX) return [MAX, 1];
  let h0 = 0, h1 = 1, k0 = 1, k1 = 0;
  let v = x;
  for (let i = 0; i < 64; i++) {
    const a = Math.floor(v);
    const h2 = a * h1 + h0;
    const k2 = a * k1 + k0;
    if (h2 > MAX || k2 > MAX) break;
    h0 = h1; h1 = h2; k0 = k1; k1 = k2;
    const f = v - a;
    if (f === 0 || h1 / k1 === x) break;
    v = 1 / f;
  }
  if (k1 === 0) return [1, MAX]; // x < 1/MAX
  return [h1, k1];
}

/** Shortest round-trip decimal for XML attributes (`0.5`, `0.1625`, `1e-7`). */
function xmlNumber(v: number): string {
  return String(v);
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * OME-XML (schema 2016-06) for one single-channel Z stack stored as Z pages (DimensionOrder XYZCT: Z varies
 * fastest after the plane, which is the page order here; one TiffData covering all planes).
 */
export function omeXml(shape: Shape3, omeType: string, voxelSizeUm?: readonly [number, number, number] | null, name?: string): string {
  const [Z, Y, X] = shape;
  let phys = '';
  if (voxelSizeUm) {
    const [vz, vy, vx] = voxelSizeUm;
    phys =
      ` PhysicalSizeX="${xmlNumber(vx)}" PhysicalSizeXUnit="µm"` +
      ` PhysicalSizeY="${xmlNumber(vy)}" PhysicalSizeYUnit="µm"` +
      ` PhysicalSizeZ="${xmlNumber(vz)}" PhysicalSizeZUnit="µm"`;
  }
  const nameAttr = name ? ` Name="${xmlEscape(name)}"` : '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"' +
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' +
    ' xsi:schemaLocation="http://www.openmicroscopy.org/Schemas/OME/2016-06 http://www.openmicroscopy.org/Schemas/OME/2016-06/ome.xsd"' +
    ` Creator="${SOFTWARE}">` +
    `<Image ID="Image:0"${nameAttr}>` +
    `<Pixels ID="Pixels:0" DimensionOrder="XYZCT" Type="${omeType}" SizeX="${X}" SizeY="${Y}" SizeZ="${Z}" SizeC="1" SizeT="1"` +
    `${phys} BigEndian="false" Interleaved="false">` +
    '<Channel ID="Channel:0:0" SamplesPerPixel="1"><LightPath/></Channel>' +
    `<TiffData IFD="0" PlaneCount="${Z}"/>` +
    '</Pixels></Image></OME>'
  );
}

function checkVolume(volume: Volume<TiffVoxelData>): void {
  const [Z, Y, X] = volume.shape;
  for (const n of [Z, Y, X]) {
    if (!Number.isInteger(n) || n < 1) throw valueError(`encodeTiffStack: shape ${JSON.stringify(volume.shape)} must be three positive integers`);
  }
  if (volume.data.length !== Z * Y * X) {
    throw valueError(`encodeTiffStack: data has ${volume.data.length} voxels, shape ${JSON.stringify(volume.shape)} needs ${Z * Y * X}`);
  }
}

/** Little-endian bytes of plane z (a view when the host is little-endian, else a byte-swapped copy). */
function planeBytes(data: TiffVoxelData, z: number, planeVoxels: number): Uint8Array {
  const sub = data.subarray(z * planeVoxels, (z + 1) * planeVoxels);
  const bytes = new Uint8Array(sub.buffer, sub.byteOffset, sub.byteLength);
  if (LITTLE_ENDIAN_HOST || data.BYTES_PER_ELEMENT === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  const w = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += w) for (let b = 0; b < w; b++) out[i + b] = bytes[i + w - 1 - b];
  return out;
}

interface Entry {
  tag: number;
  type: number;
  count: number;
  /** Inline value(s) or an absolute offset to out-of-line data (`offset: true`). */
  value: number;
  offset?: boolean;
}

/**
 * ImageJ's description of a single-channel Z stack (what ImageJ 1.x writes for a calibrated stack; the
 * version string is tifffile's `1.11a`). Without a voxel size, no unit and no spacing.
 */
export function imageJStackDescription(Z: number, voxelSizeUm?: readonly [number, number, number] | null): string {
  const lines = ['ImageJ=1.11a', `images=${Z}`];
  if (Z > 1) lines.push(`slices=${Z}`);
  if (voxelSizeUm) {
    lines.push('unit=micron');
    if (Z > 1) lines.push(`spacing=${xmlNumber(voxelSizeUm[0])}`);
  }
  lines.push('loop=false', '');
  return lines.join('\n');
}

/**
 * Label masks in the smallest unsigned type that holds the largest label: uint16 when it is <= 65535 (Fiji
 * opens uint32 TIFFs as 32-bit float, and a float re-save is no longer a label image), the input otherwise.
 * One pass for the maximum; the narrowed copy is half the size of the uint32 volume.
 */
export function narrowLabelVolume<T extends TiffVoxelData>(volume: Volume<T>): Volume<TiffVoxelData> {
  const d = volume.data;
  if (!(d instanceof Uint32Array)) return volume;
  let max = 0;
  for (let i = 0; i < d.length; i++) if (d[i] > max) max = d[i];
  if (max > 0xffff) return volume;
  return { ...volume, data: new Uint16Array(d) };
}

function resolveDescription(volume: Volume<TiffVoxelData>, info: PixelInfo, options: TiffWriteOptions): string {
  const d = options.description ?? 'ome';
  if (d === 'ome') return omeXml(volume.shape, info.omeType, options.voxelSizeUm ?? null);
  if (d === 'imagej') return imageJStackDescription(volume.shape[0], options.voxelSizeUm ?? null);
  // tifffile's "shaped" description: json.dumps({'shape': [...]}) → `{"shape": [2, 3, 4]}`.
  if (d === 'shaped') return `{"shape": [${volume.shape.join(', ')}]}`;
  return d;
}

/**
 * One page's strip: its bytes, or the pieces a streaming encoder produced in order (written one after the other,
 * never concatenated: export/placed-tiff.ts).
 */
export type Strip = Uint8Array | readonly Uint8Array[];

function stripLength(s: Strip): number {
  if (s instanceof Uint8Array) return s.length;
  let n = 0;
  for (const p of s) n += p.length;
  return n;
}

/**
 * Lays the file out around already-encoded strips (one per page) and returns the chunks to write in order:
 * the head (header, tag data, all IFDs) followed by the strips (views, not copies).
 */
function assemble(volume: Volume<TiffVoxelData>, info: PixelInfo, strips: readonly Strip[], compressed: boolean, options: TiffWriteOptions): Uint8Array[] {
  const [Z, Y, X] = volume.shape;
  const enc = new TextEncoder();
  const desc = enc.encode(resolveDescription(volume, info, options) + '\0');
  const soft = enc.encode(SOFTWARE + '\0');
  const vs = options.voxelSizeUm ?? null;
  if (vs) {
    for (const v of vs) if (!(v > 0) || !Number.isFinite(v)) throw valueError(`encodeTiffStack: voxel size ${JSON.stringify(vs)} must be positive finite µm values`);
  }
  // pixels per centimetre = 10^4 µm/cm ÷ (µm per pixel); tag order is X then Y. ImageJ descriptions: pixels
  // per µm (the description's unit) with ResolutionUnit 1, as ImageJ's TiffEncoder writes them.
  const imagej = options.description === 'imagej';
  const perUnit = imagej ? 1 : 1e4;
  const xRes = vs ? toRational(perUnit / vs[2]) : null;
  const yRes = vs ? toRational(perUnit / vs[1]) : null;

  // Tags per page: 11 always, 3 for the resolution, and ImageDescription on page 0 only.
  const nTags = 11 + (vs ? 3 : 0);
  const even = (n: number) => n + (n & 1);
  let stripTotal = 0;
  for (const s of strips) stripTotal += compressed ? even(stripLength(s)) : stripLength(s);

  const layout = (big: boolean) => {
    const headerSize = big ? 16 : 8;
    const ifdSize = (n: number) => (big ? 8 + 20 * n + 8 : 2 + 12 * n + 4);
    let pos = headerSize;
    const descOff = pos;
    pos = even(pos + desc.length);
    const softOff = pos;
    pos = even(pos + soft.length);
    const resOff = pos;
    if (vs) pos += 16;
    const ifdOffs: number[] = [];
    for (let z = 0; z < Z; z++) {
      ifdOffs.push(pos);
      pos += ifdSize(nTags + (z === 0 ? 1 : 0));
    }
    const headSize = pos;
    return { headerSize, descOff, softOff, resOff, ifdOffs, headSize, total: headSize + stripTotal };
  };
  let big = options.bigTiff ?? false;
  let L = layout(big);
  if (options.bigTiff === undefined && L.total > 0xffffffff) {
    big = true;
    L = layout(true);
  } else if (!big && L.total > 0xffffffff) {
    throw valueError(`encodeTiffStack: ${L.total} bytes do not fit a classic TIFF (4 GiB), use bigTiff`);
  }

  const head = new Uint8Array(L.headSize);
  const dv = new DataView(head.buffer);
  head[0] = 0x49; // 'II' little-endian
  head[1] = 0x49;
  const setOff = (at: number, v: number) => (big ? dv.setBigUint64(at, BigInt(v), true) : dv.setUint32(at, v, true));
  if (big) {
    dv.setUint16(2, 43, true);
    dv.setUint16(4, 8, true); // offset byte size
    dv.setUint16(6, 0, true);
    setOff(8, L.ifdOffs[0]);
  } else {
    dv.setUint16(2, 42, true);
    setOff(4, L.ifdOffs[0]);
  }
  head.set(desc, L.descOff);
  head.set(soft, L.softOff);
  if (xRes && yRes) {
    dv.setUint32(L.resOff, xRes[0], true);
    dv.setUint32(L.resOff + 4, xRes[1], true);
    dv.setUint32(L.resOff + 8, yRes[0], true);
    dv.setUint32(L.resOff + 12, yRes[1], true);
  }

  let stripPos = L.headSize;
  for (let z = 0; z < Z; z++) {
    const stripLen = stripLength(strips[z]);
    const entries: Entry[] = [
      { tag: TAG.ImageWidth, type: T_LONG, count: 1, value: X },
      { tag: TAG.ImageLength, type: T_LONG, count: 1, value: Y },
      { tag: TAG.BitsPerSample, type: T_SHORT, count: 1, value: info.bits },
      { tag: TAG.Compression, type: T_SHORT, count: 1, value: compressed ? 8 : 1 },
      { tag: TAG.PhotometricInterpretation, type: T_SHORT, count: 1, value: 1 }, // BlackIsZero
    ];
    if (z === 0) {
      entries.push({ tag: TAG.ImageDescription, type: T_ASCII, count: desc.length, value: L.descOff, offset: true });
    }
    entries.push(
      { tag: TAG.StripOffsets, type: big ? T_LONG8 : T_LONG, count: 1, value: stripPos },
      { tag: TAG.SamplesPerPixel, type: T_SHORT, count: 1, value: 1 },
      { tag: TAG.RowsPerStrip, type: T_LONG, count: 1, value: Y },
      { tag: TAG.StripByteCounts, type: big ? T_LONG8 : T_LONG, count: 1, value: stripLen },
    );
    if (vs) {
      entries.push(
        { tag: TAG.XResolution, type: T_RATIONAL, count: 1, value: L.resOff, offset: true },
        { tag: TAG.YResolution, type: T_RATIONAL, count: 1, value: L.resOff + 8, offset: true },
        { tag: TAG.ResolutionUnit, type: T_SHORT, count: 1, value: imagej ? 1 : 3 }, // none (ImageJ: unit in the description) | centimetre
      );
    }
    entries.push(
      { tag: TAG.Software, type: T_ASCII, count: soft.length, value: L.softOff, offset: true },
      { tag: TAG.SampleFormat, type: T_SHORT, count: 1, value: info.sampleFormat },
    );
    if (entries.length !== nTags + (z === 0 ? 1 : 0)) throw new Error('tiff-writer: tag count mismatch');
    let p = L.ifdOffs[z];
    if (big) {
      dv.setBigUint64(p, BigInt(entries.length), true);
      p += 8;
    } else {
      dv.setUint16(p, entries.length, true);
      p += 2;
    }
    for (const e of entries) {
      dv.setUint16(p, e.tag, true);
      dv.setUint16(p + 2, e.type, true);
      if (big) dv.setBigUint64(p + 4, BigInt(e.count), true);
      else dv.setUint32(p + 4, e.count, true);
      const vp = p + (big ? 12 : 8);
      // Values of ≤ 4 (BigTIFF: 8) bytes sit in the entry itself; the two ASCII strings (≥ 10 bytes with
      // the NUL) and, in classic TIFF, the 8-byte rationals are written behind offsets.
      if (e.type === T_RATIONAL && big) {
        // BigTIFF: an 8-byte rational fits the entry, so it must be stored inline.
        dv.setUint32(vp, dv.getUint32(e.value, true), true);
        dv.setUint32(vp + 4, dv.getUint32(e.value + 4, true), true);
      } else if (e.type === T_SHORT) {
        dv.setUint16(vp, e.value, true);
      } else if (e.type === T_LONG) {
        dv.setUint32(vp, e.value, true);
      } else {
        setOff(vp, e.value); // LONG8, or an offset to out-of-line data
      }
      p += big ? 20 : 12;
    }
    setOff(p, z + 1 < Z ? L.ifdOffs[z + 1] : 0);
    stripPos += compressed ? even(stripLen) : stripLen;
  }

  const chunks: Uint8Array[] = [head];
  if (compressed) {
    const pad = new Uint8Array(1);
    for (const s of strips) {
      if (s instanceof Uint8Array) chunks.push(s);
      else chunks.push(...s);
      if (stripLength(s) & 1) chunks.push(pad);
    }
  } else if (LITTLE_ENDIAN_HOST) {
    // Uncompressed planes are contiguous in the volume: one view over all of them.
    const d = volume.data;
    chunks.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  } else {
    for (const s of strips) chunks.push(...(s instanceof Uint8Array ? [s] : s));
  }
  return chunks;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function level(options: TiffWriteOptions): number {
  const l = options.deflateLevel ?? 6;
  if (!Number.isInteger(l) || l < 1 || l > 9) throw valueError(`encodeTiffStack: deflateLevel must be an integer 1..9, got ${l}`);
  return l;
}

/** Encodes synchronously; returns the file as chunks to write in order (pixel data not copied when uncompressed). */
export function encodeTiffStackChunks(volume: Volume<TiffVoxelData>, options: TiffWriteOptions = {}): Uint8Array[] {
  checkVolume(volume);
  const info = pixelInfo(volume.data);
  const [Z, Y, X] = volume.shape;
  const compressed = options.compression === 'deflate';
  const lv = compressed ? level(options) : 0;
  const strips: Uint8Array[] = [];
  for (let z = 0; z < Z; z++) {
    const raw = planeBytes(volume.data, z, Y * X);
    strips.push(compressed ? new Uint8Array(deflateSync(raw, { level: lv })) : raw);
  }
  return assemble(volume, info, strips, compressed, options);
}

/**
 * Like `encodeTiffStackChunks`, but deflates the planes on libuv's thread pool (in parallel with each other
 * and with JavaScript work such as the workbook). Same bytes as the synchronous encoder.
 */
export async function encodeTiffStackChunksAsync(volume: Volume<TiffVoxelData>, options: TiffWriteOptions = {}): Promise<Uint8Array[]> {
  checkVolume(volume);
  const info = pixelInfo(volume.data);
  const [Z, Y, X] = volume.shape;
  const compressed = options.compression === 'deflate';
  if (!compressed) return encodeTiffStackChunks(volume, options);
  const lv = level(options);
  const strips = await Promise.all(
    Array.from({ length: Z }, async (_, z) => new Uint8Array(await deflateOnPool(planeBytes(volume.data, z, Y * X), lv))),
  );
  return assemble(volume, info, strips, compressed, options);
}

/**
 * The file around strips that the caller deflated itself (one zlib stream per z plane, in order, at the level the
 * options name): for encoders that produce the planes on the fly (`export/label-tiff.ts` narrows uint32 labels
 * plane by plane). `sample` only selects the pixel type (an empty array of it is enough). Same bytes as
 * `encodeTiffStackChunks` on the whole volume with the same options.
 */
export function assembleDeflatedTiff(shape: Shape3, sample: TiffVoxelData, strips: readonly Strip[], options: TiffWriteOptions): Uint8Array[] {
  if (strips.length !== shape[0]) throw valueError(`assembleDeflatedTiff: ${strips.length} strips for ${shape[0]} planes`);
  level(options);
  return assemble({ shape, data: sample }, pixelInfo(sample), strips, true, { ...options, compression: 'deflate' });
}

/** The whole file as one byte array (one page per z plane). */
export function encodeTiffStack(volume: Volume<TiffVoxelData>, options: TiffWriteOptions = {}): Uint8Array {
  return concat(encodeTiffStackChunks(volume, options));
}
