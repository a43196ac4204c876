/**
 * `loadAnalysisImages` (spec 3): open the image, pick the cell / marker (/ optional-region) channels at
 * one time point, apply `crop_for_testing`, resolve the voxel size.
 */
import { inputError, valueError } from '../core/errors.js';
import type { Volume, VoxelData } from '../core/volume.js';
import type { ChannelConfig, ZProjectionMethod } from '../config/types.js';
import { openImageStack, resolveVoxelScale, type ImageStack } from '../io/image-stack.js';
import { windowManifestEntry, type AnalysisWindow } from './analysis-window.js';

/** What the z handling did, for the pipeline (mask export) and the manifest. */
export interface ZStackInfo {
  /** Number of planes of the loaded stack (after `crop_for_testing`). */
  fullZ: number;
  /** The normalised common crop in planes of the loaded stack, or null. */
  zCrop: [number, number] | null;
  zProjection: ZProjectionMethod | null;
  /** Plane index (of the loaded stack) when a one-plane crop is analysed as 2D, else null. */
  singlePlane: number | null;
  /** The loaded stack's voxel size in µm, z included (the projected view itself uses z = 1.0, Q24). */
  trueVoxelSizeUm: [number, number, number];
}

export type CropZyx = [[number, number], [number, number], [number, number]];

/** The fields every loaded image has, whatever its channels: where it came from, its geometry and how it was read. */
export interface LoadedStackFields {
  /** Absolute input path(s): one OME/ImageJ/plain TIFF or OME-Zarr, or single-channel files stacked as channels. */
  sourcePaths: string[];
  voxelSizeUm: [number, number, number];
  /** Where the voxel size came from (fix Q21: a fallback is never silent). */
  voxelSizeSource: 'config' | 'metadata' | 'fallback';
  /** Warnings for stderr and the manifest (voxel-size fallbacks, …). */
  warnings: string[];
  /** Shape of the stored image before channel selection and crop, as TZCYX. */
  rawShapeTzcyx: [number, number, number, number, number];
  rawZSize: number;
  /** Informational only (Q27): decisions use `shape[0]` of the analysed arrays. */
  is3d: boolean;
  dtype: string;
  channelNames: string[];
  timePoint: number;
  cropForTesting: CropZyx | null;
  /** z range of the analysis (the z-crop, spec 12.1, in planes of the loaded stack); null = all planes. */
  analysisZBounds: [number, number] | null;
  /** spec 12.2: set on a projected `(1, Y, X)` view (see `z-stack.ts`); absent/null = not projected (the tables then ignore the z bounds). */
  zProjectionMethod?: ZProjectionMethod | null;
  /** What the z handling did (crop, projection, one-plane view, true voxel size); absent/null = none. */
  zStack?: ZStackInfo | null;
  /** How the pixels were read (OME-Zarr: level, chunks and bytes read), for the manifest; absent for TIFF. */
  imageRead?: ImageReadInfo | null;
  /**
   * Set when only a window of the frame was read and is analysed (ROIs' union box × z-crop, OME-Zarr; see
   * analysis-window.ts): the channel arrays hold the window, results are translated back to the frame.
   */
  analysisWindow?: AnalysisWindow | null;
}

/** The two-channel workflow's load (spec 3.1): cell, marker and optional third channel, ZYX, cropped. */
export interface LoadedImageChannels extends LoadedStackFields {
  cellImage: Volume;
  markerImage: Volume;
  optionalRegionImage: Volume | null;
}

/** OME-Zarr reads, for the manifest: the level analysed and what was fetched from the store. */
export interface ImageReadInfo {
  format: string;
  resolutionLevel: number;
  chunksRead: number;
  bytesRead: number;
  /** The analysis window read (frame voxels), when only a window was read. */
  window?: Record<string, unknown>;
}

export interface LoadAnalysisImagesOptions {
  cropForTesting?: CropZyx | null;
  /** Time point (fix Q19: never silently turned into z). */
  t?: number;
  /** OME-Zarr: the resolution level to read (0 = full resolution). */
  resolutionLevel?: number;
  /**
   * Decides the analysis window from the frame's `[Z, Y, X]` (after `crop_for_testing`) before any pixel is read;
   * only asked where the format reads by region (OME-Zarr). Absent / null answer = the whole frame.
   */
  planWindow?: (frameShape: [number, number, number]) => Promise<AnalysisWindow | null>;
  /** Called with the opened stack before its pixels are read (the viewer reports read progress from `readStats`). */
  onStackOpened?: (stack: ImageStack) => void;
}

export async function loadAnalysisImages(
  source: string | string[],
  channelConfig: ChannelConfig,
  voxelScaleZyx: readonly number[] | null,
  options: LoadAnalysisImagesOptions = {},
): Promise<LoadedImageChannels> {
  const stack = await openImageStack(source, { resolutionLevel: options.resolutionLevel });
  options.onStackOpened?.(stack);
  const sizeC = stack.rawShapeTzcyx[2];
  const where = stack.sourcePaths.length === 1 ? stack.sourcePaths[0] : stack.sourcePaths.join(', ');
  const checkChannel = (key: string, c: number) => {
    if (!Number.isInteger(c) || c < 0 || c >= sizeC) {
      throw inputError(
        `channel_config.${key}: expected an index < ${sizeC} (${where} has ${sizeC} channel${sizeC === 1 ? '' : 's'}), got ${c}`,
      );
    }
  };
  checkChannel('cell_channel', channelConfig.cellChannel);
  checkChannel('marker_channel', channelConfig.markerChannel);
  if (channelConfig.optionalRegionChannel !== null) checkChannel('optional_region_channel', channelConfig.optionalRegionChannel);
  const { t, crop, window, region } = await planStackRead(stack, options);
  const read = (c: number) => readChannelCropped(stack, c, t, region);
  // Distinct channels are read once even when cell and marker share an index.
  const cache = new Map<number, Promise<Volume>>();
  const get = (c: number) => {
    let p = cache.get(c);
    if (!p) cache.set(c, (p = read(c)));
    return p;
  };
  const [cellImage, markerImage, optionalRegionImage] = await Promise.all([
    get(channelConfig.cellChannel),
    get(channelConfig.markerChannel),
    channelConfig.optionalRegionChannel === null ? Promise.resolve(null) : get(channelConfig.optionalRegionChannel),
  ]);
  // 2D or 3D is the frame's (a one-plane window of a stack keeps the stack's z spacing, as the full read does).
  const is3d = (window ? window.frameShape[0] : cellImage.shape[0]) > 1;
  const voxel = resolveVoxelScale(voxelScaleZyx, stack.physicalSize, is3d);
  return { ...loadedStackMetadata(stack, { t, crop, window }, voxel, options.resolutionLevel ?? 0), cellImage, markerImage, optionalRegionImage };
}

/** What a loader decides before reading any pixel: the time point, `crop_for_testing`, the analysis window and so the region to read. */
export interface StackReadPlan {
  t: number;
  crop: CropZyx | null;
  window: AnalysisWindow | null;
  /** Region of the stored stack to read (the window shifted to the crop's corner, or the crop); null = all. */
  region: CropZyx | null;
}

/**
 * The checks and decisions both workflows' loaders share (spec 3.4): the time point (fix Q19: one clear error,
 * never silently z), the crop, and — where the format reads by region — the analysis window, planned on the
 * frame (the stack after `crop_for_testing`) before any pixel is read.
 */
export async function planStackRead(stack: ImageStack, options: Pick<LoadAnalysisImagesOptions, 'cropForTesting' | 't' | 'planWindow'>): Promise<StackReadPlan> {
  const [sizeT, Z, , Y, X] = stack.rawShapeTzcyx;
  const where = stack.sourcePaths.length === 1 ? stack.sourcePaths[0] : stack.sourcePaths.join(', ');
  const t = options.t ?? 0;
  if (!Number.isInteger(t) || t < 0 || t >= sizeT) {
    throw inputError(`runtime_config.t: expected a time point < ${sizeT} (${where} has ${sizeT} time point${sizeT === 1 ? '' : 's'}), got ${t}`);
  }
  const crop = options.cropForTesting ?? null;
  let window: AnalysisWindow | null = null;
  if (options.planWindow && stack.readRegion) {
    if (crop) checkCrop([Z, Y, X], crop);
    const frame: [number, number, number] = crop ? [crop[0][1] - crop[0][0], crop[1][1] - crop[1][0], crop[2][1] - crop[2][0]] : [Z, Y, X];
    window = await options.planWindow(frame);
  }
  // The window is in frame voxels; the frame starts at the crop's corner.
  const region: CropZyx | null = window
    ? (window.region.map(([a, b], i) => [a + (crop ? crop[i][0] : 0), b + (crop ? crop[i][0] : 0)]) as CropZyx)
    : crop;
  return { t, crop, window, region };
}

/** The fields of a loaded image that come from the stack, the read plan and the voxel size (both workflows). */
export function loadedStackMetadata(
  stack: ImageStack,
  plan: Pick<StackReadPlan, 't' | 'crop' | 'window'>,
  voxel: ReturnType<typeof resolveVoxelScale>,
  resolutionLevel: number,
) {
  const sizeZ = stack.rawShapeTzcyx[1];
  return {
    sourcePaths: stack.sourcePaths,
    voxelSizeUm: voxel.voxelSizeUm,
    voxelSizeSource: voxel.source,
    warnings: voxel.warnings,
    rawShapeTzcyx: stack.rawShapeTzcyx,
    rawZSize: sizeZ,
    is3d: sizeZ > 1,
    dtype: stack.dtype,
    channelNames: stack.channelNames,
    timePoint: plan.t,
    cropForTesting: plan.crop,
    analysisZBounds: null,
    imageRead: withWindow(imageReadInfo(stack, resolutionLevel), plan.window),
    analysisWindow: plan.window,
  };
}

function withWindow(info: ImageReadInfo | null, window: AnalysisWindow | null): ImageReadInfo | null {
  return info && window ? { ...info, window: windowManifestEntry(window) } : info;
}

/**
 * Channel c at time t, cropped to `crop_for_testing`: formats that read by region (OME-Zarr) fetch only the
 * chunks the crop touches; TIFF reads the planes and crops them. The crop is validated against the stored
 * size first, with the same message either way.
 */
export async function readChannelCropped(stack: ImageStack, c: number, t: number, crop: CropZyx | null): Promise<Volume> {
  if (crop && stack.readRegion) {
    const [, Z, , Y, X] = stack.rawShapeTzcyx;
    checkCrop([Z, Y, X], crop);
    return stack.readRegion(c, t, crop);
  }
  return applyCrop(await stack.readChannel(c, t), crop);
}

/** The manifest's record of region reads (null for formats that read whole planes). */
export function imageReadInfo(stack: ImageStack, resolutionLevel: number): ImageReadInfo | null {
  if (!stack.readStats) return null;
  const s = stack.readStats();
  return { format: stack.format, resolutionLevel, chunksRead: s.chunks, bytesRead: s.bytes };
}

/** Validates `crop_for_testing` against the `[Z, Y, X]` size of the stored image (fix Q22). */
export function checkCrop(sizes: readonly [number, number, number], crop: CropZyx): void {
  const axes = ['z', 'y', 'x'];
  for (let a = 0; a < 3; a++) {
    const [lo, hi] = crop[a];
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > sizes[a] || lo >= hi) {
      throw valueError(
        `runtime_config.crop_for_testing[${a}] (${axes[a]}): expected 0 <= start < stop <= ${sizes[a]}, got [${lo}, ${hi}]`,
      );
    }
  }
}

/** `crop_for_testing` as half-open `[[z0,z1],[y0,y1],[x0,x1]]`, validated against the image (fix Q22). */
export function applyCrop(volume: Volume, crop: CropZyx | null): Volume {
  if (!crop) return volume;
  const [Z, Y, X] = volume.shape;
  checkCrop([Z, Y, X], crop);
  const [[z0, z1], [y0, y1], [x0, x1]] = crop;
  const nz = z1 - z0, ny = y1 - y0, nx = x1 - x0;
  const Ctor = volume.data.constructor as new (n: number) => VoxelData;
  const out = new Ctor(nz * ny * nx);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const src = ((z + z0) * Y + (y + y0)) * X + x0;
      out.set(volume.data.subarray(src, src + nx) as never, (z * ny + y) * nx);
    }
  }
  return { data: out, shape: [nz, ny, nx] };
}
