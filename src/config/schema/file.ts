/**
 * The whole config file (snake_case, as written), its types and its JSON Schema.
 */
import { z } from 'zod';
import { MAPPING, opt, req, str, orNull, intNonNeg } from './fields.js';
import { ChannelConfigSchema, DisplayNamesSchema, ModelConfigSchema, ColocalizationConfigSchema, IntensityColocalizationConfigSchema, RuntimeConfigSchema, RoisSchema, SingleChannelConfigSchema, SingleChannelAnalysisConfigSchema, imageError, voxelError } from './sections.js';

/** The whole config file (snake_case, as written). */
export const ConfigFileSchema = z
  .object({
    image: req(
      z.union([z.string({ error: imageError }).min(1, { error: imageError }), z.array(z.string({ error: 'expected a path' }).min(1, { error: 'expected a path' })).min(1, { error: imageError })], {
        error: imageError,
      }),
      'the image: one path (OME-TIFF / TIFF, or an OME-Zarr image folder), or a list of single-channel image paths stacked as channels in the order given; relative to this file',
    ),
    results_dir: opt(
      orNull(str(), 'a path'),
      null,
      'output folder, relative to this file; null = "results" next to the image (as the original)',
    ),
    voxel_scale_zyx: opt(
      z.union([z.null(), z.array(z.number({ error: voxelError }).gt(0, { error: voxelError }), { error: voxelError }).min(2, { error: voxelError }).max(3, { error: voxelError })], {
        error: voxelError,
      }),
      null,
      'voxel size in micrometres, [z, y, x] or [y, x] (then z = 1.0); overrides the image metadata; null = from the metadata',
    ),
    resolution_level: opt(
      intNonNeg(),
      0,
      'OME-Zarr images: which resolution level to analyse (0 = full resolution; N = the N-th coarser level, voxel size scaled accordingly); ignored for TIFF',
    ),
    channel_config: ChannelConfigSchema.optional().meta({ description: 'which image channel is what (0-based); required unless single_channel_config is given' }),
    display_names: opt(DisplayNamesSchema, {}, 'names of the channels, shown in the viewer'),
    cell_model_config: opt(ModelConfigSchema, {}, 'how the cells (e.g. nuclei) are segmented'),
    marker_model_config: opt(ModelConfigSchema, {}, 'how the marker objects are segmented'),
    optional_region_model_config: opt(
      z.union([z.null(), ModelConfigSchema], { error: 'expected null or a mapping of model config fields' }),
      null,
      'segmentation of the optional third channel, same fields as cell_model_config; needs channel_config.optional_region_channel; null = none',
    ),
    colocalization_config: opt(ColocalizationConfigSchema, {}, 'when a cell counts as marker-positive, and the smallest cell kept'),
    intensity_colocalization_config: opt(
      IntensityColocalizationConfigSchema,
      {},
      'intensity correlation per ROI and per cell: Pearson, Manders, RWC, overlap, Costes (see docs/intensity-colocalization.md)',
    ),
    runtime_config: opt(RuntimeConfigSchema, {}, 'run options'),
    rois: opt(
      RoisSchema,
      'full',
      'full (one ROI = the whole image), {label_image: <ROI label TIFF>} or {shapes: [{type, data}, ...]} (napari shapes, pixels)',
    ),
    single_channel_config: opt(
      z.union([z.null(), SingleChannelConfigSchema], { error: 'expected null or {channel_index: <int>}' }),
      null,
      'count objects in one channel instead: {channel_index: <int>}; replaces channel_config',
    ),
    model_config: opt(
      z.union([z.null(), ModelConfigSchema], { error: 'expected null or a mapping of model config fields' }),
      null,
      'single-channel workflow: segmentation of that channel, same fields as cell_model_config; required with single_channel_config',
    ),
    analysis_config: opt(
      z.union([z.null(), SingleChannelAnalysisConfigSchema], { error: 'expected null or {min_object_voxels: <number>}' }),
      null,
      'single-channel workflow: {min_object_voxels: 50}: objects with fewer voxels are removed before the tables',
    ),
  }, MAPPING)
  .strict()
  .superRefine((c, ctx) => {
    if (c.channel_config === undefined && c.single_channel_config === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['channel_config'],
        input: undefined,
        message: 'expected a mapping with cell_channel and marker_channel',
      });
    }
    if (c.single_channel_config !== null && c.channel_config !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['single_channel_config'],
        input: c.single_channel_config,
        message:
          'expected null when channel_config is set (one workflow per file: channel_config = two-channel colocalization, single_channel_config = single-channel object counting)',
      });
    }
    if (c.single_channel_config !== null && c.model_config === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['model_config'],
        input: null,
        message: 'expected a mapping of model config fields (segmentation_method, ...) because single_channel_config is set (spec 13.1)',
      });
    }
    if (c.single_channel_config !== null && c.intensity_colocalization_config.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['intensity_colocalization_config', 'enabled'],
        input: true,
        message: 'expected false with single_channel_config: intensity colocalization needs two channels (channel_config)',
      });
    }
    if (c.single_channel_config === null && (c.model_config !== null || c.analysis_config !== null)) {
      ctx.addIssue({
        code: 'custom',
        path: ['single_channel_config'],
        input: null,
        message: `expected {channel_index: <int>} because ${c.model_config !== null ? 'model_config' : 'analysis_config'} (single-channel workflow) is set`,
      });
    }
  });

export type ConfigFileInput = z.input<typeof ConfigFileSchema>;
export type ConfigFileOutput = z.output<typeof ConfigFileSchema>;
export type ModelOut = z.output<typeof ModelConfigSchema>;

/** The JSON Schema of the config file (input side: what may be written), for docs and editors. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ConfigFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
