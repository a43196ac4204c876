/**
 * `model_name_or_path` resolution (issue 13.6): relative paths against the config file's folder like every
 * other path (not the current folder), a bare `name.onnx` also in `$CELLCOLOC_MODELS`; and `diam_labels` of
 * custom Cellpose 3 models used for `diameter: null` (Cellpose 3's eval: rescale = diam_mean / diam_labels,
 * test/fixtures/cellpose/README.md and cellpose-internals §2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, resolveModelReference } from '../src/config/load-config.js';
import { resolveModelPath, readModelInfo, MODELS_ENV } from '../src/segmentation/cellpose/network/model.js';
import { rescaleFactor } from '../src/segmentation/cellpose/network/run.js';
import { main } from '../src/cli/main.js';
import { caseDir, CELLPOSE_FIXTURES, readCsv } from './helpers/fixtures.js';
import { fixtureConfigObject } from './helpers/fixture-config.js';

function withEnv<T>(value: string | undefined, fn: () => T): T {
  const old = process.env[MODELS_ENV];
  if (value === undefined) delete process.env[MODELS_ENV];
  else process.env[MODELS_ENV] = value;
  try {
    return fn();
  } finally {
    if (old === undefined) delete process.env[MODELS_ENV];
    else process.env[MODELS_ENV] = old;
  }
}

test('resolveModelReference: folder paths against the config folder, bare .onnx beside it or left for the model folder, names kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-models-'));
  try {
    writeFileSync(join(dir, 'here.onnx'), 'x');
    assert.equal(resolveModelReference('models/m.onnx', dir), join(dir, 'models', 'm.onnx'));
    assert.equal(resolveModelReference('../m.onnx', join(dir, 'sub')), join(dir, 'm.onnx'));
    assert.equal(resolveModelReference('here.onnx', dir), join(dir, 'here.onnx'));
    assert.equal(resolveModelReference('elsewhere.onnx', dir), 'elsewhere.onnx');
    assert.equal(resolveModelReference('cpsam', dir), 'cpsam');
    assert.equal(resolveModelReference('/abs/m.onnx', dir), '/abs/m.onnx');
    assert.equal(resolveModelReference(null, dir), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a config\'s relative model path resolves against its folder, not the current folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-models-'));
  try {
    const cfg = join(dir, 'exp', 'c.yaml');
    mkdirSync(join(dir, 'exp'));
    writeFileSync(
      cfg,
      `image: ${join(caseDir('2d_two_channel_otsu_fullroi'), 'input.ome.tif')}\nchannel_config: {cell_channel: 0, marker_channel: 1}\n` +
        'cell_model_config: {segmentation_method: cellpose, model_name_or_path: models/cells.onnx}\n' +
        'marker_model_config: {segmentation_method: cellpose, model_name_or_path: marker.onnx}\n',
    );
    assert.notEqual(process.cwd(), join(dir, 'exp'));
    const c = await loadConfigFile(cfg);
    assert.equal(c.cellModelConfig.modelNameOrPath, join(dir, 'exp', 'models', 'cells.onnx'));
    assert.equal(c.markerModelConfig.modelNameOrPath, 'marker.onnx', 'not beside the config: looked up in the model folder');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bare name.onnx is found in $CELLCOLOC_MODELS; when missing, the error names both places', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-models-'));
  try {
    writeFileSync(join(dir, 'mine.onnx'), 'x');
    assert.equal(withEnv(dir, () => resolveModelPath('mine.onnx')), join(dir, 'mine.onnx'));
    assert.throws(
      () => withEnv(dir, () => resolveModelPath('other.onnx')),
      (e: Error) => e.message === `Cellpose model file "other.onnx" not found beside the config file nor in the model folder ${dir} ($${MODELS_ENV}); export one with scripts/export_cellpose_onnx.py (see docs/cellpose-models.md)`,
    );
    // A bare model name keeps its meaning: <model folder>/<name>.onnx.
    writeFileSync(join(dir, 'cyto3.onnx'), 'x');
    assert.equal(withEnv(dir, () => resolveModelPath('cyto3')), join(dir, 'cyto3.onnx'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cellcoloc run with a relative model path from another folder reproduces the original\'s Cellpose counts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-models-'));
  try {
    const src = caseDir('2d_two_channel_cellpose_fullroi');
    mkdirSync(join(dir, 'models'));
    for (const f of ['cpsam_tiny_coloc.onnx', 'cpsam_tiny_coloc.onnx.json']) copyFileSync(join(src, f), join(dir, 'models', f));
    const obj = fixtureConfigObject(src, { resultsDir: 'out' }) as Record<string, any>;
    obj.cell_model_config.model_name_or_path = 'models/cpsam_tiny_coloc.onnx';
    obj.marker_model_config.model_name_or_path = 'models/cpsam_tiny_coloc.onnx';
    const cfg = join(dir, 'c.json');
    writeFileSync(cfg, JSON.stringify(obj));
    let err = '';
    const code = await main(['node', 'cellcoloc', 'run', cfg, '-q'], { out: () => undefined, err: (s) => (err += s) });
    assert.equal(code, 0, err);
    const ours = readCsv(join(dir, 'out', 'input.ome_roi_coloc_overview.csv'));
    const expected = readCsv(join(src, 'expected', 'roi_coloc_overview.csv'));
    for (const k of ['n_cells', 'n_marker_positive_cells', 'n_marker_objects']) {
      assert.equal(ours.rows[0][ours.header.indexOf(k)], expected.rows[0][expected.header.indexOf(k)], k);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('diam_labels of a custom Cellpose 3 model sets the scale for diameter: null; Cellpose 4 ignores it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-models-'));
  try {
    const onnx = join(dir, 'custom.onnx');
    copyFileSync(join(CELLPOSE_FIXTURES, 'v3net', 'cpnet_small_v3.onnx'), onnx);
    const side = JSON.parse(readFileSync(join(CELLPOSE_FIXTURES, 'v3net', 'cpnet_small_v3.onnx.json'), 'utf8'));
    writeFileSync(`${onnx}.json`, JSON.stringify({ ...side, diam_labels: 15 }));
    const info = readModelInfo(onnx);
    assert.equal(info.diamLabels, 15);
    assert.equal(rescaleFactor({ info }, null), 2); // 30 / 15, as Cellpose 3's eval(diameter=None)
    assert.equal(rescaleFactor({ info }, 60), 0.5); // a given diameter wins: 30 / 60
    assert.equal(rescaleFactor({ info: { ...info, diamLabels: null } }, null), 1);
    assert.equal(rescaleFactor({ info: { ...info, cellposeVersion: 4, architecture: 'cpsam' } }, null), 1);
    writeFileSync(`${onnx}.json`, JSON.stringify({ ...side, diam_labels: -3 }));
    assert.throws(() => readModelInfo(onnx), /diam_labels = -3, expected > 0 \(pixels\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
