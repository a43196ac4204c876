/**
 * Peak memory of one run, estimated before any pixel is read: from the image's declared size (TIFF/OME header:
 * T, Z, C, Y, X and the sample type) and the config (channels read, `crop_for_testing`, z-projection,
 * segmentation methods). Used to refuse a run that cannot fit (`runtime_config.max_memory_gb`, issue 15.2) and
 * to bound `cellcoloc batch --jobs` so that N workers fit the available memory (issue 14.6).
 *
 * Model (bytes; V = voxels of one channel of the loaded stack after `crop_for_testing`, P = Y·X):
 *
 *     peak = RUNTIME + V · (Σ channels' bytes per sample + PER_SEGMENTED · n_segmented + PER_LABEL · n_label_volumes)
 *            + PROJECTION · V_projected + ROI · P + Cellpose terms
 *
 * - RUNTIME: a Node process with the CLI's modules loaded: 120 MiB (the 512² two-channel demo run peaks at
 *   ≈ 100–110 MiB RSS, of which ≈ 5 MiB are its own voxels; the bundle grows as commands are added, hence the margin).
 * - Per segmented channel: 4 B/voxel — a float32 prefiltered copy, the threshold mask and the labelling scratch
 *   are not all alive at once (the inventory would say ≈ 13 B; the measured slope is ≈ 20 B/voxel for a whole
 *   two-channel run, so the per-term coefficients are fitted to the measurements, not to the inventory).
 * - Per label volume (cell, marker, positive, third channel): 4 B/voxel, the uint32 labels (their TIFF encoding
 *   is written plane by plane).
 * - Cellpose (per Cellpose channel): flows and cell probability in float32 (3 + 1 floats per voxel, 3D: 4 + 1),
 *   the network's tiles and ONNX Runtime's arena (a fixed ≈ 600 MiB on CPU, measured for the cyto3-size network).
 *
 * The coefficients are calibrated against `npm run bench` (2D 2048² two-channel uint16: 185 MiB measured,
 * estimate 236 MiB; 3D 40×512²: 307–312 MiB measured, estimate 362 MiB; 512² demo: 100–110 MiB, estimate 127 MiB) and deliberately round up: an estimate is used to
 * keep workers from being killed, so erring high costs parallelism, erring low costs a crashed sample.
 */
import type { AnalysisConfig, ModelConfig } from '../config/types.js';
import type { StackDtype } from '../io/image-stack.js';
import { openImageStack } from '../io/image-stack.js';
import { planAnalysisWindow } from './analysis-window.js';
import { windowZCrop } from './z-stack.js';

const MiB = 1024 * 1024;
/** Node + the CLI's modules + one small image's bookkeeping (bytes). */
export const RUNTIME_BYTES = 120 * MiB;
/** Per voxel and segmented channel (bytes): float32 copy + mask + labels + labelling scratch. */
const PER_SEGMENTED_VOXEL = 4;
/** Per voxel and exported label volume (bytes): uint32 labels + their encoded TIFF until the atomic write. */
const PER_LABEL_VOXEL = 4;
/** Per voxel of a z-projected view (float32) per channel. */
const PER_PROJECTED_VOXEL = 4;
/** Per ROI-label pixel (uint32 labels + index). */
const PER_ROI_PIXEL = 5;
/** ONNX Runtime session, network tiles and arena per Cellpose model on CPU (bytes). */
const CELLPOSE_FIXED_BYTES = 600 * MiB;

const BYTES_PER_SAMPLE: Record<StackDtype, number> = { uint8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4 };

/** The image as its header declares it (no pixels read). */
export interface DeclaredImage {
  /** T, Z, C, Y, X of the stored image (stacked single-channel files: C = number of files). */
  shapeTzcyx: readonly [number, number, number, number, number];
  dtype: StackDtype;
}

export interface MemoryEstimate {
  /** Estimated peak resident memory of one run of this config on this image (bytes). */
  peakBytes: number;
  /** The same in MiB, rounded up. */
  peakMiB: number;
  /** Voxels of one channel as loaded (after `crop_for_testing`). */
  voxels: number;
  /** Where the bytes go (MiB, rounded up), for messages and the batch manifest. */
  breakdown: { runtime: number; channels: number; segmentation: number; labels: number; projection: number; rois: number; cellpose: number };
  /** Channels read, segmented channels, Cellpose channels. */
  counts: { channelsRead: number; segmented: number; labelVolumes: number; cellpose: number };
}

function modelConfigs(config: AnalysisConfig): ModelConfig[] {
  if (config.singleChannel) return [config.singleChannel.modelConfig];
  return [config.cellModelConfig, config.markerModelConfig, ...(config.optionalRegionModelConfig ? [config.optionalRegionModelConfig] : [])];
}

/**
 * Estimated peak memory of running `config` on an image of the declared size (pure; no file is opened).
 * `window`: the analysis window a region read will analyse (`[[z0, z1], [y0, y1], [x0, x1]]`, analysis-window.ts):
 * then every term follows the window, not the image — channels, segmentation, labels (the frame-sized mask TIFFs
 * are streamed from the window) and the ROI raster are window-sized.
 */
export function estimatePeakMemory(image: DeclaredImage, config: AnalysisConfig, window?: readonly (readonly [number, number])[] | null): MemoryEstimate {
  const [, sizeZ, , sizeY, sizeX] = image.shapeTzcyx;
  const crop = config.runtimeConfig.cropForTesting;
  const extent = (a: number, full: number) =>
    window ? window[a][1] - window[a][0] : crop ? Math.max(0, Math.min(full, crop[a][1]) - Math.max(0, crop[a][0])) : full;
  const Z = extent(0, sizeZ), Y = extent(1, sizeY), X = extent(2, sizeX);
  const V = Z * Y * X;
  const bps = BYTES_PER_SAMPLE[image.dtype] ?? 4;
  const models = modelConfigs(config);
  let channelsRead: number;
  let labelVolumes: number;
  if (config.singleChannel) {
    channelsRead = 1;
    labelVolumes = 1;
  } else {
    const cc = config.channelConfig;
    channelsRead = new Set([cc.cellChannel, cc.markerChannel, ...(cc.optionalRegionChannel !== null ? [cc.optionalRegionChannel] : [])]).size;
    labelVolumes = 3 + (config.optionalRegionModelConfig ? 1 : 0);
  }
  const projected = models.some((m) => m.zProjection !== null) && Z > 1;
  const cellpose = models.filter((m) => m.segmentationMethod === 'cellpose');
  const flowFloats = Z > 1 ? 5 : 4;
  const parts = {
    runtime: RUNTIME_BYTES,
    channels: V * bps * channelsRead,
    segmentation: V * PER_SEGMENTED_VOXEL * models.length,
    labels: V * PER_LABEL_VOXEL * labelVolumes,
    projection: projected ? Y * X * PER_PROJECTED_VOXEL * channelsRead : 0,
    rois: Y * X * PER_ROI_PIXEL,
    cellpose: cellpose.length === 0 ? 0 : CELLPOSE_FIXED_BYTES + cellpose.length * V * flowFloats * 4,
  };
  const peakBytes = Object.values(parts).reduce((a, b) => a + b, 0);
  const mib = (b: number) => Math.ceil(b / MiB);
  return {
    peakBytes,
    peakMiB: mib(peakBytes),
    voxels: V,
    breakdown: {
      runtime: mib(parts.runtime),
      channels: mib(parts.channels),
      segmentation: mib(parts.segmentation),
      labels: mib(parts.labels),
      projection: mib(parts.projection),
      rois: mib(parts.rois),
      cellpose: mib(parts.cellpose),
    },
    counts: { channelsRead, segmented: models.length, labelVolumes, cellpose: cellpose.length },
  };
}

/**
 * The config's image header(s) read (metadata only, no pixels), then `estimatePeakMemory` — for the analysis
 * window where `cellcoloc run` and batch samples will read only that (formats that read by region, drawn ROIs or a
 * z-crop: analysis-window.ts), so that a small ROI on a huge store is not refused for the store's size.
 */
export async function estimatePeakMemoryForConfig(config: AnalysisConfig): Promise<MemoryEstimate & { image: DeclaredImage; window: CropZyx | null }> {
  const stack = await openImageStack(config.image, { resolutionLevel: config.resolutionLevel });
  const image: DeclaredImage = { shapeTzcyx: stack.rawShapeTzcyx, dtype: stack.dtype };
  const window = stack.readRegion ? await plannedWindow(config, image) : null;
  return { ...estimatePeakMemory(image, config, window), image, window };
}

type CropZyx = [[number, number], [number, number], [number, number]];

/** The window the run will read, in voxels of the frame (the image, or `crop_for_testing`'s crop); null = all of it. */
async function plannedWindow(config: AnalysisConfig, image: DeclaredImage): Promise<CropZyx | null> {
  const [, Z, , Y, X] = image.shapeTzcyx;
  const crop = config.runtimeConfig.cropForTesting;
  const frame: [number, number, number] = crop ? [crop[0][1] - crop[0][0], crop[1][1] - crop[1][0], crop[2][1] - crop[2][0]] : [Z, Y, X];
  try {
    const w = await planAnalysisWindow(config, frame, windowZCrop(config, frame[0]));
    return w ? w.region : null;
  } catch {
    return null; // a bad ROI or z-crop: the run reports it; estimate the whole frame meanwhile
  }
}
