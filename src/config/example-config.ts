/**
 * `exampleConfigYaml()`: a fully commented YAML config with every field of every section at its default
 * (`cellcoloc init`). Generated from the schema itself (descriptions and defaults are the schema's
 * `.meta()`), so it cannot drift from what the loader accepts; a test parses it back and compares it
 * with the defaults.
 *
 * `exampleConfigYaml(facts)` (`cellcoloc init --image FILE`): the same template with what the image says
 * filled in — channel count and names, 2D or 3D, voxel size — and starting values that suit that image
 * (`initSettingsFor`). The comments speak to the person at the microscope; spec and quirk ids stay in the
 * README's differences table.
 */
import YAML from 'yaml';
import type { z } from 'zod';
import { ConfigFileSchema, SectionSchemas } from './schema.js';

interface FieldMeta {
  description?: string;
  default?: unknown;
}

function metaOf(schema: z.ZodType): FieldMeta {
  return (schema.meta() ?? {}) as FieldMeta;
}

/** One YAML value in flow style (`null`, `0.4`, `[1, 2]`, `Cells`). */
function yamlValue(v: unknown): string {
  return YAML.stringify(v, { flowCollectionPadding: false, collectionStyle: 'flow' }).trimEnd();
}

/** Placeholders for the required fields (they have no default). */
const REQUIRED_EXAMPLES: Record<string, unknown> = {
  image: 'image.ome.tif',
  cell_channel: 0,
  marker_channel: 1,
  channel_index: 0,
};

/**
 * Fields the example sets away from their default so that `cellcoloc init` gives a config that runs without
 * anything else: the original's default method is `cellpose`, which needs a converted model file.
 */
const RUNNABLE_EXAMPLES: Record<string, unknown> = {
  segmentation_method: 'otsu',
};

/** A value set away from the default, with the reason shown in its comment. */
interface Override {
  value: unknown;
  why: string;
}
type Overrides = Record<string, Override>;

function sectionLines(schema: z.ZodObject, indent: string, overrides: Overrides = {}): string[] {
  const lines: string[] = [];
  for (const [key, field] of Object.entries(schema.shape)) {
    const meta = metaOf(field as z.ZodType);
    const required = !('default' in meta);
    let value: unknown;
    let note = '';
    if (key in overrides) {
      value = overrides[key].value;
      note = required ? ` (required; ${overrides[key].why})` : ` (default ${yamlValue(meta.default)}; ${overrides[key].why})`;
    } else if (key in RUNNABLE_EXAMPLES) {
      value = RUNNABLE_EXAMPLES[key];
      note = ` (default ${yamlValue(meta.default)}, which needs a Cellpose model file; otsu needs none)`;
    } else {
      value = 'default' in meta ? meta.default : REQUIRED_EXAMPLES[key];
    }
    const req = required ? (key in overrides ? '' : ' (required)') : '';
    lines.push(`${indent}# ${meta.description ?? key}${req}${note}`);
    lines.push(`${indent}${key}: ${yamlValue(value)}`);
  }
  return lines;
}

function topDoc(key: string): string {
  return metaOf(ConfigFileSchema.shape[key as keyof typeof ConfigFileSchema.shape] as z.ZodType).description ?? key;
}

/** What `cellcoloc init --image` reads from the image (no pixels, only the metadata). */
export interface ImageFacts {
  /** The image path as written into the config (relative to the config's folder where possible). */
  image: string;
  /** Number of channels (C). */
  channels: number;
  /** Number of z planes (1 = 2D). */
  planes: number;
  /** Height and width in pixels. */
  height: number;
  width: number;
  /** Time points (T); the analysis uses `runtime_config.t`. */
  timePoints: number;
  /** Sample type, e.g. uint16. */
  dtype: string;
  /** Channel names from the OME / file metadata ('' = unnamed), one per channel. */
  channelNames: string[];
  /** Voxel size from the metadata in µm `[z, y, x]`; null entries are not recorded in the file. */
  voxelSizeUm: [number | null, number | null, number | null];
}

/** The starting values `init --image` writes, and why (shown in the comments). */
export interface InitSettings {
  is3d: boolean;
  cellChannel: number;
  markerChannel: number;
  voxelScaleZyx: number[] | null;
  /** Smallest cell kept, in voxels (pixels in 2D). */
  minCellVoxels: number;
  minCellWhy: string;
  /** Gaussian prefilter z sigma in planes (3D with a known z step), else null = the in-plane sigma. */
  prefilterSigmaZ: number | null;
}

/** Stains that mark nuclei: the usual "cell" channel of a nuclear-marker experiment. */
const NUCLEAR_STAIN = /dapi|hoechst|\bdna\b|nucle|h2b|draq5|sytox|to-?pro|\bpi\b|propidium/i;

/**
 * Smallest cell kept: a nucleus-sized object well below a typical nucleus. With a known pixel size, a disc
 * (2D) or ball (3D) of 5 µm diameter (typical mammalian nuclei are 8–15 µm across); without one, 30 pixels
 * (2D) or 100 voxels (3D) — about a quarter of a nucleus of 11 px diameter (~95 px, the HT29 demo image).
 */
function minCellSize(is3d: boolean, v: [number | null, number | null, number | null]): { voxels: number; why: string } {
  const [vz, vy, vx] = v;
  const r = 2.5; // µm
  if (vy !== null && vx !== null && (!is3d || vz !== null)) {
    const um = is3d ? (4 / 3) * Math.PI * r ** 3 : Math.PI * r * r;
    const per = is3d ? vz! * vy * vx : vy * vx;
    const voxels = Math.max(1, Math.round(um / per));
    return { voxels, why: `a ${is3d ? 'ball' : 'disc'} of 5 µm diameter at this image's voxel size` };
  }
  return is3d
    ? { voxels: 100, why: 'about a quarter of a small nucleus; the voxel size is not in the file' }
    : { voxels: 30, why: 'about a quarter of a nucleus of 11 px diameter; the pixel size is not in the file' };
}

export function initSettingsFor(f: ImageFacts): InitSettings {
  const is3d = f.planes > 1;
  const named = f.channelNames.findIndex((n) => NUCLEAR_STAIN.test(n));
  const cellChannel = named >= 0 ? named : 0;
  const markerChannel = cellChannel === 0 ? Math.min(1, f.channels - 1) : 0;
  const [vz, vy, vx] = f.voxelSizeUm;
  let voxelScaleZyx: number[] | null = null;
  if (vy !== null && vx !== null) voxelScaleZyx = is3d ? (vz !== null ? [vz, vy, vx] : null) : [vy, vx];
  const min = minCellSize(is3d, f.voxelSizeUm);
  // Same physical smoothing along z as in the plane: sigma_z (planes) = sigma_xy (px) · pixel size / z step.
  const prefilterSigmaZ = is3d && vz !== null && vy !== null ? Math.round((1.0 * vy * 100) / vz) / 100 : null;
  return { is3d, cellChannel, markerChannel, voxelScaleZyx, minCellVoxels: min.voxels, minCellWhy: min.why, prefilterSigmaZ };
}

function channelCommentLines(f: ImageFacts): string[] {
  const lines = [`# The image has ${f.channels} channel${f.channels === 1 ? '' : 's'}:`];
  for (let c = 0; c < f.channels; c++) {
    const n = f.channelNames[c];
    lines.push(`#   channel ${c}: ${n ? JSON.stringify(n) : '(no name in the file)'}`);
  }
  return lines;
}

function imageSummary(f: ImageFacts): string {
  const [vz, vy, vx] = f.voxelSizeUm;
  const size = f.planes > 1 ? `${f.planes} z planes of ${f.height} × ${f.width} px (3D)` : `${f.height} × ${f.width} px (2D)`;
  const fmt = (v: number | null) => (v === null ? '?' : String(v));
  const voxel =
    vy === null || vx === null
      ? 'pixel size not recorded in the file'
      : f.planes > 1
        ? `voxel ${fmt(vz)} × ${fmt(vy)} × ${fmt(vx)} µm (z × y × x)`
        : `pixel ${fmt(vy)} × ${fmt(vx)} µm`;
  const t = f.timePoints > 1 ? `, ${f.timePoints} time points (runtime_config.t picks one)` : '';
  return `# ${f.image}: ${size}, ${f.dtype}, ${voxel}${t}.`;
}

function segmentationOverrides(s: InitSettings): Overrides {
  const o: Overrides = {
    prefilter: { value: ['gaussian'], why: 'a light Gaussian smoothing stops noise from splitting objects into fragments' },
  };
  if (s.prefilterSigmaZ !== null) {
    o.prefilter_sigma_z = { value: s.prefilterSigmaZ, why: 'the same smoothing in µm along z as in the plane' };
  }
  return o;
}

/**
 * `init --image` on a 2D image: the nuclei channel is offered the built-in nuclei network (issue 22,
 * models/README.md) as a commented alternative; the written config stays on the threshold method (fast, no model).
 */
function nucleiModelHint(s: InitSettings): string[] {
  if (s.is3d) return [];
  return [
    '# For nuclei (Hoechst/DAPI) the built-in network usually beats a threshold, with nothing to install: set',
    '#   segmentation_method: cellpose, model_name_or_path: cellcoloc-nuclei, diameter: null',
    '# (trained on ~28 px nuclei; for other sizes set diameter to the typical nucleus diameter in px; models/README.md).',
  ];
}

function voxelLine(f: ImageFacts, s: InitSettings): string[] {
  const doc = `# ${topDoc('voxel_scale_zyx')}`;
  if (s.voxelScaleZyx) return [doc, `# (read from the image)`, `voxel_scale_zyx: ${yamlValue(s.voxelScaleZyx)}`];
  const what = s.is3d && f.voxelSizeUm[1] !== null ? 'the z step is' : 'the pixel size is';
  return [
    doc,
    `# ${what} not recorded in the image: enter it from the microscope, e.g. ${s.is3d ? '[1.0, 0.5, 0.5]' : '[0.5, 0.5]'};`,
    '# without it the areas and volumes are in pixel units (1 µm assumed, with a warning).',
    'voxel_scale_zyx: null',
  ];
}

const ROI_LINES = [
  '# Alternatives (pixel units, [y, x] vertices in napari\'s shapes layout; ROI ids follow the list order):',
  '#   rois: {label_image: results/image.ome_roi_labelmask.tif}   # a saved uint16 ROI label TIFF',
  '#   rois:',
  '#     shapes:',
  '#       - {type: polygon, data: [[10, 10], [10, 120], [90, 60]]}',
  '#       - {type: rectangle, data: [[100, 10], [200, 10], [200, 80], [100, 80]]}',
  '#       - {type: ellipse, data: [[100, 100], [200, 100], [200, 180], [100, 180]]}   # bounding-box corners',
  '#   or draw them in the viewer: cellcoloc view <this file>',
  'rois: full',
];

/** The single-channel (object counting) config for a one-channel image. */
function singleChannelYaml(f: ImageFacts, s: InitSettings): string {
  return [
    '# CellColoc config: count objects in one channel (the image has a single channel).',
    imageSummary(f),
    '# Every field is shown; those not mentioned are at their defaults. Remove what you do not change.',
    '# Relative paths resolve against the folder of this file. Run with: cellcoloc run <this file>',
    '',
    `# ${topDoc('image')} (required)`,
    `image: ${yamlValue(f.image)}`,
    `# ${topDoc('results_dir')}`,
    'results_dir: null',
    ...voxelLine(f, s),
    `# ${topDoc('resolution_level')}`,
    'resolution_level: 0',
    '',
    ...channelCommentLines(f),
    `# ${topDoc('single_channel_config')}`,
    'single_channel_config:',
    ...sectionLines(SectionSchemas.single_channel_config, '  '),
    '',
    `# ${topDoc('model_config')}`,
    ...nucleiModelHint(s),
    'model_config:',
    ...sectionLines(SectionSchemas.model_config, '  ', segmentationOverrides(s)),
    '',
    `# ${topDoc('analysis_config')}`,
    'analysis_config:',
    ...sectionLines(SectionSchemas.analysis_config, '  ', { min_object_voxels: { value: s.minCellVoxels, why: s.minCellWhy } }),
    '',
    `# ${topDoc('runtime_config')}`,
    'runtime_config:',
    ...sectionLines(SectionSchemas.runtime_config, '  '),
    '',
    `# ${topDoc('rois')}`,
    ...ROI_LINES,
    '',
  ].join('\n');
}

export function exampleConfigYaml(facts?: ImageFacts): string {
  const s = facts ? initSettingsFor(facts) : null;
  if (facts && s && facts.channels === 1) return singleChannelYaml(facts, s);
  const head = facts && s
    ? [
        '# CellColoc config: object-based colocalisation of a cell channel and a marker channel.',
        imageSummary(facts),
        '# The channels, the voxel size and a few starting values (their comments say why) come from the image;',
        '# every other field is at its default. Check the channel choice, then: cellcoloc run <this file>',
        '# Relative paths resolve against the folder of this file. Names are case-insensitive.',
      ]
    : [
        '# CellColoc config: object-based colocalisation of a cell channel and a marker channel.',
        '# Sections and fields are those of the original Python CellColoc config classes (snake_case);',
        '# every field below is shown at its default (except where a comment says otherwise). Remove what you do not change.',
        '# Relative paths resolve against the folder of this file. Names are case-insensitive.',
        '# Tip: `cellcoloc init --image <your image>` fills in the channels and the voxel size from the image.',
        '# Run with: cellcoloc run <this file>',
      ];
  const channelOverrides: Overrides = {};
  if (facts && s) {
    const name = (c: number) => (facts.channelNames[c] ? ` ${JSON.stringify(facts.channelNames[c])}` : '');
    const cellWhy = NUCLEAR_STAIN.test(facts.channelNames[s.cellChannel] ?? '') ? 'its name suggests a nuclear stain' : 'the first channel';
    channelOverrides.cell_channel = { value: s.cellChannel, why: `channel ${s.cellChannel}${name(s.cellChannel)}: ${cellWhy}` };
    channelOverrides.marker_channel = { value: s.markerChannel, why: `channel ${s.markerChannel}${name(s.markerChannel)}` };
  }
  const model = s ? segmentationOverrides(s) : {};
  const coloc: Overrides = s ? { min_cell_voxels: { value: s.minCellVoxels, why: s.minCellWhy } } : {};
  const third =
    facts && facts.channels > 2
      ? [`# This image has ${facts.channels} channels: to segment a third one, set channel_config.optional_region_channel`, '# and optional_region_model_config: {segmentation_method: otsu, prefilter: gaussian}.']
      : [];
  const out: string[] = [
    ...head,
    '',
    `# ${topDoc('image')} (required)`,
    `image: ${yamlValue(facts ? facts.image : REQUIRED_EXAMPLES.image)}`,
    `# ${topDoc('results_dir')}`,
    'results_dir: null',
    ...(facts && s ? voxelLine(facts, s) : [`# ${topDoc('voxel_scale_zyx')}`, 'voxel_scale_zyx: null']),
    `# ${topDoc('resolution_level')}`,
    'resolution_level: 0',
    '',
    ...(facts ? channelCommentLines(facts) : []),
    `# ${topDoc('channel_config')}`,
    'channel_config:',
    ...sectionLines(SectionSchemas.channel_config, '  ', channelOverrides),
    '',
    `# ${topDoc('display_names')}`,
    'display_names:',
    ...sectionLines(SectionSchemas.display_names, '  ', displayNameOverrides(facts, s)),
    '',
    `# ${topDoc('cell_model_config')}`,
    ...(s ? nucleiModelHint(s) : []),
    'cell_model_config:',
    ...sectionLines(SectionSchemas.model_config, '  ', model),
    '',
    `# ${topDoc('marker_model_config')}; same fields as cell_model_config`,
    'marker_model_config:',
    ...sectionLines(SectionSchemas.model_config, '  ', model),
    '',
    ...third,
    `# ${topDoc('optional_region_model_config')}`,
    'optional_region_model_config: null',
    '',
    `# ${topDoc('colocalization_config')}`,
    'colocalization_config:',
    ...sectionLines(SectionSchemas.colocalization_config, '  ', coloc),
    '',
    `# ${topDoc('intensity_colocalization_config')}`,
    'intensity_colocalization_config:',
    ...sectionLines(SectionSchemas.intensity_colocalization_config, '  '),
    '',
    `# ${topDoc('runtime_config')}`,
    'runtime_config:',
    ...sectionLines(SectionSchemas.runtime_config, '  '),
    '',
    `# ${topDoc('rois')}`,
    ...ROI_LINES,
    '',
  ];
  if (!facts) {
    out.push(
      '# Counting objects in one channel instead of the two-channel workflow: remove channel_config and set',
      '# single_channel_config: {channel_index: 1}, model_config: {segmentation_method: otsu, ...} (the fields of',
      '# cell_model_config), analysis_config: {min_object_voxels: 50}. See docs/single-channel.md.',
      `# ${topDoc('single_channel_config')}`,
      'single_channel_config: null',
      `# ${topDoc('model_config')}`,
      'model_config: null',
      `# ${topDoc('analysis_config')}`,
      'analysis_config: null',
      '',
    );
  }
  return out.join('\n');
}

/** The image's own channel names become the viewer's layer names. */
function displayNameOverrides(facts: ImageFacts | undefined, s: InitSettings | null): Overrides {
  if (!facts || !s) return {};
  const o: Overrides = {};
  const cell = facts.channelNames[s.cellChannel];
  const marker = facts.channelNames[s.markerChannel];
  if (cell) o.cell = { value: cell, why: 'the channel name in the image' };
  if (marker) o.marker = { value: marker, why: 'the channel name in the image' };
  return o;
}
