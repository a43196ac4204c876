/**
 * Channels given by name (`channel_config.cell_channel: DAPI`, issue 20.2): resolved to indices against the
 * image's own channel names — OME-TIFF `Channel Name`, OME-Zarr `omero.channels[].label`, or the file names of
 * stacked single-channel files are not names (only the OME metadata counts). An exact match wins, then a
 * case-insensitive one; an unknown or ambiguous name is one error listing the image's channels.
 */
import { inputError } from '../core/errors.js';
import { openImageStack } from '../io/image-stack.js';
import type { AnalysisConfig } from './types.js';

/** True when some channel of the config is still given by name (index −1). */
export function hasUnresolvedChannelNames(config: AnalysisConfig): boolean {
  const n = config.channelConfig.names;
  return !!config.singleChannel?.channelName && config.singleChannel.channelIndex < 0
    ? true
    : !!n &&
        ((n.cellChannel !== undefined && config.channelConfig.cellChannel < 0) ||
          (n.markerChannel !== undefined && config.channelConfig.markerChannel < 0) ||
          (n.optionalRegionChannel !== undefined && (config.channelConfig.optionalRegionChannel ?? 0) < 0));
}

/** Index of `name` among `available` (exact, then case-insensitive); throws naming the key and the channels. */
export function channelIndexByName(name: string, available: readonly string[], key: string, where: string): number {
  const exact = available.indexOf(name);
  if (exact >= 0) return exact;
  const lower = name.toLowerCase();
  const hits = available.flatMap((a, i) => (a.toLowerCase() === lower ? [i] : []));
  if (hits.length === 1) return hits[0];
  const list = available.some((a) => a !== '') ? available.map((a, i) => `${i}: ${a === '' ? '(no name)' : JSON.stringify(a)}`).join(', ') : 'none (the image has no channel names: use indices)';
  throw inputError(`${where}: ${key}: ${hits.length > 1 ? `channel name ${JSON.stringify(name)} matches several channels` : `no channel named ${JSON.stringify(name)}`}; the image's channels are ${list}`);
}

/**
 * The config with every channel name replaced by its index (the image's metadata is read, no pixels); the same
 * object when nothing is given by name.
 */
export async function resolveChannelNames(config: AnalysisConfig): Promise<AnalysisConfig> {
  if (!hasUnresolvedChannelNames(config)) return config;
  const stack = await openImageStack(config.image, { resolutionLevel: config.resolutionLevel });
  const where = config.configPath ?? (typeof config.image === 'string' ? config.image : config.image.join(', '));
  const names = stack.channelNames;
  if (config.singleChannel?.channelName !== undefined && config.singleChannel.channelIndex < 0) {
    const channelIndex = channelIndexByName(config.singleChannel.channelName, names, 'single_channel_config.channel_index', where);
    return { ...config, singleChannel: { ...config.singleChannel, channelIndex }, channelConfig: { ...config.channelConfig, cellChannel: channelIndex, markerChannel: channelIndex } };
  }
  const cc = { ...config.channelConfig };
  const n = cc.names ?? {};
  if (n.cellChannel !== undefined) cc.cellChannel = channelIndexByName(n.cellChannel, names, 'channel_config.cell_channel', where);
  if (n.markerChannel !== undefined) cc.markerChannel = channelIndexByName(n.markerChannel, names, 'channel_config.marker_channel', where);
  if (n.optionalRegionChannel !== undefined) cc.optionalRegionChannel = channelIndexByName(n.optionalRegionChannel, names, 'channel_config.optional_region_channel', where);
  return { ...config, channelConfig: cc };
}
