/**
 * `exampleConfigYaml()`: a fully commented YAML config with every field of every section at its default
 * (`cellcoloc init`). Generated from the schema itself (descriptions and defaults are the schema's
 * `.meta()`), so it cannot drift from what the loader accepts; a test parses it back and compares it
 * with the defaults.
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
 * Fields the example sets away from their default so that `cellcoloc init` gives a config that runs:
 * the original's default method is `cellpose`, whose backend is not available on the command line yet.
 */
const RUNNABLE_EXAMPLES: Record<string, unknown> = {
  segmentation_method: 'otsu',
};

function sectionLines(schema: z.ZodObject, indent: string): string[] {
  const lines: string[] = [];
  for (const [key, field] of Object.entries(schema.shape)) {
    const meta = metaOf(field as z.ZodType);
    const runnable = key in RUNNABLE_EXAMPLES;
    const value = runnable ? RUNNABLE_EXAMPLES[key] : 'default' in meta ? meta.default : REQUIRED_EXAMPLES[key];
    const required = !('default' in meta);
    const note = runnable ? ` (default ${yamlValue(meta.default)}; this example uses ${yamlValue(value)} so that it runs)` : '';
    lines.push(`${indent}# ${meta.description ?? key}${required ? ' (required)' : ''}${note}`);
    lines.push(`${indent}${key}: ${yamlValue(value)}`);
  }
  return lines;
}

function topDoc(key: string): string {
  return metaOf(ConfigFileSchema.shape[key as keyof typeof ConfigFileSchema.shape] as z.ZodType).description ?? key;
}

export function exampleConfigYaml(): string {
  const out: string[] = [
    '# CellColoc config: object-based colocalisation of a cell channel and a marker channel.',
    '# Sections and fields are those of the original Python CellColoc config classes (snake_case);',
    '# every field below is shown at its default (except where a comment says otherwise). Remove what you do not change.',
    '# Relative paths resolve against the folder of this file. Names are case-insensitive.',
    '# Run with: cellcoloc run <this file>',
    '',
    `# ${topDoc('image')} (required)`,
    `image: ${yamlValue(REQUIRED_EXAMPLES.image)}`,
    `# ${topDoc('results_dir')}`,
    'results_dir: null',
    `# ${topDoc('voxel_scale_zyx')}`,
    'voxel_scale_zyx: null',
    '',
    `# ${topDoc('channel_config')}`,
    'channel_config:',
    ...sectionLines(SectionSchemas.channel_config, '  '),
    '',
    `# ${topDoc('display_names')}`,
    'display_names:',
    ...sectionLines(SectionSchemas.display_names, '  '),
    '',
    `# ${topDoc('cell_model_config')}`,
    'cell_model_config:',
    ...sectionLines(SectionSchemas.model_config, '  '),
    '',
    `# ${topDoc('marker_model_config')}; same fields as cell_model_config`,
    'marker_model_config:',
    ...sectionLines(SectionSchemas.model_config, '  '),
    '',
    `# ${topDoc('optional_region_model_config')}`,
    'optional_region_model_config: null',
    '',
    `# ${topDoc('colocalization_config')}`,
    'colocalization_config:',
    ...sectionLines(SectionSchemas.colocalization_config, '  '),
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
    '# Alternatives (pixel units, [y, x] vertices in napari\'s shapes layout; ROI ids follow the list order):',
    '#   rois: {label_image: results/image.ome_roi_labelmask.tif}   # a saved uint16 ROI label TIFF',
    '#   rois:',
    '#     shapes:',
    '#       - {type: polygon, data: [[10, 10], [10, 120], [90, 60]]}',
    '#       - {type: rectangle, data: [[100, 10], [200, 10], [200, 80], [100, 80]]}',
    '#       - {type: ellipse, data: [[100, 100], [200, 100], [200, 180], [100, 180]]}   # bounding-box corners',
    'rois: full',
    '',
    '# Single-channel counting workflow (spec 13) instead of the two-channel one: remove channel_config and set',
    '# single_channel_config: {channel_index: 1}, model_config: {segmentation_method: otsu, ...} (the fields of',
    '# cell_model_config), analysis_config: {min_object_voxels: 50}. See docs/single-channel.md.',
    `# ${topDoc('single_channel_config')}`,
    'single_channel_config: null',
    `# ${topDoc('model_config')}`,
    'model_config: null',
    `# ${topDoc('analysis_config')}`,
    'analysis_config: null',
    '',
  ];
  return out.join('\n');
}
