/**
 * The config file's sections (spec 2): allowed names, channel/display/model/colocalization/runtime/ROI/
 * single-channel sections, with defaults, range checks and the cross-field rules.
 */
import { z } from 'zod';
import type {
  AnalysisConfig,
  ColocalizationConfig,
  DeclumpMethod,
  ModelConfig,
  PostfilterName,
  PrefilterName,
  RoiShape,
  RoiSpec,
  RuntimeConfig,
  SegmentationMethod,
  ZProjectionMethod,
} from '../types.js';
import { MAPPING, opt, req, num, count, nonNeg, positive, int, intNonNeg, intPos, between, intBetween, bool, str, orNull, nameField, nameListField, fraction, percentile, E } from './fields.js';

// ---------------------------------------------------------------------------------------------
// Allowed names (spec 2.4, 2.8, 12.2)
// ---------------------------------------------------------------------------------------------

export const SEGMENTATION_METHODS = ['cellpose', 'otsu', 'li', 'percentile'] as const satisfies readonly SegmentationMethod[];
export const PREFILTER_NAMES = ['gaussian', 'median', 'laplacian_of_gaussian'] as const satisfies readonly PrefilterName[];
export const PREFILTER_ALIASES = { log: 'laplacian_of_gaussian' } as const satisfies Record<string, PrefilterName>;
export const POSTFILTER_NAMES = ['min_size', 'min_intensity', 'local_contrast', 'bright_pixel_support'] as const satisfies readonly PostfilterName[];
export const POSTFILTER_ALIASES = {
  min_object_voxels: 'min_size',
  min_pixels: 'min_size',
  min_voxels: 'min_size',
} as const satisfies Record<string, PostfilterName>;
export const DECLUMP_METHODS = ['none', 'shape', 'intensity'] as const satisfies readonly DeclumpMethod[];
export const diameterRangeError = 'expected [min, max] with 0 < min <= max';
export const diameterRange = z
  .tuple([positive(), positive()], { error: diameterRangeError })
  .refine((p) => p[0] <= p[1], { error: diameterRangeError });
export const Z_PROJECTION_METHODS = ['max', 'mean', 'median', 'std', 'var'] as const satisfies readonly ZProjectionMethod[];

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

/** spec 2.1 */
/** A channel by 0-based index or by its name in the image (OME channel name / OME-Zarr omero label). */
const channelRef = () =>
  z.union([intNonNeg(), z.string().trim().min(1, { error: 'expected a channel index (an integer >= 0) or a channel name' })], {
    error: 'expected a channel index (an integer >= 0) or a channel name',
  });

export const ChannelConfigSchema = z
  .object({
    cell_channel: req(channelRef(), '0-based index of the cell channel in the image (C axis), or its name in the image (e.g. "DAPI")'),
    marker_channel: req(channelRef(), '0-based index of the marker channel, or its name'),
    optional_region_channel: opt(
      z.union([channelRef(), z.null()], { error: 'expected a channel index, a channel name or null' }),
      null,
      '0-based index (or name) of the optional third ("optional region") channel; null = not loaded',
    ),
  }, MAPPING)
  .strict();

/** spec 2.3 (napari layer names in the original) */
export const DisplayNamesSchema = z
  .object({
    cell: opt(str(), 'Cells', 'name of the cell channel shown in the viewer (layer and table names)'),
    marker: opt(str(), 'Marker', 'name of the marker channel shown in the viewer'),
    optional_region: opt(str(), 'Optional region', 'name of the optional third channel shown in the viewer'),
    positive_cells: opt(str(), 'Marker-positive cells', 'name of the marker-positive cell layer (accepted for compatibility with the original)'),
  }, MAPPING)
  .strict();

export const anisotropyError = 'expected false, true or a number > 0';

/** spec 2.4: `CellposeModelConfig`, used for the Cellpose AND the threshold backends. */
export const ModelConfigObject = z
  .object({
    model_name_or_path: opt(
      orNull(str(), 'a string'),
      null,
      'Cellpose model: cellcoloc-nuclei (nuclei network shipped with CellColoc, no download), a name looked up in $CELLCOLOC_MODELS (e.g. cpsam) or an .onnx file path; only read by segmentation_method cellpose, ignored by the threshold methods',
    ),
    segmentation_method: opt(
      nameField(SEGMENTATION_METHODS),
      'cellpose',
      'cellpose | otsu | li | percentile (case-insensitive); cellpose needs model_name_or_path',
    ),
    diameter: opt(orNull(between(1, 2000), 'a number from 1 to 2000'), null, 'Cellpose object diameter in pixels, 1..2000; null = the model default (Cellpose only)'),
    do_3d: opt(orNull(bool(), 'true or false'), null, 'Cellpose 3D mode; null = 3D when the image has more than one z plane (Cellpose only)'),
    z_axis: opt(intBetween(0, 4), 0, 'z axis index passed to Cellpose for 3D runs, 0..4 (Cellpose only)'),
    channel_axis: opt(orNull(intBetween(0, 4), 'an integer from 0 to 4'), null, 'channel axis passed to Cellpose as is, 0..4 (Cellpose only)'),
    cellprob_threshold: opt(
      between(-1000, 1000),
      0.0,
      'Cellpose cell-probability threshold on the network\'s logit scale (usually -6..6; -1000..1000): lower finds more and larger cells (Cellpose only)',
    ),
    flow_threshold: opt(nonNeg().max(1000, { error: 'expected a number from 0 to 1000' }), 0.4, 'Cellpose flow-error threshold, 0..1000: higher keeps more irregular cells, 0 turns the check off (Cellpose only)'),
    anisotropy: opt(
      z.union([z.boolean(), z.number().gt(0, { error: anisotropyError }).max(1000, { error: anisotropyError })], { error: anisotropyError }),
      false,
      'Cellpose 3D anisotropy: false, true (from the voxel size) or a number > 0 (Cellpose only)',
    ),
    flow3d_smooth: opt(
      z.int({ error: 'expected an integer from 0 to 10' })
        .min(0, { error: 'expected an integer from 0 to 10' })
        .max(10, { error: 'expected an integer from 0 to 10' }),
      0,
      'Cellpose 3D flow smoothing, integer 0..10 (Cellpose only)',
    ),
    prefilter: opt(
      nameListField(PREFILTER_NAMES, PREFILTER_ALIASES),
      null,
      'null, one name or a list, applied in order: gaussian | median | laplacian_of_gaussian (alias log)',
    ),
    prefilter_sigma_xy: opt(between(0, 50), 1.0, 'Gaussian / LoG prefilter in-plane sigma in pixels, 0..50 (and at most the image size)'),
    prefilter_sigma_z: opt(orNull(between(0, 50), 'a number from 0 to 50'), null, 'Gaussian / LoG prefilter z sigma in planes, 0..50; null = prefilter_sigma_xy (3D only)'),
    prefilter_median_size_xy: opt(intBetween(1, 31), 3, 'median prefilter in-plane window size in pixels, integer 1..31 (and at most the image size)'),
    prefilter_median_size_z: opt(
      orNull(intBetween(1, 31), 'an integer from 1 to 31'),
      null,
      'median prefilter window size along z in planes, integer 1..31; null = prefilter_median_size_xy (3D only)',
    ),
    z_crop: opt(
      orNull(
        z.tuple([orNull(int(), 'an integer'), orNull(int(), 'an integer')], { error: 'expected [start, stop] (integers or null)' }),
        '[start, stop] (integers or null)',
      ),
      null,
      'analyse only planes [start, stop) of the stack (0-based; null = first/last plane; negative counts from the end)',
    ),
    z_projection: opt(
      orNull(nameField(Z_PROJECTION_METHODS), 'one of max, mean, median, std, var'),
      null,
      'project the stack along z before the analysis: max | mean | median | std | var; the µm³ columns then use a z step of 1 µm',
    ),
    threshold_percentile: opt(
      percentile(),
      98.0,
      'percentile (0..100) of the positive pixels used as threshold by segmentation_method percentile',
    ),
    threshold_background_sigma: opt(
      orNull(between(0, 200), 'a number from 0 to 200'),
      null,
      'Gaussian sigma in pixels (0..200) of the background subtracted before thresholding; null or 0 = no subtraction',
    ),
    threshold_min_object_voxels: opt(int(), 10, 'threshold cleanup: remove objects smaller than this many voxels (only if > 0)'),
    threshold_min_hole_voxels: opt(int(), 10, 'threshold cleanup: fill holes smaller than this many voxels (only if > 0)'),
    threshold_apply_closing: opt(bool(), true, 'threshold cleanup: binary closing before the size cleanup'),
    declump_method: opt(
      nameField(DECLUMP_METHODS),
      'none',
      'split touching objects of the threshold methods (CellProfiler IdentifyPrimaryObjects): none | shape (seeds = maxima of the smoothed distance transform) | intensity (seeds = maxima of the smoothed intensity); needs typical_diameter_px or typical_diameter_um (docs/declumping.md)',
    ),
    typical_diameter_px: opt(
      orNull(diameterRange, diameterRangeError),
      null,
      'typical object diameter range [min, max] in pixels (x pixel size): sets the declumping smoothing and seed distance, and the discard_outside_diameter range',
    ),
    typical_diameter_um: opt(
      orNull(diameterRange, diameterRangeError),
      null,
      'the same range in micrometres (use one of typical_diameter_px, typical_diameter_um)',
    ),
    declump_smoothing_px: opt(
      orNull(nonNeg(), 'a number >= 0'),
      null,
      'declumping smoothing filter size in pixels (Gaussian sigma = size / 2.35; 0 = none); null = 2.35 * min diameter / 3.5 (CellProfiler automatic)',
    ),
    declump_min_distance_px: opt(
      orNull(positive(), 'a number > 0'),
      null,
      'minimum distance between declumping seeds in pixels; null = min diameter / 1.5 (CellProfiler automatic)',
    ),
    declump_merge_neck_px: opt(
      nonNeg(),
      1.5,
      'declumping: merge neighbouring pieces again unless the distance map dips at least this many pixels between them (or the intensity dips, declump_merge_contrast); 0 = off; with merging on, the automatic smoothing and seed distance are half CellProfiler\'s',
    ),
    declump_merge_contrast: opt(
      orNull(
        z.number({ error: 'expected a number from 0 to 1' })
          .min(0, { error: 'expected a number from 0 to 1' })
          .max(1, { error: 'expected a number from 0 to 1' }),
        'a number from 0 to 1',
      ),
      null,
      'declumping: ... or unless the intensity dips by at least this fraction of the dimmer piece\'s peak between them (shape: the mean along the dividing line, intensity: its brightest point); null = 0.22 for shape, 0.15 for intensity; 0 = off (both 0 = CellProfiler\'s rules alone)',
    ),
    fill_holes: opt(bool(), false, 'threshold methods: fill holes inside objects (after declumping)'),
    exclude_border_objects: opt(bool(), false, 'threshold methods: remove objects touching the image or ROI border (x/y)'),
    discard_outside_diameter: opt(
      bool(),
      false,
      'threshold methods: remove objects whose equivalent diameter is outside the typical diameter range',
    ),
    postfilters: opt(
      nameListField(POSTFILTER_NAMES, POSTFILTER_ALIASES),
      null,
      'null, one name or a list, applied in order: min_size (aliases min_object_voxels, min_pixels, min_voxels) | min_intensity | local_contrast | bright_pixel_support',
    ),
    postfilter_min_object_voxels: opt(
      orNull(intNonNeg(), 'an integer >= 0'),
      null,
      'min_size postfilter: remove objects with fewer voxels (required by min_size)',
    ),
    min_intensity_measure: opt(nameField(['mean', 'median', 'max'] as const), 'mean', 'min_intensity postfilter measure: mean | median | max'),
    min_intensity_threshold: opt(
      orNull(num(), 'a number'),
      null,
      'min_intensity postfilter: remove objects whose measure is below this intensity (required by min_intensity)',
    ),
    local_contrast_k: opt(between(-1000, 1000), 1.0, 'local_contrast postfilter: keep objects with median > shell median + k * shell MAD'),
    local_contrast_shell_inner_radius: opt(intBetween(0, 50), 1, 'local_contrast postfilter: inner shell radius in voxels (0 <= inner < outer <= 50)'),
    local_contrast_shell_outer_radius: opt(intBetween(1, 50), 4, 'local_contrast postfilter: outer shell radius in voxels, 1..50'),
    bright_pixel_measure: opt(nameField(['count', 'fraction'] as const), 'count', 'bright_pixel_support postfilter measure: count | fraction'),
    bright_pixel_threshold: opt(
      orNull(num(), 'a number'),
      null,
      'bright_pixel_support postfilter: intensity above which a voxel is bright (required by bright_pixel_support)',
    ),
    bright_pixel_min_count: opt(
      orNull(intNonNeg(), 'an integer >= 0'),
      null,
      'bright_pixel_support with measure count: minimum number of bright voxels (required then)',
    ),
    bright_pixel_min_fraction: opt(
      orNull(fraction(), 'a number from 0 to 1'),
      null,
      'bright_pixel_support with measure fraction: minimum fraction (0..1) of bright voxels (required then)',
    ),
  }, MAPPING)
  .strict();

/** spec 2.4 and 6: the cross-field rules (postfilter parameters, shell radii). */
export const ModelConfigSchema = ModelConfigObject.superRefine((m, ctx) => {
  const need = (key: string, because: string, what: string) =>
    ctx.addIssue({ code: 'custom', path: [key], input: null, message: `expected ${what} because ${because}` });
  if (m.postfilters.includes('min_size') && m.postfilter_min_object_voxels === null) {
    need('postfilter_min_object_voxels', 'postfilters include min_size', 'an integer >= 0');
  }
  if (m.postfilters.includes('min_intensity') && m.min_intensity_threshold === null) {
    need('min_intensity_threshold', 'postfilters include min_intensity', 'a number');
  }
  if (m.postfilters.includes('bright_pixel_support')) {
    if (m.bright_pixel_threshold === null) need('bright_pixel_threshold', 'postfilters include bright_pixel_support', 'a number');
    if (m.bright_pixel_measure === 'count' && m.bright_pixel_min_count === null) {
      need('bright_pixel_min_count', 'postfilters include bright_pixel_support with bright_pixel_measure count', 'an integer >= 0');
    }
    if (m.bright_pixel_measure === 'fraction' && m.bright_pixel_min_fraction === null) {
      need('bright_pixel_min_fraction', 'postfilters include bright_pixel_support with bright_pixel_measure fraction', 'a number from 0 to 1');
    }
  }
  if (m.typical_diameter_px !== null && m.typical_diameter_um !== null) {
    ctx.addIssue({ code: 'custom', path: ['typical_diameter_um'], input: m.typical_diameter_um, message: 'expected only one of typical_diameter_px, typical_diameter_um' });
  }
  const diameterNeeded = m.discard_outside_diameter
    ? 'discard_outside_diameter is true'
    : m.declump_method !== 'none' && (m.declump_smoothing_px === null || m.declump_min_distance_px === null)
      ? `declump_method is ${m.declump_method}`
      : null;
  if (diameterNeeded && m.typical_diameter_px === null && m.typical_diameter_um === null) {
    need('typical_diameter_px', diameterNeeded, '[min, max] (or typical_diameter_um)');
  }
  if (m.local_contrast_shell_inner_radius >= m.local_contrast_shell_outer_radius) {
    ctx.addIssue({
      code: 'custom',
      path: ['local_contrast_shell_inner_radius'],
      input: m.local_contrast_shell_inner_radius,
      message: `expected 0 <= inner < outer (local_contrast_shell_outer_radius is ${m.local_contrast_shell_outer_radius})`,
    });
  }
});

/** spec 2.5 plus `positivity_rule` (Q5). The original validates no ranges; here fractions are 0..1 and counts >= 0. */
export const ColocalizationConfigSchema = z
  .object({
    min_cell_voxels: opt(count(), 200, 'cells with fewer voxels (pixels in 2D; whole cell, all analysed planes) are deleted before any table'),
    overlap_fraction_threshold: opt(
      fraction(),
      0.02,
      'a cell is marker-positive when the marker covers at least this fraction (0..1) of it (overlap / cell voxels) ...',
    ),
    min_overlap_voxels: opt(count(), 20, '... and at least this many voxels of it'),
    evaluate_optional_region_cell_positivity: opt(
      bool(),
      false,
      'also report which cells overlap the third channel (extra cell_summary columns and overview counts); needs channel_config.optional_region_channel and optional_region_model_config',
    ),
    positivity_rule: opt(
      nameField(['best_object', 'union'] as const),
      'best_object',
      'best_object = overlap with the single best marker object (as the original) | union = overlap with all marker objects in the cell together',
    ),
  }, MAPPING)
  .strict();

/** issue 19: intensity correlation per ROI and per cell (CellProfiler's MeasureColocalization definitions). */
export const IntensityColocalizationConfigSchema = z
  .object({
    enabled: opt(
      bool(),
      false,
      'write roi_intensity_colocalization and cell_intensity_colocalization (Pearson, slope, Manders, RWC, overlap, K, Costes) between the raw cell and marker channels (and the third channel); see docs/intensity-colocalization.md',
    ),
    threshold_percent: opt(
      z
        .number({ error: 'expected a number from 0 to 100' })
        .min(0, { error: 'expected a number from 0 to 100' })
        .max(100, { error: 'expected a number from 0 to 100' }),
      15,
      'Manders/RWC/overlap threshold per region and channel, in percent of that channel\'s maximum in the region (CellProfiler\'s default 15); a voxel is above when >=',
    ),
    costes: opt(
      nameField(['none', 'fast', 'accurate'] as const),
      'none',
      "Costes' automatic thresholds, one search per ROI applied to its cells: none | fast (CellProfiler's accelerated steps) | accurate (one grey level per step)",
    ),
  }, MAPPING)
  .strict();

export const cropError = 'expected [[z0, z1], [y0, y1], [x0, x1]] with integers 0 <= start < stop';
export const cropPair = z
  .tuple([z.int({ error: cropError }).min(0, { error: cropError }), z.int({ error: cropError }).min(0, { error: cropError })], {
    error: cropError,
  })
  .refine((p) => p[0] < p[1], { error: cropError });

/** spec 2.8 plus `t` (fix Q19). */
export const RuntimeConfigSchema = z
  .object({
    draw_rois: opt(bool(), true, 'accepted but unused on the command line (the original\'s scripts open a napari window); use rois instead'),
    process_rois: opt(bool(), true, 'keep true: false makes the run fail as in the original (there is no whole-image fallback)'),
    open_results: opt(bool(), true, 'accepted but unused on the command line (the original\'s scripts open the results folder)'),
    use_gpu: opt(bool(), true, 'Cellpose GPU flag (Cellpose only; the threshold methods run on the CPU)'),
    crop_for_testing: opt(
      orNull(z.tuple([cropPair, cropPair, cropPair], { error: cropError }), '[[z0, z1], [y0, y1], [x0, x1]]'),
      null,
      'analyse only this half-open [[z0, z1], [y0, y1], [x0, x1]] box of every channel (for quick tests; 2D images: [0, 1] for z)',
    ),
    image_loading_mode: opt(
      z
        .string({ error: 'expected memory or memap' })
        .transform((s, ctx): 'memory' | 'memap' => {
          const n = s.trim().toLowerCase();
          if (n === 'memory') return 'memory';
          if (n === 'memap' || n === 'memmap') return 'memap';
          ctx.issues.push({ code: 'custom', message: 'expected memory or memap (also spelled memmap)', input: s });
          return z.NEVER;
        }),
      'memory',
      'memory | memap (the original\'s spelling; memmap also accepted): how the original reads the image; both read the needed channels here',
    ),
    t: opt(intNonNeg(), 0, 'time point to analyse for images with several time points, 0-based'),
    max_memory_gb: opt(
      orNull(z.number({ error: 'expected a number from 0.1 to 1000000' }).min(0.1, { error: 'expected a number from 0.1 to 1000000' }).max(1e6, { error: 'expected a number from 0.1 to 1000000' }), 'a number from 0.1 to 1000000'),
      null,
      'refuse the run when its estimated peak memory (from the image header and the config) exceeds this many GiB; null = the available memory minus a margin (the CLI\'s --max-memory overrides)',
    ),
  }, MAPPING)
  .strict();

export const shapeTypeError = 'expected polygon, rectangle or ellipse';
export const RoiShapeSchema = z
  .object({
    type: req(
      z.string({ error: shapeTypeError }).transform((s, ctx): RoiShape['type'] => {
        const n = s.trim().toLowerCase();
        if (n === 'polygon' || n === 'rectangle' || n === 'ellipse') return n;
        ctx.issues.push({ code: 'custom', message: shapeTypeError, input: s });
        return z.NEVER;
      }),
      'napari shape type: polygon | rectangle | ellipse',
    ),
    data: req(
      z
        .array(z.tuple([between(-1e7, 1e7, 'a coordinate'), between(-1e7, 1e7, 'a coordinate')], { error: 'expected a [y, x] pair of numbers' }), { error: 'expected a list of [y, x] vertices' })
        .min(3, { error: 'expected at least 3 [y, x] vertices' })
        .max(100_000, { error: 'expected at most 100000 [y, x] vertices per shape' }),
      'vertices [[y, x], ...] in pixels (napari layout; rectangle and ellipse: the 4 corners of the bounding box)',
    ),
  }, MAPPING)
  .strict()
  .superRefine((s, ctx) => {
    if ((s.type === 'rectangle' || s.type === 'ellipse') && s.data.length !== 4) {
      ctx.addIssue({ code: 'custom', path: ['data'], input: s.data, message: `expected 4 [y, x] corners for a ${s.type}` });
    }
  });

export const roisError = 'expected full, {label_image: <path>} or {shapes: [...]}';
export const RoisObject = z
  .object({
    label_image: z.string({ error: 'expected a path to a ROI label TIFF' }).optional(),
    shapes: z.array(RoiShapeSchema, { error: 'expected a list of shapes' }).min(1, { error: 'expected at least one shape' }).optional(),
  }, MAPPING)
  .strict()
  .superRefine((r, ctx) => {
    if ((r.label_image === undefined) === (r.shapes === undefined)) {
      ctx.addIssue({ code: 'custom', input: r, message: 'expected exactly one of label_image or shapes' });
    }
  });
export const RoisSchema = z.union(
  [
    z.string({ error: roisError }).transform((s, ctx): 'full' => {
      if (s.trim().toLowerCase() === 'full') return 'full';
      ctx.issues.push({ code: 'custom', message: roisError, input: s });
      return z.NEVER;
    }),
    RoisObject,
  ],
  { error: roisError },
);

/** spec 2.2 / 2.6: single-channel workflow sections (accepted; not supported yet). */
export const SingleChannelConfigSchema = z
  .object({ channel_index: req(channelRef(), '0-based index (or name, e.g. "DAPI") of the channel to count objects in') }, MAPPING)
  .strict();
export const SingleChannelAnalysisConfigSchema = z
  .object({ min_object_voxels: opt(count(), 50, 'objects with fewer voxels are removed before the tables') }, MAPPING)
  .strict();

export const imageError = 'expected a path or a non-empty list of paths';
export const voxelError = 'expected null or 2 ([y, x]) or 3 ([z, y, x]) numbers > 0 in micrometres';
