/**
 * `cellcoloc run` for any config: the single-channel counting workflow when `single_channel_config` is set
 * (spec 13), the two-channel colocalisation otherwise. `run`, `demo` and every sample of `batch` go through here,
 * so a batch sample is exactly a run.
 */
import type { AnalysisConfig } from '../config/types.js';
import type { ProgressCallback } from './progress.js';
import { runWorkflow, type WorkflowResult } from './workflow.js';
import { runSingleChannelWorkflow, type SingleChannelWorkflowResult } from './single-channel.js';

export type ConfiguredRun =
  | { kind: 'two-channel'; run: WorkflowResult }
  | { kind: 'single-channel'; run: SingleChannelWorkflowResult };

export async function runConfiguredWorkflow(
  config: AnalysisConfig,
  options: { onProgress?: ProgressCallback; parallel?: 'auto' | boolean } = {},
): Promise<ConfiguredRun> {
  // A batch sample reads by region like `cellcoloc run` (only the ROIs' box of an OME-Zarr field).
  if (config.singleChannel) return { kind: 'single-channel', run: await runSingleChannelWorkflow(config, { onProgress: options.onProgress, regionReads: true }) };
  return { kind: 'two-channel', run: await runWorkflow(config, { regionReads: true, ...options }) };
}
