/**
 * Issue 15.3: filter sizes and radii are bounded relative to the analysed image as well as absolutely. The bound
 * is checked once the image is loaded, before any segmentation, with one line naming the config, the key, the
 * value, the image and the bound; the defaults pass on any image (1 × 1 included); earlier results untouched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigObject } from '../src/config/load-config.js';
import { checkParametersAgainstImage } from '../src/config/image-bounds.js';
import { main } from '../src/cli/main.js';
import { encodeTiffStack } from '../src/io/tiff-writer.js';

const base = { image: '/data/img.tif', channel_config: { cell_channel: 0, marker_channel: 1 }, rois: 'full' };
const cfgPath = '/data/c.yaml';
const img = (z: number, y: number, x: number, um = 1) => ({ shapeZyx: [z, y, x] as const, voxelSizeUm: [um, um, um] as const });

function refusal(extra: Record<string, unknown>, image: ReturnType<typeof img>): string {
  const config = parseConfigObject({ ...base, ...extra }, cfgPath);
  try {
    checkParametersAgainstImage(config, image);
  } catch (e) {
    const err = e as Error & { _tag?: string };
    assert.equal(err._tag, 'ConfigError');
    assert.ok(!err.message.includes('\n'), err.message);
    return err.message;
  }
  return '';
}

test('filter sizes and radii above the image: one line naming key, value, image and bound', () => {
  const cases: [Record<string, unknown>, ReturnType<typeof img>, string][] = [
    [{ cell_model_config: { prefilter: 'gaussian', prefilter_sigma_xy: 40 } }, img(1, 24, 32),
      "/data/c.yaml: cell_model_config.prefilter_sigma_xy: 40 is too large for the image /data/img.tif (Z×Y×X = 1×24×32): expected at most 32 (the image's larger side, 32 px)"],
    [{ marker_model_config: { prefilter: ['median'], prefilter_median_size_xy: 31 } }, img(1, 16, 16),
      "/data/c.yaml: marker_model_config.prefilter_median_size_xy: 31 is too large for the image /data/img.tif (Z×Y×X = 1×16×16): expected at most 16 (the image's larger side, 16 px)"],
    [{ cell_model_config: { prefilter: 'log', prefilter_sigma_z: 12 } }, img(5, 64, 64),
      '/data/c.yaml: cell_model_config.prefilter_sigma_z: 12 is too large for the image /data/img.tif (Z×Y×X = 5×64×64): expected at most 5 (the number of planes, 5)'],
    [{ cell_model_config: { prefilter: 'median', prefilter_median_size_z: 9 } }, img(4, 64, 64),
      '/data/c.yaml: cell_model_config.prefilter_median_size_z: 9 is too large for the image /data/img.tif (Z×Y×X = 4×64×64): expected at most 4 (the number of planes, 4)'],
    [{ cell_model_config: { threshold_background_sigma: 150 } }, img(1, 100, 120), 'cell_model_config.threshold_background_sigma: 150 is too large'],
    [{ marker_model_config: { postfilters: ['local_contrast'], local_contrast_shell_outer_radius: 40 } }, img(1, 20, 30), 'marker_model_config.local_contrast_shell_outer_radius: 40 is too large'],
    [{ cell_model_config: { segmentation_method: 'cellpose', diameter: 500 } }, img(1, 64, 64),
      "cell_model_config.diameter: 500 is too large for the image /data/img.tif (Z×Y×X = 1×64×64): expected at most 64 (the image's larger side, 64 px)"],
    [{ cell_model_config: { declump_method: 'shape', typical_diameter_px: [10, 5000] } }, img(1, 300, 400),
      "cell_model_config.typical_diameter_px[1]: 5000 is too large for the image /data/img.tif (Z×Y×X = 1×300×400): expected at most 500 (the image's diagonal, 500 px)"],
    [{ cell_model_config: { declump_method: 'shape', typical_diameter_um: [1000, 2000] } }, img(1, 300, 400, 0.5),
      "cell_model_config.typical_diameter_um[0]: 1000 is too large for the image /data/img.tif (Z×Y×X = 1×300×400): expected at most 250 (the image's diagonal, 500 px = 250 µm)"],
    [{ cell_model_config: { declump_method: 'shape', typical_diameter_px: [5, 10], declump_smoothing_px: 1e6, declump_min_distance_px: 3 } }, img(1, 50, 50),
      'cell_model_config.declump_smoothing_px: 1000000 is too large'],
    [{ cell_model_config: { declump_method: 'shape', typical_diameter_px: [5, 10], declump_min_distance_px: 1e9, declump_smoothing_px: 3 } }, img(1, 50, 50),
      "cell_model_config.declump_min_distance_px: 1000000000 is too large for the image /data/img.tif (Z×Y×X = 1×50×50): expected at most 71 (the image's diagonal, 71 px)"],
  ];
  for (const [extra, image, what] of cases) {
    const msg = refusal(extra, image);
    assert.ok(msg.includes(what), `${JSON.stringify(extra)}\n  got:      ${msg}\n  expected: …${what}…`);
  }
  // Single-channel configs: the key path is model_config.
  const sc = refusal(
    { image: base.image, single_channel_config: { channel_index: 0 }, model_config: { prefilter: 'gaussian', prefilter_sigma_xy: 20 }, rois: 'full', channel_config: undefined },
    img(1, 10, 10),
  );
  assert.match(sc, /^\/data\/c\.yaml: model_config\.prefilter_sigma_xy: 20 is too large for the image \/data\/img\.tif/);
});

test('bounds apply only to settings in use, at the bound itself values pass, and the defaults pass on any image', () => {
  // sigma unused without a Gaussian/LoG prefilter; z sizes unused on a 2D image; the value equal to the bound passes.
  assert.equal(refusal({ cell_model_config: { prefilter: 'median', prefilter_sigma_xy: 50 } }, img(1, 8, 8)), '');
  assert.equal(refusal({ cell_model_config: { prefilter: 'gaussian', prefilter_sigma_z: 40 } }, img(1, 64, 64)), '');
  assert.equal(refusal({ cell_model_config: { prefilter: 'gaussian', prefilter_sigma_xy: 32 } }, img(1, 24, 32)), '');
  assert.equal(refusal({ cell_model_config: { segmentation_method: 'cellpose', diameter: 30 } }, img(1, 8, 8)), '');
  // Every default (with the filters switched on) on the smallest images.
  const on = { prefilter: ['gaussian', 'median'], postfilters: ['local_contrast'], threshold_background_sigma: 1 };
  for (const shape of [img(1, 1, 1), img(1, 1, 7), img(3, 2, 2)]) {
    assert.equal(refusal({ cell_model_config: on, marker_model_config: on }, shape), '', JSON.stringify(shape));
  }
});

test('cellcoloc run: a Gaussian sigma of 45 px on a 32 × 32 image is refused after loading, one line, earlier results untouched', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-image-bounds-'));
  try {
    const files = [0, 1].map((c) => {
      const d = new Uint16Array(32 * 32);
      for (let i = 0; i < d.length; i++) d[i] = ((i + c) * 37) % 500;
      const f = join(dir, `c${c}.tif`);
      writeFileSync(f, encodeTiffStack({ data: d, shape: [1, 32, 32] }, {}));
      return f;
    });
    const image = files.join(', ');
    const cfg = (sigma: number) =>
      `image: [${files.map((f) => JSON.stringify(f)).join(', ')}]\nresults_dir: res\nvoxel_scale_zyx: [1, 1]\nchannel_config: {cell_channel: 0, marker_channel: 1}\n` +
      `cell_model_config: {segmentation_method: otsu, prefilter: gaussian, prefilter_sigma_xy: ${sigma}}\nmarker_model_config: {segmentation_method: otsu}\nrois: full\n`;
    const cfgFile = join(dir, 'c.yaml');
    const run = async () => {
      let out = '';
      let err = '';
      const code = await main(['node', 'cellcoloc', 'run', cfgFile, '--no-report', '-q'], { out: (s) => (out += s), err: (s) => (err += s) });
      return { code, out, err };
    };
    writeFileSync(cfgFile, cfg(2));
    assert.equal((await run()).code, 0);
    const before = new Map(readdirSync(join(dir, 'res')).map((f) => [f, readFileSync(join(dir, 'res', f))]));
    writeFileSync(cfgFile, cfg(45));
    const r = await run();
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      `cellcoloc: error: ${cfgFile}: cell_model_config.prefilter_sigma_xy: 45 is too large for the image ${image} (Z×Y×X = 1×32×32): expected at most 32 (the image's larger side, 32 px)\n`,
    );
    for (const [f, bytes] of before) assert.deepEqual(readFileSync(join(dir, 'res', f)), bytes, f);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
