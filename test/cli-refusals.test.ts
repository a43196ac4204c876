/**
 * Clear refusals before any work (issue 13.4): `refine` on a config without Cellpose channels names the
 * channel and its method instead of claiming to refine and then blaming a missing cache; an out-of-range
 * fraction stops `run` with one line and leaves the earlier results byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { caseDir } from './helpers/fixtures.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'cellcoloc', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const image = join(caseDir('2d_two_channel_otsu_fullroi'), 'input.ome.tif');
const config = (coloc: string, cell = 'otsu', marker = 'otsu') => `image: ${image}
results_dir: out
channel_config: {cell_channel: 0, marker_channel: 1}
cell_model_config: {segmentation_method: ${cell}, model_name_or_path: m.onnx}
marker_model_config: {segmentation_method: ${marker}}
colocalization_config: {${coloc}}
rois: full
`;

test('refine on a threshold config: one line naming each channel\'s segmentation_method, no "refining" claim', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-refuse-'));
  try {
    const cfg = join(dir, 'c.yaml');
    writeFileSync(cfg, config('min_cell_voxels: 80'));
    const r = await cli(['refine', cfg]);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.equal(
      r.err,
      `cellcoloc: error: ${cfg}: cell_model_config.segmentation_method is otsu, marker_model_config.segmentation_method is otsu, not cellpose: ` +
        'refine re-thresholds a Cellpose run\'s cached network outputs; with threshold methods, change the config and run `cellcoloc run` again\n',
    );
    // A Cellpose cell channel, but a threshold given for the otsu marker channel: that channel is named.
    writeFileSync(cfg, config('min_cell_voxels: 80', 'cellpose', 'li'));
    const m = await cli(['refine', cfg, '--marker-cellprob-threshold', '-1']);
    assert.equal(m.code, 1);
    assert.equal(
      m.err,
      `cellcoloc: error: ${cfg}: marker thresholds given, but marker_model_config.segmentation_method is li, not cellpose (only Cellpose channels have thresholds to refine)\n`,
    );
    // Single-channel configs: model_config is named.
    writeFileSync(cfg, `image: ${image}\nsingle_channel_config: {channel_index: 1}\nmodel_config: {segmentation_method: otsu}\n`);
    const s = await cli(['refine', cfg]);
    assert.equal(s.code, 1);
    assert.match(s.err, /^cellcoloc: error: .*c\.yaml: model_config\.segmentation_method is otsu, not cellpose: refine re-thresholds/);
    assert.equal(s.err.split('\n').length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run with overlap_fraction_threshold 1.5: one line, exit 1, the earlier results untouched', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-refuse-'));
  try {
    const cfg = join(dir, 'c.yaml');
    writeFileSync(cfg, config('min_cell_voxels: 80, overlap_fraction_threshold: 0.02'));
    const ok = await cli(['run', cfg, '-q']);
    assert.equal(ok.code, 0, ok.err);
    const out = join(dir, 'out');
    const before = new Map(readdirSync(out).map((f) => [f, readFileSync(join(out, f))]));
    writeFileSync(cfg, config('min_cell_voxels: 80, overlap_fraction_threshold: 1.5'));
    const bad = await cli(['run', cfg, '-q']);
    assert.equal(bad.code, 1);
    assert.equal(bad.err, `cellcoloc: error: ${cfg}: colocalization_config.overlap_fraction_threshold: expected a number from 0 to 1, got 1.5\n`);
    assert.deepEqual(readdirSync(out).sort(), [...before.keys()].sort());
    for (const [f, bytes] of before) assert.deepEqual(readFileSync(join(out, f)), bytes, f);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
