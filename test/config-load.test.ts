/**
 * loadConfigFile: YAML / JSON by extension, syntax errors with file:line:col, relative paths, missing
 * input files, --results-dir override; the example config parses back to exactly the defaults.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { loadConfigFile, parseConfigObject, parseConfigText, defaultModelConfig, defaultColocalizationConfig, defaultRuntimeConfig } from '../src/config/load-config.js';
import { exampleConfigYaml } from '../src/config/example-config.js';
import { MODEL_CONFIG_FIELDS, SectionSchemas } from '../src/config/schema.js';
import { isCellColocError, type CellColocErrorTag } from '../src/core/errors.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cellcoloc-config-'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'img.ome.tif'), 'not really a tiff');
  writeFileSync(join(dir, 'sub', 'rois.tif'), 'x');
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function rejectsWith(p: Promise<unknown>, tag: CellColocErrorTag, message: string) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isCellColocError(err, tag), `expected a ${tag}, got ${String(err)}`);
    assert.equal((err as Error).message, message);
    return true;
  });
}

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test('YAML file: relative paths resolve against the config folder; rois.label_image', async () => {
  const p = write(
    'sub/run.yaml',
    [
      'image: ../img.ome.tif',
      'results_dir: out',
      'channel_config: {cell_channel: 0, marker_channel: 1}',
      'cell_model_config:',
      '  segmentation_method: Otsu',
      '  prefilter: gaussian',
      'rois: {label_image: rois.tif}',
      '',
    ].join('\n'),
  );
  const c = await loadConfigFile(p);
  assert.equal(c.configPath, p);
  assert.equal(c.image, join(dir, 'img.ome.tif'));
  assert.equal(c.resultsDir, join(dir, 'sub', 'out'));
  assert.deepEqual(c.rois, { kind: 'label_image', path: join(dir, 'sub', 'rois.tif') });
  assert.equal(c.cellModelConfig.segmentationMethod, 'otsu');
  assert.deepEqual(c.cellModelConfig.prefilter, ['gaussian']);
});

test('JSON file and the resultsDir override (resolved against the current folder)', async () => {
  const p = write('run.json', JSON.stringify({ image: 'img.ome.tif', channel_config: { cell_channel: 1, marker_channel: 0 } }));
  const c = await loadConfigFile(p, { resultsDir: 'elsewhere' });
  assert.equal(c.image, join(dir, 'img.ome.tif'));
  assert.equal(c.resultsDir, resolve('elsewhere'));
  assert.equal(c.channelConfig.cellChannel, 1);
});

test('missing input files: one ConfigError naming every missing file', async () => {
  const p = write('missing.yaml', 'image: [img.ome.tif, nope.tif]\nchannel_config: {cell_channel: 0, marker_channel: 1}\nrois: {label_image: r.tif}\n');
  await rejectsWith(
    loadConfigFile(p),
    'ConfigError',
    `${p}: image[1]: expected an existing file, got "${join(dir, 'nope.tif')}"; rois.label_image: expected an existing file, got "${join(dir, 'r.tif')}"`,
  );
  const q = write('folder.yaml', 'image: sub\nchannel_config: {cell_channel: 0, marker_channel: 1}\n');
  await rejectsWith(loadConfigFile(q), 'ConfigError', `${q}: image: expected an existing file (or an OME-Zarr folder), got "${join(dir, 'sub')}"`);
});

test('the config file itself missing, or with a wrong extension', async () => {
  await rejectsWith(loadConfigFile(join(dir, 'absent.yaml')), 'InputError', `${join(dir, 'absent.yaml')}: config file not found`);
  const p = write('run.toml', 'image = "x"');
  await rejectsWith(loadConfigFile(p), 'ConfigError', `${p}: expected a config file ending in .yaml, .yml or .json, got ".toml"`);
});

test('YAML and JSON syntax errors: one line with file:line:col', async () => {
  const y = write('bad.yaml', 'image: img.ome.tif\nchannel_config:\n  cell_channel: [0\n');
  await rejectsWith(
    loadConfigFile(y),
    'ConfigError',
    `${y}:4:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
  );
  const d = write('dup.yml', 'image: a.tif\nimage: b.tif\n');
  await rejectsWith(loadConfigFile(d), 'ConfigError', `${d}:2:1: invalid YAML: Map keys must be unique`);
  const j = write('bad.json', '{"image": "img.ome.tif"');
  await rejectsWith(loadConfigFile(j), 'ConfigError', `${j}:1:24: invalid JSON: Expected ',' or '}' after property value`);
  const e = write('empty.yaml', '# nothing here\n');
  await rejectsWith(
    loadConfigFile(e),
    'ConfigError',
    `${e}: expected a mapping of sections (image, channel_config, ...) at the top level, got an empty document`,
  );
});

test('schema errors in a file carry the file path', async () => {
  const p = write('typo.yaml', 'image: img.ome.tif\nchannel_config: {cell_channel: 0, marker_channel: 1}\ncell_model_config:\n  prefilter_sigma: 2\n');
  await rejectsWith(loadConfigFile(p), 'ConfigError', `${p}: cell_model_config.prefilter_sigma: unknown key, did you mean \`prefilter_sigma_xy\`?`);
});

test('example config: every field of every section, one comment per field, parses back to exactly the defaults', () => {
  const text = exampleConfigYaml();
  const obj = parseConfigText(text, '/cfg/example.yaml') as Record<string, any>;
  // every field present
  for (const section of ['cell_model_config', 'marker_model_config']) {
    assert.deepEqual(Object.keys(obj[section]), MODEL_CONFIG_FIELDS);
  }
  for (const section of ['channel_config', 'display_names', 'colocalization_config', 'intensity_colocalization_config', 'runtime_config'] as const) {
    assert.deepEqual(Object.keys(obj[section]), Object.keys(SectionSchemas[section].shape));
  }
  assert.deepEqual(Object.keys(obj), [
    'image',
    'results_dir',
    'voxel_scale_zyx',
    'resolution_level',
    'channel_config',
    'display_names',
    'cell_model_config',
    'marker_model_config',
    'optional_region_model_config',
    'colocalization_config',
    'intensity_colocalization_config',
    'runtime_config',
    'rois',
    'single_channel_config',
    'model_config',
    'analysis_config',
  ]);
  // each field line is preceded by a comment line
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*[a-z_0-9]+:/.test(lines[i])) assert.match(lines[i - 1], /^\s*#/, `no comment above line ${i + 1}: ${lines[i]}`);
  }
  // defaults
  const c = parseConfigObject(obj, '/cfg/example.yaml');
  // The example sets segmentation_method: otsu so that it runs without a Cellpose model file.
  assert.deepEqual(c.cellModelConfig, { ...defaultModelConfig(), segmentationMethod: 'otsu' });
  assert.deepEqual(c.markerModelConfig, { ...defaultModelConfig(), segmentationMethod: 'otsu' });
  assert.match(text, /# .*\(default cellpose, which needs a Cellpose model file; otsu needs none\)\n  segmentation_method: otsu/);
  assert.deepEqual(c.colocalizationConfig, defaultColocalizationConfig());
  assert.deepEqual(c.runtimeConfig, defaultRuntimeConfig());
  assert.deepEqual(c.displayNames, parseConfigObject({ image: 'x', channel_config: { cell_channel: 0, marker_channel: 1 } }).displayNames);
  assert.equal(c.image, '/cfg/image.ome.tif');
  assert.equal(c.resultsDir, null);
  assert.equal(c.voxelScaleZyx, null);
  assert.deepEqual(c.channelConfig, { cellChannel: 0, markerChannel: 1, optionalRegionChannel: null });
  assert.equal(c.optionalRegionModelConfig, null);
  assert.deepEqual(c.rois, { kind: 'full' });
  assert.equal(c.singleChannel, null);
  // the commented-out ROI alternatives are valid too
  const alt = YAML.parse(
    lines
      .filter((l) => l === '#   rois:' || l.startsWith('#     '))
      .map((l) => l.slice(3).replace(/ {3}# .*$/, ''))
      .join('\n'),
  );
  const withShapes = parseConfigObject({ image: 'x', channel_config: { cell_channel: 0, marker_channel: 1 }, rois: alt.rois }, '/cfg/e.yaml');
  assert.equal(withShapes.rois.kind, 'shapes');
  assert.deepEqual(
    withShapes.rois.kind === 'shapes' ? withShapes.rois.shapes.map((s) => s.type) : [],
    ['polygon', 'rectangle', 'ellipse'],
  );
});

test('the shipped demo config loads', async () => {
  const c = await loadConfigFile(resolve('data/demo/ht29_demo.yaml'));
  assert.equal(c.cellModelConfig.segmentationMethod, 'otsu');
  assert.deepEqual(c.voxelScaleZyx, [1, 1]);
  assert.equal(c.colocalizationConfig.minCellVoxels, 30);
});
