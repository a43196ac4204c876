/**
 * Test-only: turns a fixture's `config.json` (the record of the original's call, `_class` = its dataclass)
 * into our resolved `AnalysisConfig`, through the same schema as a user's config file.
 * ROI mode `shapes` becomes `{kind: 'label_image', path: <case>/expected/roi_labels.tif}` so parity tests
 * use the original's raster.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AnalysisConfig } from '../../src/config/types.js';
import { parseConfigObject } from '../../src/config/load-config.js';

type Rec = Record<string, unknown>;

/** Drops the `_class` tag of a dataclass record. */
function fields(o: unknown): Rec | null {
  if (o === null || o === undefined) return null;
  const { _class, ...rest } = o as Rec;
  void _class;
  return rest;
}

export interface FixtureConfigOptions {
  /**
   * Output folder. Default null = the original's `<image folder>/results`, i.e. inside the committed fixture:
   * tests that export must pass a temporary folder.
   */
  resultsDir?: string | null;
}

export function fixtureConfigObject(caseDir: string, options: FixtureConfigOptions = {}): Rec {
  const dir = resolve(caseDir);
  const rec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Rec;
  const input = rec.input as Rec;
  const load = rec.load as Rec;
  const roi = rec.roi as Rec;
  const runtime = fields(rec.runtime_config)!;
  // The loader's crop argument is recorded in `load`; in our file it lives in runtime_config.
  if (load.crop_for_testing !== null && load.crop_for_testing !== undefined) runtime.crop_for_testing = load.crop_for_testing;

  const obj: Rec = {
    image: join(dir, String(input.file)),
    results_dir: options.resultsDir ?? null,
    voxel_scale_zyx: load.voxel_scale_zyx ?? null,
    runtime_config: runtime,
  };
  const channel = rec.channel_config as Rec;
  if (channel._class === 'SingleChannelConfig') {
    obj.single_channel_config = fields(channel);
    obj.model_config = fields(rec.model_config);
    obj.analysis_config = fields(rec.analysis_config);
  } else {
    obj.channel_config = fields(channel);
    obj.cell_model_config = fields(rec.cell_model_config);
    obj.marker_model_config = fields(rec.marker_model_config);
    obj.optional_region_model_config = fields(rec.optional_region_model_config);
    obj.colocalization_config = fields(rec.colocalization_config);
  }
  // Cellpose cases: the original loaded a torch file (`model_name_or_path`); the exact weights are in the case
  // folder as ONNX (`onnx_models`: channel -> file), which is what our network stage reads.
  const onnx = rec.onnx_models as Record<string, string> | undefined;
  if (onnx) {
    for (const [channel, file] of Object.entries(onnx)) {
      const section = channel === 'single' || channel === 'model' ? obj.model_config : obj[`${channel}_model_config`];
      if (section && typeof section === 'object') (section as Rec).model_name_or_path = join(dir, file);
    }
  }
  switch (roi.mode) {
    case 'full_image':
      obj.rois = 'full';
      break;
    case 'shapes':
      obj.rois = { label_image: join(dir, 'expected', 'roi_labels.tif') };
      break;
    default:
      throw new Error(`${dir}/config.json: unknown roi.mode ${JSON.stringify(roi.mode)}`);
  }
  return obj;
}

/** The fixture's original call as our resolved config (validated by the config schema). */
export function configFromFixture(caseDir: string, options: FixtureConfigOptions = {}): AnalysisConfig {
  return parseConfigObject(fixtureConfigObject(caseDir, options), join(resolve(caseDir), 'config.json'));
}
