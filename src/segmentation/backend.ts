/**
 * Segmentation backends: what the per-ROI driver (`roi-driver.ts`, spec 4.1) calls on each prepared crop.
 * The threshold backends live here; Cellpose is added later as another implementation of the interface.
 */
import type { Box2, LabelVolume, Volume } from '../core/volume.js';
import type { LabelRuns } from '../core/label-runs.js';
import type { ModelConfig, SegmentationMethod } from '../config/types.js';
import { notSupported, valueError } from '../core/errors.js';
import { segmentThresholdChannel, isThresholdMethod } from './threshold-segmentation.js';
import type { DeclumpInfo } from './declump/declump.js';

export interface CropSegmentation {
  labels: LabelVolume;
  /** Optional: exact voxel count per id of `labels` (index 0 = background), so the size filter skips its scan. */
  labelCounts?: Float64Array;
  /** Optional: the runs of `labels` (`core/label-runs.ts`), so the size filter and the tables skip their scans. */
  labelRuns?: LabelRuns;
  /** diagnostics for the manifest */
  info: {
    method: SegmentationMethod;
    threshold: number | null;
    nValues: number;
    valuesMin?: number;
    valuesMax?: number;
    /** Largest label id of `labels` (the per-ROI driver's running offset; ids need not be contiguous). */
    nLabelsRaw: number;
    /** Cellpose backend only: model, niter, thresholds, cache use (`cellpose/backend.ts`). */
    cellpose?: Record<string, unknown> | object;
    /** Threshold methods with declumping / object rules: seeds found and objects removed by each rule. */
    declump?: DeclumpInfo;
  };
}

export interface SegmentationBackend {
  readonly method: SegmentationMethod;
  /**
   * crop: prefiltered float32 ZYX crop with outside-ROI voxels already zeroed (spec 4.1 steps 3–4) — or, when
   * no prefilter is configured and the ROI fills its box, the stored voxels themselves (uint8/int8/uint16/
   * int16/float32: every value exactly a float32). Backends must not modify it.
   */
  segmentCrop(
    crop: Volume,
    config: ModelConfig,
    ctx: {
      roiId: number;
      voxelSizeUm: readonly [number, number, number];
      /** In-ROI pixels of one crop plane; read only (an all-ones mask is shared between calls). */
      roiMask2d: Uint8Array;
      /** True when the ROI fills its box (`roiMask2d` is all ones), known to the caller without reading the mask. */
      roiFillsBox?: boolean;
      /** The ROI's bounding box in the full image and the crop's first plane (the Cellpose cache records both). */
      box?: Box2;
      z0?: number;
    },
  ): Promise<CropSegmentation>;
}

export function thresholdBackend(method: 'otsu' | 'li' | 'percentile'): SegmentationBackend {
  if (!isThresholdMethod(method)) throw valueError(`thresholdBackend: '${String(method)}' is not one of otsu, li, percentile`);
  return {
    method,
    async segmentCrop(crop, config, ctx) {
      // the ROI mask read only where the chain needs it (a getter: a whole-image ROI's all-ones mask is made lazily);
      // a ROI filling its box has no outline inside the crop: no mask at all, so the chain need not scan 4 MiB of ones
      // to find that out (~1.1 ms on a 2048² image, measured)
      const r = segmentThresholdChannel(crop, config, method, {
        voxelSizeUm: ctx.voxelSizeUm,
        get roiMask2d() {
          return ctx.roiFillsBox ? null : ctx.roiMask2d;
        },
      });
      return {
        labels: r.labels,
        ...(r.labelCounts ? { labelCounts: r.labelCounts } : {}),
        ...(r.labelRuns ? { labelRuns: r.labelRuns } : {}),
        info: {
          method,
          threshold: r.threshold,
          nValues: r.nValues,
          valuesMin: r.valuesMin,
          valuesMax: r.valuesMax,
          nLabelsRaw: r.maxLabel,
          ...(r.declump ? { declump: r.declump } : {}),
        },
      };
    },
  };
}

/**
 * The backend of a channel. Cellpose needs run context (models shared between channels, GPU, cache folder):
 * callers pass the instance made by `createCellposeBackends` (`cellpose/backend.ts`) as `backends.cellpose`.
 */
export function backendFor(config: ModelConfig, backends: { cellpose?: SegmentationBackend } = {}): SegmentationBackend {
  const m = config.segmentationMethod;
  if (m === 'cellpose') {
    if (backends.cellpose) return backends.cellpose;
    throw notSupported('segmentation_method: cellpose needs a Cellpose backend instance (createCellposeBackends) from the caller');
  }
  if (isThresholdMethod(m)) return thresholdBackend(m);
  throw valueError(`segmentation_method: '${String(m)}' is not one of cellpose, otsu, li, percentile`);
}
