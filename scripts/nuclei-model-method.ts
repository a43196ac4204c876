/**
 * The built-in nuclei network as an evaluation method (issue 22): the single-channel workflow exactly as a user runs
 * it — `single_channel_config: {channel_index: 0}`, `model_config: {segmentation_method: cellpose,
 * model_name_or_path: cellcoloc-nuclei, diameter: null}`, `rois: full`, every other field at its default — with the
 * results written to a scratch folder that is removed afterwards. `npm run eval:nuclei` lists it as method
 * `cellcoloc-nuclei`; `--set model_config.key=value` overrides apply here too (e.g. a `diameter`, or
 * `model_name_or_path` pointing at another checkpoint).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigObject } from '../src/config/load-config.js';
import { runSingleChannelWorkflow } from '../src/pipeline/single-channel.js';

export function nucleiModelConfig(
  image: string,
  resultsDir: string,
  overrides: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const model: Record<string, unknown> = { segmentation_method: 'cellpose', model_name_or_path: 'cellcoloc-nuclei', diameter: null };
  const analysis: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(overrides)) {
    const [section, key] = k.split('.');
    if (section === 'model_config') model[key] = v;
    else if (section === 'analysis_config') analysis[key] = v;
    else throw new Error(`--set ${k}: expected model_config.<key> or analysis_config.<key>`);
  }
  return {
    image,
    results_dir: resultsDir,
    voxel_scale_zyx: [1.0, 1.0],
    single_channel_config: { channel_index: 0 },
    model_config: model,
    analysis_config: analysis,
    rois: 'full',
    ...extra,
  };
}

/** Label image (Y·X) of the built-in network through the single-channel workflow. */
export async function segmentWithNucleiModel(
  image: string,
  overrides: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<ArrayLike<number>> {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-nuclei-eval-'));
  try {
    const res = await runSingleChannelWorkflow(parseConfigObject(nucleiModelConfig(image, dir, overrides, extra)));
    return res.result.masks.data as ArrayLike<number>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function nucleiModelMethod(overrides: Record<string, unknown> = {}) {
  return {
    name: 'cellcoloc-nuclei',
    description: 'cellpose + built-in cellcoloc-nuclei network, diameter null (single-channel workflow, defaults)',
    segment: (imagePath: string) => segmentWithNucleiModel(imagePath, overrides),
  };
}
