/**
 * Loading for the single-channel counting workflow (spec 3.4, 12): `loadSingleChannelImage` applies the rules of
 * `loadAnalysisImages` (load-images.ts) to one channel (same reader, time point, crop, analysis window and voxel-size
 * resolution; errors name `single_channel_config.channel_index`), and `prepareSingleChannelImageForAnalysis` applies
 * `model_config.z_crop` / `z_projection`. Split from single-channel.ts, which runs and exports the workflow.
 */
import { inputError } from '../core/errors.js';
import type { Volume } from '../core/volume.js';
import type { ModelConfig } from '../config/types.js';
import { openImageStack, resolveVoxelScale, type ImageStack } from '../io/image-stack.js';
import { loadedStackMetadata, planStackRead, readChannelCropped, type CropZyx, type LoadedStackFields } from './load-images.js';
import type { AnalysisWindow } from './analysis-window.js';
import { normalizeZCrop, zAnalysisView } from './z-stack.js';

export interface SingleChannelAnalysisConfig {
  /** Objects with fewer voxels are removed before the postfilters and tables (default 50 in the config file). */
  minObjectVoxels: number;
}

/** spec 3.4: the loaded channel and the metadata the tables, export and manifest need. */
export interface LoadedSingleChannelImage extends LoadedStackFields {
  /** The counted channel at the chosen time point, ZYX (cropped by `crop_for_testing`). */
  image: Volume;
  channelIndex: number;
}

export type AnalysisView = Pick<LoadedSingleChannelImage, 'image' | 'voxelSizeUm' | 'analysisZBounds' | 'zProjectionMethod' | 'zStack' | 'analysisWindow'>;

/** A projected or one-plane view: its array already is the analysed planes, so no z bounds apply. */
export function isReducedView(loaded: AnalysisView): boolean {
  return !!loaded.zProjectionMethod || loaded.zStack?.singlePlane != null;
}

/**
 * spec 12 for the single channel (`prepare_loaded_single_channel_image_for_analysis`), with the fixes of
 * `z-stack.ts`: `model_config.z_crop` (negative = from the end, Q25) becomes `analysisZBounds` on the full
 * stack; a one-plane crop is analysed as that plane in 2D (Q26); `z_projection` reduces the (cropped) stack
 * to a `(1, Y, X)` float32 view with z spacing 1.0 µm (Q24; exports keep the true spacing).
 */
export function prepareSingleChannelImageForAnalysis(
  loaded: LoadedSingleChannelImage,
  modelConfig: Pick<ModelConfig, 'zCrop' | 'zProjection'>,
  configLabel = 'config',
): LoadedSingleChannelImage {
  const fullZ = loaded.analysisWindow ? loaded.analysisWindow.frameShape[0] : loaded.image.shape[0];
  const crop = modelConfig.zCrop === null ? null : normalizeZCrop(modelConfig.zCrop, fullZ, `${configLabel}: model_config.z_crop`);
  const view = zAnalysisView(loaded, fullZ, crop, modelConfig.zProjection);
  return view === null ? loaded : { ...loaded, ...view.fields, image: view.reduce(loaded.image) };
}

export async function loadSingleChannelImage(
  source: string | string[],
  channelIndex: number,
  voxelScaleZyx: readonly number[] | null,
  options: {
    cropForTesting?: CropZyx | null;
    t?: number;
    resolutionLevel?: number;
    /** Decides the analysis window from the frame's `[Z, Y, X]` where the format reads by region (load-images.ts). */
    planWindow?: (frameShape: [number, number, number]) => Promise<AnalysisWindow | null>;
    /** Called with the opened stack before its pixels are read (load-images.ts). */
    onStackOpened?: (stack: ImageStack) => void;
  } = {},
): Promise<LoadedSingleChannelImage> {
  const stack = await openImageStack(source, { resolutionLevel: options.resolutionLevel });
  options.onStackOpened?.(stack);
  const sizeC = stack.rawShapeTzcyx[2];
  const where = stack.sourcePaths.length === 1 ? stack.sourcePaths[0] : stack.sourcePaths.join(', ');
  if (!Number.isInteger(channelIndex) || channelIndex < 0 || channelIndex >= sizeC) {
    throw inputError(
      `single_channel_config.channel_index: expected an index < ${sizeC} (${where} has ${sizeC} channel${sizeC === 1 ? '' : 's'}), got ${channelIndex}`,
    );
  }
  const plan = await planStackRead(stack, options);
  const image = await readChannelCropped(stack, channelIndex, plan.t, plan.region);
  // 2D or 3D is the frame's (a one-plane window of a stack keeps the stack's z spacing)
  const voxel = resolveVoxelScale(voxelScaleZyx, stack.physicalSize, (plan.window ? plan.window.frameShape[0] : image.shape[0]) > 1);
  return { ...loadedStackMetadata(stack, plan, voxel, options.resolutionLevel ?? 0), image, channelIndex };
}
