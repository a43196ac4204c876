/**
 * The config file schema (zod@4): sections and fields are the original's config dataclasses and field
 * names in snake_case (spec 2), with the defaults of spec 2, the original's string normalisation
 * (strip + lowercase, aliases), range checks and cross-field rules. `toAnalysisConfig` turns a parsed file
 * into the camelCase `AnalysisConfig` of `types.ts`; `formatConfigIssues` turns zod issues into ONE line.
 *
 * This module does no I/O (no `node:fs`): file reading, path resolution and existence checks live in
 * `load-config.ts`.
 *
 * The schema lives in `schema/` split by concern: `fields.ts` (field helpers), `sections.ts` (the sections),
 * `file.ts` (the whole file), `issues.ts` (one-line error formatting), `convert.ts` (→ AnalysisConfig,
 * defaults), `checks.ts` (checks that need the image). This module re-exports their public API.
 */
export { closestName } from './schema/fields.js';
export {
  SEGMENTATION_METHODS,
  PREFILTER_NAMES,
  PREFILTER_ALIASES,
  POSTFILTER_NAMES,
  POSTFILTER_ALIASES,
  Z_PROJECTION_METHODS,
} from './schema/sections.js';
export { ConfigFileSchema, configJsonSchema, type ConfigFileInput, type ConfigFileOutput } from './schema/file.js';
export { formatKeyPath, formatValue, formatConfigIssues } from './schema/issues.js';
export {
  toAnalysisConfig,
  parseConfigWithSchema,
  defaultModelConfig,
  defaultColocalizationConfig,
  defaultRuntimeConfig,
  defaultIntensityColocalizationConfig,
} from './schema/convert.js';
export { assertSupported, checkOptionalRegionConfig, checkChannelIndices } from './schema/checks.js';
import { ModelConfigObject, ChannelConfigSchema, DisplayNamesSchema, ColocalizationConfigSchema, IntensityColocalizationConfigSchema, RuntimeConfigSchema, SingleChannelConfigSchema, SingleChannelAnalysisConfigSchema } from './schema/sections.js';

/** The model config section's fields, in order (for the example config and docs). */
export const MODEL_CONFIG_FIELDS = Object.keys(ModelConfigObject.shape);

/** Section schemas, exported for the example config generator and tests. */
export const SectionSchemas = {
  channel_config: ChannelConfigSchema,
  display_names: DisplayNamesSchema,
  model_config: ModelConfigObject,
  colocalization_config: ColocalizationConfigSchema,
  intensity_colocalization_config: IntensityColocalizationConfigSchema,
  runtime_config: RuntimeConfigSchema,
  single_channel_config: SingleChannelConfigSchema,
  analysis_config: SingleChannelAnalysisConfigSchema,
} as const;
