/**
 * Public image loader (spec 3.1–3.4): an OME-TIFF, ImageJ TIFF, plain TIFF page stack, or a list of
 * single-channel files stacked as channels, exposed as TZCYX with per-(channel, time point) ZYX reads.
 *
 * Fix Q19: Y/X are never squeezed and T is never turned into Z — the caller picks `t` explicitly.
 * Fix Q21: voxel-size fallbacks are never silent (warnings), Greek μ (U+03BC), `cm` and Å are accepted.
 */
import { totalmem } from 'node:os';
import { basename, resolve } from 'node:path';
import { inputError, valueError } from '../core/errors.js';
import type { Volume, VoxelData } from '../core/volume.js';
import { openTiff, pageDtype, arrayForDtype, type TiffReader, type TiffPage, type TiffDtype } from './tiff-reader.js';
import { DTYPE_BYTES } from './tiff-page.js';
import type { RowBandSink } from './tiff-rows.js';
import { isOmeXml, parseOmeXml, planeIndex, OmeXmlError, type OmePhysicalSize } from './ome-xml.js';
import { isZarrPath } from './zarr/zarr-path.js';
import { isImageJDescription, parseImageJDescription, imageJPageIndex } from './imagej.js';

export interface PhysicalSizeInfo {
  /** From metadata, µm, `[z, y, x]`; null = unknown. */
  zyxUm: [number | null, number | null, number | null];
  warnings: string[];
  /**
   * Per-axis reason (`[z, y, x]`) why a size present in the metadata could not be used (unknown unit,
   * ≤ 0, not a number); null when the axis is fine or simply absent. Lets `resolveVoxelScale` drop the
   * z warning of 2D data. Added to the agreed interface; optional.
   */
  axisWarnings?: [string | null, string | null, string | null];
}

export type StackDtype = 'uint8' | 'uint16' | 'uint32' | 'int16' | 'int32' | 'float32';

export interface ImageStack {
  /** Absolute paths. */
  sourcePaths: string[];
  /** `'stacked'` = list of single-channel files, file i = channel i. */
  format: 'ome' | 'imagej' | 'plain' | 'stacked' | 'ome-zarr';
  dtype: StackDtype;
  rawShapeTzcyx: [number, number, number, number, number];
  /** '' when unknown. */
  channelNames: string[];
  physicalSize: PhysicalSizeInfo;
  /** Reads channel c (0-based) at time point t as a ZYX Volume in the stored dtype. */
  readChannel(c: number, t: number): Promise<Volume>;
  /**
   * Reads only a region `[[z0, z1], [y0, y1], [x0, x1]]` (half-open, stored voxels) of channel c at time t;
   * present where the format can read by region without the whole plane (OME-Zarr: only the chunks touched).
   */
  readRegion?(c: number, t: number, region: [[number, number], [number, number], [number, number]]): Promise<Volume>;
  /**
   * Streams plane z of channel c at time t to `sink` in row bands, holding one band, never the plane (io/tiff-rows.ts):
   * true when every row was delivered, false when the sink stopped it, null (nothing read) where the file's layout
   * cannot be streamed (then `readChannel`). TIFF only.
   */
  streamPlaneRows?(c: number, t: number, z: number, sink: RowBandSink): Promise<boolean | null>;
  /** Chunks and bytes read so far (OME-Zarr), for the manifest. */
  readStats?(): { chunks: number; bytes: number };
}

export interface OpenImageStackOptions {
  /** OME-Zarr: which resolution level (0 = full resolution). Ignored for TIFF. */
  resolutionLevel?: number;
}

/** z planes of one channel read concurrently. */
const PLANES_IN_FLIGHT = 4;

const STACK_DTYPES = new Set<TiffDtype>(['uint8', 'uint16', 'uint32', 'int16', 'int32', 'float32']);

/** Where a (c, z, t) plane lives: IFD and sample within the IFD. */
interface PlaneRef {
  page: number;
  sample: number;
}

interface SingleFile {
  path: string;
  format: 'ome' | 'imagej' | 'plain';
  dtype: StackDtype;
  shape: [number, number, number, number, number];
  channelNames: string[];
  physicalSize: PhysicalSizeInfo;
  /** page −1 = not mapped by the metadata. */
  planeOf(c: number, z: number, t: number): PlaneRef;
}

import { unitToMicrometres } from './units.js';
export { unitToMicrometres };

const AXES = ['z', 'y', 'x'] as const;

/** Converts one stored size (value in `unit`) to µm, or gives the reason it cannot be used. */
function toUm(label: string, value: number | null, rawValue: string | null, unit: string): { um: number | null; why: string | null } {
  if (value === null) {
    return { um: null, why: rawValue === null ? null : `${label}="${rawValue}" is not a number` };
  }
  if (!(value > 0) || !Number.isFinite(value)) return { um: null, why: `${label}=${value} is not > 0` };
  const f = unitToMicrometres(unit);
  if (f === null) return { um: null, why: `${label} unit "${unit}" is not a known length unit` };
  return { um: value * f, why: null };
}

function physicalInfo(path: string, parts: [ReturnType<typeof toUm>, ReturnType<typeof toUm>, ReturnType<typeof toUm>]): PhysicalSizeInfo {
  const axisWarnings = parts.map((p) => (p.why === null ? null : `${path}: ${p.why}`)) as [string | null, string | null, string | null];
  return {
    zyxUm: [parts[0].um, parts[1].um, parts[2].um],
    warnings: axisWarnings.filter((w): w is string => w !== null),
    axisWarnings,
  };
}

function omeSize(label: string, p: OmePhysicalSize) {
  return toUm(label, p.value, p.rawValue, p.unit);
}

function checkDtype(path: string, page: TiffPage): StackDtype {
  const d = pageDtype(page);
  if (d === null || !STACK_DTYPES.has(d)) {
    const what = d ?? `${page.bitsPerSample}-bit SampleFormat ${page.sampleFormat}`;
    throw inputError(`${path}: unsupported sample type ${what}; expected uint8, uint16, uint32, int16, int32 or float32`);
  }
  return d as StackDtype;
}

async function openSingle(path: string): Promise<SingleFile> {
  const tiff = await openTiff(path);
  try {
    const [desc, page0] = await Promise.all([tiff.imageDescription(0), tiff.page(0)]);
    const dtype = checkDtype(path, page0);
    const spp = page0.samplesPerPixel;
    if (isOmeXml(desc)) {
      let ome;
      try {
        ome = parseOmeXml(desc!, basename(path), tiff.pageCount);
      } catch (e) {
        if (e instanceof OmeXmlError) throw inputError(`${path}: OME-XML: ${e.message}`, e);
        throw e;
      }
      if (ome.sizeX !== page0.width || ome.sizeY !== page0.height) {
        throw inputError(
          `${path}: OME-XML SizeY × SizeX = ${ome.sizeY} × ${ome.sizeX} but the first page is ${page0.height} × ${page0.width} pixels`,
        );
      }
      if (ome.samplesPerPixel !== spp) {
        throw inputError(
          `${path}: OME-XML Channel SamplesPerPixel=${ome.samplesPerPixel} but the first page has SamplesPerPixel=${spp}`,
        );
      }
      const sizes = { z: ome.sizeZ, c: ome.planeChannels, t: ome.sizeT };
      const names = Array.from({ length: ome.sizeC }, (_, c) =>
        ome.channelNames.length === ome.sizeC
          ? ome.channelNames[c]
          : ome.channelNames.length === ome.planeChannels
            ? ome.channelNames[Math.floor(c / spp)]
            : '',
      );
      return {
        path,
        format: 'ome',
        dtype,
        shape: [ome.sizeT, ome.sizeZ, ome.sizeC, ome.sizeY, ome.sizeX],
        channelNames: names,
        physicalSize: physicalInfo(path, [
          omeSize('PhysicalSizeZ', ome.physicalSizeZ),
          omeSize('PhysicalSizeY', ome.physicalSizeY),
          omeSize('PhysicalSizeX', ome.physicalSizeX),
        ]),
        planeOf: (c, z, t) => ({
          page: ome.ifdOfPlane[planeIndex(ome.dimensionOrder, sizes, z, Math.floor(c / spp), t)],
          sample: c % spp,
        }),
      };
    }
    if (isImageJDescription(desc)) {
      const ij = parseImageJDescription(desc!, tiff.pageCount);
      const planes = ij.channels * ij.slices * ij.frames;
      if (planes > tiff.pageCount) {
        // ImageJ writes one IFD for >4 GiB stacks (raw planes follow the first); not supported here.
        throw inputError(
          `${path}: ImageJ description declares ${planes} planes (channels=${ij.channels}, slices=${ij.slices}, frames=${ij.frames}) ` +
            `but the file has ${tiff.pageCount} pages`,
        );
      }
      const unit = ij.unit;
      const unitUsable = unit !== null && unitToMicrometres(unit) !== null;
      const why = (label: string) =>
        unit === null ? null : unitUsable ? null : `${label} unit "${unit}" is not a known length unit`;
      // XResolution/YResolution are pixels per unit → pixel size = 1 / resolution (in `unit`).
      const size = (label: string, perUnit: number | null) =>
        unit === null || perUnit === null
          ? { um: null, why: null }
          : unitUsable
            ? { um: (1 / perUnit) * unitToMicrometres(unit)!, why: null }
            : { um: null, why: why(label) };
      const zs = unit === null || ij.spacing === null ? { um: null, why: null } : unitUsable ? { um: ij.spacing * unitToMicrometres(unit)!, why: null } : { um: null, why: why('spacing') };
      return {
        path,
        format: 'imagej',
        dtype,
        shape: [ij.frames, ij.slices, ij.channels * spp, page0.height, page0.width],
        channelNames: new Array<string>(ij.channels * spp).fill(''),
        physicalSize: physicalInfo(path, [zs, size('YResolution', page0.yResolution), size('XResolution', page0.xResolution)]),
        planeOf: (c, z, t) => ({ page: imageJPageIndex(ij, Math.floor(c / spp), z, t), sample: c % spp }),
      };
    }
    // Plain TIFF: every page is a z plane; interleaved/planar samples are channels. The TIFF resolution tags
    // are not used (commonly a meaningless 72 dpi); physical size is unknown.
    return {
      path,
      format: 'plain',
      dtype,
      shape: [1, tiff.pageCount, spp, page0.height, page0.width],
      channelNames: new Array<string>(spp).fill(''),
      physicalSize: { zyxUm: [null, null, null], warnings: [], axisWarnings: [null, null, null] },
      planeOf: (c, z) => ({ page: z, sample: c }),
    };
  } finally {
    await tiff.close();
  }
}

/** Like Promise.all, but waits for every task before rethrowing the first error (no I/O after close). */
async function settleAll(tasks: Promise<void>[]): Promise<void> {
  const r = await Promise.allSettled(tasks);
  const bad = r.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (bad) throw bad.reason;
}

async function readSingleChannel(f: SingleFile, c: number, t: number): Promise<Volume> {
  const [T, Z, C, Y, X] = f.shape;
  if (!Number.isInteger(c) || c < 0 || c >= C) {
    throw inputError(`${f.path}: channel ${c} requested but the image has ${C} channel${C === 1 ? '' : 's'} (SizeC=${C})`);
  }
  if (!Number.isInteger(t) || t < 0 || t >= T) {
    throw inputError(`${f.path}: time point t=${t} requested but the image has SizeT=${T}`);
  }
  const plane = Y * X;
  const tiff: TiffReader = await openTiff(f.path);
  // One plane stored as one strip: its decoded buffer is the channel (no output array, no copy).
  const owned = Z === 1 ? await readOwnedPlane(f, tiff, c, t).catch(async (e) => {
    await tiff.close();
    throw e;
  }) : null;
  if (owned) {
    await tiff.close();
    return { data: owned, shape: [Z, Y, X] };
  }
  const out = allocateChannel(f, Z, Y, X);
  const readPlane = async (z: number) => {
    const ref = await checkedPlane(f, tiff, c, z, t);
    await tiff.readSample(ref.page, ref.sample, out, z * plane);
  };
  try {
    // A few planes in flight at once: small single-strip pages of a z-stack then also decode in parallel.
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (next < Z && !failed) {
        try {
          await readPlane(next++);
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    };
    await settleAll(Array.from({ length: Math.min(PLANES_IN_FLIGHT, Z) }, worker));
  } finally {
    await tiff.close();
  }
  return { data: out, shape: [Z, Y, X] };
}

/** Where plane (c, z, t) lives, checked: mapped to a page of the file, of page 0's size and dtype. */
async function checkedPlane(f: SingleFile, tiff: TiffReader, c: number, z: number, t: number): Promise<PlaneRef> {
  const [, , , Y, X] = f.shape;
  const ref = f.planeOf(c, z, t);
  if (ref.page < 0) {
    throw inputError(`${f.path}: OME-XML TiffData maps no IFD to plane (z=${z}, c=${c}, t=${t})`);
  }
  if (ref.page >= tiff.pageCount) {
    throw inputError(
      `${f.path}: plane (z=${z}, c=${c}, t=${t}) is IFD ${ref.page} but the file has ${tiff.pageCount} page${tiff.pageCount === 1 ? '' : 's'}`,
    );
  }
  const page = await tiff.page(ref.page);
  if (page.width !== X || page.height !== Y || pageDtype(page) !== f.dtype || ref.sample >= page.samplesPerPixel) {
    throw inputError(
      `${f.path}: page ${ref.page} is ${page.height} × ${page.width} ${pageDtype(page) ?? '?'} with ${page.samplesPerPixel} sample(s), ` +
        `expected ${Y} × ${X} ${f.dtype} like page 0`,
    );
  }
  return ref;
}

/** `ImageStack.streamPlaneRows` of one file: plane z of channel c at time t, in row bands (tiff-rows.ts). */
async function streamSinglePlane(f: SingleFile, c: number, t: number, z: number, sink: RowBandSink): Promise<boolean | null> {
  const [T, Z, C] = f.shape;
  if (!Number.isInteger(c) || c < 0 || c >= C) throw inputError(`${f.path}: channel ${c} requested but the image has ${C} channel${C === 1 ? '' : 's'} (SizeC=${C})`);
  if (!Number.isInteger(t) || t < 0 || t >= T) throw inputError(`${f.path}: time point t=${t} requested but the image has SizeT=${T}`);
  if (!Number.isInteger(z) || z < 0 || z >= Z) throw inputError(`${f.path}: plane z=${z} requested but the image has SizeZ=${Z}`);
  const tiff = await openTiff(f.path);
  try {
    const ref = await checkedPlane(f, tiff, c, z, t);
    return await tiff.streamSampleRows(ref.page, ref.sample, sink);
  } finally {
    await tiff.close();
  }
}

/**
 * The channel's output array, refused with one line naming the file and the size when it cannot fit in this
 * machine's physical memory (the run-level estimate with its configurable limit is in pipeline/memory-estimate;
 * this is the reader's own floor, so no caller ever sees "Invalid typed array length").
 */
function allocateChannel(f: SingleFile, Z: number, Y: number, X: number): VoxelData {
  const bytes = Z * Y * X * DTYPE_BYTES[f.dtype];
  const what = `${Z} × ${Y} × ${X} ${f.dtype}`;
  const gib = (b: number) => (b / 2 ** 30).toFixed(1);
  if (bytes > totalmem()) {
    throw inputError(`${f.path}: one channel (${what}) needs ${gib(bytes)} GiB but this machine has ${gib(totalmem())} GiB of memory`);
  }
  try {
    return arrayForDtype(f.dtype, Z * Y * X);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw inputError(`${f.path}: cannot allocate ${gib(bytes)} GiB for one channel (${what}): ${e.message}`, e);
  }
}

/** The zero-copy read of plane (c, z = 0, t) when its page is as expected and one strip; else null (regular path). */
async function readOwnedPlane(f: SingleFile, tiff: TiffReader, c: number, t: number): Promise<VoxelData | null> {
  const [, , , Y, X] = f.shape;
  const ref = f.planeOf(c, 0, t);
  if (ref.page < 0 || ref.page >= tiff.pageCount) return null;
  const page = await tiff.page(ref.page);
  if (page.width !== X || page.height !== Y || pageDtype(page) !== f.dtype || ref.sample >= page.samplesPerPixel) return null;
  const data = await tiff.readSampleOwned(ref.page, ref.sample);
  return data && data.length === Y * X ? data : null;
}

/**
 * Opens one TIFF (OME-TIFF / ImageJ / plain) or a list of single-channel TIFFs stacked as channels.
 * Reads metadata only; pixels are read per channel by `readChannel`.
 * @throws InputError for missing, non-TIFF, corrupt or inconsistent inputs (one line naming the file).
 */
export async function openImageStack(paths: string | string[], options: OpenImageStackOptions = {}): Promise<ImageStack> {
  const list = typeof paths === 'string' ? [paths] : paths;
  if (list.length === 0) throw valueError('openImageStack: expected a path or a non-empty list of paths, got []');
  const abs = list.map((p) => resolve(p));
  if (abs.length === 1 && (await isZarrPath(abs[0]))) return openZarrStack(abs[0], options.resolutionLevel ?? 0);
  if (abs.length === 1) {
    const f = await openSingle(abs[0]);
    return {
      sourcePaths: [f.path],
      format: f.format,
      dtype: f.dtype,
      rawShapeTzcyx: [...f.shape],
      channelNames: f.channelNames,
      physicalSize: f.physicalSize,
      readChannel: (c, t) => readSingleChannel(f, c, t),
      streamPlaneRows: (c, t, z, sink) => streamSinglePlane(f, c, t, z, sink),
    };
  }
  const files = await Promise.all(abs.map(openSingle));
  const first = files[0];
  const describe = (f: SingleFile) => `TZCYX (${f.shape.join(', ')}) ${f.dtype}`;
  for (const f of files) {
    if (f.shape[2] !== 1) {
      throw inputError(`${f.path}: stacked channel files must each hold one channel, got ${describe(f)}`);
    }
  }
  for (const f of files.slice(1)) {
    const same =
      f.shape[0] === first.shape[0] && f.shape[1] === first.shape[1] && f.shape[3] === first.shape[3] &&
      f.shape[4] === first.shape[4] && f.dtype === first.dtype;
    if (!same) {
      throw inputError(
        `stacked channel files differ: ${first.path} is ${describe(first)} but ${f.path} is ${describe(f)} (T, Z, Y, X and dtype must match)`,
      );
    }
  }
  const withSize = files.find((f) => f.physicalSize.zyxUm.some((v) => v !== null)) ?? first;
  return {
    sourcePaths: abs,
    format: 'stacked',
    dtype: first.dtype,
    rawShapeTzcyx: [first.shape[0], first.shape[1], files.length, first.shape[3], first.shape[4]],
    channelNames: files.map((f) => f.channelNames[0] ?? ''),
    physicalSize: withSize.physicalSize,
    readChannel: (c, t) => {
      if (!Number.isInteger(c) || c < 0 || c >= files.length) {
        return Promise.reject(
          inputError(`channel ${c} requested but ${files.length} stacked files were given (${abs.join(', ')})`),
        );
      }
      return readSingleChannel(files[c], 0, t);
    },
    streamPlaneRows: (c, t, z, sink) => {
      if (!Number.isInteger(c) || c < 0 || c >= files.length) {
        return Promise.reject(inputError(`channel ${c} requested but ${files.length} stacked files were given (${abs.join(', ')})`));
      }
      return streamSinglePlane(files[c], 0, t, z, sink);
    },
  };
}

/**
 * Voxel size in µm, `[z, y, x]` (spec 3.3 with fix Q21).
 * - `explicit` (config `voxel_scale_zyx`): 3 values as given; 2 values `(y, x)` → z = 1.0 for 2D data; for a
 *   3D stack z comes from the metadata when known, else 1.0 **with a warning**. Any other length, or a
 *   value that is not a finite number > 0 → ValueError.
 * - otherwise the metadata; an unknown/invalid axis falls back to 1.0 µm with a warning naming the axis and
 *   reason (z of 2D data: 1.0 silently — z spacing is irrelevant there). `source` is `'fallback'` when any
 *   warned fallback was used.
 */
export function resolveVoxelScale(
  explicit: readonly number[] | null,
  physical: PhysicalSizeInfo,
  is3d: boolean,
): { voxelSizeUm: [number, number, number]; source: 'config' | 'metadata' | 'fallback'; warnings: string[] } {
  if (explicit !== null && explicit !== undefined) {
    if (!Array.isArray(explicit) || (explicit.length !== 2 && explicit.length !== 3)) {
      throw valueError(
        `voxel_scale_zyx: expected 2 values (y, x) or 3 values (z, y, x) in µm, got ${JSON.stringify(explicit)}`,
      );
    }
    explicit.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
        throw valueError(`voxel_scale_zyx[${i}]: expected a finite number > 0 (µm), got ${String(v)}`);
      }
    });
    if (explicit.length === 3) {
      return { voxelSizeUm: [explicit[0], explicit[1], explicit[2]], source: 'config', warnings: [] };
    }
    const [y, x] = explicit;
    if (!is3d) return { voxelSizeUm: [1, y, x], source: 'config', warnings: [] };
    const mz = physical.zyxUm[0];
    if (mz !== null && Number.isFinite(mz) && mz > 0) {
      return { voxelSizeUm: [mz, y, x], source: 'config', warnings: [] };
    }
    return {
      voxelSizeUm: [1, y, x],
      source: 'config',
      warnings: [
        `voxel_scale_zyx gives only (y, x) = (${y}, ${x}) for a 3D stack and the image metadata has no usable z spacing; ` +
          `using z = 1.0 µm (give 3 values to set it)`,
      ],
    };
  }
  const out: [number, number, number] = [1, 1, 1];
  const warnings: string[] = [];
  const axisWhy = physical.axisWarnings;
  if (!axisWhy) warnings.push(...physical.warnings);
  let fellBack = false;
  for (let a = 0; a < 3; a++) {
    const v = physical.zyxUm[a];
    if (v !== null && Number.isFinite(v) && v > 0) {
      out[a] = v;
      continue;
    }
    if (a === 0 && !is3d) continue; // 2D: z spacing irrelevant, 1.0 without a warning
    fellBack = true;
    const why = axisWhy?.[a] ?? (v === null ? 'not in the image metadata' : `invalid value ${v}`);
    warnings.push(`voxel size ${AXES[a]}: ${why}; using the fallback 1.0 µm (set voxel_scale_zyx to override)`);
  }
  return { voxelSizeUm: out, source: fellBack ? 'fallback' : 'metadata', warnings };
}


/** An OME-Zarr image group (NGFF 0.4/0.5) as an ImageStack (see zarr/zarr-stack.ts). */
async function openZarrStack(path: string, level: number): Promise<ImageStack> {
  // zarrita, its codecs and the NGFF schemas are loaded only for a Zarr input (a separate chunk of the CLI bundle)
  const { openZarrImage } = await import('./zarr/zarr-stack.js');
  const img = await openZarrImage(path, level);
  const C = img.shapeTzcyx[2];
  const zyxUm = img.voxelUm;
  return {
    sourcePaths: [path],
    format: 'ome-zarr',
    dtype: img.dtype,
    rawShapeTzcyx: img.shapeTzcyx,
    channelNames: Array.from({ length: C }, (_, i) => img.ngff.channelLabels[i] ?? ''),
    physicalSize: {
      zyxUm: [zyxUm[0], zyxUm[1], zyxUm[2]],
      warnings: img.warnings,
    },
    readChannel: (c, t) => img.read(c, t, null),
    readRegion: (c, t, region) => img.read(c, t, region),
    readStats: () => img.stats(),
  };
}
