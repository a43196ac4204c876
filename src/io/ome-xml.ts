/**
 * OME-XML (the ImageDescription of an OME-TIFF's first IFD) → series-0 geometry, physical sizes and the
 * plane → IFD map (spec 3.1; OME schema 2016-06 `Pixels`, `Channel`, `TiffData`).
 *
 * Parsed with fast-xml-parser@5 (options from ecosystem.md §1). Only what CellColoc needs is read.
 */
import { XMLParser } from 'fast-xml-parser';

/** One PhysicalSize attribute as stored: value and unit string (unit defaults to µm per the OME schema). */
export interface OmePhysicalSize {
  value: number | null;
  /** Raw unit string; `'µm'` when the attribute is absent (OME default). */
  unit: string;
  /** The attribute text when it is present but not a number (for warnings). */
  rawValue: string | null;
}

export interface OmePixels {
  /** e.g. `XYCZT`: the first of Z/C/T after XY varies fastest in IFD order. */
  dimensionOrder: string;
  sizeX: number;
  sizeY: number;
  sizeZ: number;
  /** Total channels including samples (OME counts an RGB image as SizeC=3). */
  sizeC: number;
  sizeT: number;
  /** OME `Type` (`uint16`, `float`, …) or null. */
  type: string | null;
  /** SamplesPerPixel of the first Channel (1 when absent). */
  samplesPerPixel: number;
  /** Channel Name per `Channel` element ('' when unnamed). */
  channelNames: string[];
  physicalSizeX: OmePhysicalSize;
  physicalSizeY: OmePhysicalSize;
  physicalSizeZ: OmePhysicalSize;
  /**
   * IFD of each plane, indexed `planeIndex(order, z, cPlane, t)` over Z × (SizeC / samplesPerPixel) × T;
   * -1 where the XML maps nothing (reading that plane is an InputError).
   */
  ifdOfPlane: Int32Array;
  /** Planes per (z, t): SizeC / SamplesPerPixel. */
  planeChannels: number;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  parseAttributeValue: false,
  isArray: (n: string) => ['Image', 'Channel', 'TiffData', 'Plane'].includes(n),
});

/** Parse error with a reason; the caller adds the file name. */
export class OmeXmlError extends Error {}

const DIM_ORDERS = new Set(['XYZCT', 'XYZTC', 'XYCTZ', 'XYCZT', 'XYTCZ', 'XYTZC']);

function posInt(v: unknown, name: string, dflt?: number): number {
  if (v === undefined || v === null || v === '') {
    if (dflt !== undefined) return dflt;
    throw new OmeXmlError(`Pixels has no ${name}`);
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new OmeXmlError(`Pixels ${name}="${String(v)}" is not a positive integer`);
  return n;
}

function nonNegInt(v: unknown, name: string, dflt: number): number {
  if (v === undefined || v === null || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new OmeXmlError(`TiffData ${name}="${String(v)}" is not a non-negative integer`);
  return n;
}

function physical(pixels: Record<string, unknown>, axis: 'X' | 'Y' | 'Z'): OmePhysicalSize {
  const raw = pixels[`PhysicalSize${axis}`];
  const unitRaw = pixels[`PhysicalSize${axis}Unit`];
  const unit = unitRaw === undefined || unitRaw === null ? 'µm' : String(unitRaw);
  if (raw === undefined || raw === null) return { value: null, unit, rawValue: null };
  const s = String(raw).trim();
  const v = Number(s);
  if (s === '' || !Number.isFinite(v)) return { value: null, unit, rawValue: s };
  return { value: v, unit, rawValue: s };
}

/**
 * Linear plane index for (z, c, t) in `dimensionOrder` (the letter after XY varies fastest),
 * as Bio-Formats' `FormatTools.getIndex`.
 */
export function planeIndex(order: string, sizes: { z: number; c: number; t: number }, z: number, c: number, t: number): number {
  const pos = { Z: z, C: c, T: t } as const;
  const size = { Z: sizes.z, C: sizes.c, T: sizes.t } as const;
  const a = order[2] as 'Z' | 'C' | 'T';
  const b = order[3] as 'Z' | 'C' | 'T';
  const d = order[4] as 'Z' | 'C' | 'T';
  return pos[a] + size[a] * (pos[b] + size[b] * pos[d]);
}

/**
 * Parses series 0 (`Image[0]/Pixels`) of an OME-XML document.
 * @param xml the ImageDescription text
 * @param fileName base name of the TIFF holding the XML (TiffData/UUID pointing to another file → error)
 * @param ifdCount number of IFDs in the file (bounds the default TiffData mapping)
 * @throws OmeXmlError with a one-line reason
 */
export function parseOmeXml(xml: string, fileName: string, ifdCount: number): OmePixels {
  let doc: Record<string, any>;
  try {
    doc = parser.parse(xml) as Record<string, any>;
  } catch (e) {
    throw new OmeXmlError(`malformed OME-XML (${(e as Error).message.split('\n')[0]})`);
  }
  const ome = doc.OME;
  if (!ome || typeof ome !== 'object') throw new OmeXmlError('ImageDescription has no <OME> root element');
  const images = ome.Image as Record<string, any>[] | undefined;
  if (!images || images.length === 0) throw new OmeXmlError('OME-XML has no <Image>');
  const pixels = images[0].Pixels as Record<string, any> | undefined;
  if (!pixels || typeof pixels !== 'object') throw new OmeXmlError('OME-XML Image 0 has no <Pixels>');
  if (pixels.BinData !== undefined) throw new OmeXmlError('OME-XML with BinData pixels (not TIFF planes) is not supported');

  const dimensionOrder = String(pixels.DimensionOrder ?? 'XYZCT').toUpperCase();
  if (!DIM_ORDERS.has(dimensionOrder)) {
    throw new OmeXmlError(`Pixels DimensionOrder="${String(pixels.DimensionOrder)}" is not one of ${[...DIM_ORDERS].join(', ')}`);
  }
  const sizeX = posInt(pixels.SizeX, 'SizeX');
  const sizeY = posInt(pixels.SizeY, 'SizeY');
  const sizeZ = posInt(pixels.SizeZ, 'SizeZ', 1);
  const sizeC = posInt(pixels.SizeC, 'SizeC', 1);
  const sizeT = posInt(pixels.SizeT, 'SizeT', 1);
  const channels = (pixels.Channel ?? []) as Record<string, any>[];
  const samplesPerPixel = channels.length > 0 ? posInt(channels[0].SamplesPerPixel, 'Channel SamplesPerPixel', 1) : 1;
  if (sizeC % samplesPerPixel !== 0) {
    throw new OmeXmlError(`Pixels SizeC=${sizeC} is not a multiple of Channel SamplesPerPixel=${samplesPerPixel}`);
  }
  const planeChannels = sizeC / samplesPerPixel;
  const channelNames = channels.map((c) => (c.Name === undefined || c.Name === null ? '' : String(c.Name)));

  const nPlanes = sizeZ * planeChannels * sizeT;
  const ifdOfPlane = new Int32Array(nPlanes).fill(-1);
  const sizes = { z: sizeZ, c: planeChannels, t: sizeT };
  const tiffData = (pixels.TiffData ?? []) as Record<string, any>[];
  if (tiffData.length === 0) {
    // No TiffData: planes are the IFDs in dimension order (OME-TIFF spec default).
    for (let p = 0; p < nPlanes && p < ifdCount; p++) ifdOfPlane[p] = p;
  } else {
    for (const td of tiffData) {
      const uuid = td.UUID;
      if (uuid && typeof uuid === 'object' && uuid.FileName !== undefined && String(uuid.FileName) !== fileName) {
        throw new OmeXmlError(
          `TiffData refers to another file "${String(uuid.FileName)}" (multi-file OME-TIFF datasets are not supported)`,
        );
      }
      const hasIfd = td.IFD !== undefined;
      const ifd = nonNegInt(td.IFD, 'IFD', 0);
      const firstZ = nonNegInt(td.FirstZ, 'FirstZ', 0);
      const firstC = nonNegInt(td.FirstC, 'FirstC', 0);
      const firstT = nonNegInt(td.FirstT, 'FirstT', 0);
      if (firstZ >= sizeZ || firstC >= planeChannels || firstT >= sizeT) {
        throw new OmeXmlError(
          `TiffData FirstZ/FirstC/FirstT=(${firstZ}, ${firstC}, ${firstT}) outside SizeZ/SizeC/SizeT=(${sizeZ}, ${planeChannels}, ${sizeT})`,
        );
      }
      // PlaneCount default: all planes when neither IFD nor PlaneCount is given, else 1 (OME-TIFF spec).
      const start = planeIndex(dimensionOrder, sizes, firstZ, firstC, firstT);
      const count =
        td.PlaneCount !== undefined
          ? nonNegInt(td.PlaneCount, 'PlaneCount', 1)
          : hasIfd || tiffData.length > 1
            ? 1
            : nPlanes - start;
      for (let k = 0; k < count && start + k < nPlanes; k++) ifdOfPlane[start + k] = ifd + k;
    }
  }
  return {
    dimensionOrder,
    sizeX,
    sizeY,
    sizeZ,
    sizeC,
    sizeT,
    type: pixels.Type === undefined ? null : String(pixels.Type),
    samplesPerPixel,
    channelNames,
    physicalSizeX: physical(pixels, 'X'),
    physicalSizeY: physical(pixels, 'Y'),
    physicalSizeZ: physical(pixels, 'Z'),
    ifdOfPlane,
    planeChannels,
  };
}

/** True when an ImageDescription looks like OME-XML (cheap test before parsing). */
export function isOmeXml(description: string | null): boolean {
  if (!description) return false;
  const head = description.slice(0, 4096);
  return /<\s*(?:\w+:)?OME[\s>]/.test(head);
}
