/**
 * Checks that need more than the file (the image's channel count, feature support).
 */
import { configError, inputError, notSupported } from '../../core/errors.js';
import type { AnalysisConfig, ModelConfig } from '../types.js';
import { formatValue } from './issues.js';

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
