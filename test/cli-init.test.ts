/**
 * `cellcoloc init` for a new user: comments without spec/quirk ids, and `init --image FILE`, which reads the
 * image's channels (with their OME names), 2D/3D and voxel size and writes a config that works on it.
 *
 * Outside reference for the demo image (CellProfiler ExampleHuman HT29, Hoechst + pH3; numbers from the data
 * set's README in the project workspace): scikit-image's gallery example "Segment human cells (in mitosis)" finds 288
 * foreground components / 286 watershed nuclei on the DNA image, and simple Otsu pipelines 260–320 nuclei
 * depending on declumping (CellColoc does not declump, so touching nuclei count once: the lower end); Gaussian
 * σ = 1 + threshold on pH3 gives 20 pH3 objects, and 18–24 pH3-positive nuclei is the stated plausible range.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { main } from '../src/cli/main.js';
import { loadConfigFile } from '../src/config/load-config.js';
import { runWorkflow } from '../src/pipeline/workflow.js';
import { encodeTiffStack } from '../src/io/tiff-writer.js';
import { caseDir } from './helpers/fixtures.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'cellcoloc', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const DEMO = resolve('data/demo/ht29_dna_ph3.ome.tif');
/** Spec section numbers and quirk ids belong in the README's differences table, not in a user's config. */
const SPEC_IDS = /\bspec \d|\(spec|\bQ\d{1,2}\b|fix Q/;

test('init (no image): no spec section numbers or quirk ids in the comments', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-init-'));
  try {
    const r = await cli(['init', join(dir, 'c.yaml')]);
    assert.equal(r.code, 0, r.err);
    const text = readFileSync(join(dir, 'c.yaml'), 'utf8');
    const bad = text.split('\n').filter((l) => SPEC_IDS.test(l));
    assert.deepEqual(bad, []);
    assert.doesNotMatch(text, /Cellpose >= 4 only/, 'v3 models use the Cellpose thresholds too');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('init --image on the demo: 2 named channels, 2D, and a config that finds ~260 nuclei and ~20 pH3-positive ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-init-'));
  try {
    copyFileSync(DEMO, join(dir, 'ht29.ome.tif'));
    const cfg = join(dir, 'sub', 'c.yaml');
    const r = await cli(['init', cfg, '--image', join(dir, 'ht29.ome.tif')]);
    assert.equal(r.code, 0, r.err);
    const text = readFileSync(cfg, 'utf8');
    assert.deepEqual(text.split('\n').filter((l) => SPEC_IDS.test(l)), []);
    assert.match(text, /^# {3}channel 0: "DNA"$/m);
    assert.match(text, /^# {3}channel 1: "pH3"$/m);
    assert.match(text, /512 × 512 px \(2D\)/);
    const obj = YAML.parse(text);
    assert.equal(obj.image, '../ht29.ome.tif', 'relative to the config file');
    assert.deepEqual(obj.channel_config, { cell_channel: 0, marker_channel: 1, optional_region_channel: null });
    assert.equal(obj.voxel_scale_zyx, null, 'the demo image records no pixel size');
    assert.equal(obj.single_channel_config, undefined);
    assert.equal(obj.display_names.cell, 'DNA');
    // The user sets nothing else: the generated file is run as written (results into the temp folder).
    const config = await loadConfigFile(cfg);
    const res = await runWorkflow({ ...config, resultsDir: join(dir, 'res') });
    const [roi] = res.summary;
    assert.ok(roi.nCells >= 240 && roi.nCells <= 320, `nuclei: ${roi.nCells} (old template: 19)`);
    assert.ok(roi.nMarkerPositiveCells >= 15 && roi.nMarkerPositiveCells <= 24, `pH3-positive: ${roi.nMarkerPositiveCells}`);
    assert.ok(roi.nMarkerObjects >= 16 && roi.nMarkerObjects <= 26, `pH3 objects: ${roi.nMarkerObjects}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('init --image on a 3D stack: voxel size from the OME metadata, z smoothing and cell size in µm', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-init-'));
  try {
    const image = join(caseDir('3d_two_channel_otsu_fullroi'), 'input.ome.tif'); // 12 × 128 × 128, 2 × 0.5 × 0.5 µm
    const cfg = join(dir, 'c.yaml');
    const r = await cli(['init', cfg, '--image', image]);
    assert.equal(r.code, 0, r.err);
    const text = readFileSync(cfg, 'utf8');
    assert.match(text, /12 z planes of 128 × 128 px \(3D\)/);
    assert.match(text, /^# {3}channel 0: "cells"$/m);
    const obj = YAML.parse(text);
    assert.deepEqual(obj.voxel_scale_zyx, [2, 0.5, 0.5]);
    // Gaussian σ_z in planes = σ_xy (1 px) · 0.5 µm / 2 µm; smallest cell = ball of 5 µm: 65.45 µm³ / 0.5 µm³.
    assert.equal(obj.cell_model_config.prefilter_sigma_z, 0.25);
    assert.equal(obj.colocalization_config.min_cell_voxels, 131);
    const config = await loadConfigFile(cfg);
    assert.deepEqual(config.voxelScaleZyx, [2, 0.5, 0.5]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('init --image on a one-channel image writes the single-channel counting config; three channels get a hint', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-init-'));
  try {
    const data = new Uint16Array(32 * 32);
    writeFileSync(join(dir, 'one.tif'), encodeTiffStack({ data, shape: [1, 32, 32] }, { voxelSizeUm: [1, 0.25, 0.25] }));
    const r = await cli(['init', join(dir, 'one.yaml'), '--image', join(dir, 'one.tif')]);
    assert.equal(r.code, 0, r.err);
    const text = readFileSync(join(dir, 'one.yaml'), 'utf8');
    const obj = YAML.parse(text);
    assert.equal(obj.channel_config, undefined);
    assert.deepEqual(obj.single_channel_config, { channel_index: 0 });
    assert.deepEqual(obj.voxel_scale_zyx, [0.25, 0.25]);
    assert.equal(obj.analysis_config.min_object_voxels, 314); // disc of 5 µm: 19.63 µm² / 0.0625 µm²
    const config = await loadConfigFile(join(dir, 'one.yaml'));
    assert.equal(config.singleChannel?.channelIndex, 0);

    const three = await cli(['init', join(dir, 'three.yaml'), '--image', join(caseDir('3d_three_channel_optional_region'), 'input.ome.tif')]);
    assert.equal(three.code, 0, three.err);
    assert.match(readFileSync(join(dir, 'three.yaml'), 'utf8'), /This image has 3 channels: to segment a third one, set channel_config\.optional_region_channel/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('init --image with a missing or unreadable image: one error line, nothing written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-init-'));
  try {
    const missing = await cli(['init', join(dir, 'c.yaml'), '--image', join(dir, 'nope.tif')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^cellcoloc: error: --image .*nope\.tif: no such file\n$/);
    writeFileSync(join(dir, 'bad.tif'), 'not a tiff');
    const bad = await cli(['init', join(dir, 'c.yaml'), '--image', join(dir, 'bad.tif')]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^cellcoloc: error: .*bad\.tif.*\n$/);
    assert.throws(() => readFileSync(join(dir, 'c.yaml')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
