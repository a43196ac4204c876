/**
 * The config file schema (zod@4): sections and fields are the original's config dataclasses and field
 * names in snake_case (spec 2), with the defaults of spec 2, the original's string normalisation
 * (strip + lowercase, aliases), range checks and cross-field rules. `toAnalysisConfig` turns a parsed file
 * into the camelCase `AnalysisConfig` of `types.ts`; `formatConfigIssues` turns zod issues into ONE line.
 *
 * This module does no I/O (no `node:fs`): file reading, path resolution and existence checks live in
 * `load-config.ts`.
 */
import { z } from 'zod';
import { configError, inputError, notSupported } from '../core/errors.js';
import type {
  AnalysisConfig,
  ColocalizationConfig,
  ModelConfig,
  PostfilterName,
  PrefilterName,
  RoiShape,
  RoiSpec,
  RuntimeConfig,
  SegmentationMethod,
  ZProjectionMethod,
} from './types.js';

// ---------------------------------------------------------------------------------------------
// Field helpers. Every message is the "expected …" half of `<key.path>: expected …, got <value>`.
// ---------------------------------------------------------------------------------------------

/** A field with a default: `prefault` parses the default like an input (so transforms run on it too). */
function opt<S extends z.ZodType>(schema: S, def: z.input<S>, description: string) {
  return schema.prefault(def as never).meta({ description, default: def as unknown });
}

/** A required field (no default). */
function req<S extends z.ZodType>(schema: S, description: string) {
  return schema.meta({ description });
}

const E = {
  number: 'expected a number',
  nonNeg: 'expected a number >= 0',
  positive: 'expected a number > 0',
  int: 'expected an integer',
  intNonNeg: 'expected an integer >= 0',
  intPos: 'expected an integer >= 1',
  bool: 'expected true or false',
  string: 'expected a string',
} as const;

/** Error for a section that is not a mapping (e.g. `cell_model_config: otsu`). */
const MAPPING = { error: 'expected a mapping of fields' } as const;

const num = () => z.number({ error: E.number });
const nonNeg = () => z.number({ error: E.nonNeg }).min(0, { error: E.nonNeg });
const positive = () => z.number({ error: E.positive }).gt(0, { error: E.positive });
const int = () => z.int({ error: E.int });
const intNonNeg = () => z.int({ error: E.intNonNeg }).min(0, { error: E.intNonNeg });
const intPos = () => z.int({ error: E.intPos }).min(1, { error: E.intPos });
const bool = () => z.boolean({ error: E.bool });
const str = () => z.string({ error: E.string });
const orNull = <S extends z.ZodType>(s: S, what: string) => z.union([s, z.null()], { error: `expected ${what} or null` });

/** Levenshtein distance (for "did you mean" suggestions on unknown keys and names). */
function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** The closest candidate to `word` (camelCase and dashes are first turned into snake_case), or null. */
export function closestName(word: string, candidates: readonly string[]): string | null {
  const w = word
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s]+/g, '_')
    .toLowerCase();
  if (w === '') return null;
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    // A truncated key (`prefilter_sigma` → `prefilter_sigma_xy`) beats any edit; ties keep declaration order.
    const d = c.startsWith(w) ? 0.5 : editDistance(w, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === null) return null;
  return bestD <= Math.max(1, Math.floor(best.length / 4)) ? best : null;
}

/**
 * A name normalised as the original does (`str.strip().lower()`, then aliases), checked against the
 * allowed names. The message lists the allowed names and suggests the closest one.
 */
function nameField<T extends string>(allowed: readonly T[], aliases: Readonly<Record<string, T>> = {}) {
  const aliasList = Object.keys(aliases);
  const expected =
    `expected one of ${allowed.join(', ')}` + (aliasList.length > 0 ? ` (aliases: ${aliasList.join(', ')})` : '');
  return z.string({ error: expected }).transform((s, ctx): T => {
    const n = s.trim().toLowerCase();
    const v = (Object.prototype.hasOwnProperty.call(aliases, n) ? aliases[n] : n) as T;
    if (!allowed.includes(v)) {
      const guess = closestName(n, [...allowed, ...aliasList]);
      ctx.issues.push({ code: 'custom', message: expected + (guess ? ` (did you mean \`${guess}\`?)` : ''), input: s });
      return z.NEVER;
    }
    return v;
  });
}

/** `None`, one name, or a list of names (prefilter / postfilters), normalised to a list in order. */
function nameListField<T extends string>(allowed: readonly T[], aliases: Readonly<Record<string, T>> = {}) {
  const one = nameField(allowed, aliases);
  const aliasList = Object.keys(aliases);
  const expected =
    `expected null, a name or a list of names from ${allowed.join(', ')}` +
    (aliasList.length > 0 ? ` (aliases: ${aliasList.join(', ')})` : '');
  return z
    .union([z.null(), z.string(), z.array(z.string())], { error: expected })
    .transform((v, ctx): T[] => {
      if (v === null) return [];
      const list = typeof v === 'string' ? [v] : v;
      const out: T[] = [];
      list.forEach((s, i) => {
        const r = one.safeParse(s);
        if (r.success) out.push(r.data);
        else
          ctx.issues.push({
            code: 'custom',
            message: r.error.issues[0].message,
            input: s,
            path: typeof v === 'string' ? [] : [i],
          });
      });
      return out;
    });
}

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
export const Z_PROJECTION_METHODS = ['max', 'mean', 'median', 'std', 'var'] as const satisfies readonly ZProjectionMethod[];

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

/** spec 2.1 */
const ChannelConfigSchema = z
  .object({
    cell_channel: req(intNonNeg(), '0-based index of the cell channel in the image (C axis); must be < the number of channels'),
    marker_channel: req(intNonNeg(), '0-based index of the marker channel; must be < the number of channels'),
    optional_region_channel: opt(
      orNull(intNonNeg(), 'an integer >= 0'),
      null,
      '0-based index of the optional third ("optional region") channel; null = not loaded',
    ),
  }, MAPPING)
  .strict();

/** spec 2.3 (napari layer names in the original) */
const DisplayNamesSchema = z
  .object({
    cell: opt(str(), 'Cells', 'display name of the cell channel (napari layer names in the original; unused on the command line)'),
    marker: opt(str(), 'Marker', 'display name of the marker channel (unused on the command line)'),
    optional_region: opt(str(), 'Optional region', 'display name of the optional third channel (unused on the command line)'),
    positive_cells: opt(str(), 'Marker-positive cells', 'display name of the marker-positive cells (unused on the command line)'),
  }, MAPPING)
  .strict();

const anisotropyError = 'expected false, true or a number > 0';

/** spec 2.4: `CellposeModelConfig`, used for the Cellpose AND the threshold backends. */
const ModelConfigObject = z
  .object({
    model_name_or_path: opt(
      orNull(str(), 'a string'),
      null,
      'Cellpose built-in model name (e.g. cpsam) or model file path; only read by segmentation_method cellpose, ignored by the threshold methods',
    ),
    segmentation_method: opt(
      nameField(SEGMENTATION_METHODS),
      'cellpose',
      'cellpose | otsu | li | percentile (case-insensitive); cellpose needs model_name_or_path',
    ),
    diameter: opt(orNull(positive(), 'a number > 0'), null, 'Cellpose object diameter in pixels; null = the model default (Cellpose only)'),
    do_3d: opt(orNull(bool(), 'true or false'), null, 'Cellpose 3D mode; null = 3D when the image has more than one z plane (Cellpose only)'),
    z_axis: opt(intNonNeg(), 0, 'z axis index passed to Cellpose for 3D runs (Cellpose only)'),
    channel_axis: opt(orNull(intNonNeg(), 'an integer >= 0'), null, 'channel axis passed to Cellpose as is (Cellpose only)'),
    cellprob_threshold: opt(num(), 0.0, 'Cellpose cell probability threshold (Cellpose >= 4 only)'),
    flow_threshold: opt(num(), 0.4, 'Cellpose flow error threshold (Cellpose >= 4 only)'),
    anisotropy: opt(
      z.union([z.boolean(), z.number().gt(0, { error: anisotropyError })], { error: anisotropyError }),
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
    prefilter_sigma_xy: opt(nonNeg(), 1.0, 'Gaussian / LoG prefilter in-plane sigma in pixels, >= 0'),
    prefilter_sigma_z: opt(orNull(nonNeg(), 'a number >= 0'), null, 'Gaussian / LoG prefilter z sigma in planes, >= 0; null = prefilter_sigma_xy (3D only)'),
    prefilter_median_size_xy: opt(intPos(), 3, 'median prefilter in-plane window size in pixels, integer >= 1'),
    prefilter_median_size_z: opt(
      orNull(intPos(), 'an integer >= 1'),
      null,
      'median prefilter window size along z in planes, integer >= 1; null = prefilter_median_size_xy (3D only)',
    ),
    z_crop: opt(
      orNull(
        z.tuple([orNull(int(), 'an integer'), orNull(int(), 'an integer')], { error: 'expected [start, stop] (integers or null)' }),
        '[start, stop] (integers or null)',
      ),
      null,
      'global z interval [start, stop) in planes, null ends = stack ends, negative = from the end (spec 12.1)',
    ),
    z_projection: opt(
      orNull(nameField(Z_PROJECTION_METHODS), 'one of max, mean, median, std, var'),
      null,
      'project the stack along z before the analysis: max | mean | median | std | var (spec 12.2); *_um3 then use z = 1.0 µm',
    ),
    threshold_percentile: opt(
      z.number({ error: 'expected a number from 0 to 100' })
        .min(0, { error: 'expected a number from 0 to 100' })
        .max(100, { error: 'expected a number from 0 to 100' }),
      98.0,
      'percentile (0..100) of the positive pixels used as threshold by segmentation_method percentile',
    ),
    threshold_background_sigma: opt(
      orNull(nonNeg(), 'a number >= 0'),
      null,
      'Gaussian sigma in pixels of the background subtracted before thresholding; null or 0 = no subtraction',
    ),
    threshold_min_object_voxels: opt(int(), 10, 'threshold cleanup: remove objects smaller than this many voxels (only if > 0)'),
    threshold_min_hole_voxels: opt(int(), 10, 'threshold cleanup: fill holes smaller than this many voxels (only if > 0)'),
    threshold_apply_closing: opt(bool(), true, 'threshold cleanup: binary closing before the size cleanup'),
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
    local_contrast_k: opt(num(), 1.0, 'local_contrast postfilter: keep objects with median > shell median + k * shell MAD'),
    local_contrast_shell_inner_radius: opt(intNonNeg(), 1, 'local_contrast postfilter: inner shell radius in voxels (0 <= inner < outer)'),
    local_contrast_shell_outer_radius: opt(intNonNeg(), 4, 'local_contrast postfilter: outer shell radius in voxels'),
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
      orNull(
        z.number({ error: 'expected a number from 0 to 1' })
          .min(0, { error: 'expected a number from 0 to 1' })
          .max(1, { error: 'expected a number from 0 to 1' }),
        'a number from 0 to 1',
      ),
      null,
      'bright_pixel_support with measure fraction: minimum fraction (0..1) of bright voxels (required then)',
    ),
  }, MAPPING)
  .strict();

/** spec 2.4 and 6: the cross-field rules (postfilter parameters, shell radii). */
const ModelConfigSchema = ModelConfigObject.superRefine((m, ctx) => {
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
  if (m.local_contrast_shell_inner_radius >= m.local_contrast_shell_outer_radius) {
    ctx.addIssue({
      code: 'custom',
      path: ['local_contrast_shell_inner_radius'],
      input: m.local_contrast_shell_inner_radius,
      message: `expected 0 <= inner < outer (local_contrast_shell_outer_radius is ${m.local_contrast_shell_outer_radius})`,
    });
  }
});

/** spec 2.5 plus `positivity_rule` (Q5). No range validation in the original; only types here. */
const ColocalizationConfigSchema = z
  .object({
    min_cell_voxels: opt(num(), 200, 'cells with fewer voxels (whole label, all analysed planes) are deleted before any table'),
    overlap_fraction_threshold: opt(num(), 0.02, 'a cell is marker-positive when its best overlap fraction (overlap / cell voxels) is >= this'),
    min_overlap_voxels: opt(num(), 20, '... and its best overlap is >= this many voxels'),
    evaluate_optional_region_cell_positivity: opt(
      bool(),
      false,
      'add the third-channel positivity columns to cell_summary and their counts to the overview (spec 11.2); needs channel_config.optional_region_channel and optional_region_model_config',
    ),
    positivity_rule: opt(
      nameField(['best_object', 'union'] as const),
      'best_object',
      'best_object = overlap with the single best marker object (the original, spec 7.3) | union = overlap with all marker objects',
    ),
  }, MAPPING)
  .strict();

const cropError = 'expected [[z0, z1], [y0, y1], [x0, x1]] with integers 0 <= start < stop';
const cropPair = z
  .tuple([z.int({ error: cropError }).min(0, { error: cropError }), z.int({ error: cropError }).min(0, { error: cropError })], {
    error: cropError,
  })
  .refine((p) => p[0] < p[1], { error: cropError });

/** spec 2.8 plus `t` (fix Q19). */
const RuntimeConfigSchema = z
  .object({
    draw_rois: opt(bool(), true, 'accepted but unused on the command line (the original\'s scripts open a napari window); use rois instead'),
    process_rois: opt(bool(), true, 'false makes the run fail as in the original (Q28: there is no whole-image fallback)'),
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
    t: opt(intNonNeg(), 0, 'time point to analyse for images with several time points (fix Q19), 0-based'),
  }, MAPPING)
  .strict();

const shapeTypeError = 'expected polygon, rectangle or ellipse';
const RoiShapeSchema = z
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
        .array(z.tuple([num(), num()], { error: 'expected a [y, x] pair of numbers' }), { error: 'expected a list of [y, x] vertices' })
        .min(3, { error: 'expected at least 3 [y, x] vertices' }),
      'vertices [[y, x], ...] in pixels (napari layout; rectangle and ellipse: the 4 corners of the bounding box)',
    ),
  }, MAPPING)
  .strict()
  .superRefine((s, ctx) => {
    if ((s.type === 'rectangle' || s.type === 'ellipse') && s.data.length !== 4) {
      ctx.addIssue({ code: 'custom', path: ['data'], input: s.data, message: `expected 4 [y, x] corners for a ${s.type}` });
    }
  });

const roisError = 'expected full, {label_image: <path>} or {shapes: [...]}';
const RoisObject = z
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
const RoisSchema = z.union(
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
const SingleChannelConfigSchema = z
  .object({ channel_index: req(intNonNeg(), '0-based index of the channel to count objects in') }, MAPPING)
  .strict();
const SingleChannelAnalysisConfigSchema = z
  .object({ min_object_voxels: opt(num(), 50, 'objects with fewer voxels are removed before the tables') }, MAPPING)
  .strict();

const imageError = 'expected a path or a non-empty list of paths';
const voxelError = 'expected null or 2 ([y, x]) or 3 ([z, y, x]) numbers > 0 in micrometres';

/** The whole config file (snake_case, as written). */
export const ConfigFileSchema = z
  .object({
    image: req(
      z.union([z.string({ error: imageError }).min(1, { error: imageError }), z.array(z.string({ error: 'expected a path' }).min(1, { error: 'expected a path' })).min(1, { error: imageError })], {
        error: imageError,
      }),
      'the image: one path (OME-TIFF / TIFF), or a list of single-channel image paths stacked as channels in the order given; relative to this file',
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
    channel_config: ChannelConfigSchema.optional().meta({ description: 'which image channel is what (spec 2.1); required unless single_channel_config is given' }),
    display_names: opt(DisplayNamesSchema, {}, 'names of the channels (spec 2.3)'),
    cell_model_config: opt(ModelConfigSchema, {}, 'segmentation of the cell channel (spec 2.4)'),
    marker_model_config: opt(ModelConfigSchema, {}, 'segmentation of the marker channel (spec 2.4)'),
    optional_region_model_config: opt(
      z.union([z.null(), ModelConfigSchema], { error: 'expected null or a mapping of model config fields' }),
      null,
      'segmentation of the optional third channel (spec 11), same fields as cell_model_config; needs channel_config.optional_region_channel; null = none',
    ),
    colocalization_config: opt(ColocalizationConfigSchema, {}, 'positivity rule and cell size filter (spec 2.5)'),
    runtime_config: opt(RuntimeConfigSchema, {}, 'run options (spec 2.8)'),
    rois: opt(
      RoisSchema,
      'full',
      'full (one ROI = the whole image), {label_image: <ROI label TIFF>} or {shapes: [{type, data}, ...]} (napari shapes, pixels)',
    ),
    single_channel_config: opt(
      z.union([z.null(), SingleChannelConfigSchema], { error: 'expected null or {channel_index: <int>}' }),
      null,
      'single-channel counting workflow {channel_index} (spec 2.2, 13); replaces channel_config',
    ),
    model_config: opt(
      z.union([z.null(), ModelConfigSchema], { error: 'expected null or a mapping of model config fields' }),
      null,
      'single-channel workflow: segmentation of that channel, same fields as cell_model_config; required with single_channel_config',
    ),
    analysis_config: opt(
      z.union([z.null(), SingleChannelAnalysisConfigSchema], { error: 'expected null or {min_object_voxels: <number>}' }),
      null,
      'single-channel workflow: {min_object_voxels: 50} (spec 2.6): objects with fewer voxels are removed before the tables',
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
type ModelOut = z.output<typeof ModelConfigSchema>;

/** The JSON Schema of the config file (input side: what may be written), for docs and editors. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ConfigFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Issue formatting: ONE line, `<file>: <key.path>: expected <what>, got <value>; <next problem>`
// ---------------------------------------------------------------------------------------------

/** `a.b[0].c` */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else s += (s === '' ? '' : '.') + String(p);
  }
  return s;
}

/** A short, one-line rendering of a value from the file. */
export function formatValue(v: unknown): string {
  if (v === undefined) return 'nothing (the key is missing)';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  let s: string;
  try {
    s = JSON.stringify(v);
  } catch {
    s = String(v);
  }
  if (s === undefined) s = String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The strict-object keys known at `path` of the file schema (for "did you mean"). */
function knownKeysAt(root: z.ZodType, path: readonly PropertyKey[], input: unknown): string[] {
  // Walk the schema along the path, unwrapping wrappers (default/prefault/optional/nullable/pipe/union).
  const objectsOf = (s: z.ZodType, seen = 0): z.ZodObject[] => {
    if (seen > 20) return [];
    const def = (s as unknown as { _zod: { def: Record<string, any> } })._zod.def;
    switch (def.type) {
      case 'object':
        return [s as z.ZodObject];
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'catch':
        return objectsOf(def.innerType, seen + 1);
      case 'pipe':
        return objectsOf(def.in, seen + 1);
      case 'union':
        return (def.options as z.ZodType[]).flatMap((o) => objectsOf(o, seen + 1));
      default:
        return [];
    }
  };
  const childOf = (s: z.ZodType, key: PropertyKey, seen = 0): z.ZodType[] => {
    if (seen > 20) return [];
    const def = (s as unknown as { _zod: { def: Record<string, any> } })._zod.def;
    switch (def.type) {
      case 'object': {
        const c = (s as z.ZodObject).shape[key as string];
        return c ? [c as z.ZodType] : [];
      }
      case 'array':
        return typeof key === 'number' ? [def.element] : [];
      case 'tuple':
        return typeof key === 'number' && def.items[key] ? [def.items[key]] : [];
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'catch':
        return childOf(def.innerType, key, seen + 1);
      case 'pipe':
        return childOf(def.in, key, seen + 1);
      case 'union':
        return (def.options as z.ZodType[]).flatMap((o) => childOf(o, key, seen + 1));
      default:
        return [];
    }
  };
  let cur: z.ZodType[] = [root];
  for (const p of path) cur = cur.flatMap((s) => childOf(s, p));
  void input;
  const keys = new Set<string>();
  for (const s of cur) for (const o of objectsOf(s)) for (const k of Object.keys(o.shape)) keys.add(k);
  return [...keys];
}

interface FlatIssue {
  path: PropertyKey[];
  message: string;
  input: unknown;
  hasInput: boolean;
}

/** Flattens zod issues; a union whose input matched one branch's type reports that branch's inner issues. */
function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[], out: FlatIssue[], root: z.ZodType): void {
  for (const iss of issues) {
    const path = [...prefix, ...iss.path];
    if (iss.code === 'invalid_union' && iss.errors.length > 0) {
      // Branches whose failures are deeper than the union itself (the value had the right shape).
      const deep = iss.errors.filter((branch) => branch.some((b) => b.path.length > 0 || b.code === 'custom' || b.code === 'unrecognized_keys'));
      if (deep.length === 1) {
        flattenIssues(deep[0], path, out, root);
        continue;
      }
    }
    if (iss.code === 'unrecognized_keys') {
      const known = knownKeysAt(root, path, iss.input);
      for (const key of iss.keys) {
        const guess = closestName(key, known);
        const objPath = formatKeyPath(path);
        const where = objPath === '' ? 'a top-level section' : `a field of ${objPath}`;
        out.push({
          path: [...path, key],
          message: guess ? `unknown key, did you mean \`${guess}\`?` : `unknown key (not ${where})`,
          input: undefined,
          hasInput: false,
        });
      }
      continue;
    }
    const hasInput = 'input' in iss;
    out.push({ path, message: iss.message, input: (iss as { input?: unknown }).input, hasInput });
  }
}

/** One line for all problems of a failed parse: `<file>: <key>: expected …, got …; <key>: …`. */
export function formatConfigIssues(issues: readonly z.core.$ZodIssue[], configLabel: string, maxProblems = 5): string {
  const flat: FlatIssue[] = [];
  flattenIssues(issues, [], flat, ConfigFileSchema);
  const parts: string[] = [];
  const seen = new Set<string>();
  for (const f of flat) {
    const key = formatKeyPath(f.path) || '(top level)';
    // A trailing "(did you mean `x`?)" hint goes after the value: `expected …, got "gausian" (did you mean …?)`.
    const m = /^(expected .*?)( \(did you mean `[^`]*`\?\))?$/.exec(f.message);
    const text = m
      ? `${key}: ${m[1]}, got ${f.hasInput ? formatValue(f.input) : formatValue(undefined)}${m[2] ?? ''}`
      : `${key}: ${f.message}`;
    if (seen.has(text)) continue;
    seen.add(text);
    parts.push(text);
  }
  const shown = parts.slice(0, maxProblems);
  const more = parts.length > maxProblems ? `; (${parts.length - maxProblems} more problem${parts.length - maxProblems === 1 ? '' : 's'})` : '';
  return `${configLabel}: ${shown.join('; ')}${more}`;
}

// ---------------------------------------------------------------------------------------------
// snake_case file → camelCase AnalysisConfig
// ---------------------------------------------------------------------------------------------

function toModelConfig(m: ModelOut): ModelConfig {
  return {
    modelNameOrPath: m.model_name_or_path,
    segmentationMethod: m.segmentation_method,
    diameter: m.diameter,
    do3d: m.do_3d,
    zAxis: m.z_axis,
    channelAxis: m.channel_axis,
    cellprobThreshold: m.cellprob_threshold,
    flowThreshold: m.flow_threshold,
    anisotropy: m.anisotropy,
    flow3dSmooth: m.flow3d_smooth,
    prefilter: m.prefilter,
    prefilterSigmaXy: m.prefilter_sigma_xy,
    prefilterSigmaZ: m.prefilter_sigma_z,
    prefilterMedianSizeXy: m.prefilter_median_size_xy,
    prefilterMedianSizeZ: m.prefilter_median_size_z,
    zCrop: m.z_crop === null ? null : [m.z_crop[0], m.z_crop[1]],
    zProjection: m.z_projection,
    thresholdPercentile: m.threshold_percentile,
    thresholdBackgroundSigma: m.threshold_background_sigma,
    thresholdMinObjectVoxels: m.threshold_min_object_voxels,
    thresholdMinHoleVoxels: m.threshold_min_hole_voxels,
    thresholdApplyClosing: m.threshold_apply_closing,
    postfilters: m.postfilters,
    postfilterMinObjectVoxels: m.postfilter_min_object_voxels,
    minIntensityMeasure: m.min_intensity_measure,
    minIntensityThreshold: m.min_intensity_threshold,
    localContrastK: m.local_contrast_k,
    localContrastShellInnerRadius: m.local_contrast_shell_inner_radius,
    localContrastShellOuterRadius: m.local_contrast_shell_outer_radius,
    brightPixelMeasure: m.bright_pixel_measure,
    brightPixelThreshold: m.bright_pixel_threshold,
    brightPixelMinCount: m.bright_pixel_min_count,
    brightPixelMinFraction: m.bright_pixel_min_fraction,
  };
}

/**
 * Converts a parsed file into the resolved config. `resolvePath` turns a path written in the file into an
 * absolute one (relative to the config file's folder; see `load-config.ts`).
 */
export function toAnalysisConfig(
  c: ConfigFileOutput,
  configPath: string | null,
  resolvePath: (p: string) => string,
): AnalysisConfig {
  const sc = c.single_channel_config;
  const singleChannel =
    sc === null
      ? null
      : {
          channelIndex: sc.channel_index,
          modelConfig: toModelConfig(c.model_config ?? ModelConfigSchema.parse({})),
          minObjectVoxels: (c.analysis_config ?? SingleChannelAnalysisConfigSchema.parse({})).min_object_voxels,
        };
  // Without channel_config (single-channel file), both roles point at the counted channel so that the
  // resolved type stays total; the single-channel workflow (pipeline/single-channel.ts) never reads them.
  const cc = c.channel_config ?? { cell_channel: sc!.channel_index, marker_channel: sc!.channel_index, optional_region_channel: null };
  const rois: RoiSpec =
    c.rois === 'full'
      ? { kind: 'full' }
      : c.rois.label_image !== undefined
        ? { kind: 'label_image', path: resolvePath(c.rois.label_image) }
        : { kind: 'shapes', shapes: c.rois.shapes!.map((s) => ({ type: s.type, data: s.data.map(([y, x]) => [y, x] as [number, number]) })) };
  const col = c.colocalization_config;
  const rt = c.runtime_config;
  const crop = rt.crop_for_testing;
  return {
    configPath,
    image: typeof c.image === 'string' ? resolvePath(c.image) : c.image.map(resolvePath),
    resultsDir: c.results_dir === null ? null : resolvePath(c.results_dir),
    voxelScaleZyx:
      c.voxel_scale_zyx === null
        ? null
        : c.voxel_scale_zyx.length === 3
          ? [c.voxel_scale_zyx[0], c.voxel_scale_zyx[1], c.voxel_scale_zyx[2]]
          : [c.voxel_scale_zyx[0], c.voxel_scale_zyx[1]],
    channelConfig: {
      cellChannel: cc.cell_channel,
      markerChannel: cc.marker_channel,
      optionalRegionChannel: cc.optional_region_channel,
    },
    displayNames: {
      cell: c.display_names.cell,
      marker: c.display_names.marker,
      optionalRegion: c.display_names.optional_region,
      positiveCells: c.display_names.positive_cells,
    },
    cellModelConfig: toModelConfig(c.cell_model_config),
    markerModelConfig: toModelConfig(c.marker_model_config),
    optionalRegionModelConfig: c.optional_region_model_config === null ? null : toModelConfig(c.optional_region_model_config),
    colocalizationConfig: {
      minCellVoxels: col.min_cell_voxels,
      overlapFractionThreshold: col.overlap_fraction_threshold,
      minOverlapVoxels: col.min_overlap_voxels,
      evaluateOptionalRegionCellPositivity: col.evaluate_optional_region_cell_positivity,
      positivityRule: col.positivity_rule,
    },
    runtimeConfig: {
      drawRois: rt.draw_rois,
      processRois: rt.process_rois,
      openResults: rt.open_results,
      useGpu: rt.use_gpu,
      cropForTesting:
        crop === null
          ? null
          : [
              [crop[0][0], crop[0][1]],
              [crop[1][0], crop[1][1]],
              [crop[2][0], crop[2][1]],
            ],
      imageLoadingMode: rt.image_loading_mode,
      t: rt.t,
    },
    rois,
    singleChannel,
  };
}

/**
 * Validates an in-memory config object (snake_case, as in a file) and returns the resolved config.
 * Throws ONE `configError` naming every problem (`<configLabel>: <key.path>: expected …, got …; …`).
 */
export function parseConfigWithSchema(
  obj: unknown,
  configPath: string | null,
  resolvePath: (p: string) => string,
): AnalysisConfig {
  const label = configPath ?? 'config';
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw configError(`${label}: expected a mapping of sections (image, channel_config, ...) at the top level, got ${obj === null || obj === undefined ? 'an empty document' : formatValue(obj)}`);
  }
  const r = ConfigFileSchema.safeParse(obj, { reportInput: true });
  if (!r.success) throw configError(formatConfigIssues(r.error.issues, label));
  return toAnalysisConfig(r.data, configPath, resolvePath);
}

// ---------------------------------------------------------------------------------------------
// Defaults for library users
// ---------------------------------------------------------------------------------------------

/** spec 2.4 defaults (`segmentation_method` cellpose, no model name), optionally overridden. */
export function defaultModelConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return { ...toModelConfig(ModelConfigSchema.parse({})), ...overrides };
}

/** spec 2.5 defaults plus `positivityRule: 'best_object'`. */
export function defaultColocalizationConfig(overrides: Partial<ColocalizationConfig> = {}): ColocalizationConfig {
  const c = ColocalizationConfigSchema.parse({});
  return {
    minCellVoxels: c.min_cell_voxels,
    overlapFractionThreshold: c.overlap_fraction_threshold,
    minOverlapVoxels: c.min_overlap_voxels,
    evaluateOptionalRegionCellPositivity: c.evaluate_optional_region_cell_positivity,
    positivityRule: c.positivity_rule,
    ...overrides,
  };
}

/** spec 2.8 defaults plus `t: 0`. */
export function defaultRuntimeConfig(overrides: Partial<RuntimeConfig> = {}): RuntimeConfig {
  const r = RuntimeConfigSchema.parse({});
  return {
    drawRois: r.draw_rois,
    processRois: r.process_rois,
    openResults: r.open_results,
    useGpu: r.use_gpu,
    cropForTesting: null,
    imageLoadingMode: r.image_loading_mode,
    t: r.t,
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Checks that need more than the file
// ---------------------------------------------------------------------------------------------

/**
 * Fields accepted by the schema but implemented by later issues: throws `notSupported` naming the key
 * path when one is set. Called by the workflow before any work (the loader stays pure).
 */
export function assertSupported(config: AnalysisConfig): void {
  const label = config.configPath ?? 'config';
  const fail = (key: string, what: string, value: unknown) => {
    throw notSupported(`${label}: ${key}: ${what} is not supported yet, got ${formatValue(value)}`);
  };
  // Single-channel workflow (spec 13): only its own model config is used (the two-channel sections keep
  // their defaults and are ignored).
  const models: [string, ModelConfig][] = config.singleChannel
    ? [['model_config', config.singleChannel.modelConfig]]
    : [
        ['cell_model_config', config.cellModelConfig],
        ['marker_model_config', config.markerModelConfig],
      ];
  for (const [key, m] of models) {
    // z_crop / z_projection: supported (spec 12; normalised and checked against the image in pipeline/z-stack.ts).
  }
  if (!config.singleChannel) checkOptionalRegionConfig(config);
}

/**
 * Third channel (spec 11): its segmentation needs its image, and third-channel positivity needs both the
 * channel and its segmentation. Fix Q30: the original silently wrote all-False/0 positivity columns when
 * there were no third-channel masks; here that is a config error naming the key.
 */
export function checkOptionalRegionConfig(config: AnalysisConfig): void {
  const label = config.configPath ?? 'config';
  const noChannel = config.channelConfig.optionalRegionChannel === null;
  if (config.optionalRegionModelConfig !== null && noChannel) {
    throw configError(
      `${label}: optional_region_model_config: expected null when channel_config.optional_region_channel is null (there is no third-channel image to segment), got a model config`,
    );
  }
  if (config.colocalizationConfig.evaluateOptionalRegionCellPositivity) {
    const missing = noChannel
      ? 'channel_config.optional_region_channel is null'
      : config.optionalRegionModelConfig === null
        ? 'optional_region_model_config is null'
        : null;
    if (missing) {
      throw configError(
        `${label}: colocalization_config.evaluate_optional_region_cell_positivity: expected false when ${missing} (no third-channel masks to evaluate, Q30), got true`,
      );
    }
  }
}

/**
 * Checks every configured channel index against the image's channel count (spec 2.1, 3.2). Throws an
 * `InputError`: `<file>: channel_config.marker_channel: expected an index < 2 (the image has 2 channels), got 3`.
 */
export function checkChannelIndices(config: AnalysisConfig, channelCount: number): void {
  const label = config.configPath ?? 'config';
  const check = (key: string, c: number | null) => {
    if (c === null) return;
    if (!Number.isInteger(c) || c < 0 || c >= channelCount) {
      throw inputError(
        `${label}: ${key}: expected an index < ${channelCount} (the image has ${channelCount} channel${channelCount === 1 ? '' : 's'}), got ${c}`,
      );
    }
  };
  if (config.singleChannel) {
    check('single_channel_config.channel_index', config.singleChannel.channelIndex);
    return;
  }
  check('channel_config.cell_channel', config.channelConfig.cellChannel);
  check('channel_config.marker_channel', config.channelConfig.markerChannel);
  check('channel_config.optional_region_channel', config.channelConfig.optionalRegionChannel);
}

/** The model config section's fields, in order (for the example config and docs). */
export const MODEL_CONFIG_FIELDS = Object.keys(ModelConfigObject.shape);

/** Section schemas, exported for the example config generator and tests. */
export const SectionSchemas = {
  channel_config: ChannelConfigSchema,
  display_names: DisplayNamesSchema,
  model_config: ModelConfigObject,
  colocalization_config: ColocalizationConfigSchema,
  runtime_config: RuntimeConfigSchema,
  single_channel_config: SingleChannelConfigSchema,
  analysis_config: SingleChannelAnalysisConfigSchema,
} as const;
