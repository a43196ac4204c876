/**
 * The built-in nuclei network (issue 22): `model_name_or_path: cellcoloc-nuclei` resolves to the file shipped in
 * `models/` (before $CELLCOLOC_MODELS), its metadata follow docs/cellpose-models.md, it stays small and packaged,
 * and it segments a crop of a BBBC039 *dev* image (never trained on) close to the hand annotation: F1 at IoU 0.5
 * against the annotated labels (test/data/nuclei-model/, CC0, provenance README there).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveModelPath, readModelInfo, BUILTIN_MODELS } from '../src/segmentation/cellpose/network/index.js';
import { openImageStack } from '../src/io/image-stack.js';
import { segmentWithNucleiModel } from '../scripts/nuclei-model-method.js';
import { scoreInstances } from '../src/segmentation/instance-metrics.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SHIPPED = join(ROOT, 'models', 'cellcoloc-nuclei.onnx');
const CROP = join(ROOT, 'test', 'data', 'nuclei-model', 'IXMtest_D20_s3_crop.tif');
const CROP_LABELS = join(ROOT, 'test', 'data', 'nuclei-model', 'IXMtest_D20_s3_crop_labels.tif');

test('cellcoloc-nuclei resolves to the shipped file, before $CELLCOLOC_MODELS', () => {
  assert.deepEqual(Object.keys(BUILTIN_MODELS), ['cellcoloc-nuclei']);
  const dir = mkdtempSync(join(tmpdir(), 'cellcoloc-models-'));
  const saved = process.env.CELLCOLOC_MODELS;
  try {
    // a same-named file in the user's folder does not shadow the built-in network
    copyFileSync(SHIPPED, join(dir, 'cellcoloc-nuclei.onnx'));
    process.env.CELLCOLOC_MODELS = dir;
    assert.equal(resolveModelPath('cellcoloc-nuclei'), SHIPPED);
    assert.equal(resolveModelPath(' cellcoloc-nuclei '), SHIPPED);
    // an explicit path still wins (spec 5.1)
    assert.equal(resolveModelPath(join(dir, 'cellcoloc-nuclei.onnx')), join(dir, 'cellcoloc-nuclei.onnx'));
  } finally {
    if (saved === undefined) delete process.env.CELLCOLOC_MODELS;
    else process.env.CELLCOLOC_MODELS = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shipped network: CPnet metadata, ≤ 5 MB, listed in the package files', () => {
  const info = readModelInfo(SHIPPED);
  assert.equal(info.cellposeVersion, 3);
  assert.equal(info.architecture, 'cpnet');
  assert.equal(info.inputChannels, 2);
  assert.equal(info.tileSize, 224);
  // BBBC039 README: typical U2OS nuclei 550–650 px² ≈ 27 px equivalent diameter
  assert.ok(info.diamMean > 22 && info.diamMean < 34, `diam_mean ${info.diamMean}`);
  assert.ok(statSync(SHIPPED).size <= 5 * 1024 * 1024, `${statSync(SHIPPED).size} bytes`);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  assert.ok(pkg.files.includes('models'), `package.json files: ${pkg.files.join(', ')}`);
});

test('cellcoloc-nuclei segments a BBBC039 dev crop close to the hand annotation (F1 at IoU 0.5)', async () => {
  const pred = await segmentWithNucleiModel(CROP);
  const truth = (await (await openImageStack(CROP_LABELS)).readChannel(0, 0)).data as ArrayLike<number>;
  const s = scoreInstances(truth, pred);
  // 30 annotated nuclei (some cut by the crop edge). Margin below the dev-set figure in models/README.md.
  assert.equal(s.nTruth, 30);
  assert.ok(s.f1 >= 0.85, `F1 ${s.f1.toFixed(3)}: ${s.truePositives} matched of ${s.nTruth} annotated, ${s.nPredicted} predicted`);
});

test('init --image offers cellcoloc-nuclei for the nuclei channel of a 2D image, and the offered settings load', async () => {
  const { exampleConfigYaml } = await import('../src/config/example-config.js');
  const { parse } = await import('yaml');
  const { parseConfigObject } = await import('../src/config/load-config.js');
  const facts = (channels: number, planes: number) => ({
    image: 'img.tif',
    channels,
    planes,
    height: 520,
    width: 696,
    timePoints: 1,
    dtype: 'uint16',
    channelNames: channels === 1 ? ['Hoechst'] : ['DAPI', 'GFP'],
    voxelSizeUm: [null, 0.65, 0.65] as [number | null, number | null, number | null],
  });
  for (const f of [facts(1, 1), facts(2, 1)]) {
    const text = exampleConfigYaml(f);
    assert.match(text, /^# {3}segmentation_method: cellpose, model_name_or_path: cellcoloc-nuclei, diameter: null$/m);
    // the offered settings, applied to the written config, give a valid config naming the shipped network
    const obj = parse(text) as Record<string, Record<string, unknown>>;
    const section = f.channels === 1 ? 'model_config' : 'cell_model_config';
    obj[section] = { ...obj[section], segmentation_method: 'cellpose', model_name_or_path: 'cellcoloc-nuclei', diameter: null };
    const config = parseConfigObject(obj, join(tmpdir(), 'x.yaml'));
    const mc = f.channels === 1 ? config.singleChannel!.modelConfig : config.cellModelConfig;
    assert.equal(resolveModelPath(mc.modelNameOrPath!), SHIPPED);
  }
  assert.doesNotMatch(exampleConfigYaml(facts(1, 12)), /built-in network usually beats a threshold/); // trained in 2D only
});
